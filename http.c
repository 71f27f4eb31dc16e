/* http.c - HTTP/1.1 client (URLs: url.c): strict response framing, limits,
 * keep-alive per scheme+host+port, 307/308 redirects.
 *
 * The response parser reads through a callback and a fixed buffer, takes
 * lengths from the wire only after checking them against the limits, and is
 * also the fuzz target: malformed input is an error, never a crash. */
#include <arpa/inet.h>

#include <ctype.h>
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

static int
parse_response(struct reader *rb, int is_head, struct http_response *r)
{
	struct buf line = { 0 }, body = { 0 };
	struct http_header *h = NULL, *tmp;
	size_t nh = 0, caph = 0, i;
	unsigned long long clen = 0;
	const char *te = NULL, *cl = NULL;
	int status, minor = 1, n1xx = 0;
	long n;

	memset(r, 0, sizeof(*r));
	rb->hdr_bytes = 0;
	for (;;) {
		if ((n = rline(rb, &line, HTTP_MAX_HEADER_BYTES,
		    "header section larger than 64 KiB")) < 0)
			goto fail;
		if ((status = h1_status_line(line.data, (size_t)n, &minor))
		    < 0) {
			proto_err(rb, "bad status line");
			goto fail;
		}
		for (;;) {
			if ((n = rline(rb, &line, HTTP_MAX_HEADER_BYTES,
			    "header section larger than 64 KiB")) < 0)
				goto fail;
			if (n == 0)
				break;
			if (nh == caph) {
				caph = caph ? caph * 2 : 16;
				tmp = realloc(h, caph * sizeof(*h));
				if (tmp == NULL) {
					err_set("out of memory");
					goto fail;
				}
				h = tmp;
			}
			if (parse_header(rb, line.data, (size_t)n, &h[nh]) ==
			    -1)
				goto fail;
			nh++;
		}
		if (status >= 200)
			break;
		if (status == 101) {
			proto_err(rb, "unexpected 101 Switching Protocols");
			goto fail;
		}
		if (++n1xx > MAX_1XX) {
			proto_err(rb, "too many 1xx responses");
			goto fail;
		}
		hdrs_free(h, nh); /* informational: dropped */
		h = NULL;
		nh = caph = 0;
	}
	r->status = status;

	for (i = 0; i < nh; i++) {
		if (strcasecmp(h[i].name, "Transfer-Encoding") == 0) {
			if (te != NULL) {
				proto_err(rb, "duplicate Transfer-Encoding");
				goto fail;
			}
			te = h[i].value;
		} else if (strcasecmp(h[i].name, "Content-Length") == 0) {
			if (cl != NULL) {
				proto_err(rb, "duplicate Content-Length");
				goto fail;
			}
			cl = h[i].value;
		}
	}
	if (te != NULL && strcasecmp(te, "chunked") != 0) {
		proto_err(rb, "unsupported Transfer-Encoding");
		goto fail;
	}
	if (te != NULL && cl != NULL) {
		proto_err(rb, "both Transfer-Encoding and Content-Length");
		goto fail;
	}
	if (cl != NULL && h1_content_length(cl, &clen) != 0) {
		proto_err(rb, "bad Content-Length");
		goto fail;
	}
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
		if (rbody(rb, &body, (size_t)clen, (size_t)clen) == -1)
			goto fail;
	} else {
		/* Delimited by the server closing the connection. */
		r->keep_alive = 0;
		for (;;) {
			int rr = rfill(rb);
			if (rr < 0)
				goto fail;
			if (rr == 0)
				break;
			if (body.len + (rb->len - rb->pos) > HTTP_MAX_BODY) {
				proto_err(rb, "body larger than 8 MiB");
				goto fail;
			}
			if (buf_append(&body, rb->buf + rb->pos,
			    rb->len - rb->pos) == -1)
				goto fail;
			rb->pos = rb->len;
		}
	}
	if (rb->pos < rb->len)
		r->keep_alive = 0; /* extra bytes: do not reuse */
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
};

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
	for (i = 0; i < c->nslots; i++)
		conn_close(c->slots[i].c);
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

