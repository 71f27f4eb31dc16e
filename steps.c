/* steps.c - the executors: one function per kind of step (DR operation
 * token, demote with its catch-up, promote, readiness, CNAME and INSYNC,
 * re-attach, token cleanup), and execute(), which runs a plan's steps in
 * DESIGN.md's order. A changing request whose outcome is unknown ends in
 * EX_REPLAN: the caller reads the world again (Safety 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

/* After a failed changing request: outcome unknown -> re-read and plan
 * again (Safety 1), else a failure. */
static int
after_failure(enum vault_fail f)
{
	return f == VF_LOST ? EX_REPLAN : EX_FAIL;
}

/* Reads the key shares: VAULT_RECOVERY_KEY_1..required, prompting on a
 * terminal for missing ones. 0; -1 missing input; -2 Vault could not say
 * how many are required (a server failure). */
int
load_keys(struct exec *x, struct world_side *s)
{
	int required = 0, otp_len = 0, started = 0, i;

	if (x->keys_loaded)
		return 0;
	/* Preflight read the status a moment ago: not again. */
	if (!vault_attempt_known(V(x->run, s), &required, &otp_len) &&
	    vault_attempt_info(V(x->run, s), &required, &otp_len,
	    &started) == -1) {
		err_prefix("reading the operation token status on the %s",
		    s->label);
		return -2; /* a server failure, not missing input (exit 1) */
	}
	if (required <= 0 || required > 16) {
		err_set("the %s reports %d required recovery key shares",
		    s->label, required);
		return -1;
	}
	for (i = 0; i < required; i++) {
		char var[64], prompt[96];
		snprintf(var, sizeof(var), "VAULT_RECOVERY_KEY_%d", i + 1);
		snprintf(prompt, sizeof(prompt), "Recovery key %d of %d", i + 1,
		    required);
		if (secret_get(&x->keys.k[i], var, prompt) == -1) {
			err_prefix("%d recovery key shares are needed", required);
			return -1;
		}
		secret_scrub_env(var);
		x->keys.n = i + 1;
	}
	x->keys_loaded = 1;
	return 0;
}

/* A DR operation token valid on side s: the batch token, or one generated on
 * s (which must be a DR secondary now). NULL with *outcome EX_INPUT (keys
 * missing), EX_REPLAN (the generation's outcome is unknown) or EX_FAIL. */
static const struct secret *
dr_token_for(struct exec *x, struct world_side *s, int *outcome)
{
	enum vault_gen_fail why = VG_NONE;
	int k = s->role, rc;

	*outcome = EX_OK;
	if (secret_is_set(&x->batch) && !x->batch_refused)
		return &x->batch;
	if (secret_is_set(&x->tok[k]))
		return &x->tok[k];
	step_begin(x->run, "dr-token", s->url, "generate a DR operation token "
	    "on the %s from recovery keys", s->label);
	if ((rc = load_keys(x, s)) < 0) {
		*outcome = rc == -2 ? EX_FAIL : EX_INPUT;
		step_end(x->run, "failed", "no DR operation token");
		return NULL;
	}
	x->attempted = 1;
	if (vault_generate_dr_token_ex(V(x->run, s), &x->keys, &x->tok[k],
	    &why) == -1) {
		*outcome = why == VG_INPUT ? EX_INPUT :
		    after_failure(V(x->run, s)->last_fail);
		if (why == VG_FORBIDDEN)
			err_prefix("the %s refused to generate a DR operation "
			    "token (403): Vault 2.x needs a privileged token "
			    "for generate-operation-token. Give a batch DR "
			    "operation token in VAULT_DR_OPERATION_TOKEN "
			    "instead", s->label);
		else
			err_prefix("generate a DR operation token on the %s",
			    s->label);
		step_end(x->run, "failed", "no DR operation token");
		return NULL;
	}
	step_end(x->run, "ok", "DR operation token ready for the %s", s->label);
	return &x->tok[k];
}

