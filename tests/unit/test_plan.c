/* test_plan.c - the planner and the rollback decision as tables of
 * made-up worlds (DESIGN.md "Step order", Safety 2, 3, 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "t.h"

#define A_DNS "vault-a.lb.example"
#define B_DNS "vault-b.lb.example"

/* One cluster: DR mode and state, how its read failed, its secondary_id,
 * and the one secondary id it knows (as a primary). */
struct cl {
	const char *mode, *state;
	enum vault_fail fail;
	const char *sid, *knows;
	const char *cluster_id;
	const char *conn; /* primaries[0].connection_status, NULL not shown */
};

#define PRI(knows) { "primary", "running", VF_NONE, "", knows, NULL, NULL }
#define PRI_SETTLING { "primary", "", VF_NONE, "", NULL, NULL, NULL }
#define SEC(state, id) { "secondary", state, VF_NONE, id, NULL, NULL, NULL }
#define SEC_CONN(state, id, conn) \
	{ "secondary", state, VF_NONE, id, NULL, NULL, conn }
#define DOWN { "", "", VF_UNREACHABLE, "", NULL, NULL, NULL }
#define GARBLED { "", "", VF_BAD_REPLY, "", NULL, NULL, NULL }
#define DISABLED { "disabled", "", VF_NONE, "", NULL, NULL, NULL }
#define OTHER_SET { "primary", "running", VF_NONE, "", NULL, "other-set", NULL }

/* rec: "a" / "b" names that cluster, "" absent, NULL unreadable, else a
 * value naming neither. */
struct world_spec {
	struct cl a, b;
	const char *rec;
	enum lock_seen lock;
};

static char *known[2][1];

static void
build(const struct world_spec *ws, struct world *w)
{
	const struct cl *cl[2] = { &ws->a, &ws->b };
	static const char *const urls[2] = { "https://a.example:8200",
		"https://b.example:8200" };
	static const char *const targets[2] = { A_DNS, B_DNS };
	int k;

	memset(w, 0, sizeof(*w));
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w->side[k];
		s->role = k;
		s->url = urls[k];
		s->target = targets[k];
		snprintf(s->label, sizeof(s->label), "%s cluster %s",
		    k ? "secondary" : "primary", urls[k]);
		s->st.fail = cl[k]->fail;
		s->st.reachable = cl[k]->fail == VF_NONE ||
		    cl[k]->fail == VF_BAD_REPLY;
		if (cl[k]->fail != VF_NONE)
			snprintf(s->st.error, sizeof(s->st.error), "injected");
		snprintf(s->st.mode, sizeof(s->st.mode), "%s", cl[k]->mode);
		snprintf(s->st.state, sizeof(s->st.state), "%s", cl[k]->state);
		snprintf(s->st.secondary_id, sizeof(s->st.secondary_id), "%s",
		    cl[k]->sid);
		snprintf(s->st.cluster_id, sizeof(s->st.cluster_id), "%s",
		    cl[k]->cluster_id ? cl[k]->cluster_id : "set-1");
		if (cl[k]->knows) {
			known[k][0] = (char *)cl[k]->knows;
			s->st.known_secondaries = known[k];
			s->st.nknown = 1;
		}
		s->st.last_wal = s->st.last_remote_wal = -1;
		if (cl[k]->conn)
			snprintf(s->st.primary_conn, sizeof(s->st.primary_conn),
			    "%s", cl[k]->conn);
	}
	if (ws->rec) {
		w->rec_ok = 1;
		w->rec_found = ws->rec[0] != '\0';
		w->rec_value = (char *)(strcmp(ws->rec, "a") == 0 ? A_DNS :
		    strcmp(ws->rec, "b") == 0 ? B_DNS : ws->rec);
	} else
		snprintf(w->rec_error, sizeof(w->rec_error), "injected");
	w->lock = ws->lock;
	if (ws->lock == LOCK_HELD || ws->lock == LOCK_EXPIRED) {
		snprintf(w->lock_owner, sizeof(w->lock_owner), "owner=ops@bastion "
		    "pid=4242 cmd=failover env=test");
		w->lock_expires = 1900000000;
	}
	if (ws->lock == LOCK_UNREADABLE)
		snprintf(w->lock_error, sizeof(w->lock_error), "injected");
}

