/* dnsrec.c - the record and the run lock over Route 53 or RFC 2136: one
 * table of operations per backend. See dnsrec.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "dnsrec.h"
#include "err.h"
#include "log.h"
#include "plan.h" /* plan_record_shape: Route 53's listing in words */

struct dnsrec_ops {
	int (*usable)(const struct dnsrec *);
	int (*read)(struct dnsrec *, struct dnsrec_set *);
	int (*change)(struct dnsrec *, const struct dnsrec_value *,
	    const struct dnsrec_value *, long, struct dnsrec_change *);
	int (*served)(struct dnsrec *, const struct dnsrec_change *,
	    long long, int *, char *, size_t);
	int (*lock_read)(struct dnsrec *, int *, struct r53_lock *);
	int (*lock_take)(struct dnsrec *, const struct r53_lock *,
	    struct r53_lock *);
	int (*lock_renew)(struct dnsrec *, struct r53_lock *, long long);
	int (*lock_release)(struct dnsrec *, const struct r53_lock *);
};

static const char *const kind_names[] = { "CNAME", "A-alias", "AAAA-alias" };

const char *
dnsrec_kind_name(int kind)
{
	return kind >= 0 && kind <= DNSREC_AAAA_ALIAS ? kind_names[kind] :
	    "?";
}

/* ------------------------------------------------------------ Route 53 */

static int
r53_usable(const struct dnsrec *d)
{
	return d->r53 && secret_is_set(d->r53->access_key);
}

/* One simple A/AAAA alias (no routing policy, no health check), which
 * plan_record_shape reports as "other": *v filled, 1; else 0. */
static int
r53_alias_one(const struct r53_rrset *s, size_t n, struct dnsrec_value *v)
{
	if (n != 1 || !s->alias || s->set_id || s->has_weight ||
	    s->failover || s->region || s->health_check || !s->alias_dns ||
	    (strcmp(s->type, "A") && strcmp(s->type, "AAAA")))
		return 0;
	v->kind = strcmp(s->type, "A") ? DNSREC_AAAA_ALIAS : DNSREC_A_ALIAS;
	snprintf(v->target, sizeof(v->target), "%s", s->alias_dns);
	r53_strip_dot(v->target);
	snprintf(v->alias_zone, sizeof(v->alias_zone), "%s",
	    s->alias_zone ? s->alias_zone : "");
	v->evaluate = s->alias_eval;
	return 1;
}

static int
r53_read(struct dnsrec *d, struct dnsrec_set *out)
{
	struct r53_rrset *sets = NULL;
	size_t n = 0;
	char *value = NULL, *zname = NULL;
	int found = 0, rc = -1;

	d->rejected = 0;
	if (r53_list_at(d->r53, d->name, &sets, &n) == -1) {
		d->rejected = d->r53->fail == VF_REJECTED;
		return -1;
	}
	if (plan_record_shape(sets, n, d->name, &found, &value, &out->ttl,
	    out->other, sizeof(out->other)) == -1) {
		err_set("out of memory");
		goto out;
	}
	if (found) {
		out->shape = DNSREC_ONE;
		out->value.kind = DNSREC_CNAME;
		snprintf(out->value.target, sizeof(out->value.target), "%s",
		    value);
	} else if (r53_alias_one(sets, n, &out->value)) {
		out->shape = DNSREC_ONE; /* other keeps the words */
		out->ttl = -1;
	} else
		out->shape = out->other[0] ? DNSREC_OTHER : DNSREC_ABSENT;
	/* GetHostedZone once per run: the name must lie in the zone. A
	 * refusal is a config error; a transient failure leaves it unread. */
	if (!d->zone_read) {
		if (r53_get_zone(d->r53, &zname) == 0) {
			d->zone_read = 1;
			snprintf(d->zone_name, sizeof(d->zone_name), "%s",
			    zname);
		} else if (d->r53->fail == VF_REJECTED) {
			d->rejected = 1;
			err_prefix("zone check: GetHostedZone %s",
			    d->r53->zone_id);
			goto out;
		}
	}
	if (d->zone_read) {
		snprintf(out->zone, sizeof(out->zone), "%s", d->zone_name);
		out->in_zone = r53_name_in_zone(d->name, d->zone_name);
	}
	rc = 0;
out:
	free(value);
	free(zname);
	r53_rrsets_free(sets, n);
	return rc;
}

