/* sts.c - the mock's AWS STS (AssumeRole, SigV4-checked through sigv4.c;
 * AssumeRoleWithWebIdentity, unsigned, checking the token) and IAM Identity
 * Center portal (SSO GetRoleCredentials, checking the bearer token), served
 * on the Route 53 listener (STS is POST / with a form body, SSO is GET
 * /federation/credentials; Route 53 paths all start /2013-04-01/). Both
 * hand out credentials that the mock's Route 53 accepts. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"
#include "mock/sigcheck.h"
#include "mock/strset.h"
#include "sigv4.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define ACCOUNT "123456789012"

/* Scenario "sts", "sso" and "container" (read-only once loaded). */
static struct {
	char *src_ak, *src_sk, *src_tok; /* may sign AssumeRole */
	char *role_arn, *external_id, *web_token, *region, *expiration;
	char *ak, *sk, *tok;             /* handed out */
	char *sso_token, *sso_account, *sso_role;
} S;

/* ---- scenario ---- */

static const struct strset keys[] = {
	{ "sts.source_access_key", &S.src_ak, 0 },
	{ "sts.source_secret_key", &S.src_sk, 0 },
	{ "sts.source_session_token", &S.src_tok, 1 },
	{ "sts.role_arn", &S.role_arn, 0 },
	{ "sts.external_id", &S.external_id, 1 },
	{ "sts.web_identity_token", &S.web_token, 0 },
	{ "sts.region", &S.region, 0 },
	{ "sts.expiration", &S.expiration, 0 },
	{ "sts.access_key", &S.ak, 0 },
	{ "sts.secret_key", &S.sk, 0 },
	{ "sts.session_token", &S.tok, 0 },
	{ "sso.access_token", &S.sso_token, 0 },
	{ "sso.account_id", &S.sso_account, 0 },
	{ "sso.role_name", &S.sso_role, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int
msts_key_allowed(const char *path)
{
	return strcmp(path, "sts") == 0 || strcmp(path, "sso") == 0 ||
	    strset_has(keys, NKEYS, path);
}

int
msts_load(const struct json *j, char *why, size_t whysz)
{
	const struct {
		char **dst;
		const char *v;
	} dflt[] = {
		{ &S.src_ak, "AKIDMOCKSOURCE" },
		{ &S.src_sk, "mock/source+Secret/Key/EXAMPLEKEY00" },
		{ &S.role_arn, "arn:aws:iam::" ACCOUNT ":role/vaultdr-dr" },
		{ &S.web_token, "mock-web-identity-token" },
		{ &S.region, "us-east-1" },
		{ &S.ak, M.r53_access_key },
		{ &S.sk, M.r53_secret_key },
		{ &S.tok, M.r53_session_token ? M.r53_session_token :
		    "mock-sts-session-token" },
		{ &S.sso_token, "mock-sso-access-token" },
		{ &S.sso_account, ACCOUNT },
		{ &S.sso_role, "vaultdr-dr" },
	};
	size_t i;

	if (strset_load(keys, NKEYS, j, why, whysz) == -1)
		return -1;
	for (i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++)
		if (strset_default(dflt[i].dst, dflt[i].v) == -1) {
			snprintf(why, whysz, "out of memory");
			return -1;
		}
	return 0;
}

/* ---- helpers ---- */

static void
xml_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_append(b, s, 1);
		}
	}
}

