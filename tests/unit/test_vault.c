/* test_vault.c - the Vault client: version order, capability checks,
 * connection flags (pure), and against scripted local servers: status
 * fields, readiness polls behind a load balancer, lookup-self,
 * capabilities-self in a dry run, and how DR operation token generation
 * fails (takeover, wrong share, Vault 2.x 403, attempt status errors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "t.h"
#include "tsrv.h"
#include "vfix.h"
#include "vault.h"

/* ---- pure functions ---- */

static void
vault_version_order(void)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "1.15.2+ent", "1.15.2+ent", 0 },
		{ "1.15.2+ent", "1.15.2", 0 },
		{ "1.15.2+ent", "1.16.0+ent", -1 },
		{ "1.16.0+ent", "1.15.9+ent", 1 },
		{ "1.9.10", "1.10.0", -1 },
		{ "1.15", "1.15.0", 0 },
		{ "1.15.0.1", "1.15.0", 1 },
		{ "v1.15.2", "1.15.2+ent", 0 },
		{ "1.16.0-rc1+ent.hsm", "1.16.0+ent", -1 },
		{ "1.16.0+ent", "1.16.0-rc1+ent.hsm", 1 },
		{ "1.16.0-rc1", "1.16.0-rc2", -1 },
		{ "1.16.0-rc.2", "1.16.0-rc.10", -1 },
		{ "1.16.0-alpha", "1.16.0-alpha.1", -1 },
		{ "1.16.0-1", "1.16.0-alpha", -1 },
		{ "1.16.0-beta", "1.16.0-alpha", 1 },
		{ "1.15.2+ent.hsm.fips1402", "1.15.2+ent", 0 },
		{ "2.0.0", "1.21.4+ent", 1 },
		{ "", "1.15.2", 0 },
		{ "garbage", "1.15.2", 0 },
		{ "1.15.x", "1.15.2", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = vault_version_cmp(t[i].a, t[i].b);
		got = got < 0 ? -1 : got > 0 ? 1 : 0;
		if (!CHECK(got == t[i].want))
			fprintf(stderr, "  %s vs %s: got %d want %d\n", t[i].a,
			    t[i].b, got, t[i].want);
	}
	CHECK(vault_version_valid("1.15.2+ent"));
	CHECK(vault_version_valid("1.16.0-rc1+ent.hsm"));
	CHECK(vault_version_valid("v2.0.0"));
	CHECK(!vault_version_valid(""));
	CHECK(!vault_version_valid(NULL));
	CHECK(!vault_version_valid("1..2"));
	CHECK(!vault_version_valid("1.2-"));
	CHECK(!vault_version_valid("1.2 "));
	CHECK(!vault_version_valid("ent"));
}

static void
vault_caps_allow_table(void)
{
	CHECK(vault_caps_allow("root", "update sudo"));
	CHECK(vault_caps_allow("update", "update"));
	CHECK(vault_caps_allow("read,update,sudo", "update sudo"));
	CHECK(!vault_caps_allow("update", "update sudo"));
	CHECK(!vault_caps_allow("read,list", "update"));
	CHECK(!vault_caps_allow("deny", "update"));
	CHECK(!vault_caps_allow("root,deny", "update"));
	CHECK(!vault_caps_allow("", "update"));
	CHECK(!vault_caps_allow("updates", "update"));
	CHECK(!vault_caps_allow("update", "updates"));
	CHECK(vault_caps_allow("create,update", " update "));
}

static void
vault_connected_flags(void)
{
	struct vault_status st;

	memset(&st, 0, sizeof(st));
	CHECK(vault_status_connected(&st) == -1);
	snprintf(st.primary_conn, sizeof(st.primary_conn), "connected");
	CHECK(vault_status_connected(&st) == 1);
	snprintf(st.connection_state, sizeof(st.connection_state), "ready");
	CHECK(vault_status_connected(&st) == 1);
	snprintf(st.connection_state, sizeof(st.connection_state),
	    "disconnected");
	CHECK(vault_status_connected(&st) == 0);
	st.primary_conn[0] = '\0';
	snprintf(st.connection_state, sizeof(st.connection_state),
	    "transient_failure");
	CHECK(vault_status_connected(&st) == 0);
	snprintf(st.primary_conn, sizeof(st.primary_conn), "disconnected");
	st.connection_state[0] = '\0';
	CHECK(vault_status_connected(&st) == 0);
}

