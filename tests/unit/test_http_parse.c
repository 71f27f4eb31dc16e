/* test_http_parse.c - http_parse_response over canned bytes, fed whole and
 * one byte at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"
#include "http.h"
#include "log.h"
#include "t.h"

struct mem {
	const char *p;
	size_t len, pos;
	size_t piece; /* max bytes per read; 0 = all */
	int fail_at_end; /* -1 instead of EOF */
};

static long
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t k = m->len - m->pos;

	if (k == 0)
		return m->fail_at_end ? -1 : 0;
	if (k > n)
		k = n;
	if (m->piece && k > m->piece)
		k = m->piece;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (long)k;
}

/* Parses s (both whole and 1-byte pieces, which must agree). */
static int
parse2(const char *s, size_t len, int is_head, struct http_response *r)
{
	struct http_response r1;
	struct mem m = { s, len, 0, 1, 0 };
	int rc1, rc2;
	char e1[512];

	rc1 = http_parse_response(mem_read, &m, is_head, &r1);
	snprintf(e1, sizeof(e1), "%s", err_get());
	m.pos = 0;
	m.piece = 0;
	rc2 = http_parse_response(mem_read, &m, is_head, r);
	CHECK(rc1 == rc2);
	if (rc1 == 0 && rc2 == 0) {
		CHECK(r1.status == r->status);
		CHECK_MEMEQ(r1.body, r1.body_len, r->body, r->body_len);
		CHECK(r1.keep_alive == r->keep_alive);
	} else if (rc1 == -1 && rc2 == -1) {
		CHECK_STREQ(e1, err_get());
	}
	http_response_free(&r1);
	return rc2;
}

#define PARSE(s, head, r) parse2((s), sizeof(s) - 1, (head), (r))

static void
parse_content_length(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n"
	    "{\"a\":true}\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK(r.status == 200);
	CHECK_MEMEQ(r.body, r.body_len, "{\"a\":true}\n", 11);
	CHECK(r.body[r.body_len] == '\0');
	CHECK(r.keep_alive == 1);
	CHECK(r.nhdrs == 2);
	CHECK_STREQ(http_resp_header(&r, "content-type"), "application/json");
	CHECK(http_resp_header(&r, "X-None") == NULL);
	http_response_free(&r);
}

static void
parse_zero_length_body_not_null(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK(r.body != NULL && r.body_len == 0 && r.body[0] == '\0');
	http_response_free(&r);
}

static void
parse_chunked_with_extensions_and_trailers(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5;name=value\r\nhello\r\n"
	    "1 ; x\r\n \r\n"
	    "A\r\n0123456789\r\n"
	    "0\r\nX-Trailer: yes\r\nY: z\r\n\r\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "hello 0123456789", 16);
	CHECK(r.keep_alive);
	http_response_free(&r);
}

static void
parse_chunked_lf_only_and_uppercase_te(void)
{
	static const char s[] = "HTTP/1.1 200 OK\n"
	    "transfer-encoding: Chunked\n\n"
	    "3\nabc\n0\n\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "abc", 3);
	http_response_free(&r);
}

