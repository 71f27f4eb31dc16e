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
#include <pwd.h>
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
#include "hook.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "retry.h"
#include "route53.h"
#include "secret.h"
#include "tls.h"
#include "vault.h"

/* ---------------------------------------------------------------- output */

/* Observe-plan-execute rounds before giving up on a world that keeps
 * changing under vaultdr. */
#define MAX_ROUNDS 7

struct run {
	const struct dr_opts *o;
	const struct dr_config *c;
	long long t0;
	long long step_t0;
	char step[32];
	char cluster[256];
	struct vault v[2];        /* per side: [0] configured primary */
	struct r53 *r53;
	char aws_error[512];      /* why there are no AWS credentials */
	double lock_ttl;          /* seconds (VAULTDR_LOCK_TTL) */
	int lock_taken;           /* this run holds the lock: release it */
	int lock_maybe;           /* a failed take may have created it */
	long long lock_renewed_ms;
	struct r53_lock lock;     /* ours, while lock_taken */
	int zone_read;            /* GetHostedZone answered (zone_name) */
	char zone_name[256];
	int state_read;           /* the world was read at least once */
	char change_id[128];      /* Route 53 change of the current step */
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
	buf_printf(b, "{\"schema_version\":%d,\"time\":\"%s\"",
	    LOG_SCHEMA_VERSION, ts);
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
			log_out("%s", b->data);
		}
		log_audit_write(b->data);
	}
	buf_free(b);
}

/* The configured role of the cluster an event is about, or NULL. */
static const char *
cluster_role(const struct run *run)
{
	int k;

	for (k = 0; k < 2 && run->cluster[0]; k++)
		if (run->c->url[k] && strcmp(run->cluster, run->c->url[k]) == 0)
			return k ? "secondary" : "primary";
	return NULL;
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
	json_field(&b, "event", strcmp(action, "plan") == 0 ? "plan" : "step");
	json_field(&b, "cluster", run->cluster[0] ? run->cluster : NULL);
	json_field(&b, "role", cluster_role(run));
	json_field(&b, "change_id", run->change_id[0] ? run->change_id : NULL);
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
	run->change_id[0] = '\0'; /* set by the steps that have one */
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

/* Progress of a wait (readiness, catch-up, INSYNC, re-attach): one line
 * per poll, at most every PROGRESS_MIN_MS and, through wait_sleep(), at
 * least every PROGRESS_MAX_MS: "INSYNC wait: PENDING, 45/300 s"; with
 * --json a "progress" event with the same fields. */
#define PROGRESS_MIN_MS 5000
#define PROGRESS_MAX_MS 30000

struct wait_progress {
	const char *what;   /* "INSYNC wait" */
	const char *kind;   /* "insync": the JSON "wait" field */
	double timeout;     /* seconds */
	long long t0, last; /* ms */
	char state[160];    /* the last state seen */
};

static void
wait_begin(struct wait_progress *wp, const char *what, const char *kind,
    double timeout)
{
	memset(wp, 0, sizeof(*wp));
	wp->what = what;
	wp->kind = kind;
	wp->timeout = timeout;
	wp->t0 = wp->last = retry_now_ms();
	snprintf(wp->state, sizeof(wp->state), "no answer yet");
}

/* Notes the state of the latest poll and prints it when due (force: at
 * least PROGRESS_MAX_MS since the last line). */
static void
wait_progress(struct run *run, struct wait_progress *wp, const char *state,
    int force)
{
	long long now = retry_now_ms();
	double el = (double)(now - wp->t0) / 1000.0;
	char msg[400];

	if (state)
		snprintf(wp->state, sizeof(wp->state), "%s", state);
	if (now - wp->last < (force ? PROGRESS_MAX_MS : PROGRESS_MIN_MS))
		return;
	wp->last = now;
	snprintf(msg, sizeof(msg), "%s: %s, %.0f/%.0f s", wp->what, wp->state,
	    el, wp->timeout);
	if (!run->o->json) {
		log_step("%s", msg);
		return;
	}
	struct buf b = { 0 };
	json_line_begin(&b);
	json_field(&b, "step", run->step);
	json_field(&b, "event", "progress");
	json_field(&b, "cluster", run->cluster[0] ? run->cluster : NULL);
	json_field(&b, "wait", wp->kind);
	json_field(&b, "state", wp->state);
	buf_printf(&b, ",\"elapsed_s\":%.0f,\"timeout_s\":%.0f", el,
	    wp->timeout);
	json_field(&b, "message", msg);
	buf_puts(&b, "}");
	if (b.data) {
		secret_redact(b.data);
		log_out("%s", b.data);
	}
	buf_free(&b);
}

/* Sleeps the poll interval in slices, so that a long interval still shows
 * a progress line every PROGRESS_MAX_MS. 0 / -1 (stop request). */
static int
wait_sleep(struct run *run, struct wait_progress *wp, double secs)
{
	while (secs > 0) {
		double slice = secs > PROGRESS_MAX_MS / 1000.0 ?
		    PROGRESS_MAX_MS / 1000.0 : secs;
		if (retry_sleep(slice) == -1)
			return -1;
		secs -= slice;
		if (secs > 0)
			wait_progress(run, wp, NULL, 1);
	}
	return 0;
}

/* ------------------------------------------------------------ observation */

/* The Vault handle of a side. */
static struct vault *
V(struct run *run, const struct world_side *s)
{
	return &run->v[s->role];
}

static int lock_keep(struct run *run);
static void lock_observe(struct run *run, struct world *w);

/* An untrusted certificate names the variable that fixes it. */
static void
tls_hint(char *msg, size_t msgsz, int vault)
{
	size_t n = strlen(msg);

	if (strstr(msg, "not trusted") == NULL || strstr(msg, "_CA") != NULL)
		return;
	snprintf(msg + n, msgsz - n, "; %s", vault ? "set VAULT_CACERT (or "
	    "VAULT_CAPATH) to the CA that signed the Vault cluster's "
	    "certificate" : "set AWS_CA_BUNDLE to the CA bundle that signed "
	    "the Route 53 endpoint's certificate");
}

/* The record set at the CNAME, read without a type filter (Safety 4), and
 * the hosted zone's name (GetHostedZone, once per run). */
static void
observe_record(struct run *run, struct world *w)
{
	struct r53_rrset *sets = NULL;
	size_t n = 0;
	char *zname = NULL;

	if (r53_list_at(run->r53, run->c->cname, &sets, &n) == 0) {
		if (plan_record_shape(sets, n, run->c->cname, &w->rec_found,
		    &w->rec_value, &w->rec_ttl, w->rec_bad,
		    sizeof(w->rec_bad)) == 0)
			w->rec_ok = 1;
		else
			snprintf(w->rec_error, sizeof(w->rec_error), "out of "
			    "memory");
		r53_rrsets_free(sets, n);
	} else {
		w->rec_rejected = run->r53->fail == VF_REJECTED;
		snprintf(w->rec_error, sizeof(w->rec_error), "%s", err_get());
		tls_hint(w->rec_error, sizeof(w->rec_error), 0);
	}
	if (!run->zone_read && w->rec_ok) {
		if (r53_get_zone(run->r53, &zname) == 0) {
			run->zone_read = 1;
			snprintf(run->zone_name, sizeof(run->zone_name), "%s",
			    zname);
			free(zname);
		} else if (run->r53->fail == VF_REJECTED) {
			w->rec_ok = 0;
			w->rec_rejected = 1;
			snprintf(w->rec_error, sizeof(w->rec_error), "zone "
			    "check: GetHostedZone %s: %s", run->c->zone_id,
			    err_get());
		}
	}
	if (run->zone_read) {
		snprintf(w->zone_name, sizeof(w->zone_name), "%s",
		    run->zone_name);
		w->zone = r53_name_in_zone(run->c->cname, run->zone_name) ?
		    ZONE_INSIDE : ZONE_OUTSIDE;
	}
}

/* Reads both clusters, the record and (unless this run holds it) the run
 * lock. settle: a cluster answering 5xx (a promote or demote still
 * settling) is re-read until ready_timeout; 0 for a final read after a stop
 * request (one pass, bounded by the request deadlines). */
static void
observe(struct run *run, struct world *w, int settle)
{
	long long deadline = retry_now_ms() +
	    (long long)(run->c->ready_timeout * 1000);
	int k;

	world_clear(w);
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w->side[k];
		for (;;) {
			vault_status_free(&s->st);
			if (vault_observe(V(run, s), &s->st) == 0 ||
			    s->st.fail != VF_SERVER || !settle ||
			    retry_now_ms() > deadline || retry_stop_requested)
				break;
			log_verbose("%s is not ready yet: %s", s->label,
			    s->st.error);
			(void)lock_keep(run);
			retry_sleep(run->c->poll_interval);
		}
		tls_hint(s->st.error, sizeof(s->st.error), 1);
	}
	if (run->r53 && secret_is_set(run->r53->access_key)) {
		observe_record(run, w);
	} else
		snprintf(w->rec_error, sizeof(w->rec_error), "%s",
		    run->aws_error[0] ? run->aws_error : "no AWS credentials");
	lock_observe(run, w);
}