static int
r53_outcome(struct dnsrec *d)
{
	d->rejected = d->r53->fail == VF_REJECTED;
	return d->r53->fail == VF_LOST ? DNSREC_UNKNOWN : DNSREC_FAILED;
}

static int
r53_change_rec(struct dnsrec *d, const struct dnsrec_value *old,
    const struct dnsrec_value *want, long ttl, struct dnsrec_change *ch)
{
	char *id = NULL;
	int rc;

	(void)old; /* UPSERT: the caller's read is the condition */
	d->rejected = 0;
	if (want->kind == DNSREC_CNAME)
		rc = r53_upsert_cname(d->r53, d->name, want->target, ttl, &id);
	else {
		struct r53_change_item it = { "UPSERT", d->name,
			want->kind == DNSREC_A_ALIAS ? "A" : "AAAA", 0, NULL, 0,
			NULL, want->alias_zone, want->target, want->evaluate };
		rc = r53_change(d->r53, &it, 1, &id);
	}
	if (rc == -1)
		return r53_outcome(d);
	snprintf(ch->id, sizeof(ch->id), "%s", id ? id : "");
	ch->since = 0;
	ch->value = *want;
	free(id);
	return DNSREC_OK;
}

static int
r53_served(struct dnsrec *d, const struct dnsrec_change *ch,
    long long deadline, int *done, char *note, size_t notesz)
{
	(void)deadline; /* GetChange: one request, bounded by VAULTDR_TIMEOUT */
	if (r53_change_insync(d->r53, ch->id, done) == -1)
		return -1;
	snprintf(note, notesz, "%s", *done ? "INSYNC" : "PENDING");
	return 0;
}

static int
r53_denied(struct dnsrec *d)
{
	d->denied = strcmp(r53_aws_code(), "AccessDenied") == 0;
	return -1;
}

static int
r53_lk_read(struct dnsrec *d, int *held, struct r53_lock *l)
{
	return r53_lock_read(d->r53, d->name, held, l);
}

static int
r53_lk_take(struct dnsrec *d, const struct r53_lock *mine,
    struct r53_lock *other)
{
	int rc;

	d->denied = 0;
	rc = r53_lock_take(d->r53, d->name, mine, other, d->lock_seen_free);
	d->lock_seen_free = 0;
	if (rc == -1)
		return r53_denied(d);
	return rc;
}

static int
r53_lk_renew(struct dnsrec *d, struct r53_lock *mine, long long expires)
{
	return r53_lock_renew(d->r53, d->name, mine, expires);
}

static int
r53_lk_release(struct dnsrec *d, const struct r53_lock *mine)
{
	return r53_lock_release(d->r53, d->name, mine);
}

static const struct dnsrec_ops r53_ops = { r53_usable, r53_read,
	r53_change_rec, r53_served, r53_lk_read, r53_lk_take, r53_lk_renew,
	r53_lk_release };
static const struct dnsrec_words r53_words = { "Route 53", "UPSERT",
	"INSYNC", "PENDING", "allow route53:ChangeResourceRecordSets on it",
	"Route 53", "the AWS credentials, their permissions or the hosted zone id" };

void
dnsrec_route53(struct dnsrec *d, struct r53 *r, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->ops = &r53_ops;
	d->words = &r53_words;
	d->r53 = r;
	d->name = name;
	d->read_only = r->read_only;
	snprintf(d->where, sizeof(d->where), "zone %s", r->zone_id ?
	    r->zone_id : "?");
}

/* ------------------------------------------------------------- RFC 2136 */

static int
rfc_usable(const struct dnsrec *d)
{
	return d->dns.key != NULL;
}

