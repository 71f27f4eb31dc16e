/* imds.c - the mock's EC2 instance metadata service: the IMDSv2 session
 * token (PUT /latest/api/token), the instance role name and the role's
 * temporary credentials, enough for an AWS SDK's credential chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"

#define CRED_PATH "/latest/meta-data/iam/security-credentials/"
#define TTL_MAX 21600
#define MAX_TOKENS 256
#define DEFAULT_LIFE_MS (6LL * 3600 * 1000)
#define RENEW_MS (1LL * 3600 * 1000) /* before expiry, like EC2 rotation */

/* "YYYY-MM-DDTHH:MM:SSZ", as the EC2 metadata service writes times. */
static void
iso8601_s(long long wall, char *out, size_t outsz)
{
	time_t t = (time_t)(wall / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
mimds_error(struct mresp *r, int status)
{
	static const struct {
		int status;
		const char *text;
	} msgs[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	const char *text = "Error";
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (msgs[i].status == status)
			text = msgs[i].text;
	r->status = status;
	r->ctype = "text/plain";
	buf_printf(&r->body, "%d - %s\n", status, text);
}

/* Forgets expired tokens. */
static void
prune(long long now)
{
	size_t i, k;

	for (i = k = 0; i < M.nitok; i++)
		if (M.itok[i].until > now)
			M.itok[k++] = M.itok[i];
	M.nitok = k;
}

/* The TTL header as 1..21600, or -1. */
static long
ttl_value(const char *s)
{
	long v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 9)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= TTL_MAX ? v : -1;
}

static void
put_token(const struct mreq *q, struct mresp *r)
{
	long ttl = ttl_value(mreq_header(q, "x-aws-ec2-metadata-token-ttl-seconds"));
	long long now = mono_ms();
	struct imdstok *t;

	if (ttl < 0) {
		mimds_error(r, 400);
		return;
	}
	prune(now);
	if (M.nitok == MAX_TOKENS) {
		/* Oldest first: drop it to make room. */
		memmove(&M.itok[0], &M.itok[1],
		    (M.nitok - 1) * sizeof(*M.itok));
		M.nitok--;
	}
	if (M.itok == NULL &&
	    (M.itok = calloc(MAX_TOKENS, sizeof(*M.itok))) == NULL) {
		r->status = 500;
		r->ctype = "text/plain";
		buf_puts(&r->body, "500 - Internal Server Error\n");
		return;
	}
	t = &M.itok[M.nitok++];
	rand_base62(t->tok, sizeof(t->tok) - 1);
	t->until = now + ttl * 1000LL;
	r->status = 200;
	r->ctype = "text/plain";
	buf_printf(&r->hdrs, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds: %ld\r\n",
	    ttl);
	buf_puts(&r->body, t->tok);
}

/* 1 = the request may read metadata; 0 = answer 401. A token that is
 * present must be one we handed out and still live, even for IMDSv1. */
static int
authorized(const struct mreq *q)
{
	const char *tok = mreq_header(q, "x-aws-ec2-metadata-token");
	size_t i;

	if (tok == NULL)
		return !M.imds_require_v2;
	prune(mono_ms());
	for (i = 0; i < M.nitok; i++)
		if (strcmp(M.itok[i].tok, tok) == 0)
			return 1;
	return 0;
}

static void
credentials(struct mresp *r)
{
	long long now = wall_ms();
	char upd[32], exp[32];

	/* Without a fixed expiration the role's credentials "rotate": the
	 * same Expiration until an hour before it, then 6 h from now. */
	if (M.imds_expiration == NULL &&
	    now >= M.imds_updated_ms + DEFAULT_LIFE_MS - RENEW_MS)
		M.imds_updated_ms = now;
	iso8601_s(M.imds_updated_ms, upd, sizeof(upd));
	if (M.imds_expiration)
		snprintf(exp, sizeof(exp), "%s", M.imds_expiration);
	else
		iso8601_s(M.imds_updated_ms + DEFAULT_LIFE_MS, exp, sizeof(exp));
	r->status = 200;
	r->ctype = "text/plain";
	buf_printf(&r->body, "{\n  \"Code\" : \"Success\",\n"
	    "  \"LastUpdated\" : \"%s\",\n  \"Type\" : \"AWS-HMAC\",\n"
	    "  \"AccessKeyId\" : ", upd);
	json_append_str(&r->body, M.imds_access_key);
	buf_puts(&r->body, ",\n  \"SecretAccessKey\" : ");
	json_append_str(&r->body, M.imds_secret_key);
	buf_puts(&r->body, ",\n  \"Token\" : ");
	json_append_str(&r->body, M.imds_token);
	buf_puts(&r->body, ",\n  \"Expiration\" : ");
	json_append_str(&r->body, exp);
	buf_puts(&r->body, "\n}");
}

void
mimds_handle(const struct mreq *q, struct mresp *r)
{
	int is_get = strcmp(q->method, "GET") == 0;
	const char *role;

	if (strcmp(q->path, "/latest/api/token") == 0) {
		if (strcmp(q->method, "PUT") != 0)
			mimds_error(r, 405);
		else
			put_token(q, r);
		return;
	}
	if (strncmp(q->path, CRED_PATH, strlen(CRED_PATH)) != 0) {
		mimds_error(r, 404);
		return;
	}
	role = q->path + strlen(CRED_PATH);
	if (!is_get) {
		mimds_error(r, 405);
		return;
	}
	if (!authorized(q)) {
		mimds_error(r, 401);
		return;
	}
	if (role[0] != '\0' && strcmp(role, M.imds_role) != 0) {
		mimds_error(r, 404);
		return;
	}
	if (role[0] == '\0') {
		r->status = 200;
		r->ctype = "text/plain";
		buf_puts(&r->body, M.imds_role);
		return;
	}
	credentials(r);
}
