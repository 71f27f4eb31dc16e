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

int
vault_call(struct vault *v, const char *method, const char *path,
    const char *body, size_t body_len, int flags, struct vault_reply *r)
{
	const struct retry_policy *pol =
	    (flags & VC_PROBE) ? &retry_probe : &retry_vault;
	int changing = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	int max = (flags & VC_ONCE) ? 0 : pol->max_retries;
	struct retry_outcome oc;
	struct http_header h[3];
	struct http_response resp;
	struct buf url = { 0 };
	char why[1024], plain_path[512], msg[768];
	const char *reason;
	size_t nh = 0;
	int attempt, rc = -1;
	enum vault_fail kind = VF_NONE;
	enum retry_verdict vd;

	memset(r, 0, sizeof(*r));
	snprintf(plain_path, sizeof(plain_path), "%.*s",
	    (int)strcspn(path, "?"), path);
	if (changing && v->read_only) {
		err_set("dry run: refusing to send %s %s", method, plain_path);
		r->fail = VF_REJECTED;
		return -1;
	}
	if (buf_puts(&url, v->url) == -1 || buf_puts(&url, path) == -1)
		return -1;
	if (secret_is_set(v->token))
		h[nh++] = (struct http_header){ "X-Vault-Token", v->token->s };
	h[nh++] = (struct http_header){ "X-Vault-Request", "true" };
	if (body)
		h[nh++] = (struct http_header){ "Content-Type",
			"application/json" };

	memset(&oc, 0, sizeof(oc));
	oc.kind = changing && !(flags & VC_IDEMPOTENT) ? RK_CHANGING :
	    RK_REPEATABLE;
	for (attempt = 0;; attempt++) {
		if (retry_stop_requested) {
			err_set("stopped by signal before %s %s", method,
			    plain_path);
			r->fail = VF_STOPPED;
			goto out;
		}
		memset(&resp, 0, sizeof(resp));
		oc.status = 0;
		oc.message = NULL;
		if (http_request(v->http, method, url.data, h, nh, body,
		    body_len, &resp) == -1) {
			oc.transport = transport_of(&resp);
			snprintf(why, sizeof(why), "%s", err_get());
			kind = oc.transport == RT_BAD_REPLY ? VF_BAD_REPLY :
			    oc.transport == RT_TLS ? VF_TLS : VF_UNREACHABLE;
		} else {
			vault_reply_free(r);
			r->status = resp.status;
			r->body = resp.body;
			r->body_len = resp.body_len;
			resp.body = NULL;
			http_response_free(&resp);
			if (r->body_len > 0 &&
			    json_parse(&r->j, r->body, r->body_len) == -1) {
				memset(&r->j, 0, sizeof(r->j));
				err_clear();
			}
			if (flags & VC_ANY_STATUS) {
				rc = 0;
				goto out;
			}
			oc.transport = RT_ANSWER;
			oc.status = r->status;
			vault_errors(r, msg, sizeof(msg));
			oc.message = msg;
			snprintf(why, sizeof(why), "%s (%s %s HTTP %d: %s)",
			    r->status == 403 ? "Vault denied permission" :
			    r->status < 500 && r->status != 412 ?
			    "Vault refused the request" :
			    "Vault could not complete the request",
			    url_hostpart(v->url), plain_path, r->status, msg);
			kind = r->status >= 500 || r->status == 412 ?
			    VF_SERVER : VF_REJECTED;
		}
		vd = retry_classify(&oc, &reason);
		if (vd == RV_OK) {
			rc = 0;
			goto out;
		}
		if (vd == RV_UNKNOWN) {
			/* Safety 1: never re-sent; the caller re-reads. */
			err_set("%s", why);
			err_prefix("the outcome of %s %s is unknown (%s)",
			    method, plain_path, reason);
			r->fail = VF_LOST;
			goto out;
		}
		if (vd == RV_FAIL || attempt >= max) {
			r->fail = kind;
			err_set("%s", why);
			if (vd == RV_RETRY && max > 0)
				err_prefix("gave up after %d attempts",
				    attempt + 1);
			goto out;
		}
		double d = retry_delay(pol, attempt + 1);
		log_warn("%s; retry %d of %d in %.1f s", why, attempt + 1, max, d);
		if (retry_sleep(d) == -1) {
			err_set("stopped by signal while retrying %s %s", method,
			    plain_path);
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

int
vault_observe(struct vault *v, struct vault_status *st)
{
	struct vault_reply r;
	int d, arr, i, n;

	memset(st, 0, sizeof(*st));
	st->last_wal = st->last_remote_wal = -1;
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
	copy_str(&r.j, d, "mode", st->mode, sizeof(st->mode));
	copy_str(&r.j, d, "state", st->state, sizeof(st->state));
	copy_str(&r.j, d, "cluster_id", st->cluster_id, sizeof(st->cluster_id));
	copy_str(&r.j, d, "secondary_id", st->secondary_id,
	    sizeof(st->secondary_id));
	copy_str(&r.j, d, "primary_cluster_addr", st->primary_addr,
	    sizeof(st->primary_addr));
	st->last_wal = get_wal(&r.j, d, "last_dr_wal");
	if (st->last_wal < 0)
		st->last_wal = get_wal(&r.j, d, "last_wal");
	st->last_remote_wal = get_wal(&r.j, d, "last_remote_wal");
	if ((arr = json_find(&r.j, d, "known_secondaries")) >= 0 &&
	    (n = json_array_len(&r.j, arr)) > 0) {
		st->known_secondaries = calloc((size_t)n, sizeof(char *));
		for (i = 0; st->known_secondaries && i < n; i++)
			if (json_tok_str(&r.j, json_array_elem(&r.j, arr, i),
			    &st->known_secondaries[st->nknown]) == 0)
				st->nknown++;
	}
	if (st->mode[0] == '\0') {
		snprintf(st->error, sizeof(st->error),
		    "%s: sys/replication/dr/status: reply has no mode", v->url);
		st->fail = VF_BAD_REPLY;
		vault_reply_free(&r);
		return -1;
	}
	vault_reply_free(&r);

	if (vault_call(v, "GET", "/v1/sys/health", NULL, 0,
	    VC_PROBE | VC_ANY_STATUS, &r) == 0) {
		int b;
		st->health_code = r.status;
		if (r.j.ntok > 0) {
			copy_str(&r.j, 0, "version", st->version,
			    sizeof(st->version));
			if (json_get_bool(&r.j, 0, "sealed", &b) == 0)
				st->sealed = b;
		}
	}
	vault_reply_free(&r);
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
	vault_reply_free(&r);
	err_set("%s", saved);
}

int
vault_generate_dr_token(struct vault *v, const struct vault_keys *keys,
    struct secret *out)
{
	struct vault_reply r;
	struct secret otp = { 0 }, nonce = { 0 };
	struct buf body = { 0 };
	char *s = NULL, *enc = NULL;
	char token[256];
	int required = 0, otp_len = 0, started = 0, i, done = 0, rc = -1;
	long long x;

	memset(&r, 0, sizeof(r));
	/* A stale attempt (an earlier run, an operator) blocks a new one. */
	if (vault_call(v, "DELETE", P_ATTEMPT, NULL, 0, VC_IDEMPOTENT, &r) ==
	    -1 && r.fail != VF_REJECTED)
		goto out;
	vault_reply_free(&r);
	if (vault_attempt_info(v, &required, &otp_len, &started) == -1)
		goto out;

	if (otp_len > 0) {
		body.len = 0;
		if (buf_puts(&body, "{}") == -1)
			goto out;
	} else {
		/* Legacy scheme: the client supplies a 16-byte OTP. */
		unsigned char raw[16];
		char b64[32];
		if (tls_random(raw, sizeof(raw)) == -1 ||
		    b64_encode(raw, sizeof(raw), b64, sizeof(b64), 1) == -1) {
			err_set("cannot make a one-time password");
			goto out;
		}
		explicit_bzero(raw, sizeof(raw));
		if (secret_set(&otp, b64, strlen(b64)) == -1 ||
		    json_body(&body, "otp", b64, NULL, NULL, NULL, NULL) == -1) {
			explicit_bzero(b64, sizeof(b64));
			goto out;
		}
		explicit_bzero(b64, sizeof(b64));
	}
	if (vault_call(v, "POST", P_ATTEMPT, body.data, body.len, 0, &r) == -1)
		goto out;
	if (r.j.ntok == 0 || json_get_str(&r.j, 0, "nonce", &s) != 0) {
		err_set("%s: operation token attempt started without a nonce",
		    v->url);
		goto cancel;
	}
	if (secret_set(&nonce, s, strlen(s)) == -1)
		goto cancel;
	secret_free_str(s);
	s = NULL;
	if (json_get_i64(&r.j, 0, "required", &x) == 0 && x > 0)
		required = (int)x;
	if (json_get_i64(&r.j, 0, "otp_length", &x) == 0 && x > 0)
		otp_len = (int)x;
	if (otp_len > 0) {
		if (json_get_str(&r.j, 0, "otp", &s) != 0 || s[0] == '\0') {
			err_set("%s: Vault returned no OTP when the attempt "
			    "started", v->url);
			goto cancel;
		}
		if (secret_set(&otp, s, strlen(s)) == -1)
			goto cancel;
		secret_free_str(s);
		s = NULL;
	}
	vault_reply_free(&r);

	for (i = 0; i < keys->n && !done; i++) {
		buf_free(&body);
		if (json_body(&body, "key", keys->k[i].s, "nonce", nonce.s,
		    NULL, NULL) == -1)
			goto cancel;
		if (vault_call(v, "POST", P_UPDATE, body.data, body.len, 0,
		    &r) == -1) {
			err_prefix("recovery key %d of %d was not accepted",
			    i + 1, required);
			goto cancel;
		}
		if (r.j.ntok > 0 && json_get_bool(&r.j, 0, "complete",
		    &done) == 0 && done) {
			if (json_get_str(&r.j, 0, "encoded_token", &enc) != 0 ||
			    enc[0] == '\0') {
				free(enc);
				enc = NULL;
				if (json_get_str(&r.j, 0, "encoded_root_token",
				    &enc) != 0) {
					err_set("%s: Vault reported completion "
					    "without an encoded token", v->url);
					goto out;
				}
			}
		}
		vault_reply_free(&r);
	}
	if (!done) {
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
	vault_reply_free(&r);
	secret_free_str(s);
	secret_free_str(enc);
	secret_wipe(&otp);
	secret_wipe(&nonce);
	buf_free(&body);
	return rc;
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

int
vault_secondary_token(struct vault *v, const char *id, const char *ttl,
    struct secret *out)
{
	struct vault_reply r;
	char *tok = NULL;
	int rc = -1;

	if (simple_post(v, P_DR "primary/secondary-token", "id", id, "ttl", ttl,
	    NULL, NULL, 0, &r) == -1)
		goto out;
	if (r.j.ntok == 0 || json_get_str(&r.j, 0, "wrap_info.token", &tok) != 0 ||
	    tok[0] == '\0') {
		err_set("%s: secondary-token reply has no wrap_info.token",
		    v->url);
		goto out;
	}
	rc = secret_set(out, tok, strlen(tok));
out:
	secret_free_str(tok);
	vault_reply_free(&r);
	return rc;
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
