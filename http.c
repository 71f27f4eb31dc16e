/* http.c - HTTP/1.1 client (URLs: url.c): strict response framing, limits,
 * keep-alive per scheme+host+port, 307/308 redirects.
 *
 * The response parser reads through a callback and a fixed buffer, takes
 * lengths from the wire only after checking them against the limits, and is
 * also the fuzz target: malformed input is an error, never a crash. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "h1.h"
#include "http.h"
#include "log.h"
#include "proxy.h"

#ifndef VAULTDR_VERSION
#define VAULTDR_VERSION "dev"
#endif

#define MAX_CHUNK_LINE 4096
#define MAX_1XX 16

/* ---- response parsing -------------------------------------------------- */

struct reader {
	http_read_fn rd;
	void *ctx;
	char buf[16384];
	size_t pos, len;
	int eof;
	size_t total;     /* bytes received */
	int proto;        /* the failure was a malformed reply */
	size_t hdr_bytes; /* header section budget used */
	size_t want;      /* total bytes the message needs, once its
	                     Content-Length is known (http_run's hint) */
};

/* Refills the buffer: 1 data, 0 EOF, -1 error (already err_set). */
static int
rfill(struct reader *rb)
{
	long n;

	if (rb->pos < rb->len)
		return 1;
	if (rb->eof)
		return 0;
	rb->pos = rb->len = 0;
	n = rb->rd(rb->ctx, rb->buf, sizeof(rb->buf));
	if (n < 0) {
		if (err_get()[0] == '\0')
			err_set("read error");
		return -1;
	}
	if (n == 0) {
		rb->eof = 1;
		return 0;
	}
	if ((size_t)n > sizeof(rb->buf))
		n = sizeof(rb->buf); /* a broken callback; never trust it */
	rb->len = (size_t)n;
	rb->total += (size_t)n;
	return 1;
}

static int
proto_err(struct reader *rb, const char *msg)
{
	rb->proto = 1;
	err_set("%s", msg);
	return -1;
}

/* Reads one line (CRLF or LF) into out (NUL-terminated, terminator
 * removed), counting against limit. Returns length, or -1. Bare CR and NUL
 * are rejected. */
static long
rline(struct reader *rb, struct buf *out, size_t limit, const char *toolong)
{
	int r, cr = 0;
	char ch;

	out->len = 0;
	if (out->data)
		out->data[0] = '\0';
	for (;;) {
		if ((r = rfill(rb)) <= 0) {
			if (r == 0)
				err_set(rb->total == 0 ?
				    "connection closed before any response" :
				    "connection closed in the middle of the "
				    "response");
			return -1;
		}
		ch = rb->buf[rb->pos++];
		if (++rb->hdr_bytes > limit)
			return proto_err(rb, toolong);
		if (cr && ch != '\n')
			return proto_err(rb, "bare CR in response header");
		if (ch == '\r') {
			cr = 1;
			continue;
		}
		if (ch == '\n')
			break;
		if (ch == '\0')
			return proto_err(rb, "NUL byte in response header");
		if (buf_append(out, &ch, 1) == -1)
			return -1;
	}
	if (out->data == NULL && buf_append(out, "", 0) == -1)
		return -1;
	return (long)out->len;
}

static void
hdrs_free(struct http_header *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		if (h[i].value) {
			explicit_bzero(h[i].value, strlen(h[i].value));
			free(h[i].value);
		}
	}
	free(h);
}

/* Parses "Name: value" into an owned header. */
static int
parse_header(struct reader *rb, const char *line, size_t len,
    struct http_header *h)
{
	struct h1_field f;
	const char *why;

	if (h1_field(line, len, &f, &why) == -1)
		return proto_err(rb, why);
	h->name = strndup(f.name, f.name_len);
	h->value = strndup(f.value, f.value_len);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		h->name = h->value = NULL;
		err_set("out of memory");
		return -1;
	}
	return 0;
}

/* Reads exactly n body bytes into body. */
static int
rbody(struct reader *rb, struct buf *body, size_t n, size_t want_total)
{
	size_t take;
	int r;

	while (n > 0) {
		if ((r = rfill(rb)) <= 0) {
			if (r == 0) {
				rb->proto = 0;
				err_set("body truncated after %zu of %zu bytes",
				    body->len, want_total);
			}
			return -1;
		}
		take = rb->len - rb->pos;
		if (take > n)
			take = n;
		if (buf_append(body, rb->buf + rb->pos, take) == -1)
			return -1;
		rb->pos += take;
		n -= take;
	}
	return 0;
}

/* The chunked decoder's source: lines and bytes from the reader, each
 * line within its own limit. */
struct chunk_src {
	struct reader *rb;
	struct buf *line;
	int in_trailer; /* the trailer budget is shared by all its lines */
};

static int
chunk_line(void *ctx, enum h1_line_kind kind, const char **line, size_t *len)
{
	struct chunk_src *cs = ctx;
	long n;

	if (kind == H1_LINE_SIZE) {
		cs->rb->hdr_bytes = 0;
		n = rline(cs->rb, cs->line, MAX_CHUNK_LINE,
		    "chunk size line too long");
	} else if (kind == H1_LINE_DATA_END) {
		cs->rb->hdr_bytes = 0;
		n = rline(cs->rb, cs->line, 2, "missing CRLF after chunk data");
	} else {
		if (!cs->in_trailer)
			cs->rb->hdr_bytes = 0;
		cs->in_trailer = 1;
		n = rline(cs->rb, cs->line, HTTP_MAX_HEADER_BYTES,
		    "trailer section larger than 64 KiB");
	}
	if (n < 0)
		return -1;
	*line = cs->line->data;
	*len = (size_t)n;
	return 0;
}

static int
chunk_data(void *ctx, struct buf *body, size_t n)
{
	struct chunk_src *cs = ctx;

	if (rbody(cs->rb, body, n, body->len + n) == -1) {
		if (cs->rb->eof)
			err_set("chunked body truncated after %zu bytes",
			    body->len);
		return -1;
	}
	return 0;
}

static int
parse_chunked(struct reader *rb, struct buf *body, struct buf *line)
{
	struct chunk_src cs = { rb, line, 0 };
	struct h1_chunk_src src = { chunk_line, chunk_data, &cs };
	enum h1_chunk_err e;

	e = h1_chunked(&src, body, HTTP_MAX_BODY);
	if (e == H1_CHUNK_OK)
		return 0;
	if (e == H1_CHUNK_IO)
		return -1;
	return proto_err(rb, h1_chunk_msg(e));
}

/* The status line and header section of the final response (1xx ones
 * are read and dropped) into *h / *nh (the caller frees them, also on
 * failure). The status, or -1 (err_set). */
