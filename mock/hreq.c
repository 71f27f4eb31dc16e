/* hreq.c - strict HTTP/1.x request reader for the mock's server side:
 * request line, headers (64 KiB), Content-Length and chunked bodies (8 MiB),
 * Expect: 100-continue, pipelined requests kept in the buffer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h1.h"
#include "mock/handler.h"

#define HDR_MAX (64 * 1024)
#define BODY_MAX (8 * 1024 * 1024)
#define MAX_HEADERS 256
#define LINE_MAX_CHUNK 4096

struct bad {
	int status;
	char *why;
	size_t whysz;
};

static int
fail(struct bad *b, int status, const char *msg)
{
	b->status = status;
	snprintf(b->why, b->whysz, "%s", msg);
	return -1;
}

/* Reads more bytes into the buffer, growing it up to `limit` bytes of
 * unconsumed data. >0 read, 0 EOF, -1 error, -3 limit reached. */
static long
fill(struct hreader *r, size_t limit)
{
	long n;

	if (r->off > 0 && r->off == r->len)
		r->off = r->len = 0;
	if (r->len - r->off >= limit)
		return -3;
	if (r->off > 0 && r->len == r->cap) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16384;
		char *p;

		if (cap > limit + 16384)
			cap = limit + 16384;
		if (cap <= r->cap)
			return -3;
		if ((p = realloc(r->buf, cap)) == NULL)
			return -1;
		r->buf = p;
		r->cap = cap;
	}
	n = r->rd(r->ctx, r->buf + r->len, r->cap - r->len);
	if (n > 0)
		r->len += (size_t)n;
	return n;
}

long
hreq_fill(struct hreader *r)
{
	return fill(r, HDR_MAX);
}

/* Finds the end of the header section in the unconsumed data: offset just
 * past the empty line, or 0 if not there yet. */
static size_t
find_hdr_end(const struct hreader *r)
{
	size_t i;

	for (i = r->off; i < r->len; i++) {
		if (r->buf[i] != '\n')
			continue;
		if (i + 1 < r->len && r->buf[i + 1] == '\n')
			return i + 2 - r->off;
		if (i + 2 < r->len && r->buf[i + 1] == '\r' &&
		    r->buf[i + 2] == '\n')
			return i + 3 - r->off;
	}
	return 0;
}

/* Splits raw (len bytes, ending in an empty line) into lines in place:
 * each line is NUL-terminated and its CR removed. A lone CR is an error. */
static int
next_line(char **p, char *end, char **line)
{
	char *s = *p, *nl;

	if (s >= end)
		return 0;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return -1;
	*nl = '\0';
	if (nl > s && nl[-1] == '\r')
		nl[-1] = '\0';
	if (strchr(s, '\r') != NULL)
		return -1;
	*line = s;
	*p = nl + 1;
	return 1;
}

static int
parse_request_line(char *line, struct mreq *q, struct bad *b)
{
	struct h1_reqline rl;
	const char *why;
	char *qm;
	int st;

	if ((st = h1_request_line(line, &rl, &why)) != 0)
		return fail(b, st, why);
	q->method = rl.method;
	q->minor = rl.minor;
	if ((q->target = strdup(rl.target)) == NULL ||
	    (q->path = strdup(rl.target)) == NULL)
		return fail(b, 500, "out of memory");
	qm = strchr(q->path, '?');
	if ((q->query = strdup(qm ? qm + 1 : "")) == NULL)
		return fail(b, 500, "out of memory");
	if (qm)
		*qm = '\0';
	return 0;
}

/* One header line into slot (NULL: MAX_HEADERS are taken), split in
 * place: name and value NUL-terminated inside the request's raw bytes. */
static int
parse_header(char *line, struct http_header *slot, struct bad *b)
{
	struct h1_field f;
	const char *why;

	if (h1_field(line, strlen(line), &f, &why) == -1)
		return fail(b, 400, why);
	if (slot == NULL)
		return fail(b, 431, "too many header fields");
	line[f.name_len] = '\0';
	((char *)f.value)[f.value_len] = '\0';
	slot->name = line;
	slot->value = (char *)f.value;
	return 0;
}

/* Copies exactly n body bytes (buffered first, then read). */
static int
read_exact(struct hreader *r, struct buf *dst, size_t n)
{
	while (n > 0) {
		size_t have = r->len - r->off, take;
		long got;

		if (have > 0) {
			take = have < n ? have : n;
			if (buf_append(dst, r->buf + r->off, take) == -1)
				return -1;
			r->off += take;
			n -= take;
			continue;
		}
		if ((got = fill(r, HDR_MAX)) <= 0)
			return -1;
	}
	return 0;
}