/* ---- against scripted servers ---- */

static int
req_starts(const struct vfix *f, int k, const char *prefix)
{
	return k < f->s.nreq && strncmp(f->s.req[k], prefix,
	    strlen(prefix)) == 0;
}

#define DR_SECONDARY "{\"data\":{\"cluster_id\":\"set-1\"," \
	"\"connection_state\":\"ready\",\"corrupted_merkle_tree\":false," \
	"\"last_remote_wal\":1195,\"merkle_root\":\"abc123\"," \
	"\"mode\":\"secondary\",\"primaries\":[{\"connection_status\":" \
	"\"connected\"}],\"secondary_id\":\"sec-1\",\"state\":\"stream-wals\"}}"
#define HEALTH_SECONDARY "{\"initialized\":true,\"sealed\":false," \
	"\"standby\":false,\"performance_standby\":false," \
	"\"replication_dr_mode\":\"secondary\",\"version\":\"1.15.2+ent\"," \
	"\"cluster_name\":\"vault-use1\",\"cluster_id\":\"own-b\"}"

static void
vault_observe_new_fields(void)
{
	struct tsrv_step st[4];
	struct vfix f;
	struct vault_status s;

	st[0] = (struct tsrv_step){ vfix_reply(200, DR_SECONDARY), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(472, HEALTH_SECONDARY), TSRV_KEEP };
	/* An older Vault: none of the new fields. */
	st[2] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"secondary\",\"cluster_id\":\"set-1\",\"last_remote_wal\":7}}"),
	    TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(472, "{\"sealed\":false}"),
	    TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 4) == 0))
		return;
	CHECK(vault_observe(&f.v, &s) == 0);
	CHECK_STREQ(s.connection_state, "ready");
	CHECK_STREQ(s.primary_conn, "connected");
	CHECK(s.corrupted_merkle_tree == 0);
	CHECK_STREQ(s.merkle_root, "abc123");
	CHECK(s.last_remote_wal == 1195);
	CHECK(s.last_dr_wal == -1);
	CHECK_STREQ(s.health_cluster_name, "vault-use1");
	CHECK_STREQ(s.health_cluster_id, "own-b");
	CHECK_STREQ(s.cluster_id, "set-1");
	CHECK_STREQ(s.health_dr_mode, "secondary");
	CHECK(s.standby == 0 && s.perf_standby == 0);
	CHECK(vault_status_connected(&s) == 1);
	vault_status_free(&s);

	CHECK(vault_observe(&f.v, &s) == 0);
	CHECK(s.connection_state[0] == '\0' && s.primary_conn[0] == '\0');
	CHECK(s.corrupted_merkle_tree == -1);
	CHECK(s.merkle_root[0] == '\0');
	CHECK(s.health_cluster_id[0] == '\0');
	CHECK(s.standby == -1 && s.perf_standby == -1);
	CHECK(vault_status_connected(&s) == -1);
	vault_status_free(&s);
	vfix_stop(&f);
}

#define HEALTH_PRIMARY "{\"initialized\":true,\"sealed\":false," \
	"\"standby\":false,\"replication_dr_mode\":\"primary\"}"
#define DR_PRIMARY "{\"data\":{\"mode\":\"primary\",\"state\":\"running\"}}"