/* Progress lines for one observation. */
static void
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

/* ------------------------------------------------------------------ lock */

/* The run lock (DESIGN.md Safety 6): a TXT record _vaultdr-lock.<cname>,
 * taken before the first changing request, renewed while the run lasts,
 * released on every exit after it was taken. */

/* Characters a lock field may hold: the rest become '_'. */
static void
lock_field(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < dstsz; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = isalnum(ch) || ch == '.' || ch == '-' || ch == '_' ?
		    (char)ch : '_';
	}
	dst[i] = '\0';
	if (i == 0 && dstsz > 1)
		snprintf(dst, dstsz, "unknown");
}

static long long
lock_expiry_from_now(const struct run *run)
{
	double t = run->lock_ttl;

	return (long long)time(NULL) + (long long)(t < 1 ? 1 : t + 0.999);
}

static void
lock_observe(struct run *run, struct world *w)
{
	struct r53_lock l;
	int held = 0;

	w->lock = LOCK_UNREAD;
	w->lock_owner[0] = w->lock_error[0] = '\0';
	w->lock_expires = 0;
	if (run->o->no_lock || run->r53 == NULL ||
	    !secret_is_set(run->r53->access_key))
		return;
	if (run->lock_taken) {
		w->lock = LOCK_OURS;
		return;
	}
	memset(&l, 0, sizeof(l));
	if (r53_lock_read(run->r53, run->c->cname, &held, &l) == -1) {
		w->lock = LOCK_UNREADABLE;
		snprintf(w->lock_error, sizeof(w->lock_error), "%s", err_get());
		return;
	}
	if (!held) {
		w->lock = LOCK_FREE;
		return;
	}
	snprintf(w->lock_owner, sizeof(w->lock_owner), "owner=%s pid=%ld "
	    "cmd=%s env=%s", l.owner, l.pid, l.cmd, l.env);
	w->lock_expires = l.expires;
	w->lock = l.expires <= (long long)time(NULL) ? LOCK_EXPIRED : LOCK_HELD;
}

/* Takes the lock. EXIT_DONE when taken; EXIT_REFUSED when another run holds
 * it; EXIT_USAGE when the credentials may not create it; EXIT_FAILED
 * otherwise. err_set on failure. */
static int
lock_take(struct run *run)
{
	struct r53_lock other;
	char user[64], host[128], name[256];
	const char *u = getenv("USER");
	int rc;

	memset(&run->lock, 0, sizeof(run->lock));
	memset(&other, 0, sizeof(other));
	if (u == NULL || *u == '\0')
		u = getenv("LOGNAME");
	if (u == NULL || *u == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		u = pw ? pw->pw_name : NULL;
	}
	lock_field(user, sizeof(user), u);
	if (gethostname(name, sizeof(name)) == -1)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	lock_field(host, sizeof(host), name);
	snprintf(run->lock.owner, sizeof(run->lock.owner), "%s@%s", user, host);
	run->lock.pid = (long)getpid();
	snprintf(run->lock.cmd, sizeof(run->lock.cmd), "%s",
	    run->o->cmd == DR_FAILOVER ? "failover" : "failback");
	lock_field(run->lock.env, sizeof(run->lock.env), run->c->env);
	run->lock.expires = lock_expiry_from_now(run);
	if (r53_lock_format(&run->lock) == -1)
		return EXIT_FAILED;
	step_begin(run, "lock", NULL, "take the run lock %s%s (expires at unix "
	    "time %lld)", R53_LOCK_PREFIX, run->c->cname,
	    run->lock.expires);
	rc = r53_lock_take(run->r53, run->c->cname, &run->lock, &other);
	if (rc == 0) {
		run->lock_taken = 1;
		run->lock_renewed_ms = retry_now_ms();
		step_end(run, "ok", "took the run lock");
		return EXIT_DONE;
	}
	if (rc == 1) {
		err_set("another vaultdr run holds the lock %s%s (owner=%s "
		    "pid=%ld cmd=%s env=%s, expires at unix time %lld); nothing "
		    "was changed. Wait for it to finish, or for the lock to "
		    "expire", R53_LOCK_PREFIX, run->c->cname, other.owner,
		    other.pid, other.cmd, other.env, other.expires);
		step_end(run, "refused", "the lock is held by another run");
		return EXIT_REFUSED;
	}
	if (strcmp(r53_aws_code(), "AccessDenied") == 0) {
		err_prefix("Route 53 refused to create the run lock %s%s: allow "
		    "route53:ChangeResourceRecordSets on it, or run with "
		    "--no-lock (no protection against a concurrent run)",
		    R53_LOCK_PREFIX, run->c->cname);
		step_end(run, "failed", "no run lock");
		return EXIT_USAGE;
	}
	err_prefix("cannot take the run lock %s%s", R53_LOCK_PREFIX,
	    run->c->cname);
	step_end(run, "failed", "no run lock");
	/* Our CREATE may have been applied with its answer lost: the exit
	 * path deletes our exact value, harmless when it is absent. */
	run->lock_maybe = 1;
	return EXIT_FAILED;
}

