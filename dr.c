/* dr.c - observe -> plan -> execute, for failover, failback and status.
 *
 * The desired state of `failover ENV`: the configured secondary is DR
 * primary, the configured primary is its DR secondary, and the CNAME names
 * the secondary's DNS target (failback: the roles swapped). Every run reads
 * both clusters and the record first and plans only the missing steps, so a
 * second run is a no-op and a run after an interruption finishes the job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

/* Observe-plan-execute rounds before giving up on a world that keeps
 * changing under vaultdr. */
#define MAX_ROUNDS 7

/* The record names the new primary, but not through a change this run saw
 * INSYNC: an earlier run may have been stopped while its change was still
 * PENDING, and no run can know that change's id (issue 17, item 11). */
static int
unconfirmed_propagation(const struct exec *x)
{
	return x->run->o->cmd != DR_STATUS && !x->insync_confirmed &&
	    x->w != NULL && x->new != NULL && world_names(x->w, x->new);
}

/* After a promotion of new failed for certain: read again and roll back
 * only when the read shows new still a DR secondary and old demoted
 * (Safety 2). The caller's final read says what came of it. */
static void
roll_back(struct exec *x)
{
	char why[1024], what[400];
	enum rollback rb;

	snprintf(x->promote_error, sizeof(x->promote_error), "%s", err_get());
	observe(x->run, x->w, 1);
	if (retry_stop_requested)
		return;
	rb = plan_rollback(x->w, x->run->o->cmd, x->new_in_doubt, why,
	    sizeof(why));
	snprintf(x->run->step, sizeof(x->run->step), "rollback");
	event(x->run, "plan", rb == RB_PROMOTE_OLD ? "planned" : "skipped",
	    "rollback: %s", why);
	if (rb != RB_PROMOTE_OLD) {
		err_set("%s; no rollback: %s", x->promote_error, why);
		return;
	}
	x->rollback = 1;
	snprintf(what, sizeof(what), "roll back: promote the %s again",
	    x->old->label);
	if (promote_side(x, x->old, "rollback", what) != EX_OK)
		err_set("%s; the rollback promotion of the %s failed: %s",
		    x->promote_error, x->old->label, err_get());
	else
		err_set("%s", x->promote_error);
}

/* The first stop request (SIGHUP, SIGINT, SIGTERM): notes it, keeps the
 * error it interrupted in saved, and clears the flag so that the final
 * read, token deletion and lock release still run (bounded by the request
 * deadlines). A second request sets the flag again and cuts them short.
 * 1 when a first stop request was taken now. */
static int
take_stop(int *stopped, char *saved, size_t savedsz)
{
	if (!retry_stop_requested || *stopped)
		return 0;
	*stopped = 1;
	snprintf(saved, savedsz, "%s", err_get());
	retry_stop_requested = 0;
	return 1;
}

/* The reconcile loop's state, from round to round and into the end. */
struct loop {
	struct run *run;
	struct exec *x;
	struct world *w;
	struct plan p;
	struct plan_opts po;
	int round;
	unsigned printed;  /* steps of the plan printed last round */
	int code;          /* the exit code so far */
	int fresh;         /* w is a read after the last changing request */
	int dry;           /* a dry run: nothing to clean up */
	int stopped;       /* a first stop request was taken */
	char saved[2048];  /* the error a stop request interrupted */
};

/* What a round's stage says: read and plan again, end the run, go on. */
enum { NEXT_ROUND, FINISH, GO };

/* Starts the observe step: "About to read both clusters and the CNAME". */
static void
read_begin(struct run *run, const char *step, const char *tail)
{
	snprintf(run->step, sizeof(run->step), "%s", step);
	run->cluster[0] = '\0';
	run->step_t0 = retry_now_ms();
	event(run, "begin", "started", "About to read both clusters and the "
	    "CNAME %s%s", run->c->cname, tail);
}

/* A round's read: a stop request, the round limit and the lock's
 * renewal end the run first. FINISH or GO. */
static int
round_observe(struct loop *l)
{
	if (retry_stop_requested)
		return FINISH;
	if (l->round == MAX_ROUNDS) {
		snprintf(l->saved, sizeof(l->saved), "%s", err_get());
		err_set("the clusters kept changing while vaultdr worked "
		    "(%d rounds); the last error: %s", MAX_ROUNDS,
		    l->saved[0] ? l->saved : "none");
		l->saved[0] = '\0';
		l->code = EXIT_FAILED;
		return FINISH;
	}
	if (lock_keep(l->run) == -1) {
		l->code = EXIT_FAILED;
		return FINISH;
	}
	read_begin(l->run, "observe", "");
	observe(l->run, l->w, 1);
	if (retry_stop_requested)
		return FINISH;
	l->fresh = 1;
	l->run->state_read = 1;
	report_observation(l->run, l->w);
	return GO;
}

