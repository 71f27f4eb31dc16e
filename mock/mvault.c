/* mvault.c - one Vault Enterprise cluster's DR replication API, as the
 * reference describes it: health, replication status, DR operation token
 * generation (modern and legacy OTP), promote, demote, secondary-token,
 * revoke-secondary, update-primary (unwrapping through primary_api_addr or
 * through the mock's own Route 53 record), operation-token/delete.
 * Runs with M.mu held. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"

#define PROMOTE_WARNING "This cluster is being promoted to a replication " \
	"primary. Vault will be unavailable for a brief period and will " \
	"resume service shortly."
#define DEMOTE_WARNING "This cluster is being demoted to a replication " \
	"secondary. Vault will be unavailable for a brief period and will " \
	"resume service shortly."
#define UPDATE_WARNING "This cluster is being updated to a new replication " \
	"primary. Vault will be unavailable for a brief period and will " \
	"resume service shortly."
#define UNWRAP_ERR "error response unwrapping secondary token; "
#define PATH_DISABLED "path disabled in replication DR secondary mode"

/* ---- responses ---- */

void
mresp_vault_error(struct mresp *r, int status, const char *msg)
{
	r->status = status;
	r->ctype = "application/json";
	buf_free(&r->body);
	buf_puts(&r->body, "{\"errors\":[");
	if (msg)
		json_append_str(&r->body, msg);
	buf_puts(&r->body, "]}");
}

void
mresp_vault_ok(struct mresp *r, const char *data_json, const char *wrap_json,
    const char *warning)
{
	char id[37];

	rand_uuid(id);
	r->status = 200;
	r->ctype = "application/json";
	buf_free(&r->body);
	buf_printf(&r->body, "{\"request_id\":\"%s\",\"lease_id\":\"\","
	    "\"renewable\":false,\"lease_duration\":0,\"data\":%s,"
	    "\"wrap_info\":%s,\"warnings\":", id, data_json,
	    wrap_json ? wrap_json : "null");
	if (warning) {
		buf_puts(&r->body, "[");
		json_append_str(&r->body, warning);
		buf_puts(&r->body, "]");
	} else
		buf_puts(&r->body, "null");
	buf_puts(&r->body, ",\"auth\":null}");
}

static void
no_content(struct mresp *r)
{
	r->status = 204;
	r->ctype = NULL;
	buf_free(&r->body);
}

static void
raw_json(struct mresp *r, int status, struct buf *b)
{
	r->status = status;
	r->ctype = "application/json";
	buf_free(&r->body);
	r->body = *b;
	memset(b, 0, sizeof(*b));
}

/* ---- helpers ---- */

static void
cluster_url(int i, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s://%s:%d", M.plain ? "http" : "https", M.host,
	    M.lst[i].port);
}

static void
cluster_addr(int i, char *out, size_t outsz)
{
	snprintf(out, outsz, "https://%s:8201", M.cl[i].dns_name);
}

static int
parse_go_bool(const char *s, int *out)
{
	static const char *t[] = { "1", "t", "T", "TRUE", "true", "True", 0 };
	static const char *f[] = { "0", "f", "F", "FALSE", "false", "False", 0 };
	int i;

	for (i = 0; t[i]; i++)
		if (strcmp(s, t[i]) == 0)
			return *out = 1, 0;
	for (i = 0; f[i]; i++)
		if (strcmp(s, f[i]) == 0)
			return *out = 0, 0;
	return -1;
}

/* Go's strconv.Atoi, limited to what net/http accepts as a status. */
static int
parse_code(const char *s, int *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 100 || v > 999)
		return -1;
	*out = (int)v;
	return 0;
}

/* Go-style duration ("30m", "1h30m", "90s") or plain seconds. -1 bad. */
static long long
parse_ttl(const char *s)
{
	long long total = 0;
	const char *p = s;

	if (*s == '\0')
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {
		char *end;
		long long v;

		if (strlen(s) > 9)
			return -1;
		v = strtoll(s, &end, 10);
		return *end == '\0' ? v : -1;
	}
	while (*p) {
		long long v = 0;
		int nd = 0;

		while (isdigit((unsigned char)*p) && nd < 9)
			v = v * 10 + (*p++ - '0'), nd++;
		if (nd == 0)
			return -1;
		if (*p == 'h')
			total += v * 3600;
		else if (*p == 'm' && p[1] == 's') {
			total += v / 1000;
			p++;
		} else if (*p == 'm')
			total += v * 60;
		else if (*p == 's')
			total += v;
		else
			return -1;
		p++;
	}
	return total;
}

static const char *
vault_token(const struct mreq *q)
{
	const char *t = mreq_header(q, "x-vault-token"), *a;

	if (t && *t)
		return t;
	a = mreq_header(q, "authorization");
	if (a && strncasecmp(a, "Bearer ", 7) == 0)
		return a + 7;
	return NULL;
}

static int
token_ok(const struct mreq *q)
{
	const char *t = vault_token(q);

	return t != NULL && strv_has(&M.vault_tokens, t);
}

/* ---- token policies ---- */

/* The capabilities of token tok on path (leading '/' ignored): those the
 * scenario's token_capabilities gives it (exact path first, then the
 * longest "prefix*" pattern; "deny" when none matches), or "root" for a
 * token the scenario does not restrict. */
static const struct strv *
token_caps(const char *tok, const char *path)
{
	static char *rootv[] = { "root" }, *denyv[] = { "deny" };
	static const struct strv root = { rootv, 1 }, deny = { denyv, 1 };
	const struct tokcap *best = NULL;
	size_t k, bestlen = 0;
	int restricted = 0;

	while (*path == '/')
		path++;
	for (k = 0; tok && k < M.ntcaps; k++) {
		const struct tokcap *t = &M.tcaps[k];
		size_t n = strlen(t->path);

		if (strcmp(t->token, tok) != 0)
			continue;
		restricted = 1;
		if (strcmp(t->path, path) == 0)
			return &t->caps;
		if (n > 0 && t->path[n - 1] == '*' &&
		    strncmp(t->path, path, n - 1) == 0 && n > bestlen) {
			best = t;
			bestlen = n;
		}
	}
	if (!restricted)
		return &root;
	return best ? &best->caps : &deny;
}

/* Do caps allow every capability in need (space separated)? */
static int
caps_allow(const struct strv *caps, const char *need)
{
	char one[32];
	const char *p = need;

	if (strv_has(caps, "deny"))
		return 0;
	if (strv_has(caps, "root"))
		return 1;
	while (*p) {
		size_t n = strcspn(p, " ");

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		if (!strv_has(caps, one))
			return 0;
		p += n;
		while (*p == ' ')
			p++;
	}
	return 1;
}