/* One line (without CRLF) of at most LINE_MAX_CHUNK bytes into out.
 * 0 ok, -1 I/O, -2 too long or malformed. */
static int
read_line(struct hreader *r, char *out, size_t outsz)
{
	for (;;) {
		char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
		size_t n;
		long got;

		if (nl != NULL) {
			n = (size_t)(nl - (r->buf + r->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= outsz)
				return -2;
			memcpy(out, r->buf + r->off, n);
			out[n] = '\0';
			r->off = (size_t)(nl - r->buf) + 1;
			if (memchr(out, '\r', n) || memchr(out, '\0', n))
				return -2;
			return 0;
		}
		if (r->len - r->off > outsz + 2)
			return -2;
		got = fill(r, HDR_MAX);
		if (got == -3)
			return -2;
		if (got <= 0)
			return -1;
	}
}

/* The chunked decoder's source: lines (each at most LINE_MAX_CHUNK bytes,
 * the trailer section at most HDR_MAX) and bytes from the reader. */
struct chunk_src {
	struct hreader *r;
	struct bad *b;
	char line[LINE_MAX_CHUNK + 1];
	size_t trailer;
	int io; /* the failure was I/O or EOF, not a bad request */
};

static int
chunk_line(void *ctx, enum h1_line_kind kind, const char **line, size_t *len)
{
	static const char *const bad_line[] = {
		[H1_LINE_SIZE] = "bad chunk size line",
		[H1_LINE_DATA_END] = "missing CRLF after chunk data",
		[H1_LINE_TRAILER] = "bad trailer line",
	};
	struct chunk_src *cs = ctx;
	int rc;

	if ((rc = read_line(cs->r, cs->line, sizeof(cs->line))) == -1) {
		cs->io = 1;
		return -1;
	}
	if (rc == -2)
		return fail(cs->b, 400, bad_line[kind]);
	*line = cs->line;
	*len = strlen(cs->line);
	if (kind == H1_LINE_TRAILER && (cs->trailer += *len) > HDR_MAX)
		return fail(cs->b, 431, "trailer section too large");
	return 0;
}

static int
chunk_data(void *ctx, struct buf *body, size_t n)
{
	struct chunk_src *cs = ctx;

	if (read_exact(cs->r, body, n) == -1) {
		cs->io = 1;
		return -1;
	}
	return 0;
}

static int
read_chunked(struct hreader *r, struct mreq *q, struct bad *b)
{
	struct chunk_src *cs;
	struct h1_chunk_src src = { chunk_line, chunk_data, NULL };
	enum h1_chunk_err e;
	int io;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return fail(b, 500, "out of memory");
	cs->r = r;
	cs->b = b;
	src.ctx = cs;
	e = h1_chunked(&src, &q->body, BODY_MAX);
	io = cs->io;
	free(cs);
	if (e == H1_CHUNK_OK)
		return 0;
	if (e == H1_CHUNK_IO)
		return io ? -2 : -1;
	return fail(b, h1_chunk_status(e), h1_chunk_msg(e));
}

static int
read_request(struct hreader *r, struct mreq *q, struct bad *b)
{
	size_t hlen, i, nh = 0;
	char *p, *end, *line;
	const char *te = NULL, *cl = NULL, *expect;
	int rc, nhost = 0;
	long got;
	unsigned long long clen = 0;

	/* Skip empty lines before the request line (RFC 9112 2.2). */
	for (;;) {
		while (r->off < r->len &&
		    (r->buf[r->off] == '\r' || r->buf[r->off] == '\n'))
			r->off++;
		if (r->off < r->len && (hlen = find_hdr_end(r)) != 0)
			break;
		got = fill(r, HDR_MAX);
		if (got == -3)
			return fail(b, 431, "header section larger than 64 KiB");
		if (got == 0 && r->off == r->len)
			return 0;
		if (got <= 0)
			return -2;
	}
	if (hlen > HDR_MAX)
		return fail(b, 431, "header section larger than 64 KiB");
	if ((q->raw = malloc(hlen + 1)) == NULL ||
	    (q->hdrs = calloc(MAX_HEADERS, sizeof(*q->hdrs))) == NULL)
		return fail(b, 500, "out of memory");
	memcpy(q->raw, r->buf + r->off, hlen);
	q->raw[hlen] = '\0';
	r->off += hlen;
	if (memchr(q->raw, '\0', hlen) != NULL)
		return fail(b, 400, "NUL byte in header section");
	p = q->raw;
	end = q->raw + hlen;
	if (next_line(&p, end, &line) != 1)
		return fail(b, 400, "malformed request line");
	if (parse_request_line(line, q, b) == -1)
		return -1;
	while ((rc = next_line(&p, end, &line)) == 1) {
		if (line[0] == '\0')
			break;
		if (parse_header(line, nh < MAX_HEADERS ? &q->hdrs[nh] : NULL,
		    b) == -1)
			return -1;
		q->nhdrs = ++nh;
	}
	if (rc == -1)
		return fail(b, 400, "bare CR in header section");
	for (i = 0; i < nh; i++) {
		const char *n = q->hdrs[i].name, *v = q->hdrs[i].value;

		if (strcasecmp(n, "host") == 0)
			nhost++;
		else if (strcasecmp(n, "transfer-encoding") == 0) {
			if (te != NULL)
				return fail(b, 400, "repeated Transfer-Encoding");
			te = v;
		} else if (strcasecmp(n, "content-length") == 0) {
			unsigned long long digits;

			if (h1_content_length(v, &digits) == -1)
				return fail(b, 400, "bad Content-Length");
			if (cl != NULL && strcmp(cl, v) != 0)
				return fail(b, 400, "conflicting Content-Length");
			cl = v;
		}
	}
	if (q->minor == 1 && nhost != 1)
		return fail(b, 400, "HTTP/1.1 request needs exactly one Host");
	if (nhost > 1)
		return fail(b, 400, "repeated Host");
	q->keep_alive = h1_keep_alive(q->minor, q->hdrs, q->nhdrs);
	if (te != NULL) {
		if (cl != NULL)
			return fail(b, 400,
			    "both Content-Length and Transfer-Encoding");
		if (q->minor == 0)
			return fail(b, 400, "Transfer-Encoding in HTTP/1.0");
		if (strcasecmp(te, "chunked") != 0)
			return fail(b, 501, "unsupported Transfer-Encoding");
	} else if (cl != NULL) {
		if (h1_content_length(cl, &clen) != 0 || clen > BODY_MAX)
			return fail(b, 413, "request body larger than 8 MiB");
	}
	expect = mreq_header(q, "expect");
	if (expect != NULL) {
		if (strcasecmp(expect, "100-continue") != 0)
			return fail(b, 417, "unsupported Expect");
		if ((te != NULL || clen > 0) && r->off == r->len && r->wr &&
		    q->minor == 1) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			if (r->wr(r->ctx, cont, sizeof(cont) - 1) == -1)
				return -2;
		}
	}
	if (te != NULL)
		return read_chunked(r, q, b);
	if (clen > 0 && read_exact(r, &q->body, (size_t)clen) == -1)
		return -2;
	return 0;
}