/* Promotes s as step `step`. When Vault refuses the batch DR operation
 * token, falls back once to a token generated from recovery keys (from the
 * environment or the terminal). EX_OK, or EX_FAIL / EX_REPLAN / EX_INPUT
 * (err_set; V(s)->last_fail tells how the promote failed). */
int
promote_side(struct exec *x, struct world_side *s, const char *step,
    const char *what)
{
	const struct secret *t;
	char first[2048];
	int outcome;

	for (;;) {
		if ((t = dr_token_for(x, s, &outcome)) == NULL)
			return outcome;
		step_begin(x->run, step, s->url, "%s", what);
		x->attempted = 1;
		if (vault_promote(V(x->run, s), t) == 0) {
			step_end(x->run, "ok", "promoted the %s", s->label);
			return EX_OK;
		}
		err_prefix("promote the %s", s->label);
		step_end(x->run, "failed", V(x->run, s)->last_fail == VF_LOST ?
		    "outcome unknown: reading the state again" : "not promoted");
		if (t != &x->batch || V(x->run, s)->last_fail != VF_REJECTED)
			return after_failure(V(x->run, s)->last_fail);
		/* A stale or revoked batch token: recovery keys still work. */
		snprintf(first, sizeof(first), "%s", err_get());
		x->batch_refused = 1;
		log_warn("%s; trying a DR operation token generated from "
		    "recovery keys instead of VAULT_DR_OPERATION_TOKEN", first);
		if (dr_token_for(x, s, &outcome) == NULL) {
			err_prefix("%s; and no fallback", first);
			return outcome;
		}
	}
}

/* The end of one poll in every wait: the progress line, the lock's
 * renewal, the poll interval. 0; -1 when stopped or the lock was lost (on a
 * stop, err_set "stopped by signal while waiting for <a><b><c>"), with the
 * step ended as interrupted. */
static int
wait_next(struct exec *x, struct wait_progress *wp, const char *state,
    const char *a, const char *b, const char *c)
{
	/* Polls begin every poll interval: the time the last one took
	 * (a round trip or more) counts towards it. */
	double secs = x->run->c->poll_interval -
	    (double)(retry_now_ms() - wp->poll_ms) / 1000;

	wait_progress(x->run, wp, state, 0);
	if (lock_keep(x->run) == 0 &&
	    wait_sleep(x->run, wp, secs > 0 ? secs : 0) == 0) {
		wp->poll_ms = retry_now_ms();
		return 0;
	}
	if (retry_stop_requested)
		err_set("stopped by signal while waiting for %s%s%s", a, b, c);
	step_end(x->run, "failed", "interrupted");
	return -1;
}

/* Waits until s is an active DR primary behind its load balancer
 * (Safety 7; vault_ready polls). 0 / -1. */
static int
wait_ready(struct exec *x, struct world_side *s)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() + (long long)(c->ready_timeout * 1000);
	char last[512] = "no answer yet";
	int ready = 0;
	struct wait_progress wp;

	step_begin(x->run, "wait-ready", s->url, "wait until the %s is an "
	    "active DR primary", s->label);
	wait_begin(&wp, "readiness wait", "ready", c->ready_timeout);
	for (;;) {
		if (vault_ready(V(x->run, s), &ready, last, sizeof(last)) == -1) {
			err_prefix("waiting for the %s", s->label);
			step_end(x->run, "failed", "not ready");
			return -1;
		}
		if (ready) {
			step_end(x->run, "ok", "the %s is an active DR primary",
			    s->label);
			return 0;
		}
		if (retry_now_ms() >= deadline) {
			err_set("the %s is not an active DR primary after %.0f s "
			    "(%s)", s->label, c->ready_timeout, last);
			step_end(x->run, "failed", "not ready");
			return -1;
		}
		if (wait_next(x, &wp, last, "the ", s->label, "") == -1)
			return -1;
	}
}

/* Reads old and new: 1 when old is a DR secondary of new (attached; with
 * streaming, also in state stream-wals), 0 when not, -1 when either could
 * not be read. *state gets old's state. */
