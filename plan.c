/* plan.c - decisions over the observed world: the steps a command still
 * needs, and whether a failed promotion is rolled back. Pure: no I/O, no
 * clock, no globals; the same world always gives the same plan. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"

const struct world_side *
world_old(const struct world *w, enum dr_cmd cmd)
{
	return &w->side[cmd == DR_FAILBACK ? 1 : 0];
}

const struct world_side *
world_new(const struct world *w, enum dr_cmd cmd)
{
	return &w->side[cmd == DR_FAILBACK ? 0 : 1];
}

int
world_readable(const struct world_side *s)
{
	return s->st.reachable && s->st.fail == VF_NONE;
}

int
world_is_mode(const struct world_side *s, const char *m)
{
	return world_readable(s) && strcmp(s->st.mode, m) == 0;
}

int
world_down(const struct world_side *s)
{
	return s->st.fail == VF_UNREACHABLE || s->st.fail == VF_SERVER ||
	    s->st.fail == VF_STOPPED;
}

int
world_names(const struct world *w, const struct world_side *s)
{
	return w->rec_ok && w->rec_found && w->rec_value &&
	    strcasecmp(w->rec_value, s->target) == 0;
}

/* A demoted cluster is idle until update-primary; a stale id from an
 * earlier life must not pass for an attachment. */
int
world_attached(const struct world_side *old, const struct world_side *new)
{
	return world_is_mode(old, "secondary") &&
	    world_is_mode(new, "primary") && old->st.secondary_id[0] &&
	    strcmp(old->st.state, "idle") != 0 &&
	    vault_status_knows(&new->st, old->st.secondary_id);
}

int
world_streaming(const struct world_side *old, const struct world_side *new)
{
	return world_attached(old, new) &&
	    strcmp(old->st.state, "stream-wals") == 0 &&
	    vault_status_connected(&old->st) != 0; /* -1: not shown */
}

void
world_clear(struct world *w)
{
	int k;

	for (k = 0; k < 2; k++) {
		vault_status_free(&w->side[k].st);
		memset(&w->side[k].st, 0, sizeof(w->side[k].st));
	}
	free(w->rec_value);
	w->rec_value = NULL;
	w->rec_ok = w->rec_found = 0;
	w->rec_ttl = 0;
	w->rec_error[0] = '\0';
	w->rec_rejected = 0;
	w->rec_bad[0] = '\0';
	w->zone = ZONE_UNREAD;
	w->zone_name[0] = '\0';
}

long long
plan_old_wal(const struct vault_status *st)
{
	return st->last_dr_wal >= 0 ? st->last_dr_wal : st->last_wal;
}

