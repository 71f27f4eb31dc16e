/* strset.c - string settings a scenario may set: see strset.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/strset.h"

int
strset_has(const struct strset *t, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(path, t[i].key) == 0)
			return 1;
	return 0;
}

int
strset_load(const struct strset *t, size_t n, const struct json *j,
    char *why, size_t whysz)
{
	size_t i;
	int rc;

	for (i = 0; j && i < n; i++) {
		char *s = NULL;

		if ((rc = json_get_str(j, 0, t[i].key, &s)) == -1) {
			snprintf(why, whysz, "%s: must be a %sstring", t[i].key,
			    t[i].empty_ok ? "" : "non-empty ");
			return -1;
		}
		if (rc == 0 && s[0] == '\0') {
			free(s);
			s = NULL;
			if (!t[i].empty_ok) {
				snprintf(why, whysz, "%s: must be a non-empty "
				    "string", t[i].key);
				return -1;
			}
		}
		if (rc == 0) {
			free(*t[i].dst);
			*t[i].dst = s;
		}
	}
	return 0;
}

int
strset_default(char **dst, const char *v)
{
	if (*dst == NULL && v && (*dst = strdup(v)) == NULL)
		return -1;
	return 0;
}
