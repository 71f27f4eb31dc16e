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
	    "CNAME %s -> %s", side_words(w, &w->side[0], a, sizeof(a)),
	    side_words(w, &w->side[1], b, sizeof(b)), cname ? cname : "?",
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

/* Both clusters readable: the planned switch, or finishing one. Returns 0,
 * or -1 after refuse(). */
static int
plan_both(const struct world *w, const struct world_side *o,
    const struct world_side *n, const struct plan_opts *opt, struct plan *p)
{
	if (!world_is_mode(o, "primary") && !world_is_mode(o, "secondary")) {
		refuse(p, EXIT_FAILED, "the %s is in DR mode '%s'; vaultdr only "
		    "moves the primary role within an existing DR pair",
		    o->label, mode_or_unknown(o));
		return -1;
	}
	if (o->st.cluster_id[0] && n->st.cluster_id[0] &&
	    strcmp(o->st.cluster_id, n->st.cluster_id) != 0) {
		refuse(p, EXIT_FAILED, "the two clusters are not one DR set "
		    "(cluster_id %s vs %s)", o->st.cluster_id, n->st.cluster_id);
		return -1;
	}
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
		if (world_is_mode(o, "primary"))
			p->steps |= ST_DEMOTE;
		p->steps |= ST_PROMOTE | ST_READY | ST_REATTACH;
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
	if ((p->steps & ST_CNAME) && !w->rec_ok) {
		refuse(p, EXIT_FAILED, "cannot read the Route 53 record %s: %s",
		    opt->cname ? opt->cname : "", w->rec_error);
		return;
	}
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