/* The plan for this read: a refusal or nothing left to do ends the run
 * (Safety 3: this read shows the desired state, or, exit 3, all of it the
 * unreachable old primary allows). FINISH or GO. */
static int
round_plan(struct loop *l)
{
	const struct dr_opts *o = l->run->o;
	struct exec *x = l->x;
	struct plan *p = &l->p;

	/* --primary-down speaks of a cluster that cannot be reached; once
	 * this run has read it, it no longer applies. */
	if (world_readable(x->old))
		l->po.primary_down = 0;
	plan_make(l->w, o->cmd, &l->po, p);
	if (p->verdict >= 0) {
		/* "nothing was changed" only when it is true. */
		err_set("%s%s", p->why, x->attempted ? "" :
		    "; nothing was changed");
		l->code = x->attempted ? EXIT_FAILED : p->verdict;
		return FINISH;
	}
	if (p->steps != l->printed || l->round == 0)
		print_plan(l->run, l->w, p, o->dry_run ? "dry run: would " :
		    "plan: ", secret_is_set(&x->batch) && !x->batch_refused);
	l->printed = ~0u;
	if (p->steps == 0) {
		l->code = p->exit_code;
		if (p->partial)
			err_set("%s", p->why);
		else
			err_clear();
		return FINISH;
	}
	return GO;
}

/* Safety 4: the Vault checks before the lock and before any DR operation
 * token (the dry run runs them too, then ends); the operator's
 * confirmation. FINISH or GO. */
static int
round_checks(struct loop *l)
{
	struct exec *x = l->x;
	int rc;

	if (!x->preflight_done && (l->p.steps & ST_CHANGING) &&
	    (rc = preflight(x, &l->p, secret_is_set(&x->batch) &&
	    !x->batch_refused)) >= 0) {
		l->code = x->attempted ? EXIT_FAILED : rc;
		l->dry = l->run->o->dry_run;
		return FINISH;
	}
	if (l->run->o->dry_run) {
		l->code = EXIT_DONE;
		l->dry = 1;
		return FINISH;
	}
	if (l->round == 0 && !confirm(l->run, &l->p)) {
		err_set("not confirmed (the environment name was not typed); "
		    "nothing was changed");
		l->code = EXIT_USAGE;
		return FINISH;
	}
	return GO;
}

/* Before the first changing request: the key shares (missing ones are exit
 * 2 with nothing changed), the site's hooks, then the lock (Safety 6),
 * after which the world is read again. FINISH, NEXT_ROUND or GO. */
static int
round_prepare(struct loop *l)
{
	struct exec *x = l->x;
	const struct plan *p = &l->p;
	int rc;

	if (!secret_is_set(&x->batch) && (rc = p->steps & ST_PROMOTE ?
	    load_keys(x, x->new) : (p->steps & ST_REATTACH) &&
	    world_is_mode(x->old, "secondary") ? load_keys(x, x->old) :
	    0) < 0) {
		l->code = x->attempted || rc == -2 ? EXIT_FAILED : EXIT_USAGE;
		return FINISH;
	}
	/* The site's checks and fencing, before the first changing request,
	 * the lock included (and the fence before the promote). */
	if ((rc = pre_change_hooks(x, p)) >= 0) {
		if (!x->attempted) {
			snprintf(l->saved, sizeof(l->saved), "%s", err_get());
			err_set("%s; nothing was changed", l->saved);
			l->saved[0] = '\0';
		}
		l->code = x->attempted ? EXIT_FAILED : rc;
		return FINISH;
	}
	if (!l->run->lock_taken && !l->run->o->no_lock) {
		rc = lock_take(l->run);
		if (rc != EXIT_DONE) {
			l->code = x->attempted ? EXIT_FAILED : rc;
			return FINISH;
		}
		/* What was read before the lock may be stale (another run
		 * may just have finished): read and plan again. */
		l->printed = p->steps;
		return NEXT_ROUND;
	}
	return GO;
}

/* Executes the plan; a definite failure of new's promote or catch-up rolls
 * back (Safety 2). An unknown outcome and success both read again: the
 * next read decides (Safety 1, 3). FINISH or NEXT_ROUND. */
