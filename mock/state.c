/* state.c - the mock's world: scenario loading with defaults, clusters,
 * Route 53 records and changes, instance metadata credentials, fault rules,
 * the state JSON and the state file, timed transitions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mock/state.h"
#include "mock/handler.h" /* mperf_state_json */
#include "route53.h" /* r53_name_eq, r53_name_in_zone */
#include "net.h"
#include "tls.h"

/* Token layout only, to walk the members of an object whose keys are data
 * (token_capabilities); json.c owns the parser. */
#define JSMN_HEADER
#define JSMN_PARENT_LINKS
#include <jsmn.h>

struct mock M = { .mu = PTHREAD_MUTEX_INITIALIZER };
/* The scenario sections other files own (state_load's parts). */
static const struct scenario_part *scen_parts;
static size_t nscen_parts;
const char *const listener_names[L_N] = { "a", "b", "route53", "control",
	"imds" };

/* ---- small helpers ---- */

/* The mock keeps long long milliseconds; the clocks are net.c's. */
long long
mono_ms(void)
{
	return (long long)net_now_ms();
}

long long
wall_ms(void)
{
	return (long long)net_wall_ms();
}

void
iso8601_ms(long long wall, char *out, size_t outsz)
{
	time_t t = (time_t)(wall / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outsz, "%s.%03dZ", s, (int)(wall % 1000));
}

void
rand_bytes(void *p, size_t n)
{
	/* getrandom never fails for small requests after boot; if it does,
	 * the mock has no business continuing with predictable tokens. */
	if (tls_random(p, n) == -1)
		abort();
}

void
rand_base62(char *out, size_t n)
{
	static const char al[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t i;
	unsigned char c;

	for (i = 0; i < n;) {
		rand_bytes(&c, 1);
		if (c >= 248) /* keep the distribution uniform */
			continue;
		out[i++] = al[c % 62];
	}
	out[n] = '\0';
}

void
rand_uuid(char out[37])
{
	unsigned char u[16];

	rand_bytes(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
	    u[11], u[12], u[13], u[14], u[15]);
}

/* ---- scenario ---- */

struct ld {
	struct json *j;
	char *why;
	size_t whysz;
};

static int
bad(struct ld *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct ld *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, l->whysz, fmt, ap);
	va_end(ap);
	return -1;
}

/* Optional string at path: replaces *dst when present. */
static int
get_str(struct ld *l, int at, const char *path, const char *key, char **dst)
{
	char *s;
	int rc = json_get_str(l->j, at, path, &s);

	if (rc == -1)
		return bad(l, "%s: must be a string", key);
	if (rc == 0) {
		free(*dst);
		*dst = s;
	}
	return 0;
}

static int
get_int(struct ld *l, int at, const char *path, const char *key, long long lo,
    long long hi, long long *dst)
{
	long long v;
	int idx = json_find(l->j, at, path), rc;

	if (json_type_at(l->j, idx) == JSON_STRING)
		return bad(l, "%s: must be a number", key);
	rc = json_get_i64(l->j, at, path, &v);
	if (rc == -1 || (rc == 0 && (v < lo || v > hi)))
		return bad(l, "%s: must be an integer from %lld to %lld", key,
		    lo, hi);
	if (rc == 0)
		*dst = v;
	return 0;
}

static int
get_bool(struct ld *l, int at, const char *path, const char *key, int *dst)
{
	int v, rc = json_get_bool(l->j, at, path, &v);

	if (rc == -1)
		return bad(l, "%s: must be true or false", key);
	if (rc == 0)
		*dst = v;
	return 0;
}

static int
get_strv(struct ld *l, int at, const char *path, const char *key,
    struct strv *dst, int nonempty)
{
	int idx = json_find(l->j, at, path), n, i;
	enum json_type ty = json_type_at(l->j, idx);

	if (ty == JSON_MISSING)
		return 0;
	if (ty != JSON_ARRAY)
		return bad(l, "%s: must be an array of strings", key);
	n = json_array_len(l->j, idx);
	if (nonempty && n == 0)
		return bad(l, "%s: must not be empty", key);
	strv_free(dst);
	for (i = 0; i < n; i++) {
		char *s;
		int e = json_array_elem(l->j, idx, i);

		if (json_type_at(l->j, e) != JSON_STRING ||
		    json_tok_str(l->j, e, &s) == -1)
			return bad(l, "%s[%d]: must be a string", key, i);
		if (s[0] == '\0') {
			free(s);
			return bad(l, "%s[%d]: must not be empty", key, i);
		}
		if (strv_add(dst, s) == -1) {
			free(s);
			return bad(l, "out of memory");
		}
		free(s);
	}
	return 0;
}

/* One of the allowed strings (NULL-terminated list), or an error. */
static int
get_enum(struct ld *l, int at, const char *path, const char *key,
    const char *const *allowed, char **dst)
{
	char *s = NULL, list[200] = "";
	size_t o = 0;
	int k;

	if (get_str(l, at, path, key, &s) == -1)
		return -1;
	if (s == NULL)
		return 0;
	for (k = 0; allowed[k]; k++)
		if (strcmp(s, allowed[k]) == 0) {
			free(*dst);
			*dst = s;
			return 0;
		}
	free(s);
	for (k = 0; allowed[k] && o < sizeof(list); k++) {
		snprintf(list + o, sizeof(list) - o, "%s\"%s\"", k ? ", " : "",
		    allowed[k]);
		o = strlen(list);
	}
	return bad(l, "%s: must be one of %s", key, list);
}