static int
read_attachment(struct exec *x, int streaming, char *state, size_t statesz)
{
	struct world_side o = *x->old, n = *x->new;
	int rc = -1;

	memset(&o.st, 0, sizeof(o.st));
	memset(&n.st, 0, sizeof(n.st));
	snprintf(state, statesz, "unknown");
	observe_prefetch(x->run, 3, 0);
	if (vault_observe(V(x->run, &o), &o.st) == 0 &&
	    vault_observe(V(x->run, &n), &n.st) == 0) {
		snprintf(state, statesz, "DR %s, state %s", o.st.mode,
		    o.st.state[0] ? o.st.state : "-");
		rc = streaming ? world_streaming(&o, &n) :
		    world_attached(&o, &n);
	} else
		snprintf(state, statesz, "%s", err_get());
	http_forget(V(x->run, &o)->http); /* an answer not taken */
	vault_status_free(&o.st);
	vault_status_free(&n.st);
	return rc;
}

/* Waits until old streams from new (Safety 7): state stream-wals, its id
 * known to new. 0 / -1. */
static int
wait_stream(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() + (long long)(c->ready_timeout * 1000);
	char last[512];
	struct wait_progress wp;

	step_begin(x->run, "wait-stream", x->old->url, "wait until the %s "
	    "streams from the %s", x->old->label, x->new->label);
	wait_begin(&wp, "re-attach wait", "stream", c->ready_timeout);
	for (;;) {
		if (read_attachment(x, 1, last, sizeof(last)) == 1) {
			step_end(x->run, "ok", "the %s streams from the %s",
			    x->old->label, x->new->label);
			return 0;
		}
		if (retry_now_ms() >= deadline) {
			err_set("the %s does not stream from the %s after %.0f s "
			    "(%s)", x->old->label, x->new->label,
			    c->ready_timeout, last);
			step_end(x->run, "failed", "not streaming");
			return -1;
		}
		if (wait_next(x, &wp, last, "the ", x->old->label,
		    " to stream") == -1)
			return -1;
	}
}

/* After a failed update-primary (fail) on attempt `attempt`: an unknown
 * outcome is decided by reading both clusters (Safety 1); a request that
 * did not reach Vault is retried after a backoff. 1 attached after all; 0
 * retry; -1 give up (err_set; *rc EX_REPLAN when the clusters cannot be
 * read). */
static int
update_primary_failed(struct exec *x, enum vault_fail fail, int attempt,
    int *rc)
{
	struct world_side *o = x->old;
	char state[512];

	if (fail == VF_LOST) {
		/* Outcome unknown: read both clusters (Safety 1). */
		char why[2048];
		snprintf(why, sizeof(why), "%s", err_get());
		int seen = read_attachment(x, 0, state, sizeof(state));
		if (seen == 1)
			return 1;
		if (seen == -1) {
			err_set("%s; and the clusters cannot be read: %s",
			    why, state);
			*rc = EX_REPLAN;
			return -1;
		}
		err_set("%s; the %s is not attached (%s)", why, o->label,
		    state);
	} else if (fail != VF_UNREACHABLE) {
		err_prefix("update-primary on the %s", o->label);
		return -1;
	}
	if (attempt >= retry_vault.max_retries) {
		err_prefix("update-primary on the %s gave up after %d "
		    "attempts", o->label, attempt + 1);
		return -1;
	}
	double d = retry_delay(&retry_vault, attempt + 1);
	log_warn("update-primary on the %s: %s; retry %d of %d in %.1f s "
	    "with a fresh activation token", o->label, err_get(),
	    attempt + 1, retry_vault.max_retries, d);
	if (retry_sleep(d) == -1) {
		err_set("stopped by signal while re-attaching the %s",
		    o->label);
		return -1;
	}
	return 0;
}

static void delete_token(struct exec *x, struct world_side *s);

/* Re-attaches old to new: revoke-secondary (stable id), secondary-token
 * (with <env>_activation = public-key: generate-public-key on old first,
 * and the token encrypted to that key), update-primary with primary_api_addr = new's URL, then waits until old
 * streams. An update-primary that fails before it reached Vault is retried
 * with backoff, each time with a fresh activation token; one whose outcome
 * is unknown is decided by reading both clusters. EX_*. */
