/* dr.c - observe -> plan -> execute, for failover, failback and status.
 *
 * The desired state of `failover ENV`: the configured secondary is DR
 * primary, the configured primary is its DR secondary, and the CNAME names
 * the secondary's DNS target (failback: the roles swapped). Every run reads
 * both clusters and the record first and plans only the missing steps, so a
 * second run is a no-op and a run after an interruption finishes the job. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "awscreds.h"
#include "buf.h"
#include "dr.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "log.h"
#include "retry.h"
#include "route53.h"
#include "secret.h"
#include "tls.h"
#include "vault.h"

/* ---------------------------------------------------------------- output */

struct run {
	const struct dr_opts *o;
	const struct dr_config *c;
	long long t0;
	long long step_t0;
	char step[32];
	char cluster[256];
};

static void json_line_begin(struct buf *b);
static void json_field(struct buf *b, const char *k, const char *v);

static void
json_line_begin(struct buf *b)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b, "{\"time\":\"%s\"", ts);
}

static void
json_field(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, ",\"%s\":", k);
	if (v)
		json_append_str(b, v);
	else
		buf_puts(b, "null");
}

/* Finishes a JSON line: to stdout with --json, and to the audit log. */
static void
json_emit(struct buf *b, int to_stdout)
{
	buf_puts(b, "}");
	if (b->data) {
		secret_redact(b->data);
		if (to_stdout) {
			printf("%s\n", b->data);
			fflush(stdout);
		}
		log_audit_write(b->data);
	}
	buf_free(b);
}

/* One progress event: text mode prints the seed's line; JSON mode one object. */
static void
event(struct run *run, const char *action, const char *result,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
event(struct run *run, const char *action, const char *result,
    const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!run->o->json)
		log_step("%s", msg);
	if (!run->o->json && !log_audit_on())
		return;
	struct buf b = { 0 };
	json_line_begin(&b);
	json_field(&b, "step", run->step);
	json_field(&b, "cluster", run->cluster[0] ? run->cluster : NULL);
	json_field(&b, "action", action);
	json_field(&b, "result", result);
	buf_printf(&b, ",\"elapsed_ms\":%lld", strcmp(action, "begin") == 0 ?
	    0 : retry_now_ms() - run->step_t0);
	json_field(&b, "message", msg);
	json_emit(&b, run->o->json);
}

static void
step_begin(struct run *run, const char *step, const char *cluster,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
step_begin(struct run *run, const char *step, const char *cluster,
    const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	snprintf(run->step, sizeof(run->step), "%s", step);
	snprintf(run->cluster, sizeof(run->cluster), "%s", cluster ? cluster : "");
	run->step_t0 = retry_now_ms();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event(run, "begin", "started", "About to %s", msg);
}

static void
step_end(struct run *run, const char *result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
step_end(struct run *run, const char *result, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event(run, "end", result, "%s (%.1f s)", msg,
	    (double)(retry_now_ms() - run->step_t0) / 1000.0);
}

/* ------------------------------------------------------------ observation */

struct side {
	int role;            /* 0 configured primary, 1 configured secondary */
	const char *url;
	const char *target;  /* CNAME value naming this cluster */
	char label[320];     /* "primary cluster https://..." */
	struct vault v;
	struct vault_status st;
};

struct world {
	struct side side[2];
	struct side *old, *new; /* old = current role holder to give up */
	int rec_ok, rec_found;
	char *rec_value;
	long rec_ttl;
	char rec_error[512];
};

static int
is_mode(const struct side *s, const char *m)
{
	return s->st.reachable && strcmp(s->st.mode, m) == 0;
}

/* Status read fine. */
static int
readable(const struct side *s)
{
	return s->st.reachable && s->st.fail == VF_NONE;
}

/* Cannot be used: connection failures, or 5xx that did not clear. */
static int
down(const struct side *s)
{
	return s->st.fail == VF_UNREACHABLE || s->st.fail == VF_SERVER ||
	    s->st.fail == VF_STOPPED;
}

/* Dotted version compare ("1.15.2+ent" < "1.16.0"). */
static int
version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
		if (ea == a || eb == b)
			return 0;
		if (x != y)
			return x < y ? -1 : 1;
		a = ea;
		b = eb;
		if (*a != '.' || *b != '.')
			return 0;
		a++;
		b++;
	}
	return 0;
}

/* old is attached to new: a DR secondary whose id new knows and that is
 * not idle (a demoted cluster is idle until update-primary; a stale id from
 * an earlier life must not pass for an attachment). */
static int
attached(const struct world *w)
{
	return is_mode(w->old, "secondary") && is_mode(w->new, "primary") &&
	    w->old->st.secondary_id[0] && strcmp(w->old->st.state, "idle") != 0 &&
	    vault_status_knows(&w->new->st, w->old->st.secondary_id);
}

static int
record_names(const struct world *w, const struct side *s)
{
	return w->rec_ok && w->rec_found &&
	    strcasecmp(w->rec_value, s->target) == 0;
}

static void
world_clear(struct world *w)
{
	int k;

	for (k = 0; k < 2; k++)
		vault_status_free(&w->side[k].st);
	free(w->rec_value);
	w->rec_value = NULL;
	w->rec_ok = w->rec_found = 0;
}

/* Reads both clusters and the record. A cluster answering 5xx (a promote or
 * demote still settling) is re-read until ready_timeout. */
