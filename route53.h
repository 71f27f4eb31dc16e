/* route53.h - the Route 53 calls vaultdr makes, SigV4-signed, over the
 * strict XML reader (xml.h): ListResourceRecordSets (every record set at a
 * name), ChangeResourceRecordSets (one atomic batch), GetChange,
 * GetHostedZone; the run lock (DESIGN.md Safety 6) as a TXT record; and the
 * documents' parsers, exposed for the unit and fuzz tests.
 *
 * Failures (-1) are described once with err_set, naming the Route 53 call
 * and the reason, and classified in r->fail and r53_aws_code():
 *   VF_LOST      a changing request was (maybe) delivered but its answer was
 *                lost: timeout, connection closed, any 5xx, a 2xx that does
 *                not parse. The outcome is UNKNOWN: re-read, never re-send
 *                (Safety 1). route53.c never re-sends such a request itself.
 *   VF_REJECTED  Route 53 refused (4xx): nothing was applied; r53_aws_code()
 *                holds its error code ("InvalidChangeBatch", "AccessDenied",
 *                "NoSuchHostedZone", "SignatureDoesNotMatch", ...).
 *   VF_SERVER, VF_UNREACHABLE  a read (GET) still failing after the retries
 *                (5xx / connection failures), or Throttling /
 *                PriorRequestNotComplete still refused after the retries.
 *   VF_BAD_REPLY a read whose answer is not the document it should be
 *                (truncated, garbage, a required element missing): never
 *                read as "absent".
 *   VF_TLS, VF_STOPPED  as in vault.h.
 * Retried inside route53.c (retry_r53): reads on connection failures, 5xx
 * and malformed HTTP; every request on Throttling / PriorRequestNotComplete
 * (refusals: not applied) and on connection failures before any byte of the
 * request was sent. */
#ifndef VAULTDR_ROUTE53_H
#define VAULTDR_ROUTE53_H
#include <stddef.h>
#include "buf.h"
#include "http.h"
#include "secret.h"
#include "vault.h" /* enum vault_fail */
#include "xml.h"   /* xml_text: awscreds.c still finds it through here */

struct r53 {
	const char *endpoint;  /* base URL (borrowed), e.g. https://route53.amazonaws.com */
	struct http_client *http; /* borrowed */
	const struct secret *access_key, *secret_key, *session_token; /* borrowed; token may be unset */
	const char *zone_id;   /* bare or /hostedzone/ID form (borrowed) */
	const char *region;    /* signing region, "us-east-1" */
	int read_only;         /* dry run: refuse changes */
	enum vault_fail fail;  /* how the last call failed (see above) */
	/* dr.c initializes this struct positionally: new fields would need
	 * a change there, so the AWS error code lives in r53_aws_code(). */
};

/* Reads fetched ahead (http_prefetch): the request r53_list_at(r, name)
 * makes first (page one), the one r53_get_zone(r) makes and the one
 * r53_change_insync(r, id) makes, signed now, as
 * jobs; those calls then take the answers. 0 / -1 (err_set); free p with
 * r53_prefetch_free once http_prefetch has returned. (The lock's listing
 * is r53_list_job at r53_lock_name(cname).) */
struct r53_prefetch {
	struct buf url, authz;
	char date[17];
	struct http_header h[3];
	struct http_job job;
};
int r53_list_job(struct r53 *r, const char *name, struct r53_prefetch *p);
int r53_zone_job(struct r53 *r, struct r53_prefetch *p);
int r53_change_job(struct r53 *r, const char *change_id,
    struct r53_prefetch *p);
void r53_prefetch_free(struct r53_prefetch *p);

/* The AWS error code of this thread's last failed Route 53 call
 * ("InvalidChangeBatch", "AccessDenied", "Throttling", "HTTP504" when the
 * body was not a Route 53 error document), "" when the last call succeeded
 * or failed without an answer. Thread-local, like the error slot. */
const char *r53_aws_code(void);

/* One record set as ListResourceRecordSets shows it. Strings owned (freed
 * by r53_rrsets_free); NULL when the element is absent. */