#define FULL (ST_DEMOTE | ST_PROMOTE | ST_READY | ST_CNAME | ST_REATTACH)

/* The state before a failover: a primary, b its streaming secondary. */
#define START PRI("sid-b"), SEC("stream-wals", "sid-b")
/* After a failover: b primary, a its streaming secondary. */
#define SWITCHED SEC("stream-wals", "sid-a"), PRI("sid-a")

static const struct { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	const char *name;
	enum dr_cmd cmd;
	int primary_down, no_lock;
	struct world_spec w;
	unsigned steps;
	int verdict, exit_code;
	const char *why; /* substring of p.why, or NULL */
} plans[] = {
	{ "planned failover", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, FULL, -1, EXIT_DONE, NULL },
	{ "failover done", DR_FAILOVER, 0, 0,
	  { SWITCHED, "b", LOCK_FREE }, 0, -1, EXIT_DONE, NULL },
	{ "failover done, lock never read", DR_FAILOVER, 0, 0,
	  { SWITCHED, "b", LOCK_UNREAD }, 0, -1, EXIT_DONE, NULL },
	{ "attached, not streaming yet", DR_FAILOVER, 0, 0,
	  { SEC("merkle-sync", "sid-a"), PRI("sid-a"), "b", LOCK_OURS },
	  ST_STREAM, -1, EXIT_DONE, NULL },
	{ "streaming and connected", DR_FAILOVER, 0, 0,
	  { SEC_CONN("stream-wals", "sid-a", "connected"), PRI("sid-a"), "b",
	    LOCK_OURS }, 0, -1, EXIT_DONE, NULL },
	{ "stream-wals but disconnected: wait", DR_FAILOVER, 0, 0,
	  { SEC_CONN("stream-wals", "sid-a", "disconnected"), PRI("sid-a"), "b",
	    LOCK_OURS }, ST_STREAM, -1, EXIT_DONE, NULL },
	{ "demoted, idle with a stale id", DR_FAILOVER, 0, 0,
	  { SEC("idle", "sid-a"), PRI("sid-a"), "b", LOCK_OURS },
	  ST_READY | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "demoted, id unknown to the new primary", DR_FAILOVER, 0, 0,
	  { SEC("connecting", "sid-a"), PRI("sid-x"), "b", LOCK_OURS },
	  ST_READY | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "promoted, CNAME not moved", DR_FAILOVER, 0, 0,
	  { SEC("idle", ""), PRI(NULL), "a", LOCK_OURS },
	  ST_READY | ST_CNAME | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "new primary still settling", DR_FAILOVER, 0, 0,
	  { SEC("stream-wals", "sid-a"), PRI_SETTLING, "b", LOCK_OURS },
	  ST_READY | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "both DR secondaries (old demoted)", DR_FAILOVER, 0, 0,
	  { SEC("idle", "sid-b"), SEC("stream-wals", "sid-b"), "a", LOCK_FREE },
	  ST_PROMOTE | ST_READY | ST_CNAME | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "two primaries, CNAME names new: demote old", DR_FAILOVER, 0, 0,
	  { PRI(NULL), PRI(NULL), "b", LOCK_FREE },
	  ST_DEMOTE | ST_READY | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "two primaries, CNAME names old: refuse", DR_FAILOVER, 0, 0,
	  { PRI(NULL), PRI(NULL), "a", LOCK_FREE }, 0, EXIT_FAILED,
	  EXIT_FAILED, "both clusters are DR primaries" },
	{ "two primaries, CNAME unreadable: refuse", DR_FAILOVER, 0, 0,
	  { PRI(NULL), PRI(NULL), NULL, LOCK_FREE }, 0, EXIT_FAILED,
	  EXIT_FAILED, "an unreadable record" },
	{ "two primaries, failback, CNAME names a", DR_FAILBACK, 0, 0,
	  { PRI(NULL), PRI(NULL), "a", LOCK_FREE },
	  ST_DEMOTE | ST_READY | ST_REATTACH, -1, EXIT_DONE, NULL },
	{ "old unreachable: refuse without --primary-down", DR_FAILOVER, 0, 0,
	  { DOWN, SEC("stream-wals", "sid-b"), "a", LOCK_FREE }, 0,
	  EXIT_REFUSED, EXIT_REFUSED, "--primary-down" },
	{ "old unreachable, --primary-down", DR_FAILOVER, 1, 0,
	  { DOWN, SEC("stream-wals", "sid-b"), "a", LOCK_FREE },
	  ST_PROMOTE | ST_READY | ST_CNAME, -1, EXIT_PARTIAL, "re-run" },
	{ "old unreachable, new already primary", DR_FAILOVER, 0, 0,
	  { DOWN, PRI(NULL), "b", LOCK_FREE }, 0, -1, EXIT_PARTIAL, "re-run" },
	{ "old unreachable, new primary, CNAME old", DR_FAILOVER, 0, 0,
	  { DOWN, PRI(NULL), "a", LOCK_FREE }, ST_READY | ST_CNAME, -1,
	  EXIT_PARTIAL, NULL },
	{ "new unreachable", DR_FAILOVER, 1, 0,
	  { PRI("sid-b"), DOWN, "a", LOCK_FREE }, 0, EXIT_FAILED, EXIT_FAILED,
	  "cannot be read" },
	{ "old answers garbage (not down)", DR_FAILOVER, 1, 0,
	  { GARBLED, SEC("stream-wals", "sid-b"), "a", LOCK_FREE }, 0,
	  EXIT_FAILED, EXIT_FAILED, "cannot be read" },
	{ "new not in a DR pair", DR_FAILOVER, 0, 0,
	  { PRI(NULL), DISABLED, "a", LOCK_FREE }, 0, EXIT_FAILED,
	  EXIT_FAILED, "DR mode 'disabled'" },
	{ "two DR sets", DR_FAILOVER, 0, 0,
	  { OTHER_SET, SEC("stream-wals", "sid-b"), "a", LOCK_FREE }, 0,
	  EXIT_FAILED, EXIT_FAILED, "not one DR set" },
	{ "record unreadable", DR_FAILOVER, 0, 0,
	  { START, NULL, LOCK_FREE }, 0, EXIT_FAILED, EXIT_FAILED,
	  "cannot read the Route 53 record" },
	{ "record unreadable, otherwise done", DR_FAILOVER, 0, 0,
	  { SWITCHED, NULL, LOCK_FREE }, 0, EXIT_FAILED, EXIT_FAILED,
	  "cannot read the Route 53 record" },
	{ "record absent: refused without --create-record", DR_FAILOVER, 0, 0,
	  { SWITCHED, "", LOCK_FREE }, 0, EXIT_USAGE, EXIT_USAGE,
	  "--create-record" },
	{ "record names neither", DR_FAILOVER, 0, 0,
	  { SWITCHED, "elsewhere.example", LOCK_FREE }, ST_CNAME | ST_READY,
	  -1, EXIT_DONE, NULL },
	{ "lock held: refuse", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_HELD }, 0, EXIT_REFUSED, EXIT_REFUSED,
	  "owner=ops@bastion" },
	{ "lock held, nothing to do", DR_FAILOVER, 0, 0,
	  { SWITCHED, "b", LOCK_HELD }, 0, -1, EXIT_DONE, NULL },
	{ "lock held, --no-lock", DR_FAILOVER, 0, 1,
	  { START, "a", LOCK_HELD }, FULL, -1, EXIT_DONE, NULL },
	{ "lock expired: taken over", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_EXPIRED }, FULL, -1, EXIT_DONE, NULL },
	{ "lock unreadable", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_UNREADABLE }, 0, EXIT_FAILED, EXIT_FAILED,
	  "run lock" },
	{ "lock held, only waiting for streaming", DR_FAILOVER, 0, 0,
	  { SEC("merkle-sync", "sid-a"), PRI("sid-a"), "b", LOCK_HELD },
	  ST_STREAM, -1, EXIT_DONE, NULL },
	{ "failback after failover", DR_FAILBACK, 0, 0,
	  { SWITCHED, "b", LOCK_FREE }, FULL, -1, EXIT_DONE, NULL },
	{ "failback already there", DR_FAILBACK, 0, 0,
	  { START, "a", LOCK_FREE }, 0, -1, EXIT_DONE, NULL },
	{ "failback, old (b) unreachable", DR_FAILBACK, 0, 0,
	  { SEC("idle", ""), DOWN, "b", LOCK_FREE }, 0, EXIT_REFUSED,
	  EXIT_REFUSED, "--primary-down" },
};