static int
round_execute(struct loop *l)
{
	struct exec *x = l->x;
	int rc;

	l->fresh = 0;
	x->rollback_due = 0;
	rc = execute(x, &l->p);
	ride_stop(x);
	/* The next read may be the final one: perf.c reads the new primary's
	 * performance status after it. */
	if (x->attempted)
		l->run->prefetch_perf = 1 + x->new->role;
	if (x->rollback_due && !retry_stop_requested)
		roll_back(x);
	if (retry_stop_requested)
		return FINISH;
	if (rc == EX_REPLAN) {
		log_warn("%s; reading the clusters again", err_get());
		return NEXT_ROUND;
	}
	if (rc == EX_INPUT) {
		l->code = x->attempted ? EXIT_FAILED : EXIT_USAGE;
		return FINISH;
	}
	if (rc == EX_FAIL) {
		l->code = EXIT_FAILED;
		return FINISH;
	}
	return NEXT_ROUND;
}

/* After a change (or a stop request): the final read, twice at most (a
 * first stop request during it reads once more). The error is kept. */
static void
final_read(struct loop *l)
{
	char before[2048];
	int tries;

	if (!(l->x->attempted || l->stopped) || l->fresh)
		return;
	snprintf(before, sizeof(before), "%s", err_get());
	for (tries = 0; tries < 2 && !l->fresh; tries++) {
		read_begin(l->run, "final-read", " for the final state");
		observe(l->run, l->w, !l->stopped);
		l->fresh = !retry_stop_requested;
		if (l->fresh)
			report_observation(l->run, l->w);
		else if (take_stop(&l->stopped, l->saved, sizeof(l->saved)))
			l->code = EXIT_FAILED; /* first signal: read again */
		else
			break;
	}
	err_set("%s", before);
}

/* Deletes this run's DR operation tokens and releases the lock (not after
 * a dry run); the error is kept. */
static void
clean_up(struct loop *l)
{
	char keep[2048];

	if (l->dry)
		return;
	snprintf(keep, sizeof(keep), "%s", err_get());
	cleanup_tokens(l->x);
	if (take_stop(&l->stopped, l->saved, sizeof(l->saved)))
		l->code = EXIT_FAILED;
	lock_release(l->run);
	if (take_stop(&l->stopped, l->saved, sizeof(l->saved)))
		l->code = EXIT_FAILED;
	if (keep[0])
		err_set("%s", keep);
	else
		err_clear();
}

/* The end state in words, from the final read only (Safety 3). */
static void
end_state(struct loop *l, char *state, size_t statesz)
{
	const struct exec *x = l->x;

	if (l->dry)
		snprintf(state, statesz, "dry run: nothing was changed");
	else if ((x->attempted || l->stopped) && !l->fresh)
		snprintf(state, statesz, "interrupted; the final state was "
		    "not read");
	else if (l->fresh) {
		char d[900];
		world_describe(l->w, l->run->c->cname, d, sizeof(d));
		char note[300] = "";
		if (unconfirmed_propagation(x))
			snprintf(note, sizeof(note), "; the CNAME already named "
			    "the new primary when this run read it: its "
			    "propagation (%s %s, DNS_PROPAGATION_DELAY) was not "
			    "confirmed by this run", l->run->rec->words->provider,
			    l->run->rec->words->served);
		snprintf(state, statesz, "%s%s%s", x->attempted ? "" :
		    "nothing changed; ", d, note);
	}
}

/* The error after a rollback, every claim from the final read. */
static void
rollback_words(const struct loop *l, const char *state)
{
	const struct exec *x = l->x;

	if (!x->rollback)
		return;
	if (!l->fresh)
		err_set("%s; a rollback was attempted; its outcome is unknown",
		    x->promote_error);
	else if (world_is_mode(x->old, "primary") &&
	    world_is_mode(x->new, "secondary"))
		err_set("%s; rolled back: the %s is DR primary again%s",
		    x->promote_error, x->old->label, world_names(l->w,
		    x->old) ? " and the CNAME still names it" : "");
	else if (world_is_mode(x->old, "secondary") &&
	    world_is_mode(x->new, "secondary"))
		err_set("%s; ROLLBACK FAILED: both clusters are DR secondaries "
		    "now: promote one of them by hand", x->promote_error);
	else
		err_set("%s; after the rollback attempt: %s",
		    x->promote_error, state);
}

/* The error after a stop request: what it interrupted, and that a re-run
 * is safe. */
