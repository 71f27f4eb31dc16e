/* fuzz_xml.c - the Route 53 documents as route53.c reads them, over the
 * shared strict XML reader: r53_parse_list / _change_info / _zone /
 * _error and r53_lock_parse on the input, the results' invariants, and
 * r53_valid_hostname / r53_name_eq on every text they extract. */
#include "fuzz.h"
#include "route53.h"

static void
check_set(const struct r53_rrset *s)
{
	size_t k;

	FUZZ_ASSERT(s->name != NULL && s->name[0] != '\0');
	FUZZ_ASSERT(s->type[0] != '\0' && memchr(s->type, '\0', 16) != NULL);
	(void)r53_name_eq(s->name, "vault.example.com.");
	if (s->alias) {
		FUZZ_ASSERT(s->alias_zone && s->alias_dns && s->ttl == -1);
		(void)r53_valid_hostname(s->alias_dns);
	} else {
		FUZZ_ASSERT(s->ttl >= 0 && s->nvalues >= 1);
		for (k = 0; k < s->nvalues; k++) {
			FUZZ_ASSERT(s->values[k] != NULL);
			(void)r53_valid_hostname(s->values[k]);
		}
	}
	FUZZ_ASSERT(!s->has_weight || (s->weight >= 0 && s->weight <= 255));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct r53_page p;
	struct r53_lock l;
	char *id = NULL, *zn = NULL, *z, code[64], msg[256];
	int insync = -1;
	size_t i;

	if (r53_parse_list(s, size, &p) == 0) {
		for (i = 0; i < p.n; i++)
			check_set(&p.sets[i]);
		FUZZ_ASSERT(!p.truncated || (p.next_name && p.next_type));
	} else
		FUZZ_ASSERT(p.sets == NULL && p.n == 0 && p.next_name == NULL);
	r53_page_free(&p);
	if (r53_parse_change_info(s, size, "GetChangeResponse", &id,
	    &insync) == 0)
		FUZZ_ASSERT(id && id[0] && strchr(id, '/') == NULL &&
		    (insync == 0 || insync == 1));
	else
		FUZZ_ASSERT(id == NULL);
	free(id);
	if (r53_parse_zone(s, size, &zn) == 0) {
		FUZZ_ASSERT(zn && zn[0] && zn[strlen(zn) - 1] == '.');
		(void)r53_name_in_zone("vault.example.com", zn);
	} else
		FUZZ_ASSERT(zn == NULL);
	free(zn);
	if (r53_parse_error(s, size, code, sizeof(code), msg, sizeof(msg)) == 0)
		FUZZ_ASSERT(code[0] != '\0');
	else
		FUZZ_ASSERT(code[0] == '\0');
	z = fuzz_strndup(data, size, 1024);
	(void)r53_valid_hostname(z);
	if (r53_lock_parse(z, &l) == 0) {
		struct r53_lock again = l;
		/* A parsed lock formats back into a value that parses. */
		if (r53_lock_format(&again) == 0)
			FUZZ_ASSERT(r53_lock_parse(again.value, &again) == 0);
	} else
		FUZZ_ASSERT(l.value[0] == '\0');
	free(z);
	return 0;
}
