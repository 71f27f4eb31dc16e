/* vault.c - Vault DR endpoints with the retry policy, Vault's error
 * messages, and DR operation token generation. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "log.h"
#include "retry.h"
#include "tls.h"
#include "vault.h"

#define P_DR "/v1/sys/replication/dr/"
#define P_ATTEMPT P_DR "secondary/generate-operation-token/attempt"
#define P_PERF_STATUS "/v1/sys/replication/performance/status"
#define P_HEALTH_READY "/v1/sys/health?standbyok=true&perfstandbyok=true"
#define P_UPDATE P_DR "secondary/generate-operation-token/update"

void
vault_reply_free(struct vault_reply *r)
{
	if (r == NULL)
		return;
	json_free(&r->j);
	if (r->body) {
		explicit_bzero(r->body, r->body_len);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}

/* Appends Vault's errors[] joined by "; ", or a printable excerpt of a
 * non-JSON body. */
static void
vault_errors(const struct vault_reply *r, char *out, size_t outsz)
{
	int arr, i, n;
	size_t o = 0, k;
	char *s;

	out[0] = '\0';
	if (r->j.ntok > 0 && (arr = json_find(&r->j, 0, "errors")) >= 0 &&
	    (n = json_array_len(&r->j, arr)) > 0) {
		for (i = 0; i < n; i++) {
			if (json_tok_str(&r->j, json_array_elem(&r->j, arr, i),
			    &s) == -1)
				continue;
			snprintf(out + o, outsz - o, "%s%s", o ? "; " : "", s);
			o = strlen(out);
			free(s);
		}
		if (o)
			return;
	}
	if (r->body_len == 0) {
		snprintf(out, outsz, "(empty body)");
		return;
	}
	for (k = 0; k < r->body_len && o + 4 < outsz && k < 200; k++) {
		unsigned char c = (unsigned char)r->body[k];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

static const char *
url_hostpart(const char *url)
{
	const char *p = strstr(url, "://");
	return p ? p + 3 : url;
}

/* How a failed http_request ended, for the retry table. */
static enum retry_transport
transport_of(const struct http_response *resp)
{
	switch (resp->fail) {
	case HTTP_E_TLS:
	case HTTP_E_CONFIG: /* neither goes away by retrying */
		return RT_TLS;
	case HTTP_E_CONNECT:
		return RT_NOT_SENT;
	case HTTP_E_PROTO:
		return resp->sent ? RT_BAD_REPLY : RT_NOT_SENT;
	default:
		return resp->sent ? RT_SENT : RT_NOT_SENT;
	}
}

/* The headers of every request: the token (when set) and
 * X-Vault-Request. Returns how many (h has room for 2). */
static size_t
vault_headers(const struct vault *v, struct http_header *h)
{
	size_t nh = 0;

	if (secret_is_set(v->token))
		h[nh++] = (struct http_header){ "X-Vault-Token", v->token->s };
	h[nh++] = (struct http_header){ "X-Vault-Request", "true" };
	return nh;
}

/* One vault_call in progress: what its attempts found. */
struct vcall {
	struct vault *v;
	int flags;
	char plain_path[512];     /* the path without its query */
	struct retry_outcome oc;  /* the last attempt, for retry_classify */
	enum vault_fail kind;     /* the last attempt's failure kind */
	char why[1024];           /* the last attempt's failure in words */
	char msg[768];            /* Vault's errors[] of the last answer */
};

/* One attempt: the request, and its answer (or transport failure) noted
 * in k and r (the body moved into r, JSON parsed when it is JSON). 1 when
 * the caller takes any status (VC_ANY_STATUS) and an answer came; else 0,
 * for retry_classify to judge k->oc. */
static int
vcall_send(struct vcall *k, const char *method, const char *url,
    const struct http_header *h, size_t nh, const char *body,
    size_t body_len, struct vault_reply *r)
{
	struct http_response resp;

	memset(&resp, 0, sizeof(resp));
	k->oc.status = 0;
	k->oc.message = NULL;
	if (http_request(k->v->http, method, url, h, nh, body, body_len,
	    &resp) == -1) {
		k->oc.transport = transport_of(&resp);
		snprintf(k->why, sizeof(k->why), "%s", err_get());
		k->kind = k->oc.transport == RT_BAD_REPLY ? VF_BAD_REPLY :
		    k->oc.transport == RT_TLS ? VF_TLS : VF_UNREACHABLE;
		return 0;
	}
	vault_reply_free(r);
	r->status = resp.status;
	r->body = resp.body;
	r->body_len = resp.body_len;
	resp.body = NULL;
	http_response_free(&resp);
	if (r->body_len > 0 && json_parse(&r->j, r->body, r->body_len) == -1) {
		memset(&r->j, 0, sizeof(r->j));
		err_clear();
	}
	if (k->flags & VC_ANY_STATUS)
		return 1;
	k->oc.transport = RT_ANSWER;
	k->oc.status = r->status;
	vault_errors(r, k->msg, sizeof(k->msg));
	k->oc.message = k->msg;
	snprintf(k->why, sizeof(k->why), "%s (%s %s HTTP %d: %s)",
	    r->status == 403 ? "Vault denied permission" :
	    r->status < 500 && r->status != 412 ?
	    "Vault refused the request" :
	    "Vault could not complete the request",
	    url_hostpart(k->v->url), k->plain_path, r->status, k->msg);
	k->kind = r->status >= 500 || r->status == 412 ? VF_SERVER :
	    VF_REJECTED;
	return 0;
}

int
vault_call(struct vault *v, const char *method, const char *path,
    const char *body, size_t body_len, int flags, struct vault_reply *r)
{
	const struct retry_policy *pol =
	    (flags & VC_PROBE) ? &retry_probe : &retry_vault;
	int changing = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	int max = (flags & VC_ONCE) ? 0 : pol->max_retries;
	struct vcall k;
	struct http_header h[3];
	struct buf url = { 0 };
	const char *reason;
	size_t nh = 0;
	int attempt, rc = -1;
	enum retry_verdict vd = RV_FAIL;

	memset(r, 0, sizeof(*r));
	memset(&k, 0, sizeof(k));
	k.v = v;
	k.flags = flags;
	snprintf(k.plain_path, sizeof(k.plain_path), "%.*s",
	    (int)strcspn(path, "?"), path);
	if (changing && v->read_only && !(flags & VC_READ_POST)) {
		err_set("dry run: refusing to send %s %s", method, k.plain_path);
		r->fail = VF_REJECTED;
		return -1;
	}
	if (buf_puts(&url, v->url) == -1 || buf_puts(&url, path) == -1)
		return -1;
	nh = vault_headers(v, h);
	if (body)
		h[nh++] = (struct http_header){ "Content-Type",
			"application/json" };
	k.oc.kind = changing && !(flags & VC_IDEMPOTENT) ? RK_CHANGING :
	    RK_REPEATABLE;
	for (attempt = 0;; attempt++) {
		if (retry_stop_requested) {
			err_set("stopped by signal before %s %s", method,
			    k.plain_path);
			r->fail = VF_STOPPED;
			goto out;
		}
		if (vcall_send(&k, method, url.data, h, nh, body, body_len,
		    r) == 1 || (vd = retry_classify(&k.oc, &reason)) == RV_OK) {
			rc = 0;
			goto out;
		}
		if (vd == RV_UNKNOWN) {
			/* Safety 1: never re-sent; the caller re-reads. */
			err_set("%s", k.why);
			err_prefix("the outcome of %s %s is unknown (%s)",
			    method, k.plain_path, reason);
			r->fail = VF_LOST;
			goto out;
		}
		if (vd == RV_FAIL || attempt >= max) {
			r->fail = k.kind;
			err_set("%s", k.why);
			if (vd == RV_RETRY && max > 0)
				err_prefix("gave up after %d attempts",
				    attempt + 1);
			goto out;
		}
		double d = retry_delay(pol, attempt + 1);
		log_warn("%s; retry %d of %d in %.1f s", k.why, attempt + 1, max,
		    d);
		if (retry_sleep(d) == -1) {
			err_set("stopped by signal while retrying %s %s", method,
			    k.plain_path);
			r->fail = VF_STOPPED;
			goto out;
		}
	}
out:
	v->last_fail = rc == 0 ? VF_NONE : r->fail;
	buf_free(&url);
	return rc;
}

static void
copy_str(const struct json *j, int at, const char *path, char *out,
    size_t outsz)
{
	char *s = NULL;

	out[0] = '\0';
	if (json_get_str(j, at, path, &s) == 0)
		snprintf(out, outsz, "%s", s);
	free(s);
}

static long long
get_wal(const struct json *j, int at, const char *path)
{
	long long x;

	return json_get_i64(j, at, path, &x) == 0 ? x : -1;
}

/* A boolean field into *out (0/1), left alone (-1) when absent or not a
 * boolean. */
static void
get_flag(const struct json *j, int at, const char *path, int *out)
{
	int b;

	if (json_get_bool(j, at, path, &b) == 0)
		*out = b;
	else
		err_clear();
}

/* GET path as vault_call sends it, as a job. */
static void
get_job(struct vault *v, const char *path, struct vault_job *j)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->url, sizeof(j->url), "%s%s", v->url, path);
	j->job.client = v->http;
	j->job.method = "GET";
	j->job.url = j->url;
	j->job.hdrs = j->h;
	j->job.nhdrs = vault_headers(v, j->h);
}