static void
msts_error(struct mresp *r, int status, const char *code, const char *msg)
{
	char id[37];

	rand_uuid(id);
	r->status = status;
	r->ctype = "text/xml";
	buf_free(&r->body);
	buf_puts(&r->body, "<ErrorResponse xmlns=\"" STS_NS "\">\n  <Error>\n"
	    "    <Type>Sender</Type>\n    <Code>");
	xml_esc(&r->body, code);
	buf_puts(&r->body, "</Code>\n    <Message>");
	xml_esc(&r->body, msg);
	buf_printf(&r->body, "</Message>\n  </Error>\n  <RequestId>%s"
	    "</RequestId>\n</ErrorResponse>\n", id);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parameter name of a form / query string s (percent-decoded, '+' is a
 * space) into out. 1 found, 0 absent, -1 too long or malformed. */
static int
form_param(const char *s, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name), k;

	while (s && *s) {
		const char *amp = strchr(s, '&');
		const char *end = amp ? amp : s + strlen(s);

		if ((size_t)(end - s) > nl && strncmp(s, name, nl) == 0 &&
		    s[nl] == '=') {
			for (s += nl + 1, k = 0; s < end; s++) {
				int c = (unsigned char)*s;
				if (c == '%') {
					if (end - s < 3 || hexval(s[1]) < 0 ||
					    hexval(s[2]) < 0)
						return -1;
					c = hexval(s[1]) * 16 + hexval(s[2]);
					s += 2;
				} else if (c == '+')
					c = ' ';
				if (k + 1 >= outsz)
					return -1;
				out[k++] = (char)c;
			}
			out[k] = '\0';
			return 1;
		}
		s = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" of the credentials handed out. */
static void
expiry(long long life_s, char *out, size_t n)
{
	time_t t = (time_t)(wall_ms() / 1000 + life_s);
	struct tm tm;

	if (S.expiration) {
		snprintf(out, n, "%s", S.expiration);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* SigV4 check of an AssumeRole request against the source keys, service
 * sts, region S.region. 0 / -1 (error response written). */
static int
verify(const struct mreq *q, struct mresp *r)
{
	struct msig_keys k = { S.src_ak, S.src_sk, S.src_tok, "sts", S.region,
		msts_error };

	return msig_verify(q, r, &k);
}

/* The <Credentials> answer of action. */
static void
creds_xml(struct mresp *r, const char *action, const char *session,
    long long life_s, const char *extra)
{
	char exp[40], id[37];

	expiry(life_s, exp, sizeof(exp));
	rand_uuid(id);
	r->status = 200;
	r->ctype = "text/xml";
	buf_printf(&r->body, "<%sResponse xmlns=\"" STS_NS "\">\n  <%sResult>\n"
	    "    <Credentials>\n      <AccessKeyId>", action, action);
	xml_esc(&r->body, S.ak);
	buf_puts(&r->body, "</AccessKeyId>\n      <SecretAccessKey>");
	xml_esc(&r->body, S.sk);
	buf_puts(&r->body, "</SecretAccessKey>\n      <SessionToken>");
	xml_esc(&r->body, S.tok);
	buf_printf(&r->body, "</SessionToken>\n      <Expiration>%s"
	    "</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n"
	    "      <AssumedRoleId>AROAMOCKROLEID:", exp);
	xml_esc(&r->body, session);
	buf_puts(&r->body, "</AssumedRoleId>\n      <Arn>");
	xml_esc(&r->body, S.role_arn);
	buf_puts(&r->body, "/");
	xml_esc(&r->body, session);
	buf_printf(&r->body, "</Arn>\n    </AssumedRoleUser>\n%s  </%sResult>\n"
	    "  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n"
	    "  </ResponseMetadata>\n</%sResponse>\n", extra, action, id,
	    action);
}

/* Form parameters of an STS request: the body of a POST, else the query. */
static const char *
params(const struct mreq *q)
{
	if (strcmp(q->method, "POST") == 0)
		return q->body.data ? q->body.data : "";
	return q->query;
}

static void
msts_action(const struct mreq *q, struct mresp *r)
{
	const char *ps = params(q);
	char action[64], role[300], sess[80], ext[300], tok[8192], dur[16];
	char msg[400];
	long life = 3600;
	int web;

	if (form_param(ps, "Action", action, sizeof(action)) != 1) {
		msts_error(r, 400, "MissingAction", "Missing Action");
		return;
	}
	web = strcmp(action, "AssumeRoleWithWebIdentity") == 0;
	if (!web && strcmp(action, "AssumeRole") != 0) {
		snprintf(msg, sizeof(msg), "Could not find operation %.60s for "
		    "version 2011-06-15 in vaultdr-mock", action);
		msts_error(r, 400, "InvalidAction", msg);
		return;
	}
	if (!web && verify(q, r) == -1)
		return;
	if (form_param(ps, "RoleArn", role, sizeof(role)) != 1 ||
	    form_param(ps, "RoleSessionName", sess, sizeof(sess)) != 1) {
		msts_error(r, 400, "MissingParameter", "RoleArn and "
		    "RoleSessionName are required");
		return;
	}
	if (strlen(sess) < 2 || strspn(sess, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+=,.@_-") != strlen(sess)) {
		msts_error(r, 400, "ValidationError", "1 validation error "
		    "detected: Value at 'roleSessionName' failed to satisfy "
		    "constraint");
		return;
	}
	if (form_param(ps, "DurationSeconds", dur, sizeof(dur)) == 1) {
		life = strtol(dur, NULL, 10);
		if (life < 900 || life > 43200) {
			msts_error(r, 400, "ValidationError", "DurationSeconds "
			    "must be 900..43200");
			return;
		}
	}
	if (strcmp(role, S.role_arn) != 0) {
		snprintf(msg, sizeof(msg), "User is not authorized to perform: "
		    "%s on resource: %.200s", web ?
		    "sts:AssumeRoleWithWebIdentity" : "sts:AssumeRole", role);
		msts_error(r, 403, "AccessDenied", msg);
		return;
	}
	if (web) {
		if (form_param(ps, "WebIdentityToken", tok, sizeof(tok)) != 1 ||
		    strcmp(tok, S.web_token) != 0) {
			msts_error(r, 400, "InvalidIdentityToken", "Couldn't "
			    "retrieve verification key from your identity "
			    "provider");
			return;
		}
		creds_xml(r, action, sess, life, "    <SubjectFromWebIdentityToken>"
		    "system:serviceaccount:vault:vaultdr</SubjectFromWebIdentityToken>\n"
		    "    <Audience>sts.amazonaws.com</Audience>\n"
		    "    <Provider>oidc.eks.mock</Provider>\n");
		return;
	}
	if (S.external_id && (form_param(ps, "ExternalId", ext, sizeof(ext)) !=
	    1 || strcmp(ext, S.external_id) != 0)) {
		snprintf(msg, sizeof(msg), "User is not authorized to perform: "
		    "sts:AssumeRole on resource: %.200s (ExternalId)", role);
		msts_error(r, 403, "AccessDenied", msg);
		return;
	}
	creds_xml(r, action, sess, life, "");
}

static void
sso_json_error(struct mresp *r, int status, const char *type,
    const char *msg)
{
	r->status = status;
	r->ctype = "application/json";
	buf_printf(&r->hdrs, "x-amzn-ErrorType: %s\r\n", type);
	buf_puts(&r->body, "{\"message\":");
	json_append_str(&r->body, msg);
	buf_puts(&r->body, "}");
}

static void
sso_credentials(const struct mreq *q, struct mresp *r)
{
	const char *tok = mreq_header(q, "x-amz-sso_bearer_token");
	char acct[64], role[128];
	long long exp = wall_ms() + 3600LL * 1000;

	if (strcmp(q->method, "GET") != 0) {
		sso_json_error(r, 405, "MethodNotAllowed", "GET only");
		return;
	}
	if (tok == NULL || strcmp(tok, S.sso_token) != 0) {
		sso_json_error(r, 401, "UnauthorizedException",
		    "Session token not found or invalid");
		return;
	}
	if (mreq_query_param(q, "account_id", acct, sizeof(acct), 0) != 1 ||
	    mreq_query_param(q, "role_name", role, sizeof(role), 0) != 1) {
		sso_json_error(r, 400, "InvalidRequestException",
		    "account_id and role_name are required");
		return;
	}
	if (strcmp(acct, S.sso_account) != 0 || strcmp(role, S.sso_role) != 0) {
		sso_json_error(r, 403, "ForbiddenException", "No access");
		return;
	}
	r->status = 200;
	r->ctype = "application/json";
	buf_puts(&r->body, "{\"roleCredentials\":{\"accessKeyId\":");
	json_append_str(&r->body, S.ak);
	buf_puts(&r->body, ",\"secretAccessKey\":");
	json_append_str(&r->body, S.sk);
	buf_puts(&r->body, ",\"sessionToken\":");
	json_append_str(&r->body, S.tok);
	buf_printf(&r->body, ",\"expiration\":%lld}}", exp);
}

int
msts_handle(const struct mreq *q, struct mresp *r)
{
	if (strcmp(q->path, "/federation/credentials") == 0) {
		sso_credentials(q, r);
		return 1;
	}
	if (strcmp(q->path, "/") != 0)
		return 0;
	if (strcmp(q->method, "POST") != 0 && strcmp(q->method, "GET") != 0) {
		msts_error(r, 405, "InvalidAction", "POST or GET");
		return 1;
	}
	msts_action(q, r);
	return 1;
}