/* The replication model, nodes and token knobs of one cluster. */
static int
load_cluster_repl(struct ld *l, int at, struct cluster *c, const char *nm)
{
	static const char *const states[] = { "stream-wals", "merkle-sync",
		"merkle-diff", "connecting", "idle", NULL };
	static const char *const stuck[] = { "merkle-sync", "connecting",
		NULL };
	char key[64];
	long long v;

#define K(sub) (snprintf(key, sizeof(key), "clusters.%s.%s", nm, sub), key)
	if (get_int(l, at, "wal_rate", K("wal_rate"), 0, 1000000,
	    &c->wal_rate) == -1 ||
	    get_int(l, at, "lag_wals", K("lag_wals"), 0, 1LL << 52,
	    &c->lag_wals) == -1 ||
	    get_bool(l, at, "connected", K("connected"), &c->connected) == -1 ||
	    get_enum(l, at, "state", K("state"), states,
	    &c->forced_state) == -1 ||
	    get_bool(l, at, "corrupted_merkle_tree",
	    K("corrupted_merkle_tree"), &c->corrupted) == -1 ||
	    get_enum(l, at, "attach_stuck", K("attach_stuck"), stuck,
	    &c->attach_stuck) == -1 ||
	    get_str(l, at, "cluster_name", K("cluster_name"),
	    &c->cluster_name) == -1 ||
	    get_str(l, at, "health_cluster_id", K("health_cluster_id"),
	    &c->health_cluster_id) == -1 ||
	    get_bool(l, at, "generate_forbidden", K("generate_forbidden"),
	    &c->generate_forbidden) == -1 ||
	    get_bool(l, at, "peer_ca_untrusted", K("peer_ca_untrusted"),
	    &c->peer_ca_untrusted) == -1 ||
	    get_int(l, at, "attempt_taken_over_after",
	    K("attempt_taken_over_after"), 0, 15, &c->taken_over_after) == -1)
		return -1;
	if (c->forced_state && strcmp(c->forced_state, "stream-wals") == 0) {
		free(c->forced_state);
		c->forced_state = NULL;
	}
	v = c->catchup_delay_ms;
	if (get_int(l, at, "catchup_delay_ms", K("catchup_delay_ms"), 0,
	    3600000, &v) == -1)
		return -1;
	c->catchup_delay_ms = (long)v;
	v = c->attach_delay_ms;
	if (get_int(l, at, "attach_delay_ms", K("attach_delay_ms"), 0,
	    3600000, &v) == -1)
		return -1;
	c->attach_delay_ms = (long)v;
	v = c->standbys;
	if (get_int(l, at, "standbys", K("standbys"), 0, 16, &v) == -1)
		return -1;
	c->standbys = (int)v;
	v = c->perf_standbys;
	if (get_int(l, at, "perf_standbys", K("perf_standbys"), 0, 16,
	    &v) == -1)
		return -1;
	c->perf_standbys = (int)v;
#undef K
	return 0;
}

/* Token index of member n's key in the object at `at`, or -1. */
static int
json_object_key(const struct json *j, int at, int n)
{
	const jsmntok_t *t = j->tok;
	int i = at + 1, m, k;

	if (at < 0 || at >= j->ntok || t[at].type != JSMN_OBJECT ||
	    n >= t[at].size)
		return -1;
	for (m = 0; m < n; m++) {
		/* skip the key and its value's whole subtree */
		i++;
		for (k = 1; k > 0 && i < j->ntok; i++)
			k += t[i].size - 1;
	}
	return i < j->ntok ? i : -1;
}

static int
json_object_size(const struct json *j, int at)
{
	return ((const jsmntok_t *)j->tok)[at].size;
}

/* token_capabilities: {"<token>": {"<path>": ["update", ...]}}. */
static int
load_token_caps(struct ld *l)
{
	int at = json_find(l->j, 0, "token_capabilities"), nt, t;

	if (at < 0)
		return 0;
	if (json_type_at(l->j, at) != JSON_OBJECT)
		return bad(l, "token_capabilities: must be an object");
	nt = json_object_size(l->j, at);
	for (t = 0; t < nt; t++) {
		int kt = json_object_key(l->j, at, t), vt = kt + 1, np, p;
		char *tok = NULL;

		if (kt < 0 || json_tok_str(l->j, kt, &tok) == -1)
			return bad(l, "token_capabilities: bad key");
		if (json_type_at(l->j, vt) != JSON_OBJECT) {
			free(tok);
			return bad(l, "token_capabilities.<token>: must be an "
			    "object of path: [capabilities]");
		}
		np = json_object_size(l->j, vt);
		for (p = 0; p < np; p++) {
			int kp = json_object_key(l->j, vt, p), vp = kp + 1, n, e;
			struct tokcap *nc, *tc;
			char *path = NULL;

			if (kp < 0 || json_tok_str(l->j, kp, &path) == -1 ||
			    json_type_at(l->j, vp) != JSON_ARRAY) {
				free(path);
				free(tok);
				return bad(l, "token_capabilities.<token>.<path>: "
				    "must be an array of strings");
			}
			nc = realloc(M.tcaps, (M.ntcaps + 1) * sizeof(*nc));
			if (nc == NULL) {
				free(path);
				free(tok);
				return bad(l, "out of memory");
			}
			M.tcaps = nc;
			tc = &M.tcaps[M.ntcaps++];
			memset(tc, 0, sizeof(*tc));
			tc->token = strdup(tok);
			tc->path = path;
			n = json_array_len(l->j, vp);
			for (e = 0; e < n; e++) {
				char *cap = NULL;
				int ei = json_array_elem(l->j, vp, e);

				if (json_type_at(l->j, ei) != JSON_STRING ||
				    json_tok_str(l->j, ei, &cap) == -1) {
					free(tok);
					return bad(l, "token_capabilities: "
					    "capabilities must be strings");
				}
				strv_add(&tc->caps, cap);
				free(cap);
			}
		}
		free(tok);
	}
	return 0;
}

static int
load_cluster(struct ld *l, int i, const char *nm)
{
	struct cluster *c = &M.cl[i];
	char key[64], *mode = NULL, *otp = NULL;
	long long v;
	int at;

	snprintf(key, sizeof(key), "clusters.%s", nm);
	at = json_find(l->j, 0, key);
	if (at < 0)
		return 0;
	if (json_type_at(l->j, at) != JSON_OBJECT)
		return bad(l, "%s: must be an object", key);
#define K(sub) (snprintf(key, sizeof(key), "clusters.%s.%s", nm, sub), key)
	if (get_str(l, at, "mode", K("mode"), &mode) == -1)
		return -1;
	if (mode) {
		if (strcmp(mode, "primary") != 0 && strcmp(mode, "secondary"))
			return free(mode),
			    bad(l, "%s: must be \"primary\" or \"secondary\"",
			    K("mode"));
		c->primary = strcmp(mode, "primary") == 0;
		free(mode);
	}
	if (get_str(l, at, "otp", K("otp"), &otp) == -1)
		return -1;
	if (otp) {
		if (strcmp(otp, "modern") != 0 && strcmp(otp, "legacy") != 0)
			return free(otp),
			    bad(l, "%s: must be \"modern\" or \"legacy\"",
			    K("otp"));
		c->legacy = strcmp(otp, "legacy") == 0;
		free(otp);
	}
	v = c->otp_length;
	if (get_int(l, at, "otp_length", K("otp_length"), 8, 128, &v) == -1)
		return -1;
	c->otp_length = (int)v;
	if (get_str(l, at, "version", K("version"), &c->version) == -1 ||
	    get_str(l, at, "dns_name", K("dns_name"), &c->dns_name) == -1)
		return -1;
	v = c->promote_delay_ms;
	if (get_int(l, at, "promote_delay_ms", K("promote_delay_ms"), 0,
	    3600000, &v) == -1)
		return -1;
	c->promote_delay_ms = (long)v;
	v = c->demote_delay_ms;
	if (get_int(l, at, "demote_delay_ms", K("demote_delay_ms"), 0,
	    3600000, &v) == -1)
		return -1;
	c->demote_delay_ms = (long)v;
	if (get_int(l, at, "last_wal", K("last_wal"), 0, 1LL << 52,
	    &c->last_wal) == -1)
		return -1;
	if (load_cluster_repl(l, at, c, nm) == -1)
		return -1;
#undef K
	return 0;
}