void
vault_observe_jobs(struct vault *v, struct vault_job j[2])
{
	get_job(v, P_DR "status", &j[0]);
	get_job(v, "/v1/sys/health", &j[1]);
}

/* {"paths":[...]} for sys/capabilities-self. 0 / -1. */
static int
caps_body(struct buf *b, const char *const *paths, size_t n)
{
	size_t i;

	if (buf_puts(b, "{\"paths\":[") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((i && buf_puts(b, ",") == -1) ||
		    json_append_str(b, paths[i]) == -1)
			return -1;
	return buf_puts(b, "]}");
}

int
vault_preflight_jobs(struct vault *v, const char *const *paths, size_t n,
    struct vault_job j[2])
{
	get_job(v, "/v1/auth/token/lookup-self", &j[0]);
	get_job(v, "/v1/sys/capabilities-self", &j[1]);
	j[1].job.method = "POST";
	j[1].job.readonly = 1;
	j[1].h[j[1].job.nhdrs++] = (struct http_header){ "Content-Type",
		"application/json" };
	if (caps_body(&j[1].body, paths, n) == -1)
		return -1;
	j[1].job.body = j[1].body.data;
	j[1].job.body_len = j[1].body.len;
	return 0;
}

void
vault_perf_job(struct vault *v, struct vault_job *j)
{
	get_job(v, P_PERF_STATUS, j);
}

void
vault_job_free(struct vault_job *j)
{
	buf_free(&j->body);
}

int
vault_attempt_known(const struct vault *v, int *required, int *otp_length)
{
	if (!v->otp_length_known)
		return 0;
	*required = v->required;
	*otp_length = v->otp_length;
	return 1;
}

static int observe(struct vault *v, struct vault_status *st, int health);

int
vault_observe(struct vault *v, struct vault_status *st)
{
	return observe(v, st, 1);
}

int
vault_observe_dr(struct vault *v, struct vault_status *st)
{
	return observe(v, st, 0);
}

/* The fields of sys/replication/dr/status's data object (node d of j)
 * into st. */
static void
dr_status_fields(const struct json *j, int d, struct vault_status *st)
{
	int arr, i, n;

	copy_str(j, d, "mode", st->mode, sizeof(st->mode));
	copy_str(j, d, "state", st->state, sizeof(st->state));
	copy_str(j, d, "cluster_id", st->cluster_id, sizeof(st->cluster_id));
	copy_str(j, d, "secondary_id", st->secondary_id,
	    sizeof(st->secondary_id));
	copy_str(j, d, "primary_cluster_addr", st->primary_addr,
	    sizeof(st->primary_addr));
	st->last_wal = get_wal(j, d, "last_dr_wal");
	if (st->last_wal < 0)
		st->last_wal = get_wal(j, d, "last_wal");
	st->last_remote_wal = get_wal(j, d, "last_remote_wal");
	st->last_dr_wal = get_wal(j, d, "last_dr_wal");
	copy_str(j, d, "connection_state", st->connection_state,
	    sizeof(st->connection_state));
	copy_str(j, d, "primaries.0.connection_status", st->primary_conn,
	    sizeof(st->primary_conn));
	copy_str(j, d, "merkle_root", st->merkle_root,
	    sizeof(st->merkle_root));
	get_flag(j, d, "corrupted_merkle_tree", &st->corrupted_merkle_tree);
	if ((arr = json_find(j, d, "known_secondaries")) >= 0 &&
	    (n = json_array_len(j, arr)) > 0) {
		st->known_secondaries = calloc((size_t)n, sizeof(char *));
		for (i = 0; st->known_secondaries && i < n; i++)
			if (json_tok_str(j, json_array_elem(j, arr, i),
			    &st->known_secondaries[st->nknown]) == 0)
				st->nknown++;
	}
}

/* sys/health (any status) into st: the code, version, seal, identity,
 * DR mode and standby flags; nothing when it cannot be read. */
static void
health_fields(struct vault *v, struct vault_status *st)
{
	struct vault_reply r;
	int b;

	if (vault_call(v, "GET", "/v1/sys/health", NULL, 0,
	    VC_PROBE | VC_ANY_STATUS, &r) == 0) {
		st->health_code = r.status;
		if (r.j.ntok > 0) {
			copy_str(&r.j, 0, "version", st->version,
			    sizeof(st->version));
			if (json_get_bool(&r.j, 0, "sealed", &b) == 0)
				st->sealed = b;
			copy_str(&r.j, 0, "cluster_name", st->health_cluster_name,
			    sizeof(st->health_cluster_name));
			copy_str(&r.j, 0, "cluster_id", st->health_cluster_id,
			    sizeof(st->health_cluster_id));
			copy_str(&r.j, 0, "replication_dr_mode",
			    st->health_dr_mode, sizeof(st->health_dr_mode));
			get_flag(&r.j, 0, "standby", &st->standby);
			get_flag(&r.j, 0, "performance_standby",
			    &st->perf_standby);
		}
	}
	vault_reply_free(&r);
}

/* vault_observe, with sys/health or without. */
static int
observe(struct vault *v, struct vault_status *st, int health)
{
	struct vault_reply r;
	int d;

	memset(st, 0, sizeof(*st));
	st->last_wal = st->last_remote_wal = st->last_dr_wal = -1;
	st->corrupted_merkle_tree = st->standby = st->perf_standby = -1;
	if (vault_call(v, "GET", P_DR "status", NULL, 0, VC_PROBE, &r) == -1) {
		st->fail = r.fail;
		st->reachable = r.fail == VF_SERVER || r.fail == VF_REJECTED ||
		    r.fail == VF_BAD_REPLY;
		snprintf(st->error, sizeof(st->error), "%s", err_get());
		vault_reply_free(&r);
		return -1;
	}
	st->reachable = 1;
	if (r.j.ntok == 0) {
		struct json j2;
		if (r.body_len == 0)
			err_set("empty body");
		else if (json_parse(&j2, r.body, r.body_len) == 0)
			json_free(&j2);
		snprintf(st->error, sizeof(st->error), "%s: sys/replication/dr/"
		    "status: reply is not a JSON object (%s)", v->url, err_get());
		st->fail = VF_BAD_REPLY;
		vault_reply_free(&r);
		return -1;
	}
	if ((d = json_find(&r.j, 0, "data")) < 0 ||
	    json_type_at(&r.j, d) != JSON_OBJECT) {
		snprintf(st->error, sizeof(st->error),
		    "%s: sys/replication/dr/status: reply has no data object",
		    v->url);
		st->fail = VF_BAD_REPLY;
		vault_reply_free(&r);
		return -1;
	}
	dr_status_fields(&r.j, d, st);
	if (st->mode[0] == '\0') {
		snprintf(st->error, sizeof(st->error),
		    "%s: sys/replication/dr/status: reply has no mode", v->url);
		st->fail = VF_BAD_REPLY;
		vault_reply_free(&r);
		return -1;
	}
	vault_reply_free(&r);
	if (health)
		health_fields(v, st);
	return 0;
}

void
vault_status_free(struct vault_status *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nknown; i++)
		free(st->known_secondaries[i]);
	free(st->known_secondaries);
	st->known_secondaries = NULL;
	st->nknown = 0;
}