static int
reattach(struct exec *x)
{
	struct world_side *o = x->old, *n = x->new;
	const struct secret *drt;
	struct secret act = { 0 };
	char id[160];
	int attempt, outcome, rc = EX_FAIL, next;
	enum vault_fail fail;
	struct vault *failed;

	snprintf(id, sizeof(id), "vaultdr-%s-%s", x->run->c->env,
	    o->role == 0 ? "primary" : "secondary");
	if ((drt = dr_token_for(x, o, &outcome)) == NULL)
		return outcome;
	step_begin(x->run, "reattach", o->url, "re-attach the %s as DR "
	    "secondary of the %s (secondary id %s%s)", o->label, n->label, id,
	    x->run->c->activation == CONFIG_ACT_PUBLIC_KEY ?
	    ", public-key activation" : "");
	for (attempt = 0;; attempt++) {
		if (lock_keep(x->run) == -1)
			goto fail;
		x->attempted = 1;
		if (vault_revoke_secondary(V(x->run, n), id) == -1) {
			if (V(x->run, n)->read_only || retry_stop_requested)
				goto fail;
			log_warn("revoke-secondary %s on the %s: %s", id,
			    n->label, err_get());
		}
		/* wrapped, or public-key: old's key, new encrypts to it. */
		if (vault_activation_token(V(x->run, n), V(x->run, o), id,
		    "10m", x->run->c->activation == CONFIG_ACT_PUBLIC_KEY,
		    &act, &failed) == -1) {
			rc = after_failure(failed->last_fail);
			goto fail;
		}
		if (vault_update_primary(V(x->run, o), drt, &act, n->url,
		    &fail) == 0)
			break;
		secret_wipe(&act);
		if (fail == VF_REJECTED && drt == &x->batch) {
			/* The batch token was refused: recovery keys. */
			x->batch_refused = 1;
			log_warn("update-primary on the %s: %s; trying a DR "
			    "operation token generated from recovery keys",
			    o->label, err_get());
			step_end(x->run, "failed", "batch token refused");
			if ((drt = dr_token_for(x, o, &outcome)) == NULL)
				return outcome;
			step_begin(x->run, "reattach", o->url, "re-attach the "
			    "%s with the generated token", o->label);
			continue;
		}
		if ((next = update_primary_failed(x, fail, attempt, &rc)) == 1)
			break;
		if (next == -1)
			goto fail;
	}
	secret_wipe(&act);
	step_end(x->run, "ok", "update-primary accepted by the %s", o->label);
	if (wait_stream(x) == -1)
		return EX_FAIL;
	/* The wait read old as a DR secondary streaming from new: the token
	 * generated on it has done its work. Deleted now, while the record
	 * change propagates, not after. */
	delete_token(x, o);
	return EX_OK;
fail:
	secret_wipe(&act);
	step_end(x->run, "failed", "the %s is not re-attached", o->label);
	return rc;
}