static void
plan_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		struct plan_opts po = { plans[i].primary_down, plans[i].no_lock,
			"vault.example", 0, 0 };
		struct world w;
		struct plan p;
		int ok;

		build(&plans[i].w, &w);
		plan_make(&w, plans[i].cmd, &po, &p);
		ok = CHECK(p.steps == plans[i].steps);
		ok &= CHECK(p.verdict == plans[i].verdict);
		ok &= CHECK(p.exit_code == plans[i].exit_code);
		if (plans[i].why)
			ok &= CHECK(strstr(p.why, plans[i].why) != NULL);
		if (!ok)
			fprintf(stderr, "  case '%s': steps 0x%x (want 0x%x), "
			    "verdict %d, exit %d: %s\n", plans[i].name, p.steps,
			    plans[i].steps, p.verdict, p.exit_code, p.why);
		/* The planner never promotes while the old primary is one. */
		if (p.steps & ST_PROMOTE)
			CHECK(!world_is_mode(world_old(&w, plans[i].cmd),
			    "primary") || (p.steps & ST_DEMOTE));
	}
}

static const struct { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	const char *name;
	enum dr_cmd cmd;
	int in_doubt;
	struct cl a, b;
	enum rollback want;
} rollbacks[] = {
	{ "new still secondary, old demoted", DR_FAILOVER, 0,
	  SEC("idle", ""), SEC("stream-wals", "sid-b"), RB_PROMOTE_OLD },
	{ "new unreadable", DR_FAILOVER, 0, SEC("idle", ""), DOWN,
	  RB_NEW_UNREADABLE },
	{ "new answers garbage", DR_FAILOVER, 0, SEC("idle", ""), GARBLED,
	  RB_NEW_UNREADABLE },
	{ "new is primary after all", DR_FAILOVER, 0, SEC("idle", ""), PRI(NULL),
	  RB_NEW_PRIMARY },
	{ "new in another mode", DR_FAILOVER, 0, SEC("idle", ""), DISABLED,
	  RB_NEW_OTHER },
	{ "old still primary", DR_FAILOVER, 0, PRI("sid-b"),
	  SEC("stream-wals", "sid-b"), RB_OLD_NOT_DEMOTED },
	{ "old unreachable", DR_FAILOVER, 0, DOWN, SEC("stream-wals", "sid-b"),
	  RB_OLD_NOT_DEMOTED },
	{ "failback: a still secondary, b demoted", DR_FAILBACK, 0,
	  SEC("stream-wals", "sid-a"), SEC("idle", ""), RB_PROMOTE_OLD },
	{ "failback: a primary", DR_FAILBACK, 0, PRI(NULL), SEC("idle", ""),
	  RB_NEW_PRIMARY },
	{ "new promote in doubt: never promote old", DR_FAILOVER, 1,
	  SEC("idle", ""), SEC("stream-wals", "sid-b"), RB_NEW_IN_DOUBT },
	{ "in doubt, and new primary", DR_FAILOVER, 1, SEC("idle", ""),
	  PRI(NULL), RB_NEW_PRIMARY },
};