static void
parse_bodiless_statuses(void)
{
	static const char s204[] = "HTTP/1.1 204 No Content\r\n\r\n";
	static const char s304[] = "HTTP/1.1 304 Not Modified\r\n"
	    "Content-Length: 99\r\n\r\n";
	static const char head[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 1234\r\n\r\n";
	struct http_response r;

	CHECK(PARSE(s204, 0, &r) == 0);
	CHECK(r.status == 204 && r.body_len == 0 && r.keep_alive);
	http_response_free(&r);
	CHECK(PARSE(s304, 0, &r) == 0);
	CHECK(r.status == 304 && r.body_len == 0);
	http_response_free(&r);
	CHECK(PARSE(head, 1, &r) == 0);
	CHECK(r.status == 200 && r.body_len == 0 && r.keep_alive);
	http_response_free(&r);
}

static void
parse_skips_1xx(void)
{
	static const char s[] = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK(r.status == 201);
	CHECK(http_resp_header(&r, "Link") == NULL);
	CHECK_MEMEQ(r.body, r.body_len, "ok", 2);
	http_response_free(&r);
}

static void
parse_read_until_close(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nX: y\r\n\r\nall of it";
	static const char s10[] = "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"
	    "x";
	static const char s10k[] = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive"
	    "\r\nContent-Length: 1\r\n\r\nx";
	static const char close[] = "HTTP/1.1 200 OK\r\nConnection: foo, close"
	    "\r\nContent-Length: 1\r\n\r\nx";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "all of it", 9);
	CHECK(r.keep_alive == 0);
	http_response_free(&r);
	CHECK(PARSE(s10, 0, &r) == 0);
	CHECK(r.keep_alive == 0);
	http_response_free(&r);
	CHECK(PARSE(s10k, 0, &r) == 0);
	CHECK(r.keep_alive == 1);
	http_response_free(&r);
	CHECK(PARSE(close, 0, &r) == 0);
	CHECK(r.keep_alive == 0);
	http_response_free(&r);
}

static void
parse_reason_phrase_optional(void)
{
	static const char s[] = "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n";
	static const char s2[] = "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK(r.status == 503);
	http_response_free(&r);
	CHECK(PARSE(s2, 0, &r) == 0);
	CHECK(r.status == 404);
	http_response_free(&r);
}

static void
parse_header_whitespace_trimmed(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nLocation:   /v1/x \t\r\n"
	    "Empty:\r\nContent-Length: 0\r\n\r\n";
	struct http_response r;

	CHECK(PARSE(s, 0, &r) == 0);
	CHECK_STREQ(http_resp_header(&r, "location"), "/v1/x");
	CHECK_STREQ(http_resp_header(&r, "Empty"), "");
	http_response_free(&r);
}

struct bad {
	const char *s;
	size_t len;
	const char *why;
};
#define BAD(lit, why) { lit, sizeof(lit) - 1, why }