static int
move_cname(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	struct dnsrec *d = x->run->rec;
	struct world_side *n = x->new;
	struct dnsrec_value old, want;
	char why[1024];
	int rc;

	memset(&old, 0, sizeof(old));
	memset(&want, 0, sizeof(want));
	old.kind = x->w->rec_kind;
	want.kind = c->record_kind;
	if (x->w->rec_found && x->w->rec_value)
		snprintf(old.target, sizeof(old.target), "%s",
		    x->w->rec_value);
	snprintf(want.target, sizeof(want.target), "%s", n->target);
	if (want.kind != DNSREC_CNAME) {
		/* An alias to the load balancer in its own hosted zone. */
		snprintf(want.alias_zone, sizeof(want.alias_zone), "%s",
		    c->alias_zone[n->role] ? c->alias_zone[n->role] : "");
		want.evaluate = c->evaluate_target_health;
	}
	step_begin(x->run, "cname", NULL, "%s %s %s -> %s in %s",
	    d->words->change, dnsrec_kind_name(want.kind), c->cname,
	    n->target, d->where);
	x->change_pending = 0;
	x->attempted = 1;
	/* The condition is the value this round read (rfc2136: the UPDATE's
	 * prerequisite; Route 53: UPSERT under the run lock). */
	rc = dnsrec_change(d, x->w->rec_found ? &old : NULL, &want, c->ttl,
	    &x->ch);
	if (rc == DNSREC_UNKNOWN) {
		step_end(x->run, "failed", "outcome unknown: reading the state "
		    "again");
		return EX_REPLAN;
	}
	if (rc == DNSREC_CONFLICT) {
		snprintf(why, sizeof(why), "%s", err_get());
		err_set("%s: the record changed after vaultdr read it (someone "
		    "else is changing it): nothing overwritten. Find out who, "
		    "then run again", why);
		step_end(x->run, "failed", "CNAME not changed: it changed since "
		    "it was read");
		return EX_FAIL;
	}
	if (rc != DNSREC_OK) {
		step_end(x->run, "failed", "CNAME not changed");
		return EX_FAIL;
	}
	x->change_pending = 1;
	snprintf(x->last_change_id, sizeof(x->last_change_id), "%s",
	    x->ch.id);
	snprintf(x->run->change_id, sizeof(x->run->change_id), "%s",
	    x->last_change_id);
	step_end(x->run, "ok", "%s %s -> %s submitted (change %s)",
	    dnsrec_kind_name(want.kind), c->cname, n->target, x->ch.id);
	return EX_OK;
}

static int
wait_insync(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	struct dnsrec *d = x->run->rec;
	long long deadline = retry_now_ms() +
	    (long long)(c->insync_timeout * 1000);
	int insync = 0;
	char note[512];
	struct wait_progress wp;

	ride_stop(x);
	step_begin(x->run, "insync", NULL, "wait until %s change %s is %s",
	    d->words->provider, x->ch.id, d->words->served);
	wait_begin(&wp, "INSYNC wait", "insync", c->insync_timeout);
	snprintf(x->run->change_id, sizeof(x->run->change_id), "%s",
	    x->ch.id);
	/* A poll rode along with the re-attach a moment ago: the next one
	 * waits its turn. */
	if (!x->ride.seen && x->ride.next_ms > retry_now_ms()) {
		wp.poll_ms = x->ride.next_ms -
		    (long long)(c->poll_interval * 1000);
		if (wait_next(x, &wp, d->words->pending, "",
		    d->words->provider, "") == -1)
			return -1;
	}
	while (!x->ride.seen) {
		/* Each poll reads the clusters and the record with it (one
		 * round trip): the poll that sees INSYNC is then also the
		 * next observation's read, made after every change. */
		x->run->prefetch_change = d->r53 ? x->ch.id : NULL;
		x->run->prefetch_perf = 1 + x->new->role;
		if (x->run->prefetch_change)
			observe_prefetch(x->run, 3, 1);
		x->run->prefetch_change = NULL;
		if (dnsrec_served(d, &x->ch, deadline, &insync, note,
		    sizeof(note)) == -1) {
			observe_forget(x->run);
			step_end(x->run, "failed", "change status unknown");
			return -1;
		}
		x->run->observed_ahead = insync && d->r53 && c->dns_delay <= 0;
		if (!x->run->observed_ahead)
			observe_forget(x->run);
		if (insync)
			break;
		if (retry_now_ms() >= deadline) {
			err_set("%s change %s is not %s after %.0f s%s%s",
			    d->words->provider, x->ch.id, d->words->served,
			    c->insync_timeout, note[0] && strcmp(note,
			    d->words->pending) ? ": " : "", note[0] &&
			    strcmp(note, d->words->pending) ? note : "");
			step_end(x->run, "failed", "not %s", d->words->served);
			return -1;
		}
		if (wait_next(x, &wp, note[0] ? note : d->words->pending, "",
		    d->words->provider, "") == -1)
			return -1;
	}
	step_end(x->run, "ok", "%s change %s is %s", d->words->provider,
	    x->ch.id, d->words->served);
	x->insync_confirmed = 1;
	x->run->change_id[0] = '\0';
	x->change_pending = 0;
	if (c->dns_delay > 0) {
		step_begin(x->run, "dns-delay", NULL, "wait DNS_PROPAGATION_DELAY "
		    "%.1f s", c->dns_delay);
		if (retry_sleep(c->dns_delay) == -1) {
			err_set("stopped by signal during DNS_PROPAGATION_DELAY");
			step_end(x->run, "failed", "interrupted");
			return -1;
		}
		step_end(x->run, "ok", "waited");
	}
	return 0;
}