/* Parses the request body as a JSON object (empty body = {}). 0 / -1
 * (response set). */
static int
body_json(const struct mreq *q, struct json *j, struct mresp *r)
{
	const char *s = q->body.data ? q->body.data : "";
	size_t n = q->body.len, i;

	for (i = 0; i < n && isspace((unsigned char)s[i]); i++)
		;
	if (i == n) {
		s = "{}";
		n = 2;
	}
	if (json_parse(j, s, n) == -1 || json_type_at(j, 0) != JSON_OBJECT) {
		json_free(j);
		mresp_vault_error(r, 400, "failed to parse JSON input");
		return -1;
	}
	return 0;
}

/* String field or NULL (also NULL when it has another type). */
static char *
body_str(const struct json *j, const char *key)
{
	char *s = NULL;

	if (json_get_str(j, 0, key, &s) != 0)
		return NULL;
	return s;
}

/* Is tok a DR operation token valid on cluster i? 1 generated, 2 batch. */
static int
dr_token_kind(int i, const char *tok)
{
	if (tok == NULL || *tok == '\0')
		return 0;
	if (strv_has(&M.cl[i].dr_tokens, tok))
		return 1;
	if (strv_has(&M.batch_tokens, tok))
		return 2;
	return 0;
}

static void
clear_attempt(struct cluster *c)
{
	c->attempt = 0;
	c->nonce[0] = '\0';
	free(c->otp);
	c->otp = NULL;
	strv_free(&c->given);
}

/* ---- nodes behind the load balancer ---- */

/* The node (0 active, 1..standbys, then performance standbys) that the
 * connection of the calling thread reached: the mock serves each connection
 * in its own thread, so a thread-local assignment is a per-connection one,
 * handed out round-robin as a load balancer would. */
static __thread int tl_node = -1;

static int
conn_node(int i)
{
	struct cluster *c = &M.cl[i];
	int n = 1 + c->standbys + c->perf_standbys;

	if (n == 1)
		return 0;
	if (tl_node < 0 || tl_node >= n) {
		tl_node = c->next_node % n;
		c->next_node = (c->next_node + 1) % n;
	}
	return tl_node;
}

static void take_over_attempt(struct cluster *c);

/* ---- status endpoints ---- */

static void
health(int i, const struct mreq *q, struct mresp *r)
{
	static const char *codes[] = { "activecode", "standbycode",
		"drsecondarycode", "performancestandbycode", "sealedcode",
		"uninitcode" };
	int val[6] = { 200, 429, 472, 473, 503, 501 }, k, b, ok[2], code;
	const struct cluster *c = &M.cl[i];
	int node = conn_node(i), standby = node > 0,
	    perf = node > c->standbys;
	char v[64], msg[96];
	struct buf out = { 0 };
	long long now = wall_ms() / 1000;

	for (k = 0; k < 2; k++) {
		const char *nm = k ? "perfstandbyok" : "standbyok";

		b = 0;
		if (mreq_query_param(q, nm, v, sizeof(v), 1) && v[0] &&
		    parse_go_bool(v, &b) == -1) {
			snprintf(msg, sizeof(msg), "bad value for %s parameter",
			    nm);
			mresp_vault_error(r, 400, msg);
			return;
		}
		ok[k] = b;
	}
	for (k = 0; k < 6; k++)
		if (mreq_query_param(q, codes[k], v, sizeof(v), 1) &&
		    parse_code(v, &val[k]) == -1) {
			snprintf(msg, sizeof(msg), "bad value for %s parameter",
			    codes[k]);
			mresp_vault_error(r, 400, msg);
			return;
		}
	if (c->transition) {
		buf_printf(&out, "{\"initialized\":true,\"sealed\":true,"
		    "\"standby\":true,\"performance_standby\":false,"
		    "\"replication_performance_mode\":\"unknown\","
		    "\"replication_dr_mode\":\"unknown\","
		    "\"server_time_utc\":%lld,\"version\":", now);
		json_append_str(&out, c->version);
		buf_puts(&out, "}");
		raw_json(r, val[4], &out);
		return;
	}
	/* Precedence as in Vault's sys_health.go: DR secondary, then
	 * performance standby, then standby. */
	code = !c->primary ? val[2] : perf ? (ok[1] ? val[0] : val[3]) :
	    standby ? (ok[0] ? val[0] : val[1]) : val[0];
	buf_printf(&out, "{\"initialized\":true,\"sealed\":false,"
	    "\"standby\":%s,\"performance_standby\":%s,"
	    "\"replication_performance_mode\":\"%s\","
	    "\"replication_dr_mode\":\"%s\",\"server_time_utc\":%lld,"
	    "\"version\":", standby ? "true" : "false", perf ? "true" : "false",
	    mperf_mode(i), c->primary ? "primary" : "secondary", now);
	json_append_str(&out, c->version);
	buf_puts(&out, ",\"cluster_name\":");
	json_append_str(&out, c->cluster_name);
	buf_puts(&out, ",\"cluster_id\":");
	json_append_str(&out, c->health_cluster_id);
	if (c->primary && !standby)
		buf_printf(&out, ",\"last_wal\":%lld", c->last_wal);
	buf_puts(&out, "}");
	raw_json(r, code, &out);
}

/* sys/seal-status: an auto-unsealed cluster with recovery keys. */
static void
seal_status(int i, struct mresp *r)
{
	const struct cluster *c = &M.cl[i];
	struct buf out = { 0 };

	buf_printf(&out, "{\"type\":\"awskms\",\"initialized\":true,"
	    "\"sealed\":%s,\"t\":%ld,\"n\":%zu,\"progress\":0,"
	    "\"nonce\":\"\",\"version\":", c->transition ? "true" : "false",
	    M.recovery_threshold, M.recovery_keys.n);
	json_append_str(&out, c->version);
	buf_puts(&out, ",\"build_date\":\"2023-11-23T00:00:00Z\","
	    "\"migration\":false,\"recovery_seal\":true,"
	    "\"storage_type\":\"raft\"");
	if (!c->transition) {
		buf_puts(&out, ",\"cluster_name\":");
		json_append_str(&out, c->cluster_name);
		buf_puts(&out, ",\"cluster_id\":");
		json_append_str(&out, c->health_cluster_id);
	}
	buf_puts(&out, "}");
	raw_json(r, 200, &out);
}

