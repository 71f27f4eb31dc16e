/* test_json.c - strict JSON reader and string writer. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "t.h"

static int
parse(struct json *j, const char *s)
{
	return json_parse(j, s, strlen(s));
}

static const char vault_status[] =
    "{\"request_id\":\"abc\",\"data\":{\"mode\":\"primary\",\"cluster_id\":"
    "\"5f0c\",\"known_secondaries\":[\"dr-b\"],\"secondaries\":[{\"node_id\":"
    "\"dr-b\",\"api_address\":\"https://b:8200\",\"last_heartbeat\":\"0\"},"
    "{\"node_id\":\"dr-c\",\"api_address\":\"https://c:8200\"}],"
    "\"last_wal\":455,\"state\":\"running\",\"progress\":3,\"required\":3,"
    "\"complete\":true,\"otp_length\":28,\"nonce\":null,\"neg\":-12,"
    "\"big\":9223372036854775807,\"small\":-9223372036854775808,"
    "\"over\":9223372036854775808,\"frac\":1.5,\"exp\":1e3,"
    "\"epoch\":\"1700000000\",\"sepoch\":\"-0\",\"bad_epoch\":\"12a\","
    "\"empty\":\"\",\"sfrac\":\"1.5\"},"
    "\"warnings\":null,\"wrap_info\":null,\"lease_duration\":0}\n";

static void
json_vault_doc(void)
{
	struct json j;
	char *s = NULL;
	long long v;
	int b, idx;

	if (!CHECK(parse(&j, vault_status) == 0))
		return;
	CHECK(json_get_str(&j, 0, "data.mode", &s) == 0);
	CHECK_STREQ(s, "primary");
	free(s);
	CHECK(json_get_str(&j, 0, "data.secondaries.1.api_address", &s) == 0);
	CHECK_STREQ(s, "https://c:8200");
	free(s);
	CHECK(json_get_str(&j, 0, "data.secondaries.2.api_address", &s) == 1);
	CHECK(s == NULL);
	CHECK(json_get_str(&j, 0, "data.known_secondaries.0", &s) == 0);
	CHECK_STREQ(s, "dr-b");
	free(s);
	CHECK(json_get_str(&j, 0, "data.nothing", &s) == 1);
	CHECK(json_get_str(&j, 0, "wrap_info", &s) == 1);
	CHECK(json_get_str(&j, 0, "wrap_info.token", &s) == 1);
	CHECK(json_get_str(&j, 0, "data.last_wal", &s) == -1);
	CHECK(strstr(err_get(), "data.last_wal") != NULL);
	CHECK(json_get_str(&j, 0, "data.empty", &s) == 0);
	CHECK_STREQ(s, "");
	free(s);

	CHECK(json_get_i64(&j, 0, "data.last_wal", &v) == 0 && v == 455);
	CHECK(json_get_i64(&j, 0, "data.neg", &v) == 0 && v == -12);
	CHECK(json_get_i64(&j, 0, "data.big", &v) == 0 && v == LLONG_MAX);
	CHECK(json_get_i64(&j, 0, "data.small", &v) == 0 && v == LLONG_MIN);
	CHECK(json_get_i64(&j, 0, "data.over", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.frac", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.exp", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.epoch", &v) == 0 && v == 1700000000);
	CHECK(json_get_i64(&j, 0, "data.sepoch", &v) == 0 && v == 0);
	CHECK(json_get_i64(&j, 0, "data.bad_epoch", &v) == -1);
	CHECK(strstr(err_get(), "12a") == NULL);
	CHECK(json_get_i64(&j, 0, "data.empty", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.sfrac", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.complete", &v) == -1);
	CHECK(json_get_i64(&j, 0, "data.nonce", &v) == 1);
	CHECK(json_get_i64(&j, 0, "data.missing", &v) == 1);
	CHECK(json_get_i64(&j, 0, "lease_duration", &v) == 0 && v == 0);

	CHECK(json_get_bool(&j, 0, "data.complete", &b) == 0 && b == 1);
	CHECK(json_get_bool(&j, 0, "data.mode", &b) == -1);
	CHECK(json_get_bool(&j, 0, "data.nonce", &b) == 1);

	idx = json_find(&j, 0, "data.secondaries");
	CHECK(json_type_at(&j, idx) == JSON_ARRAY);
	CHECK(json_array_len(&j, idx) == 2);
	CHECK(json_array_len(&j, 0) == -1);
	CHECK(json_get_str(&j, json_array_elem(&j, idx, 1), "node_id", &s)
	    == 0);
	CHECK_STREQ(s, "dr-c");
	free(s);
	CHECK(json_array_elem(&j, idx, 2) == -1);
	CHECK(json_array_elem(&j, idx, -1) == -1);
	CHECK(json_find(&j, 0, "") == 0);
	CHECK(json_type_at(&j, 0) == JSON_OBJECT);
	CHECK(json_type_at(&j, json_find(&j, 0, "data.nonce")) == JSON_NULL);
	CHECK(json_type_at(&j, json_find(&j, 0, "data.frac")) == JSON_NUMBER);
	CHECK(json_type_at(&j, json_find(&j, 0, "data.complete")) == JSON_BOOL);
	CHECK(json_type_at(&j, json_find(&j, 0, "data.mode")) == JSON_STRING);
	CHECK(json_type_at(&j, -1) == JSON_MISSING);
	CHECK(json_type_at(&j, 100000) == JSON_MISSING);
	CHECK(json_find(&j, 0, "data.secondaries.x") == -1);
	CHECK(json_find(&j, 0, "data.mode.x") == -1);
	CHECK(json_find(&j, 0, "data.secondaries.-1") == -1);
	CHECK(json_find(&j, 0, "data..mode") == -1);
	json_free(&j);
	json_free(&j);
	json_free(NULL);
}

static void
json_top_array_and_find(void)
{
	struct json j;
	char *s;

	if (!CHECK(parse(&j, "  [ {\"a\" : [1, [2, {\"b\":\"x\"}]]}, 3 ]  ")
	    == 0))
		return;
	CHECK(json_get_str(&j, 0, "0.a.1.1.b", &s) == 0);
	CHECK_STREQ(s, "x");
	free(s);
	CHECK(json_array_len(&j, 0) == 2);
	CHECK(json_type_at(&j, json_array_elem(&j, 0, 1)) == JSON_NUMBER);
	json_free(&j);
	/* escaped key is found by its unescaped name */
	if (!CHECK(parse(&j, "{\"k\\u0065y\":\"v\",\"key\":\"w\"}") == 0))
		return;
	CHECK(json_get_str(&j, 0, "key", &s) == 0);
	CHECK_STREQ(s, "v"); /* first match */
	free(s);
	json_free(&j);
}