static void
observe(struct run *run, struct world *w, struct r53 *r53)
{
	long long deadline = retry_now_ms() +
	    (long long)(run->c->ready_timeout * 1000);
	int k;

	world_clear(w);
	for (k = 0; k < 2; k++) {
		struct side *s = &w->side[k];
		for (;;) {
			vault_status_free(&s->st);
			if (vault_observe(&s->v, &s->st) == 0 ||
			    s->st.fail != VF_SERVER || retry_now_ms() > deadline ||
			    retry_stop_requested)
				break;
			log_verbose("%s is not ready yet: %s", s->label,
			    s->st.error);
			retry_sleep(run->c->poll_interval);
		}
	}
	if (r53 && secret_is_set(r53->access_key)) {
		if (r53_get_cname(r53, run->c->cname, &w->rec_found,
		    &w->rec_value, &w->rec_ttl) == 0)
			w->rec_ok = 1;
		else
			snprintf(w->rec_error, sizeof(w->rec_error), "%s",
			    err_get());
	} else if (w->rec_error[0] == '\0')
		snprintf(w->rec_error, sizeof(w->rec_error),
		    "no AWS credentials");
}

/* ------------------------------------------------------------------ plan */

enum {
	ST_DEMOTE = 1 << 0,
	ST_PROMOTE = 1 << 1,
	ST_READY = 1 << 2,
	ST_CNAME = 1 << 3,
	ST_REATTACH = 1 << 4,
};

struct plan {
	unsigned steps;
	int verdict;          /* exit code if the plan cannot run, else -1 */
	int partial;          /* old unreachable: exit 3 after the steps */
	char why[2048];
};

static void
make_plan(const struct run *run, const struct world *w, struct plan *p)
{
	const struct side *o = w->old, *n = w->new;

	memset(p, 0, sizeof(*p));
	p->verdict = -1;
	if (!readable(n)) {
		p->verdict = EXIT_FAILED;
		snprintf(p->why, sizeof(p->why), "the %s cannot be read: %s",
		    n->label, n->st.error);
		return;
	}
	if (!is_mode(n, "primary") && !is_mode(n, "secondary")) {
		p->verdict = EXIT_FAILED;
		snprintf(p->why, sizeof(p->why), "the %s is in DR mode '%s'; "
		    "vaultdr only moves the primary role within an existing DR "
		    "pair", n->label, n->st.mode[0] ? n->st.mode : "unknown");
		return;
	}
	if (!readable(o) && !down(o)) {
		p->verdict = EXIT_FAILED;
		snprintf(p->why, sizeof(p->why), "the %s cannot be read: %s",
		    o->label, o->st.error);
		return;
	}
	if (readable(o)) {
		if (!is_mode(o, "primary") && !is_mode(o, "secondary")) {
			p->verdict = EXIT_FAILED;
			snprintf(p->why, sizeof(p->why), "the %s is in DR mode "
			    "'%s'; vaultdr only moves the primary role within "
			    "an existing DR pair", o->label,
			    o->st.mode[0] ? o->st.mode : "unknown");
			return;
		}
		if (o->st.cluster_id[0] && n->st.cluster_id[0] &&
		    strcmp(o->st.cluster_id, n->st.cluster_id) != 0) {
			p->verdict = EXIT_FAILED;
			snprintf(p->why, sizeof(p->why), "the two clusters are "
			    "not one DR set (cluster_id %s vs %s)",
			    o->st.cluster_id, n->st.cluster_id);
			return;
		}
		if (is_mode(n, "primary")) {
			if (is_mode(o, "primary") && !record_names(w, n)) {
				/* Two primaries (an unplanned failover, then the
				 * old one came back). Only the one clients were
				 * sent to may stay: demoting the other loses
				 * nothing it was trusted with. */
				p->verdict = EXIT_FAILED;
				snprintf(p->why, sizeof(p->why), "both clusters "
				    "are DR primaries and %s names %s, not the %s: "
				    "demoting the cluster clients were sent to "
				    "would lose its writes. Finish the move to "
				    "the cluster the CNAME names first (run the "
				    "other command), then switch back; nothing "
				    "was changed", run->c->cname,
				    w->rec_ok ? (w->rec_found ? w->rec_value :
				    "nothing") : "an unreadable record",
				    n->label);
				return;
			}
			if (is_mode(o, "primary"))
				p->steps |= ST_DEMOTE | ST_READY | ST_REATTACH;
			else if (!attached(w))
				p->steps |= ST_READY | ST_REATTACH;
		} else {
			if (is_mode(o, "primary"))
				p->steps |= ST_DEMOTE;
			p->steps |= ST_PROMOTE | ST_READY | ST_REATTACH;
		}
	} else {
		/* The old primary cannot be reached. */
		if (is_mode(n, "secondary")) {
			if (!run->o->primary_down) {
				p->verdict = EXIT_REFUSED;
				snprintf(p->why, sizeof(p->why), "the %s is "
				    "unreachable (%s); promoting the %s now "
				    "could leave two primaries. If it is "
				    "confirmed down or fenced, re-run with "
				    "--primary-down", o->label, o->st.error,
				    n->label);
				return;
			}
			p->steps |= ST_PROMOTE | ST_READY;
		}
		p->partial = 1;
	}
	if (!record_names(w, n))
		p->steps |= ST_CNAME | (p->steps & ST_PROMOTE ? 0 : ST_READY);
	if (p->steps & ST_CNAME && !w->rec_ok) {
		p->verdict = EXIT_FAILED;
		snprintf(p->why, sizeof(p->why), "cannot read the Route 53 "
		    "record %s: %s", run->c->cname, w->rec_error);
	}
}

static void
print_plan(struct run *run, const struct world *w, const struct plan *p,
    const char *prefix, int batch)
{
	const struct side *o = w->old, *n = w->new;
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
		event(run, "plan", "planned", "%s%d. UPSERT CNAME %s -> %s (now "
		    "%s), then wait for INSYNC", prefix, i++, run->c->cname,
		    n->target, w->rec_found ? w->rec_value : "absent");
	if (p->steps & ST_REATTACH)
		event(run, "plan", "planned", "%s%d. re-attach the %s as DR "
		    "secondary of the %s (revoke-secondary, secondary-token, "
		    "%s, update-primary)", prefix, i++, o->label, n->label,
		    tok);
	if (p->partial)
		event(run, "plan", "planned", "%s%d. leave the unreachable %s "
		    "to a later run (exit 3)", prefix, i++, o->label);
}

