/* handler.h - what each endpoint file of the mock implements, and what it
 * works with: the parsed request (hreq.c), the response being built, and
 * the handlers srv.c calls for the Vault, Route 53 and IMDS listeners
 * (with M.mu held; state.h). */
#ifndef VAULTDR_MOCK_HANDLER_H
#define VAULTDR_MOCK_HANDLER_H
#include <stddef.h>

#include "buf.h"
#include "h1.h"

struct json;

/* One parsed request (mock/hreq.c). Strings point into `raw` or are owned. */
struct mreq {
	char *raw;        /* owned copy of the header section */
	char *method;     /* "GET" ... */
	char *target;     /* raw request target, e.g. "/v1/x?y=1" (owned) */
	char *path;       /* target up to '?' (owned) */
	char *query;      /* after '?', "" if none (owned) */
	struct http_header *hdrs; /* owned array; names/values point into raw */
	size_t nhdrs;
	struct buf body;  /* NUL-terminated; data may be NULL when empty */
	int minor;        /* HTTP/1.<minor> */
	int keep_alive;
};
const char *mreq_header(const struct mreq *q, const char *name);
/* First query parameter `name`, percent-decoded into out (truncated to
 * outsz); plus_space: '+' means ' ' (Go form decoding, as Vault does) rather
 * than itself (AWS). 1 found, 0 absent. */
int mreq_query_param(const struct mreq *q, const char *name, char *out,
    size_t outsz, int plus_space);
void mreq_free(struct mreq *q);
/* Value of "key=" among the parameters a of an Authorization header
 * ("Credential=..., SignedHeaders=..., Signature=..."), up to ',' or ' ',
 * copied into out. 0 / -1 (absent or longer than outsz - 1). */
int mreq_auth_param(const char *a, const char *key, char *out, size_t outsz);

/* Buffered reader over a connection (or any byte source, for fuzzing). */
typedef long (*hreq_read_fn)(void *ctx, void *buf, size_t n);
typedef int (*hreq_write_fn)(void *ctx, const void *buf, size_t n);
struct hreader {
	hreq_read_fn rd;
	hreq_write_fn wr; /* for "100 Continue"; may be NULL */
	void *ctx;
	char *buf;
	size_t len, off, cap;
};
/* Reads one request. 1 = request in q; 0 = clean EOF before a request;
 * -1 = bad request (*status = 400/413/431/501/505, why filled);
 * -2 = I/O error or EOF mid-request. q is always left freeable. */
int hreq_read(struct hreader *r, struct mreq *q, int *status, char *why,
    size_t whysz);
void hreader_free(struct hreader *r);
/* Reads what the connection has (one read; it may wait for the rest of a
 * TLS record) into r ahead of hreq_read, to see when bytes arrive: >0
 * bytes, 0 EOF, <0 error or 64 KiB unread already. */
long hreq_fill(struct hreader *r);

/* A response being built by a handler. */
struct mresp {
	int status;
	const char *ctype; /* NULL = none */
	struct buf hdrs;   /* extra "Name: value\r\n" lines */
	struct buf body;
};
void mresp_free(struct mresp *r);
/* Vault style error body {"errors":[msg]} (msg NULL = empty list). */
void mresp_vault_error(struct mresp *r, int status, const char *msg);
/* Vault logical envelope around data_json ("null" or an object). */
void mresp_vault_ok(struct mresp *r, const char *data_json,
    const char *wrap_json, const char *warning);

/* --- handlers, lock held --- */
void mv_handle(int cluster, const struct mreq *q, struct mresp *r);
void mr53_handle(const struct mreq *q, struct mresp *r);
void mimds_handle(const struct mreq *q, struct mresp *r);
/* Plain text IMDS error body for status. */
void mimds_error(struct mresp *r, int status);
/* Route 53 error XML (ErrorResponse shape). */
void mr53_error(struct mresp *r, int status, const char *code, const char *msg);

/* --- STS + SSO portal (mock/sts.c, on the Route 53 listener) and container
 * credentials (mock/ecs.c, on the IMDS listener) --- */
/* Scenario keys they own ("sts.role_arn", ...): 1 allowed. */
int msts_key_allowed(const char *path);
int mecs_key_allowed(const char *path);
/* Reads their scenario sections (j NULL = defaults only), after route53.
 * 0 / -1 (why). */
int msts_load(const struct json *j, char *why, size_t whysz);
int mecs_load(const struct json *j, char *why, size_t whysz);
/* 1 = the request was theirs and r holds the answer; 0 = not theirs. Lock
 * held. */
int msts_handle(const struct mreq *q, struct mresp *r);
int mecs_handle(const struct mreq *q, struct mresp *r);

/* --- performance replication (mock/mperf.c, scenario "performance") --- */
int mperf_key_allowed(const char *path);
int mperf_load(const struct json *j, char *why, size_t whysz);
/* sys/replication/performance/status data of cluster i into b. */
void mperf_status(int i, struct buf *b);
/* replication_performance_mode of cluster i: "primary" or "disabled". */
const char *mperf_mode(int i);
/* A DR promote / demote of cluster i: performance secondaries connected to
 * a demoted cluster disconnect; those set to reconnect follow a promoted
 * one (after their delay). */
void mperf_on_promote(int i);
void mperf_on_demote(int i);
struct json_writer;
/* The state dump's "performance" object. */
void mperf_state_json(struct json_writer *w);

#endif