/* Renews the lock once more than a third of its TTL has passed since the
 * last renewal. -1 (err_set) only when the lock could not be renewed and has
 * expired: the run must not change anything more. */
static int
lock_keep(struct run *run)
{
	long long now = retry_now_ms();

	if (!run->lock_taken || retry_stop_requested ||
	    (double)(now - run->lock_renewed_ms) < run->lock_ttl * 1000 / 3)
		return 0;
	if (r53_lock_renew(run->r53, run->c->cname, &run->lock,
	    lock_expiry_from_now(run)) == 0) {
		run->lock_renewed_ms = now;
		log_verbose("renewed the run lock until unix time %lld",
		    run->lock.expires);
		return 0;
	}
	if ((long long)time(NULL) < run->lock.expires) {
		log_warn("could not renew the run lock (%s); retrying before "
		    "it expires at unix time %lld", err_get(), run->lock.expires);
		return 0;
	}
	err_prefix("the run lock expired and could not be renewed; stopping "
	    "before another run can take it");
	return -1;
}

/* Deletes the lock if this run holds it (every exit path). */
static void
lock_release(struct run *run)
{
	if (!run->lock_taken && !run->lock_maybe)
		return;
	step_begin(run, "unlock", NULL, "release the run lock %s%s",
	    R53_LOCK_PREFIX, run->c->cname);
	if (r53_lock_release(run->r53, run->c->cname, &run->lock) == 0) {
		run->lock_taken = run->lock_maybe = 0;
		step_end(run, "ok", "released the run lock");
		return;
	}
	log_warn("the run lock %s%s could not be deleted (%s); it expires at "
	    "unix time %lld, when another run may take it over",
	    R53_LOCK_PREFIX, run->c->cname, err_get(), run->lock.expires);
	step_end(run, "warning", "the run lock is left until it expires");
}

/* ------------------------------------------------------------------ plan */

static void
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
		event(run, "plan", "planned", "%s%d. UPSERT CNAME %s -> %s (now "
		    "%s), then wait for INSYNC", prefix, i++, run->c->cname,
		    n->target, w->rec_found ? w->rec_value : "absent");
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

/* ------------------------------------------------------------- execution */

struct exec {
	struct run *run;
	struct world *w;
	struct world_side *old, *new;
	struct r53 *r53;
	struct secret batch;     /* VAULT_DR_OPERATION_TOKEN */
	struct vault_keys keys;  /* collected once, used for both clusters */
	int keys_loaded;
	struct secret tok[2];    /* generated DR operation token per side */
	int batch_refused;       /* Vault refused the batch token: use keys */
	char *change_id;
	int attempted;           /* a changing request was (maybe) sent */
	int rollback;            /* a rollback promotion was attempted */
	int new_in_doubt;        /* a promote of new had an unknown outcome */
	char promote_error[1024];/* why the promotion failed (rollback case) */
	int preflight_done;      /* the Vault checks of Safety 4 passed */
	int promoted_token_noted;/* the summary notes an undeletable token */
	char token_note[400];
	int pre_hooks_done;      /* the pre-change hook ran (or none is set) */
	int fence_done;          /* the fence hook ran and exited 0 */
	char last_change_id[128];/* the Route 53 change of this run */
	int insync_confirmed;    /* this run saw its change INSYNC */
};

/* The record names the new primary, but not through a change this run saw
 * INSYNC: an earlier run may have been stopped while its change was still
 * PENDING, and no run can know that change's id (issue 17, item 11). */
static int
unconfirmed_propagation(const struct exec *x)
{
	return x->run->o->cmd != DR_STATUS && !x->insync_confirmed &&
	    x->w != NULL && x->new != NULL && world_names(x->w, x->new);
}