int
hreq_read(struct hreader *r, struct mreq *q, int *status, char *why,
    size_t whysz)
{
	struct bad b = { 400, why, whysz };
	int rc;

	memset(q, 0, sizeof(*q));
	if (whysz)
		why[0] = '\0';
	rc = read_request(r, q, &b);
	*status = b.status;
	if (rc == 0 && q->method == NULL)
		return 0;
	if (rc == 0)
		return 1;
	return rc;
}

void
hreader_free(struct hreader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->off = r->cap = 0;
}

const char *
mreq_header(const struct mreq *q, const char *name)
{
	return h1_header(q->hdrs, q->nhdrs, name);
}

void
mreq_free(struct mreq *q)
{
	if (q == NULL)
		return;
	free(q->raw);
	free(q->target);
	free(q->path);
	free(q->query);
	free(q->hdrs);
	buf_free(&q->body);
	memset(q, 0, sizeof(*q));
}

int
mreq_query_param(const struct mreq *q, const char *name, char *out,
    size_t outsz, int plus_space)
{
	const char *p = q->query ? q->query : "";
	size_t nl = strlen(name);

	while (*p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) >= nl && strncmp(p, name, nl) == 0 &&
		    (p[nl] == '=' || p + nl == end)) {
			const char *v = p[nl] == '=' ? p + nl + 1 : end;
			size_t o = 0;

			while (v < end && o + 1 < outsz) {
				if (*v == '%' && end - v >= 3 &&
				    isxdigit((unsigned char)v[1]) &&
				    isxdigit((unsigned char)v[2])) {
					char h[3] = { v[1], v[2], 0 };
					out[o++] = (char)strtol(h, NULL, 16);
					v += 3;
				} else {
					out[o++] = plus_space && *v == '+' ? ' ' :
					    *v;
					v++;
				}
			}
			out[o] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

int
mreq_auth_param(const char *a, const char *key, char *out, size_t outsz)
{
	const char *p = a;
	size_t kl = strlen(key), n;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == a || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, ", ");
			if (n >= outsz)
				return -1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		p += kl;
	}
	return -1;
}
