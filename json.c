/* json.c - JSON reader on jsmn 1.1.0 (strict mode, parent links) with typed
 * getters and a tiny string writer.
 *
 * jsmn tokenizes but does not check everything: strict mode still accepts
 * "[1,,2]", "[1 2]", trailing commas and any primitive that starts like a
 * literal or number.  json_parse therefore walks the token tree once more
 * against the text: the bytes between tokens must be whitespace plus exactly
 * the separator the grammar wants there, primitives must be true, false,
 * null or a JSON number, and strings must unescape cleanly.  Messages name
 * byte offsets and paths, never values (responses carry tokens). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "buf.h"
#include "err.h"
#include "json.h"

#define TOK(j) ((jsmntok_t *)(j)->tok)

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hex4(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;
	char c;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* The code point of the backslash-u escape at s[*i], with its low
 * surrogate when it is a high one (*i then moves past the first escape).
 * 0; -1 with *why. */
static int
u_escape(const char *s, size_t n, size_t *i, unsigned *cp, const char **why)
{
	unsigned lo;

	if (hex4(s + *i + 2, n - *i - 2, cp) == -1) {
		*why = "bad \\u escape";
		return -1;
	}
	if (*cp >= 0xdc00 && *cp <= 0xdfff) {
		*why = "lone low surrogate";
		return -1;
	}
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (n - *i < 12 || s[*i + 6] != '\\' || s[*i + 7] != 'u' ||
		    hex4(s + *i + 8, n - *i - 8, &lo) == -1 || lo < 0xdc00 ||
		    lo > 0xdfff) {
			*why = "lone high surrogate";
			return -1;
		}
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		*i += 6;
	}
	return 0;
}