int
vault_status_knows(const struct vault_status *st, const char *id)
{
	int i;

	for (i = 0; id && id[0] && i < st->nknown; i++)
		if (strcmp(st->known_secondaries[i], id) == 0)
			return 1;
	return 0;
}

int
vault_attempt_info(struct vault *v, int *required, int *otp_length,
    int *started)
{
	struct vault_reply r;
	long long x;
	int b;

	if (vault_call(v, "GET", P_ATTEMPT, NULL, 0, 0, &r) == -1) {
		vault_reply_free(&r);
		return -1;
	}
	*required = *otp_length = *started = 0;
	if (r.j.ntok == 0) {
		err_set("%s: generate-operation-token status is not JSON",
		    v->url);
		vault_reply_free(&r);
		return -1;
	}
	if (json_get_i64(&r.j, 0, "required", &x) == 0)
		*required = (int)x;
	if (json_get_i64(&r.j, 0, "otp_length", &x) == 0)
		*otp_length = (int)x;
	if (json_get_bool(&r.j, 0, "started", &b) == 0)
		*started = b;
	vault_reply_free(&r);
	v->otp_length_known = 1;
	v->otp_length = *otp_length;
	v->required = *required;
	v->attempt_started = *started;
	return 0;
}

/* Builds {"k1":"v1"[,"k2":"v2"...]} from NULL-terminated pairs. */
static int
json_body(struct buf *b, const char *k1, const char *v1, const char *k2,
    const char *v2, const char *k3, const char *v3)
{
	const char *kv[6] = { k1, v1, k2, v2, k3, v3 };
	int i;

	if (buf_puts(b, "{") == -1)
		return -1;
	for (i = 0; i < 6 && kv[i]; i += 2) {
		if ((i && buf_puts(b, ",") == -1) || json_append_str(b, kv[i]) ||
		    buf_puts(b, ":") == -1 || json_append_str(b, kv[i + 1]))
			return -1;
	}
	return buf_puts(b, "}");
}