static void
rollback_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rollbacks) / sizeof(rollbacks[0]); i++) {
		struct world_spec ws = { rollbacks[i].a, rollbacks[i].b, "a",
			LOCK_OURS };
		struct world w;
		char why[512] = "";
		enum rollback rb;

		build(&ws, &w);
		rb = plan_rollback(&w, rollbacks[i].cmd, rollbacks[i].in_doubt,
		    why, sizeof(why));
		if (!CHECK(rb == rollbacks[i].want))
			fprintf(stderr, "  case '%s': got %d, want %d (%s)\n",
			    rollbacks[i].name, rb, rollbacks[i].want, why);
		CHECK(why[0] != '\0');
	}
}

static void
describe_from_read(void)
{
	struct world_spec ws = { SWITCHED, "b", LOCK_FREE };
	struct world w;
	char out[600];

	build(&ws, &w);
	world_describe(&w, "vault.example", out, sizeof(out));
	CHECK_STREQ(out, "primary cluster DR secondary (stream-wals, attached), "
	    "secondary cluster DR primary (running), CNAME vault.example -> "
	    B_DNS);
	ws.a = (struct cl)DOWN;
	ws.rec = NULL;
	build(&ws, &w);
	world_describe(&w, "vault.example", out, sizeof(out));
	CHECK(strstr(out, "primary cluster unreadable") != NULL);
	CHECK(strstr(out, "could not be read") != NULL);
}

