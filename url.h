/* url.h - http:// and https:// URLs (url.c), for the HTTP client and the
 * proxy settings. */
#ifndef VAULTDR_URL_H
#define VAULTDR_URL_H

struct url {
	int tls;            /* https */
	char host[256];     /* name or IP literal, brackets removed */
	int port;           /* explicit or scheme default */
	int host_is_ip;
	char hostport[300]; /* Host header value: host, [v6], ":port" only if not default */
	char *target;       /* "/path?query" (owned); "/" when the URL has no path */
};
/* Accepts http:// and https:// URLs with host (name, IPv4, [IPv6]), optional
 * port 1-65535, path and query (fragment dropped). No userinfo. 0 / -1
 * (err_set naming the URL and what is wrong). */
int url_parse(const char *s, struct url *u);
void url_free(struct url *u);

#endif
