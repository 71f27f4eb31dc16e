/* proxy.h - HTTP proxies for the client, as curl and the AWS CLI read them:
 * HTTPS_PROXY/https_proxy for https targets, HTTP_PROXY/http_proxy for
 * plain-http ones, NO_PROXY/no_proxy for the hosts that go direct; an HTTP
 * CONNECT tunnel through the proxy (TLS to the target runs inside it), with
 * optional basic credentials from the proxy URL's userinfo. The credentials
 * are registered secrets: never printed, the URL shown with "***" instead. */
#ifndef VAULTDR_PROXY_H
#define VAULTDR_PROXY_H
#include <stddef.h>

#include "secret.h"
#include "tls.h"

/* One proxy URL, parsed. */
struct proxy {
	int set;            /* a proxy is configured */
	char var[16];       /* the variable it came from, for messages */
	char host[256];     /* name or IP literal, brackets removed */
	int port;           /* explicit, else 80 */
	char shown[320];    /* the URL with "***" for any userinfo */
	int has_auth;
	struct secret auth; /* Proxy-Authorization value "Basic ..." */
	struct secret pass, raw; /* the password decoded and as written:
	                            registered only, so output never shows it */
};

/* Parses an http:// proxy URL (no scheme means http://, as curl does):
 * [user[:password]@]host[:port][/]; user and password percent-decoded; port
 * default 80. https:// (TLS to the proxy), socks and other schemes, a path,
 * query or bad host/port are errors. var names the variable in messages.
 * 0 / -1 (err_set naming var and the URL with its userinfo hidden). p is
 * freeable after both (proxy_free). */
int proxy_url_parse(const char *s, const char *var, struct proxy *p);
void proxy_free(struct proxy *p); /* wipes the credentials; NULL-safe */

/* 1 when host matches the NO_PROXY list: comma-separated entries, each a
 * host name matched as itself or as a domain suffix (leading "." or "*."
 * optional), an IP address (compared as an address), or an IP/prefix CIDR
 * block; "*" alone matches every host; ":port" on an entry is ignored, as
 * are spaces and empty entries. Host names compare case-insensitively,
 * trailing dots ignored. 0 otherwise (list NULL or empty included). */
int proxy_no_proxy_match(const char *list, const char *host);

/* The proxy settings of a run. */
struct proxy_env {
	struct proxy https, http;
	char no_proxy[2048]; /* NO_PROXY as given ("" = none) */
	char error[512];     /* non-empty: a variable was malformed; every
	                        proxied request fails with this text */
};
/* Fills pe from the three values (NULL or "" = unset). 0 / -1 (err_set;
 * pe->error holds the text too). */
int proxy_env_init(struct proxy_env *pe, const char *https_proxy,
    const char *http_proxy, const char *no_proxy);
void proxy_env_free(struct proxy_env *pe);
/* The process's settings, read from the environment on the first call
 * (lowercase variable first, then uppercase, as curl and the AWS CLI do)
 * and kept for the run; thread-safe. Never NULL. */
const struct proxy_env *proxy_env_default(void);

/* The proxy a request to (tls, host) goes through, or NULL (direct): no
 * proxy configured for the scheme, host in NO_PROXY, or host a link-local
 * address (169.254.0.0/16, fe80::/10, fd00:ec2::254: instance metadata is
 * never asked through a proxy). */
const struct proxy *proxy_for(const struct proxy_env *pe, int tls,
    const char *host);

/* Asks the proxy at the other end of c (a plain connection) for a tunnel to
 * host:port with CONNECT, within c's current deadline, and reads its answer
 * (status line and headers, nothing past them). 0 when the answer is 2xx.
 * -1 with err_set naming the proxy (credentials hidden) and the status in
 * words, and *err: CONN_E_CONFIG for a 4xx (407: credentials missing or
 * refused; 403: target not allowed), CONN_E_CONNECT for a 5xx (the proxy
 * could not reach the target: nothing was sent, retry may help), the
 * connection's own kind for I/O failures, CONN_E_IO for a malformed answer. */
int proxy_tunnel(struct conn *c, const struct proxy *p, const char *host,
    int port, enum conn_err *err);

#endif
