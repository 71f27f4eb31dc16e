/* dnsrec.h - "the record": the one interface through which the engine reads
 * and changes the DNS record that sends clients to the DR primary, waits
 * until the change is served, and takes the run lock beside it (DESIGN.md
 * Safety 4 and 6), whoever serves the zone. Two backends, chosen by
 * <env>_dns_provider:
 *   route53  ListResourceRecordSets / ChangeResourceRecordSets (UPSERT) /
 *            GetChange INSYNC / GetHostedZone, and route53.c's lock;
 *   rfc2136  TSIG-signed queries and DNS UPDATEs to the zone's primary
 *            (rfc2136.c): the change is compare-and-set (the record must
 *            still hold what was read), "served" means the primary's serial
 *            advanced and every check server answers the new value.
 *
 * Outcomes of a change (Safety 1): DNSREC_UNKNOWN means the request may
 * have been applied and its answer was lost: the caller reads again
 * (dnsrec_read) and plans from what it sees; it never sends the change
 * again blindly. DNSREC_CONFLICT means the record no longer held what was
 * read: nothing was changed, someone else is changing it.
 *
 * Every failure is described once with err_set. d->rejected says whether
 * the last failure was the server refusing us (credentials, signature, key,
 * policy, zone): a configuration matter (exit 2), not the network. */
#ifndef VAULTDR_DNSREC_H
#define VAULTDR_DNSREC_H
#include <stddef.h>
#include <stdint.h>

#include "rfc2136.h"
#include "route53.h" /* struct r53, struct r53_lock */

struct dr_config;

#define DNSREC_NAME_MAX 256

/* What the record is (or is to be). Route 53 alias records fit here: kind
 * A/AAAA alias with the alias target's hosted zone id; rfc2136 knows
 * CNAME only. */
enum dnsrec_kind { DNSREC_CNAME, DNSREC_A_ALIAS, DNSREC_AAAA_ALIAS };

struct dnsrec_value {
	int kind;                     /* enum dnsrec_kind */
	char target[DNSREC_NAME_MAX]; /* host name, no trailing dot */
	char alias_zone[64];          /* alias: the target's hosted zone id */
	int evaluate;                 /* alias: EvaluateTargetHealth */
};

/* The record set at the name, as read (every type at the name). */
enum dnsrec_shape {
	DNSREC_ABSENT, /* nothing at the name */
	DNSREC_ONE,    /* exactly one simple record: value */
	DNSREC_OTHER,  /* anything else (another type, several values,
	                  routing policies, ...): other says what */
};
struct dnsrec_set {
	int shape;                 /* enum dnsrec_shape */
	struct dnsrec_value value; /* DNSREC_ONE */
	long ttl;                  /* DNSREC_ONE; -1 for an alias */
	char other[512];           /* DNSREC_OTHER, or DNSREC_ONE of a kind
	                              other than CNAME: "<name> holds ..." */
	int in_zone;               /* 1 the name lies in the zone, 0 not,
	                              -1 not known (zone not read) */
	char zone[DNSREC_NAME_MAX];/* the zone's name, when known */
};

enum dnsrec_outcome {
	DNSREC_OK = 0,
	DNSREC_FAILED = -1,   /* not applied (err_set says why) */
	DNSREC_CONFLICT = -2, /* the record changed since it was read: not
	                         applied, nothing overwritten */
	DNSREC_UNKNOWN = -3,  /* maybe applied, answer lost: read again */
};

/* A change this run made, for dnsrec_served. */
struct dnsrec_change {
	char id[128];              /* Route 53 change id; rfc2136: "serial N" */
	uint32_t since;            /* rfc2136: the zone's serial read before */
	struct dnsrec_value value; /* what the record was changed to */
};

struct dnsrec_ops; /* the backend (dnsrec.c) */

