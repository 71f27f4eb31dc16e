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
#include "sigv4.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define SKEW_MS (5LL * 60 * 1000)
#define ACCOUNT "123456789012"

/* Scenario "sts", "sso" and "container" (read-only once loaded). */
static struct {
	char *src_ak, *src_sk, *src_tok; /* may sign AssumeRole */
	char *role_arn, *external_id, *web_token, *region, *expiration;
	char *ak, *sk, *tok;             /* handed out */
	char *sso_token, *sso_account, *sso_role;
} S;

/* ---- scenario ---- */

static const struct {
	const char *key;
	char **dst;
} keys[] = {
	{ "sts.source_access_key", &S.src_ak },
	{ "sts.source_secret_key", &S.src_sk },
	{ "sts.source_session_token", &S.src_tok },
	{ "sts.role_arn", &S.role_arn },
	{ "sts.external_id", &S.external_id },
	{ "sts.web_identity_token", &S.web_token },
	{ "sts.region", &S.region },
	{ "sts.expiration", &S.expiration },
	{ "sts.access_key", &S.ak },
	{ "sts.secret_key", &S.sk },
	{ "sts.session_token", &S.tok },
	{ "sso.access_token", &S.sso_token },
	{ "sso.account_id", &S.sso_account },
	{ "sso.role_name", &S.sso_role },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int
msts_key_allowed(const char *path)
{
	size_t i;

	if (strcmp(path, "sts") == 0 || strcmp(path, "sso") == 0)
		return 1;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(path, keys[i].key) == 0)
			return 1;
	return 0;
}

static int
dflt(char **dst, const char *v)
{
	if (*dst == NULL && v && (*dst = strdup(v)) == NULL)
		return -1;
	return 0;
}