static void
cancel_attempt(struct vault *v)
{
	struct vault_reply r;
	char saved[2048];

	snprintf(saved, sizeof(saved), "%s", err_get());
	if (vault_call(v, "DELETE", P_ATTEMPT, NULL, 0,
	    VC_IDEMPOTENT | VC_PROBE, &r) == -1)
		log_warn("could not cancel the operation token attempt on %s: %s",
		    v->url, err_get());
	else
		v->attempt_started = 0;
	vault_reply_free(&r);
	err_set("%s", saved);
}

/* After a refused update: did another client replace (1) or cancel (2)
 * our attempt? Vault names a nonce mismatch or a missing attempt;
 * otherwise the attempt's status shows another nonce. 0: neither. */
static int
attempt_taken_over(struct vault *v, const char *msg, const char *nonce)
{
	struct vault_reply r;
	char *now = NULL;
	int b = 0, other = 0;
	char saved[2048];

	if (strstr(msg, "incorrect nonce") != NULL)
		return 1;
	if (strstr(msg, "no root generation in progress") != NULL)
		return 2;
	if (strstr(msg, "aborted") != NULL)
		return 0; /* a wrong share: Vault ended the attempt itself */
	snprintf(saved, sizeof(saved), "%s", msg);
	if (vault_call(v, "GET", P_ATTEMPT, NULL, 0, VC_ONCE, &r) == 0 &&
	    r.j.ntok > 0 && json_get_bool(&r.j, 0, "started", &b) == 0 && b &&
	    json_get_str(&r.j, 0, "nonce", &now) == 0 && now[0] &&
	    strcmp(now, nonce) != 0)
		other = 1;
	free(now);
	vault_reply_free(&r);
	err_set("%s", saved);
	return other;
}

/* The body that starts an attempt: {} when Vault makes the OTP
 * (otp_length > 0), else a random 16-byte OTP of ours (legacy), kept in
 * otp. 0 / -1. */
static int
attempt_body(int otp_len, struct secret *otp, struct buf *body)
{
	unsigned char raw[16];
	char b64[32];
	int rc = -1;

	if (otp_len > 0) {
		body->len = 0;
		return buf_puts(body, "{}");
	}
	if (tls_random(raw, sizeof(raw)) == -1 ||
	    b64_encode(raw, sizeof(raw), b64, sizeof(b64), 1) == -1) {
		err_set("cannot make a one-time password");
		return -1;
	}
	explicit_bzero(raw, sizeof(raw));
	if (secret_set(otp, b64, strlen(b64)) == 0 &&
	    json_body(body, "otp", b64, NULL, NULL, NULL, NULL) == 0)
		rc = 0;
	explicit_bzero(b64, sizeof(b64));
	return rc;
}

/* Starts a generation attempt: learns the scheme (otp_length), required
 * and whether an attempt is in progress from one read per run (preflight's,
 * or this one), cancels an attempt in progress (an earlier run, an
 * operator, our own failed one) and sends the start; its answer is left in
 * r. A start refused because an attempt began since the read cancels that
 * one and starts once more. 0; -1 (err_set; *why VG_FORBIDDEN when Vault
 * refused the start with 403). */
static int
attempt_start(struct vault *v, struct vault_reply *r, struct secret *otp,
    struct buf *body, int *required, int *otp_len, enum vault_gen_fail *why)
{
	int started = 0, tries;

	if (v->otp_length_known) {
		*otp_len = v->otp_length;
		*required = v->required;
	} else if (vault_attempt_info(v, required, otp_len, &started) == -1)
		return -1;
	if (attempt_body(*otp_len, otp, body) == -1)
		return -1;
	for (tries = 0;; tries++) {
		if (v->attempt_started) {
			if (vault_call(v, "DELETE", P_ATTEMPT, NULL, 0,
			    VC_IDEMPOTENT, r) == -1 && r->fail != VF_REJECTED)
				return -1;
			vault_reply_free(r);
		}
		v->attempt_started = 1; /* ours, from here on */
		if (vault_call(v, "POST", P_ATTEMPT, body->data, body->len, 0,
		    r) == 0)
			return 0;
		if (tries > 0 || r->status != 400 ||
		    strstr(err_get(), "already in progress") == NULL)
			break;
		vault_reply_free(r);
	}
	if (r->status == 403) {
		*why = VG_FORBIDDEN;
		err_prefix("the %s refused to start a DR operation token "
		    "generation: Vault 2.x requires a privileged token for "
		    "generate-operation-token; set VAULT_DR_OPERATION_TOKEN to "
		    "a batch DR operation token created on the primary "
		    "instead", v->label ? v->label : v->url);
	}
	return -1;
}

/* The answer r to the attempt's start: the nonce, required, otp_length and
 * (Vault's scheme) the OTP. 0; -1 (err_set: the caller cancels). */
static int
attempt_started(struct vault *v, const struct vault_reply *r,
    struct secret *nonce, struct secret *otp, int *required, int *otp_len)
{
	char *s = NULL;
	long long x;
	int rc = -1;

	if (r->j.ntok == 0 || json_get_str(&r->j, 0, "nonce", &s) != 0) {
		err_set("%s: operation token attempt started without a nonce",
		    v->url);
		goto out;
	}
	if (secret_set(nonce, s, strlen(s)) == -1)
		goto out;
	secret_free_str(s);
	s = NULL;
	if (json_get_i64(&r->j, 0, "required", &x) == 0 && x > 0)
		*required = (int)x;
	if (json_get_i64(&r->j, 0, "otp_length", &x) == 0 && x > 0)
		*otp_len = (int)x;
	if (*otp_len > 0) {
		if (json_get_str(&r->j, 0, "otp", &s) != 0 || s[0] == '\0') {
			err_set("%s: Vault returned no OTP when the attempt "
			    "started", v->url);
			goto out;
		}
		if (secret_set(otp, s, strlen(s)) == -1)
			goto out;
	}
	rc = 0;
out:
	secret_free_str(s);
	return rc;
}

