/* ini.c - INI reader with line numbers, close to Python's configparser
 * defaults (which wrote the seed's vault_dr.cfg) and to the AWS CLI files:
 * "[section]", "key = value" or "key: value" (the first '=' or ':' splits),
 * full-line '#' / ';' comments (inline ones are part of the value, as in
 * configparser), whitespace trimmed, indented lines continue the previous
 * value (joined with '\n'), names compared ignoring ASCII case.  Everything
 * else is an error "FILE:LINE: what"; messages name keys and sections but
 * never values. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "ini.h"

static int
is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims s[0..*n) in place: returns the new start, updates *n. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && is_sp(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_sp(s[*n - 1]))
		(*n)--;
	return s;
}

static char *
dupn(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---------------------------------------------------------------- index */

/* FNV-1a over s[0..n) with ASCII case folded: names compare that way. */
static uint64_t
hash_add(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
hash_entry(const char *sec, size_t sn, const char *key, size_t kn)
{
	uint64_t h = hash_add(14695981039346656037ULL, sec, sn);

	h ^= 0x100; /* separator: no byte value */
	h *= 1099511628211ULL;
	return hash_add(h, key, kn);
}

static int
name_eq(const char *a, const char *b, size_t bn)
{
	return strlen(a) == bn && strncasecmp(a, b, bn) == 0;
}

/* Slot of section/key in the entry index: its entry's slot, or the free
 * slot where it would go. The index must exist. */
static size_t
entry_slot(const struct ini *ini, const char *sec, size_t sn,
    const char *key, size_t kn)
{
	size_t mask = ini->hcap - 1, i, x;

	i = (size_t)hash_entry(sec, sn, key, kn) & mask;
	while ((x = ini->htab[i]) != 0) {
		if (name_eq(ini->e[x - 1].section, sec, sn) &&
		    name_eq(ini->e[x - 1].key, key, kn))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static size_t
section_slot(const struct ini *ini, const char *name, size_t n)
{
	size_t mask = ini->shcap - 1, i, x;

	i = (size_t)hash_add(14695981039346656037ULL, name, n) & mask;
	while ((x = ini->shtab[i]) != 0) {
		if (name_eq(ini->sections[x - 1], name, n))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* Keeps an index at most half full for `want` items (rebuilt on growth).
 * 0 / -1. */
static int
index_reserve(struct ini *ini, int sections, size_t want)
{
	size_t *cap = sections ? &ini->shcap : &ini->hcap;
	size_t **tab = sections ? &ini->shtab : &ini->htab;
	size_t ncap = *cap ? *cap : 64, i, n, *old = *tab;

	if (*tab != NULL && want * 2 <= *cap)
		return 0;
	while (want * 2 > ncap)
		ncap *= 2;
	if ((*tab = calloc(ncap, sizeof(**tab))) == NULL) {
		*tab = old;
		err_set("out of memory");
		return -1;
	}
	*cap = ncap;
	free(old);
	n = sections ? ini->nsections : ini->n;
	for (i = 0; i < n; i++) {
		if (sections)
			ini->shtab[section_slot(ini, ini->sections[i],
			    strlen(ini->sections[i]))] = i + 1;
		else
			ini->htab[entry_slot(ini, ini->e[i].section,
			    strlen(ini->e[i].section), ini->e[i].key,
			    strlen(ini->e[i].key))] = i + 1;
	}
	return 0;
}

/* arr (of *cap items of size sz) grown, doubling, to hold n items; *cap
 * updated. NULL when out of memory (arr is unchanged then). */
static void *
grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	void *na;
	size_t nc = *cap ? *cap : 16;

	if (n <= *cap)
		return arr;
	while (nc < n)
		nc *= 2;
	if ((na = realloc(arr, nc * sz)) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	*cap = nc;
	return na;
}

/* Frees everything (values wiped first) and zeroes ini. NULL-safe. */
void
ini_free(struct ini *ini)
{
	size_t i;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		if (ini->e[i].value) {
			/* ~/.aws/credentials values are secrets */
			explicit_bzero(ini->e[i].value,
			    strlen(ini->e[i].value));
			free(ini->e[i].value);
		}
	}
	free(ini->e);
	for (i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->sections);
	free(ini->section_lines);
	free(ini->name);
	free(ini->htab);
	free(ini->shtab);
	memset(ini, 0, sizeof(*ini));
}

static int
add_section(struct ini *ini, const char *name, size_t n, int line)
{
	size_t slot, x, scap = ini->scap;
	char **ns;
	int *nl;

	if (index_reserve(ini, 1, ini->nsections + 1) == -1)
		return -1;
	slot = section_slot(ini, name, n);
	if ((x = ini->shtab[slot]) != 0) {
		err_set("%s:%d: duplicate section [%s] (first at line %d)",
		    ini->name, line, ini->sections[x - 1],
		    ini->section_lines[x - 1]);
		return -1;
	}
	if ((ns = grow(ini->sections, &scap, ini->nsections + 1,
	    sizeof(*ns))) == NULL)
		return -1;
	ini->sections = ns;
	scap = ini->scap;
	if ((nl = grow(ini->section_lines, &scap, ini->nsections + 1,
	    sizeof(*nl))) == NULL)
		return -1;
	ini->section_lines = nl;
	ini->scap = scap;
	if ((ini->sections[ini->nsections] = dupn(name, n)) == NULL)
		return -1;
	ini->section_lines[ini->nsections] = line;
	ini->nsections++;
	ini->shtab[slot] = ini->nsections;
	return 0;
}

static int
add_entry(struct ini *ini, const char *key, size_t kn, const char *val,
    size_t vn, int line)
{
	const char *sec = ini->sections[ini->nsections - 1];
	struct ini_entry *e;
	size_t slot, x;

	if (index_reserve(ini, 0, ini->n + 1) == -1)
		return -1;
	slot = entry_slot(ini, sec, strlen(sec), key, kn);
	if ((x = ini->htab[slot]) != 0) {
		e = &ini->e[x - 1];
		err_set("%s:%d: duplicate key '%s' in section [%s] "
		    "(first at line %d)", ini->name, line, e->key, sec,
		    e->line);
		return -1;
	}
	if ((e = grow(ini->e, &ini->cap, ini->n + 1, sizeof(*e))) == NULL)
		return -1;
	ini->e = e;
	e = &ini->e[ini->n];
	memset(e, 0, sizeof(*e));
	e->line = line;
	if ((e->section = dupn(sec, strlen(sec))) == NULL ||
	    (e->key = dupn(key, kn)) == NULL ||
	    (e->value = dupn(val, vn)) == NULL) {
		free(e->section);
		free(e->key);
		return -1;
	}
	ini->n++;
	ini->htab[slot] = ini->n;
	return 0;
}

/* Appends "\n" + s[0..n) to the value of the last entry. */
static int
continue_value(struct ini *ini, const char *s, size_t n)
{
	struct ini_entry *e = &ini->e[ini->n - 1];
	size_t old = strlen(e->value);
	char *v;

	/* not realloc: the old copy may be a secret and must be wiped */
	if ((v = malloc(old + n + 2)) == NULL) {
		err_set("out of memory");
		return -1;
	}
	memcpy(v, e->value, old);
	explicit_bzero(e->value, old);
	free(e->value);
	v[old] = '\n';
	memcpy(v + old + 1, s, n);
	v[old + n + 1] = '\0';
	e->value = v;
	return 0;
}

/* "[name]" (trimmed s[0..n), n > 0, s[0] == '['). 0 / -1. */
static int
section_line(struct ini *ini, const char *s, size_t n, int line)
{
	const char *k = s + 1;
	size_t kn = n - 2;

	if (n < 2 || s[n - 1] != ']') {
		err_set("%s:%d: unterminated section header (no closing ']')",
		    ini->name, line);
		return -1;
	}
	k = trim(k, &kn);
	if (kn == 0 || memchr(k, ']', kn) || memchr(k, '[', kn)) {
		err_set("%s:%d: bad section header", ini->name, line);
		return -1;
	}
	return add_section(ini, k, kn, line);
}

/* "key = value" or "key: value" (trimmed s[0..n), n > 0). 0 / -1. */
static int
pair_line(struct ini *ini, const char *s, size_t n, int line)
{
	const char *sep, *k, *v;
	size_t kn, vn;

	for (sep = s; sep < s + n && *sep != '=' && *sep != ':'; sep++)
		;
	if (sep == s + n) {
		err_set("%s:%d: expected 'key = value', 'key: value' or "
		    "'[section]'", ini->name, line);
		return -1;
	}
	kn = (size_t)(sep - s);
	k = trim(s, &kn);
	v = sep + 1;
	vn = (size_t)(s + n - v);
	v = trim(v, &vn);
	if (kn == 0) {
		err_set("%s:%d: empty key", ini->name, line);
		return -1;
	}
	if (ini->nsections == 0) {
		err_set("%s:%d: key '%.*s' appears before any [section]",
		    ini->name, line, (int)(kn > 64 ? 64 : kn), k);
		return -1;
	}
	return add_entry(ini, k, kn, v, vn, line);
}

/* Parses data[0..len) (name is used in messages).  0 / -1 (err_set
 * "NAME:LINE: ..."); on error *ini is left empty. */
int
ini_parse(struct ini *ini, const char *name, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *eol, *s;
	size_t n;
	int line = 0, can_continue = 0;

	memset(ini, 0, sizeof(*ini));
	if (len > INI_MAX_FILE) {
		err_set("%s: larger than 1 MiB (%zu bytes); a configuration "
		    "file is at most 1 MiB", name, len);
		return -1;
	}
	if ((ini->name = dupn(name, strlen(name))) == NULL)
		return -1;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* UTF-8 byte order mark */
	while (p < end) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (memchr(p, '\0', n) != NULL) {
			err_set("%s:%d: NUL byte", ini->name, line);
			goto fail;
		}
		s = p;
		p = eol < end ? eol + 1 : end;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > 0 && is_sp(s[0]) && can_continue) {
			s = trim(s, &n);
			if (n == 0) {
				can_continue = 0;
				continue;
			}
			if (s[0] == '#' || s[0] == ';')
				continue;
			if (continue_value(ini, s, n) == -1)
				goto fail;
			continue;
		}
		s = trim(s, &n);
		if (n == 0) {
			can_continue = 0;
			continue;
		}
		if (s[0] == '#' || s[0] == ';')
			continue;
		can_continue = 0;
		if (s[0] == '[') {
			if (section_line(ini, s, n, line) == -1)
				goto fail;
			continue;
		}
		if (pair_line(ini, s, n, line) == -1)
			goto fail;
		can_continue = 1;
	}
	return 0;
fail:
	ini_free(ini);
	return -1;
}

/* Reads path (at most 1 MiB) and parses it.  0 / -1 (err_set). */
int
ini_load(struct ini *ini, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = -1;

	memset(ini, 0, sizeof(*ini));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((data = malloc(INI_MAX_FILE + 1)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	for (;;) {
		r = read(fd, data + len, INI_MAX_FILE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > INI_MAX_FILE) {
			err_set("%s: larger than 1 MiB; a configuration file "
			    "is at most 1 MiB", path);
			goto out;
		}
	}
	rc = ini_parse(ini, path, data, len);
out:
	if (data) {
		/* the AWS credentials file holds secrets */
		explicit_bzero(data, len);
		free(data);
	}
	close(fd);
	return rc;
}

/* 1 if a section of that name (ASCII case ignored) was seen, else 0. */
int
ini_has_section(const struct ini *ini, const char *section)
{
	if (ini->shtab == NULL)
		return 0;
	return ini->shtab[section_slot(ini, section, strlen(section))] != 0;
}

/* Entry for section/key (ASCII case ignored), or NULL. Borrowed. */
const struct ini_entry *
ini_find(const struct ini *ini, const char *section, const char *key)
{
	size_t x;

	if (ini->htab == NULL)
		return NULL;
	x = ini->htab[entry_slot(ini, section, strlen(section), key,
	    strlen(key))];
	return x ? &ini->e[x - 1] : NULL;
}

/* Value for section/key or NULL. Borrowed from ini. */
const char *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = ini_find(ini, section, key);

	return e ? e->value : NULL;
}