static int
rfc_read(struct dnsrec *d, struct dnsrec_set *out)
{
	struct rfc2136_rrset set;

	d->rejected = 0;
	if (rfc2136_read(&d->dns, d->name, DNS_T_CNAME, &set) != RFC2136_OK)
		goto fail;
	d->serial = set.soa_serial;
	out->in_zone = 1; /* config.c checked it; the primary served the SOA */
	snprintf(out->zone, sizeof(out->zone), "%s", d->dns.zone);
	if (set.n == 1) {
		out->shape = DNSREC_ONE;
		out->value.kind = DNSREC_CNAME;
		snprintf(out->value.target, sizeof(out->value.target), "%s",
		    set.value[0]);
		r53_strip_dot(out->value.target);
		out->ttl = (long)set.ttl;
		return 0;
	}
	if (set.n > 1) {
		out->shape = DNSREC_OTHER;
		snprintf(out->other, sizeof(out->other), "%s holds %d CNAME "
		    "records", d->name, set.n);
		return 0;
	}
	/* No CNAME. The name may hold other types, or be an empty
	 * non-terminal (only names below it, such as the run lock's): read
	 * everything at it. */
	if (set.exists && rfc2136_read(&d->dns, d->name, DNS_T_ANY, &set) !=
	    RFC2136_OK)
		goto fail;
	out->shape = set.exists && set.n ? DNSREC_OTHER : DNSREC_ABSENT;
	if (out->shape == DNSREC_OTHER)
		snprintf(out->other, sizeof(out->other), "%s holds %s%s, not a "
		    "CNAME", d->name, set.value[0], set.n > 1 ? " and more" :
		    "");
	return 0;
fail:
	d->rejected = rfc2136_refused();
	return -1;
}

/* rfc2136.c's outcome as ours (the same numbers, named). */
static int
rfc_outcome(struct dnsrec *d, int rc)
{
	static const int map[] = { DNSREC_OK, DNSREC_FAILED, DNSREC_CONFLICT,
		DNSREC_UNKNOWN };

	d->rejected = rc == RFC2136_FAILED && rfc2136_refused();
	return rc <= 0 && rc >= RFC2136_UNKNOWN ? map[-rc] : DNSREC_FAILED;
}

static int
rfc_change(struct dnsrec *d, const struct dnsrec_value *old,
    const struct dnsrec_value *want, long ttl, struct dnsrec_change *ch)
{
	int rc;

	d->rejected = 0;
	if (want->kind != DNSREC_CNAME || (old && old->kind != DNSREC_CNAME)) {
		err_set("%s: the rfc2136 provider changes CNAME records only",
		    d->name);
		return DNSREC_FAILED;
	}
	if (d->read_only) {
		err_set("UPDATE CNAME %s: refused in a read-only run", d->name);
		return DNSREC_FAILED;
	}
	rc = rfc_outcome(d, rfc2136_replace_cname(&d->dns, d->name,
	    old ? old->target : NULL, want->target, (uint32_t)ttl));
	if (rc == DNSREC_OK) {
		snprintf(ch->id, sizeof(ch->id), "after serial %u", d->serial);
		ch->since = d->serial;
		ch->value = *want;
	}
	return rc;
}

static int
rfc_served(struct dnsrec *d, const struct dnsrec_change *ch,
    long long deadline, int *done, char *note, size_t notesz)
{
	int rc = rfc2136_served(&d->dns, d->name, DNS_T_CNAME, ch->value.target,
	    ch->since, d->check_servers, deadline, note, notesz);

	*done = rc == 1;
	return rc == -1 ? -1 : 0;
}

/* The lock TXT holds the lock value without route53.h's quotes. */
static const char *
unquoted(const struct r53_lock *l, char *buf, size_t bufsz)
{
	size_t n = strlen(l->value);

	if (n >= 2 && l->value[0] == '"' && l->value[n - 1] == '"')
		snprintf(buf, bufsz, "%.*s", (int)(n - 2), l->value + 1);
	else
		snprintf(buf, bufsz, "%s", l->value);
	return buf;
}

static void
lock_name(const struct dnsrec *d, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s%s", R53_LOCK_PREFIX, d->name);
}

