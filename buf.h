/* buf.h - growable byte buffer, always NUL-terminated after data[len]. */
#ifndef VAULTDR_BUF_H
#define VAULTDR_BUF_H
#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
};

/* Appends n bytes; 0 on success, -1 on allocation failure (err_set). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
/* printf-style append; 0 / -1. Never pass a secret through this: use buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the storage (after wiping it) and zeroes the struct. NULL-safe. */
void buf_free(struct buf *b);
/* Detaches data (caller frees); the buffer is left empty. Never NULL on success. */
char *buf_take(struct buf *b);

#endif