static const struct bad bads[] = {
	BAD("", "closed before any response"),
	BAD("HTTP/1.1 200 OK\r\nContent-Le", "middle of the response"),
	BAD("HTTP/1.1 200 OK", "middle of the response"),
	BAD("HTTP/2 200\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1 20 OK\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1 2000 OK\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1 099 x\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1 600 x\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1  200 OK\r\n\r\n", "bad status line"),
	BAD("http/1.1 200 OK\r\n\r\n", "bad status line"),
	BAD("<html>hello</html>\r\n\r\n", "bad status line"),
	BAD("HTTP/1.1 200 OK\rX: y\r\n\r\n", "bare CR"),
	BAD("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "bare CR"),
	BAD("HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n", "folding"),
	BAD("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "malformed header"),
	BAD("HTTP/1.1 200 OK\r\n: v\r\n\r\n", "malformed header"),
	BAD("HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n", "header name"),
	BAD("HTTP/1.1 200 OK\r\nX: a\x01" "b\r\n\r\n", "control character"),
	BAD("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", "NUL"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
	    "hello", "duplicate Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
	    "hello!", "duplicate Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
	    "bad Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "bad Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
	    "bad Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    "bad Content-Length"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 8388609\r\n\r\n",
	    "larger than 8 MiB"),
	BAD("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
	    "body truncated after 5 of 10 bytes"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "unsupported Transfer-Encoding"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
	    "unsupported Transfer-Encoding"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "duplicate Transfer-Encoding"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n0\r\n\r\n", "both Transfer-Encoding"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "bad chunk size"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
	    "bad chunk size"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
	    "bad chunk size"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n",
	    "bad chunk size"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffffffff\r\n", "chunk size too large"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffff\r\n", "larger than 8 MiB"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "800001\r\n", "larger than 8 MiB"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhelloX\r\n0\r\n\r\n", "missing CRLF after chunk"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhel", "chunked body truncated after 3 bytes"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n", "middle of the response"),
	BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\nbad trailer\r\n\r\n", "malformed trailer"),
	BAD("HTTP/1.1 101 Switching Protocols\r\n\r\n", "101"),
};

static void
parse_rejects_malformed(void)
{
	struct http_response r;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		err_clear();
		if (!CHECK(parse2(bads[i].s, bads[i].len, 0, &r) == -1)) {
			CHECK_STREQ(bads[i].s, "(accepted)");
			http_response_free(&r);
			continue;
		}
		if (!CHECK(strstr(err_get(), bads[i].why) != NULL))
			CHECK_STREQ(err_get(), bads[i].why);
		CHECK(r.body == NULL && r.hdrs == NULL && r.nhdrs == 0);
	}
}

static void
parse_oversized_header_section(void)
{
	struct http_response r;
	size_t n = 70 * 1024, off;
	char *s = malloc(n + 64);

	off = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\n");
	while (off + 40 < n)
		off += (size_t)sprintf(s + off, "X-Filler: %030d\r\n", 7);
	off += (size_t)sprintf(s + off, "\r\n");
	CHECK(parse2(s, off, 0, &r) == -1);
	CHECK(strstr(err_get(), "header section larger than 64 KiB") != NULL);
	/* One huge line is the same error, not a crash. */
	memset(s, 'A', n);
	memcpy(s, "HTTP/1.1 200 OK\r\nX: ", 20);
	CHECK(parse2(s, n, 0, &r) == -1);
	CHECK(strstr(err_get(), "larger than 64 KiB") != NULL);
	free(s);
}

static void
parse_large_body_ok(void)
{
	struct http_response r;
	size_t blen = 1000000, off;
	char *s = malloc(blen + 100);

	off = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
	    blen);
	memset(s + off, 'b', blen);
	CHECK(parse2(s, off + blen, 0, &r) == 0);
	CHECK(r.body_len == blen && r.body[blen - 1] == 'b' &&
	    r.body[blen] == '\0');
	http_response_free(&r);
	free(s);
}

static void
parse_read_error_propagates(void)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	    "abc";
	struct http_response r;
	struct mem m = { s, sizeof(s) - 1, 0, 0, 1 };

	err_clear();
	CHECK(http_parse_response(mem_read, &m, 0, &r) == -1);
	CHECK(r.body == NULL);
}

/* A cheap fuzz pass: every prefix of every good and bad response, and
 * byte flips, must end in 0 or -1 without touching memory it does not own. */
static void
parse_prefixes_and_flips_never_crash(void)
{
	static const char *const goods[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		    "Content-Length: 3\r\n\r\nabc",
	};
	struct http_response r;
	char tmp[256];
	size_t g, k, len, i;

	for (g = 0; g < sizeof(goods) / sizeof(goods[0]); g++) {
		len = strlen(goods[g]);
		for (k = 0; k <= len; k++) {
			struct mem m = { goods[g], k, 0, 3, 0 };
			if (http_parse_response(mem_read, &m, 0, &r) == 0)
				http_response_free(&r);
		}
		for (i = 0; i < len; i++) {
			static const char flips[] = { '\r', '\n', '0', 'f',
				':', ' ', ';', '\0' };
			for (k = 0; k < sizeof(flips); k++) {
				struct mem m = { tmp, len, 0, 0, 0 };
				memcpy(tmp, goods[g], len);
				tmp[i] = flips[k];
				if (http_parse_response(mem_read, &m, 0, &r)
				    == 0)
					http_response_free(&r);
			}
		}
	}
	CHECK(1);
}

/* ---- h1.c, the grammar both sides use ------------------------------- */