/* ------------------------------------------------------------- execution */

struct exec {
	struct run *run;
	struct world *w;
	struct r53 *r53;
	struct secret batch;     /* VAULT_DR_OPERATION_TOKEN */
	struct vault_keys keys;  /* collected once, used for both clusters */
	int keys_loaded;
	struct secret tok[2];    /* generated DR operation token per side */
	int demoted_old;         /* this run demoted the old primary */
	int batch_refused;       /* Vault refused the batch token: use keys */
	char *change_id;
	int changed;             /* any changing request succeeded */
};

/* Reads the key shares: VAULT_RECOVERY_KEY_1..required, prompting on a
 * terminal for missing ones. */
static int
load_keys(struct exec *x, struct side *s)
{
	int required = 0, otp_len = 0, started = 0, i;

	if (x->keys_loaded)
		return 0;
	if (vault_attempt_info(&s->v, &required, &otp_len, &started) == -1) {
		err_prefix("reading the operation token status on the %s",
		    s->label);
		return -1;
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
 * s (which must be a DR secondary now). */
static const struct secret *
dr_token_for(struct exec *x, struct side *s, int *input_error)
{
	int k = s->role;

	*input_error = 0;
	if (secret_is_set(&x->batch) && !x->batch_refused)
		return &x->batch;
	if (secret_is_set(&x->tok[k]))
		return &x->tok[k];
	step_begin(x->run, "dr-token", s->url, "generate a DR operation token "
	    "on the %s from recovery keys", s->label);
	if (load_keys(x, s) == -1) {
		*input_error = 1;
		step_end(x->run, "failed", "no DR operation token");
		return NULL;
	}
	if (vault_generate_dr_token(&s->v, &x->keys, &x->tok[k]) == -1) {
		err_prefix("generate a DR operation token on the %s", s->label);
		step_end(x->run, "failed", "no DR operation token");
		return NULL;
	}
	step_end(x->run, "ok", "DR operation token ready for the %s", s->label);
	return &x->tok[k];
}

/* Promotes s as step `step`. When Vault refuses the batch DR operation
 * token, falls back once to a token generated from recovery keys (from the
 * environment or the terminal). 0 / -1 (err_set; s->v.last_fail). */
static int
promote_side(struct exec *x, struct side *s, const char *step,
    const char *what)
{
	const struct secret *t;
	char first[2048];
	int input_error;

	for (;;) {
		if ((t = dr_token_for(x, s, &input_error)) == NULL)
			return -1;
		step_begin(x->run, step, s->url, "%s", what);
		if (vault_promote(&s->v, t) == 0) {
			step_end(x->run, "ok", "promoted the %s", s->label);
			return 0;
		}
		err_prefix("promote the %s", s->label);
		step_end(x->run, "failed", "not promoted");
		if (t != &x->batch || s->v.last_fail != VF_REJECTED)
			return -1;
		/* A stale or revoked batch token: recovery keys still work. */
		snprintf(first, sizeof(first), "%s", err_get());
		x->batch_refused = 1;
		log_warn("%s; trying a DR operation token generated from "
		    "recovery keys instead of VAULT_DR_OPERATION_TOKEN", first);
		if (dr_token_for(x, s, &input_error) == NULL) {
			err_prefix("%s; and no fallback", first);
			return -1;
		}
	}
}

static int
wait_ready(struct exec *x, struct side *s)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() + (long long)(c->ready_timeout * 1000);
	struct vault_status st;
	struct vault_reply r;
	char last[512] = "no answer yet";

	step_begin(x->run, "wait-ready", s->url, "wait until the %s is an "
	    "active DR primary", s->label);
	for (;;) {
		int health = 0;
		if (vault_call(&s->v, "GET", "/v1/sys/health", NULL, 0,
		    VC_ONCE | VC_ANY_STATUS, &r) == 0)
			health = r.status;
		else
			snprintf(last, sizeof(last), "%s", err_get());
		vault_reply_free(&r);
		if (health == 200) {
			memset(&st, 0, sizeof(st));
			if (vault_observe(&s->v, &st) == 0 &&
			    strcmp(st.mode, "primary") == 0 &&
			    (st.state[0] == '\0' ||
			    strcmp(st.state, "running") == 0)) {
				vault_status_free(&st);
				step_end(x->run, "ok", "the %s is an active DR "
				    "primary", s->label);
				return 0;
			}
			snprintf(last, sizeof(last), "DR mode %s, state %s",
			    st.mode[0] ? st.mode : "?", st.state[0] ? st.state : "?");
			vault_status_free(&st);
		} else if (health)
			snprintf(last, sizeof(last), "sys/health answered %d",
			    health);
		if (retry_now_ms() >= deadline) {
			err_set("the %s is not an active DR primary after %.0f s "
			    "(%s)", s->label, c->ready_timeout, last);
			step_end(x->run, "failed", "not ready");
			return -1;
		}
		if (retry_sleep(c->poll_interval) == -1) {
			err_set("stopped by signal while waiting for the %s",
			    s->label);
			step_end(x->run, "failed", "interrupted");
			return -1;
		}
	}
}

/* Re-attaches old to new: revoke-secondary (stable id), secondary-token,
 * update-primary with primary_api_addr = new's URL. A 5xx is retried with
 * backoff, each retry with a fresh activation token. */
static int
reattach(struct exec *x)
{
	struct world *w = x->w;
	struct side *o = w->old, *n = w->new;
	const struct secret *drt;
	struct secret act = { 0 };
	char id[160];
	int attempt, input_error;
	enum vault_fail fail;

	snprintf(id, sizeof(id), "vaultdr-%s-%s", x->run->c->env,
	    o->role == 0 ? "primary" : "secondary");
	if ((drt = dr_token_for(x, o, &input_error)) == NULL)
		return -1;
	step_begin(x->run, "reattach", o->url, "re-attach the %s as DR "
	    "secondary of the %s (secondary id %s)", o->label, n->label, id);
	for (attempt = 0;; attempt++) {
		if (vault_revoke_secondary(&n->v, id) == -1) {
			if (n->v.read_only || retry_stop_requested)
				goto fail;
			log_warn("revoke-secondary %s on the %s: %s", id,
			    n->label, err_get());
		}
		if (vault_secondary_token(&n->v, id, "10m", &act) == -1) {
			err_prefix("secondary-token on the %s", n->label);
			goto fail;
		}
		x->changed = 1;
		if (vault_update_primary(&o->v, drt, &act, n->url, &fail) == 0)
			break;
		secret_wipe(&act);
		if (fail == VF_REJECTED && drt == &x->batch) {
			/* The batch token was refused: recovery keys. */
			x->batch_refused = 1;
			log_warn("update-primary on the %s: %s; trying a DR "
			    "operation token generated from recovery keys",
			    o->label, err_get());
			step_end(x->run, "failed", "batch token refused");
			if ((drt = dr_token_for(x, o, &input_error)) == NULL)
				return -1;
			step_begin(x->run, "reattach", o->url, "re-attach the "
			    "%s with the generated token", o->label);
			continue;
		}
		if (fail == VF_LOST) {
			/* Re-read: it may have worked. */
			struct vault_status so, sn;
			int ok = vault_observe(&o->v, &so) == 0 &&
			    vault_observe(&n->v, &sn) == 0 &&
			    strcmp(so.mode, "secondary") == 0 &&
			    vault_status_knows(&sn, so.secondary_id);
			vault_status_free(&so);
			vault_status_free(&sn);
			if (ok)
				break;
		} else if (fail != VF_SERVER && fail != VF_UNREACHABLE &&
		    fail != VF_BAD_REPLY) {
			err_prefix("update-primary on the %s", o->label);
			goto fail;
		}
		if (attempt >= retry_vault.max_retries) {
			err_prefix("update-primary on the %s gave up after %d "
			    "attempts", o->label, attempt + 1);
			goto fail;
		}
		double d = retry_delay(&retry_vault, attempt + 1);
		log_warn("update-primary on the %s: %s; retry %d of %d in %.1f s "
		    "with a fresh activation token", o->label, err_get(),
		    attempt + 1, retry_vault.max_retries, d);
		if (retry_sleep(d) == -1) {
			err_set("stopped by signal while re-attaching the %s",
			    o->label);
			goto fail;
		}
	}
	secret_wipe(&act);
	step_end(x->run, "ok", "the %s is a DR secondary of the %s", o->label,
	    n->label);
	return 0;
fail:
	secret_wipe(&act);
	step_end(x->run, "failed", "the %s is not re-attached", o->label);
	return -1;
}

static int
move_cname(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	struct side *n = x->w->new;

	step_begin(x->run, "cname", NULL, "UPSERT CNAME %s -> %s in zone %s",
	    c->cname, n->target, c->zone_id);
	free(x->change_id);
	x->change_id = NULL;
	if (r53_upsert_cname(x->r53, c->cname, n->target, c->ttl,
	    &x->change_id) == -1) {
		step_end(x->run, "failed", "CNAME not changed");
		return -1;
	}
	x->changed = 1;
	step_end(x->run, "ok", "CNAME %s -> %s submitted (change %s)", c->cname,
	    n->target, x->change_id);
	return 0;
}

static int
wait_insync(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() +
	    (long long)(c->insync_timeout * 1000);
	int insync = 0;

	step_begin(x->run, "insync", NULL, "wait until Route 53 change %s is "
	    "INSYNC", x->change_id);
	for (;;) {
		if (r53_change_insync(x->r53, x->change_id, &insync) == -1) {
			step_end(x->run, "failed", "change status unknown");
			return -1;
		}
		if (insync)
			break;
		if (retry_now_ms() >= deadline) {
			err_set("Route 53 change %s is not INSYNC after %.0f s",
			    x->change_id, c->insync_timeout);
			step_end(x->run, "failed", "not INSYNC");
			return -1;
		}
		if (retry_sleep(c->poll_interval) == -1) {
			err_set("stopped by signal while waiting for Route 53");
			step_end(x->run, "failed", "interrupted");
			return -1;
		}
	}
	step_end(x->run, "ok", "Route 53 change %s is INSYNC", x->change_id);
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

/* Deletes the DR operation tokens this run generated, where Vault allows. */
static void
cleanup_tokens(struct exec *x)
{
	int k;

	for (k = 0; k < 2; k++) {
		struct side *s = &x->w->side[k];
		if (!secret_is_set(&x->tok[k]))
			continue;
		step_begin(x->run, "token-delete", s->url, "delete the DR "
		    "operation token generated on the %s", s->label);
		if (vault_delete_dr_token(&s->v, &x->tok[k]) == 0)
			step_end(x->run, "ok", "deleted the DR operation token "
			    "generated on the %s", s->label);
		else {
			log_warn("the DR operation token generated on the %s "
			    "could not be deleted (%s); it does not expire: "
			    "revoke it with sys/replication/dr/secondary/"
			    "operation-token/delete while that cluster is a DR "
			    "secondary", s->label, err_get());
			step_end(x->run, "warning", "the DR operation token "
			    "generated on the %s is not deleted", s->label);
		}
		secret_wipe(&x->tok[k]);
	}
}

enum { EX_OK, EX_FAIL, EX_REPLAN, EX_INPUT };

static int
execute(struct exec *x, const struct plan *p)
{
	struct world *w = x->w;
	struct side *o = w->old, *n = w->new;
	const struct secret *t;
	int input_error;

	if (p->steps & ST_PROMOTE) {
		if ((t = dr_token_for(x, n, &input_error)) == NULL)
			return input_error && !x->changed ? EX_INPUT : EX_FAIL;
		/* Both DR secondaries: an earlier run demoted the old primary,
		 * so a failed promotion rolls back to it. */
		if (is_mode(o, "secondary"))
			x->demoted_old = 1;
	}
	if (p->steps & ST_DEMOTE) {
		step_begin(x->run, "demote", o->url, "demote the %s", o->label);
		if (vault_demote(&o->v) == -1) {
			int lost = o->v.last_fail == VF_LOST;
			err_prefix("demote the %s", o->label);
			step_end(x->run, "failed", "not demoted");
			return lost ? EX_REPLAN : EX_FAIL;
		}
		x->changed = 1;
		x->demoted_old = 1;
		step_end(x->run, "ok", "demoted the %s", o->label);
	}
	if (p->steps & ST_PROMOTE) {
		char what[400];

		snprintf(what, sizeof(what), "promote the %s", n->label);
		if (promote_side(x, n, "promote", what) == -1) {
			char why[2048];
			if (n->v.last_fail == VF_LOST)
				return EX_REPLAN;
			if (retry_stop_requested)
				return EX_FAIL; /* a re-run continues from here */
			snprintf(why, sizeof(why), "%s", err_get());
			if (x->demoted_old) {
				/* Roll back: the old primary takes the role again. */
				snprintf(what, sizeof(what), "roll back: promote "
				    "the %s again", o->label);
				if (promote_side(x, o, "rollback", what) == 0)
					err_set("%s; rolled back: the %s is DR "
					    "primary again; nothing else changed",
					    why, o->label);
				else
					err_set("%s; ROLLBACK FAILED: %s. Both "
					    "clusters are DR secondaries now: "
					    "promote one of them by hand", why,
					    err_get());
			}
			return EX_FAIL;
		}
		x->changed = 1;
	}
	if ((p->steps & ST_READY) && wait_ready(x, n) == -1)
		return EX_FAIL;
	if ((p->steps & ST_CNAME) && move_cname(x) == -1)
		return x->r53->fail == VF_LOST ? EX_REPLAN : EX_FAIL;
	if (p->steps & ST_REATTACH) {
		if (reattach(x) == -1)
			return EX_FAIL;
	}
	if (x->change_id && wait_insync(x) == -1)
		return EX_FAIL;
	return EX_OK;
}

/* ------------------------------------------------------------------ status */

static const char *
names(const struct world *w)
{
	if (!w->rec_ok)
		return "unknown";
	if (!w->rec_found)
		return "absent";
	if (record_names(w, &w->side[0]))
		return "primary";
	if (record_names(w, &w->side[1]))
		return "secondary";
	return "other";
}

static long long
lag(const struct world *w, const struct side *s)
{
	const struct side *p = &w->side[s->role ^ 1];

	if (!is_mode(s, "secondary") || !is_mode(p, "primary") ||
	    s->st.last_remote_wal < 0 || p->st.last_wal < 0)
		return -1;
	return p->st.last_wal - s->st.last_remote_wal;
}

static void
status_plan(struct run *run, struct world *w, enum dr_cmd cmd, struct plan *p)
{
	w->new = &w->side[cmd == DR_FAILOVER ? 1 : 0];
	w->old = &w->side[cmd == DR_FAILOVER ? 0 : 1];
	make_plan(run, w, p);
}

static void
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
		if (p->partial)
			buf_puts(&b, "leave the unreachable cluster (exit 3), ");
		if (b.len >= 2)
			b.data[b.len -= 2] = '\0';
	}
	snprintf(out, outsz, "%s", b.data ? b.data : "");
	buf_free(&b);
}