/* The DR status object of cluster i. */
static void
dr_status(int i, struct buf *b)
{
	const struct cluster *c = &M.cl[i];
	char ts[40], url[300], addr[300];
	size_t k;

	iso8601_ms(wall_ms(), ts, sizeof(ts));
	buf_puts(b, "{\"cluster_id\":");
	json_append_str(b, M.cluster_id);
	if (c->primary) {
		buf_printf(b, ",\"corrupted_merkle_tree\":%s,"
		    "\"known_secondaries\":[", c->corrupted ? "true" : "false");
		for (k = 0; k < c->known.n; k++) {
			if (k)
				buf_puts(b, ",");
			json_append_str(b, c->known.v[k]);
		}
		buf_printf(b, "],\"last_corruption_check_epoch\":"
		    "\"-62135596800\",\"last_dr_wal\":%lld,"
		    "\"last_reindex_epoch\":\"0\",\"last_wal\":%lld,"
		    "\"merkle_root\":\"5c3f0e6b9f2a1d4c8b7e6a5f4d3c2b1a09f8e7d6\","
		    "\"mode\":\"primary\",\"primary_cluster_addr\":\"\","
		    "\"secondaries\":[", c->last_wal, c->last_wal);
		for (k = 0; k < c->known.n; k++) {
			int o = 1 - i, conn;
			const struct cluster *oc = &M.cl[o];
			int is_o = oc->secondary_id &&
			    strcmp(oc->secondary_id, c->known.v[k]) == 0;

			conn = is_o && oc->upstream == i && cluster_connected(o);
			url[0] = addr[0] = '\0';
			if (is_o) {
				cluster_url(o, url, sizeof(url));
				cluster_addr(o, addr, sizeof(addr));
			}
			buf_printf(b, "%s{\"api_address\":", k ? "," : "");
			json_append_str(b, url);
			buf_puts(b, ",\"clock_skew_ms\":\"0\",\"cluster_address\":");
			json_append_str(b, addr);
			buf_printf(b, ",\"connection_status\":\"%s\","
			    "\"last_heartbeat\":\"%s\","
			    "\"last_heartbeat_duration_ms\":\"0\",\"node_id\":",
			    conn ? "connected" : "disconnected", ts);
			json_append_str(b, c->known.v[k]);
			buf_puts(b, ",\"replication_primary_canary_age_ms\":"
			    "\"0\"}");
		}
		buf_puts(b, "],\"ssct_generation_counter\":0,"
		    "\"state\":\"running\"}");
		return;
	}
	{
		const char *st = cluster_state(i);
		int up = c->upstream;
		int linked = cluster_connected(i);
		long long rwal = c->last_remote_wal;
		/* connection_state: "ready" when linked; "disconnected" when the
		 * link is down (connected: false), else connecting or idle. */
		const char *cs = linked ? "ready" : up < 0 ? "idle" :
		    !c->connected && strcmp(st, "connecting") != 0 ?
		    "disconnected" : "connecting";

		buf_printf(b, ",\"connection_state\":\"%s\","
		    "\"corrupted_merkle_tree\":%s,"
		    "\"known_primary_cluster_addrs\":[", cs,
		    c->corrupted ? "true" : "false");
		addr[0] = url[0] = '\0';
		if (up >= 0) {
			cluster_addr(up, addr, sizeof(addr));
			cluster_url(up, url, sizeof(url));
			json_append_str(b, addr);
		}
		buf_printf(b, "],\"last_remote_wal\":%lld,"
		    "\"last_reindex_epoch\":\"0\",\"last_start\":\"%s\","
		    "\"merkle_root\":\"5c3f0e6b9f2a1d4c8b7e6a5f4d3c2b1a09f8e7d6\","
		    "\"mode\":\"secondary\",\"primaries\":[", rwal, ts);
		if (up >= 0) {
			buf_puts(b, "{\"api_address\":");
			json_append_str(b, url);
			buf_puts(b, ",\"clock_skew_ms\":\"0\",\"cluster_address\":");
			json_append_str(b, addr);
			buf_printf(b, ",\"connection_status\":\"%s\","
			    "\"last_heartbeat\":\"%s\"}",
			    linked ? "connected" : "disconnected", ts);
		}
		buf_puts(b, "],\"primary_cluster_addr\":");
		json_append_str(b, addr);
		buf_puts(b, ",\"secondary_id\":");
		json_append_str(b, c->secondary_id ? c->secondary_id : "");
		buf_printf(b, ",\"ssct_generation_counter\":0,\"state\":\"%s\"}",
		    st);
	}
}

/* which: 0 sys/replication/status, 1 dr/status, 2 performance/status. */
static void
repl_status(int i, int which, struct mresp *r)
{
	struct buf d = { 0 };

	if (which == 1)
		dr_status(i, &d);
	else if (which == 2)
		mperf_status(i, &d);
	else {
		buf_puts(&d, "{\"dr\":");
		dr_status(i, &d);
		buf_puts(&d, ",\"performance\":");
		mperf_status(i, &d);
		buf_puts(&d, "}");
	}
	mresp_vault_ok(r, d.data ? d.data : "null", NULL, NULL);
	buf_free(&d);
}

/* ---- operation token generation ---- */

static void
attempt_status(int i, struct buf *b, const char *otp, int otp_length,
    int complete, const char *encoded)
{
	const struct cluster *c = &M.cl[i];

	buf_puts(b, "{\"nonce\":");
	json_append_str(b, c->nonce);
	buf_printf(b, ",\"started\":%s,\"progress\":%zu,\"required\":%ld,"
	    "\"complete\":%s,\"encoded_token\":", c->attempt || complete ?
	    "true" : "false", c->given.n, M.recovery_threshold,
	    complete ? "true" : "false");
	json_append_str(b, encoded ? encoded : "");
	buf_puts(b, ",\"encoded_root_token\":\"\",\"pgp_fingerprint\":\"\","
	    "\"otp\":");
	json_append_str(b, otp ? otp : "");
	buf_printf(b, ",\"otp_length\":%d}", otp_length);
}

