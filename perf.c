/* perf.c - performance replication in vaultdr's reports (issue 12): the
 * DR primary's sys/replication/performance/status in `status` and in the
 * final read of a switch, and after a switch the wait for the new
 * performance primary's secondaries to reconnect, with a warning and the
 * command to run for each one that did not. vaultdr never changes a
 * performance secondary, and they never change the exit code. */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "json.h"
#include "log.h"
#include "retry.h"

void
perf_read(struct run *run, const struct world *w)
{
	int k, role = -1;

	vault_perf_free(&run->perf);
	run->perf_read = 0;
	for (k = 0; k < 2; k++)
		if (world_is_mode(&w->side[k], "primary")) {
			if (role >= 0)
				return; /* two DR primaries: whose report? */
			role = k;
		}
	if (role < 0)
		return;
	run->perf_read = 1;
	run->perf_role = role;
	(void)vault_perf_observe(&run->v[role], &run->perf);
}

/* Disconnected secondaries (shown so) in run->perf. */
static int
perf_down(const struct run *run)
{
	int k, n = 0;

	for (k = 0; k < run->perf.nsec; k++)
		n += vault_perf_connected(&run->perf.sec[k]) == 0;
	return n;
}

static int
perf_on(const struct run *run)
{
	return run->perf_read && run->perf.read &&
	    strcmp(run->perf.mode, "disabled") != 0;
}

void
perf_words(const struct run *run, char *state, size_t statesz)
{
	size_t n = strlen(state);

	if (run->perf_read && !run->perf.read)
		snprintf(state + n, statesz - n, "; performance replication "
		    "not read (%s)", run->perf.error);
	else if (perf_on(run))
		snprintf(state + n, statesz - n, "; performance %s with %d "
		    "secondar%s (%d disconnected)", run->perf.mode,
		    run->perf.nsec, run->perf.nsec == 1 ? "y" : "ies",
		    perf_down(run));
}

void
perf_print(const struct run *run)
{
	const struct vault_perf *p = &run->perf;
	int k;

	if (!run->perf_read || (p->read && !perf_on(run)))
		return;
	if (!p->read) {
		log_out("  perf      unknown (%s)", p->error);
		return;
	}
	log_out("  perf      %s: performance %s, state %s", run->v[
	    run->perf_role].url, p->mode, p->state[0] ? p->state : "-");
	for (k = 0; k < p->nsec; k++)
		log_out("            secondary %s %s: %s", p->sec[k].id,
		    p->sec[k].api_address, p->sec[k].conn[0] ?
		    p->sec[k].conn : "not shown");
}

void
perf_json(const struct run *run, struct buf *b)
{
	const struct vault_perf *p = &run->perf;
	int k;

	if (!run->perf_read)
		return;
	buf_puts(b, ",\"performance\":{\"cluster\":");
	json_append_str(b, run->v[run->perf_role].url);
	json_field(b, "mode", p->read ? p->mode : NULL);
	json_field(b, "state", p->read && p->state[0] ? p->state : NULL);
	buf_puts(b, ",\"secondaries\":[");
	for (k = 0; p->read && k < p->nsec; k++) {
		const struct vault_perf_secondary *s = &p->sec[k];

		buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
		json_append_str(b, s->id);
		json_field(b, "api_address", s->api_address[0] ?
		    s->api_address : NULL);
		json_field(b, "connection_status", s->conn[0] ? s->conn : NULL);
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
	json_field(b, "error", p->read ? NULL : p->error);
	buf_puts(b, "}");
}

/* The new primary's cluster address as the re-attached old cluster sees
 * it (its primary_cluster_addr), for update_primary_addrs; "" unknown. */
static void
new_cluster_addr(struct exec *x, char *out, size_t outsz)
{
	struct vault_status st;

	out[0] = '\0';
	if (vault_observe(V(x->run, x->old), &st) == 0 &&
	    strcmp(st.mode, "secondary") == 0 && st.primary_addr[0])
		snprintf(out, outsz, "%s", st.primary_addr);
	vault_status_free(&st);
	err_clear();
}

void
perf_wait(struct exec *x)
{
	struct run *run = x->run;
	const struct dr_config *c = run->c;
	long long deadline = retry_now_ms() +
	    (long long)(c->ready_timeout * 1000);
	struct wait_progress wp;
	char state[160], cmd[700], addr[300];
	int begun = 0, down, k;

	for (;;) {
		vault_perf_free(&run->perf);
		run->perf_read = 1;
		run->perf_role = x->new->role;
		if (vault_perf_observe(V(run, x->new), &run->perf) == -1) {
			log_warn("%s", run->perf.error);
			if (begun)
				step_end(run, "failed", "not read");
			return;
		}
		if (!perf_on(run) || (down = perf_down(run)) == 0) {
			if (begun)
				step_end(run, "ok", "connected");
			return;
		}
		snprintf(state, sizeof(state), "%d of %d performance "
		    "secondaries disconnected", down, run->perf.nsec);
		if (!begun) {
			step_begin(run, "wait-performance", x->new->url, "wait "
			    "until the performance secondaries reconnect to "
			    "the %s", x->new->label);
			wait_begin(&wp, "performance wait", "performance",
			    c->ready_timeout);
			begun = 1;
		}
		if (retry_now_ms() >= deadline || lock_keep(run) == -1)
			break;
		wait_progress(run, &wp, state, 0);
		if (wait_sleep(run, &wp, c->poll_interval) == -1) {
			step_end(run, "stopped", "%s", state);
			return;
		}
	}
	step_end(run, "warning", "%s", state);
	new_cluster_addr(x, addr, sizeof(addr));
	for (k = 0; k < run->perf.nsec; k++) {
		const struct vault_perf_secondary *s = &run->perf.sec[k];

		if (vault_perf_connected(s) != 0)
			continue;
		vault_perf_fix(s, addr, cmd, sizeof(cmd));
		log_warn("performance secondary %s is not connected to the new "
		    "performance primary %s after %.0f s; vaultdr leaves it "
		    "alone: to re-point it, run %s", s->id, x->new->url,
		    c->ready_timeout, cmd);
	}
}

void
perf_final(struct exec *x, int code)
{
	char keep[2048];

	if (x->run->o->cmd == DR_STATUS || !world_is_mode(x->new, "primary") ||
	    world_is_mode(x->old, "primary"))
		return;
	snprintf(keep, sizeof(keep), "%s", err_get());
	if (x->attempted && (code == EXIT_DONE || code == EXIT_PARTIAL))
		perf_wait(x);
	else
		perf_read(x->run, x->w);
	if (keep[0])
		err_set("%s", keep);
	else
		err_clear();
}