static void
vault_ready_polls(void)
{
	struct tsrv_step st[8];
	struct vfix f;
	char why[256];
	int ready = -1;

	/* Each poll sends sys/health and dr/status together (one round
	 * trip); dr/status counts only when sys/health shows a ready node.
	 * A standby that ignores standbyok (an older node): not ready. */
	st[0] = (struct tsrv_step){ vfix_reply(429, "{\"standby\":true,"
	    "\"sealed\":false,\"replication_dr_mode\":\"primary\"}"),
	    TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, DR_PRIMARY), TSRV_KEEP };
	/* Healthy, but dr/status still shows the secondary. */
	st[2] = (struct tsrv_step){ vfix_reply(200, HEALTH_PRIMARY), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"secondary\",\"state\":\"stream-wals\"}}"), TSRV_KEEP };
	/* Sealed. */
	st[4] = (struct tsrv_step){ vfix_reply(503, "{\"sealed\":true,"
	    "\"replication_dr_mode\":\"unknown\"}"), TSRV_KEEP };
	st[5] = (struct tsrv_step){ vfix_reply(200, DR_PRIMARY), TSRV_KEEP };
	st[6] = (struct tsrv_step){ vfix_reply(200, HEALTH_PRIMARY), TSRV_KEEP };
	st[7] = (struct tsrv_step){ vfix_reply(200, DR_PRIMARY), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 8) == 0))
		return;
	CHECK(vault_ready(&f.v, &ready, why, sizeof(why)) == 0);
	CHECK(ready == 0);
	CHECK(strstr(why, "429") != NULL);
	CHECK(vault_ready(&f.v, &ready, why, sizeof(why)) == 0);
	CHECK(ready == 0);
	CHECK(strstr(why, "mode secondary") != NULL);
	CHECK(vault_ready(&f.v, &ready, why, sizeof(why)) == 0);
	CHECK(ready == 0);
	CHECK(strstr(why, "sealed") != NULL);
	CHECK(vault_ready(&f.v, &ready, why, sizeof(why)) == 0);
	CHECK(ready == 1);
	vfix_stop(&f);
	CHECK(req_starts(&f, 0, "GET /v1/sys/health?standbyok=true&"
	    "perfstandbyok=true HTTP/1.1"));
	CHECK(req_starts(&f, 1, "GET /v1/sys/replication/dr/status "));
	CHECK(req_starts(&f, 6, "GET /v1/sys/health?standbyok=true&"
	    "perfstandbyok=true HTTP/1.1"));
	CHECK(req_starts(&f, 7, "GET /v1/sys/replication/dr/status "));
}

static void
vault_ready_unreachable_is_a_poll(void)
{
	struct vfix f;
	struct http_client_config cfg = { 0 };
	char why[256], url[64];
	int ready = -1;

	memset(&f, 0, sizeof(f));
	cfg.connect_timeout_ms = 500;
	cfg.io_timeout_ms = 500;
	f.http = http_client_new(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", tsrv_free_port());
	f.v.label = "test cluster";
	f.v.url = url;
	f.v.http = f.http;
	f.v.token = &f.token;
	CHECK(vault_ready(&f.v, &ready, why, sizeof(why)) == 0);
	CHECK(ready == 0);
	CHECK(strstr(why, "sys/health") != NULL);
	http_client_free(f.http);
}

static void
vault_attached_polls(void)
{
	struct tsrv_step st[8];
	struct vfix f;
	struct vault newp;
	char why[256];
	int att = -1;

	/* Poll 1: the old primary is still in merkle-sync. */
	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"secondary\",\"state\":\"merkle-sync\",\"secondary_id\":"
	    "\"sec-1\",\"connection_state\":\"ready\"}}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(472, HEALTH_SECONDARY), TSRV_KEEP };
	/* Poll 2: streaming but disconnected. */
	st[2] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"secondary\",\"state\":\"stream-wals\",\"secondary_id\":"
	    "\"sec-1\",\"primaries\":[{\"connection_status\":"
	    "\"disconnected\"}]}}"), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(472, HEALTH_SECONDARY), TSRV_KEEP };
	/* Poll 3: streaming, connected, and the new primary knows it. */
	st[4] = (struct tsrv_step){ vfix_reply(200, DR_SECONDARY), TSRV_KEEP };
	st[5] = (struct tsrv_step){ vfix_reply(472, HEALTH_SECONDARY), TSRV_KEEP };
	st[6] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"primary\",\"state\":\"running\",\"known_secondaries\":"
	    "[\"other\",\"sec-1\"]}}"), TSRV_KEEP };
	st[7] = (struct tsrv_step){ vfix_reply(200, HEALTH_PRIMARY), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 8) == 0))
		return;
	newp = f.v;
	CHECK(vault_attached(&f.v, &newp, &att, why, sizeof(why)) == 0);
	CHECK(att == 0);
	CHECK(strstr(why, "merkle-sync") != NULL);
	CHECK(vault_attached(&f.v, &newp, &att, why, sizeof(why)) == 0);
	CHECK(att == 0);
	CHECK(strstr(why, "not connected: disconnected") != NULL);
	CHECK(vault_attached(&f.v, &newp, &att, why, sizeof(why)) == 0);
	CHECK(att == 1);
	CHECK(strstr(why, "sec-1") != NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 8);
}