struct r53_rrset {
	char *name;            /* as Route 53 returns it: lower case, trailing dot */
	char type[16];         /* "CNAME", "A", "TXT", ... */
	long ttl;              /* -1 for an alias */
	char **values;         /* ResourceRecords/Value, in order */
	size_t nvalues;
	char *set_id;          /* SetIdentifier */
	int has_weight;
	long weight;
	char *failover;        /* "PRIMARY" / "SECONDARY" */
	char *region;          /* latency routing */
	char *health_check;    /* HealthCheckId */
	int alias;             /* 1: AliasTarget (no TTL, no values) */
	char *alias_zone, *alias_dns;
	int alias_eval;        /* EvaluateTargetHealth */
};
void r53_rrsets_free(struct r53_rrset *s, size_t n); /* NULL-safe */

/* All record sets at exactly `name` (any type; trailing dot optional, case
 * and \ooo escapes ignored), following IsTruncated while the next record is
 * still at that name. *sets malloc'd (free with r53_rrsets_free), *n may be
 * 0 (nothing at that name). 0 / -1. */
int r53_list_at(struct r53 *r, const char *name, struct r53_rrset **sets,
    size_t *n);

/* One change of a batch. values/nvalues for a plain record set; alias_dns
 * set (with alias_zone, alias_eval) for an alias, then ttl and values are
 * ignored. set_id: NULL for a simple record. */
struct r53_change_item {
	const char *action;    /* "CREATE" | "DELETE" | "UPSERT" */
	const char *name, *type;
	long ttl;
	const char *const *values;
	size_t nvalues;
	const char *set_id;    /* optional */
	const char *alias_zone, *alias_dns; /* optional: alias target */
	int alias_eval;
};
/* ChangeResourceRecordSets with items[0..n) as one atomic batch (all or
 * nothing). *change_id (malloc'd, bare id "C...") on success. 0 / -1 (see
 * the failure classes above: VF_LOST = outcome unknown). */
int r53_change(struct r53 *r, const struct r53_change_item *items, size_t n,
    char **change_id);
/* GetChange: *insync = 1 when Status is INSYNC, 0 when PENDING. 0 / -1. */
int r53_change_insync(struct r53 *r, const char *change_id, int *insync);
/* GetHostedZone of r->zone_id: *zone_name malloc'd, lower case, with the
 * trailing dot ("example.com."). 0 / -1 (NoSuchHostedZone: VF_REJECTED). */
int r53_get_zone(struct r53 *r, char **zone_name);
/* 1 when name is the zone's apex or lies below it (case, trailing dots and
 * \ooo escapes ignored), else 0. */
int r53_name_in_zone(const char *name, const char *zone);
/* 1 when the two DNS names are the same (case, one trailing dot and \ooo
 * escapes ignored). */
int r53_name_eq(const char *a, const char *b);

/* ---- kept for dr.c until it uses the calls above ---- */
/* The simple CNAME at `name`: *found = 0 when no CNAME set is there. Other
 * types at the name are ignored; an alias CNAME or a malformed listing is an
 * error (-1), never "absent". *value malloc'd (trailing dot removed). */
int r53_get_cname(struct r53 *r, const char *name, int *found, char **value,
    long *ttl);
/* UPSERTs name CNAME value with ttl; *change_id (malloc'd, bare id). 0 / -1;
 * a lost answer is VF_LOST (not re-sent). */
int r53_upsert_cname(struct r53 *r, const char *name, const char *value,
    long ttl, char **change_id);

/* ---- what the cluster name is: a CNAME, or an alias A/AAAA record to a
 * load balancer (issue 12) ---- */
enum r53_kind { R53_CNAME = 0, R53_A_ALIAS, R53_AAAA_ALIAS };
/* "CNAME", "A-alias", "AAAA-alias": the <env>_record_type words. */
const char *r53_kind_name(enum r53_kind k);
/* The record set's Type: "CNAME", "A", "AAAA". */
const char *r53_kind_type(enum r53_kind k);
/* The kind named s (case ignored). 0 / -1 (unknown word; no err_set). */
int r53_kind_parse(const char *s, enum r53_kind *k);

/* ---- the run lock (DESIGN.md Safety 6) ----
 * A TXT record "_vaultdr-lock.<cname>" in the same zone holding one quoted
 * string "owner=<user>@<host> pid=<pid> cmd=<cmd> env=<env> expires=<unix s>"
 * with TTL R53_LOCK_RECORD_TTL. Changes are CREATE (fails when present) and
 * DELETE of the exact value (fails when it changed): no two runs can both
 * believe they hold it. */