static int
do_status(struct run *run, struct world *w)
{
	struct plan pf, pb;
	char fo[1200], fb[1200];
	int k;

	status_plan(run, w, DR_FAILOVER, &pf);
	status_plan(run, w, DR_FAILBACK, &pb);
	plan_words(&pf, fo, sizeof(fo));
	plan_words(&pb, fb, sizeof(fb));
	if (run->o->json) {
		struct buf b = { 0 };
		json_line_begin(&b);
		json_field(&b, "step", "status");
		json_field(&b, "env", run->c->env);
		buf_puts(&b, ",\"clusters\":[");
		for (k = 0; k < 2; k++) {
			struct side *s = &w->side[k];
			buf_printf(&b, "%s{\"role\":\"%s\"", k ? "," : "",
			    k ? "secondary" : "primary");
			json_field(&b, "url", s->url);
			json_field(&b, "dns_target", s->target);
			buf_printf(&b, ",\"reachable\":%s", s->st.reachable &&
			    s->st.fail == VF_NONE ? "true" : "false");
			json_field(&b, "mode", s->st.mode[0] ? s->st.mode : NULL);
			json_field(&b, "state", s->st.state[0] ? s->st.state :
			    NULL);
			buf_printf(&b, ",\"health_code\":%d", s->st.health_code);
			json_field(&b, "version", s->st.version[0] ?
			    s->st.version : NULL);
			json_field(&b, "cluster_id", s->st.cluster_id[0] ?
			    s->st.cluster_id : NULL);
			json_field(&b, "secondary_id", s->st.secondary_id[0] ?
			    s->st.secondary_id : NULL);
			if (lag(w, s) >= 0)
				buf_printf(&b, ",\"lag_wals\":%lld", lag(w, s));
			else
				buf_puts(&b, ",\"lag_wals\":null");
			json_field(&b, "error", s->st.error[0] ? s->st.error :
			    NULL);
			buf_puts(&b, "}");
		}
		buf_puts(&b, "],\"record\":{");
		buf_puts(&b, "\"name\":");
		json_append_str(&b, run->c->cname);
		json_field(&b, "value", w->rec_found ? w->rec_value : NULL);
		json_field(&b, "names", names(w));
		json_field(&b, "error", w->rec_ok ? NULL : w->rec_error);
		buf_puts(&b, "}");
		json_field(&b, "failover_would", fo);
		json_field(&b, "failback_would", fb);
		json_emit(&b, 1);
		return EXIT_DONE;
	}
	printf("vaultdr status %s (%s, section [%s])\n", run->c->env,
	    run->c->path, run->c->section);
	for (k = 0; k < 2; k++) {
		struct side *s = &w->side[k];
		printf("  %-9s %s\n", k ? "secondary" : "primary", s->url);
		if (!s->st.reachable || s->st.fail != VF_NONE) {
			char e[600];
			snprintf(e, sizeof(e), "%s", s->st.error);
			secret_redact(e);
			printf("            unreachable: %s\n", e);
			continue;
		}
		printf("            DR mode %s, state %s, health %d, version %s\n",
		    s->st.mode, s->st.state[0] ? s->st.state : "-",
		    s->st.health_code, s->st.version[0] ? s->st.version : "?");
		if (lag(w, s) >= 0)
			printf("            replication lag %lld WALs "
			    "(secondary id %s)\n", lag(w, s),
			    s->st.secondary_id[0] ? s->st.secondary_id : "-");
		else if (s->st.secondary_id[0])
			printf("            secondary id %s\n", s->st.secondary_id);
	}
	if (w->rec_ok)
		printf("  CNAME     %s -> %s (%s)\n", run->c->cname,
		    w->rec_found ? w->rec_value : "(absent)", names(w));
	else
		printf("  CNAME     %s: unknown (%s)\n", run->c->cname,
		    w->rec_error);
	printf("  failover would: %s\n", fo);
	printf("  failback would: %s\n", fb);
	return EXIT_DONE;
}