static void
gen_attempt(int i, const struct mreq *q, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	struct buf out = { 0 };
	struct json j = { 0 };
	char *otp = NULL, *pgp = NULL;
	int otplen = c->legacy ? 0 : c->otp_length;

	if (strcmp(q->method, "GET") == 0) {
		attempt_status(i, &out, NULL, otplen, 0, NULL);
		raw_json(r, 200, &out);
		return;
	}
	if (strcmp(q->method, "DELETE") == 0) {
		if (c->attempt) {
			clear_attempt(c);
			state_changed();
		}
		no_content(r);
		return;
	}
	if (body_json(q, &j, r) == -1)
		return;
	otp = body_str(&j, "otp");
	pgp = body_str(&j, "pgp_key");
	json_free(&j);
	if (c->attempt) {
		mresp_vault_error(r, 400, "root generation already in progress");
		goto out;
	}
	if (pgp && *pgp) {
		mresp_vault_error(r, 400, "pgp_key is not supported by "
		    "vaultdr-mock; use an OTP");
		goto out;
	}
	if (c->legacy) {
		unsigned char raw[64];
		size_t n;

		if (otp == NULL || b64_decode(otp, strlen(otp), raw,
		    sizeof(raw), &n) == -1 || n != 16) {
			mresp_vault_error(r, 400, "decoded OTP value is "
			    "invalid or wrong length");
			goto out;
		}
		c->otp = strdup(otp);
	} else if (otp && *otp) {
		if ((int)strlen(otp) != c->otp_length) {
			mresp_vault_error(r, 400, "OTP string is wrong length");
			goto out;
		}
		c->otp = strdup(otp);
	} else {
		if ((c->otp = malloc((size_t)c->otp_length + 1)) != NULL)
			rand_base62(c->otp, (size_t)c->otp_length);
	}
	if (c->otp == NULL) {
		mresp_vault_error(r, 500, "out of memory");
		goto out;
	}
	c->attempt = 1;
	rand_uuid(c->nonce);
	state_changed();
	attempt_status(i, &out, c->legacy || (otp && *otp) ? NULL : c->otp,
	    otplen, 0, NULL);
	raw_json(r, 200, &out);
out:
	free(otp);
	free(pgp);
}

/* Makes a new DR operation token for cluster i and its encoding with the
 * attempt's OTP into enc. 0 / -1. */
static int
make_token(int i, char *tok, size_t toksz, char *enc, size_t encsz)
{
	struct cluster *c = &M.cl[i];
	unsigned char x[160];
	size_t k, n;

	if (c->legacy) {
		unsigned char o[64], u[16] = { 0 };
		char uuid[37], h[3] = { 0 };

		if (b64_decode(c->otp, strlen(c->otp), o, sizeof(o), &n) == -1 ||
		    n != 16)
			return -1;
		rand_uuid(uuid);
		for (k = 0, n = 0; uuid[k] && n < 16; k++) {
			if (uuid[k] == '-')
				continue;
			h[0] = uuid[k];
			h[1] = uuid[++k];
			u[n++] = (unsigned char)strtol(h, NULL, 16);
		}
		if (n != 16)
			return -1;
		for (k = 0; k < 16; k++)
			x[k] = u[k] ^ o[k];
		snprintf(tok, toksz, "%s", uuid);
		return b64_encode(x, 16, enc, encsz, 1);
	}
	n = strlen(c->otp);
	if (n < 5 || n + 1 > toksz || n > sizeof(x))
		return -1;
	memcpy(tok, "hvs.", sizeof("hvs.")); /* rand_base62 overwrites the NUL */
	rand_base62(tok + 4, n - 4);
	for (k = 0; k < n; k++)
		x[k] = (unsigned char)(tok[k] ^ c->otp[k]);
	return b64_encode(x, n, enc, encsz, 0);
}

static void
gen_update(int i, const struct mreq *q, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	struct buf out = { 0 };
	struct json j = { 0 };
	char *key = NULL, *nonce = NULL, msg[160], tok[160], enc[256];
	size_t k;

	if (body_json(q, &j, r) == -1)
		return;
	key = body_str(&j, "key");
	nonce = body_str(&j, "nonce");
	json_free(&j);
	if (key == NULL || *key == '\0') {
		mresp_vault_error(r, 400,
		    "'key' must be specified in request body as JSON");
		goto out;
	}
	if (!c->attempt) {
		mresp_vault_error(r, 400, "no root generation in progress");
		goto out;
	}
	if (nonce == NULL || strcmp(nonce, c->nonce) != 0) {
		snprintf(msg, sizeof(msg), "incorrect nonce supplied; nonce "
		    "for this root generation operation is \"%s\"", c->nonce);
		mresp_vault_error(r, 400, msg);
		goto out;
	}
	if (strv_has(&c->given, key)) {
		mresp_vault_error(r, 400, "given key has already been provided "
		    "during this generation operation");
		goto out;
	}
	strv_add(&c->given, key);
	state_changed();
	if ((long)c->given.n < M.recovery_threshold) {
		attempt_status(i, &out, NULL, 0, 0, NULL);
		raw_json(r, 200, &out);
		if (c->taken_over_after > 0 && !c->taken_over &&
		    (long long)c->given.n >= c->taken_over_after)
			take_over_attempt(c);
		goto out;
	}
	for (k = 0; k < c->given.n; k++)
		if (!strv_has(&M.recovery_keys, c->given.v[k]))
			break;
	if (k < c->given.n) {
		clear_attempt(c);
		mresp_vault_error(r, 400, "root generation aborted: recovery "
		    "key verification failed");
		goto out;
	}
	if (make_token(i, tok, sizeof(tok), enc, sizeof(enc)) == -1) {
		clear_attempt(c);
		mresp_vault_error(r, 500, "could not generate the token");
		goto out;
	}
	strv_add(&c->dr_tokens, tok);
	attempt_status(i, &out, NULL, 0, 1, enc);
	clear_attempt(c);
	raw_json(r, 200, &out);
out:
	free(key);
	free(nonce);
}

/* Another client cancelled this attempt and started its own. */
static void
take_over_attempt(struct cluster *c)
{
	unsigned char raw[16];
	char b64[32];

	strv_free(&c->given);
	free(c->otp);
	c->otp = NULL;
	if (c->legacy) {
		rand_bytes(raw, sizeof(raw));
		if (b64_encode(raw, sizeof(raw), b64, sizeof(b64), 1) == 0)
			c->otp = strdup(b64);
	} else if ((c->otp = malloc((size_t)c->otp_length + 1)) != NULL)
		rand_base62(c->otp, (size_t)c->otp_length);
	rand_uuid(c->nonce);
	c->taken_over = 1;
	if (c->otp == NULL)
		clear_attempt(c);
	state_changed();
}

/* ---- token endpoints ---- */