static void
vault_lookup_self_answers(void)
{
	struct tsrv_step st[3];
	struct vfix f;
	char pol[128];
	long long ttl;
	int valid = -1;

	st[0] = (struct tsrv_step){ vfix_reply(403, "{\"errors\":[\"permission "
	    "denied\"]}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"policies\":"
	    "[\"default\",\"dr-ops\"],\"ttl\":3600,\"id\":\"hvs.unit-token\"}}"),
	    TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(400, "{\"errors\":[\"path disabled "
	    "in replication DR secondary mode\"]}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 3) == 0))
		return;
	CHECK(vault_lookup_self(&f.v, &valid, pol, sizeof(pol), &ttl) == 0);
	CHECK(valid == 0);
	CHECK(vault_lookup_self(&f.v, &valid, pol, sizeof(pol), &ttl) == 0);
	CHECK(valid == 1);
	CHECK_STREQ(pol, "default,dr-ops");
	CHECK(ttl == 3600);
	CHECK(vault_lookup_self(&f.v, &valid, pol, sizeof(pol), &ttl) == -1);
	CHECK(strstr(err_get(), "path disabled") != NULL);
	vfix_stop(&f);
	CHECK(req_starts(&f, 0, "GET /v1/auth/token/lookup-self "));
	CHECK(strstr(f.s.req[0], "X-Vault-Token: hvs.unit-token") != NULL);
}

static void
vault_capabilities_in_dry_run(void)
{
	struct tsrv_step st[1];
	struct vfix f;
	struct vault_cap c[3] = {
		{ "sys/replication/dr/primary/demote", "update", -1, "" },
		{ "sys/replication/dr/primary/secondary-token", "update sudo",
		    -1, "" },
		{ "sys/replication/dr/primary/revoke-secondary", "update", -1,
		    "" },
	};

	/* Data carries the answer; the top-level copy disagrees on purpose:
	 * data wins. */
	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"sys/replication/dr/primary/"
	    "demote\":[\"root\"],\"data\":{\"sys/replication/dr/primary/"
	    "demote\":[\"update\"],\"sys/replication/dr/primary/secondary-"
	    "token\":[\"update\"],\"sys/replication/dr/primary/revoke-"
	    "secondary\":[\"deny\"]}}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 1) == 0))
		return;
	f.v.read_only = 1;
	CHECK(vault_capabilities(&f.v, c, 3) == 0);
	CHECK(c[0].allowed == 1);
	CHECK_STREQ(c[0].caps, "update");
	CHECK(c[1].allowed == 0);
	CHECK(c[2].allowed == 0);
	CHECK_STREQ(c[2].caps, "deny");
	/* Other POSTs stay refused in a dry run. */
	CHECK(vault_demote(&f.v) == -1);
	CHECK(strstr(err_get(), "dry run") != NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 1);
	CHECK(req_starts(&f, 0, "POST /v1/sys/capabilities-self "));
	CHECK(strstr(f.s.req[0], "{\"paths\":[\"sys/replication/dr/primary/"
	    "demote\",\"sys/replication/dr/primary/secondary-token\","
	    "\"sys/replication/dr/primary/revoke-secondary\"]}") != NULL);
}

static void
vault_capabilities_missing_path(void)
{
	struct tsrv_step st[1];
	struct vfix f;
	struct vault_cap c[1] = { { "sys/x", "update", -1, "" } };

	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{}}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 1) == 0))
		return;
	CHECK(vault_capabilities(&f.v, c, 1) == -1);
	CHECK(strstr(err_get(), "no answer for sys/x") != NULL);
	vfix_stop(&f);
}

#define OTP28 "abcdefghijklmnopqrstuvwxyz01"
#define ATTEMPT_IDLE "{\"nonce\":\"\",\"started\":false,\"progress\":0," \
	"\"required\":2,\"complete\":false,\"otp_length\":28}"
#define ATTEMPT_STARTED "{\"nonce\":\"nonce-1\",\"started\":true," \
	"\"progress\":0,\"required\":2,\"complete\":false,\"otp\":\"" OTP28 \
	"\",\"otp_length\":28}"