static void
json_unescape(void)
{
	struct json j;
	char *s;

	if (!CHECK(parse(&j, "{\"s\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\","
	    "\"u\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\","
	    "\"raw\":\"\xc3\xa9\",\"nul\":\"a\\u0000b\"}") == 0))
		return;
	CHECK(json_get_str(&j, 0, "s", &s) == 0);
	CHECK_STREQ(s, "a\"b\\c/d\be\ff\ng\rh\ti");
	free(s);
	CHECK(json_get_str(&j, 0, "u", &s) == 0);
	CHECK_STREQ(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "A");
	free(s);
	CHECK(json_get_str(&j, 0, "raw", &s) == 0);
	CHECK_STREQ(s, "\xc3\xa9");
	free(s);
	CHECK(json_get_str(&j, 0, "nul", &s) == -1);
	CHECK(s == NULL);
	CHECK(strstr(err_get(), "NUL") != NULL);
	CHECK(json_tok_str(&j, 0, &s) == -1); /* not a string */
	json_free(&j);
}

static const char *malformed[] = {
	"", "   ", "42", "\"str\"", "true", "null",
	"[1,,2]", "[,1]", "[1,]", "[1 2]", "{\"a\":1,}", "{,}",
	"{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\"}", "{\"a\":}", "{1:2}",
	"{\"a\"::1}", "{\"a\":1,,\"b\":2}", "[\"a\":1]", "{\"a\":1:2}",
	"[tru]", "[truex]", "[nul]", "[01]", "[1.]", "[.5]", "[-]", "[1e]",
	"[+1]", "[1e+]", "[0x10]", "[Infinity]", "[-01]",
	"{} {}", "{}x", "[]]", "{\"a\":1}}", "[", "]", "{", "[1,2,3",
	"{\"a\":[1,2}", "[\"abc]", "[\"a\tb\"]", "[\"a\nb\"]", "[\"\\x\"]",
	"[\"\\u12\"]", "[\"\\u12g4\"]", "[\"\\ud800\"]", "[\"\\udc00\"]",
	"[\"\\ud800\\u0041\"]", "[\"\\ud800x\"]", "[\"\\\"]", "['a']",
	"{\"a\":1}\n,", "[1]\x01",
};

static void
json_malformed(void)
{
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		err_clear();
		if (!CHECK(parse(&j, malformed[i]) == -1)) {
			fprintf(stderr, "  accepted case %zu: %s\n", i,
			    malformed[i]);
			json_free(&j);
			continue;
		}
		CHECK(j.tok == NULL && j.ntok == 0);
		CHECK(strncmp(err_get(), "JSON: ", 6) == 0);
	}
	/* embedded NUL byte in the input */
	CHECK(json_parse(&j, "{\"a\":\"x\0y\"}", 11) == -1);
	CHECK(strstr(err_get(), "byte 7") != NULL);
	/* length is honoured: "[1]" out of "[1]garbage" */
	CHECK(json_parse(&j, "[1]garbage", 3) == 0);
	json_free(&j);
	/* messages carry offsets, not values */
	CHECK(parse(&j, "{\"token\":\"hvs.SECRETVALUE\" x}") == -1);
	CHECK(strstr(err_get(), "SECRET") == NULL);
	CHECK(strstr(err_get(), "byte") != NULL);
}