static int
rfc_lk_read(struct dnsrec *d, int *held, struct r53_lock *l)
{
	struct rfc2136_rrset set;
	char name[DNSREC_NAME_MAX + 16], quoted[DNS_TEXT_MAX + 2];

	lock_name(d, name, sizeof(name));
	*held = 0;
	if (rfc2136_read(&d->dns, name, DNS_T_TXT, &set) != RFC2136_OK)
		return -1;
	if (set.n == 0)
		return 0;
	if (set.n > 1) {
		err_set("run lock %s holds %d TXT records, not one", name,
		    set.n);
		return -1;
	}
	snprintf(quoted, sizeof(quoted), "\"%s\"", set.value[0]);
	if (r53_lock_parse(quoted, l) == -1) {
		err_prefix("run lock %s", name);
		return -1;
	}
	*held = 1;
	return 0;
}

static int
rfc_lk_take(struct dnsrec *d, const struct r53_lock *mine,
    struct r53_lock *other)
{
	char name[DNSREC_NAME_MAX + 16], v[512], cv[512];
	struct r53_lock cur;
	int held, tries, rc;

	lock_name(d, name, sizeof(name));
	memset(other, 0, sizeof(*other));
	d->denied = 0;
	for (tries = 0;; tries++) {
		if (rfc_lk_read(d, &held, &cur) == -1)
			return -1;
		if (held && strcmp(cur.value, mine->value) == 0)
			return 0; /* ours: an earlier answer was lost */
		if (held && cur.expires > (long long)time(NULL)) {
			*other = cur;
			return 1;
		}
		if (tries == 3) {
			err_set("could not take the run lock %s after %d "
			    "attempts: it keeps changing", name, tries);
			return -1;
		}
		/* absent: create where the name is not in use; expired:
		 * replace exactly the value read */
		rc = held ? rfc2136_lock_renew(&d->dns, name,
		    unquoted(&cur, cv, sizeof(cv)), unquoted(mine, v,
		    sizeof(v)), R53_LOCK_RECORD_TTL) :
		    rfc2136_lock_take(&d->dns, name, unquoted(mine, v,
		    sizeof(v)), R53_LOCK_RECORD_TTL);
		if (rc == RFC2136_OK)
			return 0;
		if (rc == RFC2136_FAILED) {
			d->denied = rfc2136_refused();
			return -1;
		}
		/* a lost race or a lost answer: read again and decide */
		log_verbose("run lock %s: %s; reading it again", name,
		    err_get());
	}
}

static int
rfc_lk_renew(struct dnsrec *d, struct r53_lock *mine, long long expires)
{
	char name[DNSREC_NAME_MAX + 16], v[512], nv[512];
	struct r53_lock next = *mine, cur;
	int held, rc;

	lock_name(d, name, sizeof(name));
	next.expires = expires;
	if (r53_lock_format(&next) == -1)
		return -1;
	rc = rfc2136_lock_renew(&d->dns, name, unquoted(mine, v, sizeof(v)),
	    unquoted(&next, nv, sizeof(nv)), R53_LOCK_RECORD_TTL);
	if (rc == RFC2136_FAILED)
		return -1;
	if (rc != RFC2136_OK) {
		/* conflict or lost answer: what is there now? */
		if (rfc_lk_read(d, &held, &cur) == -1)
			return -1;
		if (!held || strcmp(cur.value, next.value) != 0) {
			if (held && strcmp(cur.value, mine->value) == 0)
				err_set("the run lock %s was not renewed (the "
				    "answer was lost); it is still ours", name);
			else if (held)
				err_set("the run lock %s is no longer ours: "
				    "held by %s (pid %ld, %s %s) until %lld",
				    name, cur.owner, cur.pid, cur.cmd, cur.env,
				    cur.expires);
			else
				err_set("the run lock %s is gone", name);
			return -1;
		}
	}
	*mine = next;
	return 0;
}

