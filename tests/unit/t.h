/* t.h - a test harness of a few lines. A suite is a function
 * `void suite_<name>(void)` that calls T_RUN for each case; a case fails when
 * any CHECK in it fails. */
#ifndef VAULTDR_T_H
#define VAULTDR_T_H
#include <stddef.h>

void t_run(const char *name, void (*fn)(void));
int t_check(int ok, const char *expr, const char *file, int line);
int t_check_streq(const char *got, const char *want, const char *expr,
    const char *file, int line);
int t_check_memeq(const void *got, size_t gotlen, const void *want,
    size_t wantlen, const char *expr, const char *file, int line);
/* Directory of the test vectors: $VAULTDR_VECTORS, else tests/vectors (run
 * from the top of the tree, as tests/run.sh does). */
const char *t_vectors_dir(void);
/* Directory of generated test certificates ($VAULTDR_CERTS). */
const char *t_certs_dir(void);
/* Reads a whole file (malloc'd, NUL-terminated); NULL if missing. */
char *t_read_file(const char *path, size_t *len);

#define T_RUN(fn) t_run(#fn, fn)
#define CHECK(c) t_check(!!(c), #c, __FILE__, __LINE__)
#define CHECK_STREQ(got, want) \
	t_check_streq((got), (want), #got " == " #want, __FILE__, __LINE__)
#define CHECK_MEMEQ(got, gl, want, wl) \
	t_check_memeq((got), (gl), (want), (wl), #got, __FILE__, __LINE__)

#endif