/* ----------------------------------------------------------------- driver */

static int
confirm(const struct run *run)
{
	char line[16];
	int fd, ok = 0;
	ssize_t n;

	/* The prompt goes to the terminal, so --json output stays clean. */
	if (run->o->yes || !isatty(STDIN_FILENO))
		return 1;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) == -1)
		return 1;
	dprintf(fd, "Proceed with %s of %s? [y/N] ",
	    run->o->cmd == DR_FAILOVER ? "failover" : "failback", run->c->env);
	n = read(fd, line, sizeof(line) - 1);
	if (n > 0 && (line[0] == 'y' || line[0] == 'Y'))
		ok = 1;
	close(fd);
	return ok;
}

static void
summary(struct run *run, int code, const char *state)
{
	static const char *const meaning[] = {
		"desired state reached", "failed", "usage, config or input error",
		"failed over; the old primary is not re-attached yet",
		"refused for safety",
	};
	double el = (double)(retry_now_ms() - run->t0) / 1000.0;

	if (run->o->json || log_audit_on()) {
		struct buf b = { 0 };
		json_line_begin(&b);
		json_field(&b, "step", "summary");
		json_field(&b, "command", run->o->cmd == DR_FAILOVER ?
		    "failover" : run->o->cmd == DR_FAILBACK ? "failback" :
		    "status");
		json_field(&b, "env", run->c->env);
		buf_printf(&b, ",\"exit_code\":%d", code);
		json_field(&b, "result", meaning[code]);
		json_field(&b, "state", state);
		if (code != 0)
			json_field(&b, "error", err_get());
		buf_printf(&b, ",\"elapsed_ms\":%lld", retry_now_ms() - run->t0);
		json_emit(&b, run->o->json);
		if (run->o->json)
			return;
	}
	log_step("%s %s: %s (exit %d, %.1f s): %s",
	    run->o->cmd == DR_FAILOVER ? "Failover" : "Failback", run->c->env,
	    meaning[code], code, el, state);
}