int
msts_load(const struct json *j, char *why, size_t whysz)
{
	size_t i;
	int rc;

	for (i = 0; j && i < NKEYS; i++) {
		char *s = NULL;

		if ((rc = json_get_str(j, 0, keys[i].key, &s)) == -1) {
			snprintf(why, whysz, "%s: must be a string",
			    keys[i].key);
			return -1;
		}
		if (rc == 0 && s[0] == '\0') {
			free(s);
			s = NULL;
			if (strcmp(keys[i].key, "sts.external_id") != 0 &&
			    strcmp(keys[i].key, "sts.source_session_token") !=
			    0) {
				snprintf(why, whysz, "%s: must not be empty",
				    keys[i].key);
				return -1;
			}
		}
		if (rc == 0) {
			free(*keys[i].dst);
			*keys[i].dst = s;
		}
	}
	if (dflt(&S.src_ak, "AKIDMOCKSOURCE") == -1 ||
	    dflt(&S.src_sk, "mock/source+Secret/Key/EXAMPLEKEY00") == -1 ||
	    dflt(&S.role_arn, "arn:aws:iam::" ACCOUNT ":role/vaultdr-dr") ==
	    -1 || dflt(&S.web_token, "mock-web-identity-token") == -1 ||
	    dflt(&S.region, "us-east-1") == -1 ||
	    dflt(&S.ak, M.r53_access_key) == -1 ||
	    dflt(&S.sk, M.r53_secret_key) == -1 ||
	    dflt(&S.tok, M.r53_session_token ? M.r53_session_token :
	    "mock-sts-session-token") == -1 ||
	    dflt(&S.sso_token, "mock-sso-access-token") == -1 ||
	    dflt(&S.sso_account, ACCOUNT) == -1 ||
	    dflt(&S.sso_role, "vaultdr-dr") == -1) {
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
	const char *a = mreq_header(q, "authorization");
	const char *date = mreq_header(q, "x-amz-date");
	const char *tok = mreq_header(q, "x-amz-security-token");
	char cred[512], sh[1024], sig[129], msg[300], names[1024], *sc[5];
	char *p, *save = NULL, *nm, ts[17];
	struct http_header *hd = NULL;
	struct sigv4_req sr = { 0 };
	struct sigv4_creds cr = { S.src_ak, S.src_sk, S.src_tok };
	struct buf want = { 0 };
	struct tm tm = { 0 };
	size_t nhd = 0, i;
	long long t, now = wall_ms();
	int n, rc = -1;

	if (a == NULL || strncmp(a, "AWS4-HMAC-SHA256 ", 17) != 0 ||
	    mreq_auth_param(a + 17, "Credential", cred, sizeof(cred)) == -1 ||
	    mreq_auth_param(a + 17, "SignedHeaders", sh, sizeof(sh)) == -1 ||
	    mreq_auth_param(a + 17, "Signature", sig, sizeof(sig)) == -1) {
		msts_error(r, 403, "MissingAuthenticationToken", "Request is "
		    "missing Authentication Token");
		return -1;
	}
	for (p = cred, n = 0; n < 5; n++) {
		sc[n] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 4 || p != NULL || strcmp(sc[4], "aws4_request") != 0) {
		msts_error(r, 403, "IncompleteSignature", "Credential must have "
		    "exactly 5 slash-delimited elements");
		return -1;
	}
	if (strcmp(sc[0], S.src_ak) != 0) {
		msts_error(r, 403, "InvalidClientTokenId", "The security token "
		    "included in the request is invalid.");
		return -1;
	}
	if (strcmp(sc[3], "sts") != 0 || strcmp(sc[2], S.region) != 0) {
		snprintf(msg, sizeof(msg), "Credential should be scoped to a "
		    "valid region and service: expected %s/sts, got %.60s/%.60s",
		    S.region, sc[2], sc[3]);
		msts_error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	/* Six fixed-width fields of a 16-byte date: a field that is not a
	 * number stops sscanf short of 6; a wrong value fails the signature.
	 * NOLINTNEXTLINE(cert-err34-c) */
	if (date == NULL || strlen(date) != 16 || sscanf(date,
	    "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
		msts_error(r, 403, "IncompleteSignature", "Authorization header "
		    "requires existence of either a 'X-Amz-Date' or a 'Date' "
		    "header.");
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (long long)timegm(&tm) * 1000;
	if (t < now - SKEW_MS || t > now + SKEW_MS) {
		sigv4_amz_date(now / 1000, ts);
		snprintf(msg, sizeof(msg), "Signature expired or not yet "
		    "current: %s, now %s", date, ts);
		msts_error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	if (S.src_tok && (tok == NULL || strcmp(tok, S.src_tok) != 0)) {
		msts_error(r, 403, "InvalidClientTokenId", "The security token "
		    "included in the request is invalid.");
		return -1;
	}
	if ((hd = calloc(q->nhdrs + 1, sizeof(*hd))) == NULL)
		goto mismatch;
	snprintf(names, sizeof(names), "%s", sh);
	for (nm = strtok_r(names, ";", &save); nm;
	    nm = strtok_r(NULL, ";", &save))
		for (i = 0; i < q->nhdrs; i++)
			if (strcasecmp(q->hdrs[i].name, nm) == 0)
				hd[nhd++] = q->hdrs[i];
	sr.method = q->method;
	sr.target = q->target;
	sr.hdrs = hd;
	sr.nhdrs = nhd;
	sr.body = (const unsigned char *)(q->body.data ? q->body.data : "");
	sr.body_len = q->body.len;
	sr.amz_date = date;
	sr.region = sc[2];
	sr.service = sc[3];
	if (sigv4_authorization(&sr, &cr, &want, NULL, NULL) == 0) {
		const char *ws = strstr(want.data, "Signature=");
		const char *ss = strstr(want.data, "SignedHeaders=");

		if (ws && ss && strcmp(ws + 10, sig) == 0 &&
		    strncmp(ss + 14, sh, strlen(sh)) == 0 &&
		    ss[14 + strlen(sh)] == ',' && strncmp(date, sc[1], 8) == 0) {
			rc = 0;
			goto out;
		}
	}
mismatch:
	msts_error(r, 403, "SignatureDoesNotMatch", "The request signature we "
	    "calculated does not match the signature you provided. Check "
	    "your AWS Secret Access Key and signing method. Consult the "
	    "service documentation for details.");
out:
	free(hd);
	buf_free(&want);
	return rc;
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