/* Execution outcomes. */
enum { EX_OK, EX_FAIL, EX_REPLAN, EX_INPUT };

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
static int
load_keys(struct exec *x, struct world_side *s)
{
	int required = 0, otp_len = 0, started = 0, i;

	if (x->keys_loaded)
		return 0;
	if (vault_attempt_info(V(x->run, s), &required, &otp_len,
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
static int
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
	wait_progress(x->run, wp, state, 0);
	if (lock_keep(x->run) == 0 &&
	    wait_sleep(x->run, wp, x->run->c->poll_interval) == 0)
		return 0;
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
	if (vault_observe(V(x->run, &o), &o.st) == 0 &&
	    vault_observe(V(x->run, &n), &n.st) == 0) {
		snprintf(state, statesz, "DR %s, state %s", o.st.mode,
		    o.st.state[0] ? o.st.state : "-");
		rc = streaming ? world_streaming(&o, &n) :
		    world_attached(&o, &n);
	} else
		snprintf(state, statesz, "%s", err_get());
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

/* Re-attaches old to new: revoke-secondary (stable id), secondary-token,
 * update-primary with primary_api_addr = new's URL, then waits until old
 * streams. An update-primary that fails before it reached Vault is retried
 * with backoff, each time with a fresh activation token; one whose outcome
 * is unknown is decided by reading both clusters. EX_*. */
static int
reattach(struct exec *x)
{
	struct world_side *o = x->old, *n = x->new;
	const struct secret *drt;
	struct secret act = { 0 };
	char id[160], state[512];
	int attempt, outcome, rc = EX_FAIL;
	enum vault_fail fail;

	snprintf(id, sizeof(id), "vaultdr-%s-%s", x->run->c->env,
	    o->role == 0 ? "primary" : "secondary");
	if ((drt = dr_token_for(x, o, &outcome)) == NULL)
		return outcome;
	step_begin(x->run, "reattach", o->url, "re-attach the %s as DR "
	    "secondary of the %s (secondary id %s)", o->label, n->label, id);
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
		if (vault_secondary_token(V(x->run, n), id, "10m", &act) == -1) {
			err_prefix("secondary-token on the %s", n->label);
			rc = after_failure(V(x->run, n)->last_fail);
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
		if (fail == VF_LOST) {
			/* Outcome unknown: read both clusters (Safety 1). */
			char why[2048];
			snprintf(why, sizeof(why), "%s", err_get());
			int seen = read_attachment(x, 0, state, sizeof(state));
			if (seen == 1)
				break;
			if (seen == -1) {
				err_set("%s; and the clusters cannot be read: %s",
				    why, state);
				rc = EX_REPLAN;
				goto fail;
			}
			err_set("%s; the %s is not attached (%s)", why, o->label,
			    state);
		} else if (fail != VF_UNREACHABLE) {
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
	step_end(x->run, "ok", "update-primary accepted by the %s", o->label);
	return wait_stream(x) == 0 ? EX_OK : EX_FAIL;
fail:
	secret_wipe(&act);
	step_end(x->run, "failed", "the %s is not re-attached", o->label);
	return rc;
}

static int
move_cname(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	struct world_side *n = x->new;

	step_begin(x->run, "cname", NULL, "UPSERT CNAME %s -> %s in zone %s",
	    c->cname, n->target, c->zone_id);
	free(x->change_id);
	x->change_id = NULL;
	x->attempted = 1;
	if (r53_upsert_cname(x->r53, c->cname, n->target, c->ttl,
	    &x->change_id) == -1) {
		step_end(x->run, "failed", x->r53->fail == VF_LOST ? "outcome "
		    "unknown: reading the state again" : "CNAME not changed");
		return after_failure(x->r53->fail);
	}
	snprintf(x->last_change_id, sizeof(x->last_change_id), "%s",
	    x->change_id ? x->change_id : "");
	snprintf(x->run->change_id, sizeof(x->run->change_id), "%s",
	    x->last_change_id);
	step_end(x->run, "ok", "CNAME %s -> %s submitted (change %s)", c->cname,
	    n->target, x->change_id);
	return EX_OK;
}

static int
wait_insync(struct exec *x)
{
	const struct dr_config *c = x->run->c;
	long long deadline = retry_now_ms() +
	    (long long)(c->insync_timeout * 1000);
	int insync = 0;
	struct wait_progress wp;

	step_begin(x->run, "insync", NULL, "wait until Route 53 change %s is "
	    "INSYNC", x->change_id);
	wait_begin(&wp, "INSYNC wait", "insync", c->insync_timeout);
	snprintf(x->run->change_id, sizeof(x->run->change_id), "%s",
	    x->change_id);
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
		if (wait_next(x, &wp, "PENDING", "", "Route 53", "") == -1)
			return -1;
	}
	step_end(x->run, "ok", "Route 53 change %s is INSYNC", x->change_id);
	x->insync_confirmed = 1;
	x->run->change_id[0] = '\0';
	free(x->change_id);
	x->change_id = NULL;
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

/* Deletes the DR operation tokens this run generated on clusters the last
 * read shows as DR secondaries (Safety 9). One generated on a cluster that
 * is DR primary now cannot be deleted there: noted once, not a warning. */
static void
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
		step_begin(x->run, "token-delete", s->url, "delete the DR "
		    "operation token generated on the %s", s->label);
		if (vault_delete_dr_token(V(x->run, s), &x->tok[k]) == 0)
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
	if (vault_observe(V(x->run, x->old), &os) == -1 ||
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
		if (vault_observe(V(x->run, x->new), &ns) == 0 && *wal >= 0 &&
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
		if (vault_observe(V(x->run, x->new), &ns) == 0) {
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
 * receive it before the promote; a timeout promotes old again (roll_back)
 * and fails. Without a demote (resumed after one, or --primary-down) the
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
			if (!retry_stop_requested)
				roll_back(x);
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
			if (!retry_stop_requested)
				roll_back(x);
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

static int
execute(struct exec *x, const struct plan *p)
{
	struct world_side *n = x->new;
	const struct secret *t;
	int outcome;

	if (p->steps & ST_PROMOTE) {
		/* The token first: without one nothing is changed. */
		if ((t = dr_token_for(x, n, &outcome)) == NULL)
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
		if ((outcome == EX_FAIL || outcome == EX_INPUT) &&
		    !retry_stop_requested)
			roll_back(x);
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
	}
	if (p->steps & ST_REATTACH) {
		if ((outcome = reattach(x)) != EX_OK)
			return outcome;
	} else if ((p->steps & ST_STREAM) && wait_stream(x) == -1)
		return EX_FAIL;
	if (x->change_id && wait_insync(x) == -1)
		return EX_FAIL;
	return EX_OK;
}


/* ------------------------------------------------------------- preflight */

/* The DR primary a token check can ask (the token store lives there). */
static struct world_side *
current_primary(struct exec *x)
{
	if (world_is_mode(x->old, "primary"))
		return x->old;
	if (world_is_mode(x->new, "primary"))
		return x->new;
	return NULL;
}

/* Names the first capability of need (space separated) that caps lacks. */
static void
missing_cap(const char *caps, const char *need, char *out, size_t outsz)
{
	char words[64], *w, *save = NULL;

	snprintf(words, sizeof(words), "%s", need);
	snprintf(out, outsz, "%s", need);
	for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!vault_caps_allow(caps, w)) {
			snprintf(out, outsz, "%s", w);
			return;
		}
}

/* Token and capability checks (Safety 4). -1 passed, else the exit code
 * (err_set). */
static int
preflight_token(struct exec *x, const struct plan *p)
{
	struct world_side *pr = current_primary(x);
	struct vault_cap caps[3];
	char pol[256] = "", miss[32];
	long long ttl = 0;
	size_t n = 0, i;
	int valid = 0;

	if (pr == NULL) {
		event(x->run, "end", "skipped", "preflight: token check not "
		    "done: no DR primary to ask");
		return -1;
	}
	if (vault_lookup_self(V(x->run, pr), &valid, pol, sizeof(pol),
	    &ttl) == -1) {
		err_prefix("token check on the %s", pr->label);
		return EXIT_FAILED;
	}
	if (!valid) {
		err_set("token check: VAULT_TOKEN is not valid on the %s "
		    "(auth/token/lookup-self answered 403: an unknown or "
		    "expired token, or one without the default policy); set "
		    "VAULT_TOKEN to a token with the DR policies; "
		    "nothing was changed", pr->label);
		return EXIT_USAGE;
	}
	if (p->steps & ST_DEMOTE)
		caps[n++] = (struct vault_cap){ "sys/replication/dr/primary/"
		    "demote", "update", 0, "" };
	if (p->steps & ST_REATTACH) {
		caps[n++] = (struct vault_cap){ "sys/replication/dr/primary/"
		    "secondary-token", "update sudo", 0, "" };
		caps[n++] = (struct vault_cap){ "sys/replication/dr/primary/"
		    "revoke-secondary", "update", 0, "" };
	}
	if (n && vault_capabilities(V(x->run, pr), caps, n) == -1) {
		err_prefix("capability check on the %s", pr->label);
		return EXIT_FAILED;
	}
	for (i = 0; i < n; i++)
		if (!caps[i].allowed) {
			missing_cap(caps[i].caps, caps[i].need, miss,
			    sizeof(miss));
			err_set("capability check: VAULT_TOKEN lacks the '%s' "
			    "capability on %s (sys/capabilities-self on the %s "
			    "lists: %s); add it to the token's policy; nothing "
			    "was changed", miss, caps[i].path, pr->label,
			    caps[i].caps[0] ? caps[i].caps : "none");
			return EXIT_USAGE;
		}
	event(x->run, "end", "ok", "preflight: VAULT_TOKEN is valid on the %s "
	    "(policies %s) with the capabilities the plan needs", pr->label,
	    pol[0] ? pol : "-");
	return -1;
}

/* Enough recovery key shares for Vault's `required`, or a batch token
 * (Safety 4). -1 passed, else the exit code (err_set). */
static int
preflight_keys(struct exec *x, const struct plan *p, int batch)
{
	struct world_side *s = NULL;
	int required = 0, otp_len = 0, started = 0, have = 0, i, fd;
	char missing[64] = "";

	if (batch) {
		event(x->run, "end", "ok", "preflight: the batch DR operation "
		    "token (VAULT_DR_OPERATION_TOKEN) is given");
		return -1;
	}
	if (!(p->steps & (ST_PROMOTE | ST_REATTACH)))
		return -1;
	if (world_is_mode(x->new, "secondary"))
		s = x->new;
	else if (world_is_mode(x->old, "secondary"))
		s = x->old;
	if (s == NULL)
		return -1;
	if (vault_attempt_info(V(x->run, s), &required, &otp_len,
	    &started) == -1) {
		/* A server failure, not an input error (exit 1). */
		err_prefix("key share check: reading the operation token "
		    "status on the %s", s->label);
		return EXIT_FAILED;
	}
	for (i = 0; i < required && i < 16; i++) {
		struct secret k = { 0 };
		char var[64];
		snprintf(var, sizeof(var), "VAULT_RECOVERY_KEY_%d", i + 1);
		if (secret_from_env(&k, var) == 1)
			have++;
		else if (!missing[0])
			snprintf(missing, sizeof(missing), "%s", var);
		secret_wipe(&k);
	}
	if (have < required) {
		if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) != -1) {
			close(fd);
			return -1; /* the rest is asked for on the terminal */
		}
		err_set("key share check: the %s needs %d recovery key shares; "
		    "%d are set (%s is missing) and there is no terminal to "
		    "ask for the rest. Set VAULT_RECOVERY_KEY_1..%d, or give a "
		    "batch DR operation token in VAULT_DR_OPERATION_TOKEN; "
		    "nothing was changed", s->label, required, have, missing,
		    required);
		return EXIT_USAGE;
	}
	event(x->run, "end", "ok", "preflight: %d recovery key shares at hand "
	    "(the %s needs %d)", have, s->label, required);
	return -1;
}

/* The Vault half of preflight (Safety 4), once per run, before the lock
 * and before any DR operation token is generated; the dry run too. The
 * config, record, zone, gate and version checks are in plan_make. */
static int
preflight(struct exec *x, const struct plan *p, int batch)
{
	int rc;

	snprintf(x->run->step, sizeof(x->run->step), "preflight");
	x->run->cluster[0] = '\0';
	x->run->step_t0 = retry_now_ms();
	if ((rc = preflight_token(x, p)) >= 0 ||
	    (rc = preflight_keys(x, p, batch)) >= 0)
		return rc;
	if (p->version_skew)
		event(x->run, "end", "ok", "preflight: version rule: %s", p->why);
	if (p->steps & ST_DEMOTE)
		event(x->run, "end", p->gate_failed ? "accepted" : "ok",
		    "preflight: replication gate %s: %s", p->gate_failed ?
		    "FAILED, accepted with --accept-data-loss" : "passed",
		    p->gate_why);
	x->preflight_done = 1;
	return -1;
}

/* ------------------------------------------------------------------ status */

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

static int
do_status(struct run *run, struct world *w)
{
	struct plan pf, pb;
	char fo[1200], fb[1200], gate[512];
	long long glag = -1;
	int k, code, safe = 0;

	status_plan(run, w, DR_FAILOVER, &pf);
	status_plan(run, w, DR_FAILBACK, &pb);
	/* Safety 5: could the primary role move away from the current
	 * primary now without losing a write? */
	if (world_is_mode(&w->side[0], "primary") ||
	    world_is_mode(&w->side[1], "primary")) {
		safe = plan_gate(w, world_is_mode(&w->side[0], "primary") ?
		    DR_FAILOVER : DR_FAILBACK, gate, sizeof(gate), &glag);
	} else
		snprintf(gate, sizeof(gate), "no DR primary can be read");
	plan_words(&pf, fo, sizeof(fo));
	plan_words(&pb, fb, sizeof(fb));
	/* 0 only when one cluster is DR primary with the other its attached,
	 * streaming DR secondary and the CNAME naming the primary. */
	code = (pf.verdict < 0 && pf.steps == 0 && !pf.partial) ||
	    (pb.verdict < 0 && pb.steps == 0 && !pb.partial) ? EXIT_DONE :
	    EXIT_FAILED;
	if (run->o->json) {
		struct buf b = { 0 };
		json_line_begin(&b);
		json_field(&b, "step", "status");
		json_field(&b, "event", "status");
		json_field(&b, "env", run->c->env);
		buf_printf(&b, ",\"exit_code\":%d", code);
		buf_puts(&b, ",\"clusters\":[");
		for (k = 0; k < 2; k++) {
			struct world_side *s = &w->side[k];
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
		buf_puts(&b, "},\"lock\":{");
		buf_puts(&b, "\"state\":");
		json_append_str(&b, lock_words(w->lock));
		json_field(&b, "holder", w->lock_owner[0] ? w->lock_owner :
		    NULL);
		if (w->lock_expires > 0)
			buf_printf(&b, ",\"expires\":%lld", w->lock_expires);
		json_field(&b, "error", w->lock == LOCK_UNREADABLE ?
		    w->lock_error : NULL);
		buf_puts(&b, "}");
		buf_printf(&b, ",\"safe_to_switch\":%s", safe ? "true" :
		    "false");
		json_field(&b, "switch_gate", gate);
		if (glag >= 0)
			buf_printf(&b, ",\"switch_lag_wals\":%lld", glag);
		else
			buf_puts(&b, ",\"switch_lag_wals\":null");
		json_field(&b, "failover_would", fo);
		json_field(&b, "failback_would", fb);
		json_emit(&b, 1);
		return code;
	}
	log_out("vaultdr status %s (%s, section [%s])", run->c->env,
	    run->c->path, run->c->section);
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w->side[k];
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
	log_out("  safe to switch: %s (%s)", safe ? "yes" : "no", gate);
	log_out("  failover would: %s", fo);
	log_out("  failback would: %s", fb);
	return code;
}

/* ----------------------------------------------------------------- driver */

/* On a terminal (and without -y): shows what the plan will do and asks
 * the operator to type the environment's name, as destructive commands
 * elsewhere do; anything else cancels. 1 to proceed. */
static int
confirm(const struct run *run, const struct plan *p)
{
	char line[128], words[1200];
	int fd, ok = 0;
	ssize_t n;

	/* The prompt goes to the terminal, so --json output stays clean. */
	if (run->o->yes || !isatty(STDIN_FILENO))
		return 1;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) == -1)
		return 1;
	plan_words(p, words, sizeof(words));
	dprintf(fd, "\n%s of %s (CNAME %s) will: %s.\n",
	    run->o->cmd == DR_FAILOVER ? "Failover" : "Failback", run->c->env,
	    run->c->cname, words);
	dprintf(fd, "Type the environment name '%s' to proceed (-y skips "
	    "this question; anything else cancels): ", run->c->env);
	n = read(fd, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		ok = strcasecmp(line, run->c->env) == 0;
	}
	close(fd);
	return ok;
}

static const char *const exit_meaning[] = {
	"desired state reached", "failed", "usage, config or input error",
	"failed over; the old primary is not re-attached yet",
	"refused for safety",
};

static const char *
cmd_name(enum dr_cmd cmd)
{
	return cmd == DR_FAILOVER ? "failover" : cmd == DR_FAILBACK ?
	    "failback" : "status";
}

/* The run's summary as one JSON object (no newline) into b: also what a
 * hook reads on its standard input (phase: the hook's phase, or NULL for
 * the summary itself; code < 0: the run is not over yet). */
static void
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

static void
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

/* Runs the hook of phase `which` (config_hook_phase) when one is set, with
 * the run's summary so far on its standard input. 1 when none is set; 0
 * when it ran and exited 0; -1 otherwise (err_set says why: it could not
 * start, timed out, or exited non-zero). */
static int
run_hook(struct exec *x, int which, int code, const char *state)
{
	struct run *run = x->run;
	const char *cmdline = run->c->hook[which];
	const char *phase = config_hook_phase[which];
	struct hook_env he;
	struct buf in = { 0 };
	char name[32];
	int status = -1, rc;

	if (cmdline == NULL)
		return 1;
	snprintf(name, sizeof(name), "%s", phase);
	summary_json(run, x, code, state, phase, &in);
	buf_puts(&in, "}\n");
	if (in.data)
		secret_redact(in.data); /* stdin too is output */
	he = (struct hook_env){ cmd_name(run->o->cmd), run->c->env, phase,
		x->new->url, x->old->url, code };
	step_begin(run, "hook", NULL, "run the %s hook: %s", phase, cmdline);
	rc = hook_run(name, cmdline, &he, in.data, run->c->hook_timeout,
	    &status);
	buf_free(&in);
	if (rc == 0 && status == 0) {
		step_end(run, "ok", "the %s hook exited 0", phase);
		return 0;
	}
	if (rc == 0)
		err_set("the %s hook (%s) exited %d", phase, cmdline, status);
	step_end(run, "failed", "%s", err_get());
	return -1;
}

/* The pre-change hook (once, before the first changing request) and the
 * fence hook (--primary-down, before the promote). -1 to go on, else the
 * exit code (err_set). */
static int
pre_change_hooks(struct exec *x, const struct plan *p)
{
	if (!x->pre_hooks_done && (p->steps & ST_CHANGING)) {
		x->pre_hooks_done = 1;
		if (run_hook(x, CONFIG_HOOK_PRE_CHANGE, -1, "about to change "
		    "the clusters") == -1) {
			err_prefix("refused by the pre-change hook");
			return EXIT_REFUSED;
		}
	}
	if (!x->fence_done && (p->steps & ST_PROMOTE) &&
	    !world_readable(x->old) && x->run->c->hook[CONFIG_HOOK_FENCE]) {
		if (run_hook(x, CONFIG_HOOK_FENCE, -1, "about to promote "
		    "without the unreachable primary") == -1) {
			err_prefix("refused: the fence hook did not confirm "
			    "that the %s is fenced", x->old->label);
			return EXIT_REFUSED;
		}
		x->fence_done = 1;
	}
	return -1;
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

/* A TLS file that could not be loaded: the error names the variable that
 * gave it (VAULT_CACERT, AWS_CA_BUNDLE, ...) and what it must hold. */
static void
tls_file_var(const struct tls_config *t, int vault)
{
	const struct {
		const char *var, *path, *what;
	} files[] = {
		{ vault ? "VAULT_CACERT" : "AWS_CA_BUNDLE", t->ca_file,
		  "a PEM bundle of the CA certificates to trust" },
		{ "VAULT_CAPATH", t->ca_dir, "a directory of PEM CA certificates" },
		{ "VAULT_CLIENT_CERT", t->client_cert,
		  "the PEM client certificate chain" },
		{ "VAULT_CLIENT_KEY", t->client_key, "the PEM client key" },
	};
	char why[1024];
	size_t i;

	snprintf(why, sizeof(why), "%s", err_get());
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].path && strstr(why, files[i].path)) {
			err_set("%s: %s; it must name %s", files[i].var, why,
			    files[i].what);
			return;
		}
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

/* Who runs this (for the audit record): user and host as the lock names
 * them, from $USER/$LOGNAME or the password database, and gethostname. */
static void
who_runs(char *user, size_t usersz, char *host, size_t hostsz)
{
	const char *u = getenv("USER");

	if (u == NULL || *u == '\0')
		u = getenv("LOGNAME");
	if (u == NULL || *u == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		u = pw ? pw->pw_name : "?";
	}
	snprintf(user, usersz, "%s", u);
	if (gethostname(host, hostsz) == -1)
		snprintf(host, hostsz, "?");
	host[hostsz - 1] = '\0';
}

/* The opening audit record: command, who, where, which build, which config
 * and the command line (options and ENV only: secrets never come through
 * argv). 0 / -1 (not on disk). */
static int
audit_open_record(struct run *run)
{
	const struct dr_opts *o = run->o;
	char user[128], host[256];
	struct buf b = { 0 };
	int i, rc;

	who_runs(user, sizeof(user), host, sizeof(host));
	json_line_begin(&b);
	json_field(&b, "step", "run");
	json_field(&b, "event", "run");
	json_field(&b, "command", cmd_name(o->cmd));
	json_field(&b, "env", run->c->env);
	json_field(&b, "config", run->c->path);
	json_field(&b, "version", VAULTDR_VERSION);
	json_field(&b, "commit", VAULTDR_COMMIT);
	json_field(&b, "user", user);
	json_field(&b, "host", host);
	buf_puts(&b, ",\"argv\":[");
	for (i = 0; i < o->argc && o->argv; i++) {
		if (i)
			buf_puts(&b, ",");
		json_append_str(&b, o->argv[i]);
	}
	buf_printf(&b, "],\"dry_run\":%s,\"primary_down\":%s,\"pid\":%ld}",
	    o->dry_run ? "true" : "false", o->primary_down ? "true" : "false",
	    (long)getpid());
	if (b.data == NULL)
		return -1;
	secret_redact(b.data);
	rc = log_audit_write(b.data);
	buf_free(&b);
	return rc;
}

int
dr_run(const struct dr_opts *o, const struct dr_config *c)
{
	struct run run;
	struct tls_config vt, at;
	struct tls_client *vtls = NULL, *atls = NULL;
	struct http_client *vh = NULL, *ah = NULL;
	struct secret token = { 0 };
	struct aws_creds ac;
	struct world w;
	struct r53 r53;
	struct exec x;
	struct plan p;
	struct plan_opts po = { o->primary_down, o->no_lock, c->cname,
		o->accept_data_loss, o->create_record };
	char state[1024] = "nothing changed", saved[2048] = "";
	int code = EXIT_FAILED, k, round, changing = o->cmd != DR_STATUS, rc;
	int fresh = 0, stopped = 0, dry = 0, summarised = 0;
	unsigned printed = ~0u; /* steps of the plan printed last round */

	memset(&run, 0, sizeof(run));
	run.o = o;
	run.c = c;
	run.t0 = retry_now_ms();
	memset(&w, 0, sizeof(w));
	memset(&x, 0, sizeof(x));
	memset(&r53, 0, sizeof(r53));
	memset(&ac, 0, sizeof(ac));
	retry_init(c->retry_base, c->max_retries);
	run.lock_ttl = c->lock_ttl > 0 ? c->lock_ttl : 900;
	if (o->audit_path) {
		if (log_audit_open(o->audit_path) == -1) {
			code = EXIT_USAGE;
			goto out;
		}
		/* The opening record, on disk before anything is sent: a
		 * run that cannot leave an audit trail changes nothing. */
		if (audit_open_record(&run) == -1) {
			err_set("--log %s: the opening audit record could not be "
			    "written (%s); nothing was changed", o->audit_path,
			    log_audit_error());
			code = EXIT_USAGE;
			goto out;
		}
	}

	/* Inputs first: a missing one is exit 2 before anything is sent. As
	 * the Vault CLI: VAULT_TOKEN, else ~/.vault-token, else (changing
	 * commands, on a terminal) a prompt. */
	if ((rc = secret_from_env(&token, "VAULT_TOKEN")) == 0) {
		char tpath[1024];
		if ((rc = secret_from_vault_token_file(&token, tpath,
		    sizeof(tpath))) == -1) {
			err_prefix("VAULT_TOKEN is not set and the Vault CLI's "
			    "token file cannot be read");
			code = EXIT_USAGE;
			goto out;
		}
		if (rc == 1)
			log_verbose("Vault token from %s", tpath);
	}
	if (changing && rc != 1 &&
	    secret_get(&token, "VAULT_TOKEN", "Vault token") == -1) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", err_get());
		err_set("%s (nor is there a ~/.vault-token from `vault login`)",
		    why);
		code = EXIT_USAGE;
		goto out;
	}
	/* AWS credentials as the SDKs find them: environment, shared files,
	 * instance metadata. status goes on without them. */
	if (awscreds_resolve(&ac) == -1) {
		if (changing) {
			code = EXIT_USAGE;
			goto out;
		}
		snprintf(run.aws_error, sizeof(run.aws_error), "%s", err_get());
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
		tls_file_var(vtls == NULL ? &vt : &at, vtls == NULL);
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
		/* Vault standbys redirect to the active node (https only);
		 * a signed AWS request never follows a redirect (the default). */
		http_client_follow_redirects(vh, 1);
	}
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w.side[k];
		s->role = k;
		s->url = c->url[k];
		s->target = c->dns_target[k];
		snprintf(s->label, sizeof(s->label), "%s cluster %s",
		    k ? "secondary" : "primary", s->url);
		run.v[k] = (struct vault){ s->label, s->url, vh, &token,
			o->dry_run || !changing, VF_NONE };
	}
	r53 = (struct r53){ c->r53_endpoint, ah, &ac.access_key,
		&ac.secret_key, &ac.session_token,
		c->zone_id, c->r53_region, o->dry_run || !changing, VF_NONE };
	run.r53 = &r53;
	x.run = &run;
	x.w = &w;
	x.r53 = &r53;
	x.old = &w.side[o->cmd == DR_FAILBACK ? 1 : 0];
	x.new = &w.side[o->cmd == DR_FAILBACK ? 0 : 1];
	if (c->allow_http)
		log_warn("VAULTDR_ALLOW_HTTP=1: http:// cluster URLs and AWS "
		    "endpoints are accepted; tokens, recovery keys and AWS "
		    "signatures may cross the network in clear");
	if (changing && o->no_lock)
		log_warn("--no-lock: no run lock is taken; nothing stops another "
		    "vaultdr run from changing the same clusters at the same "
		    "time");

	if (o->cmd == DR_STATUS) {
		observe(&run, &w, 1);
		run.state_read = 1;
		code = do_status(&run, &w);
		/* The report is the last stdout object; the audit file
		 * still closes with the summary. */
		if (log_audit_on()) {
			struct buf b = { 0 };
			summary_json(&run, &x, code, "status report", NULL, &b);
			json_emit(&b, 0);
		}
		summarised = 1;
		goto out;
	}

	err_clear();
	for (round = 0;; round++) {
		if (retry_stop_requested)
			goto finish;
		if (round == MAX_ROUNDS) {
			snprintf(saved, sizeof(saved), "%s", err_get());
			err_set("the clusters kept changing while vaultdr worked "
			    "(%d rounds); the last error: %s", MAX_ROUNDS,
			    saved[0] ? saved : "none");
			saved[0] = '\0';
			code = EXIT_FAILED;
			goto finish;
		}
		if (lock_keep(&run) == -1) {
			code = EXIT_FAILED;
			goto finish;
		}
		snprintf(run.step, sizeof(run.step), "observe");
		run.cluster[0] = '\0';
		run.step_t0 = retry_now_ms();
		event(&run, "begin", "started", "About to read both clusters and "
		    "the CNAME %s", c->cname);
		observe(&run, &w, 1);
		if (retry_stop_requested)
			goto finish;
		fresh = 1;
		run.state_read = 1;
		report_observation(&run, &w);
		/* --primary-down speaks of a cluster that cannot be reached;
		 * once this run has read it, it no longer applies. */
		if (world_readable(x.old))
			po.primary_down = 0;
		plan_make(&w, o->cmd, &po, &p);
		if (p.verdict >= 0) {
			/* "nothing was changed" only when it is true. */
			err_set("%s%s", p.why, x.attempted ? "" :
			    "; nothing was changed");
			code = x.attempted ? EXIT_FAILED : p.verdict;
			goto finish;
		}
		if (p.steps != printed || round == 0)
			print_plan(&run, &w, &p, o->dry_run ? "dry run: would " :
			    "plan: ", secret_is_set(&x.batch) && !x.batch_refused);
		printed = ~0u;
		if (p.steps == 0) {
			/* Safety 3: this read shows the desired state (or, exit
			 * 3, all of it the unreachable old primary allows). */
			code = p.exit_code;
			if (p.partial)
				err_set("%s", p.why);
			else
				err_clear();
			goto finish;
		}
		/* Safety 4: the Vault checks before the lock and before any
		 * DR operation token; the dry run runs them too. */
		if (!x.preflight_done && (p.steps & ST_CHANGING) &&
		    (rc = preflight(&x, &p, secret_is_set(&x.batch) &&
		    !x.batch_refused)) >= 0) {
			code = x.attempted ? EXIT_FAILED : rc;
			dry = o->dry_run;
			goto finish;
		}
		if (o->dry_run) {
			code = EXIT_DONE;
			dry = 1;
			goto finish;
		}
		if (round == 0 && !confirm(&run, &p)) {
			err_set("not confirmed (the environment name was not "
			    "typed); nothing was changed");
			code = EXIT_USAGE;
			goto finish;
		}
		/* Inputs before the lock: missing key shares are exit 2 with
		 * nothing sent that changes anything. */
		if (!secret_is_set(&x.batch) && (rc = p.steps & ST_PROMOTE ?
		    load_keys(&x, x.new) : (p.steps & ST_REATTACH) &&
		    world_is_mode(x.old, "secondary") ? load_keys(&x, x.old) :
		    0) < 0) {
			code = x.attempted || rc == -2 ? EXIT_FAILED :
			    EXIT_USAGE;
			goto finish;
		}
		/* Hooks: the site's checks and fencing, before the first
		 * changing request, the lock included (and the fence before
		 * the promote). */
		if ((rc = pre_change_hooks(&x, &p)) >= 0) {
			if (!x.attempted) {
				snprintf(saved, sizeof(saved), "%s", err_get());
				err_set("%s; nothing was changed", saved);
				saved[0] = '\0';
			}
			code = x.attempted ? EXIT_FAILED : rc;
			goto finish;
		}
		/* Safety 6: the lock before the first changing request. */
		if (!run.lock_taken && !o->no_lock) {
			rc = lock_take(&run);
			if (rc != EXIT_DONE) {
				code = x.attempted ? EXIT_FAILED : rc;
				goto finish;
			}
			/* What was read before the lock may be stale (another
			 * run may just have finished): read and plan again. */
			printed = p.steps;
			continue;
		}
		fresh = 0;
		rc = execute(&x, &p);
		if (retry_stop_requested)
			goto finish;
		if (rc == EX_REPLAN) {
			log_warn("%s; reading the clusters again", err_get());
			continue;
		}
		if (rc == EX_INPUT) {
			code = x.attempted ? EXIT_FAILED : EXIT_USAGE;
			goto finish;
		}
		if (rc == EX_FAIL) {
			code = EXIT_FAILED;
			goto finish;
		}
		/* EX_OK: the next read decides whether the desired state is
		 * there (Safety 3). */
	}

finish:
	/* Safety 10: the first stop request ends the run cleanly (final read,
	 * tokens, lock, summary); a second one cuts that short. */
	if (take_stop(&stopped, saved, sizeof(saved))) {
		code = EXIT_FAILED;
		fresh = 0;
	}
	if ((x.attempted || stopped) && !fresh) {
		char before[2048];
		int tries;
		snprintf(before, sizeof(before), "%s", err_get());
		for (tries = 0; tries < 2 && !fresh; tries++) {
			snprintf(run.step, sizeof(run.step), "final-read");
			run.cluster[0] = '\0';
			run.step_t0 = retry_now_ms();
			event(&run, "begin", "started", "About to read both "
			    "clusters and the CNAME %s for the final state",
			    c->cname);
			observe(&run, &w, !stopped);
			fresh = !retry_stop_requested;
			if (fresh)
				report_observation(&run, &w);
			else if (take_stop(&stopped, saved, sizeof(saved)))
				code = EXIT_FAILED; /* first signal: read again */
			else
				break;
		}
		err_set("%s", before);
	}
	if (!dry) {
		char keep[2048];
		snprintf(keep, sizeof(keep), "%s", err_get());
		cleanup_tokens(&x);
		if (take_stop(&stopped, saved, sizeof(saved)))
			code = EXIT_FAILED;
		lock_release(&run);
		if (take_stop(&stopped, saved, sizeof(saved)))
			code = EXIT_FAILED;
		if (keep[0])
			err_set("%s", keep);
		else
			err_clear();
	}
	if (dry)
		snprintf(state, sizeof(state), "dry run: nothing was changed");
	else if ((x.attempted || stopped) && !fresh)
		snprintf(state, sizeof(state), "interrupted; the final state "
		    "was not read");
	else if (fresh) {
		char d[900];
		world_describe(&w, c->cname, d, sizeof(d));
		snprintf(state, sizeof(state), "%s%s%s", x.attempted ? "" :
		    "nothing changed; ", d, unconfirmed_propagation(&x) ?
		    "; the CNAME already named the new primary when this run "
		    "read it: its propagation (Route 53 INSYNC, "
		    "DNS_PROPAGATION_DELAY) was not confirmed by this run" : "");
	}
	if (x.rollback && fresh) {
		/* Every claim from the final read (Safety 3). */
		if (world_is_mode(x.old, "primary") &&
		    world_is_mode(x.new, "secondary"))
			err_set("%s; rolled back: the %s is DR primary again%s",
			    x.promote_error, x.old->label, world_names(&w,
			    x.old) ? " and the CNAME still names it" : "");
		else if (world_is_mode(x.old, "secondary") &&
		    world_is_mode(x.new, "secondary"))
			err_set("%s; ROLLBACK FAILED: both clusters are DR "
			    "secondaries now: promote one of them by hand",
			    x.promote_error);
		else
			err_set("%s; after the rollback attempt: %s",
			    x.promote_error, state);
	} else if (x.rollback)
		err_set("%s; a rollback was attempted; its outcome is unknown",
		    x.promote_error);
	if (stopped && strncmp(saved, "stopped by signal", 17) == 0)
		err_set("%s; vaultdr is safe to re-run: it continues from the "
		    "state it finds", saved);
	else if (stopped && saved[0])
		err_set("stopped by signal (while: %s); vaultdr is safe to "
		    "re-run: it continues from the state it finds", saved);
	else if (stopped)
		err_set("stopped by signal; vaultdr is safe to re-run: it "
		    "continues from the state it finds");
	if (retry_stop_requested)
		code = EXIT_FAILED;
	if (x.token_note[0]) {
		size_t l = strlen(state);
		snprintf(state + l, sizeof(state) - l, "; %s", x.token_note);
	}
	/* The post hook: after the final read, whatever the outcome; its
	 * failure is a warning (the switch is what it is). */
	if (run.state_read && !dry && changing) {
		char keep[2048];
		snprintf(keep, sizeof(keep), "%s", err_get());
		if (run_hook(&x, CONFIG_HOOK_POST, code, state) == -1)
			log_warn("%s", err_get());
		err_set("%s", keep);
		if (!keep[0])
			err_clear();
	}
	summary(&run, &x, code, state);
	summarised = 1;
out:
	/* Every exit path ends with one summary object (--json) and record
	 * (--log), the early input and config errors too. */
	if (!summarised && (o->json || log_audit_on()))
		summary(&run, x.new ? &x : NULL, code, "nothing was changed");
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