/* Deletes the DR operation token this run generated on s, a DR secondary
 * (Safety 9); a failure is a warning. */
static void
delete_token(struct exec *x, struct world_side *s)
{
	struct secret *t = &x->tok[s->role];

	if (!secret_is_set(t))
		return;
	step_begin(x->run, "token-delete", s->url, "delete the DR operation "
	    "token generated on the %s", s->label);
	if (vault_delete_dr_token(V(x->run, s), t) == 0)
		step_end(x->run, "ok", "deleted the DR operation token "
		    "generated on the %s", s->label);
	else {
		log_warn("the DR operation token generated on the %s could not "
		    "be deleted (%s); it does not expire: revoke it with "
		    "sys/replication/dr/secondary/operation-token/delete while "
		    "that cluster is a DR secondary", s->label, err_get());
		step_end(x->run, "warning", "the DR operation token generated "
		    "on the %s is not deleted", s->label);
	}
	secret_wipe(t);
}

/* Deletes the DR operation tokens this run generated on clusters the last
 * read shows as DR secondaries (Safety 9). One generated on a cluster that
 * is DR primary now cannot be deleted there: noted once, not a warning. */
void
cleanup_tokens(struct exec *x)
{
	int k;

	for (k = 0; k < 2; k++) {
		struct world_side *s = &x->w->side[k];
		if (!secret_is_set(&x->tok[k]))
			continue;
		if (world_is_mode(s, "primary")) {
			snprintf(x->run->step, sizeof(x->run->step),
			    "token-delete");
			snprintf(x->run->cluster, sizeof(x->run->cluster), "%s",
			    s->url);
			snprintf(x->token_note, sizeof(x->token_note), "the "
			    "DR operation token generated on the %s stays "
			    "there (Vault deletes such tokens only on a DR "
			    "secondary)", s->label);
			event(x->run, "end", "skipped", "%s", x->token_note);
			secret_wipe(&x->tok[k]);
			continue;
		}
		delete_token(x, s);
	}
}

/* Immediately before the demote (Safety 5): old's last WAL, and with
 * --accept-data-loss (no catch-up then) how far behind new is. EX_OK (*wal
 * -1 when Vault does not show it), or EX_REPLAN when old is no longer a
 * readable DR primary. */
static int
read_last_wal(struct exec *x, long long *wal)
{
	struct vault_status os, ns;
	int rc = EX_OK;

	memset(&os, 0, sizeof(os));
	memset(&ns, 0, sizeof(ns));
	*wal = -1;
	step_begin(x->run, "last-wal", x->old->url, "read the last WAL of the "
	    "%s", x->old->label);
	if (vault_observe_dr(V(x->run, x->old), &os) == -1 ||
	    strcmp(os.mode, "primary") != 0) {
		err_set("the %s changed before the demote: %s", x->old->label,
		    os.reachable ? os.mode : os.error);
		step_end(x->run, "failed", "reading the state again");
		vault_status_free(&os);
		return EX_REPLAN;
	}
	*wal = plan_old_wal(&os);
	if (x->run->o->accept_data_loss) {
		long long behind = -1;
		if (vault_observe_dr(V(x->run, x->new), &ns) == 0 && *wal >= 0 &&
		    ns.last_remote_wal >= 0)
			behind = *wal > ns.last_remote_wal ?
			    *wal - ns.last_remote_wal : 0;
		if (behind >= 0)
			step_end(x->run, "accepted", "--accept-data-loss: the %s "
			    "is %lld WALs behind the %s's last WAL %lld; those "
			    "writes may be lost", x->new->label, behind,
			    x->old->label, *wal);
		else
			step_end(x->run, "accepted", "--accept-data-loss: how "
			    "many WALs the %s is behind is not checked (not "
			    "shown)", x->new->label);
		vault_status_free(&ns);
	} else if (*wal >= 0)
		step_end(x->run, "ok", "the %s's last WAL is %lld",
		    x->old->label, *wal);
	else
		step_end(x->run, "ok", "the %s shows no WAL index: catch-up "
		    "not checked", x->old->label);
	vault_status_free(&os);
	return rc;
}

