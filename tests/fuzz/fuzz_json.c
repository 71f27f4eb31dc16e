/* fuzz_json.c - json_parse, the typed getters and json_tok_str over every
 * token; strings that unescape are written back with json_append_strn and
 * must parse to the same bytes (writer/reader round trip). */
#include "buf.h"
#include "fuzz.h"
#include "json.h"

static const char *paths[] = {
	"", "data", "data.mode", "mode", "errors", "errors.0", "primary",
	"secondaries.0.api_address", "known_secondaries.1", "wrap_info.token",
	"a.b.c.d", "0", "0.0", "encoded_token", "complete", "required",
};

static void
getters(const struct json *j, int at, const char *path)
{
	char *s = NULL;
	long long v;
	int b, idx;

	idx = json_find(j, at, path);
	FUZZ_ASSERT(idx >= -1 && idx < j->ntok);
	(void)json_type_at(j, idx);
	if (json_get_str(j, at, path, &s) == 0)
		FUZZ_ASSERT(s != NULL);
	free(s);
	(void)json_get_i64(j, at, path, &v);
	(void)json_get_bool(j, at, path, &b);
}

static void
roundtrip(const char *s, size_t n)
{
	struct buf w = { 0 };
	struct json j2;
	char *back = NULL;

	if (buf_puts(&w, "[") == -1 || json_append_strn(&w, s, n) == -1 ||
	    buf_puts(&w, "]") == -1) {
		buf_free(&w);
		return;
	}
	FUZZ_ASSERT(json_parse(&j2, w.data, w.len) == 0);
	FUZZ_ASSERT(j2.ntok == 2 && json_type_at(&j2, 1) == JSON_STRING);
	FUZZ_ASSERT(json_tok_str(&j2, 1, &back) == 0);
	FUZZ_ASSERT(strlen(back) == n && memcmp(back, s, n) == 0);
	free(back);
	json_free(&j2);
	buf_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	char *s;
	size_t k;
	int i, n, e;

	if (json_parse(&j, (const char *)data, size) == -1) {
		FUZZ_ASSERT(j.tok == NULL && j.ntok == 0);
		return 0;
	}
	FUZZ_ASSERT(j.ntok > 0);
	for (k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
		getters(&j, 0, paths[k]);
	for (i = 0; i < j.ntok; i++) {
		switch (json_type_at(&j, i)) {
		case JSON_STRING:
			s = NULL;
			if (json_tok_str(&j, i, &s) == 0) {
				FUZZ_ASSERT(s != NULL);
				if (i < 64) {
					roundtrip(s, strlen(s));
					/* a key: look it up from the root */
					getters(&j, 0, s);
				}
			}
			free(s);
			break;
		case JSON_ARRAY:
			n = json_array_len(&j, i);
			FUZZ_ASSERT(n >= 0);
			e = json_array_elem(&j, i, n); /* one past the end */
			FUZZ_ASSERT(e == -1);
			if (n > 0) {
				e = json_array_elem(&j, i, n - 1);
				FUZZ_ASSERT(e > i && e < j.ntok);
			}
			break;
		case JSON_OBJECT:
			if (i < 64)
				getters(&j, i, "");
			FUZZ_ASSERT(json_array_len(&j, i) == -1);
			break;
		case JSON_MISSING:
			FUZZ_ASSERT(0);
			break;
		default:
			break;
		}
	}
	json_free(&j);
	return 0;
}