/* ---- the rules of issue 16: preflight, gate, version (Safety 4, 5) ---- */

static void tw_none(struct world *w) { (void)w; }
static void tw_b_disconnected(struct world *w)
{
	snprintf(w->side[1].st.primary_conn, sizeof(w->side[1].st.primary_conn),
	    "disconnected");
}
static void tw_b_corrupt(struct world *w)
{
	w->side[1].st.corrupted_merkle_tree = 1;
}
static void tw_lag(struct world *w)
{
	w->side[0].st.last_wal = 1300;
	w->side[0].st.last_dr_wal = 1290;
	w->side[1].st.last_remote_wal = 1250;
}
static void tw_lag_no_dr_wal(struct world *w)
{
	w->side[0].st.last_wal = 1300;
	w->side[0].st.last_dr_wal = -1;
	w->side[1].st.last_remote_wal = 1250;
}
static void tw_b_newer(struct world *w)
{
	snprintf(w->side[0].st.version, 64, "1.15.2+ent");
	snprintf(w->side[1].st.version, 64, "1.16.0+ent");
}
static void tw_a_newer(struct world *w)
{
	snprintf(w->side[0].st.version, 64, "1.16.0+ent");
	snprintf(w->side[1].st.version, 64, "1.15.2+ent");
}
static void tw_rec_alias(struct world *w)
{
	snprintf(w->rec_bad, sizeof(w->rec_bad), "vault.example holds alias A");
}
static void tw_outside(struct world *w)
{
	w->zone = ZONE_OUTSIDE;
	snprintf(w->zone_name, sizeof(w->zone_name), "other.example.");
}
static void tw_inside(struct world *w)
{
	w->zone = ZONE_INSIDE;
}
static void tw_rejected(struct world *w)
{
	w->rec_ok = 0;
	w->rec_rejected = 1;
	snprintf(w->rec_error, sizeof(w->rec_error), "SignatureDoesNotMatch");
}
static void tw_same_cluster(struct world *w)
{
	snprintf(w->side[0].st.health_cluster_id, 96, "c-1");
	snprintf(w->side[1].st.health_cluster_id, 96, "c-1");
}
static void tw_own_ids(struct world *w)
{
	snprintf(w->side[0].st.health_cluster_id, 96, "c-1");
	snprintf(w->side[1].st.health_cluster_id, 96, "c-2");
	snprintf(w->side[0].st.health_cluster_name, 128, "same-name");
	snprintf(w->side[1].st.health_cluster_name, 128, "same-name");
}
static void tw_same_name_no_id(struct world *w)
{
	snprintf(w->side[0].st.health_cluster_name, 128, "vault-x");
	snprintf(w->side[1].st.health_cluster_name, 128, "vault-x");
}