/* Words for progress lines, per backend. */
struct dnsrec_words {
	const char *provider; /* "Route 53" / "DNS server" */
	const char *change;   /* the verb of a change: "UPSERT" / "UPDATE" */
	const char *served;   /* "INSYNC" / "served" */
	const char *pending;  /* "PENDING" / "not served yet" */
	const char *lock_fix; /* how to grant the lock when refused */
	const char *check;    /* "Route 53" / "DNS": "<check> check: ..." */
	const char *fix;      /* what to fix when reads are refused */
};

struct dnsrec {
	const struct dnsrec_ops *ops;
	const struct dnsrec_words *words;
	const char *name;          /* the record (cname; borrowed) */
	char where[320];           /* "zone Z123" / "zone example.test at
	                              192.0.2.1 port 53": for messages */
	int read_only;             /* dry run or status: changes refused */
	int rejected;              /* see the top of this file */
	int denied;                /* the last lock change was refused for
	                              permission: the caller names --no-lock */
	int lock_seen_free;        /* this round's read found no lock: the
	                              take may CREATE without reading first */
	/* route53 */
	struct r53 *r53;
	int zone_read;
	char zone_name[DNSREC_NAME_MAX];
	/* rfc2136 */
	struct rfc2136 dns;
	const char *const *check_servers; /* NULL: the zone's NS set */
	uint32_t serial;           /* the zone's serial at the last read */
};

/* Route 53 backend over r (borrowed; r->read_only applies). name: the
 * record. */
void dnsrec_route53(struct dnsrec *d, struct r53 *r, const char *name);
/* RFC 2136 backend from c (dns_server, dns_zone, tsig_key loaded by
 * config_load, dns_check_servers, io_timeout bounding each exchange; all
 * borrowed). 0 / -1 (err_set). */
int dnsrec_rfc2136(struct dnsrec *d, const struct dr_config *c,
    int read_only);
/* 1 when the backend has what it needs to talk (Route 53: credentials). */
int dnsrec_usable(const struct dnsrec *d);

/* Reads the record set at d->name (and, for Route 53, once per run, the
 * hosted zone: GetHostedZone). 0 / -1 (err_set; d->rejected). */
int dnsrec_read(struct dnsrec *d, struct dnsrec_set *out);

/* Changes the record to want with ttl, on condition that it still holds
 * old (NULL: that nothing is there). Route 53 sends one UPSERT (atomic;
 * the condition is the caller's read, as before this interface); rfc2136
 * one UPDATE whose prerequisite is old. ch filled on DNSREC_OK. Returns
 * enum dnsrec_outcome (err_set unless OK; d->rejected). */
int dnsrec_change(struct dnsrec *d, const struct dnsrec_value *old,
    const struct dnsrec_value *want, long ttl, struct dnsrec_change *ch);

/* One poll of ch's propagation, each request bounded by deadline
 * (retry_now_ms() clock). *done = 1 when served (INSYNC); else note says
 * what is still pending. 0, or -1 when the state cannot be read (err_set). */
int dnsrec_served(struct dnsrec *d, const struct dnsrec_change *ch,
    long long deadline, int *done, char *note, size_t notesz);

/* The run lock "_vaultdr-lock.<name>" (Safety 6), with route53.h's value
 * format (r53_lock_format / r53_lock_parse) on every backend. Contracts as
 * route53.h's r53_lock_read / _take / _renew / _release: read: *held and l;
 * take: 0 taken, 1 held by another run (other filled), -1 error
 * (d->denied when refused for permission); renew: -1 when no longer ours;
 * release: gone or taken over counts as released. */
int dnsrec_lock_read(struct dnsrec *d, int *held, struct r53_lock *l);
int dnsrec_lock_take(struct dnsrec *d, const struct r53_lock *mine,
    struct r53_lock *other);
int dnsrec_lock_renew(struct dnsrec *d, struct r53_lock *mine,
    long long new_expires);
int dnsrec_lock_release(struct dnsrec *d, const struct r53_lock *mine);

/* "CNAME", "A-alias", "AAAA-alias" (the <env>_record_type words). */
const char *dnsrec_kind_name(int kind);

#endif