static int
read_head(struct reader *rb, struct buf *line, struct http_header **h,
    size_t *nh, int *minor)
{
	struct http_header *tmp;
	size_t caph = 0;
	int status, n1xx = 0;
	long n;

	for (;;) {
		if ((n = rline(rb, line, HTTP_MAX_HEADER_BYTES,
		    "header section larger than 64 KiB")) < 0)
			return -1;
		if ((status = h1_status_line(line->data, (size_t)n, minor)) < 0) {
			proto_err(rb, "bad status line");
			return -1;
		}
		for (;;) {
			if ((n = rline(rb, line, HTTP_MAX_HEADER_BYTES,
			    "header section larger than 64 KiB")) < 0)
				return -1;
			if (n == 0)
				break;
			if (*nh == caph) {
				caph = caph ? caph * 2 : 16;
				tmp = realloc(*h, caph * sizeof(**h));
				if (tmp == NULL) {
					err_set("out of memory");
					return -1;
				}
				*h = tmp;
			}
			if (parse_header(rb, line->data, (size_t)n,
			    &(*h)[*nh]) == -1)
				return -1;
			(*nh)++;
		}
		if (status >= 200)
			return status;
		if (status == 101) {
			proto_err(rb, "unexpected 101 Switching Protocols");
			return -1;
		}
		if (++n1xx > MAX_1XX) {
			proto_err(rb, "too many 1xx responses");
			return -1;
		}
		hdrs_free(*h, *nh); /* informational: dropped */
		*h = NULL;
		*nh = caph = 0;
	}
}

/* How the body is delimited: Transfer-Encoding (chunked only) into *te,
 * Content-Length into *cl and *clen; at most one of each, never both.
 * 0 / -1 (err_set). */
static int
framing(struct reader *rb, const struct http_header *h, size_t nh,
    const char **te, const char **cl, unsigned long long *clen)
{
	size_t i;

	for (i = 0; i < nh; i++) {
		if (strcasecmp(h[i].name, "Transfer-Encoding") == 0) {
			if (*te != NULL) {
				proto_err(rb, "duplicate Transfer-Encoding");
				return -1;
			}
			*te = h[i].value;
		} else if (strcasecmp(h[i].name, "Content-Length") == 0) {
			if (*cl != NULL) {
				proto_err(rb, "duplicate Content-Length");
				return -1;
			}
			*cl = h[i].value;
		}
	}
	if (*te != NULL && strcasecmp(*te, "chunked") != 0) {
		proto_err(rb, "unsupported Transfer-Encoding");
		return -1;
	}
	if (*te != NULL && *cl != NULL) {
		proto_err(rb, "both Transfer-Encoding and Content-Length");
		return -1;
	}
	if (*cl != NULL && h1_content_length(*cl, clen) != 0) {
		proto_err(rb, "bad Content-Length");
		return -1;
	}
	return 0;
}

/* A body delimited by the server closing the connection, into body (at
 * most HTTP_MAX_BODY). 0 / -1 (err_set). */
static int
read_to_close(struct reader *rb, struct buf *body)
{
	for (;;) {
		int rr = rfill(rb);
		if (rr < 0)
			return -1;
		if (rr == 0)
			return 0;
		if (body->len + (rb->len - rb->pos) > HTTP_MAX_BODY) {
			proto_err(rb, "body larger than 8 MiB");
			return -1;
		}
		if (buf_append(body, rb->buf + rb->pos, rb->len - rb->pos) ==
		    -1)
			return -1;
		rb->pos = rb->len;
	}
}

static int
parse_response(struct reader *rb, int is_head, struct http_response *r)
{
	struct buf line = { 0 }, body = { 0 };
	struct http_header *h = NULL;
	size_t nh = 0;
	unsigned long long clen = 0;
	const char *te = NULL, *cl = NULL;
	int status, minor = 1;

	memset(r, 0, sizeof(*r));
	rb->hdr_bytes = 0;
	if ((status = read_head(rb, &line, &h, &nh, &minor)) < 0 ||
	    framing(rb, h, nh, &te, &cl, &clen) == -1)
		goto fail;
	r->status = status;
	r->keep_alive = h1_keep_alive(minor, h, nh);

	if (is_head || status == 204 || status == 304) {
		/* no body, whatever the headers say */
	} else if (te != NULL) {
		if (parse_chunked(rb, &body, &line) == -1)
			goto fail;
	} else if (cl != NULL) {
		if (clen > HTTP_MAX_BODY) {
			proto_err(rb, "body larger than 8 MiB");
			goto fail;
		}
		rb->want = rb->total - (rb->len - rb->pos) + (size_t)clen;
		if (rbody(rb, &body, (size_t)clen, (size_t)clen) == -1)
			goto fail;
	} else {
		/* Delimited by the server closing the connection. */
		r->keep_alive = 0;
		if (read_to_close(rb, &body) == -1)
			goto fail;
	}
	r->body_len = body.len;
	if ((r->body = buf_take(&body)) == NULL)
		goto fail;
	r->hdrs = h;
	r->nhdrs = nh;
	buf_free(&line);
	return 0;
fail:
	buf_free(&line);
	buf_free(&body);
	hdrs_free(h, nh);
	memset(r, 0, sizeof(*r));
	return -1;
}

/* Reads one response through rd; r's fields are owned by the caller
 * (http_response_free). 0 / -1 with err_set; r is zeroed on failure. */
int
http_parse_response(http_read_fn rd, void *ctx, int is_head,
    struct http_response *r)
{
	struct reader *rb;
	int rc;

	if ((rb = calloc(1, sizeof(*rb))) == NULL) {
		err_set("out of memory");
		memset(r, 0, sizeof(*r));
		return -1;
	}
	rb->rd = rd;
	rb->ctx = ctx;
	rc = parse_response(rb, is_head, r);
	explicit_bzero(rb, sizeof(*rb));
	free(rb);
	return rc;
}

const char *
http_resp_header(const struct http_response *r, const char *name)
{
	return h1_header(r->hdrs, r->nhdrs, name);
}