static void
tls_from_env(struct tls_config *t, int vault)
{
	const char *s;

	memset(t, 0, sizeof(*t));
	if (vault) {
		t->ca_file = getenv("VAULT_CACERT");
		t->ca_dir = getenv("VAULT_CAPATH");
		t->client_cert = getenv("VAULT_CLIENT_CERT");
		t->client_key = getenv("VAULT_CLIENT_KEY");
		t->server_name = getenv("VAULT_TLS_SERVER_NAME");
		s = getenv("VAULT_SKIP_VERIFY");
		t->skip_verify = s && *s && strcmp(s, "0") != 0 &&
		    strcasecmp(s, "false") != 0;
	} else
		t->ca_file = getenv("AWS_CA_BUNDLE");
	if (t->ca_file && !*t->ca_file)
		t->ca_file = NULL;
	if (t->ca_dir && !*t->ca_dir)
		t->ca_dir = NULL;
	if (t->client_cert && !*t->client_cert)
		t->client_cert = NULL;
	if (t->client_key && !*t->client_key)
		t->client_key = NULL;
	if (t->server_name && !*t->server_name)
		t->server_name = NULL;
}

/* Final state in words, from a fresh observation. */
static void
describe(struct world *w, const struct dr_config *c, char *out, size_t outsz)
{
	snprintf(out, outsz, "primary cluster %s, secondary cluster %s, CNAME %s "
	    "-> %s",
	    w->side[0].st.reachable && w->side[0].st.fail == VF_NONE ?
	    w->side[0].st.mode : "unreachable",
	    w->side[1].st.reachable && w->side[1].st.fail == VF_NONE ?
	    w->side[1].st.mode : "unreachable", c->cname,
	    w->rec_ok ? (w->rec_found ? w->rec_value : "(absent)") : "?");
}

