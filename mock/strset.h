/* strset.h - string settings a scenario may set (mock/strset.c): a table of
 * dotted JSON keys, each bound to an owned string of the endpoint that
 * uses it (mock/sts.c, mock/ecs.c). */
#ifndef VAULTDR_MOCK_STRSET_H
#define VAULTDR_MOCK_STRSET_H
#include <stddef.h>

struct json;

/* One setting: the scenario key, where its value goes, whether "" is a
 * value (stored as NULL: unset) rather than an error. */
struct strset {
	const char *key;
	char **dst;
	int empty_ok;
};

/* 1 when path is one of the n keys, 0 otherwise. */
int strset_has(const struct strset *t, size_t n, const char *path);

/* Reads the keys j sets (j NULL: none), replacing earlier values. 0; -1
 * with why ("<key>: must be a non-empty string"). */
int strset_load(const struct strset *t, size_t n, const struct json *j,
    char *why, size_t whysz);

/* *dst = a copy of v when *dst is unset and v is not NULL. 0 / -1. */
int strset_default(char **dst, const char *v);

#endif
