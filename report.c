/* report.c - what a run tells: the observation, the plan, the status
 * report and the run summary, as text and as JSON, from an observation. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "json.h"
#include "log.h"
#include "retry.h"

/* Progress lines for one observation. */
void
report_observation(struct run *run, const struct world *w)
{
	int k;

	for (k = 0; k < 2; k++) {
		const struct world_side *s = &w->side[k];
		snprintf(run->cluster, sizeof(run->cluster), "%s", s->url);
		if (world_readable(s))
			event(run, "end", "ok", "%s: DR %s, state %s, health "
			    "%d%s%s", s->label, s->st.mode, s->st.state[0] ?
			    s->st.state : "-", s->st.health_code,
			    s->st.version[0] ? ", version " : "", s->st.version);
		else
			event(run, "end", "unreachable", "%s: %s", s->label,
			    s->st.error);
	}
	run->cluster[0] = '\0';
	if (w->rec_ok)
		event(run, "end", "ok", "CNAME %s -> %s", run->c->cname,
		    w->rec_found ? w->rec_value : "(absent)");
	else
		event(run, "end", "failed", "CNAME %s: %s", run->c->cname,
		    w->rec_error);
	if (w->lock == LOCK_HELD || w->lock == LOCK_EXPIRED)
		event(run, "end", w->lock == LOCK_HELD ? "locked" : "ok",
		    "run lock %s%s: %s, expires at unix time %lld%s",
		    R53_LOCK_PREFIX, run->c->cname, w->lock_owner,
		    w->lock_expires, w->lock == LOCK_EXPIRED ?
		    " (expired: may be taken over)" : "");
	else if (w->lock == LOCK_UNREADABLE)
		event(run, "end", "failed", "run lock %s%s: %s",
		    R53_LOCK_PREFIX, run->c->cname, w->lock_error);
}

void
print_plan(struct run *run, const struct world *w, const struct plan *p,
    const char *prefix, int batch)
{
	const struct world_side *o = world_old(w, run->o->cmd);
	const struct world_side *n = world_new(w, run->o->cmd);
	const char *tok = batch ? "the batch DR operation "
	    "token (VAULT_DR_OPERATION_TOKEN)" : "a DR operation token "
	    "generated from recovery keys";
	int i = 1;

	snprintf(run->step, sizeof(run->step), "plan");
	run->cluster[0] = '\0';
	if (p->steps == 0 && !p->partial) {
		event(run, "plan", "planned", "%snothing to do: the %s is DR "
		    "primary, the %s is its DR secondary and %s names %s",
		    prefix, n->label, o->label, run->c->cname, n->target);
		return;
	}
	if ((p->steps & ST_CHANGING) && run->c->hook[CONFIG_HOOK_PRE_CHANGE])
		event(run, "plan", "planned", "%s%d. run the pre-change hook %s "
		    "(a non-zero exit stops the run, nothing changed)%s",
		    prefix, i++, run->c->hook[CONFIG_HOOK_PRE_CHANGE],
		    run->o->dry_run ? " (not run in a dry run)" : "");
	if ((p->steps & ST_PROMOTE) && !world_readable(o) &&
	    run->c->hook[CONFIG_HOOK_FENCE])
		event(run, "plan", "planned", "%s%d. run the fence hook %s (it "
		    "must exit 0, else the run stops, nothing changed)%s",
		    prefix, i++, run->c->hook[CONFIG_HOOK_FENCE],
		    run->o->dry_run ? " (not run in a dry run)" : "");
	if ((p->steps & ST_CHANGING) && !run->o->no_lock && !run->lock_taken)
		event(run, "plan", "planned", "%s%d. take the run lock %s%s",
		    prefix, i++, R53_LOCK_PREFIX, run->c->cname);
	if (p->steps & ST_PROMOTE)
		event(run, "plan", "planned", "%s%d. obtain %s for the %s", prefix,
		    i++, tok, n->label);
	if (p->steps & ST_DEMOTE)
		event(run, "plan", "planned", "%s%d. demote the %s", prefix, i++,
		    o->label);
	if (p->steps & ST_PROMOTE)
		event(run, "plan", "planned", "%s%d. promote the %s", prefix,
		    i++, n->label);
	if (p->steps & ST_READY)
		event(run, "plan", "planned", "%s%d. wait until the %s is an "
		    "active DR primary", prefix, i++, n->label);
	if (p->steps & ST_CNAME)
		event(run, "plan", "planned", "%s%d. %s CNAME %s -> %s (now "
		    "%s), then wait for %s", prefix, i++,
		    run->rec->words->change, run->c->cname, n->target,
		    w->rec_found ? w->rec_value : "absent",
		    run->rec->words->served);
	if (p->steps & ST_REATTACH)
		event(run, "plan", "planned", "%s%d. re-attach the %s as DR "
		    "secondary of the %s (revoke-secondary, secondary-token, "
		    "%s, update-primary)", prefix, i++, o->label, n->label,
		    tok);
	if (p->steps & (ST_REATTACH | ST_STREAM))
		event(run, "plan", "planned", "%s%d. wait until the %s streams "
		    "from the %s", prefix, i++, o->label, n->label);
	if (p->partial)
		event(run, "plan", "planned", "%s%d. leave the unreachable %s "
		    "to a later run (exit 3)", prefix, i++, o->label);
	if (run->c->hook[CONFIG_HOOK_POST])
		event(run, "plan", "planned", "%s%d. after the final read, run "
		    "the post hook %s (a failure is a warning)%s", prefix, i++,
		    run->c->hook[CONFIG_HOOK_POST], run->o->dry_run ?
		    " (not run in a dry run)" : "");
}

