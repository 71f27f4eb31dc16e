/* json.h - JSON reader on jsmn (strict mode) with typed getters, and a tiny
 * string writer.  A parsed document borrows the input text; keep it alive. */
#ifndef VAULTDR_JSON_H
#define VAULTDR_JSON_H
#include <stddef.h>
#include "buf.h"

#define JSON_MAX_TOKENS 65536
#define JSON_MAX_DEPTH 32

enum json_type {
	JSON_MISSING = 0, JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING,
	JSON_OBJECT, JSON_ARRAY
};

struct json {
	const char *js; /* borrowed input */
	size_t len;
	void *tok;      /* jsmntok_t[], owned */
	int ntok;
};

/* Parses exactly one JSON value (object or array at top level; trailing
 * whitespace allowed, anything else is an error). 0 / -1 with err_set
 * naming the byte offset. Limits: JSON_MAX_TOKENS, JSON_MAX_DEPTH. */
int json_parse(struct json *j, const char *s, size_t len);
void json_free(struct json *j); /* NULL-safe; zeroes j */

/* Token index of the value at dotted path below token `at` (0 = root), e.g.
 * "data.mode", "wrap_info.token"; "" means `at` itself. Array elements by
 * number: "secondaries.0.api_address". -1 when missing. */
int json_find(const struct json *j, int at, const char *path);
enum json_type json_type_at(const struct json *j, int idx); /* idx<0: MISSING */

/* Typed getters. Return 0 = ok, 1 = missing or null, -1 = wrong type or bad
 * value (err_set names the path). */
int json_get_str(const struct json *j, int at, const char *path, char **out); /* malloc'd, unescaped UTF-8; embedded NUL is an error */
int json_get_i64(const struct json *j, int at, const char *path, long long *out);
int json_get_bool(const struct json *j, int at, const char *path, int *out);
/* Array helpers: number of elements, or -1 if idx is not an array;
 * index of element n, or -1. */
int json_array_len(const struct json *j, int idx);
int json_array_elem(const struct json *j, int idx, int n);
/* Unescaped copy of string token idx (malloc'd); 0 / -1. */
int json_tok_str(const struct json *j, int idx, char **out);

/* Appends s as a quoted, escaped JSON string ("..."). 0 / -1. */
int json_append_str(struct buf *b, const char *s);
int json_append_strn(struct buf *b, const char *s, size_t n);

/* ---- writer ----------------------------------------------------------
 * Writes one JSON value into a caller-owned buf: objects and arrays nest
 * (at most JSON_MAX_DEPTH deep), commas and colons are placed by the
 * writer, strings are escaped. Inside an object every value follows a
 * json_key. A failure (no memory, nesting misuse) is sticky: later calls do
 * nothing and json_w_error says -1. Never give it a secret. */
struct json_writer {
	struct buf *b;                 /* borrowed */
	int depth;
	unsigned char n[JSON_MAX_DEPTH]; /* 1: a value is written at that depth */
	int after_key;                 /* a key was written, its value not yet */
	int err;
};
void json_w_init(struct json_writer *w, struct buf *b);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_arr_begin(struct json_writer *w);
void json_arr_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s); /* NULL writes null */
void json_strn(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, long long v);
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* A value already serialised as JSON by the caller (trusted, not checked). */
void json_raw(struct json_writer *w, const char *json, size_t n);
/* 0 when everything so far was written; -1 otherwise. */
int json_w_error(const struct json_writer *w);

#endif