/* One scenario record set (element e of route53.records) into r. */
static int
load_record(struct ld *l, int e, const char *key, struct rrset *r)
{
	char *name = NULL, *val = NULL, k2[96], msg[400];
	long long ttl = 300, w = -1;
	int at;

	if (json_type_at(l->j, e) != JSON_OBJECT)
		return bad(l, "%s: must be an object", key);
	r->ttl = -1;
#define K(sub) (snprintf(k2, sizeof(k2), "%s.%s", key, sub), k2)
	if (get_str(l, e, "name", K("name"), &name) == -1 ||
	    get_str(l, e, "type", K("type"), &r->type) == -1 ||
	    get_str(l, e, "value", K("value"), &val) == -1 ||
	    get_strv(l, e, "values", K("values"), &r->values, 1) == -1 ||
	    get_int(l, e, "ttl", K("ttl"), 0, 2147483647, &ttl) == -1 ||
	    get_str(l, e, "set_identifier", K("set_identifier"),
	    &r->set_id) == -1 ||
	    get_int(l, e, "weight", K("weight"), 0, 255, &w) == -1 ||
	    get_str(l, e, "failover", K("failover"), &r->failover) == -1 ||
	    get_str(l, e, "region", K("region"), &r->region) == -1 ||
	    get_str(l, e, "health_check_id", K("health_check_id"),
	    &r->health_check) == -1)
		goto fail;
	if (name == NULL || r->type == NULL) {
		bad(l, "%s: needs \"name\" and \"type\"", key);
		goto fail;
	}
	r->name = mr53_norm_name(name);
	for (char *p = r->type; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	if (w >= 0) {
		r->has_weight = 1;
		r->weight = (long)w;
	}
	if (val && r->values.n) {
		bad(l, "%s: \"value\" and \"values\" exclude each other", key);
		goto fail;
	}
	if (val)
		strv_add(&r->values, val);
	if ((at = json_find(l->j, e, "alias_target")) >= 0) {
		char *dns = NULL;

		if (json_type_at(l->j, at) != JSON_OBJECT) {
			bad(l, "%s: must be an object", K("alias_target"));
			goto fail;
		}
		if (get_str(l, at, "hosted_zone_id",
		    K("alias_target.hosted_zone_id"), &r->alias_zone) == -1 ||
		    get_str(l, at, "dns_name", K("alias_target.dns_name"),
		    &dns) == -1 ||
		    get_bool(l, at, "evaluate_target_health",
		    K("alias_target.evaluate_target_health"),
		    &r->alias_eval) == -1)
			goto fail;
		if (dns == NULL || r->alias_zone == NULL) {
			free(dns);
			bad(l, "%s: needs \"hosted_zone_id\" and \"dns_name\"",
			    K("alias_target"));
			goto fail;
		}
		r->alias_dns = mr53_norm_name(dns);
		free(dns);
		if (json_find(l->j, e, "ttl") >= 0 || r->values.n) {
			bad(l, "%s: an alias has no \"ttl\", \"value\" or "
			    "\"values\"", key);
			goto fail;
		}
	} else {
		r->ttl = ttl;
		if (r->values.n == 0) {
			bad(l, "%s: needs \"value\", \"values\" or "
			    "\"alias_target\"", key);
			goto fail;
		}
	}
#undef K
	if (mr53_rrset_check(r, msg, sizeof(msg)) == -1) {
		bad(l, "%s: %s", key, msg);
		goto fail;
	}
	free(name);
	free(val);
	return 0;
fail:
	free(name);
	free(val);
	return -1;
}

static int
load_records(struct ld *l)
{
	int at = json_find(l->j, 0, "route53.records"), n, i;
	size_t k;

	if (at < 0)
		return 0;
	if (json_type_at(l->j, at) != JSON_ARRAY)
		return bad(l, "route53.records: must be an array");
	n = json_array_len(l->j, at);
	if ((M.rr = calloc((size_t)n + 1, sizeof(*M.rr))) == NULL)
		return bad(l, "out of memory");
	for (i = 0; i < n; i++) {
		struct rrset *r = &M.rr[M.nrr];
		char key[64];

		snprintf(key, sizeof(key), "route53.records[%d]", i);
		if (load_record(l, json_array_elem(l->j, at, i), key, r) == -1) {
			mr53_rrset_free(r);
			return -1;
		}
		for (k = 0; k < M.nrr; k++)
			if (r53_name_eq(M.rr[k].name, r->name) &&
			    strcmp(M.rr[k].type, r->type) == 0 &&
			    (M.rr[k].set_id == r->set_id || (M.rr[k].set_id &&
			    r->set_id && strcmp(M.rr[k].set_id, r->set_id) == 0)))
				break;
		if (k < M.nrr) {
			mr53_rrset_free(r);
			return bad(l, "%s: a record set with that name, type and "
			    "set_identifier is already listed", key);
		}
		M.nrr++;
	}
	return 0;
}

/* route53.alias_targets: the names each target zone holds (what Route 53
 * checks when an alias is created). */
static int
load_alias_targets(struct ld *l)
{
	int at = json_find(l->j, 0, "route53.alias_targets"), n, i;

	if (at < 0)
		return 0;
	if (json_type_at(l->j, at) != JSON_ARRAY)
		return bad(l, "route53.alias_targets: must be an array");
	n = json_array_len(l->j, at);
	for (i = 0; i < n; i++) {
		int e = json_array_elem(l->j, at, i);
		char *z = NULL, *d = NULL, *nd = NULL, one[600];
		int ok = json_get_str(l->j, e, "hosted_zone_id", &z) == 0 &&
		    json_get_str(l->j, e, "dns_name", &d) == 0 && z[0] && d[0];

		if (ok && (nd = mr53_norm_name(d)) != NULL) {
			snprintf(one, sizeof(one), "%s %s", z, nd);
			strv_add(&M.alias_targets, one);
		}
		free(z);
		free(d);
		free(nd);
		if (!ok)
			return bad(l, "route53.alias_targets[%d]: needs "
			    "\"hosted_zone_id\" and \"dns_name\" strings", i);
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS" with optional fraction, then "Z" or "+HH:MM". */
static int
iso8601_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	s += i;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return 0;
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	if (strcmp(s, "Z") == 0)
		return 1;
	return (s[0] == '+' || s[0] == '-') && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9' && s[3] == ':' && s[4] >= '0' &&
	    s[4] <= '9' && s[5] >= '0' && s[5] <= '9' && s[6] == '\0';
}

static int
load_imds(struct ld *l)
{
	int at = json_find(l->j, 0, "imds");

	if (at < 0)
		return 0;
	if (json_type_at(l->j, at) != JSON_OBJECT)
		return bad(l, "imds: must be an object");
	if (get_str(l, at, "role", "imds.role", &M.imds_role) == -1 ||
	    get_str(l, at, "access_key", "imds.access_key",
	    &M.imds_access_key) == -1 ||
	    get_str(l, at, "secret_key", "imds.secret_key",
	    &M.imds_secret_key) == -1 ||
	    get_str(l, at, "token", "imds.token", &M.imds_token) == -1 ||
	    get_str(l, at, "expiration", "imds.expiration",
	    &M.imds_expiration) == -1 ||
	    get_bool(l, at, "require_v2", "imds.require_v2",
	    &M.imds_require_v2) == -1)
		return -1;
	if (M.imds_role == NULL || M.imds_role[0] == '\0' ||
	    strchr(M.imds_role, '/') != NULL)
		return bad(l, "imds.role: must be a non-empty name without '/'");
	if (M.imds_access_key && M.imds_access_key[0] == '\0')
		return bad(l, "imds.access_key: must not be empty");
	if (M.imds_secret_key && M.imds_secret_key[0] == '\0')
		return bad(l, "imds.secret_key: must not be empty");
	if (M.imds_expiration && !iso8601_ok(M.imds_expiration))
		return bad(l, "imds.expiration: must be an ISO 8601 time such "
		    "as 2030-01-01T00:00:00Z");
	return 0;
}

static int
load_listeners(struct ld *l)
{
	static const struct {
		const char *name;
		int which;
	} names[] = { { "a", L_A }, { "b", L_B }, { "route53", L_R53 },
		{ "imds", L_IMDS } };
	size_t n;

	for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		char key[64], *s = NULL;
		int i = names[n].which;

		snprintf(key, sizeof(key), "listeners.%s", names[n].name);
		if (get_str(l, 0, key, key, &s) == -1)
			return -1;
		if (s == NULL)
			continue;
		if (strcmp(s, "up") == 0)
			M.lst[i].st = LS_UP;
		else if (strcmp(s, "down") == 0)
			M.lst[i].st = LS_DOWN;
		else if (strcmp(s, "blackhole") == 0)
			M.lst[i].st = LS_BLACKHOLE;
		else {
			free(s);
			return bad(l, "%s: must be \"up\", \"down\" or "
			    "\"blackhole\"", key);
		}
		free(s);
	}
	return 0;
}

/* Walks valid JSON text and reports every object member's dotted path
 * (array elements as "[]") to check, so that typos in a scenario are errors
 * rather than silently ignored keys. */
static const char *
ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *
skip_str(const char *p, const char *e)
{
	for (p++; p < e && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < e ? p + 1 : e;
}

static const char *walk_value(const char *p, const char *e, char *path,
    size_t plen, const char **unknown, int depth);

static int
key_allowed(const char *path)
{
	static const char *ok[] = { "vault_tokens", "generate_requires_token",
		"recovery_keys", "recovery_threshold", "batch_dr_tokens",
		"cluster_id", "cname", "clusters", "clusters.a", "clusters.b",
		"route53", "route53.access_key", "route53.secret_key",
		"route53.session_token", "route53.zone_id", "route53.zone_name",
		"route53.insync_delay_ms", "route53.region", "route53.records",
		"route53.page_size",
		"route53.records[].name", "route53.records[].type",
		"route53.records[].ttl", "route53.records[].value",
		"route53.records[].values", "route53.records[].set_identifier",
		"route53.records[].weight", "route53.records[].failover",
		"route53.records[].region", "route53.records[].health_check_id",
		"route53.records[].alias_target",
		"route53.records[].alias_target.hosted_zone_id",
		"route53.records[].alias_target.dns_name",
		"route53.records[].alias_target.evaluate_target_health",
		"route53.alias_targets", "route53.alias_targets[].hosted_zone_id",
		"route53.alias_targets[].dns_name", "faults",
		"faults[].listener", "faults[].method", "faults[].path",
		"faults[].action", "faults[].status", "faults[].body",
		"faults[].aws_code", "faults[].skip", "faults[].count",
		"faults[].latency_ms", "faults[].interval_ms",
		"faults[].location", "listeners", "listeners.a",
		"listeners.b", "listeners.route53", "listeners.imds", "imds",
		"imds.role", "imds.access_key", "imds.secret_key", "imds.token",
		"imds.expiration", "imds.require_v2",
		"generate_forbidden", "token_capabilities", NULL };
	static const char *csub[] = { "mode", "otp", "otp_length", "version",
		"dns_name", "promote_delay_ms", "demote_delay_ms", "last_wal",
		"wal_rate", "lag_wals", "connected", "state",
		"corrupted_merkle_tree", "catchup_delay_ms", "attach_delay_ms",
		"attach_stuck", "standbys", "perf_standbys", "cluster_name",
		"health_cluster_id", "generate_forbidden",
		"attempt_taken_over_after", "peer_ca_untrusted", NULL };
	size_t k;
	int i;

	for (i = 0; ok[i]; i++)
		if (strcmp(path, ok[i]) == 0)
			return 1;
	for (k = 0; k < nscen_parts; k++)
		if (scen_parts[k].key_allowed(path))
			return 1;
	/* token_capabilities' keys are tokens and paths: checked as data. */
	if (strncmp(path, "token_capabilities.", 19) == 0)
		return 1;
	if (strncmp(path, "clusters.a.", 11) == 0 ||
	    strncmp(path, "clusters.b.", 11) == 0)
		for (i = 0; csub[i]; i++)
			if (strcmp(path + 11, csub[i]) == 0)
				return 1;
	return 0;
}

static const char *
walk_value(const char *p, const char *e, char *path, size_t plen,
    const char **unknown, int depth)
{
	size_t base = strlen(path);

	p = ws(p, e);
	if (p >= e || depth > 40)
		return e;
	if (*p == '{') {
		p = ws(p + 1, e);
		while (p < e && *p != '}') {
			const char *ks = p + 1, *ke;

			p = skip_str(p, e);
			ke = p - 1;
			snprintf(path + base, plen - base, "%s%.*s",
			    base ? "." : "", (int)(ke - ks), ks);
			if (*unknown == NULL && !key_allowed(path))
				*unknown = strdup(path);
			p = ws(p, e);
			p = walk_value(p + 1, e, path, plen, unknown, depth + 1);
			path[base] = '\0';
			p = ws(p, e);
			if (p < e && *p == ',')
				p = ws(p + 1, e);
		}
		return p < e ? p + 1 : e;
	}
	if (*p == '[') {
		snprintf(path + base, plen - base, "[]");
		p = ws(p + 1, e);
		while (p < e && *p != ']') {
			p = walk_value(p, e, path, plen, unknown, depth + 1);
			p = ws(p, e);
			if (p < e && *p == ',')
				p = ws(p + 1, e);
		}
		path[base] = '\0';
		return p < e ? p + 1 : e;
	}
	if (*p == '"')
		return skip_str(p, e);
	while (p < e && !strchr(",}] \t\r\n", *p))
		p++;
	return p;
}

static int
check_keys(struct ld *l, const char *js, size_t len)
{
	char path[512] = "";
	const char *unknown = NULL;

	walk_value(js, js + len, path, sizeof(path), &unknown, 0);
	if (unknown) {
		bad(l, "%s: unknown key", unknown);
		free((void *)unknown);
		return -1;
	}
	return 0;
}

static void
set_defaults(void)
{
	static const char *names[] = { "a", "b" };
	int i;

	strv_add(&M.vault_tokens, "mock-root-token");
	strv_add(&M.recovery_keys, "mock-recovery-key-1");
	strv_add(&M.recovery_keys, "mock-recovery-key-2");
	strv_add(&M.recovery_keys, "mock-recovery-key-3");
	M.recovery_threshold = 2;
	M.cluster_id = strdup("0a8b3c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
	M.cname = strdup("vault.test.example.test");
	for (i = 0; i < 2; i++) {
		struct cluster *c = &M.cl[i];
		char dns[64];

		c->name[0] = names[i][0];
		c->primary = i == 0;
		c->upstream = -1;
		c->otp_length = 28;
		c->version = strdup("1.15.2+ent");
		snprintf(dns, sizeof(dns), "vault-%s.lb.example.test", names[i]);
		c->dns_name = strdup(dns);
		c->last_wal = 1200;
		c->connected = 1;
		c->wals_lost = -1;
		snprintf(dns, sizeof(dns), "vault-cluster-%s", names[i]);
		c->cluster_name = strdup(dns);
		snprintf(dns, sizeof(dns), "%s-0c1d2e3f-4a5b-4c6d-8e7f-%012d",
		    i ? "b1b1b1b1" : "a0a0a0a0", i + 1);
		c->health_cluster_id = strdup(dns);
	}
	M.r53_access_key = strdup("AKIDMOCKEXAMPLE");
	M.r53_secret_key = strdup("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	M.r53_zone_id = strdup("Z0MOCK1234");
	M.r53_zone_name = strdup("example.test.");
	M.r53_region = strdup("us-east-1");
	M.r53_insync_delay_ms = 600;
	M.r53_page_size = 300;
	M.imds_role = strdup("vaultdr-dr-role");
	M.imds_require_v2 = 1;
	for (i = 0; i < L_N; i++) {
		M.lst[i].fd = -1;
		M.lst[i].st = LS_UP;
	}
}

int
state_load(const char *file, const struct scenario_part *parts,
    size_t nparts, char *why, size_t whysz)
{
	struct json j = { 0 };
	struct ld l = { &j, why, whysz };
	char *text = NULL, *zn;
	size_t len = 0;
	long long v;
	int rc = -1, i, at;
	size_t part;

	scen_parts = parts;
	nscen_parts = nparts;
	set_defaults();
	M.start_mono = mono_ms();
	if (file != NULL) {
		FILE *f = fopen(file, "rb");
		struct buf b = { 0 };
		char chunk[4096];
		size_t n;

		if (f == NULL) {
			snprintf(why, whysz, "%s: %s", file, strerror(errno));
			return -1;
		}
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
		len = b.len;
		text = buf_take(&b);
		if (text == NULL || json_parse(&j, text, len) == -1) {
			snprintf(why, whysz, "%s: %s", file, err_get());
			free(text);
			return -1;
		}
		if (json_type_at(&j, 0) != JSON_OBJECT) {
			snprintf(why, whysz, "%s: must be a JSON object", file);
			goto out;
		}
		if (check_keys(&l, text, len) == -1 ||
		    get_strv(&l, 0, "vault_tokens", "vault_tokens",
		    &M.vault_tokens, 0) == -1 ||
		    get_bool(&l, 0, "generate_requires_token",
		    "generate_requires_token", &M.generate_requires_token) == -1 ||
		    get_strv(&l, 0, "recovery_keys", "recovery_keys",
		    &M.recovery_keys, 1) == -1 ||
		    get_strv(&l, 0, "batch_dr_tokens", "batch_dr_tokens",
		    &M.batch_tokens, 0) == -1 ||
		    get_str(&l, 0, "cluster_id", "cluster_id", &M.cluster_id) == -1 ||
		    get_str(&l, 0, "cname", "cname", &M.cname) == -1)
			goto out;
		at = json_find(&j, 0, "clusters");
		if (at >= 0 && json_type_at(&j, at) != JSON_OBJECT) {
			bad(&l, "clusters: must be an object");
			goto out;
		}
		if (get_bool(&l, 0, "generate_forbidden", "generate_forbidden",
		    &M.cl[0].generate_forbidden) == -1 ||
		    load_token_caps(&l) == -1)
			goto out;
		M.cl[1].generate_forbidden = M.cl[0].generate_forbidden;
		if (load_cluster(&l, 0, "a") == -1 ||
		    load_cluster(&l, 1, "b") == -1)
			goto out;
		v = M.recovery_threshold;
		if (get_int(&l, 0, "recovery_threshold", "recovery_threshold", 1,
		    (long long)M.recovery_keys.n, &v) == -1)
			goto out;
		M.recovery_threshold = (long)v;
		at = json_find(&j, 0, "route53");
		if (at >= 0 && json_type_at(&j, at) != JSON_OBJECT) {
			bad(&l, "route53: must be an object");
			goto out;
		}
		if (get_str(&l, 0, "route53.access_key", "route53.access_key",
		    &M.r53_access_key) == -1 ||
		    get_str(&l, 0, "route53.secret_key", "route53.secret_key",
		    &M.r53_secret_key) == -1 ||
		    get_str(&l, 0, "route53.session_token",
		    "route53.session_token", &M.r53_session_token) == -1 ||
		    get_str(&l, 0, "route53.zone_id", "route53.zone_id",
		    &M.r53_zone_id) == -1 ||
		    get_str(&l, 0, "route53.zone_name", "route53.zone_name",
		    &M.r53_zone_name) == -1 ||
		    get_str(&l, 0, "route53.region", "route53.region",
		    &M.r53_region) == -1)
			goto out;
		v = M.r53_insync_delay_ms;
		if (get_int(&l, 0, "route53.insync_delay_ms",
		    "route53.insync_delay_ms", 0, 3600000, &v) == -1)
			goto out;
		M.r53_insync_delay_ms = (long)v;
		v = M.r53_page_size;
		if (get_int(&l, 0, "route53.page_size", "route53.page_size", 1,
		    300, &v) == -1)
			goto out;
		M.r53_page_size = (long)v;
		if (load_records(&l) == -1 || load_alias_targets(&l) == -1 ||
		    load_listeners(&l) == -1 || load_imds(&l) == -1)
			goto out;
		at = json_find(&j, 0, "faults");
		if (at >= 0 && faults_parse_at(&j, at, &M.faults, &M.nfaults,
		    why, whysz) == -1)
			goto out;
	}
	if (M.recovery_threshold > (long)M.recovery_keys.n) {
		snprintf(why, whysz, "recovery_threshold: larger than the "
		    "number of recovery_keys");
		goto out;
	}
	if (M.r53_session_token && M.r53_session_token[0] == '\0') {
		free(M.r53_session_token);
		M.r53_session_token = NULL;
	}
	/* Instance role credentials default to the ones Route 53 accepts. */
	if (M.imds_access_key == NULL)
		M.imds_access_key = strdup(M.r53_access_key);
	if (M.imds_secret_key == NULL)
		M.imds_secret_key = strdup(M.r53_secret_key);
	if (M.imds_token == NULL)
		M.imds_token = strdup(M.r53_session_token ?
		    M.r53_session_token : "mock-imds-session-token");
	M.imds_updated_ms = wall_ms();
	for (part = 0; part < nparts; part++)
		if (parts[part].load(j.tok ? &j : NULL, why, whysz) == -1)
			goto out;
	zn = mr53_norm_name(M.r53_zone_name);
	free(M.r53_zone_name);
	M.r53_zone_name = zn;
	if (M.rr == NULL && (j.tok == NULL || json_find(&j, 0,
	    "route53.records") < 0)) {
		/* Default record: the CNAME points at the initial primary. */
		int p = M.cl[0].primary ? 0 : M.cl[1].primary ? 1 : 0;

		M.rr = calloc(1, sizeof(*M.rr));
		M.rr[0].name = mr53_norm_name(M.cname);
		M.rr[0].type = strdup("CNAME");
		M.rr[0].ttl = 60;
		strv_add(&M.rr[0].values, M.cl[p].dns_name);
		M.nrr = 1;
	}
	{
		char *cn = mr53_norm_name(M.cname);
		size_t k;

		for (k = 0; k < M.nrr; k++)
			if (r53_name_eq(M.rr[k].name, cn) &&
			    M.rr[k].set_id == NULL && M.dns_initial == NULL) {
				if (strcmp(M.rr[k].type, "CNAME") == 0 &&
				    M.rr[k].values.n > 0)
					M.dns_initial = strdup(M.rr[k].values.v[0]);
				else if (M.rr[k].alias_dns &&
				    (strcmp(M.rr[k].type, "A") == 0 ||
				    strcmp(M.rr[k].type, "AAAA") == 0))
					M.dns_initial = strdup(M.rr[k].alias_dns);
			}
		free(cn);
	}
	/* Initial attachment: a secondary replicates from the one primary. */
	for (i = 0; i < 2; i++) {
		struct cluster *c = &M.cl[i], *o = &M.cl[1 - i];
		char id[32];

		if (c->primary || !o->primary)
			continue;
		snprintf(id, sizeof(id), "initial-%s", c->name);
		c->upstream = 1 - i;
		c->secondary_id = strdup(id);
		c->last_remote_wal = o->last_wal > c->lag_wals ?
		    o->last_wal - c->lag_wals : 0;
		strv_add(&o->known, id);
	}
	rc = 0;
out:
	json_free(&j);
	free(text);
	return rc;
}

/* ---- fault rules ---- */

void
faults_free(struct fault *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].body);
		free(f[i].aws_code);
		free(f[i].location);
	}
	free(f);
}

const char *const fault_action_names[] = { "status", "latency", "hangup",
	"blackhole", "garbage", "apply_status", "apply_hangup", "apply_delay",
	"drip", "served" };

int
faults_parse_at(const struct json *j, int idx, struct fault **out, size_t *n,
    char *why, size_t whysz)
{
	struct ld l = { (struct json *)j, why, whysz };
	struct fault *f = NULL;
	int cnt, i, k;

	if (json_type_at(j, idx) != JSON_ARRAY)
		return bad(&l, "faults: must be an array");
	cnt = json_array_len(j, idx);
	if ((f = calloc((size_t)cnt + 1, sizeof(*f))) == NULL)
		return bad(&l, "out of memory");
	for (i = 0; i < cnt; i++) {
		int e = json_array_elem(j, idx, i);
		struct fault *r = &f[i];
		char key[64], *lst = NULL, *meth = NULL, *act = NULL;
		long long st = 0, skip = 0, count = 0, lat = 1000, ivl = 1000;

		snprintf(key, sizeof(key), "faults[%d]", i);
		r->listener = -1;
		snprintf(r->method, sizeof(r->method), "*");
		if (json_type_at(j, e) != JSON_OBJECT) {
			bad(&l, "%s: must be an object", key);
			goto fail;
		}
#define K(sub) (snprintf(key, sizeof(key), "faults[%d].%s", i, sub), key)
		if (get_str(&l, e, "listener", K("listener"), &lst) == -1)
			goto fail;
		if (lst) {
			if (strcmp(lst, "a") == 0)
				r->listener = L_A;
			else if (strcmp(lst, "b") == 0)
				r->listener = L_B;
			else if (strcmp(lst, "route53") == 0)
				r->listener = L_R53;
			else if (strcmp(lst, "imds") == 0)
				r->listener = L_IMDS;
			else if (strcmp(lst, "*") != 0) {
				free(lst);
				bad(&l, "%s: must be \"a\", \"b\", \"route53\", "
				    "\"imds\" or \"*\"", key);
				goto fail;
			}
			free(lst);
		}
		if (get_str(&l, e, "method", K("method"), &meth) == -1)
			goto fail;
		if (meth) {
			size_t m;

			if (meth[0] == '\0' || strlen(meth) >= sizeof(r->method)) {
				free(meth);
				bad(&l, "%s: bad method", key);
				goto fail;
			}
			for (m = 0; meth[m]; m++)
				r->method[m] = (char)(meth[m] >= 'a' &&
				    meth[m] <= 'z' ? meth[m] - 32 : meth[m]);
			r->method[m] = '\0';
			free(meth);
		}
		if (get_str(&l, e, "path", K("path"), &r->path) == -1)
			goto fail;
		if (r->path == NULL)
			r->path = strdup("/");
		if (r->path == NULL || r->path[0] != '/') {
			bad(&l, "%s: must start with '/'", key);
			goto fail;
		}
		if (get_str(&l, e, "action", K("action"), &act) == -1)
			goto fail;
		r->action = FA_STATUS;
		if (act) {
			for (k = 0; k < FA_SERVED; k++)
				if (strcmp(act, fault_action_names[k]) == 0)
					break;
			free(act);
			if (k == FA_SERVED) {
				bad(&l, "%s: must be one of status, latency, "
				    "hangup, blackhole, garbage, apply_status, "
				    "apply_hangup, apply_delay, drip", key);
				goto fail;
			}
			r->action = (enum fault_action)k;
		}
		if (get_str(&l, e, "body", K("body"), &r->body) == -1 ||
		    get_str(&l, e, "aws_code", K("aws_code"), &r->aws_code) == -1 ||
		    get_str(&l, e, "location", K("location"), &r->location) == -1 ||
		    get_int(&l, e, "status", K("status"), 100, 599, &st) == -1 ||
		    get_int(&l, e, "skip", K("skip"), 0, 1000000000, &skip) == -1 ||
		    get_int(&l, e, "count", K("count"), 0, 1000000000, &count) == -1 ||
		    get_int(&l, e, "latency_ms", K("latency_ms"), 0, 3600000,
		    &lat) == -1 ||
		    get_int(&l, e, "interval_ms", K("interval_ms"), 0, 3600000,
		    &ivl) == -1)
			goto fail;
		if (r->location && strpbrk(r->location, "\r\n")) {
			bad(&l, "%s: must be one line", K("location"));
			goto fail;
		}
#undef K
		/* apply_status imitates a load balancer that gave up waiting. */
		r->status = st ? (int)st : r->aws_code ? 400 :
		    r->action == FA_APPLY_STATUS ? 504 : 500;
		r->skip = (long)skip;
		r->count = count ? (long)count : -1;
		r->latency_ms = (long)lat;
		r->interval_ms = (long)ivl;
	}
	*out = f;
	*n = (size_t)cnt;
	return 0;
fail:
	faults_free(f, (size_t)cnt);
	return -1;
}

int
faults_parse(const char *js, size_t len, struct fault **out, size_t *n,
    char *why, size_t whysz)
{
	struct json j = { 0 };
	int rc;

	if (json_parse(&j, js, len) == -1) {
		snprintf(why, whysz, "%s", err_get());
		return -1;
	}
	rc = faults_parse_at(&j, 0, out, n, why, whysz);
	json_free(&j);
	return rc;
}

/* ---- derived state ---- */

/* Its primary is up, a primary, and knows this secondary's id. */
static int
upstream_ok(const struct cluster *c)
{
	const struct cluster *u;

	if (c->primary || c->upstream < 0)
		return 0;
	u = &M.cl[c->upstream];
	return u->primary && u->transition == 0 &&
	    M.lst[c->upstream].st == LS_UP && c->secondary_id &&
	    strv_has(&u->known, c->secondary_id);
}

static int
attaching(const struct cluster *c)
{
	return c->attach_until != 0 && mono_ms() < c->attach_until;
}

const char *
cluster_state(int i)
{
	const struct cluster *c = &M.cl[i];

	if (c->primary)
		return "running";
	if (c->upstream < 0)
		return "idle";
	if (!upstream_ok(c) || attaching(c))
		return "connecting";
	if (c->reattached && c->attach_stuck)
		return c->attach_stuck;
	if (!c->reattached && c->forced_state)
		return c->forced_state;
	return "stream-wals";
}

int
cluster_connected(int i)
{
	const struct cluster *c = &M.cl[i];

	return upstream_ok(c) && !attaching(c) && c->connected;
}

int
cluster_streaming(int i)
{
	return cluster_connected(i) &&
	    strcmp(cluster_state(i), "stream-wals") == 0;
}

/* WAL growth on primaries, streaming secondaries following their primary,
 * catch-up after a demote. 1 if anything changed. */
static int
repl_tick(long long now)
{
	int i, changed = 0;

	for (i = 0; i < 2; i++) {
		struct cluster *c = &M.cl[i];

		if (!c->primary || c->transition || c->wal_rate <= 0 ||
		    M.lst[i].st == LS_DOWN) {
			c->wal_mark = 0;
			continue;
		}
		if (c->wal_mark == 0)
			c->wal_mark = now;
		long long grow = (now - c->wal_mark) * c->wal_rate / 1000;
		if (grow > 0) {
			c->last_wal += grow;
			c->wal_mark += grow * 1000 / c->wal_rate;
			changed = 1;
		}
	}
	for (i = 0; i < 2; i++) {
		struct cluster *c = &M.cl[i];
		long long want;

		if (c->primary)
			continue;
		if (c->catchup_at && now >= c->catchup_at) {
			if (c->catchup_wal > c->last_remote_wal)
				c->last_remote_wal = c->catchup_wal;
			c->catchup_at = 0;
			changed = 1;
		}
		if (!cluster_streaming(i))
			continue;
		want = M.cl[c->upstream].last_wal - c->lag_wals;
		if (want > c->last_remote_wal) {
			c->last_remote_wal = want;
			changed = 1;
		}
	}
	return changed;
}

const char *
state_resolved(void)
{
	size_t i;

	for (i = M.nch; i-- > 0;) {
		if (!M.ch[i].insync || M.ch[i].cname_effect == 0)
			continue;
		return M.ch[i].cname_effect == 1 ? M.ch[i].cname_value : NULL;
	}
	return M.dns_initial;
}

void
state_changed(void)
{
	int i, up = 0;

	for (i = 0; i < 2; i++)
		if (M.cl[i].primary && M.lst[i].st == LS_UP)
			up++;
	if (up > M.max_primaries_up)
		M.max_primaries_up = up;
	M.dirty = 1;
}

int
state_tick(void)
{
	long long now = mono_ms();
	int changed = 0;
	size_t i;

	for (i = 0; i < 2; i++)
		if (M.cl[i].transition && now >= M.cl[i].transition_until) {
			M.cl[i].transition = 0;
			changed = 1;
		}
	for (i = 0; i < M.nch; i++)
		if (!M.ch[i].insync && now >= M.ch[i].insync_at) {
			M.ch[i].insync = 1;
			changed = 1;
		}
	if (repl_tick(now))
		changed = 1;
	if (changed)
		state_changed();
	return changed;
}

static void
write_strv(struct json_writer *w, const struct strv *s)
{
	size_t i;

	json_arr_begin(w);
	for (i = 0; i < s->n; i++)
		json_str(w, s->v[i]);
	json_arr_end(w);
}

static const char *
lstate_name(enum lstate s)
{
	return s == LS_UP ? "up" : s == LS_DOWN ? "down" : "blackhole";
}

static void
write_cluster(struct json_writer *w, int i)
{
	static const char *const transitions[] = { NULL, "promoting",
		"demoting" };
	const struct cluster *c = &M.cl[i];

	json_key(w, c->name);
	json_obj_begin(w);
	json_key(w, "mode");
	json_str(w, c->primary ? "primary" : "secondary");
	json_key(w, "state");
	json_str(w, cluster_state(i));
	json_key(w, "cluster_id");
	json_str(w, M.cluster_id);
	json_key(w, "known_secondaries");
	write_strv(w, &c->known);
	json_key(w, "primary");
	json_str(w, c->upstream >= 0 ? M.cl[c->upstream].name : NULL);
	json_key(w, "secondary_id");
	json_str(w, c->secondary_id);
	json_key(w, "attempt_active");
	json_bool(w, c->attempt);
	json_key(w, "dr_tokens");
	json_int(w, (long long)c->dr_tokens.n);
	json_key(w, "listener");
	json_str(w, lstate_name(M.lst[i].st));
	json_key(w, "version");
	json_str(w, c->version);
	json_key(w, "transition");
	json_str(w, transitions[c->transition]);
	json_key(w, "port");
	json_int(w, M.lst[i].port);
	json_key(w, "last_wal");
	json_int(w, c->last_wal);
	json_key(w, "last_remote_wal");
	json_int(w, c->last_remote_wal);
	json_key(w, "connected");
	json_bool(w, !c->primary && cluster_connected(i));
	json_key(w, "wals_lost");
	if (c->wals_lost >= 0)
		json_int(w, c->wals_lost);
	else
		json_null(w);
	json_obj_end(w);
}

static void
write_route53(struct json_writer *w)
{
	size_t i;

	json_obj_begin(w);
	json_key(w, "records");
	json_arr_begin(w);
	for (i = 0; i < M.nrr; i++)
		mr53_rrset_json(w, &M.rr[i]);
	json_arr_end(w);
	json_key(w, "changes");
	json_arr_begin(w);
	for (i = 0; i < M.nch; i++) {
		char ts[40];

		iso8601_ms(M.ch[i].submitted_ms, ts, sizeof(ts));
		json_obj_begin(w);
		json_key(w, "id");
		json_str(w, M.ch[i].id);
		json_key(w, "status");
		json_str(w, M.ch[i].insync ? "INSYNC" : "PENDING");
		json_key(w, "submitted_at");
		json_str(w, ts);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_key(w, "resolved");
	json_str(w, state_resolved());
	json_obj_end(w);
}

void
state_json(struct buf *b)
{
	struct json_writer w;
	int i;

	json_w_init(&w, b);
	json_obj_begin(&w);
	json_key(&w, "clusters");
	json_obj_begin(&w);
	for (i = 0; i < 2; i++)
		write_cluster(&w, i);
	json_obj_end(&w);
	json_key(&w, "route53");
	write_route53(&w);
	json_key(&w, "performance");
	mperf_state_json(&w);
	json_key(&w, "max_primaries_up");
	json_int(&w, M.max_primaries_up);
	json_key(&w, "two_primaries_up");
	json_bool(&w, M.max_primaries_up >= 2);
	json_key(&w, "requests");
	json_int(&w, M.requests);
	json_key(&w, "listeners");
	json_obj_begin(&w);
	for (i = 0; i < L_N; i++) {
		json_key(&w, listener_names[i]);
		json_obj_begin(&w);
		json_key(&w, "state");
		json_str(&w, lstate_name(M.lst[i].st));
		json_key(&w, "port");
		json_int(&w, M.lst[i].port);
		json_obj_end(&w);
	}
	json_obj_end(&w);
	json_obj_end(&w);
}

void
state_save(void)
{
	struct buf b = { 0 }, tmp = { 0 };
	FILE *f;
	int ok;

	if (!M.dirty || M.state_file == NULL)
		return;
	M.dirty = 0;
	state_json(&b);
	buf_puts(&b, "\n");
	buf_printf(&tmp, "%s.tmp.%ld", M.state_file, (long)getpid());
	if (b.data == NULL || tmp.data == NULL)
		goto out;
	if ((f = fopen(tmp.data, "wb")) == NULL)
		goto out;
	ok = fwrite(b.data, 1, b.len, f) == b.len;
	if (fclose(f) != 0 || !ok) {
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, M.state_file) == -1)
		unlink(tmp.data);
out:
	buf_free(&b);
	buf_free(&tmp);
}
