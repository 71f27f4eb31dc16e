/* hreq.c - strict HTTP/1.x request reader for the mock's server side:
 * request line, headers (64 KiB), Content-Length and chunked bodies (8 MiB),
 * Expect: 100-continue, pipelined requests kept in the buffer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock.h"

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

static int
is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
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
	char *sp1, *sp2, *t, *qm;
	size_t i;

	if ((sp1 = strchr(line, ' ')) == NULL)
		return fail(b, 400, "malformed request line");
	*sp1 = '\0';
	if (sp1 == line || sp1 - line > 15)
		return fail(b, 400, "bad method");
	for (i = 0; line[i]; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(b, 400, "bad method");
	t = sp1 + 1;
	if ((sp2 = strchr(t, ' ')) == NULL || sp2 == t)
		return fail(b, 400, "malformed request line");
	*sp2 = '\0';
	if (strncmp(sp2 + 1, "HTTP/", 5) != 0)
		return fail(b, 400, "malformed request line");
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		q->minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		q->minor = 0;
	else if (strlen(sp2 + 1) == 8 && isdigit((unsigned char)sp2[6]) &&
	    sp2[7] == '.' && isdigit((unsigned char)sp2[8]))
		return fail(b, 505, "HTTP version not supported");
	else
		return fail(b, 400, "malformed request line");
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f ||
		    t[i] == '#')
			return fail(b, 400, "bad request target");
	if (t[0] != '/' && !(strcmp(t, "*") == 0 && strcmp(line, "OPTIONS") == 0))
		return fail(b, 400, "request target must be an absolute path");
	q->method = line;
	if ((q->target = strdup(t)) == NULL || (q->path = strdup(t)) == NULL)
		return fail(b, 500, "out of memory");
	qm = strchr(q->path, '?');
	if ((q->query = strdup(qm ? qm + 1 : "")) == NULL)
		return fail(b, 500, "out of memory");
	if (qm)
		*qm = '\0';
	return 0;
}

static int
parse_header(char *line, struct mreq *q, struct bad *b)
{
	char *colon, *v, *e;
	size_t i;

	if (line[0] == ' ' || line[0] == '\t')
		return fail(b, 400, "obsolete header line folding");
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return fail(b, 400, "malformed header line");
	*colon = '\0';
	for (i = 0; line[i]; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(b, 400, "bad header name");
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(b, 400, "bad header value");
	}
	if (q->nhdrs == MAX_HEADERS)
		return fail(b, 431, "too many header fields");
	q->hdrs[q->nhdrs].name = line;
	q->hdrs[q->nhdrs].value = v;
	q->nhdrs++;
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

static int
read_chunked(struct hreader *r, struct mreq *q, struct bad *b)
{
	char line[LINE_MAX_CHUNK + 1];
	size_t total = 0, trailer = 0;
	int rc;

	for (;;) {
		unsigned long long size = 0;
		size_t i, nd = 0;

		if ((rc = read_line(r, line, sizeof(line))) == -1)
			return -2;
		if (rc == -2)
			return fail(b, 400, "bad chunk size line");
		for (i = 0; line[i] != '\0' && isxdigit((unsigned char)line[i]);
		    i++, nd++) {
			if (nd >= 15)
				return fail(b, 413, "chunk too large");
			size = size * 16 + (unsigned long long)(isdigit(
			    (unsigned char)line[i]) ? line[i] - '0' :
			    (tolower((unsigned char)line[i]) - 'a' + 10));
		}
		if (nd == 0)
			return fail(b, 400, "bad chunk size");
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i] != '\0' && line[i] != ';')
			return fail(b, 400, "bad chunk size");
		if (size == 0)
			break;
		if (size > BODY_MAX || total + size > BODY_MAX)
			return fail(b, 413, "request body larger than 8 MiB");
		if (read_exact(r, &q->body, (size_t)size) == -1)
			return -2;
		total += (size_t)size;
		if ((rc = read_line(r, line, sizeof(line))) == -1)
			return -2;
		if (rc == -2 || line[0] != '\0')
			return fail(b, 400, "missing CRLF after chunk data");
	}
	for (;;) { /* trailer section; fields are read and dropped */
		if ((rc = read_line(r, line, sizeof(line))) == -1)
			return -2;
		if (rc == -2)
			return fail(b, 400, "bad trailer line");
		if (line[0] == '\0')
			return 0;
		if ((trailer += strlen(line)) > HDR_MAX)
			return fail(b, 431, "trailer section too large");
		if (strchr(line, ':') == NULL || line[0] == ' ' ||
		    line[0] == '\t')
			return fail(b, 400, "bad trailer line");
	}
}

/* Case-insensitive search for a comma-separated token in a header value. */
static int
has_token(const char *v, const char *tok)
{
	size_t n = strlen(tok);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (strncasecmp(v, tok, n) == 0) {
			const char *e = v + n;
			while (*e == ' ' || *e == '\t')
				e++;
			if (*e == ',' || *e == '\0')
				return 1;
		}
		while (*v && *v != ',')
			v++;
	}
	return 0;
}

static int
read_request(struct hreader *r, struct mreq *q, struct bad *b)
{
	size_t hlen, i;
	char *p, *end, *line;
	const char *te = NULL, *cl = NULL, *conn_hdr, *expect;
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
		if (parse_header(line, q, b) == -1)
			return -1;
	}
	if (rc == -1)
		return fail(b, 400, "bare CR in header section");
	for (i = 0; i < q->nhdrs; i++) {
		const char *n = q->hdrs[i].name, *v = q->hdrs[i].value;

		if (strcasecmp(n, "host") == 0)
			nhost++;
		else if (strcasecmp(n, "transfer-encoding") == 0) {
			if (te != NULL)
				return fail(b, 400, "repeated Transfer-Encoding");
			te = v;
		} else if (strcasecmp(n, "content-length") == 0) {
			size_t k;

			if (v[0] == '\0')
				return fail(b, 400, "bad Content-Length");
			for (k = 0; v[k]; k++)
				if (!isdigit((unsigned char)v[k]))
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
	conn_hdr = mreq_header(q, "connection");
	q->keep_alive = q->minor == 1 ? !(conn_hdr && has_token(conn_hdr,
	    "close")) : (conn_hdr && has_token(conn_hdr, "keep-alive"));
	if (te != NULL) {
		if (cl != NULL)
			return fail(b, 400,
			    "both Content-Length and Transfer-Encoding");
		if (q->minor == 0)
			return fail(b, 400, "Transfer-Encoding in HTTP/1.0");
		if (strcasecmp(te, "chunked") != 0)
			return fail(b, 501, "unsupported Transfer-Encoding");
	} else if (cl != NULL) {
		if (strlen(cl) > 10)
			return fail(b, 413, "request body larger than 8 MiB");
		clen = strtoull(cl, NULL, 10);
		if (clen > BODY_MAX)
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
	size_t i;

	for (i = 0; i < q->nhdrs; i++)
		if (strcasecmp(q->hdrs[i].name, name) == 0)
			return q->hdrs[i].value;
	return NULL;
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
