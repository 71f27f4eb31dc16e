/* ini.h - INI reader for vault_dr.cfg and the AWS shared files.
 * Sections "[name]", "key=value" or "key: value", '#'/';' comment lines,
 * whitespace trimmed, continuation lines (leading whitespace) appended to the
 * previous value with '\n' (as Python's configparser and the AWS CLI do).
 * Section and key lookups ignore ASCII case. Duplicate keys in one section,
 * NUL bytes, text outside a section and malformed lines are errors
 * "FILE:LINE: what". A file is at most INI_MAX_FILE bytes. Parsing and
 * lookups take linear time in the file's size (duplicates are found through
 * a hash index, not by comparing every pair). */
#ifndef VAULTDR_INI_H
#define VAULTDR_INI_H
#include <stddef.h>

#define INI_MAX_FILE (1024 * 1024) /* 1 MiB */

struct ini_entry {
	char *section; /* as written */
	char *key;     /* as written */
	char *value;
	int line;      /* 1-based line of the key */
};

struct ini {
	char *name;    /* file name for messages */
	struct ini_entry *e;
	size_t n;
	char **sections; /* every section header seen, in order */
	int *section_lines;
	size_t nsections;
	/* private: capacities and hash indexes (entry/section index + 1,
	 * 0 = free slot) that keep parsing and lookups linear */
	size_t cap, scap, hcap, shcap;
	size_t *htab, *shtab;
};

/* 0 / -1 (err_set "FILE:LINE: ..."). On error *ini is left empty. */
int ini_load(struct ini *ini, const char *path);
int ini_parse(struct ini *ini, const char *name, const char *data, size_t len);
void ini_free(struct ini *ini); /* NULL-safe */

int ini_has_section(const struct ini *ini, const char *section);
/* Value or NULL. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);
const struct ini_entry *ini_find(const struct ini *ini, const char *section,
    const char *key);

#endif