static void
lookup_self(const struct mreq *q, struct mresp *r)
{
	const char *tok = vault_token(q);
	int root = strv_has(token_caps(tok, "sys/"), "root");
	size_t k;
	struct buf d = { 0 };
	char ts[40], acc[40];

	for (k = 0; k < M.ntcaps; k++)
		if (strcmp(M.tcaps[k].token, tok) == 0)
			root = 0;
	iso8601_ms(wall_ms(), ts, sizeof(ts));
	rand_base62(acc, 24);
	buf_printf(&d, "{\"accessor\":\"%s\",\"creation_time\":%lld,"
	    "\"creation_ttl\":%d,\"display_name\":\"%s\","
	    "\"entity_id\":\"\",\"expire_time\":%s,\"explicit_max_ttl\":0,"
	    "\"id\":", acc, wall_ms() / 1000, root ? 0 : 2764800,
	    root ? "root" : "token", root ? "null" : "\"2099-01-01T00:00:00Z\"");
	json_append_str(&d, tok);
	buf_printf(&d, ",\"meta\":null,\"num_uses\":0,\"orphan\":true,"
	    "\"path\":\"%s\",\"policies\":%s,\"renewable\":%s,"
	    "\"ttl\":%d,\"type\":\"service\"}",
	    root ? "auth/token/root" : "auth/token/create",
	    root ? "[\"root\"]" : "[\"default\",\"vaultdr\"]",
	    root ? "false" : "true", root ? 0 : 2764800);
	mresp_vault_ok(r, d.data, NULL, NULL);
	buf_free(&d);
}

/* POST sys/capabilities-self {"paths":[...]} (or the older "path"). The
 * answer carries each path's list in data and, as Vault's does, at the top
 * level too; "capabilities" is there for a single path. */
static void
capabilities_self(const struct mreq *q, struct mresp *r)
{
	const char *tok = vault_token(q);
	struct json j = { 0 };
	struct strv paths = { 0 };
	struct buf m = { 0 }, out = { 0 };
	const char *key = "paths";
	int idx, n, k;
	char id[37];
	size_t p, c;

	if (body_json(q, &j, r) == -1)
		return;
	idx = json_find(&j, 0, "paths");
	if (idx < 0) {
		key = "path";
		idx = json_find(&j, 0, "path");
	}
	if (json_type_at(&j, idx) == JSON_STRING) {
		char *one = body_str(&j, key);
		if (one)
			strv_add(&paths, one);
		free(one);
	} else if (json_type_at(&j, idx) == JSON_ARRAY) {
		n = json_array_len(&j, idx);
		for (k = 0; k < n; k++) {
			char *one = NULL;
			int e = json_array_elem(&j, idx, k);
			if (json_type_at(&j, e) == JSON_STRING &&
			    json_tok_str(&j, e, &one) == 0)
				strv_add(&paths, one);
			free(one);
		}
	}
	json_free(&j);
	if (paths.n == 0) {
		mresp_vault_error(r, 400, "missing required 'paths' parameter");
		return;
	}
	for (p = 0; p < paths.n; p++) {
		const struct strv *cv = token_caps(tok, paths.v[p]);

		buf_puts(&m, p ? "," : "");
		json_append_str(&m, paths.v[p]);
		buf_puts(&m, ":[");
		for (c = 0; c < cv->n; c++) {
			buf_puts(&m, c ? "," : "");
			json_append_str(&m, cv->v[c]);
		}
		buf_puts(&m, "]");
		if (paths.n == 1) {
			buf_puts(&m, ",\"capabilities\":[");
			for (c = 0; c < cv->n; c++) {
				buf_puts(&m, c ? "," : "");
				json_append_str(&m, cv->v[c]);
			}
			buf_puts(&m, "]");
		}
	}
	rand_uuid(id);
	buf_printf(&out, "{%s,\"request_id\":\"%s\",\"lease_id\":\"\","
	    "\"renewable\":false,\"lease_duration\":0,\"data\":{%s},"
	    "\"wrap_info\":null,\"warnings\":null,\"auth\":null}", m.data, id,
	    m.data);
	raw_json(r, 200, &out);
	buf_free(&m);
	strv_free(&paths);
}

/* ---- role changes ---- */

static void
promote(int i, const struct mreq *q, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	struct json j = { 0 };
	char *tok;
	int force = 0;

	if (body_json(q, &j, r) == -1)
		return;
	tok = body_str(&j, "dr_operation_token");
	if (json_get_bool(&j, 0, "force", &force) == -1) {
		json_free(&j);
		free(tok);
		mresp_vault_error(r, 400, "'force' must be a boolean");
		return;
	}
	json_free(&j);
	if (!dr_token_kind(i, tok)) {
		free(tok);
		mresp_vault_error(r, 400, "invalid DR operation token");
		return;
	}
	free(tok);
	/* Asynchronous replication: what the old primary wrote after the
	 * last WAL this secondary received is lost. */
	if (c->upstream >= 0) {
		long long lost = M.cl[c->upstream].last_wal - c->last_remote_wal;
		c->wals_lost = lost > 0 ? lost : 0;
	}
	if (c->last_remote_wal > 0)
		c->last_wal = c->last_remote_wal;
	c->catchup_at = c->attach_until = 0;
	c->wal_mark = 0;
	c->primary = 1;
	c->upstream = -1;
	free(c->secondary_id);
	c->secondary_id = NULL;
	strv_free(&c->known);
	clear_attempt(c);
	free(c->pubkey);
	c->pubkey = NULL;
	mperf_on_promote(i);
	if (c->promote_delay_ms > 0) {
		c->transition = 1;
		c->transition_until = mono_ms() + c->promote_delay_ms;
	}
	state_changed();
	mresp_vault_ok(r, "null", NULL, PROMOTE_WARNING);
}

static void
demote(int i, struct mresp *r)
{
	struct cluster *c = &M.cl[i], *s = &M.cl[1 - i];
	/* Its streaming secondary receives the final WAL, after a delay. */
	int follow = s->upstream == i && cluster_streaming(1 - i);

	c->primary = 0;
	c->upstream = -1;
	free(c->secondary_id);
	c->secondary_id = NULL;
	c->last_remote_wal = c->last_wal;
	strv_free(&c->known);
	mperf_on_demote(i);
	if (follow && s->catchup_delay_ms > 0) {
		s->catchup_at = mono_ms() + s->catchup_delay_ms;
		s->catchup_wal = c->last_wal;
	} else if (follow && s->last_remote_wal < c->last_wal)
		s->last_remote_wal = c->last_wal;
	if (c->demote_delay_ms > 0) {
		c->transition = 2;
		c->transition_until = mono_ms() + c->demote_delay_ms;
	}
	state_changed();
	mresp_vault_ok(r, "null", NULL, DEMOTE_WARNING);
}

static int
pending_token(int i, const char *id)
{
	long long now = wall_ms();
	size_t k;

	for (k = 0; k < M.nwt; k++) {
		const struct wraptok *w = &M.wt[k];
		if (w->issuer == i && !w->used && !w->revoked &&
		    w->expires_ms > now && strcmp(w->id, id) == 0)
			return 1;
	}
	return 0;
}

