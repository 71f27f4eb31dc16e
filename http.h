/* http.h - HTTP/1.1 client over tls.h connections: URL parsing, strict
 * response framing (Content-Length, chunked, bodiless statuses), limits,
 * one deadline per request, keep-alive (one connection per
 * scheme+host+port, reopened only when the server closes it; a changing
 * request is never sent twice), and 307/308 redirects only when the client
 * is configured to follow them (to https URLs only, 3 hops, method and body
 * kept). */
#ifndef VAULTDR_HTTP_H
#define VAULTDR_HTTP_H
#include <stddef.h>
#include "h1.h"
#include "tls.h"
#include "url.h" /* struct url, url_parse */

#define HTTP_MAX_HEADER_BYTES (64 * 1024)
#define HTTP_MAX_BODY (8 * 1024 * 1024)
#define HTTP_MAX_REDIRECTS 3

/* struct http_header (requests: borrowed; responses: owned) is h1.h's. */


/* Why http_request returned -1 (HTTP_OK after a complete response). */
enum http_fail {
	HTTP_OK = 0,
	HTTP_E_CONNECT, /* no connection: DNS, refused, unreachable, connect or
	                   handshake timeout; nothing was sent */
	HTTP_E_TLS,     /* TLS handshake or certificate verification failed;
	                   nothing was sent; retrying will not help */
	HTTP_E_TIMEOUT, /* the request deadline passed after sending began */
	HTTP_E_IO,      /* connection closed or reset before a complete answer */
	HTTP_E_PROTO,   /* the reply is not valid HTTP (or a redirect that is
	                   refused: to http, too many hops) */
	HTTP_E_CONFIG,  /* the request could not be made: bad URL, header with
	                   a line break, https without TLS settings, no memory */
};

