/* fuzz.h - shared helpers for the libFuzzer targets in tests/fuzz/.
 * Each target defines LLVMFuzzerTestOneInput; replay.c supplies a main()
 * for sanitizer builds without libFuzzer (make asan). */
#ifndef VAULTDR_FUZZ_H
#define VAULTDR_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promised does not hold: abort so that
 * libFuzzer records the input as a crash. */
#define FUZZ_ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, \
		    __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* malloc'd NUL-terminated copy of d[0..n) (n capped at max); never NULL. */
static inline char *
fuzz_strndup(const uint8_t *d, size_t n, size_t max)
{
	char *s;

	if (n > max)
		n = max;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	if (n)
		memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* Input handed over in pieces of varying size, as a socket would: 1..64
 * bytes, now and then all that fits; rng seeds the sizes (xorshift). */
struct fuzz_pieces {
	const uint8_t *p;
	size_t n, off;
	uint32_t rng;
};

/* A read callback over a struct fuzz_pieces: bytes read, 0 at the end. */
static inline long
fuzz_pieces_read(void *ctx, void *buf, size_t n)
{
	struct fuzz_pieces *m = ctx;
	size_t k;

	FUZZ_ASSERT(n > 0);
	if (m->off >= m->n)
		return 0;
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

#endif