/* Appends "; "-separated words to a reason. */
static void
why_add(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_add(char *why, size_t whysz, const char *fmt, ...)
{
	size_t l = strlen(why);
	va_list ap;

	if (l + 3 >= whysz)
		return;
	if (l) {
		memcpy(why + l, "; ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + l, whysz - l, fmt, ap);
	va_end(ap);
}

int
plan_gate(const struct world *w, enum dr_cmd cmd, char *why, size_t whysz,
    long long *lag)
{
	const struct world_side *o = world_old(w, cmd), *n = world_new(w, cmd);
	long long ow;
	int ok = 1, conn;

	why[0] = '\0';
	*lag = -1;
	if (!world_is_mode(o, "primary") || !world_is_mode(n, "secondary")) {
		snprintf(why, whysz, "the %s is not a DR secondary of the DR "
		    "primary %s", n->label, o->label);
		return 0;
	}
	ow = plan_old_wal(&o->st);
	if (ow >= 0 && n->st.last_remote_wal >= 0)
		*lag = ow > n->st.last_remote_wal ? ow - n->st.last_remote_wal :
		    0;
	if (!n->st.state[0])
		why_add(why, whysz, "state not checked (not shown)");
	else if (strcmp(n->st.state, "stream-wals") != 0) {
		why_add(why, whysz, "the %s is in state %s, not stream-wals",
		    n->label, n->st.state);
		ok = 0;
	}
	conn = vault_status_connected(&n->st);
	if (conn == 0) {
		why_add(why, whysz, "the %s is not connected to its primary "
		    "(connection_state %s, connection_status %s)", n->label,
		    n->st.connection_state[0] ? n->st.connection_state : "-",
		    n->st.primary_conn[0] ? n->st.primary_conn : "-");
		ok = 0;
	} else if (conn < 0)
		why_add(why, whysz, "connection not checked (not shown)");
	if (n->st.corrupted_merkle_tree == 1) {
		why_add(why, whysz, "the %s reports a corrupted merkle tree",
		    n->label);
		ok = 0;
	} else if (n->st.corrupted_merkle_tree < 0)
		why_add(why, whysz, "merkle tree not checked (not shown)");
	if (!n->st.secondary_id[0])
		why_add(why, whysz, "secondary id not checked (not shown)");
	else if (!vault_status_knows(&o->st, n->st.secondary_id)) {
		why_add(why, whysz, "the %s does not list the %s's secondary id "
		    "%s", o->label, n->label, n->st.secondary_id);
		ok = 0;
	}
	if (*lag >= 0)
		why_add(why, whysz, "%lld WALs behind", *lag);
	else
		why_add(why, whysz, "lag not checked (WAL indexes not shown)");
	return ok;
}

int
plan_version_skew(const struct world_side *n, const struct world_side *o)
{
	if (!vault_version_valid(n->st.version) ||
	    !vault_version_valid(o->st.version))
		return 0;
	return vault_version_cmp(n->st.version, o->st.version) > 0;
}

/* A short description of one record set, for the record check. */
static void
rrset_words(const struct r53_rrset *r, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s%s%s%s%s%s%s", r->alias ? "alias " : "",
	    r->type, r->set_id ? " with SetIdentifier " : "",
	    r->set_id ? r->set_id : "", r->has_weight ? " (weighted)" : "",
	    r->failover ? " (failover)" : "", r->region ? " (latency)" : "",
	    r->health_check ? " (health check)" : "",
	    r->nvalues > 1 ? " (several values)" : "");
}

int
plan_record_shape(const struct r53_rrset *sets, size_t n, const char *cname,
    int *found, char **value, long *ttl, char *bad, size_t badsz)
{
	char one[256];
	size_t i;

	*found = 0;
	*value = NULL;
	*ttl = 0;
	bad[0] = '\0';
	if (n == 0)
		return 0;
	if (n == 1 && strcmp(sets[0].type, "CNAME") == 0 && !sets[0].alias &&
	    !sets[0].set_id && !sets[0].has_weight && !sets[0].failover &&
	    !sets[0].region && !sets[0].health_check &&
	    sets[0].nvalues == 1 && sets[0].values[0]) {
		if ((*value = strdup(sets[0].values[0])) == NULL)
			return -1;
		r53_strip_dot(*value);
		*found = 1;
		*ttl = sets[0].ttl;
		return 0;
	}
	snprintf(bad, badsz, "%s holds", cname);
	for (i = 0; i < n; i++) {
		size_t l = strlen(bad);
		rrset_words(&sets[i], one, sizeof(one));
		snprintf(bad + l, badsz - l, "%s %s", i ? "," : "", one);
	}
	return 0;
}

static const char *
side_words(const struct world *w, const struct world_side *s, char *buf,
    size_t bufsz)
{
	const struct world_side *peer = &w->side[s->role ^ 1];

	if (!world_readable(s))
		snprintf(buf, bufsz, "unreadable");
	else if (strcmp(s->st.mode, "secondary") == 0)
		snprintf(buf, bufsz, "DR secondary (%s%s)", s->st.state[0] ?
		    s->st.state : "state unknown", world_streaming(s, peer) ?
		    ", attached" : world_attached(s, peer) ? ", attaching" :
		    ", not attached");
	else if (strcmp(s->st.mode, "primary") == 0)
		snprintf(buf, bufsz, "DR primary%s%s%s", s->st.state[0] ?
		    " (" : "", s->st.state, s->st.state[0] ? ")" : "");
	else
		snprintf(buf, bufsz, "DR mode %s", s->st.mode[0] ? s->st.mode :
		    "unknown");
	return buf;
}

void
world_describe(const struct world *w, const char *cname, char *out,
    size_t outsz)
{
	char a[160], b[160];

	snprintf(out, outsz, "primary cluster %s, secondary cluster %s, "
	    "%s %s -> %s", side_words(w, &w->side[0], a, sizeof(a)),
	    side_words(w, &w->side[1], b, sizeof(b)),
	    r53_kind_name((enum r53_kind)w->rec_kind), cname ? cname : "?",
	    w->rec_ok ? (w->rec_found && w->rec_value ? w->rec_value :
	    "(absent)") : "unknown (the record could not be read)");
}

static void
refuse(struct plan *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(struct plan *p, int code, const char *fmt, ...)
{
	va_list ap;

	p->steps = 0;
	p->partial = 0;
	p->verdict = p->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

static const char *
mode_or_unknown(const struct world_side *s)
{
	return s->st.mode[0] ? s->st.mode : "unknown";
}

/* The command that moves the primary role away from o. */
static enum dr_cmd
cmd_of(const struct world *w, const struct world_side *o)
{
	return o == &w->side[0] ? DR_FAILOVER : DR_FAILBACK;
}

/* Both clusters readable: each is a DR primary or secondary, they are two
 * clusters (Safety 4: not two URLs of one), and of one DR set. 0; -1
 * refused. */
static int
plan_pair(const struct world_side *o, const struct world_side *n,
    struct plan *p)
{
	if (!world_is_mode(o, "primary") && !world_is_mode(o, "secondary")) {
		refuse(p, EXIT_FAILED, "the %s is in DR mode '%s'; vaultdr only "
		    "moves the primary role within an existing DR pair",
		    o->label, mode_or_unknown(o));
		return -1;
	}
	if ((o->st.health_cluster_id[0] && strcmp(o->st.health_cluster_id,
	    n->st.health_cluster_id) == 0) || (!o->st.health_cluster_id[0] &&
	    o->st.health_cluster_name[0] && strcmp(o->st.health_cluster_name,
	    n->st.health_cluster_name) == 0)) {
		refuse(p, EXIT_USAGE, "cluster identity check: both URLs reach "
		    "the same cluster (sys/health cluster_id %s, cluster_name "
		    "%s); fix the primary and secondary cluster URLs",
		    o->st.health_cluster_id[0] ? o->st.health_cluster_id : "-",
		    o->st.health_cluster_name[0] ? o->st.health_cluster_name :
		    "-");
		return -1;
	}
	if (o->st.cluster_id[0] && n->st.cluster_id[0] &&
	    strcmp(o->st.cluster_id, n->st.cluster_id) != 0) {
		refuse(p, EXIT_FAILED, "the two clusters are not one DR set "
		    "(cluster_id %s vs %s)", o->st.cluster_id, n->st.cluster_id);
		return -1;
	}
	return 0;
}

/* Both clusters readable: the planned switch, or finishing one. Returns 0,
 * or -1 after refuse(). */
static int
plan_both(const struct world *w, const struct world_side *o,
    const struct world_side *n, const struct plan_opts *opt, struct plan *p)
{
	if (plan_pair(o, n, p) == -1)
		return -1;
	if (world_is_mode(n, "primary") && world_is_mode(o, "primary")) {
		/* Two primaries (an unplanned failover, then the old one came
		 * back). Only the one clients were sent to may stay: demoting
		 * the other loses nothing it was trusted with. */
		if (!world_names(w, n)) {
			refuse(p, EXIT_FAILED, "both clusters are DR primaries "
			    "and %s names %s, not the %s: demoting the cluster "
			    "clients were sent to would lose its writes. Finish "
			    "the move to the cluster the CNAME names first (run "
			    "the other command), then switch back",
			    opt->cname ? opt->cname : "the CNAME",
			    w->rec_ok ? (w->rec_found && w->rec_value ?
			    w->rec_value : "nothing") : "an unreadable record",
			    n->label);
			return -1;
		}
		p->steps |= ST_DEMOTE | ST_READY | ST_REATTACH;
	} else if (world_is_mode(n, "primary")) {
		if (world_streaming(o, n))
			;
		else if (world_attached(o, n))
			p->steps |= ST_STREAM;
		else
			p->steps |= ST_READY | ST_REATTACH;
		if (n->st.state[0] && strcmp(n->st.state, "running") != 0)
			p->steps |= ST_READY;
	} else {
		if (world_is_mode(o, "primary")) {
			/* Safety 5: the gate before the demote. */
			if (!plan_gate(w, cmd_of(w, o), p->gate_why,
			    sizeof(p->gate_why), &p->lag)) {
				if (!opt->accept_data_loss) {
					refuse(p, EXIT_REFUSED, "replication "
					    "gate: %s; promoting the %s now "
					    "would lose the writes it has not "
					    "received. "
					    "Wait until it streams, connected "
					    "and caught up, or re-run with "
					    "--accept-data-loss", p->gate_why,
					    n->label);
					return -1;
				}
				p->gate_failed = 1;
			}
			p->steps |= ST_DEMOTE;
		}
		p->steps |= ST_PROMOTE | ST_READY | ST_REATTACH;
	}
	/* Safety 4: no replication from a newer Vault to an older one. */
	if ((p->steps & (ST_REATTACH | ST_STREAM)) && plan_version_skew(n, o)) {
		p->version_skew = 1;
		p->steps &= ~(unsigned)(ST_REATTACH | ST_STREAM);
		if (!(p->steps & (ST_PROMOTE | ST_DEMOTE)) &&
		    !(n->st.state[0] && strcmp(n->st.state, "running") != 0))
			p->steps &= ~(unsigned)ST_READY;
		p->partial = 1;
		snprintf(p->why, sizeof(p->why), "the %s runs Vault %s, newer "
		    "than %s on the %s: replication from a newer to an older "
		    "version is not supported, so the %s is not re-attached. "
		    "Upgrade the old cluster, then re-run", n->label,
		    n->st.version, o->st.version, o->label, o->label);
	}
	return 0;
}

/* Safety 4: the record and the zone, before any change: one simple
 * record of the configured kind, inside the zone, readable with these
 * credentials, present (or --create-record). 0; -1 refused. */
static int
plan_record(const struct world *w, const struct plan_opts *opt,
    struct plan *p)
{
	if ((p->steps & ST_CHANGING) && w->rec_ok && w->rec_bad[0]) {
		refuse(p, EXIT_USAGE, "record check: %s; vaultdr changes only "
		    "one simple %s record (no other type at the name, no "
		    "SetIdentifier, weight, failover%s or health check). Fix "
		    "the record set, or the cluster_cname or record_type "
		    "setting", w->rec_bad, r53_kind_name((enum r53_kind)
		    w->rec_kind), w->rec_kind == R53_CNAME ? ", alias" : "");
		return -1;
	}
	if ((p->steps & ST_CHANGING) && w->zone == ZONE_OUTSIDE) {
		refuse(p, EXIT_USAGE, "zone check: %s is not inside the hosted "
		    "zone %s; fix the CNAME name or the hosted zone id",
		    opt->cname ? opt->cname : "the CNAME",
		    w->zone_name);
		return -1;
	}
	if ((p->steps & ST_CHANGING) && !w->rec_ok && w->rec_rejected) {
		refuse(p, EXIT_USAGE, "%s check: %s; fix %s", w->dns_name ?
		    w->dns_name : "Route 53", w->rec_error, w->dns_fix ?
		    w->dns_fix : "the AWS credentials, their permissions or "
		    "the hosted zone id");
		return -1;
	}
	if ((p->steps & ST_CNAME) && w->rec_ok && !w->rec_found &&
	    !opt->create_record) {
		refuse(p, EXIT_USAGE, "record check: there is no %s %s in "
		    "the hosted zone; check the name for a typo, or re-run "
		    "with --create-record to create it", r53_kind_name((enum
		    r53_kind)w->rec_kind), opt->cname ? opt->cname : "");
		return -1;
	}
	if ((p->steps & ST_CNAME) && !w->rec_ok) {
		refuse(p, EXIT_FAILED, "cannot read the %s record %s: %s",
		    w->dns_name ? w->dns_name : "Route 53",
		    opt->cname ? opt->cname : "", w->rec_error);
		return -1;
	}
	return 0;
}

void
plan_make(const struct world *w, enum dr_cmd cmd, const struct plan_opts *opt,
    struct plan *p)
{
	const struct world_side *o = world_old(w, cmd), *n = world_new(w, cmd);

	memset(p, 0, sizeof(*p));
	p->verdict = -1;
	p->lag = -1;
	if (!world_readable(n)) {
		refuse(p, EXIT_FAILED, "the %s cannot be read: %s", n->label,
		    n->st.error[0] ? n->st.error : "no answer");
		return;
	}
	if (!world_is_mode(n, "primary") && !world_is_mode(n, "secondary")) {
		refuse(p, EXIT_FAILED, "the %s is in DR mode '%s'; vaultdr only "
		    "moves the primary role within an existing DR pair",
		    n->label, mode_or_unknown(n));
		return;
	}
	if (!world_readable(o) && !world_down(o)) {
		refuse(p, EXIT_FAILED, "the %s cannot be read: %s", o->label,
		    o->st.error[0] ? o->st.error : "no answer");
		return;
	}
	if (world_readable(o)) {
		if (plan_both(w, o, n, opt, p) == -1)
			return;
	} else {
		/* The old primary cannot be reached. */
		if (world_is_mode(n, "secondary")) {
			if (!opt->primary_down) {
				refuse(p, EXIT_REFUSED, "the %s is unreachable "
				    "(%s); promoting the %s now could leave two "
				    "primaries. If it is confirmed down or "
				    "fenced, re-run with --primary-down",
				    o->label, o->st.error, n->label);
				return;
			}
			p->steps |= ST_PROMOTE | ST_READY;
		} else if (n->st.state[0] &&
		    strcmp(n->st.state, "running") != 0)
			p->steps |= ST_READY;
		p->partial = 1;
		snprintf(p->why, sizeof(p->why), "the %s is unreachable (%s); "
		    "re-run when it is back to demote and re-attach it",
		    o->label, o->st.error);
	}
	if (!world_names(w, n))
		p->steps |= ST_CNAME | (p->steps & ST_PROMOTE ? 0 : ST_READY);
	if (plan_record(w, opt, p) == -1)
		return;
	/* Safety 6: another run is at work. Only a run that would change
	 * something is refused; the lock is not needed to find nothing to do. */
	if ((p->steps & ST_CHANGING) && !opt->no_lock) {
		if (w->lock == LOCK_HELD) {
			refuse(p, EXIT_REFUSED, "another vaultdr run holds the "
			    "lock (%s, expires at unix time %lld): wait for it "
			    "to finish, or for the lock to expire",
			    w->lock_owner, w->lock_expires);
			return;
		}
		if (w->lock == LOCK_UNREADABLE) {
			refuse(p, EXIT_FAILED, "cannot read the run lock: %s",
			    w->lock_error);
			return;
		}
	}
	p->exit_code = p->partial ? EXIT_PARTIAL : EXIT_DONE;
}

enum rollback
plan_rollback(const struct world *fresh, enum dr_cmd cmd, int new_in_doubt,
    char *why, size_t whysz)
{
	const struct world_side *o = world_old(fresh, cmd);
	const struct world_side *n = world_new(fresh, cmd);

	if (!world_readable(n)) {
		snprintf(why, whysz, "the %s cannot be read (%s): it may be "
		    "promoting; nothing more is changed", n->label,
		    n->st.error[0] ? n->st.error : "no answer");
		return RB_NEW_UNREADABLE;
	}
	if (world_is_mode(n, "primary")) {
		snprintf(why, whysz, "the %s is DR primary after all; nothing "
		    "more is changed", n->label);
		return RB_NEW_PRIMARY;
	}
	if (!world_is_mode(n, "secondary")) {
		snprintf(why, whysz, "the %s is in DR mode '%s'; nothing more "
		    "is changed", n->label, mode_or_unknown(n));
		return RB_NEW_OTHER;
	}
	if (!world_is_mode(o, "secondary")) {
		snprintf(why, whysz, "the %s is %s; nothing to roll back",
		    o->label, world_readable(o) ? (world_is_mode(o, "primary") ?
		    "still DR primary" : "in another DR mode") : "unreadable");
		return RB_OLD_NOT_DEMOTED;
	}
	if (new_in_doubt) {
		snprintf(why, whysz, "an earlier promote of the %s had an "
		    "unknown outcome and may still take effect; promoting the %s "
		    "now could leave two primaries: nothing more is changed",
		    n->label, o->label);
		return RB_NEW_IN_DOUBT;
	}
	snprintf(why, whysz, "the %s is still a DR secondary and the %s is "
	    "demoted: promote the %s again", n->label, o->label, o->label);
	return RB_PROMOTE_OLD;
}