/* Records an issued activation token of cluster i for secondary id (pub:
 * the secondary's public key, NULL for a wrapped token). 0, or -1 when out
 * of memory. */
static int
wt_add(int i, const char *tok, const char *id, long long ttl,
    const char *pub)
{
	struct wraptok *nw;

	if ((nw = realloc(M.wt, (M.nwt + 1) * sizeof(*M.wt))) == NULL)
		return -1;
	M.wt = nw;
	memset(&M.wt[M.nwt], 0, sizeof(*M.wt));
	M.wt[M.nwt].token = strdup(tok);
	M.wt[M.nwt].id = strdup(id);
	M.wt[M.nwt].issuer = i;
	M.wt[M.nwt].expires_ms = wall_ms() + ttl * 1000;
	if (pub)
		M.wt[M.nwt].pubkey = strdup(pub);
	M.nwt++;
	return 0;
}

/* secondary-token with secondary_public_key: the activation credentials
 * come back encrypted to that key in data.token, not response-wrapped. */
static void
pk_secondary_token(int i, const char *id, long long ttl, const char *pub,
    struct mresp *r)
{
	unsigned char rnd[96];
	char tok[200];
	struct buf w = { 0 };

	rand_bytes(rnd, sizeof(rnd));
	if (b64_encode(rnd, sizeof(rnd), tok, sizeof(tok), 1) == -1 ||
	    wt_add(i, tok, id, ttl, pub) == -1) {
		mresp_vault_error(r, 500, "token encoding failed");
		return;
	}
	buf_puts(&w, "{\"token\":");
	json_append_str(&w, tok);
	buf_puts(&w, "}");
	state_changed();
	mresp_vault_ok(r, w.data, NULL, NULL);
	buf_free(&w);
}

static void
secondary_token(int i, const struct mreq *q, struct mresp *r)
{
	struct json j = { 0 };
	char *id = NULL, *ttls = NULL, *pub = NULL, tok[200], acc[40];
	char ts[40], wacc[40];
	unsigned char rnd[96];
	long long ttl = 1800, num;
	struct buf w = { 0 };
	int idx;

	if (body_json(q, &j, r) == -1)
		return;
	id = body_str(&j, "id");
	pub = body_str(&j, "secondary_public_key");
	idx = json_find(&j, 0, "ttl");
	if (json_type_at(&j, idx) == JSON_NUMBER &&
	    json_get_i64(&j, 0, "ttl", &num) == 0)
		ttl = num;
	else if (json_type_at(&j, idx) == JSON_STRING) {
		ttls = body_str(&j, "ttl");
		ttl = ttls ? parse_ttl(ttls) : -1;
	} else if (idx >= 0 && json_type_at(&j, idx) != JSON_NULL)
		ttl = -1;
	json_free(&j);
	if (id == NULL || *id == '\0') {
		mresp_vault_error(r, 400, "missing required 'id' parameter");
		goto out;
	}
	if (ttl <= 0) {
		mresp_vault_error(r, 400, "invalid 'ttl' value");
		goto out;
	}
	if (strv_has(&M.cl[i].known, id) || pending_token(i, id)) {
		mresp_vault_error(r, 400,
		    "a secondary with the given id already exists");
		goto out;
	}
	if (pub && *pub) {
		pk_secondary_token(i, id, ttl, pub, r);
		goto out;
	}
	/* A fake JWT: fixed ES512 header, random claims and signature. */
#define JWT_HEADER "eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9."
	rand_bytes(rnd, sizeof(rnd));
	memcpy(tok, JWT_HEADER, sizeof(JWT_HEADER)); /* 37 chars and NUL */
	if (b64_encode(rnd, 48, tok + 37, sizeof(tok) - 37, 0) == -1) {
		mresp_vault_error(r, 500, "token encoding failed");
		goto out;
	}
	for (char *p = tok + 37; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	rand_base62(acc, 24);
	rand_base62(wacc, 24);
	if (wt_add(i, tok, id, ttl, NULL) == -1) {
		mresp_vault_error(r, 500, "out of memory");
		goto out;
	}
	iso8601_ms(wall_ms(), ts, sizeof(ts));
	buf_puts(&w, "{\"token\":");
	json_append_str(&w, tok);
	buf_printf(&w, ",\"accessor\":\"%s\",\"ttl\":%lld,"
	    "\"creation_time\":\"%s\",\"creation_path\":"
	    "\"sys/replication/dr/primary/secondary-token\","
	    "\"wrapped_accessor\":\"%s\"}", acc, ttl, ts, wacc);
	state_changed();
	mresp_vault_ok(r, "null", w.data, NULL);
	buf_free(&w);
out:
	free(id);
	free(ttls);
	free(pub);
}

static void
revoke_secondary(int i, const struct mreq *q, struct mresp *r)
{
	struct json j = { 0 };
	struct cluster *o = &M.cl[1 - i];
	char *id;
	size_t k;

	if (body_json(q, &j, r) == -1)
		return;
	id = body_str(&j, "id");
	json_free(&j);
	if (id == NULL || *id == '\0') {
		free(id);
		mresp_vault_error(r, 400, "missing required 'id' parameter");
		return;
	}
	strv_del(&M.cl[i].known, id);
	for (k = 0; k < M.nwt; k++)
		if (M.wt[k].issuer == i && strcmp(M.wt[k].id, id) == 0)
			M.wt[k].revoked = 1;
	if (o->upstream == i && o->secondary_id &&
	    strcmp(o->secondary_id, id) == 0) {
		o->upstream = -1;
		free(o->secondary_id);
		o->secondary_id = NULL;
	}
	free(id);
	state_changed();
	no_content(r);
}

static void
unwrap_error(struct mresp *r, const char *detail)
{
	char msg[700];

	snprintf(msg, sizeof(msg), UNWRAP_ERR "%s", detail);
	mresp_vault_error(r, 500, msg);
}

/* Port of an http(s) URL (default by scheme), or -1. */
static int
url_port(const char *u)
{
	const char *h, *e, *c;
	char *end;
	long port;
	int def;

	if (strncasecmp(u, "https://", 8) == 0)
		def = 443, h = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		def = 80, h = u + 7;
	else
		return -1;
	e = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));
		if (rb == NULL)
			return -1;
		c = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
	} else
		c = memchr(h, ':', (size_t)(e - h));
	if (c == NULL)
		return def;
	if (c + 1 == e || (size_t)(e - c - 1) > 5)
		return -1;
	for (const char *p = c + 1; p < e; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	port = strtol(c + 1, &end, 10);
	return end == e && port <= 65535 ? (int)port : -1;
}