#define NOREATTACH (ST_DEMOTE | ST_PROMOTE | ST_READY | ST_CNAME)

static const struct { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	const char *name;
	enum dr_cmd cmd;
	int accept, create;
	struct world_spec w;
	void (*tweak)(struct world *);
	unsigned steps;
	int verdict, exit_code;
	const char *why;     /* substring of p.why, or NULL */
	int gate_failed;
	long long lag;       /* -2: not checked */
} rules[] = {
	{ "gate passes", DR_FAILOVER, 0, 0, { START, "a", LOCK_FREE },
	  tw_none, FULL, -1, EXIT_DONE, NULL, 0, -2 },
	{ "gate: merkle-sync refused", DR_FAILOVER, 0, 0,
	  { PRI("sid-b"), SEC("merkle-sync", "sid-b"), "a", LOCK_FREE },
	  tw_none, 0, EXIT_REFUSED, EXIT_REFUSED, "merkle-sync, not "
	  "stream-wals", 0, -2 },
	{ "gate: disconnected refused", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_b_disconnected, 0, EXIT_REFUSED,
	  EXIT_REFUSED, "not connected", 0, -2 },
	{ "gate: corrupted merkle tree refused", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_b_corrupt, 0, EXIT_REFUSED,
	  EXIT_REFUSED, "corrupted merkle tree", 0, -2 },
	{ "gate: old does not list the secondary", DR_FAILOVER, 0, 0,
	  { PRI("sid-x"), SEC("stream-wals", "sid-b"), "a", LOCK_FREE },
	  tw_none, 0, EXIT_REFUSED, EXIT_REFUSED, "does not list", 0, -2 },
	{ "gate fails, --accept-data-loss", DR_FAILOVER, 1, 0,
	  { START, "a", LOCK_FREE }, tw_b_disconnected, FULL, -1, EXIT_DONE,
	  NULL, 1, -2 },
	{ "gate: lag from last_dr_wal", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_lag, FULL, -1, EXIT_DONE, NULL, 0,
	  40 },
	{ "gate: lag from last_wal", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_lag_no_dr_wal, FULL, -1, EXIT_DONE,
	  NULL, 0, 50 },
	{ "gate not applied once old is demoted", DR_FAILOVER, 0, 0,
	  { SEC("idle", ""), SEC("merkle-sync", "sid-b"), "a", LOCK_OURS },
	  tw_none, ST_PROMOTE | ST_READY | ST_CNAME | ST_REATTACH, -1,
	  EXIT_DONE, NULL, 0, -2 },
	{ "version: new primary newer, no re-attach", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_b_newer, NOREATTACH, -1, EXIT_PARTIAL,
	  "Upgrade the old cluster", 0, -2 },
	{ "version: new primary older is fine", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_a_newer, FULL, -1, EXIT_DONE, NULL, 0,
	  -2 },
	{ "version: failback onto the newer one", DR_FAILBACK, 0, 0,
	  { SWITCHED, "b", LOCK_FREE }, tw_b_newer, FULL, -1, EXIT_DONE, NULL,
	  0, -2 },
	{ "version: promoted, old left idle: exit 3", DR_FAILOVER, 0, 0,
	  { SEC("idle", ""), PRI(NULL), "b", LOCK_OURS }, tw_b_newer, 0, -1,
	  EXIT_PARTIAL, "newer than", 0, -2 },
	{ "version: already streaming (upgraded) is done", DR_FAILOVER, 0, 0,
	  { SWITCHED, "b", LOCK_FREE }, tw_b_newer, 0, -1, EXIT_DONE, NULL, 0,
	  -2 },
	{ "record: alias at the name refused", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_rec_alias, 0, EXIT_USAGE, EXIT_USAGE,
	  "record check", 0, -2 },
	{ "record: alias, nothing to do", DR_FAILOVER, 0, 0,
	  { SWITCHED, "b", LOCK_FREE }, tw_rec_alias, 0, -1, EXIT_DONE, NULL,
	  0, -2 },
	{ "record: absent with --create-record", DR_FAILOVER, 0, 1,
	  { SWITCHED, "", LOCK_FREE }, tw_none, ST_CNAME | ST_READY, -1,
	  EXIT_DONE, NULL, 0, -2 },
	{ "record: other stuff with --create-record", DR_FAILOVER, 0, 1,
	  { START, "", LOCK_FREE }, tw_rec_alias, 0, EXIT_USAGE, EXIT_USAGE,
	  "record check", 0, -2 },
	{ "zone: name outside", DR_FAILOVER, 0, 0, { START, "a", LOCK_FREE },
	  tw_outside, 0, EXIT_USAGE, EXIT_USAGE, "zone check", 0, -2 },
	{ "zone: name inside", DR_FAILOVER, 0, 0, { START, "a", LOCK_FREE },
	  tw_inside, FULL, -1, EXIT_DONE, NULL, 0, -2 },
	{ "Route 53 refused the read", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_rejected, 0, EXIT_USAGE, EXIT_USAGE,
	  "Route 53 check", 0, -2 },
	{ "same cluster behind both URLs", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_same_cluster, 0, EXIT_USAGE,
	  EXIT_USAGE, "cluster identity", 0, -2 },
	{ "same name, own ids", DR_FAILOVER, 0, 0, { START, "a", LOCK_FREE },
	  tw_own_ids, FULL, -1, EXIT_DONE, NULL, 0, -2 },
	{ "same name, no ids shown", DR_FAILOVER, 0, 0,
	  { START, "a", LOCK_FREE }, tw_same_name_no_id, 0, EXIT_USAGE,
	  EXIT_USAGE, "cluster identity", 0, -2 },
};

