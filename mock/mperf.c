/* mperf.c - the mock's performance replication: the DR set as a
 * performance primary with performance secondaries (scenario section
 * "performance", see vaultdr-mock.1), its sys/replication/performance/status
 * on each cluster, and what a DR promote or demote does to the performance
 * secondaries' connections. vaultdr only reports them; nothing here is
 * changed by a request but promote and demote. Runs with M.mu held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"

#define PERF_MAX 16
#define PERF_CLUSTER_ID "7e1c9a52-perf-4d0b-9f3e-mock00000001"

/* One performance secondary of the DR set. */
struct psec {
	char *id, *api_address;
	int reconnect;          /* on_switch "reconnect": follows a promote */
	long delay_ms;          /* reconnect_delay_ms */
	int up;                 /* cluster it is connected to, -1 none */
	int target;             /* cluster it reconnects to, -1 none */
	long long at;           /* monotonic ms the reconnect lands */
};

static struct {
	int enabled;            /* performance.mode "primary" */
	struct psec s[PERF_MAX];
	int n;
} P;

int
mperf_key_allowed(const char *path)
{
	static const char *const ok[] = { "performance", "performance.mode",
		"performance.secondaries", "performance.secondaries[].id",
		"performance.secondaries[].api_address",
		"performance.secondaries[].connected",
		"performance.secondaries[].on_switch",
		"performance.secondaries[].reconnect_delay_ms", NULL };
	int i;

	for (i = 0; ok[i]; i++)
		if (strcmp(path, ok[i]) == 0)
			return 1;
	return 0;
}

/* The cluster that is DR primary at load, or -1. */
static int
dr_primary(void)
{
	return M.cl[0].primary ? 0 : M.cl[1].primary ? 1 : -1;
}

static int
load_secondary(const struct json *j, int e, struct psec *s, char *why,
    size_t whysz)
{
	char *sw = NULL, def[300];
	long long d = 0;
	int conn = 1, rc = -1;

	memset(s, 0, sizeof(*s));
	s->up = s->target = -1;
	if (json_get_str(j, e, "id", &s->id) != 0 || s->id[0] == '\0') {
		snprintf(why, whysz, "performance.secondaries[].id: must be a "
		    "non-empty string");
		goto out;
	}
	if (json_find(j, e, "api_address") >= 0 &&
	    json_get_str(j, e, "api_address", &s->api_address) != 0) {
		snprintf(why, whysz, "performance.secondaries[].api_address: "
		    "must be a string");
		goto out;
	}
	if (s->api_address == NULL) {
		snprintf(def, sizeof(def), "https://%s.example.com:8200",
		    s->id);
		s->api_address = strdup(def);
	}
	if (json_find(j, e, "connected") >= 0 &&
	    json_get_bool(j, e, "connected", &conn) != 0) {
		snprintf(why, whysz, "performance.secondaries[].connected: "
		    "must be true or false");
		goto out;
	}
	if (json_find(j, e, "reconnect_delay_ms") >= 0 &&
	    (json_get_i64(j, e, "reconnect_delay_ms", &d) != 0 || d < 0 ||
	    d > 3600000)) {
		snprintf(why, whysz, "performance.secondaries[]."
		    "reconnect_delay_ms: must be an integer from 0 to 3600000");
		goto out;
	}
	s->delay_ms = (long)d;
	s->reconnect = 1;
	if (json_find(j, e, "on_switch") >= 0) {
		if (json_get_str(j, e, "on_switch", &sw) != 0 ||
		    (strcmp(sw, "reconnect") && strcmp(sw, "stay-disconnected"))) {
			snprintf(why, whysz, "performance.secondaries[]."
			    "on_switch: must be \"reconnect\" or "
			    "\"stay-disconnected\"");
			goto out;
		}
		s->reconnect = strcmp(sw, "reconnect") == 0;
	}
	if (conn)
		s->up = dr_primary();
	rc = 0;
out:
	free(sw);
	return rc;
}