static int
same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* update-primary with a public-key activation token w: decrypted with
 * this cluster's own newest key, no call to the primary's API. The
 * issuing cluster, or -1 with r answered. */
static int
pk_activation(int i, const struct wraptok *w, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	int t = w->issuer;

	if (c->pubkey == NULL || strcmp(c->pubkey, w->pubkey) != 0) {
		mresp_vault_error(r, 400, "error decrypting secondary "
		    "activation token: it was not encrypted to this cluster's "
		    "current public key");
		return -1;
	}
	if (t == i || !M.cl[t].primary || M.cl[t].transition || w->used ||
	    w->revoked || w->expires_ms <= wall_ms()) {
		mresp_vault_error(r, 400, "secondary activation token is not "
		    "valid or has expired");
		return -1;
	}
	free(c->pubkey);
	c->pubkey = NULL;
	return t;
}

static void
update_primary(int i, const struct mreq *q, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	struct json j = { 0 };
	char *dtok, *tok, *api, detail[600], base[400];
	struct wraptok *w = NULL;
	int t = -1;
	size_t k;

	if (body_json(q, &j, r) == -1)
		return;
	dtok = body_str(&j, "dr_operation_token");
	tok = body_str(&j, "token");
	api = body_str(&j, "primary_api_addr");
	json_free(&j);
	if (!dr_token_kind(i, dtok)) {
		mresp_vault_error(r, 400, "invalid DR operation token");
		goto out;
	}
	if (tok == NULL || *tok == '\0') {
		/* token "" forgets the primary and stops reconnecting. */
		c->upstream = -1;
		free(c->secondary_id);
		c->secondary_id = NULL;
		state_changed();
		mresp_vault_ok(r, "null", NULL, UPDATE_WARNING);
		goto out;
	}
	for (k = 0; k < M.nwt; k++)
		if (strcmp(M.wt[k].token, tok) == 0)
			w = &M.wt[k];
	if (w && w->pubkey) {
		if ((t = pk_activation(i, w, r)) < 0)
			goto out;
		goto attach;
	}
	w = NULL;
	if (api && *api) {
		int port = url_port(api);

		snprintf(base, sizeof(base), "%s", api);
		base[strcspn(base, "?#")] = '\0';
		if (strlen(base) > 8 && base[strlen(base) - 1] == '/')
			base[strlen(base) - 1] = '\0';
		for (k = 0; k < 2; k++)
			if (M.lst[k].port == port)
				t = (int)k;
		if (t < 0 || M.lst[t].st == LS_DOWN) {
			snprintf(detail, sizeof(detail), "Put \"%s/v1/sys/"
			    "wrapping/unwrap\": dial tcp: connection refused",
			    base);
			unwrap_error(r, detail);
			goto out;
		}
	} else {
		const char *dns = state_resolved();

		for (k = 0; dns && k < 2; k++)
			if (same_host(dns, M.cl[k].dns_name))
				t = (int)k;
		snprintf(base, sizeof(base), "https://%s:8200",
		    dns ? dns : M.cname);
		if (t < 0) {
			snprintf(detail, sizeof(detail), "Put \"%s/v1/sys/"
			    "wrapping/unwrap\": dial tcp: lookup %s: no such "
			    "host", base, dns ? dns : M.cname);
			unwrap_error(r, detail);
			goto out;
		}
		if (M.lst[t].st == LS_DOWN) {
			snprintf(detail, sizeof(detail), "Put \"%s/v1/sys/"
			    "wrapping/unwrap\": dial tcp: connection refused",
			    base);
			unwrap_error(r, detail);
			goto out;
		}
	}
	if (c->peer_ca_untrusted) {
		snprintf(detail, sizeof(detail), "Put \"%s/v1/sys/wrapping/"
		    "unwrap\": tls: failed to verify certificate: x509: "
		    "certificate signed by unknown authority", base);
		unwrap_error(r, detail);
		goto out;
	}
	if (M.lst[t].st == LS_BLACKHOLE) {
		snprintf(detail, sizeof(detail), "Put \"%s/v1/sys/wrapping/"
		    "unwrap\": context deadline exceeded", base);
		unwrap_error(r, detail);
		goto out;
	}
	if (M.cl[t].transition) {
		unwrap_error(r, "status code is 503, message is "
		    "\"Vault is sealed\"");
		goto out;
	}
	for (k = 0; k < M.nwt; k++)
		if (strcmp(M.wt[k].token, tok) == 0)
			w = &M.wt[k];
	if (t == i || w == NULL || w->issuer != t || !M.cl[t].primary ||
	    w->used || w->revoked || w->expires_ms <= wall_ms()) {
		unwrap_error(r, "status code is 400, message is \"wrapping "
		    "token is not valid or does not exist\"");
		goto out;
	}
attach:
	w->used = 1;
	c->primary = 0;
	c->upstream = t;
	free(c->secondary_id);
	c->secondary_id = strdup(w->id);
	c->last_remote_wal = M.cl[t].last_wal > c->lag_wals ?
	    M.cl[t].last_wal - c->lag_wals : 0;
	c->reattached = 1;
	c->connected = 1;
	c->catchup_at = 0;
	c->attach_until = c->attach_delay_ms > 0 ?
	    mono_ms() + c->attach_delay_ms : 0;
	if (!strv_has(&M.cl[t].known, w->id))
		strv_add(&M.cl[t].known, w->id);
	state_changed();
	mresp_vault_ok(r, "null", NULL, UPDATE_WARNING);
out:
	free(dtok);
	free(tok);
	free(api);
}

/* generate-public-key on a DR secondary: a new key pair replaces the last;
 * only a token encrypted to the newest key activates it. */
static void
generate_public_key(int i, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	unsigned char rnd[32];
	char key[64];
	struct buf d = { 0 };

	rand_bytes(rnd, sizeof(rnd));
	if (b64_encode(rnd, sizeof(rnd), key, sizeof(key), 1) == -1) {
		mresp_vault_error(r, 500, "key encoding failed");
		return;
	}
	free(c->pubkey);
	c->pubkey = strdup(key);
	buf_puts(&d, "{\"secondary_public_key\":");
	json_append_str(&d, key);
	buf_puts(&d, "}");
	state_changed();
	mresp_vault_ok(r, d.data, NULL, NULL);
	buf_free(&d);
}