/* Key share i (0-based, of required) was refused (r). Says why, with
 * *why: 1 when another client took the attempt over (not ours to cancel);
 * 0 otherwise (the caller cancels; a server failure stays VG_SERVER). */
static int
share_refused(struct vault *v, const struct vault_reply *r, int i,
    int required, const char *nonce, enum vault_gen_fail *why)
{
	const char *who = v->label ? v->label : v->url;
	int other;

	if (r->fail != VF_REJECTED)
		return 0; /* VG_SERVER */
	if ((other = attempt_taken_over(v, err_get(), nonce)) != 0) {
		*why = VG_TAKEN_OVER;
		if (other == 1)
			err_prefix("on the %s, another token generation "
			    "attempt took over (nonce changed); nothing was "
			    "submitted to it", who);
		else
			err_prefix("on the %s, another client cancelled this "
			    "token generation attempt; nothing more was "
			    "submitted", who);
		return 1;
	}
	if (r->status == 403) {
		*why = VG_FORBIDDEN;
		err_prefix("the %s refused a key share: Vault 2.x requires a "
		    "privileged token for generate-operation-token; set "
		    "VAULT_DR_OPERATION_TOKEN to a batch DR operation token "
		    "instead", who);
		return 0;
	}
	*why = VG_INPUT;
	if (i + 1 >= required || strstr(err_get(), "aborted"))
		err_prefix("one of the %d key shares was not accepted (Vault "
		    "checks them only once all are in)", i + 1);
	else
		err_prefix("key share %d was not accepted", i + 1);
	return 0;
}

/* The encoded token of a completed attempt (encoded_token, else
 * encoded_root_token) into *enc. 0 / -1 (err_set). */
static int
encoded_token(struct vault *v, const struct vault_reply *r, char **enc)
{
	if (json_get_str(&r->j, 0, "encoded_token", enc) == 0 &&
	    (*enc)[0] != '\0')
		return 0;
	free(*enc);
	*enc = NULL;
	if (json_get_str(&r->j, 0, "encoded_root_token", enc) != 0) {
		err_set("%s: Vault reported completion without an encoded "
		    "token", v->url);
		return -1;
	}
	return 0;
}

int
vault_generate_dr_token_ex(struct vault *v, const struct vault_keys *keys,
    struct secret *out, enum vault_gen_fail *whyp)
{
	struct vault_reply r;
	struct secret otp = { 0 }, nonce = { 0 };
	struct buf body = { 0 };
	char *enc = NULL;
	char token[256];
	int required = 0, otp_len = 0, i, done = 0, rc = -1;
	enum vault_gen_fail why = VG_SERVER;

	memset(&r, 0, sizeof(r));
	if (attempt_start(v, &r, &otp, &body, &required, &otp_len, &why) == -1)
		goto out;
	if (attempt_started(v, &r, &nonce, &otp, &required, &otp_len) == -1)
		goto cancel;
	vault_reply_free(&r);

	for (i = 0; i < keys->n && !done; i++) {
		buf_free(&body);
		if (json_body(&body, "key", keys->k[i].s, "nonce", nonce.s,
		    NULL, NULL) == -1)
			goto cancel;
		if (vault_call(v, "POST", P_UPDATE, body.data, body.len, 0,
		    &r) == -1) {
			if (share_refused(v, &r, i, required, nonce.s,
			    &why) == 1)
				goto out; /* not ours to cancel */
			goto cancel;
		}
		if (r.j.ntok > 0 && json_get_bool(&r.j, 0, "complete",
		    &done) == 0 && done) {
			v->attempt_started = 0; /* Vault ended it */
			if (encoded_token(v, &r, &enc) == -1)
				goto out;
		}
		vault_reply_free(&r);
	}
	if (!done) {
		why = VG_INPUT;
		err_set("%s: Vault needs %d recovery key shares; %d were given",
		    v->url, required, keys->n);
		goto cancel;
	}
	if (otp_decode_token(enc, otp.s, otp_len, token, sizeof(token)) == -1) {
		err_prefix("decoding the DR operation token from %s", v->url);
		goto out;
	}
	rc = secret_set(out, token, strlen(token));
	explicit_bzero(token, sizeof(token));
	goto out;
cancel:
	cancel_attempt(v);
out:
	if (whyp)
		*whyp = rc == 0 ? VG_NONE : why;
	vault_reply_free(&r);
	secret_free_str(enc);
	secret_wipe(&otp);
	secret_wipe(&nonce);
	buf_free(&body);
	return rc;
}

int
vault_generate_dr_token(struct vault *v, const struct vault_keys *keys,
    struct secret *out)
{
	return vault_generate_dr_token_ex(v, keys, out, NULL);
}

static int
simple_post(struct vault *v, const char *path, const char *k1, const char *v1,
    const char *k2, const char *v2, const char *k3, const char *v3, int flags,
    struct vault_reply *r)
{
	struct buf body = { 0 };
	int rc;

	if (json_body(&body, k1, v1, k2, v2, k3, v3) == -1) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	rc = vault_call(v, "POST", path, body.data, body.len, flags, r);
	buf_free(&body);
	return rc;
}

int
vault_promote(struct vault *v, const struct secret *drtok)
{
	struct vault_reply r;
	int rc = simple_post(v, P_DR "secondary/promote", "dr_operation_token",
	    drtok->s, NULL, NULL, NULL, NULL, 0, &r);
	vault_reply_free(&r);
	return rc;
}

int
vault_demote(struct vault *v)
{
	struct vault_reply r;
	int rc = vault_call(v, "POST", P_DR "primary/demote", "{}", 2, 0, &r);
	vault_reply_free(&r);
	return rc;
}

/* secondary-token: wrap_info.token, or with pubkey (public-key
 * activation) data.token, into out. */
