/* route53.h - the three Route 53 calls vaultdr makes (ListResourceRecordSets,
 * ChangeResourceRecordSets UPSERT of one CNAME, GetChange), SigV4-signed,
 * with the Route 53 retry policy, and the tiny XML reader they need. */
#ifndef VAULTDR_ROUTE53_H
#define VAULTDR_ROUTE53_H
#include <stddef.h>
#include "http.h"
#include "secret.h"
#include "vault.h" /* enum vault_fail */

struct r53 {
	const char *endpoint;  /* base URL (borrowed), e.g. https://route53.amazonaws.com */
	struct http_client *http; /* borrowed */
	const struct secret *access_key, *secret_key, *session_token; /* borrowed; token may be unset */
	const char *zone_id;   /* bare or /hostedzone/ID form (borrowed) */
	const char *region;    /* signing region, "us-east-1" */
	int read_only;         /* dry run: refuse changes */
	enum vault_fail fail;  /* how the last call failed */
};

/* Reads the CNAME record `name`: *found = 0 when there is none (the listing's
 * first entry is another name or type). *value is malloc'd (host name, any
 * trailing dot removed). 0 / -1. */
int r53_get_cname(struct r53 *r, const char *name, int *found, char **value,
    long *ttl);
/* UPSERTs name CNAME value with ttl; *change_id (malloc'd, bare id). 0 / -1. */
int r53_upsert_cname(struct r53 *r, const char *name, const char *value,
    long ttl, char **change_id);
/* GetChange: *insync = 1 when Status is INSYNC. 0 / -1. */
int r53_change_insync(struct r53 *r, const char *change_id, int *insync);

/* XML: text of the first element <tag> (no attributes on it, no child
 * elements) in s[0..n), entity-decoded into a malloc'd string. 0 = found,
 * 1 = absent, -1 = malformed (err_set). */
int xml_text(const char *s, size_t n, const char *tag, char **out);
/* Bounds of the next element <tag>...</tag> at or after *pos: content in
 * [*start, *end), *pos moved past it. 0 = found, 1 = none, -1 = malformed. */
int xml_next(const char *s, size_t n, const char *tag, size_t *pos,
    size_t *start, size_t *end);
/* Removes one trailing dot (a fully qualified name) in place. */
void r53_strip_dot(char *s);
/* Host name check for CNAME values: letters, digits, '-', '_', '.', not a URL. */
int r53_valid_hostname(const char *s);

#endif
