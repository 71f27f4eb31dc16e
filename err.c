/* err.c - the error slot (see err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static _Thread_local char errbuf[2048]; /* the mock is threaded */

void
err_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

void
err_prefix(const char *fmt, ...)
{
	char pre[1024], old[sizeof(errbuf)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, errbuf, sizeof(old));
	if (old[0])
		snprintf(errbuf, sizeof(errbuf), "%s: %s", pre, old);
	else
		snprintf(errbuf, sizeof(errbuf), "%s", pre);
}

const char *
err_get(void)
{
	return errbuf;
}

void
err_clear(void)
{
	errbuf[0] = '\0';
}