/* After the demote (Safety 5): waits until new's last_remote_wal is within
 * VAULTDR_MAX_LAG_WALS of wal, bounded by VAULTDR_CATCHUP_TIMEOUT. 0 when
 * caught up (or not checkable: Vault shows no WAL index); -1 (err_set) on
 * a timeout or a stop signal. */
static int
catch_up(struct exec *x, long long wal)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() +
	    (long long)(c->catchup_timeout * 1000);
	long long got = -1;
	struct vault_status ns;
	struct wait_progress wp;
	char st[96];

	if (wal < 0)
		return 0;
	wait_begin(&wp, "catch-up wait", "catch_up", c->catchup_timeout);
	step_begin(x->run, "catch-up", x->new->url, "wait until the %s has "
	    "received WAL %lld (at most %d behind)", x->new->label, wal,
	    c->max_lag_wals);
	for (;;) {
		memset(&ns, 0, sizeof(ns));
		if (vault_observe_dr(V(x->run, x->new), &ns) == 0) {
			got = ns.last_remote_wal;
			if (got < 0) {
				vault_status_free(&ns);
				step_end(x->run, "ok", "the %s shows no "
				    "last_remote_wal: catch-up not checked",
				    x->new->label);
				return 0;
			}
			if (got + c->max_lag_wals >= wal) {
				vault_status_free(&ns);
				step_end(x->run, "ok", "the %s has received WAL "
				    "%lld of %lld", x->new->label, got, wal);
				return 0;
			}
		}
		else if (ns.fail != VF_SERVER && ns.fail != VF_UNREACHABLE) {
			/* Not a passing failure: no point in waiting. */
			err_set("catch-up: the %s cannot be read (%s)",
			    x->new->label, ns.error);
			vault_status_free(&ns);
			step_end(x->run, "failed", "not caught up");
			return -1;
		}
		vault_status_free(&ns);
		if (retry_now_ms() >= deadline) {
			err_set("catch-up: the %s received WAL %lld of %lld "
			    "within VAULTDR_CATCHUP_TIMEOUT (%.0f s); promoting "
			    "it would lose %lld WALs of writes the %s "
			    "acknowledged", x->new->label, got, wal,
			    c->catchup_timeout, got >= 0 ? wal - got : -1,
			    x->old->label);
			step_end(x->run, "failed", "not caught up");
			return -1;
		}
		if (got >= 0)
			snprintf(st, sizeof(st), "WAL %lld of %lld", got, wal);
		else
			snprintf(st, sizeof(st), "WAL unknown of %lld", wal);
		if (wait_next(x, &wp, st, "the ", x->new->label,
		    " to catch up") == -1)
			return -1;
	}
}

/* The demote of old, if planned, and the catch-up (Safety 5): old's last
 * WAL read just before the demote, new given VAULTDR_CATCHUP_TIMEOUT to
 * receive it before the promote; a timeout asks the caller to promote old
 * again (x->rollback_due) and fails. Without a demote (resumed after one, or --primary-down) the
 * catch-up or the last known WAL is reported. EX_*. */
