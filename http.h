/* http.h - HTTP/1.1 client over tls.h connections: URL parsing, strict
 * response framing (Content-Length, chunked, bodiless statuses), limits,
 * keep-alive (one connection per scheme+host+port, reopened only when the
 * server closes it), and 307/308 redirects (same scheme, 3 hops, method and
 * body kept). */
#ifndef VAULTDR_HTTP_H
#define VAULTDR_HTTP_H
#include <stddef.h>
#include "tls.h"

#define HTTP_MAX_HEADER_BYTES (64 * 1024)
#define HTTP_MAX_BODY (8 * 1024 * 1024)
#define HTTP_MAX_REDIRECTS 3

struct http_header {
	char *name;  /* requests: borrowed; responses: owned */
	char *value;
};

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

struct http_response {
	int status;
	struct http_header *hdrs; /* owned */
	size_t nhdrs;
	char *body;               /* owned, NUL-terminated (NUL not counted); never NULL after success */
	size_t body_len;
	int keep_alive;           /* connection may be reused */
};
/* First header with that name (case-insensitive) or NULL. */
const char *http_resp_header(const struct http_response *r, const char *name);
void http_response_free(struct http_response *r); /* NULL-safe, wipes body */

/* Reads one response through rd (used over connections and by the fuzz
 * target): >0 bytes, 0 EOF, -1 error. is_head: request was HEAD. 0 / -1
 * (err_set: "bad status line", "header section larger than 64 KiB", "bad
 * chunk size", "body truncated after N of M bytes", ...). */
typedef long (*http_read_fn)(void *ctx, void *buf, size_t n);
int http_parse_response(http_read_fn rd, void *ctx, int is_head,
    struct http_response *r);

struct http_client_config {
	struct tls_client *tls; /* NULL: https URLs are refused; borrowed */
	int connect_timeout_ms;
	int io_timeout_ms;
	int verbose;            /* log "METHOD url -> status" lines via log_verbose */
};

struct http_stats {
	char hostport[300];
	int connections; /* TCP/TLS connections opened */
	int requests;
};

struct http_client;
struct http_client *http_client_new(const struct http_client_config *cfg);
void http_client_free(struct http_client *c); /* closes connections; NULL-safe */

/* Sends one request and reads the whole response. hdrs are extra headers
 * (Host, Content-Length and Connection are added). Any HTTP status counts as
 * success (0); -1 means no complete response (err_set "METHOD host path: why"),
 * with http_last_error()/http_last_sent() describing the failure. A request
 * on a reused connection that fails before any response byte arrives is
 * retried once on a fresh connection (the server closed it while idle). */
int http_request(struct http_client *c, const char *method, const char *url,
    const struct http_header *hdrs, size_t nhdrs, const void *body,
    size_t body_len, struct http_response *resp);
enum conn_err http_last_error(const struct http_client *c); /* CONN_E_* or CONN_OK (protocol errors report CONN_E_IO) */
int http_last_proto_error(const struct http_client *c);     /* 1: server reply malformed */
int http_last_sent(const struct http_client *c); /* 1: request bytes may have reached the server */
/* Per-host counters (for --verbose and make bench); returns count, fills up to max. */
size_t http_client_stats(const struct http_client *c, struct http_stats *out, size_t max);

#endif
