/* vfix.c - see vfix.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfix.h"

#define MAXR 16
static char *replies[MAXR];
static int nreplies;

const char *
vfix_reply(int status, const char *body)
{
	size_t n = body ? strlen(body) : 0, sz = n + 256;
	char *p = malloc(sz);

	if (p == NULL || nreplies == MAXR)
		abort();
	if (body)
		snprintf(p, sz, "HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n\r\n%s",
		    status, n, body);
	else
		snprintf(p, sz, "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n",
		    status);
	replies[nreplies++] = p;
	return p;
}

int
vfix_start(struct vfix *f, const struct tsrv_step *st, size_t n)
{
	struct http_client_config cfg = { 0 };

	memset(f, 0, sizeof(*f));
	if (tsrv_start(&f->s, NULL, NULL, st, n) == -1)
		return -1;
	cfg.connect_timeout_ms = 1000;
	cfg.io_timeout_ms = 2000;
	f->http = http_client_new(&cfg);
	secret_set(&f->token, "hvs.unit-token", 14);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->s.port);
	f->v.label = "test cluster";
	f->v.url = f->url;
	f->v.http = f->http;
	f->v.token = &f->token;
	return f->http ? 0 : -1;
}

void
vfix_stop(struct vfix *f)
{
	http_client_free(f->http);
	tsrv_stop(&f->s);
	secret_wipe(&f->token);
	while (nreplies > 0)
		free(replies[--nreplies]);
}