/* --verbose: connections and requests per server (make bench reads these). */
static void
print_stats(struct http_client *vh, struct http_client *ah)
{
	struct http_stats st[8];
	struct http_client *hc[2] = { vh, ah };
	size_t n, i, k;

	for (k = 0; k < 2; k++) {
		if (hc[k] == NULL)
			continue;
		n = http_client_stats(hc[k], st, 8);
		for (i = 0; i < n && i < 8; i++)
			log_verbose("stats %s connections %d requests %d",
			    st[i].hostport, st[i].connections, st[i].requests);
	}
}

int
dr_run(const struct dr_opts *o, const struct dr_config *c)
{
	struct run run = { o, c, retry_now_ms(), 0, "", "" };
	struct tls_config vt, at;
	struct tls_client *vtls = NULL, *atls = NULL;
	struct http_client *vh = NULL, *ah = NULL;
	struct secret token = { 0 };
	struct aws_creds ac;
	struct world w;
	struct r53 r53;
	struct exec x;
	struct plan p;
	char state[1024] = "nothing changed";
	int code = EXIT_FAILED, k, round, changing = o->cmd != DR_STATUS, rc;

	memset(&w, 0, sizeof(w));
	memset(&x, 0, sizeof(x));
	memset(&r53, 0, sizeof(r53));
	memset(&ac, 0, sizeof(ac));
	retry_init(c->retry_base, c->max_retries);
	if (o->audit_path) {
		if (log_audit_open(o->audit_path) == -1)
			return EXIT_USAGE;
		struct buf b = { 0 };
		json_line_begin(&b);
		json_field(&b, "step", "run");
		json_field(&b, "command", o->cmd == DR_FAILOVER ? "failover" :
		    o->cmd == DR_FAILBACK ? "failback" : "status");
		json_field(&b, "env", c->env);
		json_field(&b, "config", c->path);
		json_field(&b, "version", VAULTDR_VERSION);
		buf_printf(&b, ",\"dry_run\":%s,\"primary_down\":%s,\"pid\":%ld",
		    o->dry_run ? "true" : "false",
		    o->primary_down ? "true" : "false", (long)getpid());
		json_emit(&b, 0);
	}

	/* Inputs first: a missing one is exit 2 before anything is sent. */
	if (changing && secret_get(&token, "VAULT_TOKEN", "Vault token") == -1) {
		code = EXIT_USAGE;
		goto out;
	}
	if (!changing)
		secret_from_env(&token, "VAULT_TOKEN");
	/* AWS credentials as the SDKs find them: environment, shared files,
	 * instance metadata. status goes on without them. */
	if (awscreds_resolve(&ac) == -1) {
		if (changing) {
			code = EXIT_USAGE;
			goto out;
		}
		snprintf(w.rec_error, sizeof(w.rec_error), "%s", err_get());
		log_warn("%s", err_get());
	} else {
		log_verbose("AWS credentials from %s", ac.source);
		if (ac.expiration > 0 && ac.expiration - (long long)time(NULL) <
		    15 * 60)
			log_warn("the AWS credentials from %s expire in %lld s",
			    ac.source, ac.expiration - (long long)time(NULL));
	}
	if (changing)
		secret_from_env(&x.batch, "VAULT_DR_OPERATION_TOKEN");
	/* Copied into wiped buffers: nothing else needs the environment's
	 * copies, which /proc/PID/environ would show for the whole run. */
	{
		static const char *const vars[] = { "VAULT_TOKEN",
			"VAULT_DR_OPERATION_TOKEN", "AWS_SECRET_ACCESS_KEY",
			"AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
			"AWS_SECURITY_TOKEN", NULL };
		for (k = 0; vars[k]; k++)
			if (changing || strcmp(vars[k], "VAULT_DR_OPERATION_TOKEN"))
				secret_scrub_env(vars[k]);
	}

	tls_from_env(&vt, 1);
	tls_from_env(&at, 0);
	if (vt.skip_verify)
		log_warn("VAULT_SKIP_VERIFY is set: Vault's TLS certificates are "
		    "NOT verified; anyone on the path can read the Vault token "
		    "and recovery keys");
	if ((vtls = tls_client_new(&vt)) == NULL ||
	    (atls = tls_client_new(&at)) == NULL) {
		code = EXIT_USAGE;
		goto out;
	}
	{
		struct http_client_config hc = { vtls,
			(int)(c->connect_timeout * 1000),
			(int)(c->io_timeout * 1000), o->verbose };
		vh = http_client_new(&hc);
		hc.tls = atls;
		ah = http_client_new(&hc);
		if (vh == NULL || ah == NULL)
			goto out;
	}
	for (k = 0; k < 2; k++) {
		struct side *s = &w.side[k];
		s->role = k;
		s->url = c->url[k];
		s->target = c->dns_target[k];
		snprintf(s->label, sizeof(s->label), "%s cluster %s",
		    k ? "secondary" : "primary", s->url);
		s->v = (struct vault){ s->label, s->url, vh, &token,
			o->dry_run || !changing, VF_NONE };
	}
	r53 = (struct r53){ c->r53_endpoint, ah, &ac.access_key,
		&ac.secret_key, &ac.session_token,
		c->zone_id, "us-east-1", o->dry_run || !changing, VF_NONE };
	x.run = &run;
	x.w = &w;
	x.r53 = &r53;

	if (o->cmd == DR_STATUS) {
		observe(&run, &w, &r53);
		code = do_status(&run, &w);
		goto out;
	}
	w.new = &w.side[o->cmd == DR_FAILOVER ? 1 : 0];
	w.old = &w.side[o->cmd == DR_FAILOVER ? 0 : 1];

	for (round = 0; round < 4; round++) {
		if (retry_stop_requested)
			break;
		snprintf(run.step, sizeof(run.step), "observe");
		run.cluster[0] = '\0';
		run.step_t0 = retry_now_ms();
		event(&run, "begin", "started", "About to read both clusters and "
		    "the CNAME %s", c->cname);
		observe(&run, &w, &r53);
		for (k = 0; k < 2; k++) {
			struct side *s = &w.side[k];
			if (s->st.reachable && s->st.fail == VF_NONE)
				event(&run, "end", "ok", "%s: DR %s, state %s, "
				    "health %d%s%s", s->label, s->st.mode,
				    s->st.state[0] ? s->st.state : "-",
				    s->st.health_code, s->st.version[0] ?
				    ", version " : "", s->st.version);
			else
				event(&run, "end", "unreachable", "%s: %s",
				    s->label, s->st.error);
		}
		if (w.rec_ok)
			event(&run, "end", "ok", "CNAME %s -> %s", c->cname,
			    w.rec_found ? w.rec_value : "(absent)");
		/* Failing back onto an older Vault: warn before acting. */
		if (w.new->st.version[0] && w.old->st.version[0] &&
		    version_cmp(w.new->st.version, w.old->st.version) < 0)
			log_warn("the new primary runs Vault %s, older than %s on "
			    "the %s: replication from a newer to an older "
			    "version is not supported", w.new->st.version,
			    w.old->st.version, w.old->label);
		make_plan(&run, &w, &p);
		if (p.verdict >= 0) {
			err_set("%s", p.why);
			code = x.changed ? EXIT_FAILED : p.verdict;
			goto done;
		}
		print_plan(&run, &w, &p, o->dry_run ? "dry run: would " : "plan: ",
		    secret_is_set(&x.batch));
		if (p.steps == 0) {
			code = p.partial ? EXIT_PARTIAL : EXIT_DONE;
			if (p.partial)
				err_set("the %s is unreachable (%s); re-run "
				    "when it is back to demote and re-attach it",
				    w.old->label, w.old->st.error);
			goto done;
		}
		if (o->dry_run) {
			code = EXIT_DONE;
			snprintf(state, sizeof(state), "dry run: nothing was "
			    "changed");
			goto out_summary;
		}
		if (round == 0 && !confirm(&run)) {
			err_set("not confirmed; nothing changed");
			code = EXIT_USAGE;
			goto done;
		}
		rc = execute(&x, &p);
		if (retry_stop_requested)
			break;
		if (rc == EX_REPLAN) {
			x.changed = 1; /* a changing request may have acted */
			log_warn("%s; reading the clusters again", err_get());
			continue;
		}
		if (rc == EX_INPUT) {
			code = EXIT_USAGE;
			goto done;
		}
		if (rc == EX_FAIL) {
			code = EXIT_FAILED;
			goto done;
		}
		cleanup_tokens(&x);
		if (p.partial) {
			code = EXIT_PARTIAL;
			err_set("the %s is unreachable (%s); re-run when it is back "
			    "to demote and re-attach it", w.old->label,
			    w.old->st.error);
			goto done;
		}
		code = EXIT_DONE;
		goto done;
	}
	if (retry_stop_requested) {
		err_set("stopped by signal (%s); vaultdr is safe to re-run: it "
		    "continues from the state it finds", err_get()[0] ? err_get() :
		    "between steps");
		snprintf(state, sizeof(state), "interrupted; the state was "
		    "not read again");
		code = EXIT_FAILED;
		goto out_summary;
	}
	err_set("the clusters kept changing while vaultdr worked; state unknown");
	code = EXIT_FAILED;
done:
	if (retry_stop_requested) {
		err_prefix("stopped by signal; vaultdr is safe to re-run: it "
		    "continues from the state it finds");
		snprintf(state, sizeof(state), "interrupted; the state was not "
		    "read again");
		code = EXIT_FAILED;
		goto out_summary;
	}
	{
		char saved[2048];
		snprintf(saved, sizeof(saved), "%s", err_get());
		if (x.changed)
			observe(&run, &w, &r53);
		if (retry_stop_requested) {
			/* Interrupted while re-reading the final state. */
			err_set("stopped by signal while reading the final state"
			    "%s%s; vaultdr is safe to re-run: it continues from "
			    "the state it finds", code == EXIT_DONE ? " (every "
			    "step had completed)" : "; before that: ",
			    code == EXIT_DONE ? "" : saved);
			snprintf(state, sizeof(state), "interrupted; the final "
			    "state was not read");
			code = EXIT_FAILED;
			goto out_summary;
		}
		describe(&w, c, state, sizeof(state));
		err_set("%s", saved);
	}
out_summary:
	summary(&run, code, state);
out:
	if (o->verbose)
		print_stats(vh, ah);
	for (k = 0; k < 2; k++)
		secret_wipe(&x.tok[k]);
	for (k = 0; k < x.keys.n; k++)
		secret_wipe(&x.keys.k[k]);
	secret_wipe(&x.batch);
	free(x.change_id);
	world_clear(&w);
	http_client_free(vh);
	http_client_free(ah);
	tls_client_free(vtls);
	tls_client_free(atls);
	secret_wipe(&token);
	awscreds_free(&ac);
	log_audit_close();
	return code;
}
