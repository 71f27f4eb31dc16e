/* rrset.h - the mock's Route 53 record sets: the model the world (state.h)
 * holds and the Route 53 endpoints (r53.c) change, with Route 53's own
 * validation. Names are compared with route53.c's r53_name_eq. */
#ifndef VAULTDR_MOCK_RRSET_H
#define VAULTDR_MOCK_RRSET_H
#include <stddef.h>

#include "buf.h"
#include "mock/strv.h"

struct rrset {
	char *name, *type; /* name lower case with trailing dot */
	char *set_id;      /* SetIdentifier; NULL for a simple record */
	long long ttl;     /* -1 for an alias */
	struct strv values;
	int has_weight;
	long weight;
	char *failover;    /* "PRIMARY" / "SECONDARY" or NULL */
	char *region;      /* latency routing, or NULL */
	char *health_check;/* HealthCheckId, or NULL */
	char *alias_zone, *alias_dns; /* AliasTarget when alias_dns != NULL */
	int alias_eval;    /* EvaluateTargetHealth */
};

/* Lower-cased DNS name with a trailing dot, \ooo escapes decoded
 * (malloc'd; never NULL). */
char *mr53_norm_name(const char *s);
/* Checks one record set as Route 53 validates a change (type, TTL, values
 * per type, alias, routing fields). 0 / -1 with the reason in msg. */
int mr53_rrset_check(const struct rrset *r, char *msg, size_t msgsz);
void mr53_rrset_free(struct rrset *r); /* frees the members */
/* The record set's JSON object (state file and control API). */
struct json_writer;
void mr53_rrset_json(struct json_writer *w, const struct rrset *r);
/* 1 for a record type Route 53 serves (A, AAAA, CAA, CNAME, ...). */
int mr53_valid_type(const char *t);

#endif
