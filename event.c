/* event.c - a run's progress: step begin/end lines, wait progress, and the
 * JSON lines (--json, the audit file) they become. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "json.h"
#include "log.h"
#include "retry.h"

void
json_line_begin(struct buf *b)
{
	char ts[32];

	log_utc_time(ts, sizeof(ts));
	buf_printf(b, "{\"schema_version\":%d,\"time\":\"%s\"",
	    LOG_SCHEMA_VERSION, ts);
}

void
json_field(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, ",\"%s\":", k);
	if (v)
		json_append_str(b, v);
	else
		buf_puts(b, "null");
}

/* Finishes a JSON line: to stdout with --json, and to the audit log. */
void
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

void
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

void
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

void
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

void
wait_begin(struct wait_progress *wp, const char *what, const char *kind,
    double timeout)
{
	memset(wp, 0, sizeof(*wp));
	wp->what = what;
	wp->kind = kind;
	wp->timeout = timeout;
	wp->t0 = wp->last = wp->poll_ms = retry_now_ms();
	snprintf(wp->state, sizeof(wp->state), "no answer yet");
}

/* Notes the state of the latest poll and prints it when due (force: at
 * least PROGRESS_MAX_MS since the last line). */
void
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
int
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