static void
stop_words(const struct loop *l)
{
	if (!l->stopped)
		return;
	if (strncmp(l->saved, "stopped by signal", 17) == 0)
		err_set("%s; vaultdr is safe to re-run: it continues from the "
		    "state it finds", l->saved);
	else if (l->saved[0])
		err_set("stopped by signal (while: %s); vaultdr is safe to "
		    "re-run: it continues from the state it finds", l->saved);
	else
		err_set("stopped by signal; vaultdr is safe to re-run: it "
		    "continues from the state it finds");
}

/* The post hook: after the final read, whatever the outcome; its failure
 * is a warning (the switch is what it is). The error is kept. */
static void
post_hook(struct loop *l, const char *state)
{
	char keep[2048];

	if (!l->run->state_read || l->dry || l->run->o->cmd == DR_STATUS)
		return;
	snprintf(keep, sizeof(keep), "%s", err_get());
	if (run_hook(l->x, CONFIG_HOOK_POST, l->code, state) == -1)
		log_warn("%s", err_get());
	err_set("%s", keep);
	if (!keep[0])
		err_clear();
}

/* The end of a changing run. Safety 10: the first stop request ends the
 * run cleanly (final read, tokens, lock, summary); a second one cuts that
 * short. Returns the exit code. */
static int
finish(struct loop *l)
{
	char state[1024] = "nothing changed";

	if (take_stop(&l->stopped, l->saved, sizeof(l->saved))) {
		l->code = EXIT_FAILED;
		l->fresh = 0;
	}
	final_read(l);
	if (l->fresh && !l->dry)
		perf_final(l->x, l->code);
	clean_up(l);
	end_state(l, state, sizeof(state));
	rollback_words(l, state);
	stop_words(l);
	if (retry_stop_requested)
		l->code = EXIT_FAILED;
	if (l->x->token_note[0]) {
		size_t n = strlen(state);
		snprintf(state + n, sizeof(state) - n, "; %s",
		    l->x->token_note);
	}
	perf_words(l->run, state, sizeof(state));
	post_hook(l, state);
	summary(l->run, l->x, l->code, state);
	return l->code;
}

/* failover / failback: observe, plan, execute one step at a time and read
 * again, until a read shows the desired state or the run must stop. */
static int
reconcile(struct run *run, struct exec *x, struct world *w)
{
	struct loop l;
	int next;

	memset(&l, 0, sizeof(l));
	l.run = run;
	l.x = x;
	l.w = w;
	l.po = (struct plan_opts){ run->o->primary_down, run->o->no_lock,
		run->c->cname, run->o->accept_data_loss, run->o->create_record };
	l.code = EXIT_FAILED;
	l.printed = ~0u;
	err_clear();
	for (l.round = 0;; l.round++) {
		if ((next = round_observe(&l)) == GO &&
		    (next = round_plan(&l)) == GO) {
			next = round_checks(&l);
			/* Answers fetched ahead serve nothing later. */
			observe_forget(l.run);
		}
		if (next == GO && (next = round_prepare(&l)) == GO)
			next = round_execute(&l);
		if (next == FINISH)
			break;
	}
	return finish(&l);
}

/* status: one read and the report; the audit file still closes with the
 * summary (the report is the last stdout object). */
static int
status_run(struct run *run, struct exec *x, struct world *w)
{
	int code;

	observe(run, w, 1);
	run->state_read = 1;
	code = do_status(run, w);
	if (log_audit_on()) {
		struct buf b = { 0 };
		summary_json(run, x, code, "status report", NULL, &b);
		json_emit(&b, 0);
	}
	return code;
}

int
dr_run(const struct dr_opts *o, const struct dr_config *c)
{
	struct run run;
	struct run_res rs;
	struct world w;
	struct exec x;
	int code;

	memset(&run, 0, sizeof(run));
	memset(&rs, 0, sizeof(rs));
	memset(&w, 0, sizeof(w));
	memset(&x, 0, sizeof(x));
	run.o = o;
	run.c = c;
	run.t0 = retry_now_ms();
	retry_init(c->retry_base, c->max_retries);
	run.lock_ttl = c->lock_ttl > 0 ? c->lock_ttl : 900;
	if (o->cmd != DR_STATUS && !o->primary_down)
		run.prefetch_token = o->cmd == DR_FAILBACK ? 2 : 1;
	if ((code = run_open(&run, &rs, &x, &w)) < 0)
		code = o->cmd == DR_STATUS ? status_run(&run, &x, &w) :
		    reconcile(&run, &x, &w);
	else if (o->json || log_audit_on())
		/* Every exit path ends with one summary object (--json)
		 * and record (--log), the early input errors too. */
		summary(&run, x.new ? &x : NULL, code, "nothing was changed");
	run_close(&run, &rs, &x, &w);
	return code;
}