static int
secondary_token(struct vault *v, const char *id, const char *ttl,
    const char *pubkey, struct secret *out)
{
	const char *field = pubkey ? "data.token" : "wrap_info.token";
	struct vault_reply r;
	char *tok = NULL;
	int rc = -1;

	if (simple_post(v, P_DR "primary/secondary-token", "id", id, "ttl", ttl,
	    pubkey ? "secondary_public_key" : NULL, pubkey, 0, &r) == -1)
		goto out;
	if (r.j.ntok == 0 || json_get_str(&r.j, 0, field, &tok) != 0 ||
	    tok[0] == '\0') {
		err_set("%s: secondary-token reply has no %s%s", v->url, field,
		    pubkey ? " (public-key activation needs Vault 1.3+)" : "");
		goto out;
	}
	rc = secret_set(out, tok, strlen(tok));
out:
	secret_free_str(tok);
	vault_reply_free(&r);
	return rc;
}

int
vault_secondary_token(struct vault *v, const char *id, const char *ttl,
    struct secret *out)
{
	return secondary_token(v, id, ttl, NULL, out);
}

int
vault_revoke_secondary(struct vault *v, const char *id)
{
	struct vault_reply r;
	int rc = simple_post(v, P_DR "primary/revoke-secondary", "id", id, NULL,
	    NULL, NULL, NULL, VC_IDEMPOTENT, &r);
	vault_reply_free(&r);
	return rc;
}

int
vault_generate_public_key(struct vault *v, char **key)
{
	struct vault_reply r;
	int rc = -1;

	*key = NULL;
	if (vault_call(v, "POST", P_DR "secondary/generate-public-key", "{}", 2,
	    VC_IDEMPOTENT, &r) == -1)
		goto out;
	if (r.j.ntok == 0 || json_get_str(&r.j, 0,
	    "data.secondary_public_key", key) != 0 || (*key)[0] == '\0') {
		free(*key);
		*key = NULL;
		err_set("%s: generate-public-key reply has no "
		    "data.secondary_public_key", v->url);
		goto out;
	}
	rc = 0;
out:
	vault_reply_free(&r);
	return rc;
}

int
vault_activation_token(struct vault *newp, struct vault *old, const char *id,
    const char *ttl, int public_key, struct secret *out,
    struct vault **failed)
{
	char *key = NULL;
	int rc;

	*failed = newp;
	if (!public_key) {
		if ((rc = vault_secondary_token(newp, id, ttl, out)) == -1)
			err_prefix("secondary-token on the %s", newp->label);
		return rc;
	}
	if (vault_generate_public_key(old, &key) == -1) {
		*failed = old;
		err_prefix("generate-public-key on the %s", old->label);
		return -1;
	}
	if ((rc = secondary_token(newp, id, ttl, key, out)) == -1)
		err_prefix("secondary-token (public-key activation) on the %s",
		    newp->label);
	free(key);
	return rc;
}