/* An idle connection that is readable was closed by the server (or sent
 * junk): either way it cannot carry the next request. */
static int
idle_usable(struct conn *cn)
{
	struct pollfd pfd = { conn_fd(cn), POLLIN, 0 };

	return poll(&pfd, 1, 0) == 0;
}

struct conn_reader {
	struct conn *c;
};

static long
read_conn(void *ctx, void *buf, size_t n)
{
	struct conn_reader *cr = ctx;

	return (long)conn_read(cr->c, buf, n);
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

/* One exchange on the slot's connection. An idle connection the server
 * closed is replaced before sending; a safe request that fails on a reused
 * connection before any response byte is sent once more on a fresh one.
 * 0 / -1 (err_set without the request prefix; k and last_* set). */
static int
exchange(struct http_client *c, struct call *k, struct slot *s,
    const char *method, const struct url *u, const struct buf *req,
    struct http_response *resp)
{
	struct conn_reader cr;
	struct reader *rb;
	enum conn_err ce;
	int attempt, reused, rc = -1;

	if ((rb = malloc(sizeof(*rb))) == NULL) {
		err_set("out of memory");
		c->last_err = CONN_E_IO;
		k->fail = HTTP_E_CONFIG;
		return -1;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		reused = 0;
		if (s->c != NULL && !idle_usable(s->c)) {
			conn_close(s->c);
			s->c = NULL;
		}
		if (s->c != NULL) {
			reused = 1;
		} else {
			s->c = open_conn(c, k, u, &ce);
			if (s->c == NULL) {
				c->last_err = ce;
				k->fail = connect_fail(ce);
				goto out;
			}
			s->st.connections++;
		}
		/* Sending and the whole response share one deadline. */
		conn_set_deadline(s->c, budget(k, c->cfg.io_timeout_ms));
		k->sent = 1;
		if (conn_write(s->c, req->data, req->len) == -1) {
			c->last_err = conn_error(s->c);
			k->fail = c->last_err == CONN_E_TIMEOUT ?
			    HTTP_E_TIMEOUT : HTTP_E_IO;
			conn_close(s->c);
			s->c = NULL;
			if (reused && is_safe(method) &&
			    c->last_err != CONN_E_TIMEOUT)
				continue;
			goto out;
		}
		memset(rb, 0, sizeof(*rb));
		cr.c = s->c;
		rb->rd = read_conn;
		rb->ctx = &cr;
		err_clear();
		if (parse_response(rb, strcmp(method, "HEAD") == 0, resp) ==
		    0) {
			s->st.requests++;
			if (!resp->keep_alive) {
				conn_close(s->c);
				s->c = NULL;
			} else
				conn_set_deadline(s->c, -1);
			c->last_err = CONN_OK;
			k->fail = HTTP_OK;
			rc = 0;
			goto out;
		}
		c->last_proto = rb->proto;
		c->last_err = rb->proto ? CONN_E_IO : conn_error(s->c);
		if (c->last_err == CONN_OK)
			c->last_err = CONN_E_IO;
		k->fail = rb->proto ? HTTP_E_PROTO :
		    c->last_err == CONN_E_TIMEOUT ? HTTP_E_TIMEOUT : HTTP_E_IO;
		conn_close(s->c);
		s->c = NULL;
		/* A reused connection the server closed while idle: nothing
		 * of the response arrived. Only a safe request may go again:
		 * a changing one may have been carried out (keep-alive must
		 * never re-send it); its caller re-reads instead. */
		if (reused && is_safe(method) && rb->total == 0 &&
		    !rb->proto && c->last_err == CONN_E_IO) {
			c->last_proto = 0;
			continue;
		}
		goto out;
	}
out:
	explicit_bzero(rb, sizeof(*rb));
	free(rb);
	return rc;
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

/* One request with redirects; resp owned by the caller on success (0).
 * -1: err_set "METHOD host path: why", resp->fail/sent (and last_*)
 * describe the failure. The request buffer (it may hold a token) is wiped
 * once sent. */
int
http_request(struct http_client *c, const char *method, const char *url,
    const struct http_header *hdrs, size_t nhdrs, const void *body,
    size_t body_len, struct http_response *resp)
{
	struct url u, next;
	struct buf req = { 0 };
	struct call k = { 0 };
	struct slot *s;
	const char *loc;
	char path[512];
	size_t i;
	int hops = 0, rc = -1;

	memset(resp, 0, sizeof(*resp));
	memset(&u, 0, sizeof(u));
	c->last_err = CONN_OK;
	c->last_proto = 0;
	c->last_sent = 0;
	k.fail = HTTP_E_CONFIG;
	k.deadline = conn_now_ms() +
	    (c->cfg.connect_timeout_ms > 0 ? c->cfg.connect_timeout_ms : 0) +
	    (c->cfg.io_timeout_ms > 0 ? c->cfg.io_timeout_ms : 0);
	for (i = 0; i < nhdrs; i++) {
		if (!h1_is_tchar((unsigned char)hdrs[i].name[0]) ||
		    !hdr_ok(hdrs[i].name) || !hdr_ok(hdrs[i].value)) {
			err_set("%s %s: header %s contains a line break",
			    method, url, hdrs[i].name);
			c->last_err = CONN_E_CONFIG;
			goto out;
		}
	}
	if (url_parse(url, &u) == -1) {
		c->last_err = CONN_E_CONFIG;
		goto out;
	}
	for (;;) {
		path_only(&u, path, sizeof(path));
		if (u.tls && c->cfg.tls == NULL) {
			err_set("%s %s %s: https is not configured", method,
			    u.hostport, path);
			c->last_err = CONN_E_CONFIG;
			goto out;
		}
		if ((s = slot_get(c, &u)) == NULL) {
			c->last_err = CONN_E_IO;
			goto out;
		}
		buf_free(&req);
		if (build_request(&req, method, &u, hdrs, nhdrs, body,
		    body_len) == -1) {
			c->last_err = CONN_E_IO;
			goto out;
		}
		if (exchange(c, &k, s, method, &u, &req, resp) == -1) {
			err_prefix("%s %s %s", method, u.hostport, path);
			goto out;
		}
		buf_free(&req); /* wiped: may hold a token */
		if (c->cfg.verbose) {
			const struct proxy *p = c->proxy ? proxy_for(c->proxy,
			    u.tls, u.host) : NULL;
			log_verbose("%s %s://%s%s -> %d%s%s", method,
			    u.tls ? "https" : "http", u.hostport, path,
			    resp->status, p ? " via proxy " : "",
			    p ? p->shown : "");
		}
		if (resp->status != 307 && resp->status != 308)
			break;
		if (!c->follow_redirects)
			break; /* the caller sees the redirect itself */
		if ((loc = http_resp_header(resp, "Location")) == NULL)
			break;
		/* A redirect means the request was not carried out; what
		 * follows is a new attempt at the new place. */
		k.sent = 0;
		k.fail = HTTP_E_PROTO;
		if (hops++ >= HTTP_MAX_REDIRECTS) {
			err_set("%s %s %s: more than %d redirects", method,
			    u.hostport, path, HTTP_MAX_REDIRECTS);
			goto out;
		}
		if (redirect_target(&u, loc, &next) == -1) {
			err_prefix("%s %s %s", method, u.hostport, path);
			goto out;
		}
		http_response_free(resp);
		url_free(&u);
		u = next;
	}
	rc = 0;
out:
	finish(c, &k, rc, resp);
	buf_free(&req);
	url_free(&u);
	return rc;
}
