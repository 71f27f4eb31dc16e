/* log.c - the seed's progress format and warnings.
 * Everything printed passes through secret_redact(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "secret.h"

static enum log_mode mode = LOG_TEXT;
static void (*warn_hook)(const char *);
static int verbose;

void
log_init(enum log_mode m, int v)
{
	mode = m;
	verbose = v;
}

int
log_verbose_on(void)
{
	return verbose;
}

void
log_timestamp(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%a, %d %b %Y %H:%M:%S", &tm) == 0)
		snprintf(out, outsz, "?");
}

static void vemit(FILE *f, const char *pre, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vemit(FILE *f, const char *pre, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	secret_redact(line);
	fprintf(f, "%s%s\n", pre, line);
	fflush(f);
}

void
log_step(const char *fmt, ...)
{
	char ts[64], pre[96];
	va_list ap;

	if (mode != LOG_TEXT)
		return;
	log_timestamp(ts, sizeof(ts));
	snprintf(pre, sizeof(pre), "[%s] *** ", ts);
	va_start(ap, fmt);
	vemit(stdout, pre, fmt, ap);
	va_end(ap);
}

void
log_set_warn_hook(void (*hook)(const char *msg))
{
	warn_hook = hook;
}

void
log_warn(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	secret_redact(line);
	fprintf(stderr, "vaultdr: warning: %s\n", line);
	fflush(stderr);
	if (warn_hook)
		warn_hook(line);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vemit(stderr, "vaultdr: ", fmt, ap);
	va_end(ap);
}

void
log_out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(stdout, "", fmt, ap);
	va_end(ap);
}

void
log_error(const char *label, const char *msg)
{
	char line[4096];

	snprintf(line, sizeof(line), "%s", msg);
	secret_redact(line);
	fprintf(stderr, "vaultdr: %s: %s\n", label, line);
	fflush(stderr);
}