static int
rfc_lk_release(struct dnsrec *d, const struct r53_lock *mine)
{
	char name[DNSREC_NAME_MAX + 16], v[512];
	struct r53_lock cur;
	int held, rc;

	lock_name(d, name, sizeof(name));
	rc = rfc2136_lock_release(&d->dns, name, unquoted(mine, v, sizeof(v)));
	if (rc == RFC2136_OK || rc == RFC2136_CONFLICT)
		return 0; /* deleted, or gone / taken over: nothing of ours */
	if (rc == RFC2136_UNKNOWN && rfc_lk_read(d, &held, &cur) == 0 &&
	    (!held || strcmp(cur.value, mine->value) != 0))
		return 0;
	return -1;
}

static const struct dnsrec_ops rfc_ops = { rfc_usable, rfc_read, rfc_change,
	rfc_served, rfc_lk_read, rfc_lk_take, rfc_lk_renew, rfc_lk_release };
static const struct dnsrec_words rfc_words = { "DNS server", "UPDATE",
	"served", "not served yet", "grant the TSIG key the TXT record in the "
	"zone's update-policy", "DNS", "the TSIG key (the tsig_key_file, "
	"tsig_key_name, tsig_algorithm settings or VAULTDR_TSIG_SECRET), the "
	"zone's update-policy or the dns_server setting" };

int
dnsrec_rfc2136(struct dnsrec *d, const struct dr_config *c, int read_only)
{
	memset(d, 0, sizeof(*d));
	d->ops = &rfc_ops;
	d->words = &rfc_words;
	d->name = c->cname;
	d->read_only = read_only;
	if (c->dns_server == NULL || c->dns_zone == NULL ||
	    dns_server_parse(&d->dns.server, c->dns_server) == -1) {
		err_prefix("rfc2136: dns_server");
		return -1;
	}
	snprintf(d->dns.zone, sizeof(d->dns.zone), "%s", c->dns_zone);
	d->dns.key = c->tsig_key;
	d->dns.timeout_ms = (int)(c->io_timeout * 1000);
	if (d->dns.timeout_ms < 1)
		d->dns.timeout_ms = 1;
	d->check_servers = (const char *const *)c->dns_check_servers;
	snprintf(d->where, sizeof(d->where), "zone %s at %s port %s",
	    d->dns.zone, d->dns.server.host, d->dns.server.port);
	return 0;
}

/* ------------------------------------------------------------ interface */

int
dnsrec_usable(const struct dnsrec *d)
{
	return d && d->ops && d->ops->usable(d);
}

int
dnsrec_read(struct dnsrec *d, struct dnsrec_set *out)
{
	memset(out, 0, sizeof(*out));
	out->in_zone = -1;
	return d->ops->read(d, out);
}

int
dnsrec_change(struct dnsrec *d, const struct dnsrec_value *old,
    const struct dnsrec_value *want, long ttl, struct dnsrec_change *ch)
{
	memset(ch, 0, sizeof(*ch));
	return d->ops->change(d, old, want, ttl, ch);
}

int
dnsrec_served(struct dnsrec *d, const struct dnsrec_change *ch,
    long long deadline, int *done, char *note, size_t notesz)
{
	*done = 0;
	if (notesz)
		note[0] = '\0';
	return d->ops->served(d, ch, deadline, done, note, notesz);
}

int
dnsrec_lock_read(struct dnsrec *d, int *held, struct r53_lock *l)
{
	*held = 0;
	return d->ops->lock_read(d, held, l);
}

int
dnsrec_lock_take(struct dnsrec *d, const struct r53_lock *mine,
    struct r53_lock *other)
{
	if (mine->value[0] != '"') {
		err_set("run lock: value not formatted (r53_lock_format)");
		return -1;
	}
	return d->ops->lock_take(d, mine, other);
}

int
dnsrec_lock_renew(struct dnsrec *d, struct r53_lock *mine,
    long long new_expires)
{
	return d->ops->lock_renew(d, mine, new_expires);
}

int
dnsrec_lock_release(struct dnsrec *d, const struct r53_lock *mine)
{
	return d->ops->lock_release(d, mine);
}
