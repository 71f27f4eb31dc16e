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

#endif