static int
demote_and_catch_up(struct exec *x, const struct plan *p)
{
	struct world_side *o = x->old, *n = x->new;
	int outcome;

	if (p->steps & ST_DEMOTE) {
		long long last_wal = -1;

		if (lock_keep(x->run) == -1)
			return EX_FAIL;
		if (world_is_mode(n, "secondary") &&
		    (outcome = read_last_wal(x, &last_wal)) != EX_OK)
			return outcome;
		step_begin(x->run, "demote", o->url, "demote the %s", o->label);
		x->attempted = 1;
		if (vault_demote(V(x->run, o)) == -1) {
			err_prefix("demote the %s", o->label);
			step_end(x->run, "failed", V(x->run, o)->last_fail ==
			    VF_LOST ? "outcome unknown: reading the state "
			    "again" : "not demoted");
			return after_failure(V(x->run, o)->last_fail);
		}
		step_end(x->run, "ok", "demoted the %s", o->label);
		if ((p->steps & ST_PROMOTE) && !x->run->o->accept_data_loss &&
		    catch_up(x, last_wal) == -1) {
			x->rollback_due = 1;
			return EX_FAIL;
		}
	} else if ((p->steps & ST_PROMOTE) && world_is_mode(o, "secondary") &&
	    !x->run->o->accept_data_loss) {
		/* Resuming after the demote (an earlier run or round stopped
		 * between demote and promote): the catch-up still applies,
		 * up to the last WAL the demoted cluster shows. */
		long long wal = o->st.last_wal >= 0 ? o->st.last_wal :
		    o->st.last_remote_wal;
		if (wal > 0 && catch_up(x, wal) == -1) {
			x->rollback_due = 1;
			return EX_FAIL;
		}
	} else if ((p->steps & ST_PROMOTE) && !world_readable(o)) {
		/* --primary-down: the last the secondary received. */
		snprintf(x->run->step, sizeof(x->run->step), "catch-up");
		if (n->st.last_remote_wal >= 0)
			event(x->run, "end", "skipped", "replication gate not "
			    "checked (--primary-down): the %s last received "
			    "WAL %lld; what the unreachable %s wrote after it "
			    "is lost", n->label, n->st.last_remote_wal,
			    o->label);
		else
			event(x->run, "end", "skipped", "replication gate not "
			    "checked (--primary-down): the %s shows no WAL "
			    "index; the lag is unknown", n->label);
	}
	return EX_OK;
}

int
execute(struct exec *x, const struct plan *p)
{
	struct world_side *n = x->new;
	const struct secret *t;
	int outcome;

	if (p->steps & ST_PROMOTE) {
		/* The token first: without one nothing is changed. Old's
		 * last WAL rides with its last key share (the demote comes
		 * next). */
		if ((p->steps & ST_DEMOTE) && world_is_mode(n, "secondary") &&
		    !x->run->o->accept_data_loss)
			ride_wal(x, x->keys.n);
		t = dr_token_for(x, n, &outcome);
		ride_stop(x);
		if (t == NULL)
			return outcome;
	}
	if ((outcome = demote_and_catch_up(x, p)) != EX_OK)
		return outcome;
	if (p->steps & ST_PROMOTE) {
		char what[400];

		if (lock_keep(x->run) == -1)
			return EX_FAIL;
		snprintf(what, sizeof(what), "promote the %s", n->label);
		outcome = promote_side(x, n, "promote", what);
		if (V(x->run, n)->last_fail == VF_LOST)
			x->new_in_doubt = 1;
		/* A definite failure (an unknown outcome re-plans). */
		if (outcome == EX_FAIL || outcome == EX_INPUT)
			x->rollback_due = 1;
		if (outcome != EX_OK)
			return outcome;
	}
	if ((p->steps & ST_READY) && wait_ready(x, n) == -1)
		return EX_FAIL;
	if (p->steps & ST_CNAME) {
		if (lock_keep(x->run) == -1)
			return EX_FAIL;
		if ((outcome = move_cname(x)) != EX_OK)
			return outcome;
		ride_insync(x); /* polled while old is re-attached */
	}
	if (p->steps & ST_REATTACH) {
		if ((outcome = reattach(x)) != EX_OK)
			return outcome;
	} else if ((p->steps & ST_STREAM) && wait_stream(x) == -1)
		return EX_FAIL;
	if (x->change_pending && wait_insync(x) == -1)
		return EX_FAIL;
	return EX_OK;
}
