/* ini.c - INI reader with line numbers, close to Python's configparser
 * defaults (which wrote the seed's vault_dr.cfg) and to the AWS CLI files:
 * "[section]", "key = value" or "key: value" (the first '=' or ':' splits),
 * full-line '#' / ';' comments (inline ones are part of the value, as in
 * configparser), whitespace trimmed, indented lines continue the previous
 * value (joined with '\n'), names compared ignoring ASCII case.  Everything
 * else is an error "FILE:LINE: what"; messages name keys and sections but
 * never values. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ini.h"
#include "log.h"

#define INI_MAX_FILE (1024 * 1024)

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
	memset(ini, 0, sizeof(*ini));
}

static int
add_section(struct ini *ini, const char *name, size_t n, int line)
{
	char **ns;
	int *nl;
	size_t i;

	for (i = 0; i < ini->nsections; i++)
		if (strlen(ini->sections[i]) == n &&
		    strncasecmp(ini->sections[i], name, n) == 0) {
			err_set("%s:%d: duplicate section [%s] (first at line "
			    "%d)", ini->name, line, ini->sections[i],
			    ini->section_lines[i]);
			return -1;
		}
	if ((ns = realloc(ini->sections, (ini->nsections + 1) *
	    sizeof(*ns))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	ini->sections = ns;
	if ((nl = realloc(ini->section_lines, (ini->nsections + 1) *
	    sizeof(*nl))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	ini->section_lines = nl;
	if ((ns[ini->nsections] = dupn(name, n)) == NULL)
		return -1;
	nl[ini->nsections] = line;
	ini->nsections++;
	return 0;
}

static int
add_entry(struct ini *ini, const char *key, size_t kn, const char *val,
    size_t vn, int line)
{
	const char *sec = ini->sections[ini->nsections - 1];
	struct ini_entry *ne, *e;
	size_t i;

	for (i = 0; i < ini->n; i++) {
		e = &ini->e[i];
		if (strcasecmp(e->section, sec) == 0 &&
		    strlen(e->key) == kn && strncasecmp(e->key, key, kn) == 0) {
			err_set("%s:%d: duplicate key '%s' in section [%s] "
			    "(first at line %d)", ini->name, line, e->key, sec,
			    e->line);
			return -1;
		}
	}
	if ((ne = realloc(ini->e, (ini->n + 1) * sizeof(*ne))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	ini->e = ne;
	e = &ne[ini->n];
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

/* Parses data[0..len) (name is used in messages).  0 / -1 (err_set
 * "NAME:LINE: ..."); on error *ini is left empty. */
int
ini_parse(struct ini *ini, const char *name, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *eol, *s, *sep, *k, *v;
	size_t n, kn, vn;
	int line = 0, can_continue = 0;

	memset(ini, 0, sizeof(*ini));
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
			if (s[n - 1] != ']') {
				err_set("%s:%d: unterminated section header "
				    "(no closing ']')", ini->name, line);
				goto fail;
			}
			k = s + 1;
			kn = n - 2;
			k = trim(k, &kn);
			if (kn == 0 || memchr(k, ']', kn) || memchr(k, '[', kn)) {
				err_set("%s:%d: bad section header", ini->name,
				    line);
				goto fail;
			}
			if (add_section(ini, k, kn, line) == -1)
				goto fail;
			continue;
		}
		for (sep = s; sep < s + n && *sep != '=' && *sep != ':'; sep++)
			;
		if (sep == s + n) {
			err_set("%s:%d: expected 'key = value', 'key: value' or "
			    "'[section]'", ini->name, line);
			goto fail;
		}
		k = s;
		kn = (size_t)(sep - s);
		k = trim(k, &kn);
		v = sep + 1;
		vn = (size_t)(s + n - v);
		v = trim(v, &vn);
		if (kn == 0) {
			err_set("%s:%d: empty key", ini->name, line);
			goto fail;
		}
		if (ini->nsections == 0) {
			err_set("%s:%d: key '%.*s' appears before any [section]",
			    ini->name, line, (int)(kn > 64 ? 64 : kn), k);
			goto fail;
		}
		if (add_entry(ini, k, kn, v, vn, line) == -1)
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
			err_set("%s: larger than 1 MiB", path);
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
	size_t i;

	for (i = 0; i < ini->nsections; i++)
		if (strcasecmp(ini->sections[i], section) == 0)
			return 1;
	return 0;
}

/* Entry for section/key (ASCII case ignored), or NULL. Borrowed. */
const struct ini_entry *
ini_find(const struct ini *ini, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < ini->n; i++)
		if (strcasecmp(ini->e[i].section, section) == 0 &&
		    strcasecmp(ini->e[i].key, key) == 0)
			return &ini->e[i];
	return NULL;
}

/* Value for section/key or NULL. Borrowed from ini. */
const char *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *e = ini_find(ini, section, key);

	return e ? e->value : NULL;
}