int
vault_perf_observe(struct vault *v, struct vault_perf *p)
{
	struct vault_reply r;
	int d, arr, i, n, rc = -1;

	memset(p, 0, sizeof(*p));
	if (vault_call(v, "GET", P_PERF_STATUS,
	    NULL, 0, VC_PROBE, &r) == -1)
		goto out;
	d = r.j.ntok ? json_find(&r.j, 0, "data") : -1;
	copy_str(&r.j, d, "mode", p->mode, sizeof(p->mode));
	copy_str(&r.j, d, "state", p->state, sizeof(p->state));
	if (p->mode[0] == '\0') {
		err_set("%s: sys/replication/performance/status: reply has no "
		    "data.mode", v->url);
		goto out;
	}
	n = json_array_len(&r.j, arr = json_find(&r.j, d, "secondaries"));
	if (n > 0 && (p->sec = calloc((size_t)n, sizeof(*p->sec))) == NULL) {
		err_set("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct vault_perf_secondary *s = &p->sec[p->nsec++];
		int e = json_array_elem(&r.j, arr, i);

		copy_str(&r.j, e, "node_id", s->id, sizeof(s->id));
		copy_str(&r.j, e, "api_address", s->api_address,
		    sizeof(s->api_address));
		copy_str(&r.j, e, "connection_status", s->conn,
		    sizeof(s->conn));
	}
	p->read = 1;
	rc = 0;
out:
	if (rc == -1)
		snprintf(p->error, sizeof(p->error), "%s", err_get());
	vault_reply_free(&r);
	return rc;
}

void
vault_perf_free(struct vault_perf *p)
{
	if (p == NULL)
		return;
	free(p->sec);
	p->sec = NULL;
	p->nsec = 0;
}

int
vault_perf_connected(const struct vault_perf_secondary *s)
{
	if (s->conn[0] == '\0')
		return -1;
	return strcmp(s->conn, "connected") == 0;
}

void
vault_perf_fix(const struct vault_perf_secondary *s, const char *cluster_addr,
    char *out, size_t outsz)
{
	snprintf(out, outsz, "VAULT_ADDR=%s vault write sys/replication/"
	    "performance/secondary/update-primary update_primary_addrs=%s",
	    s->api_address[0] ? s->api_address : "<its address>",
	    cluster_addr && cluster_addr[0] ? cluster_addr :
	    "<the new primary's cluster address>");
}

int
vault_update_primary(struct vault *v, const struct secret *drtok,
    const struct secret *activation, const char *primary_api_addr,
    enum vault_fail *fail)
{
	struct vault_reply r;
	int rc = simple_post(v, P_DR "secondary/update-primary",
	    "dr_operation_token", drtok->s, "token", activation->s,
	    "primary_api_addr", primary_api_addr, VC_ONCE, &r);
	*fail = r.fail;
	vault_reply_free(&r);
	return rc;
}

int
vault_delete_dr_token(struct vault *v, const struct secret *drtok)
{
	struct vault_reply r;
	int rc = simple_post(v, P_DR "secondary/operation-token/delete",
	    "dr_operation_token", drtok->s, NULL, NULL, NULL, NULL, VC_ONCE, &r);
	vault_reply_free(&r);
	return rc;
}

int
vault_status_connected(const struct vault_status *st)
{
	int shown = 0;

	if (st->primary_conn[0]) {
		if (strcmp(st->primary_conn, "connected") != 0)
			return 0;
		shown = 1;
	}
	if (st->connection_state[0]) {
		if (strcmp(st->connection_state, "ready") != 0)
			return 0;
		shown = 1;
	}
	return shown ? 1 : -1;
}

/* A poll failure that ends polling: TLS/config errors and stop signals. */
static int
poll_fatal(enum vault_fail f)
{
	return f == VF_TLS || f == VF_STOPPED;
}

int
vault_ready(struct vault *v, int *ready, char *why, size_t whysz)
{
	struct vault_reply r;
	char mode[24] = "", state[32] = "";
	int sealed = -1, d;

	struct vault_job j[2];
	struct http_job hj[2];

	*ready = 0;
	snprintf(why, whysz, "no answer yet");
	/* Both reads go together (one round trip); the second is dropped
	 * unless the first shows a ready node. */
	get_job(v, P_HEALTH_READY, &j[0]);
	get_job(v, P_DR "status", &j[1]);
	hj[0] = j[0].job;
	hj[1] = j[1].job;
	(void)http_prefetch(hj, 2);
	if (vault_call(v, "GET", P_HEALTH_READY, NULL, 0, VC_ONCE |
	    VC_ANY_STATUS, &r) == -1) {
		http_forget_url(v->http, v->url);
		snprintf(why, whysz, "sys/health: %s", err_get());
		vault_reply_free(&r);
		return poll_fatal(v->last_fail) ? -1 : 0;
	}
	if (r.j.ntok > 0) {
		copy_str(&r.j, 0, "replication_dr_mode", mode, sizeof(mode));
		get_flag(&r.j, 0, "sealed", &sealed);
	}
	if (r.status != 200 || r.j.ntok == 0 || strcmp(mode, "primary") != 0 ||
	    sealed != 0) {
		snprintf(why, whysz, "sys/health answered %d%s%s%s%s", r.status,
		    mode[0] ? ", replication_dr_mode " : "", mode,
		    sealed == 1 ? ", sealed" : "", r.j.ntok == 0 ?
		    ", no JSON body" : sealed == -1 ? ", seal state not shown" :
		    "");
		vault_reply_free(&r);
		http_forget_url(v->http, v->url);
		return 0;
	}
	vault_reply_free(&r);
	if (vault_call(v, "GET", P_DR "status", NULL, 0, VC_ONCE, &r) == -1) {
		snprintf(why, whysz, "dr/status: %s", err_get());
		vault_reply_free(&r);
		return poll_fatal(v->last_fail) ? -1 : 0;
	}
	if (r.j.ntok == 0 || (d = json_find(&r.j, 0, "data")) < 0 ||
	    json_type_at(&r.j, d) != JSON_OBJECT) {
		snprintf(why, whysz, "dr/status: reply has no data object");
		vault_reply_free(&r);
		return 0;
	}
	copy_str(&r.j, d, "mode", mode, sizeof(mode));
	copy_str(&r.j, d, "state", state, sizeof(state));
	vault_reply_free(&r);
	if (strcmp(mode, "primary") != 0 ||
	    (state[0] && strcmp(state, "running") != 0)) {
		snprintf(why, whysz, "dr/status mode %s, state %s",
		    mode[0] ? mode : "(none)", state[0] ? state : "(none)");
		return 0;
	}
	*ready = 1;
	snprintf(why, whysz, "DR primary, running");
	return 0;
}

int
vault_attached(struct vault *old, struct vault *newp, int *attached,
    char *why, size_t whysz)
{
	struct vault_status so, sn;
	int rc = 0, conn;

	*attached = 0;
	if (vault_observe(old, &so) == -1) {
		snprintf(why, whysz, "%s", so.error);
		rc = poll_fatal(so.fail) ? -1 : 0;
		vault_status_free(&so);
		return rc;
	}
	conn = vault_status_connected(&so);
	if (strcmp(so.mode, "secondary") != 0 ||
	    strcmp(so.state, "stream-wals") != 0 || conn == 0) {
		snprintf(why, whysz, "DR mode %s, state %s%s%s", so.mode,
		    so.state[0] ? so.state : "(none)", conn == 0 ?
		    ", not connected: " : "", conn != 0 ? "" :
		    so.primary_conn[0] ? so.primary_conn : so.connection_state);
		vault_status_free(&so);
		return 0;
	}
	if (vault_observe(newp, &sn) == -1) {
		snprintf(why, whysz, "new primary: %s", sn.error);
		rc = poll_fatal(sn.fail) ? -1 : 0;
	} else if (!vault_status_knows(&sn, so.secondary_id))
		snprintf(why, whysz, "streaming, but the new primary does not "
		    "list its secondary id %s", so.secondary_id[0] ?
		    so.secondary_id : "(none)");
	else {
		*attached = 1;
		snprintf(why, whysz, "stream-wals%s, id %s known", conn == 1 ?
		    ", connected" : "", so.secondary_id);
	}
	vault_status_free(&so);
	vault_status_free(&sn);
	return rc;
}

int
vault_lookup_self(struct vault *v, int *valid, char *policies, size_t polsz,
    long long *ttl)
{
	struct vault_reply r;
	int arr, n, i, d;
	size_t o = 0;

	*valid = 0;
	*ttl = -1;
	if (polsz)
		policies[0] = '\0';
	if (vault_call(v, "GET", "/v1/auth/token/lookup-self", NULL, 0,
	    VC_PROBE, &r) == -1) {
		int denied = r.status == 403;
		vault_reply_free(&r);
		if (denied)
			err_clear();
		return denied ? 0 : -1;
	}
	if (r.j.ntok == 0 || (d = json_find(&r.j, 0, "data")) < 0 ||
	    json_type_at(&r.j, d) != JSON_OBJECT) {
		err_set("%s: auth/token/lookup-self: reply has no data object",
		    v->url);
		vault_reply_free(&r);
		return -1;
	}
	*valid = 1;
	if (json_get_i64(&r.j, d, "ttl", ttl) != 0)
		*ttl = -1;
	if ((arr = json_find(&r.j, d, "policies")) >= 0 &&
	    (n = json_array_len(&r.j, arr)) > 0)
		for (i = 0; i < n && polsz; i++) {
			char *p = NULL;
			if (json_tok_str(&r.j, json_array_elem(&r.j, arr, i),
			    &p) == 0) {
				snprintf(policies + o, polsz - o, "%s%s",
				    o ? "," : "", p);
				o = strlen(policies);
			}
			free(p);
		}
	err_clear();
	vault_reply_free(&r);
	return 0;
}

int
vault_caps_allow(const char *caps, const char *need)
{
	char one[32];
	const char *p;
	size_t n;

	/* "deny" anywhere wins, "root" allows everything. */
	for (int pass = 0; pass < 2; pass++)
		for (p = caps; *p; p += n + (p[n] == ',')) {
			n = strcspn(p, ",");
			if (n == 4 && strncmp(p, pass ? "root" : "deny", 4) == 0)
				return pass;
		}
	for (p = need; *p; p += n) {
		const char *q;
		int found = 0;

		while (*p == ' ')
			p++;
		if ((n = strcspn(p, " ")) == 0)
			break;
		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		for (q = caps; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] ==
		    ','))
			if (strcspn(q, ",") == strlen(one) &&
			    strncmp(q, one, strlen(one)) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

/* Member `key` of the object at `at`; json_find takes dotted paths, so a
 * key with a '.' cannot be looked up (Vault API paths have none). */
static int
json_member(const struct json *j, int at, const char *key)
{
	return strchr(key, '.') ? -1 : json_find(j, at, key);
}

int
vault_capabilities(struct vault *v, struct vault_cap *c, size_t n)
{
	struct vault_reply r;
	struct buf body = { 0 };
	const char *paths[8];
	size_t i;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n && i < 8; i++)
		paths[i] = c[i].path;
	if (n > 8 || caps_body(&body, paths, n) == -1)
		goto out;
	if (vault_call(v, "POST", "/v1/sys/capabilities-self", body.data,
	    body.len, VC_READ_POST | VC_IDEMPOTENT | VC_PROBE, &r) == -1)
		goto out;
	if (r.j.ntok == 0) {
		err_set("%s: sys/capabilities-self: reply is not JSON", v->url);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int d = json_find(&r.j, 0, "data"), arr = -1, k, len;
		size_t o = 0;

		/* Look the path up as a key, not as a dotted path. */
		if (d >= 0)
			arr = json_member(&r.j, d, c[i].path);
		if (arr < 0)
			arr = json_member(&r.j, 0, c[i].path);
		if (arr < 0 || (len = json_array_len(&r.j, arr)) < 0) {
			err_set("%s: sys/capabilities-self: no answer for %s",
			    v->url, c[i].path);
			goto out;
		}
		c[i].caps[0] = '\0';
		for (k = 0; k < len; k++) {
			char *cap = NULL;
			if (json_tok_str(&r.j, json_array_elem(&r.j, arr, k),
			    &cap) == 0) {
				snprintf(c[i].caps + o, sizeof(c[i].caps) - o,
				    "%s%s", o ? "," : "", cap);
				o = strlen(c[i].caps);
			}
			free(cap);
		}
		c[i].allowed = vault_caps_allow(c[i].caps, c[i].need);
	}
	rc = 0;
out:
	vault_reply_free(&r);
	buf_free(&body);
	return rc;
}

/* ---- versions ---- */

/* Splits "v1.16.0-rc1+ent.hsm" into the numeric core (up to 8 parts) and
 * the pre-release text (without '+' metadata). -1 when not a version. */
static int
version_parse(const char *s, long long num[8], int *nnum, const char **pre,
    size_t *prelen)
{
	int k = 0;

	if (s == NULL)
		return -1;
	if (*s == 'v' || *s == 'V')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (;;) {
		long long x = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 15) {
			x = x * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || isdigit((unsigned char)*s) || k == 8)
			return -1;
		num[k++] = x;
		if (*s != '.')
			break;
		s++;
	}
	*nnum = k;
	*pre = "";
	*prelen = 0;
	if (*s == '-') {
		*pre = ++s;
		*prelen = strcspn(s, "+");
		if (*prelen == 0)
			return -1;
		s += *prelen;
	}
	return *s == '\0' || *s == '+' ? 0 : -1;
}