int
mperf_load(const struct json *j, char *why, size_t whysz)
{
	char *mode = NULL;
	int arr, i, n;

	if (j == NULL || json_find(j, 0, "performance") < 0)
		return 0;
	if (json_find(j, 0, "performance.mode") >= 0) {
		if (json_get_str(j, 0, "performance.mode", &mode) != 0 ||
		    (strcmp(mode, "primary") && strcmp(mode, "disabled"))) {
			free(mode);
			snprintf(why, whysz, "performance.mode: must be "
			    "\"primary\" or \"disabled\"");
			return -1;
		}
		P.enabled = strcmp(mode, "primary") == 0;
		free(mode);
	} else
		P.enabled = 1;
	arr = json_find(j, 0, "performance.secondaries");
	n = arr >= 0 ? json_array_len(j, arr) : 0;
	if (n < 0 || n > PERF_MAX) {
		snprintf(why, whysz, "performance.secondaries: must be an array "
		    "of at most %d objects", PERF_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		int e = json_array_elem(j, arr, i);

		if (json_type_at(j, e) != JSON_OBJECT) {
			snprintf(why, whysz, "performance.secondaries[]: must "
			    "be objects");
			return -1;
		}
		if (load_secondary(j, e, &P.s[P.n], why, whysz) == -1)
			return -1;
		P.n++;
	}
	return 0;
}

/* Lands reconnects that are due. */
static void
settle(void)
{
	long long now = mono_ms();
	int k;

	for (k = 0; k < P.n; k++)
		if (P.s[k].target >= 0 && now >= P.s[k].at) {
			P.s[k].up = P.s[k].target;
			P.s[k].target = -1;
		}
}

void
mperf_on_demote(int i)
{
	int k;

	settle();
	for (k = 0; k < P.n; k++) {
		if (P.s[k].up == i)
			P.s[k].up = -1;
		if (P.s[k].target == i)
			P.s[k].target = -1;
	}
}

void
mperf_on_promote(int i)
{
	int k;

	settle();
	for (k = 0; P.enabled && k < P.n; k++)
		if (P.s[k].reconnect && P.s[k].up != i) {
			P.s[k].up = -1;
			P.s[k].target = i;
			P.s[k].at = mono_ms() + P.s[k].delay_ms;
		}
	settle();
}

const char *
mperf_mode(int i)
{
	return P.enabled && M.cl[i].primary ? "primary" : "disabled";
}

void
mperf_status(int i, struct buf *b)
{
	char ts[40], addr[300];
	int k;

	settle();
	if (strcmp(mperf_mode(i), "primary") != 0) {
		buf_puts(b, "{\"mode\":\"disabled\"}");
		return;
	}
	iso8601_ms(wall_ms(), ts, sizeof(ts));
	buf_puts(b, "{\"cluster_id\":\"" PERF_CLUSTER_ID "\","
	    "\"known_secondaries\":[");
	for (k = 0; k < P.n; k++) {
		if (k)
			buf_puts(b, ",");
		json_append_str(b, P.s[k].id);
	}
	buf_printf(b, "],\"last_wal\":%lld,\"merkle_root\":"
	    "\"0b9e4c7d2a1f3e5d6c8b9a0f1e2d3c4b5a697887\",\"mode\":\"primary\","
	    "\"primary_cluster_addr\":\"\",\"secondaries\":[",
	    M.cl[i].last_wal);
	for (k = 0; k < P.n; k++) {
		const char *h = P.s[k].api_address;

		h += strncmp(h, "https://", 8) == 0 ? 8 : 0;
		snprintf(addr, sizeof(addr), "https://%.*s:8201",
		    (int)strcspn(h, ":/"), h);
		buf_puts(b, k ? ",{\"api_address\":" : "{\"api_address\":");
		json_append_str(b, P.s[k].api_address);
		buf_puts(b, ",\"cluster_address\":");
		json_append_str(b, addr);
		buf_printf(b, ",\"connection_status\":\"%s\","
		    "\"last_heartbeat\":\"%s\",\"node_id\":", P.s[k].up == i ?
		    "connected" : "disconnected", ts);
		json_append_str(b, P.s[k].id);
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"state\":\"running\"}");
}

void
mperf_state_json(struct json_writer *w)
{
	int k;

	settle();
	json_obj_begin(w);
	json_key(w, "mode");
	json_str(w, P.enabled ? "primary" : "disabled");
	json_key(w, "secondaries");
	json_arr_begin(w);
	for (k = 0; k < P.n; k++) {
		json_obj_begin(w);
		json_key(w, "id");
		json_str(w, P.s[k].id);
		json_key(w, "connected_to");
		json_str(w, P.s[k].up >= 0 ? M.cl[P.s[k].up].name : NULL);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_obj_end(w);
}