/* Code point cp as UTF-8 into u8; returns its length (1 to 4). */
static size_t
utf8_put(unsigned cp, unsigned char u8[4])
{
	if (cp < 0x80) {
		u8[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u8[0] = (unsigned char)(0xc0 | cp >> 6);
		u8[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u8[0] = (unsigned char)(0xe0 | cp >> 12);
		u8[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u8[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u8[0] = (unsigned char)(0xf0 | cp >> 18);
	u8[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	u8[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	u8[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Unescapes the string body s[0..n) into out (NULL: validate only).
 * *has_nul is set when the result contains a NUL byte.  On error returns -1
 * with *errat = offset within s and *why set. */
static int
unescape(const char *s, size_t n, struct buf *out, int *has_nul,
    size_t *errat, const char **why)
{
	unsigned char u8[4];
	unsigned cp;
	size_t i, run, ulen;
	char c;

	*has_nul = 0;
	for (i = 0; i < n;) {
		for (run = i; run < n && s[run] != '\\' &&
		    (unsigned char)s[run] >= 0x20;)
			run++;
		if (run > i && out && buf_append(out, s + i, run - i) == -1)
			goto oom;
		i = run;
		if (i == n)
			break;
		if ((unsigned char)s[i] < 0x20) {
			*errat = i;
			*why = "control character in string";
			return -1;
		}
		/* backslash */
		if (i + 1 >= n) {
			*errat = i;
			*why = "unterminated escape";
			return -1;
		}
		c = s[i + 1];
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (u_escape(s, n, &i, &cp, why) == -1) {
				*errat = i;
				return -1;
			}
			if (cp == 0)
				*has_nul = 1;
			ulen = utf8_put(cp, u8);
			if (out && buf_append(out, u8, ulen) == -1)
				goto oom;
			i += 6;
			continue;
		default:
			*errat = i;
			*why = "bad escape";
			return -1;
		}
		if (out && buf_append(out, &c, 1) == -1)
			goto oom;
		i += 2;
	}
	return 0;
oom:
	*errat = 0;
	*why = "out of memory";
	return -1;
}

/* JSON literal or number grammar. */
static int
valid_primitive(const char *s, size_t n)
{
	size_t i = 0;

	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0) ||
	    (n == 4 && memcmp(s, "null", 4) == 0))
		return 1;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* Raw extent of token t in the text, quotes included for strings. */
static size_t
raw_start(const jsmntok_t *t)
{
	return (size_t)t->start - (t->type == JSMN_STRING);
}

static size_t
raw_end(const jsmntok_t *t)
{
	return (size_t)t->end + (t->type == JSMN_STRING);
}

/* The bytes js[from..to) must be whitespace with exactly one sep (or none
 * when sep is 0). */
static int
check_gap(const char *js, size_t from, size_t to, char sep)
{
	size_t i;
	int seen = 0;

	if (from > to) {
		err_set("JSON: malformed at byte %zu", to);
		return -1;
	}
	for (i = from; i < to; i++) {
		if (is_ws(js[i]))
			continue;
		if (sep && js[i] == sep && !seen) {
			seen = 1;
			continue;
		}
		err_set("JSON: unexpected '%c' at byte %zu",
		    (js[i] >= 0x21 && js[i] < 0x7f) ? js[i] : '?', i);
		return -1;
	}
	if (sep && !seen) {
		err_set("JSON: missing '%c' before byte %zu", sep, to);
		return -1;
	}
	return 0;
}

/* Checks scalar token i (string or primitive); returns i + 1, or -1. */
static int
check_scalar(const struct json *j, int i)
{
	const jsmntok_t *c = &TOK(j)[i];
	size_t errat;
	const char *why;
	int has_nul;

	if (c->type == JSMN_PRIMITIVE) {
		if (!valid_primitive(j->js + c->start,
		    (size_t)(c->end - c->start))) {
			err_set("JSON: bad literal or number at byte %d",
			    c->start);
			return -1;
		}
		return i + 1;
	}
	if (c->type == JSMN_STRING) {
		if (unescape(j->js + c->start, (size_t)(c->end - c->start),
		    NULL, &has_nul, &errat, &why) == -1) {
			err_set("JSON: %s at byte %zu", why,
			    (size_t)c->start + errat);
			return -1;
		}
		return i + 1;
	}
	err_set("JSON: bad token at byte %d", c->start);
	return -1;
}

/* Checks token i and its subtree against the text (separators between
 * tokens, key/value pairing, depth); returns the index after the subtree,
 * or -1. */
static int
walk(const struct json *j, int i, int depth)
{
	const jsmntok_t *t = TOK(j), *c;
	size_t pos;
	int k, child, val;

	c = &t[i];
	if (c->type != JSMN_OBJECT && c->type != JSMN_ARRAY) {
		if (c->size != 0) {
			err_set("JSON: unexpected ':' after byte %zu",
			    raw_end(c));
			return -1;
		}
		return check_scalar(j, i);
	}
	if (depth > JSON_MAX_DEPTH) {
		err_set("JSON: nesting deeper than %d at byte %d",
		    JSON_MAX_DEPTH, c->start);
		return -1;
	}
	pos = (size_t)c->start + 1;
	child = i + 1;
	for (k = 0; k < c->size; k++) {
		if (child >= j->ntok) {
			err_set("JSON: truncated token tree");
			return -1;
		}
		if (check_gap(j->js, pos, raw_start(&t[child]),
		    k ? ',' : 0) == -1)
			return -1;
		if (c->type == JSMN_OBJECT) {
			if (t[child].type != JSMN_STRING || t[child].size != 1) {
				err_set("JSON: object key expected at byte %zu",
				    raw_start(&t[child]));
				return -1;
			}
			if (check_scalar(j, child) == -1)
				return -1;
			pos = raw_end(&t[child]);
			child++;
			if (child >= j->ntok) {
				err_set("JSON: truncated token tree");
				return -1;
			}
			if (check_gap(j->js, pos, raw_start(&t[child]),
			    ':') == -1)
				return -1;
		}
		val = child;
		if ((child = walk(j, val, depth + 1)) == -1)
			return -1;
		pos = raw_end(&t[val]);
	}
	if (check_gap(j->js, pos, (size_t)c->end - 1, 0) == -1)
		return -1;
	return child;
}

/* Parses s[0..len): exactly one object or array, trailing whitespace only.
 * j borrows s.  0 / -1 (err_set with the byte offset); on error j is empty. */
int
json_parse(struct json *j, const char *s, size_t len)
{
	jsmn_parser p;
	jsmntok_t *t = NULL, *nt;
	unsigned int cap = 64;
	size_t i;
	int r;

	memset(j, 0, sizeof(*j));
	if (len > INT_MAX / 2) {
		err_set("JSON: document too large");
		return -1;
	}
	if ((i = strnlen(s, len)) < len) {
		err_set("JSON: NUL byte at byte %zu", i);
		return -1;
	}
	jsmn_init(&p);
	for (;;) {
		/* realloc keeps the filled tokens: jsmn resumes from them */
		if ((nt = realloc(t, cap * sizeof(*t))) == NULL) {
			err_set("out of memory");
			free(t);
			return -1;
		}
		t = nt;
		r = jsmn_parse(&p, s, len, t, cap);
		if (r != JSMN_ERROR_NOMEM)
			break;
		if (cap >= JSON_MAX_TOKENS) {
			err_set("JSON: more than %d tokens", JSON_MAX_TOKENS);
			free(t);
			return -1;
		}
		cap *= 2;
		if (cap > JSON_MAX_TOKENS)
			cap = JSON_MAX_TOKENS;
	}
	if (r < 0) {
		if (r == JSMN_ERROR_PART)
			err_set("JSON: truncated at byte %zu", len);
		else
			err_set("JSON: syntax error at byte %u", p.pos);
		free(t);
		return -1;
	}
	if (r == 0 || (t[0].type != JSMN_OBJECT && t[0].type != JSMN_ARRAY)) {
		err_set("JSON: top level must be an object or array");
		free(t);
		return -1;
	}
	j->js = s;
	j->len = len;
	j->tok = t;
	j->ntok = r;
	if (check_gap(s, 0, (size_t)t[0].start, 0) == -1 ||
	    (r = walk(j, 0, 1)) == -1)
		goto fail;
	if (r != j->ntok) {
		err_set("JSON: more than one value (at byte %zu)",
		    raw_start(&t[r]));
		goto fail;
	}
	if (check_gap(s, (size_t)t[0].end, len, 0) == -1)
		goto fail;
	return 0;
fail:
	json_free(j);
	return -1;
}

/* Frees the token array and zeroes j (the borrowed text is untouched).
 * NULL-safe. */
void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	free(j->tok);
	memset(j, 0, sizeof(*j));
}

/* Index of the token after the subtree at i. */
static int
skip(const struct json *j, int i)
{
	const jsmntok_t *t = TOK(j);
	int k = 1;

	while (k > 0 && i < j->ntok) {
		k += t[i].size;
		k--;
		i++;
	}
	return i;
}

/* Does string token i equal key[0..n) after unescaping? */
static int
key_eq(const struct json *j, int i, const char *key, size_t n)
{
	const jsmntok_t *t = &TOK(j)[i];
	const char *s = j->js + t->start, *why;
	size_t len = (size_t)(t->end - t->start), errat;
	struct buf b = { 0 };
	int eq, has_nul;

	if (t->type != JSMN_STRING)
		return 0;
	if (memchr(s, '\\', len) == NULL)
		return len == n && memcmp(s, key, n) == 0;
	if (unescape(s, len, &b, &has_nul, &errat, &why) == -1)
		return 0;
	eq = b.len == n && memcmp(b.data ? b.data : "", key, n) == 0;
	buf_free(&b);
	return eq;
}

/* Token index of the value at dotted path below token at ("" = at itself),
 * or -1 when missing.  Numeric components index arrays. */
int
json_find(const struct json *j, int at, const char *path)
{
	const jsmntok_t *t;
	const char *p = path, *dot;
	size_t n, q;
	long idx;
	int i, k, cur = at;

	if (j == NULL || j->tok == NULL || at < 0 || at >= j->ntok)
		return -1;
	t = TOK(j);
	while (*p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (t[cur].type == JSMN_OBJECT) {
			i = cur + 1;
			for (k = 0; k < t[cur].size; k++) {
				if (key_eq(j, i, p, n))
					break;
				i = skip(j, i + 1);
			}
			if (k == t[cur].size)
				return -1;
			cur = i + 1;
		} else if (t[cur].type == JSMN_ARRAY) {
			if (n == 0 || n > 9)
				return -1;
			for (idx = 0, q = 0; q < n; q++) {
				if (p[q] < '0' || p[q] > '9')
					return -1;
				idx = idx * 10 + (p[q] - '0');
			}
			if (idx >= t[cur].size)
				return -1;
			i = cur + 1;
			for (k = 0; k < idx; k++)
				i = skip(j, i);
			cur = i;
		} else
			return -1;
		if (cur >= j->ntok)
			return -1;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

/* Type of token idx; JSON_MISSING for idx < 0 or out of range. */
enum json_type
json_type_at(const struct json *j, int idx)
{
	const jsmntok_t *t;

	if (j == NULL || j->tok == NULL || idx < 0 || idx >= j->ntok)
		return JSON_MISSING;
	t = &TOK(j)[idx];
	switch (t->type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	case JSMN_PRIMITIVE:
		switch (j->js[t->start]) {
		case 't': case 'f':
			return JSON_BOOL;
		case 'n':
			return JSON_NULL;
		default:
			return JSON_NUMBER;
		}
	default:
		return JSON_MISSING;
	}
}

static const char *
type_name(enum json_type ty)
{
	static const char *names[] = { "missing", "null", "a boolean",
		"a number", "a string", "an object", "an array" };

	return names[ty];
}

/* Unescaped malloc'd copy of string token idx; an embedded NUL is an error.
 * 0 / -1 (err_set). */
int
json_tok_str(const struct json *j, int idx, char **out)
{
	const jsmntok_t *t;
	struct buf b = { 0 };
	const char *why;
	size_t errat;
	int has_nul;

	*out = NULL;
	if (json_type_at(j, idx) != JSON_STRING) {
		err_set("JSON: token %d is not a string", idx);
		return -1;
	}
	t = &TOK(j)[idx];
	if (buf_append(&b, "", 0) == -1)
		return -1;
	if (unescape(j->js + t->start, (size_t)(t->end - t->start), &b,
	    &has_nul, &errat, &why) == -1) {
		buf_free(&b);
		err_set("JSON: %s at byte %zu", why, (size_t)t->start + errat);
		return -1;
	}
	if (has_nul) {
		buf_free(&b);
		err_set("JSON: string at byte %d contains a NUL character",
		    t->start);
		return -1;
	}
	*out = buf_take(&b);
	return *out ? 0 : -1;
}

/* String at path, unescaped, into *out (malloc'd, caller frees; NULL unless
 * 0 is returned).  0 / 1 missing or null / -1 not a string, bad escape or
 * embedded NUL (err_set names the path). */
int
json_get_str(const struct json *j, int at, const char *path, char **out)
{
	enum json_type ty;
	int idx;

	*out = NULL;
	idx = json_find(j, at, path);
	ty = json_type_at(j, idx);
	if (ty == JSON_MISSING || ty == JSON_NULL)
		return 1;
	if (ty != JSON_STRING) {
		err_set("JSON: '%s' is %s, not a string", path, type_name(ty));
		return -1;
	}
	if (json_tok_str(j, idx, out) == -1) {
		err_prefix("JSON: '%s'", path);
		return -1;
	}
	return 0;
}

/* Decimal integer s[0..n) with optional '-', overflow-checked. */
static int
parse_i64(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= n)
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (unsigned)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (neg)
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
		    : -(long long)v;
	else
		*out = (long long)v;
	return 0;
}

/* Integer at path: a JSON number without fraction or exponent, or a string
 * holding a decimal integer (Vault sends some epochs as "0").  0 / 1 missing
 * or null / -1 wrong type or out of range (err_set names the path). */
int
json_get_i64(const struct json *j, int at, const char *path, long long *out)
{
	const jsmntok_t *t;
	enum json_type ty;
	int idx;

	idx = json_find(j, at, path);
	ty = json_type_at(j, idx);
	if (ty == JSON_MISSING || ty == JSON_NULL)
		return 1;
	if (ty != JSON_NUMBER && ty != JSON_STRING) {
		err_set("JSON: '%s' is %s, not an integer", path,
		    type_name(ty));
		return -1;
	}
	t = &TOK(j)[idx];
	if (parse_i64(j->js + t->start, (size_t)(t->end - t->start), out)
	    == -1) {
		err_set("JSON: '%s' is not an integer in range", path);
		return -1;
	}
	return 0;
}

/* true/false at path: 0 / 1 missing or null / -1 not a boolean. */
int
json_get_bool(const struct json *j, int at, const char *path, int *out)
{
	enum json_type ty;
	int idx;

	idx = json_find(j, at, path);
	ty = json_type_at(j, idx);
	if (ty == JSON_MISSING || ty == JSON_NULL)
		return 1;
	if (ty != JSON_BOOL) {
		err_set("JSON: '%s' is %s, not a boolean", path,
		    type_name(ty));
		return -1;
	}
	*out = j->js[TOK(j)[idx].start] == 't';
	return 0;
}

/* Number of elements of array idx, or -1 if idx is not an array. */
int
json_array_len(const struct json *j, int idx)
{
	if (json_type_at(j, idx) != JSON_ARRAY)
		return -1;
	return TOK(j)[idx].size;
}

/* Token index of element n of array idx, or -1. */
int
json_array_elem(const struct json *j, int idx, int n)
{
	int i, k;

	if (json_type_at(j, idx) != JSON_ARRAY || n < 0 ||
	    n >= TOK(j)[idx].size)
		return -1;
	i = idx + 1;
	for (k = 0; k < n; k++)
		i = skip(j, i);
	return i < j->ntok ? i : -1;
}

/* Appends s[0..n) as a quoted JSON string: '"' and '\\' escaped, \b \f \n \r
 * \t by name, other control bytes (and DEL) as \u00XX; other bytes as is.
 * 0 / -1. */
int
json_append_strn(struct buf *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char esc[7];
	size_t i, run;
	unsigned char c;
	const char *e;

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i < n;) {
		for (run = i; run < n; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
				break;
		}
		if (run > i && buf_append(b, s + i, run - i) == -1)
			return -1;
		if (run == n)
			break;
		c = (unsigned char)s[run];
		e = NULL;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			esc[6] = '\0';
			e = esc;
		}
		if (buf_puts(b, e) == -1)
			return -1;
		i = run + 1;
	}
	return buf_append(b, "\"", 1);
}

/* json_append_strn for a NUL-terminated string. 0 / -1. */
int
json_append_str(struct buf *b, const char *s)
{
	return json_append_strn(b, s, strlen(s));
}

/* ---- writer ---------------------------------------------------------- */

void
json_w_init(struct json_writer *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

static void
w_put(struct json_writer *w, const char *s, size_t n)
{
	if (!w->err && buf_append(w->b, s, n) == -1)
		w->err = 1;
}

/* Before any value: the comma between siblings (not after a key). */
static void
w_sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->n[w->depth - 1])
		w_put(w, ",", 1);
	w->n[w->depth - 1] = 1;
}

static void
w_open(struct json_writer *w, char ch)
{
	w_sep(w);
	if (w->depth >= JSON_MAX_DEPTH) {
		w->err = 1;
		return;
	}
	w_put(w, &ch, 1);
	w->n[w->depth++] = 0;
}

static void
w_close(struct json_writer *w, char ch)
{
	if (w->depth == 0 || w->after_key) {
		w->err = 1;
		return;
	}
	w->depth--;
	w_put(w, &ch, 1);
}

void
json_obj_begin(struct json_writer *w)
{
	w_open(w, '{');
}

void
json_obj_end(struct json_writer *w)
{
	w_close(w, '}');
}

void
json_arr_begin(struct json_writer *w)
{
	w_open(w, '[');
}

void
json_arr_end(struct json_writer *w)
{
	w_close(w, ']');
}

void
json_key(struct json_writer *w, const char *key)
{
	w_sep(w);
	if (!w->err && json_append_str(w->b, key) == -1)
		w->err = 1;
	w_put(w, ":", 1);
	w->after_key = 1;
}

void
json_strn(struct json_writer *w, const char *s, size_t n)
{
	w_sep(w);
	if (!w->err && json_append_strn(w->b, s, n) == -1)
		w->err = 1;
}

void
json_str(struct json_writer *w, const char *s)
{
	if (s == NULL)
		json_null(w);
	else
		json_strn(w, s, strlen(s));
}

void
json_int(struct json_writer *w, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	w_sep(w);
	w_put(w, num, (size_t)n);
}

void
json_bool(struct json_writer *w, int v)
{
	w_sep(w);
	if (v)
		w_put(w, "true", 4);
	else
		w_put(w, "false", 5);
}

void
json_null(struct json_writer *w)
{
	w_sep(w);
	w_put(w, "null", 4);
}

void
json_raw(struct json_writer *w, const char *json, size_t n)
{
	w_sep(w);
	w_put(w, json, n);
}

int
json_w_error(const struct json_writer *w)
{
	return w->err ? -1 : 0;
}
