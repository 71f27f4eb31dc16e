/* strv.c - a list of owned strings (strv.h). */
#include <stdlib.h>
#include <string.h>

#include "mock/strv.h"

int
strv_add(struct strv *s, const char *str)
{
	char **v, *c;

	if ((c = strdup(str)) == NULL)
		return -1;
	if ((v = realloc(s->v, (s->n + 1) * sizeof(*v))) == NULL) {
		free(c);
		return -1;
	}
	s->v = v;
	s->v[s->n++] = c;
	return 0;
}

int
strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

int
strv_del(struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0) {
			free(s->v[i]);
			memmove(&s->v[i], &s->v[i + 1],
			    (s->n - i - 1) * sizeof(*s->v));
			s->n--;
			return 1;
		}
	return 0;
}

void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