/* Wipes the body, frees headers and body, zeroes r. NULL-safe. */
void
http_response_free(struct http_response *r)
{
	if (r == NULL)
		return;
	hdrs_free(r->hdrs, r->nhdrs);
	if (r->body) {
		explicit_bzero(r->body, r->body_len);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- client ----------------------------------------------------------- */

struct slot {
	int tls;
	char host[256];
	int port;
	struct http_stats st;
	struct conn *c;
	unsigned gen;     /* bumped for each new connection */
	unsigned seq;     /* requests put on the wire, in order */
	struct buf carry; /* bytes read past the last answer: the start of
	                     the next pipelined one (wiped) */
	int nopipe;       /* it closed under pipelined requests: no more */
};

struct http_client {
	struct http_client_config cfg;
	int follow_redirects;
	const struct proxy_env *proxy; /* NULL: always direct */
	struct slot *slots;
	size_t nslots;
	enum conn_err last_err;
	int last_proto;
	int last_sent;
	struct kept *kept; /* http_prefetch's answers, not yet asked for */
};

/* An answer fetched ahead for the http_request with this method and URL. */
struct kept {
	char *method, *url;
	char *body;        /* a copy of the request body (wiped), or NULL */
	size_t body_len;
	struct url u;      /* its server (scheme, host, port) */
	int rc;
	struct http_response resp;
	char err[1024];
	enum conn_err last_err;
	int last_proto;
	struct kept *next;
};

static void slot_close(struct slot *s);

/* cfg is copied; cfg->tls stays borrowed. Caller frees. NULL on ENOMEM. */
struct http_client *
http_client_new(const struct http_client_config *cfg)
{
	struct http_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->proxy = proxy_env_default();
	return c;
}

void
http_client_set_proxy(struct http_client *c, const struct proxy_env *pe)
{
	c->proxy = pe;
}

void
http_client_follow_redirects(struct http_client *c, int follow)
{
	c->follow_redirects = follow != 0;
}

/* Closes every kept connection and frees. NULL-safe. */
void
http_client_free(struct http_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	http_forget(c);
	for (i = 0; i < c->nslots; i++)
		slot_close(&c->slots[i]);
	free(c->slots);
	free(c);
}

enum conn_err
http_last_error(const struct http_client *c)
{
	return c->last_err;
}

int
http_last_proto_error(const struct http_client *c)
{
	return c->last_proto;
}

int
http_last_sent(const struct http_client *c)
{
	return c->last_sent;
}

size_t
http_client_stats(const struct http_client *c, struct http_stats *out,
    size_t max)
{
	size_t i;

	for (i = 0; i < c->nslots && i < max; i++)
		out[i] = c->slots[i].st;
	return c->nslots;
}

static struct slot *
slot_get(struct http_client *c, const struct url *u)
{
	struct slot *s;
	size_t i;

	for (i = 0; i < c->nslots; i++) {
		s = &c->slots[i];
		if (s->tls == u->tls && s->port == u->port &&
		    strcasecmp(s->host, u->host) == 0)
			return s;
	}
	if ((s = realloc(c->slots, (c->nslots + 1) * sizeof(*s))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	c->slots = s;
	s = &c->slots[c->nslots++];
	memset(s, 0, sizeof(*s));
	s->tls = u->tls;
	s->port = u->port;
	snprintf(s->host, sizeof(s->host), "%s", u->host);
	memcpy(s->st.hostport, u->hostport, sizeof(s->st.hostport));
	return s;
}

/* Closes the slot's connection, dropping what was read past an answer. */
static void
slot_close(struct slot *s)
{
	conn_close(s->c);
	s->c = NULL;
	buf_free(&s->carry);
}

/* An idle connection that is readable was closed by the server (or sent
 * junk): either way it cannot carry the next request. */
static int
idle_usable(struct conn *cn)
{
	struct pollfd pfd = { conn_fd(cn), POLLIN, 0 };

	return poll(&pfd, 1, 0) == 0;
}

static int
hdr_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return 0;
	return 1;
}

/* Builds the request bytes. 0 / -1. */
static int
build_request(struct buf *b, const char *method, const struct url *u,
    const struct http_header *hdrs, size_t nhdrs, const void *body,
    size_t body_len)
{
	size_t i;

	if (buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: vaultdr/%s\r\n", method, u->target, u->hostport,
	    VAULTDR_VERSION) == -1)
		return -1;
	for (i = 0; i < nhdrs; i++) {
		if (strcasecmp(hdrs[i].name, "Host") == 0 ||
		    strcasecmp(hdrs[i].name, "Content-Length") == 0 ||
		    strcasecmp(hdrs[i].name, "Connection") == 0 ||
		    strcasecmp(hdrs[i].name, "Transfer-Encoding") == 0 ||
		    strcasecmp(hdrs[i].name, "User-Agent") == 0)
			continue;
		/* Values may be secrets (X-Vault-Token): buf_append only. */
		if (buf_puts(b, hdrs[i].name) == -1 ||
		    buf_append(b, ": ", 2) == -1 ||
		    buf_append(b, hdrs[i].value, strlen(hdrs[i].value)) ==
		    -1 || buf_append(b, "\r\n", 2) == -1)
			return -1;
	}
	if ((body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) &&
	    buf_printf(b, "Content-Length: %zu\r\n", body ? body_len : 0) ==
	    -1)
		return -1;
	if (buf_puts(b, "Connection: keep-alive\r\n\r\n") == -1)
		return -1;
	if (body != NULL && body_len > 0 &&
	    buf_append(b, body, body_len) == -1)
		return -1;
	return 0;
}

/* One call's outcome and deadline, filled as it goes. */
struct call {
	int64_t deadline;  /* CLOCK_MONOTONIC ms: the whole http_request */
	enum http_fail fail;
	int sent;          /* request bytes may have reached a server */
};

/* Milliseconds before the call's deadline, capped at cap, at least 0. */
static int
budget(const struct call *k, int cap)
{
	int64_t left = k->deadline - conn_now_ms();

	if (left <= 0)
		return 0;
	return left < cap ? (int)left : cap;
}

/* GET and HEAD change nothing: they may be sent again. */
static int
is_safe(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* Connection setup failures: nothing was sent. */
static enum http_fail
connect_fail(enum conn_err e)
{
	switch (e) {
	case CONN_E_TLS: return HTTP_E_TLS;
	case CONN_E_CONFIG: return HTTP_E_CONFIG;
	default: return HTTP_E_CONNECT;
	}
}

/* A new connection for u: direct, or a CONNECT tunnel through the proxy
 * the client's settings name for u's host (then TLS to u's host inside it),
 * the tunnel request and handshake bounded by the call's io budget. NULL
 * with err_set and *ce. */
static struct conn *
open_conn(struct http_client *c, const struct call *k, const struct url *u,
    enum conn_err *ce)
{
	const struct proxy *p = NULL;
	struct conn *cn;

	if (c->proxy != NULL && c->proxy->error[0] != '\0') {
		err_set("%s", c->proxy->error);
		*ce = CONN_E_CONFIG;
		return NULL;
	}
	if (c->proxy != NULL)
		p = proxy_for(c->proxy, u->tls, u->host);
	if (p == NULL)
		return conn_connect(u->host, u->port,
		    u->tls ? c->cfg.tls : NULL,
		    budget(k, c->cfg.connect_timeout_ms),
		    budget(k, c->cfg.io_timeout_ms), ce);
	cn = conn_connect(p->host, p->port, NULL,
	    budget(k, c->cfg.connect_timeout_ms),
	    budget(k, c->cfg.io_timeout_ms), ce);
	if (cn == NULL) {
		err_prefix("proxy %s (%s)", p->shown, p->var);
		return NULL;
	}
	conn_set_deadline(cn, budget(k, c->cfg.io_timeout_ms));
	if (proxy_tunnel(cn, p, u->host, u->port, ce) == -1) {
		conn_close(cn);
		return NULL;
	}
	if (c->cfg.verbose)
		log_verbose("CONNECT %s:%d via proxy %s -> tunnel open",
		    u->host, u->port, p->shown);
	if (u->tls && conn_start_tls(cn, u->host, u->port, c->cfg.tls) ==
	    -1) {
		*ce = conn_error(cn);
		if (*ce == CONN_OK)
			*ce = CONN_E_TLS;
		err_prefix("via proxy %s", p->shown);
		conn_close(cn);
		return NULL;
	}
	conn_set_deadline(cn, -1);
	*ce = CONN_OK;
	return cn;
}

/* Resolves a Location against the current URL. Only https targets are
 * followed (never a downgrade, never plain http). 0 / -1 (err_set). */
static int
redirect_target(const struct url *cur, const char *loc, struct url *next)
{
	struct buf b = { 0 };
	int rc;

	if (loc[0] == '/' && loc[1] != '/') {
		if (buf_printf(&b, "%s://%s%s", cur->tls ? "https" : "http",
		    cur->hostport, loc) == -1)
			return -1;
		rc = url_parse(b.data, next);
		buf_free(&b);
	} else {
		rc = url_parse(loc, next);
	}
	if (rc == -1)
		return -1;
	if (!next->tls) {
		err_set("redirect to http://%s refused (only https redirects "
		    "are followed)", next->hostport);
		url_free(next);
		return -1;
	}
	return 0;
}

/* "path" without the query, for messages: queries may carry secrets. */
static void
path_only(const struct url *u, char *out, size_t outsz)
{
	size_t n = strcspn(u->target, "?");

	snprintf(out, outsz, "%.*s", (int)n, u->target);
}

/* Records the call's outcome in the client (http_last_*) and, on failure,
 * in an otherwise empty resp. */
static void
finish(struct http_client *c, const struct call *k, int rc,
    struct http_response *resp)
{
	if (rc == -1) {
		http_response_free(resp);
		if (k->fail == HTTP_E_PROTO)
			c->last_proto = 1;
		if (c->last_err == CONN_OK)
			c->last_err = k->fail == HTTP_E_CONFIG ? CONN_E_CONFIG :
			    CONN_E_IO;
	}
	resp->fail = rc == 0 ? HTTP_OK : k->fail;
	resp->sent = k->sent;
	c->last_sent = k->sent;
}

static void
kept_free(struct kept *k)
{
	http_response_free(&k->resp);
	if (k->body)
		explicit_bzero(k->body, k->body_len);
	free(k->body);
	free(k->method);
	free(k->url);
	url_free(&k->u);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

void
http_forget(struct http_client *c)
{
	struct kept *k;

	if (c == NULL)
		return;
	while ((k = c->kept) != NULL) {
		c->kept = k->next;
		kept_free(k);
	}
}

static int
same_server(const struct url *a, const struct url *b)
{
	return a->tls == b->tls && a->port == b->port &&
	    strcasecmp(a->host, b->host) == 0;
}

/* Drops the answers kept for url's server. */
static void
drop_server(struct http_client *c, const char *url)
{
	struct kept **pp, *k;
	struct url u;

	if (c->kept == NULL || url_parse(url, &u) == -1)
		return;
	for (pp = &c->kept; (k = *pp) != NULL;) {
		if (same_server(&k->u, &u)) {
			*pp = k->next;
			kept_free(k);
		} else
			pp = &k->next;
	}
	url_free(&u);
}

void
http_forget_url(struct http_client *c, const char *url)
{
	if (c != NULL)
		drop_server(c, url);
}

/* The kept answer for method, URL and body, if any: 1 with *resp and *rc (and
 * err_set on -1) as the exchange itself gave them, used up. A request with
 * no kept answer drops the others kept for its server: the calls have gone
 * another way than the prefetch foresaw, and an old answer must not serve
 * a later read. 0 when none. */
static int
take_kept(struct http_client *c, const char *method, const char *url,
    const void *body, size_t body_len, struct http_response *resp, int *rc)
{
	struct kept **pp, *k;

	for (pp = &c->kept; (k = *pp) != NULL; pp = &k->next) {
		if (strcmp(k->method, method) != 0 || strcmp(k->url, url) != 0 ||
		    k->body_len != body_len ||
		    (body_len && memcmp(k->body, body, body_len) != 0))
			continue;
		*pp = k->next;
		*resp = k->resp;
		memset(&k->resp, 0, sizeof(k->resp));
		*rc = k->rc;
		c->last_err = k->last_err;
		c->last_proto = k->last_proto;
		c->last_sent = resp->sent;
		if (k->rc == -1)
			err_set("%s", k->err);
		kept_free(k);
		return 1;
	}
	drop_server(c, url);
	return 0;
}

int
http_prefetch(struct http_job *jobs, size_t n)
{
	size_t i;
	int failed;

	for (i = 0; i < n; i++) {
		if (!is_safe(jobs[i].method) && !jobs[i].readonly) {
			err_set("%s %s: only reads are fetched ahead",
			    jobs[i].method, jobs[i].url);
			return -1;
		}
	}
	/* A new fetch supersedes what an earlier one kept for its servers
	 * (answers a call did not take, such as the second cluster's when
	 * reading the first failed): never an older answer. */
	for (i = 0; i < n; i++)
		drop_server(jobs[i].client, jobs[i].url);
	failed = http_run(jobs, n);
	http_keep(jobs, n);
	return failed;
}

void
http_keep(struct http_job *jobs, size_t n)
{
	struct http_client *c;
	struct kept *k, **tail;
	size_t i;

	for (i = 0; i < n; i++) {
		c = jobs[i].client;
		if ((k = calloc(1, sizeof(*k))) == NULL ||
		    (k->method = strdup(jobs[i].method)) == NULL ||
		    (k->url = strdup(jobs[i].url)) == NULL ||
		    (jobs[i].body_len && (k->body = malloc(jobs[i].body_len)) ==
		    NULL) || url_parse(k->url, &k->u) == -1) {
			if (k != NULL)
				kept_free(k);
			http_response_free(&jobs[i].resp);
			continue; /* not kept: that read goes out again */
		}
		if (k->body)
			memcpy(k->body, jobs[i].body, jobs[i].body_len);
		k->body_len = jobs[i].body_len;
		k->rc = jobs[i].rc;
		k->resp = jobs[i].resp;
		memset(&jobs[i].resp, 0, sizeof(jobs[i].resp));
		memcpy(k->err, jobs[i].err, sizeof(k->err));
		k->last_err = k->rc == 0 ? CONN_OK :
		    k->resp.fail == HTTP_E_TIMEOUT ? CONN_E_TIMEOUT :
		    k->resp.fail == HTTP_E_TLS ? CONN_E_TLS :
		    k->resp.fail == HTTP_E_CONFIG ? CONN_E_CONFIG :
		    k->resp.fail == HTTP_E_CONNECT ? CONN_E_CONNECT : CONN_E_IO;
		k->last_proto = k->resp.fail == HTTP_E_PROTO;
		for (tail = &c->kept; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = k;
	}
}

static const struct http_rider *rider;

void
http_set_rider(const struct http_rider *r)
{
	rider = r;
}

/* One request: a job of its own in http_run. resp owned by the caller on
 * success (0). -1: err_set "METHOD host path: why", resp->fail/sent (and
 * last_*) describe the failure. */
int
http_request(struct http_client *c, const char *method, const char *url,
    const struct http_header *hdrs, size_t nhdrs, const void *body,
    size_t body_len, struct http_response *resp)
{
	const struct http_rider *r = rider;
	struct http_job j[1 + HTTP_RIDERS];
	size_t nr = 0;
	int rc;

	if (take_kept(c, method, url, body, body_len, resp, &rc) == 1)
		return rc;
	memset(j, 0, sizeof(j));
	j[0].client = c;
	j[0].method = method;
	j[0].url = url;
	j[0].hdrs = hdrs;
	j[0].nhdrs = nhdrs;
	j[0].body = body;
	j[0].body_len = body_len;
	rider = NULL; /* the rider's callbacks get none */
	if (r != NULL)
		nr = r->add(r->ctx, c, method, url, j + 1);
	(void)http_run(j, 1 + nr);
	if (r != NULL)
		r->done(r->ctx, j + 1, nr);
	rider = r;
	*resp = j[0].resp;
	if (j[0].rc == -1)
		err_set("%s", j[0].err);
	return j[0].rc;
}

/* ---- many requests at once: one poll() loop ------------------------------
 *
 * Each job goes through explicit phases on its server's slot: waiting
 * (another job holds the slot's one connection), dialling (a non-blocking
 * TCP connect), the TLS handshake, sending, receiving. Replayable requests
 * are pipelined: one goes out while those before it on the connection wait
 * for their answers, which only the oldest (the head, lowest seq) reads;
 * bytes past its answer wait in the slot's carry for the next. A job whose
 * connection closed under it (orphaned) goes back to waiting, or fails if
 * it has part of its answer or was re-sent already. Every wake-up moves
 * each job as far as it can without waiting; the response is framed by
 * re-running the same parser over the bytes received so far, when they may
 * be complete (the Content-Length is reached, or they end in an empty
 * line, or the server closed). */

enum jphase { JP_WAIT, JP_DIAL, JP_HANDSHAKE, JP_SEND, JP_RECV, JP_DONE };

struct jstate {
	struct http_job *j;
	enum jphase ph;
	struct url u;
	size_t slot;       /* index into the client's slots */
	struct call k;
	struct buf req;    /* wiped once sent */
	size_t req_off;
	int pushed;
	struct buf in;     /* response bytes so far (wiped) */
	size_t want;       /* parse again once in.len reaches it (0: see
	                      may_be_complete) */
	size_t scan;       /* in.len at the last look for an empty line */
	struct net_dial d;
	int reused;
	int retried;       /* a safe request went once more on a fresh
	                      connection */
	int hops;
	unsigned gen, seq; /* the slot connection and place it was sent on */
	int behind;        /* an older request on the connection is unanswered:
	                      do not read */
	int64_t deadline;  /* this phase's */
	int phase_ms;      /* its length, for messages */
	short ev;          /* what the phase polls for */
	char path[512];
};

#define JOB_MAX_IN (HTTP_MAX_BODY + 2 * HTTP_MAX_HEADER_BYTES)

static struct slot *
jslot(struct jstate *js)
{
	return &js->j->client->slots[js->slot];
}

/* Ends a job with a failure: err_get() (already set) gets the request
 * prefix unless it has one, the connection is closed, and the outcome
 * goes to the job and the client's last_* fields. */
static void
job_fail(struct jstate *js, enum http_fail f, enum conn_err ce, int proto,
    int prefix)
{
	struct http_client *c = js->j->client;
	struct slot *s = jslot(js);

	net_dial_free(&js->d);
	if (js->ph != JP_WAIT && js->gen == s->gen)
		slot_close(s); /* its own connection, not a newer one */
	c->last_err = ce;
	c->last_proto = proto;
	js->k.fail = f;
	if (prefix)
		err_prefix("%s %s %s", js->j->method, js->u.hostport,
		    js->path);
	snprintf(js->j->err, sizeof(js->j->err), "%s", err_get());
	finish(c, &js->k, -1, &js->j->resp);
	js->j->rc = -1;
	js->ph = JP_DONE;
	js->j->done_ms = conn_now_ms();
	buf_free(&js->req);
	buf_free(&js->in);
}

/* Builds the request for the job's current URL. 0 / -1 (job failed). */
static int
job_build(struct jstate *js)
{
	struct http_job *j = js->j;

	path_only(&js->u, js->path, sizeof(js->path));
	buf_free(&js->req);
	if (build_request(&js->req, j->method, &js->u, j->hdrs, j->nhdrs,
	    j->body, j->body_len) == -1) {
		job_fail(js, HTTP_E_CONFIG, CONN_E_IO, 0, 1);
		return -1;
	}
	return 0;
}

/* GET, HEAD and read-only POSTs change nothing: they may be sent again. */
static int
replayable(const struct jstate *js)
{
	return is_safe(js->j->method) || js->j->readonly;
}

static void
job_begin_send(struct jstate *js)
{
	js->seq = ++jslot(js)->seq;
	js->ph = JP_SEND;
	js->k.sent = 1;
	js->req_off = 0;
	js->pushed = 0;
	js->in.len = 0;
	js->want = 0;
	js->scan = 0;
	js->phase_ms = budget(&js->k, js->j->client->cfg.io_timeout_ms);
	js->deadline = conn_now_ms() + js->phase_ms;
}

/* The job's new connection becomes the slot's. */
static void
slot_set(struct jstate *js, struct conn *cn)
{
	struct slot *s = jslot(js);

	s->c = cn;
	s->st.connections++;
	js->gen = ++s->gen;
}

/* Takes the slot: behind older pipelined requests, or its idle connection
 * when the server kept it, else a new one (a proxy tunnel is opened here,
 * waiting, within the job's budget). */
static void
job_start(struct jstate *js, int behind)
{
	struct http_client *c = js->j->client;
	struct slot *s = jslot(js);
	enum conn_err ce;

	js->reused = js->behind = behind;
	js->gen = s->gen;
	if (behind) {
		job_begin_send(js);
		return;
	}
	if (js->u.tls && c->cfg.tls == NULL) {
		err_set("%s %s %s: https is not configured", js->j->method,
		    js->u.hostport, js->path);
		job_fail(js, HTTP_E_CONFIG, CONN_E_CONFIG, 0, 0);
		return;
	}
	if (s->c != NULL && (s->carry.len || !idle_usable(s->c)))
		slot_close(s);
	if (s->c != NULL) {
		js->reused = 1;
		job_begin_send(js);
		return;
	}
	if (c->proxy != NULL && (c->proxy->error[0] != '\0' ||
	    proxy_for(c->proxy, js->u.tls, js->u.host) != NULL)) {
		struct conn *cn = open_conn(c, &js->k, &js->u, &ce);
		if (cn == NULL) {
			job_fail(js, connect_fail(ce), ce, 0, 1);
			return;
		}
		slot_set(js, cn);
		job_begin_send(js);
		return;
	}
	if (net_dial_start(&js->d, js->u.host, js->u.port,
	    budget(&js->k, c->cfg.connect_timeout_ms), &ce) == -1) {
		job_fail(js, connect_fail(ce), ce, 0, 1);
		return;
	}
	js->ph = JP_DIAL;
	js->phase_ms = budget(&js->k, c->cfg.connect_timeout_ms);
	js->deadline = conn_now_ms() + js->phase_ms;
	js->ev = POLLOUT;
}

/* A failure after sending began. A safe request that failed on a reused
 * connection before any response byte goes once more on a fresh one (the
 * server closed it while idle); a changing one never does. */
static void
job_io_fail(struct jstate *js, int proto)
{
	struct slot *s = jslot(js);
	enum conn_err ce = proto ? CONN_E_IO :
	    s->c ? conn_error(s->c) : CONN_E_IO;

	if (ce == CONN_OK)
		ce = CONN_E_IO;
	if (js->reused && !js->retried && replayable(js) &&
	    js->in.len == 0 && !proto && ce == CONN_E_IO) {
		slot_close(s);
		js->retried = 1;
		if (job_build(js) == 0) /* the sent copy was wiped */
			js->ph = JP_WAIT;
		return;
	}
	job_fail(js, proto ? HTTP_E_PROTO : ce == CONN_E_TIMEOUT ?
	    HTTP_E_TIMEOUT : HTTP_E_IO, ce, proto, 1);
}

struct memsrc {
	const char *p;
	size_t len, off;
	int eof;
	int more; /* the parser wanted bytes not received yet */
};

static long
read_mem(void *ctx, void *buf, size_t n)
{
	struct memsrc *m = ctx;

	if (m->off < m->len) {
		if (n > m->len - m->off)
			n = m->len - m->off;
		memcpy(buf, m->p + m->off, n);
		m->off += n;
		return (long)n;
	}
	if (m->eof)
		return 0;
	m->more = 1;
	err_set("response incomplete");
	return -1;
}

/* Could the bytes so far be a whole response? Every header section and
 * every chunked body ends in an empty line; a Content-Length body is
 * complete at its length; anything ends at EOF. Only the bytes that came
 * since the last look are searched (js->scan). */
static int
may_be_complete(struct jstate *js, int eof)
{
	const char *p = js->in.data;
	size_t n = js->in.len, i = js->scan > 2 ? js->scan - 2 : 0;

	js->scan = n;
	if (eof)
		return 1;
	if (js->want > 0)
		return n >= js->want;
	for (; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n' || (i + 2 < n && p[i + 1] == '\r' &&
		    p[i + 2] == '\n'))
			return 1;
	}
	return 0;
}

/* 1 complete (js->j->resp filled), 0 not yet, -1 failed (*proto). */
static int
job_parse(struct jstate *js, int eof, int *proto)
{
	struct memsrc m = { js->in.data, js->in.len, 0, eof, 0 };
	struct reader *rb;
	int rc;

	*proto = 0;
	if ((rb = calloc(1, sizeof(*rb))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	rb->rd = read_mem;
	rb->ctx = &m;
	err_clear();
	rc = parse_response(rb, strcmp(js->j->method, "HEAD") == 0,
	    &js->j->resp);
	if (rc == 0) {
		/* Bytes past the answer: the next pipelined answer's start. */
		size_t left = m.len - m.off + rb->len - rb->pos;
		if (left && buf_append(&jslot(js)->carry, js->in.data +
		    js->in.len - left, left) == -1)
			js->j->resp.keep_alive = 0;
		rc = 1;
	} else if (m.more) {
		js->want = rb->want;
		rc = 0;
	} else {
		*proto = rb->proto;
		rc = -1;
	}
	explicit_bzero(rb, sizeof(*rb));
	free(rb);
	return rc;
}

/* A complete response: redirect (the job starts again elsewhere) or
 * done. */
static void
job_answered(struct jstate *js)
{
	struct http_job *j = js->j;
	struct http_client *c = j->client;
	struct slot *s = jslot(js);
	struct http_response *resp = &j->resp;
	const char *loc;
	struct url next;
	struct slot *ns;

	s->st.requests++;
	if (!resp->keep_alive)
		slot_close(s);
	buf_free(&js->in);
	c->last_err = CONN_OK;
	js->k.fail = HTTP_OK;
	if (c->cfg.verbose) {
		const struct proxy *p = c->proxy ? proxy_for(c->proxy,
		    js->u.tls, js->u.host) : NULL;
		log_verbose("%s %s://%s%s -> %d%s%s", j->method,
		    js->u.tls ? "https" : "http", js->u.hostport, js->path,
		    resp->status, p ? " via proxy " : "", p ? p->shown : "");
	}
	if ((resp->status == 307 || resp->status == 308) &&
	    c->follow_redirects &&
	    (loc = http_resp_header(resp, "Location")) != NULL) {
		/* Not carried out; what follows is a new attempt at the new
		 * place. */
		js->k.sent = 0;
		if (js->hops++ >= HTTP_MAX_REDIRECTS) {
			err_set("%s %s %s: more than %d redirects", j->method,
			    js->u.hostport, js->path, HTTP_MAX_REDIRECTS);
			job_fail(js, HTTP_E_PROTO, CONN_E_IO, 1, 0);
			return;
		}
		if (redirect_target(&js->u, loc, &next) == -1) {
			job_fail(js, HTTP_E_PROTO, CONN_E_IO, 1, 1);
			return;
		}
		http_response_free(resp);
		url_free(&js->u);
		js->u = next;
		js->retried = 0;
		if ((ns = slot_get(c, &js->u)) == NULL) {
			job_fail(js, HTTP_E_CONFIG, CONN_E_IO, 0, 1);
			return;
		}
		js->slot = (size_t)(ns - c->slots);
		if (job_build(js) == 0)
			js->ph = JP_WAIT;
		return;
	}
	buf_free(&js->req);
	finish(c, &js->k, 0, resp);
	j->rc = 0;
	j->err[0] = '\0';
	js->ph = JP_DONE;
	j->done_ms = conn_now_ms();
}

/* The phases of job_step. Each returns 1 when the job moved to another
 * phase that may go on at once, 0 when it waits (js->ev) or ended. */

/* The TCP connect finished (or failed): take the socket, start TLS. */
static int
job_dial(struct jstate *js)
{
	struct http_client *c = js->j->client;
	struct pollfd pfd = { js->d.fd, POLLOUT, 0 };
	enum conn_err ce;
	struct conn *cn;
	struct sock sk;
	int r;

	js->ev = POLLOUT;
	if (poll(&pfd, 1, 0) == 0 ||
	    (r = net_dial_check(&js->d, &sk, budget(&js->k,
	    c->cfg.io_timeout_ms), &ce)) == 0)
		return 0;
	if (r == -1) {
		job_fail(js, connect_fail(ce), ce, 0, 1);
		return 0;
	}
	net_dial_free(&js->d);
	cn = conn_adopt_client(&sk, js->u.host, js->u.tls ? c->cfg.tls : NULL,
	    &ce);
	if (cn == NULL) {
		sock_close(&sk);
		job_fail(js, connect_fail(ce), ce, 0, 1);
		return 0;
	}
	slot_set(js, cn);
	if (!js->u.tls) {
		job_begin_send(js);
		return 1;
	}
	js->ph = JP_HANDSHAKE;
	js->phase_ms = budget(&js->k, c->cfg.io_timeout_ms);
	js->deadline = conn_now_ms() + js->phase_ms;
	return 1;
}

static int
job_handshake(struct jstate *js)
{
	struct conn *cn = jslot(js)->c;
	enum conn_err ce;
	short ev;

	if (conn_pump(cn, "TLS handshake with", &ev) == -1) {
		ce = conn_error(cn);
		job_fail(js, connect_fail(ce), ce, 0, 1);
		return 0;
	}
	if (conn_ready(cn)) {
		job_begin_send(js);
		return 1;
	}
	js->ev = ev ? ev : POLLIN;
	return 0;
}

/* Hands the request to the connection as far as it takes it. */
static int
job_send(struct jstate *js)
{
	struct conn *cn = jslot(js)->c;
	int progressed;
	ssize_t n;
	short ev;

	do {
		progressed = 0;
		if (conn_pump(cn, "write to", &ev) == -1) {
			job_io_fail(js, 0);
			return 0;
		}
		while (js->req_off < js->req.len) {
			if ((n = conn_put(cn, js->req.data + js->req_off,
			    js->req.len - js->req_off)) < 0) {
				job_io_fail(js, 0);
				return 0;
			}
			if (n == 0)
				break;
			js->req_off += (size_t)n;
			progressed = 1;
		}
		if (js->req_off == js->req.len && !js->pushed) {
			conn_push(cn);
			js->pushed = progressed = 1;
		}
	} while (progressed);
	if (js->pushed && !conn_unsent(cn)) {
		buf_free(&js->req); /* may hold a token */
		js->ph = JP_RECV;
		return 1;
	}
	js->ev = ev ? ev : POLLOUT;
	return 0;
}

/* Takes what has arrived; parses when it may be a whole response. */
static int
job_recv(struct jstate *js)
{
	struct slot *s = jslot(js);
	struct conn *cn = s->c;
	char tmp[16384];
	ssize_t n;
	short ev;
	int r, proto;

	if (s->carry.len) { /* read with the answer before */
		if (buf_append(&js->in, s->carry.data, s->carry.len) == -1) {
			job_io_fail(js, 1);
			return 0;
		}
		buf_free(&s->carry);
	}
	for (;;) {
		if (conn_pump(cn, "read from", &ev) == -1 ||
		    (n = conn_get(cn, tmp, sizeof(tmp))) < 0) {
			job_io_fail(js, 0);
			return 0;
		}
		if (n == 0)
			break;
		if (js->in.len + (size_t)n > JOB_MAX_IN ||
		    buf_append(&js->in, tmp, (size_t)n) == -1) {
			err_set("response larger than 8 MiB");
			job_io_fail(js, 1);
			return 0;
		}
	}
	explicit_bzero(tmp, sizeof(tmp));
	js->ev = ev ? ev : POLLIN;
	if (!may_be_complete(js, conn_eof(cn)))
		return 0;
	if ((r = job_parse(js, conn_eof(cn), &proto)) == 1)
		job_answered(js); /* done, or redirected (waiting) */
	else if (r == -1)
		job_io_fail(js, proto);
	return 0;
}

/* Was the job's request sent on a connection that has closed since? */
static int
orphaned(struct jstate *js)
{
	return (js->ph == JP_SEND || js->ph == JP_RECV) &&
	    (jslot(js)->c == NULL || js->gen != jslot(js)->gen);
}

/* Its connection closed under it (another job's failure or answer ended
 * it): a replayable request with no byte of its answer yet goes again,
 * once, and the server is not pipelined to again (it may not take it);
 * otherwise it fails (a changing one is never pipelined, so never here). */
static void
job_orphan(struct jstate *js)
{
	if (js->in.len == 0 && !js->retried && replayable(js)) {
		js->retried = 1;
		jslot(js)->nopipe = 1;
		if (job_build(js) == 0)
			js->ph = JP_WAIT;
		return;
	}
	err_set("connection closed before the answer");
	job_fail(js, HTTP_E_IO, CONN_E_IO, 0, 1);
}

/* Moves one job as far as it can go without waiting (a job behind older
 * requests stops once sent); js->ev gets what it waits for next. */
static void
job_step(struct jstate *js)
{
	static int (*const phase[])(struct jstate *) = {
		[JP_DIAL] = job_dial, [JP_HANDSHAKE] = job_handshake,
		[JP_SEND] = job_send, [JP_RECV] = job_recv,
	};

	if (orphaned(js))
		job_orphan(js);
	while (js->ph != JP_WAIT && js->ph != JP_DONE &&
	    !(js->ph == JP_RECV && js->behind) && phase[js->ph](js))
		;
}

/* The job's phase deadline passed (or a stop was requested: stop). */
static void
job_expire(struct jstate *js, int stop)
{
	const char *op;
	char t[32], where[300];
	enum conn_err ce;

	if (js->ph == JP_WAIT) {
		err_set("connect to %s: %s", js->u.hostport, strerror(EINTR));
		job_fail(js, HTTP_E_CONNECT, CONN_E_CONNECT, 0, 1);
		return;
	}
	if (js->ph == JP_DIAL && !stop) {
		net_dial_timeout(&js->d, &ce);
		job_fail(js, HTTP_E_CONNECT, ce, 0, 1);
		return;
	}
	net_where(where, sizeof(where), js->u.host, js->u.port);
	op = js->ph == JP_DIAL ? "connect to" : js->ph == JP_HANDSHAKE ?
	    "TLS handshake with" : js->ph == JP_SEND ? "write to" :
	    "read from";
	if (stop)
		err_set("%s %s: %s", op, where, strerror(EINTR));
	else
		err_set("%s %s timed out after %s s", op, where,
		    net_secs(js->phase_ms, t, sizeof(t)));
	ce = stop ? (js->ph >= JP_SEND ? CONN_E_IO : CONN_E_CONNECT) :
	    CONN_E_TIMEOUT;
	if (js->ph <= JP_HANDSHAKE)
		job_fail(js, HTTP_E_CONNECT, ce, 0, 1);
	else
		job_fail(js, stop ? HTTP_E_IO : HTTP_E_TIMEOUT, ce, 0, 1);
}

static int
same_slot(const struct jstate *a, const struct jstate *b)
{
	return a != b && a->ph != JP_DONE && a->j->client == b->j->client &&
	    a->slot == b->slot;
}

/* May waiting job i take its slot? -1 not yet: an earlier job of the slot
 * waits, or one is on the connection and either is not replayable or has
 * not sent all of its request (or lost its connection), or the server is
 * not pipelined to (nopipe); 1 behind the
 * requests on the connection (pipelined); 0 alone. In order: the earlier
 * waiting jobs go first. */
static int
job_may_start(struct jstate *st, size_t n, size_t i)
{
	int behind = 0;
	size_t e;

	for (e = 0; e < n; e++) {
		if (!same_slot(&st[e], &st[i]))
			continue;
		if (st[e].ph == JP_WAIT) {
			if (e < i)
				return -1;
			continue;
		}
		if (st[e].ph != JP_RECV || orphaned(&st[e]) ||
		    !replayable(&st[e]) || !replayable(&st[i]) ||
		    jslot(&st[i])->nopipe)
			return -1;
		behind = 1;
	}
	return behind;
}

/* Is an older request on job i's connection still unanswered? */
static int
job_behind(struct jstate *st, size_t n, size_t i)
{
	size_t e;

	for (e = 0; e < n; e++)
		if (same_slot(&st[e], &st[i]) && st[e].ph >= JP_SEND &&
		    st[e].gen == st[i].gen && st[e].seq < st[i].seq)
			return 1;
	return 0;
}

/* Sets up job i's state: URL, slot, request bytes. 0 / -1 (job failed). */
static int
job_init(struct jstate *js, struct http_job *j)
{
	struct http_client *c = j->client;
	struct slot *s;
	size_t i;

	memset(js, 0, sizeof(*js));
	js->j = j;
	js->d.fd = -1;
	js->ph = JP_WAIT;
	memset(&j->resp, 0, sizeof(j->resp));
	j->rc = -1;
	j->err[0] = '\0';
	j->done_ms = 0;
	c->last_err = CONN_OK;
	c->last_proto = 0;
	c->last_sent = 0;
	js->k.fail = HTTP_E_CONFIG;
	js->k.deadline = conn_now_ms() +
	    (c->cfg.connect_timeout_ms > 0 ? c->cfg.connect_timeout_ms : 0) +
	    (c->cfg.io_timeout_ms > 0 ? c->cfg.io_timeout_ms : 0);
	for (i = 0; i < j->nhdrs; i++) {
		if (!h1_is_tchar((unsigned char)j->hdrs[i].name[0]) ||
		    !hdr_ok(j->hdrs[i].name) || !hdr_ok(j->hdrs[i].value)) {
			err_set("%s %s: header %s contains a line break",
			    j->method, j->url, j->hdrs[i].name);
			c->last_err = CONN_E_CONFIG;
			goto fail;
		}
	}
	if (url_parse(j->url, &js->u) == -1) {
		c->last_err = CONN_E_CONFIG;
		goto fail;
	}
	path_only(&js->u, js->path, sizeof(js->path));
	if ((s = slot_get(c, &js->u)) == NULL) {
		c->last_err = CONN_E_IO;
		goto fail;
	}
	js->slot = (size_t)(s - c->slots);
	return job_build(js);
fail:
	snprintf(j->err, sizeof(j->err), "%s", err_get());
	finish(c, &js->k, -1, &j->resp);
	js->ph = JP_DONE;
	j->done_ms = conn_now_ms();
	return -1;
}

/* One turn of the loop: starts the jobs whose slot is free, ends those
 * past their deadline (all of them on a stop request) and fills pf and map
 * with what the others wait for. Returns -1 once every job has ended, else
 * how long to wait (ms, at most 100: a stop request that lands just before
 * poll() is seen within one slice). */
/* An earlier job of this run that could not connect to job i's server:
 * job i would wait as long for the same answer (a black-holed address
 * costs one connect timeout per run, not one per job). */
static const struct jstate *
dial_failed(const struct jstate *st, size_t i)
{
	size_t e;

	for (e = 0; e < i; e++)
		if (st[e].ph == JP_DONE && st[e].j->rc == -1 &&
		    st[e].j->resp.fail == HTTP_E_CONNECT &&
		    st[e].j->client == st[i].j->client &&
		    st[e].slot == st[i].slot)
			return &st[e];
	return NULL;
}

static int
run_turn(struct jstate *st, size_t n, struct pollfd *pf, size_t *map,
    size_t *np)
{
	const struct jstate *f;
	int64_t now, next = -1;
	int b, busy = 0, stop = net_stop_requested();
	size_t i;

	for (i = 0; i < n; i++) {
		if (orphaned(&st[i]))
			job_orphan(&st[i]);
		if (st[i].ph == JP_WAIT && !stop &&
		    (f = dial_failed(st, i)) != NULL) {
			err_set("%s", f->j->err);
			job_fail(&st[i], HTTP_E_CONNECT, CONN_E_CONNECT, 0, 0);
		} else if (st[i].ph == JP_WAIT && !stop &&
		    (b = job_may_start(st, n, i)) >= 0) {
			job_start(&st[i], b);
			job_step(&st[i]);
		} else if (st[i].ph == JP_RECV &&
		    !(st[i].behind = job_behind(st, n, i)))
			job_step(&st[i]); /* the head: bytes carried over */
	}
	now = conn_now_ms();
	*np = 0;
	for (i = 0; i < n; i++) {
		struct jstate *js = &st[i];

		if (js->ph == JP_DONE)
			continue;
		busy = 1;
		if (stop || (js->ph != JP_WAIT && now >= js->deadline)) {
			job_expire(js, stop);
			continue;
		}
		if (js->ph == JP_WAIT)
			continue;
		if (next == -1 || js->deadline < next)
			next = js->deadline;
		if (orphaned(js) || (js->ph == JP_RECV && js->behind &&
		    !(js->behind = job_behind(st, n, i)))) {
			next = now; /* the next turn takes it on */
			continue;
		}
		if (js->ph == JP_RECV && js->behind)
			continue; /* the head reads the connection */
		pf[*np].fd = js->ph == JP_DIAL ? js->d.fd :
		    conn_fd(jslot(js)->c);
		pf[*np].events = js->ev;
		pf[*np].revents = 0;
		map[(*np)++] = i;
	}
	if (!busy)
		return -1;
	if (*np == 0)
		return 0; /* jobs whose slot just came free */
	now = conn_now_ms();
	return next <= now ? 0 : next - now > 100 ? 100 : (int)(next - now);
}

int
http_run(struct http_job *jobs, size_t n)
{
	struct jstate *st;
	struct pollfd *pf;
	size_t i, np, *map, failed = 0;
	int ms;

	if (n == 0)
		return 0;
	st = calloc(n, sizeof(*st));
	pf = calloc(n, sizeof(*pf));
	map = calloc(n, sizeof(*map));
	if (st == NULL || pf == NULL || map == NULL) {
		free(st);
		free(pf);
		free(map);
		for (i = 0; i < n; i++) {
			memset(&jobs[i].resp, 0, sizeof(jobs[i].resp));
			jobs[i].rc = -1;
			jobs[i].resp.fail = HTTP_E_CONFIG;
			snprintf(jobs[i].err, sizeof(jobs[i].err),
			    "out of memory");
		}
		err_set("out of memory");
		return (int)n;
	}
	for (i = 0; i < n; i++)
		(void)job_init(&st[i], &jobs[i]);
	while ((ms = run_turn(st, n, pf, map, &np)) >= 0) {
		if (np == 0 || poll(pf, (nfds_t)np, ms) <= 0)
			continue; /* EINTR and timeouts: run_turn looks */
		for (i = 0; i < np; i++)
			if (pf[i].revents != 0)
				job_step(&st[map[i]]);
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].rc != 0)
			failed++;
		url_free(&st[i].u);
		buf_free(&st[i].req);
		buf_free(&st[i].in);
		net_dial_free(&st[i].d);
	}
	free(st);
	free(pf);
	free(map);
	return (int)failed;
}