struct http_response {
	int status;
	struct http_header *hdrs; /* owned */
	size_t nhdrs;
	char *body;               /* owned, NUL-terminated (NUL not counted); never NULL after success */
	size_t body_len;
	int keep_alive;           /* connection may be reused */
	/* Set on success and on failure (-1); on failure nothing else is
	 * set and nothing needs freeing. */
	enum http_fail fail;      /* HTTP_OK on success */
	int sent;                 /* 1: request bytes may have reached the
	                             server, so a changing request may have
	                             been carried out (outcome unknown on -1) */
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
	int connect_timeout_ms; /* TCP connect (each address in turn) */
	int io_timeout_ms;      /* TLS handshake; then sending the request and
	                           reading its whole response, together */
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
/* Redirect policy. 0, the default of every new client: a 307/308 is
 * returned to the caller as is and nothing is re-sent (signed AWS
 * requests: Authorization and X-Amz-Security-Token never reach another
 * host). 1: followed to https URLs only (never https to http, never to
 * http), at most HTTP_MAX_REDIRECTS hops, with the same method, body and
 * headers (Vault standbys, as the Vault API client does). (A setter rather
 * than a config field: callers initialise the config positionally.) */
void http_client_follow_redirects(struct http_client *c, int follow);

/* Proxy settings for this client (borrowed; NULL: always direct, whatever
 * HTTPS_PROXY says: instance metadata and container credentials), replacing
 * the run's (proxy_env_default(), which every new client starts with; a
 * setter for the reason given above). A request to a host the settings send
 * through a proxy opens its connection as a CONNECT tunnel through it
 * (proxy.h); the request's deadline bounds the tunnel request too. */
struct proxy_env;
void http_client_set_proxy(struct http_client *c, const struct proxy_env *pe);

/* Sends one request and reads the whole response (or returns the answer
 * http_prefetch kept for this method and URL). hdrs are extra headers
 * (Host, Content-Length and Connection are added). Any HTTP status counts as
 * success (0); -1 means no complete response (err_set "METHOD host path: why"),
 * with resp->fail and resp->sent describing the failure.
 * Deadline: the whole call (connects, handshakes, redirects included) ends
 * within connect_timeout_ms + io_timeout_ms; sending the request and reading
 * its whole response take at most io_timeout_ms.
 * Keep-alive: before reuse, an idle connection the server has closed is
 * replaced by a fresh one. A GET or HEAD that fails on a reused connection
 * before any response byte is sent once more on a fresh connection; any
 * other method is never sent twice: -1 with sent = 1 (outcome unknown). */
int http_request(struct http_client *c, const char *method, const char *url,
    const struct http_header *hdrs, size_t nhdrs, const void *body,
    size_t body_len, struct http_response *resp);
/* Several requests at once (http_run). The inputs are borrowed until
 * http_run returns; the outputs are the job's. */
struct http_job {
	struct http_client *client;
	const char *method;
	const char *url;
	const struct http_header *hdrs;
	size_t nhdrs;
	const void *body;
	size_t body_len;
	int readonly;              /* 1: a POST (or other) that changes
	                              nothing (Vault's sys/capabilities-self):
	                              replayable as GET and HEAD are */
	/* out */
	int rc;                    /* 0: a complete response in resp (caller
	                              frees); -1: resp.fail and resp.sent say
	                              how it failed, err what happened */
	struct http_response resp;
	char err[1024];            /* as http_request would err_set it */
	long long done_ms;         /* CLOCK_MONOTONIC ms when it ended */
};
/* Runs every job as http_request would, together, in one poll() loop (no
 * threads): jobs for different servers overlap (connect, TLS handshake,
 * request and response); jobs for the same server (client + scheme + host
 * + port) share its one kept-alive connection, requests going out in array
 * order. Replayable jobs (GET, HEAD, readonly) are pipelined: each is sent
 * as soon as the connection is open and every request before it on it is
 * replayable and fully sent; the answers are read in order. A changing job
 * waits until the connection is idle and nothing is sent behind it. When
 * the connection fails or closes under pipelined requests, each that got
 * no byte of its answer is sent once more on a fresh connection (the one
 * mid-answer fails), and the client pipelines to that server no more.
 * Each job has its own deadlines, as http_request: a dead or slow server
 * delays only its own jobs (and the return), a malformed reply fails only
 * its job (and the requests pipelined behind it go again). A stop request (net_set_interrupt) ends every unfinished job
 * within 100 ms. A proxy tunnel is opened waiting, at the job's turn.
 * Redirects (the job waits again for its new server), keep-alive reuse and
 * the one re-send of a replayable job on a fresh connection follow
 * http_request's rules; a changing request is never sent twice. The
 * client's http_last_* reflect the last job that ended on it. Returns the
 * number of jobs that failed (0: all answered). */
int http_run(struct http_job *jobs, size_t n);

/* Fetching ahead: runs jobs (GET, HEAD and readonly ones only: -1
 * otherwise, nothing sent) with http_run and keeps each result in its
 * client for the http_request with the same method, URL and body bytes
 * that follows, which then
 * returns it (the response, or the failure with its message and kind)
 * without sending anything, as though it had made that exchange itself;
 * its caller's retry policy goes on from there. The job must carry the
 * headers that call would send. A kept result serves one call; a request
 * with no kept result drops the others kept for its server (the calls went
 * another way), a new http_prefetch drops those of its servers (no answer
 * older than the last fetch is ever served), and http_forget drops all. Returns http_run's count; the
 * jobs' resp fields are moved into the client. */
int http_prefetch(struct http_job *jobs, size_t n);
void http_forget(struct http_client *c); /* NULL-safe */
/* Drops only what is kept for url's server (NULL-safe). */
void http_forget_url(struct http_client *c, const char *url);
/* Keeps the outcomes of jobs that have run (http_run) in their clients as
 * http_prefetch does; the jobs' resp fields are moved. */
void http_keep(struct http_job *jobs, size_t n);

/* Reads that ride along: before each exchange http_request makes (not one
 * a kept answer serves), add may put up to HTTP_RIDERS replayable jobs for
 * OTHER clients' servers in out and return how many; they run in the same
 * http_run (so that request returns when they end too: each has its own
 * deadlines), then done gets them with their outcomes and frees their
 * responses. A rider's own callbacks never get riders. */
#define HTTP_RIDERS 2
struct http_rider {
	size_t (*add)(void *ctx, const struct http_client *c,
	    const char *method, const char *url, struct http_job *out);
	void (*done)(void *ctx, struct http_job *jobs, size_t n);
	void *ctx;
};
void http_set_rider(const struct http_rider *r); /* borrowed; NULL: none */

/* Older view of the last call's failure, kept for callers not yet using
 * resp->fail/resp->sent: CONN_* kind (protocol errors report CONN_E_IO),
 * 1 when the reply was malformed (HTTP_E_PROTO), and resp->sent. */
enum conn_err http_last_error(const struct http_client *c);
int http_last_proto_error(const struct http_client *c);
int http_last_sent(const struct http_client *c);
/* Per-host counters (for --verbose and make bench); returns count, fills up to max. */
size_t http_client_stats(const struct http_client *c, struct http_stats *out, size_t max);

#endif