static void
op_token_delete(int i, const struct mreq *q, struct mresp *r)
{
	struct json j = { 0 };
	char *tok;
	int kind;

	if (body_json(q, &j, r) == -1)
		return;
	tok = body_str(&j, "dr_operation_token");
	json_free(&j);
	kind = dr_token_kind(i, tok);
	if (kind == 1) {
		strv_del(&M.cl[i].dr_tokens, tok);
		state_changed();
		no_content(r);
	} else if (kind == 2)
		mresp_vault_error(r, 400, "batch tokens cannot be revoked");
	else
		mresp_vault_error(r, 400, "invalid DR operation token");
	free(tok);
}

/* ---- routing ---- */

enum ep { EP_HEALTH, EP_STATUS, EP_DRSTATUS, EP_ATTEMPT, EP_UPDATE,
	EP_PROMOTE, EP_UPDPRIM, EP_OPDEL, EP_DEMOTE, EP_SECTOK, EP_REVOKE,
	EP_SEAL, EP_LOOKUP, EP_CAPS, EP_PERFSTATUS, EP_GENPUB, EP_NONE };

static const struct {
	const char *path;
	const char *methods; /* space separated; PUT == POST */
	int unauth;          /* no token anywhere */
	int secondary;       /* a dr/secondary/ endpoint */
	const char *caps;    /* capabilities a restricted token needs */
} eps[] = {
	{ "sys/health", "GET HEAD", 1, 0, NULL },
	{ "sys/replication/status", "GET", 1, 0, NULL },
	{ "sys/replication/dr/status", "GET", 1, 0, NULL },
	{ "sys/replication/dr/secondary/generate-operation-token/attempt",
	    "GET POST DELETE", 0, 1, NULL },
	{ "sys/replication/dr/secondary/generate-operation-token/update",
	    "POST", 0, 1, NULL },
	{ "sys/replication/dr/secondary/promote", "POST", 0, 1, NULL },
	{ "sys/replication/dr/secondary/update-primary", "POST", 0, 1, NULL },
	{ "sys/replication/dr/secondary/operation-token/delete", "POST", 0, 1, NULL },
	{ "sys/replication/dr/primary/demote", "POST", 0, 0, "update" },
	{ "sys/replication/dr/primary/secondary-token", "POST", 0, 0,
	    "update sudo" },
	{ "sys/replication/dr/primary/revoke-secondary", "POST", 0, 0,
	    "update" },
	{ "sys/seal-status", "GET", 1, 0, NULL },
	{ "auth/token/lookup-self", "GET", 0, 0, NULL },
	{ "sys/capabilities-self", "POST", 0, 0, NULL },
	{ "sys/replication/performance/status", "GET", 1, 0, NULL },
	{ "sys/replication/dr/secondary/generate-public-key", "POST", 0, 1,
	    NULL },
};

static int
method_ok(const char *methods, const char *m)
{
	size_t n = strlen(m);
	const char *p = methods;

	while ((p = strstr(p, m)) != NULL) {
		if ((p == methods || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

void
mv_handle(int i, const struct mreq *q, struct mresp *r)
{
	struct cluster *c = &M.cl[i];
	const char *p = q->path, *m = q->method;
	char meth[16];
	int e;

	snprintf(meth, sizeof(meth), "%s", strcmp(m, "PUT") == 0 ? "POST" : m);
	if (strncmp(p, "/v1/", 4) != 0) {
		mresp_vault_error(r, 404, NULL);
		return;
	}
	p += 4;
	for (e = 0; e < EP_NONE; e++)
		if (strcmp(p, eps[e].path) == 0)
			break;
	if (c->transition && e != EP_HEALTH) {
		mresp_vault_error(r, 503, "Vault is sealed");
		return;
	}
	if (!c->primary) {
		int disabled = e == EP_NONE ? strncmp(p,
		    "sys/replication/dr/secondary/", 29) != 0 :
		    !eps[e].unauth && !eps[e].secondary;
		if (disabled) {
			mresp_vault_error(r, 400, PATH_DISABLED);
			return;
		}
		if (e == EP_NONE) {
			mresp_vault_error(r, 404, NULL);
			return;
		}
		if ((e == EP_ATTEMPT || e == EP_UPDATE) &&
		    M.generate_requires_token && !token_ok(q)) {
			mresp_vault_error(r, 403, "permission denied");
			return;
		}
		/* Vault 2.x: starting or feeding an attempt needs a token
		 * privileged on this DR secondary, whatever is sent. */
		if (((e == EP_ATTEMPT && strcmp(meth, "POST") == 0) ||
		    e == EP_UPDATE) && c->generate_forbidden) {
			mresp_vault_error(r, 403, "permission denied");
			return;
		}
	} else if (e == EP_NONE || !eps[e].unauth) {
		if (!token_ok(q)) {
			mresp_vault_error(r, 403, "permission denied");
			return;
		}
		if (e == EP_NONE) {
			mresp_vault_error(r, 404, NULL);
			return;
		}
		if (eps[e].caps && !caps_allow(token_caps(vault_token(q), p),
		    eps[e].caps)) {
			mresp_vault_error(r, 403, "permission denied");
			return;
		}
	}
	/* Both branches above have answered EP_NONE already. */
	if (e == EP_NONE || !method_ok(eps[e].methods, meth)) {
		mresp_vault_error(r, 405, "unsupported operation");
		return;
	}
	if (c->primary && eps[e].secondary) {
		mresp_vault_error(r, 400, e == EP_PROMOTE ?
		    "this cluster is already a DR primary" :
		    "this cluster is not a DR secondary");
		return;
	}
	switch (e) {
	case EP_HEALTH:
		health(i, q, r);
		break;
	case EP_STATUS:
	case EP_DRSTATUS:
		repl_status(i, e == EP_DRSTATUS, r);
		break;
	case EP_PERFSTATUS:
		repl_status(i, 2, r);
		break;
	case EP_GENPUB:
		generate_public_key(i, r);
		break;
	case EP_ATTEMPT:
		gen_attempt(i, q, r);
		break;
	case EP_UPDATE:
		gen_update(i, q, r);
		break;
	case EP_PROMOTE:
		promote(i, q, r);
		break;
	case EP_UPDPRIM:
		update_primary(i, q, r);
		break;
	case EP_OPDEL:
		op_token_delete(i, q, r);
		break;
	case EP_DEMOTE:
		demote(i, r);
		break;
	case EP_SECTOK:
		secondary_token(i, q, r);
		break;
	case EP_REVOKE:
		revoke_secondary(i, q, r);
		break;
	case EP_SEAL:
		seal_status(i, r);
		break;
	case EP_LOOKUP:
		lookup_self(q, r);
		break;
	case EP_CAPS:
		capabilities_self(q, r);
		break;
	default:
		mresp_vault_error(r, 404, NULL);
	}
}
