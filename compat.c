/* compat.c - Debian's libbearssl.a is built against glibc with
 * _FORTIFY_SOURCE and calls the checked string functions; musl has none.
 * These keep the check: abort when the copy would overflow the destination. */
#include <stdlib.h>
#include <string.h>

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memset_chk(void *dst, int c, size_t n, size_t dstlen);

void *
__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		abort();
	return memcpy(dst, src, n);
}

void *
__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		abort();
	return memmove(dst, src, n);
}

void *
__memset_chk(void *dst, int c, size_t n, size_t dstlen)
{
	if (n > dstlen)
		abort();
	return memset(dst, c, n);
}
