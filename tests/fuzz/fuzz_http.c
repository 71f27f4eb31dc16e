/* fuzz_http.c - http_parse_response through a memory reader that hands the
 * reply over in pieces of varying size (as a socket would), for a GET and
 * for a HEAD. Byte 0 seeds the piece sizes; the rest is the reply. */
#include "fuzz.h"
#include "http.h"

static void
one(const uint8_t *data, size_t size, uint8_t seed, int is_head)
{
	struct fuzz_pieces m = { data, size, 0, 0x9e3779b9u ^ seed };
	struct http_response r;
	size_t i;

	if (http_parse_response(fuzz_pieces_read, &m, is_head, &r) == -1) {
		FUZZ_ASSERT(r.body == NULL && r.hdrs == NULL);
		return;
	}
	FUZZ_ASSERT(r.status >= 100 && r.status <= 999);
	FUZZ_ASSERT(r.body != NULL && r.body[r.body_len] == '\0');
	FUZZ_ASSERT(r.body_len <= HTTP_MAX_BODY);
	if (is_head)
		FUZZ_ASSERT(r.body_len == 0);
	for (i = 0; i < r.nhdrs; i++) {
		FUZZ_ASSERT(r.hdrs[i].name && r.hdrs[i].value);
		FUZZ_ASSERT(http_resp_header(&r, r.hdrs[i].name) != NULL);
	}
	(void)http_resp_header(&r, "content-type");
	(void)http_resp_header(&r, "Location");
	http_response_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	one(data + 1, size - 1, data[0], 0);
	one(data + 1, size - 1, data[0], 1);
	return 0;
}