static void
h1_request_lines(void)
{
	static const struct {
		const char *line;
		const char *method, *target;
		int status; /* 0 = accepted */
		int minor;
	} v[] = {
		{ "GET /v1/sys/health?standbyok=true HTTP/1.1", "GET",
		    "/v1/sys/health?standbyok=true", 0, 1 },
		{ "OPTIONS * HTTP/1.0", "OPTIONS", "*", 0, 0 },
		{ "GET * HTTP/1.1", NULL, NULL, 400, 0 },
		{ "GET /x HTTP/2.0", NULL, NULL, 505, 0 },
		{ "GET /x HTTP/1.1x", NULL, NULL, 400, 0 },
		{ "G(T /x HTTP/1.1", NULL, NULL, 400, 0 },
		{ "GET /x#f HTTP/1.1", NULL, NULL, 400, 0 },
		{ "GET  /x HTTP/1.1", NULL, NULL, 400, 0 },
		{ "GET http://h/x HTTP/1.1", NULL, NULL, 400, 0 },
		{ "LONGERTHANFIFTEEN /x HTTP/1.1", NULL, NULL, 400, 0 },
		{ "GET", NULL, NULL, 400, 0 },
	};
	struct h1_reqline rl;
	const char *why;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(line, sizeof(line), "%s", v[i].line);
		why = NULL;
		if (!CHECK(h1_request_line(line, &rl, &why) == v[i].status))
			CHECK_STREQ(v[i].line, "(unexpected status)");
		if (v[i].status != 0) {
			CHECK(why != NULL && why[0] != '\0');
			continue;
		}
		CHECK_STREQ(rl.method, v[i].method);
		CHECK_STREQ(rl.target, v[i].target);
		CHECK(rl.minor == v[i].minor);
	}
}

static void
h1_fields_and_tokens(void)
{
	struct h1_field f;
	const char *why;
	struct http_header h10[] = { { "Connection", "Keep-Alive" } };
	struct http_header h11[] = { { "connection", "te" },
		{ "Connection", "foo , close" } };
	unsigned long long n = 7;

	CHECK(h1_field("X-A: \t v w \t", 12, &f, &why) == 0);
	CHECK(f.name_len == 3 && memcmp(f.name, "X-A", 3) == 0);
	CHECK(f.value_len == 3 && memcmp(f.value, "v w", 3) == 0);
	CHECK(h1_field(" X: v", 5, &f, &why) == -1 &&
	    strstr(why, "folding") != NULL);
	CHECK(h1_field("X v", 3, &f, &why) == -1);
	CHECK(h1_field("X\x7f: v", 5, &f, &why) == -1);
	CHECK(h1_has_token("a, Close ,b", "close") == 1);
	CHECK(h1_has_token("closed, xclose", "close") == 0);
	CHECK(h1_keep_alive(1, NULL, 0) == 1);
	CHECK(h1_keep_alive(0, NULL, 0) == 0);
	CHECK(h1_keep_alive(0, h10, 1) == 1);
	CHECK(h1_keep_alive(1, h11, 2) == 0);
	CHECK_STREQ(h1_header(h11, 2, "CONNECTION"), "te");
	CHECK(h1_content_length("0012", &n) == 0 && n == 12);
	CHECK(h1_content_length("", &n) == -1);
	CHECK(h1_content_length("1 ", &n) == -1);
	CHECK(h1_content_length("1234567890123456", &n) == -2);
}

void
suite_http_parse(void)
{
	T_RUN(parse_content_length);
	T_RUN(parse_zero_length_body_not_null);
	T_RUN(parse_chunked_with_extensions_and_trailers);
	T_RUN(parse_chunked_lf_only_and_uppercase_te);
	T_RUN(parse_bodiless_statuses);
	T_RUN(parse_skips_1xx);
	T_RUN(parse_read_until_close);
	T_RUN(parse_reason_phrase_optional);
	T_RUN(parse_header_whitespace_trimmed);
	T_RUN(parse_rejects_malformed);
	T_RUN(parse_oversized_header_section);
	T_RUN(parse_large_body_ok);
	T_RUN(parse_read_error_propagates);
	T_RUN(parse_prefixes_and_flips_never_crash);
	T_RUN(h1_request_lines);
	T_RUN(h1_fields_and_tokens);
}