#define UPDATE_1 "{\"nonce\":\"nonce-1\",\"started\":true,\"progress\":1," \
	"\"required\":2,\"complete\":false,\"otp_length\":0}"

static void
keys2(struct vault_keys *k)
{
	memset(k, 0, sizeof(*k));
	secret_set(&k->k[0], "share-one", 9);
	secret_set(&k->k[1], "share-two", 9);
	k->n = 2;
}

static void
keys_wipe(struct vault_keys *k)
{
	int i;

	for (i = 0; i < k->n; i++)
		secret_wipe(&k->k[i]);
}

/* A DR operation token generation from two shares against f's scripted
 * server: its result, *why as it ended (err_get() says the rest). A failed
 * one leaves no token. */
static int
gen2(struct vfix *f, enum vault_gen_fail *why)
{
	struct vault_keys k;
	struct secret out = { 0 };
	int rc;

	*why = VG_NONE;
	keys2(&k);
	rc = vault_generate_dr_token_ex(&f->v, &k, &out, why);
	CHECK(rc == 0 || !secret_is_set(&out));
	secret_wipe(&out);
	keys_wipe(&k);
	return rc;
}

static void
vault_gen_nonce_takeover(void)
{
	struct tsrv_step st[5];
	struct vfix f;
	enum vault_gen_fail why;

	/* The attempt's state is read once: idle, so no cancel first. */
	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_STARTED), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(200, UPDATE_1), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(400, "{\"errors\":[\"incorrect nonce "
	    "supplied; nonce for this root generation operation is "
	    "\\\"nonce-2\\\"\"]}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 4) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(why == VG_TAKEN_OVER);
	CHECK(strstr(err_get(), "another token generation attempt took over "
	    "(nonce changed); nothing was submitted to it") != NULL);
	CHECK(strstr(err_get(), "recovery key") == NULL);
	vfix_stop(&f);
	/* The other client's attempt is not cancelled. */
	CHECK(f.s.nreq == 4);
	CHECK(req_starts(&f, 0, "GET /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
	CHECK(req_starts(&f, 3, "POST /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/update "));
}

static void
vault_gen_attempt_cancelled_by_other(void)
{
	struct tsrv_step st[5];
	struct vfix f;
	enum vault_gen_fail why;

	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_STARTED), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(200, UPDATE_1), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(400, "{\"errors\":[\"no root "
	    "generation in progress\"]}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 4) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(why == VG_TAKEN_OVER);
	CHECK(strstr(err_get(), "another client cancelled this token "
	    "generation attempt") != NULL);
	CHECK(strstr(err_get(), "not accepted") == NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 4);
}

static void
vault_gen_takeover_seen_in_status(void)
{
	struct tsrv_step st[6];
	struct vfix f;
	enum vault_gen_fail why;

	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_STARTED), TSRV_KEEP };
	/* An unfamiliar refusal of the first share... */
	st[2] = (struct tsrv_step){ vfix_reply(400, "{\"errors\":[\"something "
	    "else\"]}"), TSRV_KEEP };
	/* ...and the status shows someone else's attempt. */
	st[3] = (struct tsrv_step){ vfix_reply(200, "{\"nonce\":\"nonce-9\","
	    "\"started\":true,\"progress\":0,\"required\":2}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 4) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(why == VG_TAKEN_OVER);
	CHECK(strstr(err_get(), "took over") != NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 4);
}

static void
vault_gen_wrong_share(void)
{
	struct tsrv_step st[6];
	struct vfix f;
	enum vault_gen_fail why;

	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_STARTED), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(200, UPDATE_1), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(400, "{\"errors\":[\"root generation "
	    "aborted: recovery key verification failed\"]}"), TSRV_KEEP };
	st[4] = (struct tsrv_step){ vfix_reply(204, NULL), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 5) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(why == VG_INPUT);
	CHECK(strstr(err_get(), "one of the 2 key shares was not accepted") !=
	    NULL);
	CHECK(strstr(err_get(), "root generation aborted") != NULL);
	CHECK(strstr(err_get(), "2 of 2") == NULL);
	vfix_stop(&f);
	CHECK(req_starts(&f, 4, "DELETE /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
}

static void
vault_gen_forbidden(void)
{
	struct tsrv_step st[3];
	struct vfix f;
	enum vault_gen_fail why;

	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(403, "{\"errors\":[\"permission "
	    "denied\"]}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 2) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(why == VG_FORBIDDEN);
	CHECK(strstr(err_get(), "VAULT_DR_OPERATION_TOKEN") != NULL);
	CHECK(strstr(err_get(), "batch DR operation token") != NULL);
	vfix_stop(&f);
}

/* Issue 13: the attempt's state is read once; an attempt in progress is
 * cancelled before the start, an idle one is not (the cases above). */
static void
vault_gen_cancels_one_in_progress(void)
{
	struct tsrv_step st[3];
	struct vfix f;
	enum vault_gen_fail why;

	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"nonce\":\"nonce-9\","
	    "\"started\":true,\"progress\":1,\"required\":2,"
	    "\"otp_length\":0}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(204, NULL), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(403, "{\"errors\":[\"permission "
	    "denied\"]}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 3) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	vfix_stop(&f);
	CHECK(f.s.nreq == 3);
	CHECK(req_starts(&f, 0, "GET /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
	CHECK(req_starts(&f, 1, "DELETE /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
	CHECK(req_starts(&f, 2, "POST /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
}

/* A start refused because an attempt began after the read: that one is
 * cancelled and the start sent once more; refused again, it fails. */
static void
vault_gen_restarts_once_after_in_progress(void)
{
	struct tsrv_step st[5];
	struct vfix f;
	enum vault_gen_fail why;
	const char *busy = "{\"errors\":[\"root generation already in "
	    "progress\"]}";

	st[0] = (struct tsrv_step){ vfix_reply(200, ATTEMPT_IDLE), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(400, busy), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(204, NULL), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(400, busy), TSRV_KEEP };
	st[4] = (struct tsrv_step){ vfix_reply(204, NULL), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 5) == 0))
		return;
	CHECK(gen2(&f, &why) == -1);
	CHECK(strstr(err_get(), "already in progress") != NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 4); /* GET, start, cancel, start: no third start */
	CHECK(req_starts(&f, 1, "POST /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
	CHECK(req_starts(&f, 2, "DELETE /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
	CHECK(req_starts(&f, 3, "POST /v1/sys/replication/dr/secondary/"
	    "generate-operation-token/attempt "));
}

/* Issue 17 item 8: a refused attempt status is a server failure. */
static void
vault_gen_status_refused_is_server(void)
{
	static const int codes[] = { 403, 400 };
	size_t c;

	for (c = 0; c < 2; c++) {
		struct tsrv_step st[3];
		struct vfix f;
		enum vault_gen_fail why;
		int req = 0, otp = 0, started = 0;

		st[0] = (struct tsrv_step){ vfix_reply(codes[c], "{\"errors\":"
		    "[\"nope\"]}"), TSRV_KEEP };
		st[1] = st[0];
		if (!CHECK(vfix_start(&f, st, 2) == 0))
			return;
		CHECK(gen2(&f, &why) == -1);
		CHECK(why == VG_SERVER);
		CHECK(vault_attempt_info(&f.v, &req, &otp, &started) == -1);
		CHECK(f.v.last_fail == VF_REJECTED);
		vfix_stop(&f);
		}
}

void
suite_vault(void)
{
	T_RUN(vault_version_order);
	T_RUN(vault_caps_allow_table);
	T_RUN(vault_connected_flags);
	T_RUN(vault_observe_new_fields);
	T_RUN(vault_ready_polls);
	T_RUN(vault_ready_unreachable_is_a_poll);
	T_RUN(vault_attached_polls);
	T_RUN(vault_lookup_self_answers);
	T_RUN(vault_capabilities_in_dry_run);
	T_RUN(vault_capabilities_missing_path);
	T_RUN(vault_gen_nonce_takeover);
	T_RUN(vault_gen_attempt_cancelled_by_other);
	T_RUN(vault_gen_takeover_seen_in_status);
	T_RUN(vault_gen_wrong_share);
	T_RUN(vault_gen_forbidden);
	T_RUN(vault_gen_status_refused_is_server);
	T_RUN(vault_gen_cancels_one_in_progress);
	T_RUN(vault_gen_restarts_once_after_in_progress);
}