#define R53_LOCK_PREFIX "_vaultdr-lock."
#define R53_LOCK_RECORD_TTL 60
struct r53_lock {
	char value[512];       /* the TXT value as stored, quotes included */
	char owner[256];       /* user@host */
	long pid;
	char cmd[16];          /* "failover" / "failback" */
	char env[64];
	long long expires;     /* Unix seconds */
};
/* Fills l->value from owner, pid, cmd, env, expires. -1 (err_set) when a
 * field is empty or holds a space, quote, backslash or '=' or control
 * character, or the string exceeds 255 characters (one TXT string). */
int r53_lock_format(struct r53_lock *l);
/* Parses a TXT value (with its quotes) into l (value copied). -1 (err_set
 * naming the value and what is wrong) unless it holds exactly the five
 * fields above. */
int r53_lock_parse(const char *value, struct r53_lock *l);
/* "_vaultdr-lock.<cname>" (malloc'd; NULL on allocation failure). */
char *r53_lock_name(const char *cname);
/* Reads the lock: *held = 0 when there is no TXT at the lock name; else 1
 * and l filled. A record there that is not exactly one simple TXT with one
 * parseable value is an error naming it. 0 / -1. */
int r53_lock_read(struct r53 *r, const char *cname, int *held,
    struct r53_lock *l);
/* Takes the lock with mine->value (r53_lock_format first): absent -> CREATE;
 * held by us (same value) -> taken; expired (expires <= now) -> one batch
 * DELETE old value + CREATE mine; a lost answer or a lost race is decided by
 * re-reading. Returns 0 taken, 1 held by another run and not expired (other
 * filled), -1 error (r53_aws_code() "AccessDenied" when the credentials may not
 * change the zone: the caller suggests --no-lock). After -1 our CREATE may
 * still have been applied (answer lost, then the re-read failed): a caller
 * that exits calls r53_lock_release, which is harmless when it is absent.
 * seen_free: the caller's read just found no lock; the first CREATE goes
 * without reading again (Route 53 refuses it if the lock appeared since). */
int r53_lock_take(struct r53 *r, const char *cname, const struct r53_lock *mine,
    struct r53_lock *other, int seen_free);
/* Extends our lock to new_expires: one batch DELETE mine->value + CREATE the
 * new value; mine updated on success. -1 when the lock is no longer ours
 * (err_set says who holds it) or on error. */
int r53_lock_renew(struct r53 *r, const char *cname, struct r53_lock *mine,
    long long new_expires);
/* Deletes our lock (exact value). Already gone, or taken over by another
 * run, is success (nothing of ours is left). 0 / -1. */
int r53_lock_release(struct r53 *r, const char *cname,
    const struct r53_lock *mine);

/* ---- documents (pure; for the tests) ---- */
struct r53_page {
	struct r53_rrset *sets;
	size_t n;
	int truncated;
	char *next_name, *next_type, *next_id; /* when truncated (id optional) */
};
/* Parses a ListResourceRecordSetsResponse. 0 / -1 (err_set: why). */
int r53_parse_list(const char *doc, size_t len, struct r53_page *p);
void r53_page_free(struct r53_page *p); /* NULL-safe */
/* Parses a ChangeResourceRecordSetsResponse or GetChangeResponse
 * (root) into the bare change id (malloc'd) and *insync. 0 / -1. */
int r53_parse_change_info(const char *doc, size_t len, const char *root,
    char **id, int *insync);
/* Parses a GetHostedZoneResponse: *name malloc'd, lower case, trailing dot. */
int r53_parse_zone(const char *doc, size_t len, char **name);
/* Code and message of a Route 53 error document (ErrorResponse, the
 * InvalidChangeBatch/Messages shape, or a bare <XxxException><Message>).
 * 0 / -1 when the body is not such a document (code, msg left ""). */
int r53_parse_error(const char *doc, size_t len, char *code, size_t codesz,
    char *msg, size_t msgsz);

/* Removes one trailing dot (a fully qualified name) in place. */
void r53_strip_dot(char *s);
/* Host name check for CNAME values: letters, digits, '-', '_', '.', not a URL. */
int r53_valid_hostname(const char *s);

#endif
