/* fuzz_http.c - http_parse_response through a memory reader that hands the
 * reply over in pieces of varying size (as a socket would), for a GET and
 * for a HEAD. Byte 0 seeds the piece sizes; the rest is the reply. */
#include "fuzz.h"
#include "http.h"

struct mem {
	const uint8_t *p;
	size_t n, off;
	uint32_t rng;
};

static long
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t k;

	if (m->off >= m->n)
		return 0;
	/* xorshift: piece sizes 1..64, now and then a large one */
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 17;
	m->rng ^= m->rng << 5;
	k = (m->rng & 7) == 0 ? n : 1 + (m->rng >> 8) % 64;
	if (k > n)
		k = n;
	if (k > m->n - m->off)
		k = m->n - m->off;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (long)k;
}

static void
one(const uint8_t *data, size_t size, uint8_t seed, int is_head)
{
	struct mem m = { data, size, 0, 0x9e3779b9u ^ seed };
	struct http_response r;
	size_t i;

	if (http_parse_response(mem_read, &m, is_head, &r) == -1) {
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