static void
rules_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct plan_opts po = { 0, 0, "vault.example", rules[i].accept,
			rules[i].create };
		struct world w;
		struct plan p;
		int ok;

		build(&rules[i].w, &w);
		w.side[0].st.last_dr_wal = -1;
		w.side[0].st.corrupted_merkle_tree = -1;
		if (!w.side[1].st.corrupted_merkle_tree)
			w.side[1].st.corrupted_merkle_tree = 0;
		rules[i].tweak(&w);
		plan_make(&w, rules[i].cmd, &po, &p);
		ok = CHECK(p.steps == rules[i].steps);
		ok &= CHECK(p.verdict == rules[i].verdict);
		ok &= CHECK(p.exit_code == rules[i].exit_code);
		ok &= CHECK(p.gate_failed == rules[i].gate_failed);
		if (rules[i].why)
			ok &= CHECK(strstr(p.why, rules[i].why) != NULL);
		if (rules[i].lag != -2)
			ok &= CHECK(p.lag == rules[i].lag);
		if (!ok)
			fprintf(stderr, "  case '%s': steps 0x%x (want 0x%x), "
			    "verdict %d, exit %d, lag %lld: %s\n", rules[i].name,
			    p.steps, rules[i].steps, p.verdict, p.exit_code,
			    p.lag, p.why);
	}
}

