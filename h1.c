/* h1.c - HTTP/1.1 wire grammar shared by client and mock (see h1.h). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "h1.h"

int
h1_is_tchar(int ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

int
h1_status_line(const char *l, size_t len, int *minor)
{
	int st;

	if (len < 12 || strncmp(l, "HTTP/1.", 7) != 0 ||
	    (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (len > 12 && l[12] != ' '))
		return -1;
	st = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (st < 100 || st > 599)
		return -1;
	*minor = l[7] - '0';
	return st;
}

static int
req_fail(const char **why, int status, const char *msg)
{
	*why = msg;
	return status;
}

/* "HTTP/1.1" -> 1, "HTTP/1.0" -> 0; -505 another HTTP/d.d; -400 else. */
static int
version_minor(const char *v)
{
	if (strcmp(v, "HTTP/1.1") == 0)
		return 1;
	if (strcmp(v, "HTTP/1.0") == 0)
		return 0;
	if (strncmp(v, "HTTP/", 5) == 0 && strlen(v) == 8 &&
	    isdigit((unsigned char)v[5]) && v[6] == '.' &&
	    isdigit((unsigned char)v[7]))
		return -505;
	return -400;
}

int
h1_request_line(char *line, struct h1_reqline *out, const char **why)
{
	char *sp1, *sp2, *t;
	size_t i;
	int minor;

	if ((sp1 = strchr(line, ' ')) == NULL)
		return req_fail(why, 400, "malformed request line");
	*sp1 = '\0';
	if (sp1 == line || sp1 - line > 15)
		return req_fail(why, 400, "bad method");
	for (i = 0; line[i]; i++)
		if (!h1_is_tchar((unsigned char)line[i]))
			return req_fail(why, 400, "bad method");
	t = sp1 + 1;
	if ((sp2 = strchr(t, ' ')) == NULL || sp2 == t)
		return req_fail(why, 400, "malformed request line");
	*sp2 = '\0';
	if ((minor = version_minor(sp2 + 1)) == -505)
		return req_fail(why, 505, "HTTP version not supported");
	if (minor < 0)
		return req_fail(why, 400, "malformed request line");
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f ||
		    t[i] == '#')
			return req_fail(why, 400, "bad request target");
	if (t[0] != '/' && !(strcmp(t, "*") == 0 && strcmp(line, "OPTIONS") == 0))
		return req_fail(why, 400,
		    "request target must be an absolute path");
	out->method = line;
	out->target = t;
	out->minor = minor;
	return 0;
}

static int
is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

int
h1_field(const char *line, size_t len, struct h1_field *f, const char **why)
{
	const char *colon, *v, *ve;
	size_t i;

	if (len > 0 && is_ows(line[0])) {
		*why = "obsolete header line folding";
		return -1;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL || colon == line) {
		*why = "malformed header line";
		return -1;
	}
	for (i = 0; line + i < colon; i++)
		if (!h1_is_tchar((unsigned char)line[i])) {
			*why = "bad character in header name";
			return -1;
		}
	v = colon + 1;
	ve = line + len;
	while (v < ve && is_ows(*v))
		v++;
	while (ve > v && is_ows(ve[-1]))
		ve--;
	for (i = 0; v + i < ve; i++) {
		unsigned char ch = (unsigned char)v[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			*why = "control character in header value";
			return -1;
		}
	}
	f->name = line;
	f->name_len = (size_t)(colon - line);
	f->value = v;
	f->value_len = (size_t)(ve - v);
	return 0;
}

const char *
h1_header(const struct http_header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

int
h1_has_token(const char *v, const char *token)
{
	size_t tl = strlen(token), n;

	while (*v) {
		while (is_ows(*v) || *v == ',')
			v++;
		n = strcspn(v, ",");
		while (n > 0 && is_ows(v[n - 1]))
			n--;
		if (n == tl && strncasecmp(v, token, tl) == 0)
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

int
h1_keep_alive(int minor, const struct http_header *h, size_t n)
{
	int close_tok = 0, keep_tok = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, "Connection") != 0)
			continue;
		close_tok |= h1_has_token(h[i].value, "close");
		keep_tok |= h1_has_token(h[i].value, "keep-alive");
	}
	return minor == 1 ? !close_tok : keep_tok && !close_tok;
}

int
h1_content_length(const char *v, unsigned long long *out)
{
	unsigned long long n = 0;
	size_t i;

	if (*v == '\0')
		return -1;
	for (i = 0; v[i]; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		if (i >= 15)
			return -2;
		n = n * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = n;
	return 0;
}

/* ---- chunked ----------------------------------------------------------- */

static const struct {
	const char *msg;
	int status;
} chunk_errs[] = {
	[H1_CHUNK_OK] = { "ok", 200 },
	[H1_CHUNK_IO] = { "read error", 400 },
	[H1_CHUNK_BAD_SIZE] = { "bad chunk size", 400 },
	[H1_CHUNK_SIZE_DIGITS] = { "chunk size too large", 413 },
	[H1_CHUNK_TOO_LARGE] = { "body larger than 8 MiB", 413 },
	[H1_CHUNK_NO_CRLF] = { "missing CRLF after chunk data", 400 },
	[H1_CHUNK_BAD_TRAILER] = { "malformed trailer line", 400 },
};

const char *
h1_chunk_msg(enum h1_chunk_err e)
{
	return chunk_errs[e].msg;
}

int
h1_chunk_status(enum h1_chunk_err e)
{
	return chunk_errs[e].status;
}

static int
hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* chunk-size [ws] [";" ext]: 0 with *size, or the error. */
static enum h1_chunk_err
chunk_size(const char *p, unsigned long long *size)
{
	int digits = 0;

	*size = 0;
	while (isxdigit((unsigned char)*p)) {
		if (++digits > 15)
			return H1_CHUNK_SIZE_DIGITS;
		*size = *size * 16 + (unsigned long long)hexval(
		    (unsigned char)*p);
		p++;
	}
	if (digits == 0)
		return H1_CHUNK_BAD_SIZE;
	while (is_ows(*p))
		p++;
	if (*p != '\0' && *p != ';')
		return H1_CHUNK_BAD_SIZE;
	return H1_CHUNK_OK;
}

enum h1_chunk_err
h1_chunked(const struct h1_chunk_src *src, struct buf *body, size_t max)
{
	unsigned long long size;
	enum h1_chunk_err e;
	const char *line;
	size_t len;

	for (;;) {
		if (src->line(src->ctx, H1_LINE_SIZE, &line, &len) == -1)
			return H1_CHUNK_IO;
		if ((e = chunk_size(line, &size)) != H1_CHUNK_OK)
			return e;
		if (size > max || body->len + size > max)
			return H1_CHUNK_TOO_LARGE;
		if (size == 0)
			break;
		if (src->data(src->ctx, body, (size_t)size) == -1)
			return H1_CHUNK_IO;
		if (src->line(src->ctx, H1_LINE_DATA_END, &line, &len) == -1)
			return H1_CHUNK_IO;
		if (len != 0)
			return H1_CHUNK_NO_CRLF;
	}
	for (;;) { /* trailer section: fields checked and dropped */
		if (src->line(src->ctx, H1_LINE_TRAILER, &line, &len) == -1)
			return H1_CHUNK_IO;
		if (len == 0)
			return H1_CHUNK_OK;
		if (is_ows(line[0]) || memchr(line, ':', len) == NULL)
			return H1_CHUNK_BAD_TRAILER;
	}
}
