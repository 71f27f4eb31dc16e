/* url.c - http:// and https:// URLs split into scheme, host, port and
 * request target, for http.c and proxy.c. */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "url.h"

static int
is_hostchar(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

/* The bracketed IPv6 literal at auth (before aend) into u->host; *p gets
 * what follows the ']'. 0 / -1 (err_set naming s). */
static int
url_host_v6(const char *s, const char *auth, const char *aend, struct url *u,
    const char **p)
{
	const char *hs = auth + 1, *he = memchr(hs, ']', (size_t)(aend - hs));
	unsigned char tmp[16];
	size_t hlen;

	if (he == NULL) {
		err_set("URL %s: missing ']' after IPv6 address", s);
		return -1;
	}
	hlen = (size_t)(he - hs);
	if (hlen == 0 || hlen >= sizeof(u->host)) {
		err_set("URL %s: bad IPv6 address", s);
		return -1;
	}
	memcpy(u->host, hs, hlen);
	u->host[hlen] = '\0';
	if (inet_pton(AF_INET6, u->host, tmp) != 1) {
		err_set("URL %s: bad IPv6 address", s);
		return -1;
	}
	u->host_is_ip = 1;
	*p = he + 1;
	if (*p < aend && **p != ':') {
		err_set("URL %s: unexpected text after ']'", s);
		return -1;
	}
	return 0;
}

/* The host name or IPv4 address at auth (up to ':' or aend) into u->host;
 * *p gets what follows it. 0 / -1 (err_set naming s). */
static int
url_host_name(const char *s, const char *auth, const char *aend,
    struct url *u, const char **p)
{
	const char *he = memchr(auth, ':', (size_t)(aend - auth));
	unsigned char tmp[16];
	size_t hlen, i;
	int all_num = 1;

	if (he == NULL)
		he = aend;
	hlen = (size_t)(he - auth);
	if (hlen == 0) {
		err_set("URL %s: empty host", s);
		return -1;
	}
	if (hlen >= sizeof(u->host)) {
		err_set("URL %s: host name too long", s);
		return -1;
	}
	for (i = 0; i < hlen; i++) {
		if (!is_hostchar((unsigned char)auth[i])) {
			err_set("URL %s: bad character in host name", s);
			return -1;
		}
		if (!isdigit((unsigned char)auth[i]) && auth[i] != '.')
			all_num = 0;
	}
	memcpy(u->host, auth, hlen);
	u->host[hlen] = '\0';
	if (inet_pton(AF_INET, u->host, tmp) == 1)
		u->host_is_ip = 1;
	else if (all_num) {
		err_set("URL %s: bad IPv4 address", s);
		return -1;
	}
	*p = he;
	return 0;
}

/* The port after the host (p at ':' when there is one, else at aend) into
 * u->port, the scheme's default when absent. 0 / -1 (err_set naming s). */
static int
url_port(const char *s, const char *p, const char *aend, struct url *u)
{
	const char *ps, *pe;
	long port = 0;

	u->port = u->tls ? 443 : 80;
	if (p >= aend)
		return 0;
	ps = p + 1; /* *p == ':' */
	if (ps == aend || aend - ps > 5) {
		err_set("URL %s: bad port", s);
		return -1;
	}
	for (pe = ps; pe < aend; pe++) {
		if (!isdigit((unsigned char)*pe)) {
			err_set("URL %s: bad port", s);
			return -1;
		}
		port = port * 10 + (*pe - '0');
	}
	if (port < 1 || port > 65535) {
		err_set("URL %s: port out of range (1-65535)", s);
		return -1;
	}
	u->port = (int)port;
	return 0;
}

/* u->hostport and the owned u->target from the rest of the URL after the
 * authority (aend). 0 / -1. */
static int
url_target(const char *aend, struct url *u)
{
	const char *frag = strchr(aend, '#');
	size_t hlen = frag ? (size_t)(frag - aend) : strlen(aend), i = 0;

	if (u->host_is_ip && strchr(u->host, ':'))
		snprintf(u->hostport, sizeof(u->hostport), "[%s]", u->host);
	else
		snprintf(u->hostport, sizeof(u->hostport), "%s", u->host);
	if (u->port != (u->tls ? 443 : 80))
		snprintf(u->hostport + strlen(u->hostport),
		    sizeof(u->hostport) - strlen(u->hostport), ":%d", u->port);
	if ((u->target = malloc(hlen + 2)) == NULL) {
		err_set("out of memory");
		return -1;
	}
	if (hlen == 0 || *aend != '/')
		u->target[i++] = '/';
	memcpy(u->target + i, aend, hlen);
	u->target[i + hlen] = '\0';
	return 0;
}

/* Fills u; u->target is owned (url_free). 0 / -1 with err_set. */
int
url_parse(const char *s, struct url *u)
{
	const char *p, *auth, *aend;

	memset(u, 0, sizeof(*u));
	if (s == NULL || *s == '\0') {
		err_set("empty URL");
		return -1;
	}
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			err_set("URL contains a space or control character");
			return -1;
		}
	}
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		auth = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		auth = s + 7;
	} else {
		err_set("URL %s: scheme must be http:// or https://", s);
		return -1;
	}
	aend = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(aend - auth)) != NULL) {
		err_set("URL %s: user info (user@host) is not supported", s);
		return -1;
	}
	if ((*auth == '[' ? url_host_v6(s, auth, aend, u, &p) :
	    url_host_name(s, auth, aend, u, &p)) == -1 ||
	    url_port(s, p, aend, u) == -1 || url_target(aend, u) == -1)
		return -1;
	return 0;
}

void
url_free(struct url *u)
{
	if (u == NULL)
		return;
	free(u->target);
	u->target = NULL;
}