static const char *
names(const struct world *w)
{
	if (!w->rec_ok)
		return "unknown";
	if (!w->rec_found)
		return "absent";
	if (world_names(w, &w->side[0]))
		return "primary";
	if (world_names(w, &w->side[1]))
		return "secondary";
	return "other";
}

static long long
lag(const struct world *w, const struct world_side *s)
{
	const struct world_side *p = &w->side[s->role ^ 1];

	if (!world_is_mode(s, "secondary") || !world_is_mode(p, "primary") ||
	    s->st.last_remote_wal < 0 || p->st.last_wal < 0)
		return -1;
	return p->st.last_wal - s->st.last_remote_wal;
}

static void
status_plan(struct run *run, struct world *w, enum dr_cmd cmd, struct plan *p)
{
	struct plan_opts po = { run->o->primary_down, run->o->no_lock,
		run->c->cname, run->o->accept_data_loss, run->o->create_record };

	plan_make(w, cmd, &po, p);
}

static const char *
lock_words(enum lock_seen l)
{
	static const char *const words[] = { "not read", "free", "held",
		"expired", "ours", "unreadable" };

	return (unsigned)l < 6 ? words[l] : "?";
}

void
plan_words(const struct plan *p, char *out, size_t outsz)
{
	struct buf b = { 0 };

	if (p->verdict >= 0)
		buf_printf(&b, "refuse (exit %d): %s", p->verdict, p->why);
	else if (p->steps == 0 && !p->partial)
		buf_puts(&b, "nothing (already in that state)");
	else {
		if (p->steps & ST_DEMOTE)
			buf_puts(&b, "demote, ");
		if (p->steps & ST_PROMOTE)
			buf_puts(&b, "promote, ");
		if (p->steps & ST_READY)
			buf_puts(&b, "wait ready, ");
		if (p->steps & ST_CNAME)
			buf_puts(&b, "move CNAME, ");
		if (p->steps & ST_REATTACH)
			buf_puts(&b, "re-attach, ");
		if (p->steps & ST_STREAM)
			buf_puts(&b, "wait for streaming, ");
		if (p->partial)
			buf_puts(&b, "leave the unreachable cluster (exit 3), ");
		if (b.len >= 2)
			b.data[b.len -= 2] = '\0';
	}
	snprintf(out, outsz, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* What the status report says beyond the observation: the exit code,
 * whether switching is safe now (Safety 5) and what each command would do. */
struct status_words {
	int code, safe;
	long long glag;          /* the switch's lag in WALs, or -1 */
	char gate[512], fo[1200], fb[1200];
};

/* One cluster of the JSON status report into b. */
static void
status_cluster_json(struct buf *b, const struct world *w, int k)
{
	const struct world_side *s = &w->side[k];

	buf_printf(b, "%s{\"role\":\"%s\"", k ? "," : "",
	    k ? "secondary" : "primary");
	json_field(b, "url", s->url);
	json_field(b, "dns_target", s->target);
	buf_printf(b, ",\"reachable\":%s", s->st.reachable &&
	    s->st.fail == VF_NONE ? "true" : "false");
	json_field(b, "mode", s->st.mode[0] ? s->st.mode : NULL);
	json_field(b, "state", s->st.state[0] ? s->st.state : NULL);
	buf_printf(b, ",\"health_code\":%d", s->st.health_code);
	json_field(b, "version", s->st.version[0] ? s->st.version : NULL);
	json_field(b, "cluster_id", s->st.cluster_id[0] ?
	    s->st.cluster_id : NULL);
	json_field(b, "secondary_id", s->st.secondary_id[0] ?
	    s->st.secondary_id : NULL);
	if (lag(w, s) >= 0)
		buf_printf(b, ",\"lag_wals\":%lld", lag(w, s));
	else
		buf_puts(b, ",\"lag_wals\":null");
	json_field(b, "error", s->st.error[0] ? s->st.error : NULL);
	buf_puts(b, "}");
}

/* The status report as one JSON object on stdout (and the audit file). */
static void
status_json(struct run *run, const struct world *w,
    const struct status_words *sw)
{
	struct buf b = { 0 };
	int k;

	json_line_begin(&b);
	json_field(&b, "step", "status");
	json_field(&b, "event", "status");
	json_field(&b, "env", run->c->env);
	buf_printf(&b, ",\"exit_code\":%d", sw->code);
	buf_puts(&b, ",\"clusters\":[");
	for (k = 0; k < 2; k++)
		status_cluster_json(&b, w, k);
	buf_puts(&b, "],\"record\":{");
	buf_puts(&b, "\"name\":");
	json_append_str(&b, run->c->cname);
	json_field(&b, "value", w->rec_found ? w->rec_value : NULL);
	json_field(&b, "names", names(w));
	json_field(&b, "error", w->rec_ok ? NULL : w->rec_error);
	buf_puts(&b, "},\"lock\":{");
	buf_puts(&b, "\"state\":");
	json_append_str(&b, lock_words(w->lock));
	json_field(&b, "holder", w->lock_owner[0] ? w->lock_owner : NULL);
	if (w->lock_expires > 0)
		buf_printf(&b, ",\"expires\":%lld", w->lock_expires);
	json_field(&b, "error", w->lock == LOCK_UNREADABLE ?
	    w->lock_error : NULL);
	buf_puts(&b, "}");
	buf_printf(&b, ",\"safe_to_switch\":%s", sw->safe ? "true" :
	    "false");
	json_field(&b, "switch_gate", sw->gate);
	if (sw->glag >= 0)
		buf_printf(&b, ",\"switch_lag_wals\":%lld", sw->glag);
	else
		buf_puts(&b, ",\"switch_lag_wals\":null");
	json_field(&b, "failover_would", sw->fo);
	json_field(&b, "failback_would", sw->fb);
	json_emit(&b, 1);
}

/* The status report as text on stdout. */
static void
status_text(struct run *run, const struct world *w,
    const struct status_words *sw)
{
	int k;

	log_out("vaultdr status %s (%s, section [%s])", run->c->env,
	    run->c->path, run->c->section);
	for (k = 0; k < 2; k++) {
		const struct world_side *s = &w->side[k];
		log_out("  %-9s %s", k ? "secondary" : "primary", s->url);
		if (!s->st.reachable || s->st.fail != VF_NONE) {
			char e[600];
			snprintf(e, sizeof(e), "%s", s->st.error);
			secret_redact(e);
			log_out("            unreachable: %s", e);
			continue;
		}
		log_out("            DR mode %s, state %s, health %d, version %s",
		    s->st.mode, s->st.state[0] ? s->st.state : "-",
		    s->st.health_code, s->st.version[0] ? s->st.version : "?");
		if (lag(w, s) >= 0)
			log_out("            replication lag %lld WALs "
			    "(secondary id %s)", lag(w, s),
			    s->st.secondary_id[0] ? s->st.secondary_id : "-");
		else if (s->st.secondary_id[0])
			log_out("            secondary id %s", s->st.secondary_id);
	}
	if (w->rec_ok)
		log_out("  CNAME     %s -> %s (%s)", run->c->cname,
		    w->rec_found ? w->rec_value : "(absent)", names(w));
	else
		log_out("  CNAME     %s: unknown (%s)", run->c->cname,
		    w->rec_error);
	if (w->lock == LOCK_HELD || w->lock == LOCK_EXPIRED)
		log_out("  lock      %s%s held: %s, expires at unix time %lld%s",
		    R53_LOCK_PREFIX, run->c->cname, w->lock_owner,
		    w->lock_expires, w->lock == LOCK_EXPIRED ? " (expired)" : "");
	else if (w->lock == LOCK_UNREADABLE)
		log_out("  lock      %s%s: unknown (%s)", R53_LOCK_PREFIX,
		    run->c->cname, w->lock_error);
	else if (w->lock == LOCK_FREE)
		log_out("  lock      free");
	log_out("  safe to switch: %s (%s)", sw->safe ? "yes" : "no", sw->gate);
	log_out("  failover would: %s", sw->fo);
	log_out("  failback would: %s", sw->fb);
}

int
do_status(struct run *run, struct world *w)
{
	struct plan pf, pb;
	struct status_words sw;

	memset(&sw, 0, sizeof(sw));
	sw.glag = -1;
	status_plan(run, w, DR_FAILOVER, &pf);
	status_plan(run, w, DR_FAILBACK, &pb);
	/* Safety 5: could the primary role move away from the current
	 * primary now without losing a write? */
	if (world_is_mode(&w->side[0], "primary") ||
	    world_is_mode(&w->side[1], "primary")) {
		sw.safe = plan_gate(w, world_is_mode(&w->side[0], "primary") ?
		    DR_FAILOVER : DR_FAILBACK, sw.gate, sizeof(sw.gate),
		    &sw.glag);
	} else
		snprintf(sw.gate, sizeof(sw.gate), "no DR primary can be read");
	plan_words(&pf, sw.fo, sizeof(sw.fo));
	plan_words(&pb, sw.fb, sizeof(sw.fb));
	/* 0 only when one cluster is DR primary with the other its attached,
	 * streaming DR secondary and the CNAME naming the primary. */
	sw.code = (pf.verdict < 0 && pf.steps == 0 && !pf.partial) ||
	    (pb.verdict < 0 && pb.steps == 0 && !pb.partial) ? EXIT_DONE :
	    EXIT_FAILED;
	if (run->o->json)
		status_json(run, w, &sw);
	else
		status_text(run, w, &sw);
	return sw.code;
}

static const char *const exit_meaning[] = {
	"desired state reached", "failed", "usage, config or input error",
	"failed over; the old primary is not re-attached yet",
	"refused for safety",
};

const char *
cmd_name(enum dr_cmd cmd)
{
	return cmd == DR_FAILOVER ? "failover" : cmd == DR_FAILBACK ?
	    "failback" : "status";
}

/* The run's summary as one JSON object (no newline) into b: also what a
 * hook reads on its standard input (phase: the hook's phase, or NULL for
 * the summary itself; code < 0: the run is not over yet). */
void
summary_json(struct run *run, const struct exec *x, int code,
    const char *state, const char *phase, struct buf *b)
{
	const struct world *w = x ? x->w : NULL;
	int k;

	json_line_begin(b);
	json_field(b, "step", phase ? "hook" : "summary");
	json_field(b, "event", phase ? "hook" : "summary");
	if (phase)
		json_field(b, "phase", phase);
	json_field(b, "command", cmd_name(run->o->cmd));
	json_field(b, "env", run->c->env);
	if (code >= 0) {
		buf_printf(b, ",\"exit_code\":%d", code);
		json_field(b, "result", exit_meaning[code]);
	} else
		buf_puts(b, ",\"exit_code\":null,\"result\":null");
	buf_printf(b, ",\"changed\":%s,\"dry_run\":%s",
	    x && x->attempted ? "true" : "false",
	    run->o->dry_run ? "true" : "false");
	json_field(b, "message", state);
	json_field(b, "change_id", x && x->last_change_id[0] ?
	    x->last_change_id : NULL);
	if (x) {
		json_field(b, "new_primary", x->new->url);
		json_field(b, "old_primary", x->old->url);
	}
	/* The structured state: what the last read showed. */
	if (w && run->state_read) {
		buf_puts(b, ",\"state\":{\"clusters\":[");
		for (k = 0; k < 2; k++) {
			const struct world_side *sd = &w->side[k];
			buf_printf(b, "%s{\"role\":\"%s\"", k ? "," : "",
			    k ? "secondary" : "primary");
			json_field(b, "url", sd->url);
			buf_printf(b, ",\"reachable\":%s",
			    world_readable(sd) ? "true" : "false");
			json_field(b, "mode", world_readable(sd) &&
			    sd->st.mode[0] ? sd->st.mode : NULL);
			json_field(b, "state", world_readable(sd) &&
			    sd->st.state[0] ? sd->st.state : NULL);
			if (lag(w, sd) >= 0)
				buf_printf(b, ",\"lag_wals\":%lld", lag(w, sd));
			else
				buf_puts(b, ",\"lag_wals\":null");
			buf_puts(b, "}");
		}
		buf_puts(b, "],\"record\":{\"name\":");
		json_append_str(b, run->c->cname);
		json_field(b, "value", w->rec_ok && w->rec_found ?
		    w->rec_value : NULL);
		json_field(b, "names", names(w));
		if (x && run->o->cmd != DR_STATUS)
			buf_printf(b, ",\"insync_confirmed\":%s",
			    x->insync_confirmed ? "true" : "false");
		buf_puts(b, "},\"lock\":{\"state\":");
		json_append_str(b, run->lock_taken ? "ours" :
		    lock_words(w->lock));
		json_field(b, "holder", w->lock_owner[0] ? w->lock_owner :
		    NULL);
		buf_puts(b, "}}");
	} else
		buf_puts(b, ",\"state\":null");
	if (code > 0)
		json_field(b, "error", err_get());
	if (log_audit_failed())
		buf_puts(b, ",\"audit_complete\":false");
	buf_printf(b, ",\"elapsed_ms\":%lld", retry_now_ms() - run->t0);
}

void
summary(struct run *run, const struct exec *x, int code, const char *state)
{
	double el = (double)(retry_now_ms() - run->t0) / 1000.0;

	if (run->o->json || log_audit_on()) {
		struct buf b = { 0 };
		summary_json(run, x, code, state, NULL, &b);
		json_emit(&b, run->o->json);
		if (run->o->json)
			return;
	}
	log_step("%s %s: %s (exit %d, %.1f s): %s%s",
	    run->o->cmd == DR_FAILOVER ? "Failover" : run->o->cmd ==
	    DR_FAILBACK ? "Failback" : "Status", run->c->env,
	    exit_meaning[code], code, el, state, log_audit_failed() ?
	    "; the audit trail (--log) is incomplete" : "");
}