static void
gate_words(void)
{
	struct world_spec ws = { START, "a", LOCK_FREE };
	struct world w;
	char why[512];
	long long lag;

	build(&ws, &w);
	w.side[1].st.corrupted_merkle_tree = -1;
	CHECK(plan_gate(&w, DR_FAILOVER, why, sizeof(why), &lag) == 1);
	CHECK(lag == -1);
	CHECK(strstr(why, "merkle tree not checked") != NULL);
	CHECK(strstr(why, "lag not checked") != NULL);
	/* failback: a is not a secondary of b */
	CHECK(plan_gate(&w, DR_FAILBACK, why, sizeof(why), &lag) == 0);
	tw_lag(&w);
	CHECK(plan_gate(&w, DR_FAILOVER, why, sizeof(why), &lag) == 1);
	CHECK(lag == 40 && strstr(why, "40 WALs behind") != NULL);
	w.side[1].st.last_remote_wal = 1400; /* ahead: 0, never negative */
	CHECK(plan_gate(&w, DR_FAILOVER, why, sizeof(why), &lag) == 1);
	CHECK(lag == 0);
}

static void
record_shapes(void)
{
	static char *one[] = { "vault-a.lb.example." };
	static char *two[] = { "10.0.0.1", "10.0.0.2" };
	static char sid[] = "blue", fo[] = "PRIMARY", hc[] = "hc-1";
	static const struct { /* NOLINT */
		const char *name;
		struct r53_rrset s[2];
		size_t n;
		int found;
		const char *bad; /* substring, or NULL: no problem */
	} t[] = {
		{ "nothing there", { { 0 } }, 0, 0, NULL },
		{ "one simple CNAME", { { .type = "CNAME", .ttl = 60,
		  .values = one, .nvalues = 1 } }, 1, 1, NULL },
		{ "A record", { { .type = "A", .ttl = 60, .values = two,
		  .nvalues = 2 } }, 1, 0, "A (several values)" },
		{ "alias A", { { .type = "A", .ttl = -1, .alias = 1 } }, 1, 0,
		  "alias A" },
		{ "weighted CNAME", { { .type = "CNAME", .ttl = 60,
		  .values = one, .nvalues = 1, .set_id = sid, .has_weight = 1,
		  .weight = 10 } }, 1, 0, "SetIdentifier blue (weighted)" },
		{ "failover CNAME", { { .type = "CNAME", .ttl = 60,
		  .values = one, .nvalues = 1, .set_id = sid, .failover = fo } },
		  1, 0, "(failover)" },
		{ "health-checked CNAME", { { .type = "CNAME", .ttl = 60,
		  .values = one, .nvalues = 1, .health_check = hc } }, 1, 0,
		  "health check" },
		{ "CNAME and TXT", { { .type = "CNAME", .ttl = 60,
		  .values = one, .nvalues = 1 }, { .type = "TXT", .ttl = 60,
		  .values = one, .nvalues = 1 } }, 2, 0, "CNAME, TXT" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char bad[512], *value = NULL;
		long ttl = 0;
		int found = -1;

		CHECK(plan_record_shape(t[i].s, t[i].n, "vault.example",
		    &found, &value, &ttl, bad, sizeof(bad)) == 0);
		if (!CHECK(found == t[i].found) || !CHECK(t[i].bad ?
		    strstr(bad, t[i].bad) != NULL : bad[0] == '\0'))
			fprintf(stderr, "  case '%s': found %d, bad '%s'\n",
			    t[i].name, found, bad);
		if (found) {
			CHECK_STREQ(value, "vault-a.lb.example");
			CHECK(ttl == 60);
		}
		free(value);
	}
}

void
suite_plan(void)
{
	T_RUN(plan_table);
	T_RUN(rollback_table);
	T_RUN(describe_from_read);
	T_RUN(rules_table);
	T_RUN(gate_words);
	T_RUN(record_shapes);
}
