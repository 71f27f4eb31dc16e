/* strv.h - a list of owned strings (mock/strv.c). */
#ifndef VAULTDR_MOCK_STRV_H
#define VAULTDR_MOCK_STRV_H
#include <stddef.h>

/* A list of owned strings. */
struct strv {
	char **v;
	size_t n;
};
int strv_add(struct strv *s, const char *str); /* copies; 0 / -1 */
int strv_has(const struct strv *s, const char *str);
int strv_del(struct strv *s, const char *str); /* 1 removed, 0 absent */
void strv_free(struct strv *s);

#endif