static void
json_valid_edge(void)
{
	static const char *ok[] = {
		"{}", "[]", " \t\r\n{ } \n", "[0]", "[-0]", "[0.5e-3]",
		"[1E+2]", "[-1.25e10]", "[true,false,null]", "[\"\"]",
		"{\"\":{}}", "[[],[[]],{}]", "{\"a\":{\"b\":{\"c\":[1]}}}",
		"[\"\\u0041\\uD83D\\uDE00\"]", "[\"\xe2\x82\xac\"]",
	};
	struct json j;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!CHECK(parse(&j, ok[i]) == 0))
			fprintf(stderr, "  rejected case %zu: %s\n", i, ok[i]);
		json_free(&j);
	}
}

static void
json_depth_limit(void)
{
	char doc[2 * (JSON_MAX_DEPTH + 2) + 1];
	struct json j;
	int d;

	for (d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
		memset(doc, '[', (size_t)d);
		memset(doc + d, ']', (size_t)d);
		doc[2 * d] = '\0';
		if (d == JSON_MAX_DEPTH) {
			CHECK(parse(&j, doc) == 0);
			json_free(&j);
		} else {
			CHECK(parse(&j, doc) == -1);
			CHECK(strstr(err_get(), "nesting") != NULL);
		}
	}
}

static void
json_big_documents(void)
{
	struct buf b = { 0 };
	struct json j;
	long long v = 0;
	int i;

	/* many tokens: grow and resume must keep earlier tokens */
	buf_puts(&b, "{\"list\":[");
	for (i = 0; i < 5000; i++)
		buf_printf(&b, "%s{\"n\":%d}", i ? "," : "", i);
	buf_puts(&b, "],\"tail\":7}");
	if (CHECK(json_parse(&j, b.data, b.len) == 0)) {
		CHECK(json_array_len(&j, json_find(&j, 0, "list")) == 5000);
		CHECK(json_get_i64(&j, 0, "list.4321.n", &v) == 0 &&
		    v == 4321);
		CHECK(json_get_i64(&j, 0, "tail", &v) == 0 && v == 7);
		json_free(&j);
	}
	buf_free(&b);
	/* over the token limit */
	buf_puts(&b, "[");
	for (i = 0; i < JSON_MAX_TOKENS + 1; i++)
		buf_puts(&b, i ? ",0" : "0");
	buf_puts(&b, "]");
	CHECK(json_parse(&j, b.data, b.len) == -1);
	CHECK(strstr(err_get(), "tokens") != NULL);
	buf_free(&b);
}

static void
json_truncations_never_crash(void)
{
	struct json j;
	size_t n, len = strlen(vault_status);
	char *copy;
	int ok;

	/* every prefix is either invalid or (the full text) valid */
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1); /* exact size: ASan/valgrind catch overreads */
		memcpy(copy, vault_status, n);
		ok = json_parse(&j, copy, n) == 0;
		if (ok)
			json_free(&j);
		CHECK(!ok || n >= len - 1);
		free(copy);
	}
	/* byte flips: just must not crash, and getters must stay safe */
	for (n = 0; n < len; n++) {
		char *m = strdup(vault_status), *s = NULL;
		long long v;
		m[n] ^= 0x5a;
		if (json_parse(&j, m, len) == 0) {
			if (json_get_str(&j, 0, "data.mode", &s) == 0)
				free(s);
			(void)json_get_i64(&j, 0, "data.last_wal", &v);
			json_free(&j);
		}
		free(m);
	}
}

static void
json_writer(void)
{
	struct buf b = { 0 };
	struct json j;
	char *s = NULL;
	const char in[] = "q\"b\\s/ \n\r\t\b\f\x01\x1f\x7f \xc3\xa9";

	CHECK(json_append_str(&b, "plain") == 0);
	CHECK_STREQ(b.data, "\"plain\"");
	buf_free(&b);
	CHECK(json_append_strn(&b, in, sizeof(in) - 1) == 0);
	CHECK_STREQ(b.data, "\"q\\\"b\\\\s/ \\n\\r\\t\\b\\f\\u0001\\u001f"
	    "\\u007f \xc3\xa9\"");
	buf_free(&b);
	/* round trip through the reader */
	buf_puts(&b, "{\"v\":");
	json_append_strn(&b, in, sizeof(in) - 1);
	buf_puts(&b, "}");
	if (CHECK(json_parse(&j, b.data, b.len) == 0)) {
		CHECK(json_get_str(&j, 0, "v", &s) == 0);
		CHECK_STREQ(s, in);
		free(s);
		json_free(&j);
	}
	buf_free(&b);
	/* an embedded NUL is written as \u0000 */
	CHECK(json_append_strn(&b, "a\0b", 3) == 0);
	CHECK_STREQ(b.data, "\"a\\u0000b\"");
	buf_free(&b);
}

void
suite_json(void)
{
	T_RUN(json_vault_doc);
	T_RUN(json_top_array_and_find);
	T_RUN(json_unescape);
	T_RUN(json_malformed);
	T_RUN(json_valid_edge);
	T_RUN(json_depth_limit);
	T_RUN(json_big_documents);
	T_RUN(json_truncations_never_crash);
	T_RUN(json_writer);
}