int
vault_version_valid(const char *v)
{
	long long num[8];
	const char *pre;
	size_t pl;
	int n;

	return version_parse(v, num, &n, &pre, &pl) == 0;
}

/* Semver pre-release order: dot-separated identifiers, numeric ones
 * numerically and below alphanumeric ones, a shorter list first. */
static int
pre_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	if (al == 0 || bl == 0)
		return al == bl ? 0 : al == 0 ? 1 : -1;
	while (al && bl) {
		size_t x = 0, y = 0;
		int anum = 1, bnum = 1, c;

		while (x < al && a[x] != '.')
			anum &= isdigit((unsigned char)a[x++]) != 0;
		while (y < bl && b[y] != '.')
			bnum &= isdigit((unsigned char)b[y++]) != 0;
		if (anum && bnum) {
			if (x != y) /* no leading zeros in semver */
				return x < y ? -1 : 1;
			c = memcmp(a, b, x);
		} else if (anum != bnum)
			return anum ? -1 : 1;
		else {
			c = memcmp(a, b, x < y ? x : y);
			if (c == 0 && x != y)
				c = x < y ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += x;
		al -= x;
		b += y;
		bl -= y;
		if (al && *a == '.')
			a++, al--;
		if (bl && *b == '.')
			b++, bl--;
	}
	return al == bl ? 0 : al ? 1 : -1;
}

int
vault_version_cmp(const char *a, const char *b)
{
	long long x[8], y[8];
	const char *pa, *pb;
	size_t la, lb;
	int na, nb, k;

	if (version_parse(a, x, &na, &pa, &la) == -1 ||
	    version_parse(b, y, &nb, &pb, &lb) == -1)
		return 0;
	for (k = 0; k < na || k < nb; k++) {
		long long p = k < na ? x[k] : 0, q = k < nb ? y[k] : 0;
		if (p != q)
			return p < q ? -1 : 1;
	}
	return pre_cmp(pa, la, pb, lb);
}
