/* awscreds.c - the AWS credential chain in the order the AWS SDKs use it:
 * environment, web identity, the shared-file profile (assumed role, SSO,
 * static keys, credential_process), container credentials, EC2 instance
 * metadata (IMDSv2). A source that is not configured adds one clause to the
 * final "no AWS credentials: ..." error, so the operator sees every place
 * that was looked at and why it was empty; a source that is configured but
 * fails stops the chain with its own error (falling back to another identity
 * would act under credentials the operator did not choose). */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "awscreds.h"
#include "buf.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "sigv4.h"
#include "tls.h"
#include "xml.h"

extern char **environ;

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_DEFAULT_V6 "http://[fd00:ec2::254]"
#define IMDS_TIMEOUT_MS 1000
#define IMDS_TOKEN_TTL "21600"
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"
#define ECS_DEFAULT "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000
#define STS_VERSION "2011-06-15"
#define STS_ATTEMPTS 3
#define PROCESS_TIMEOUT_S 60
#define PROCESS_MAX_OUT (1024 * 1024)
#define TOKEN_FILE_MAX (64 * 1024)
#define MAX_CHAIN 5

/* Outcome of one source: found, nothing there (why appended to the list), or
 * a malformed or failing source that stops the chain (err_set). */
enum src { SRC_FOUND, SRC_NONE, SRC_ERROR };

/* The two shared files of one resolution, loaded once. */
struct files {
	int tried;            /* load attempted */
	int loaded[2];        /* 0 credentials file, 1 config file */
	struct ini f[2];
	char path[2][4096];
	char miss[2][600];    /* clause when not loaded */
};

/* One resolution. */
struct ctx {
	struct files fl;
	const char *profile;  /* the selected profile */
	char region[64];
};

static enum src from_imds(struct aws_creds *c, struct buf *why);
static enum src from_container(struct aws_creds *c, struct buf *why);
static enum src from_env(struct aws_creds *c, struct buf *why);
static void creds_clear(struct aws_creds *c);

static int
env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

/* Non-empty environment value or NULL. */
static const char *
env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Seconds in $name (a positive number) as milliseconds, else def_s. */
static int
env_ms(const char *name, int def_s)
{
	const char *v = env_str(name);
	long long whole = 0, milli = 0;
	int digits = 0, frac = -1; /* fraction digits seen; -1: no point */

	if (v == NULL)
		return def_s * 1000;
	/* Digits with an optional fraction, to the millisecond (no strtod:
	 * it alone links 6 KB of libc into the static client). */
	for (; *v && digits < 12; v++, digits++) {
		if (*v == '.' && frac < 0) {
			frac = 0;
			digits--;
			continue;
		}
		if (*v < '0' || *v > '9')
			return def_s * 1000;
		if (frac < 0)
			whole = whole * 10 + (*v - '0');
		else if (frac < 3)
			milli += (*v - '0') * (frac == 0 ? 100 : frac == 1 ? 10 : 1);
		if (frac >= 0)
			frac++;
	}
	whole = whole * 1000 + milli;
	if (*v || digits == 0 || whole < 1 || whole > 86400000LL)
		return def_s * 1000;
	return (int)whole;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *p into *out; advances *p. 0 / -1. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" to Unix time. 0 / -1 (no
 * err_set: the caller names the field). */
static int
iso8601_parse(const char *s, long long *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om))
			return -1;
	} else
		return -1;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

/* Appends "; " (unless first) and a formatted clause to the reasons. */
static void reason(struct buf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct buf *why, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (why->len)
		buf_puts(why, "; ");
	buf_puts(why, line);
}

static enum src
from_env(struct aws_creds *c, struct buf *why)
{
	const char *exp = getenv("AWS_CREDENTIAL_EXPIRATION");
	int ak, sk;

	if ((ak = secret_from_env(&c->access_key, "AWS_ACCESS_KEY_ID")) == -1 ||
	    (sk = secret_from_env(&c->secret_key, "AWS_SECRET_ACCESS_KEY")) ==
	    -1 || (sk == 0 && (sk = secret_from_env(&c->secret_key,
	    "AWS_SECRET_KEY")) == -1))
		return SRC_ERROR;
	if (ak == 0 && sk == 0) {
		reason(why, "environment: AWS_ACCESS_KEY_ID not set");
		return SRC_NONE;
	}
	if (ak == 0) {
		err_set("AWS credentials in the environment: AWS_SECRET_ACCESS_KEY"
		    " is set but AWS_ACCESS_KEY_ID is not");
		return SRC_ERROR;
	}
	if (sk == 0) {
		err_set("AWS credentials in the environment: AWS_ACCESS_KEY_ID "
		    "is set but neither AWS_SECRET_ACCESS_KEY nor AWS_SECRET_KEY "
		    "is");
		return SRC_ERROR;
	}
	/* AWS_SECURITY_TOKEN is the legacy name botocore still reads. */
	if ((sk = secret_from_env(&c->session_token, "AWS_SESSION_TOKEN")) ==
	    -1 || (sk == 0 && secret_from_env(&c->session_token,
	    "AWS_SECURITY_TOKEN") == -1))
		return SRC_ERROR;
	if (exp && *exp && iso8601_parse(exp, &c->expiration) == -1) {
		err_set("AWS_CREDENTIAL_EXPIRATION: not an ISO 8601 time "
		    "(want e.g. 2024-05-01T12:00:00Z)");
		return SRC_ERROR;
	}
	snprintf(c->source, sizeof(c->source), "environment");
	return SRC_FOUND;
}

/* The shared file path: $var, else ~/.aws/<name>, with a leading "~/"
 * expanded from $HOME. 0 / -1 (reason appended). */
static int
shared_path(const char *var, const char *name, const char *label,
    char *out, size_t outsz, struct buf *why)
{
	const char *p = getenv(var), *home = getenv("HOME");
	char def[64];

	if (p == NULL || *p == '\0') {
		snprintf(def, sizeof(def), "~/.aws/%s", name);
		p = def;
	}
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (home == NULL || *home == '\0') {
			reason(why, "%s %s: HOME is not set", label, p);
			return -1;
		}
		snprintf(out, outsz, "%s%s", home, p + 1);
	} else
		snprintf(out, outsz, "%s", p);
	return 0;
}

/* ---- HTTP for the credential services ---- */

static int
xrequest_via(int direct, const char *method, const char *url,
    const struct http_header *h, size_t nh, const void *body, size_t blen,
    int connect_ms, int io_ms, struct http_response *r);

/* STS and SSO: through the run's proxy, as every AWS API call. */
static int
xrequest(const char *method, const char *url, const struct http_header *h,
    size_t nh, const void *body, size_t blen, int connect_ms, int io_ms,
    struct http_response *r)
{
	return xrequest_via(0, method, url, h, nh, body, blen, connect_ms,
	    io_ms, r);
}

/* One request on a client of its own (TLS from $AWS_CA_BUNDLE for https).
 * 0 with any status in *r; -1 (err_set) when no answer came. direct: never
 * through a proxy (container credentials, on loopback or link-local
 * addresses, as the AWS SDKs do). */
static int
xrequest_via(int direct, const char *method, const char *url,
    const struct http_header *h, size_t nh, const void *body, size_t blen,
    int connect_ms, int io_ms, struct http_response *r)
{
	struct tls_config tc = { 0 };
	struct http_client_config cfg = { NULL, connect_ms, io_ms,
		log_verbose_on() };
	struct tls_client *tls = NULL;
	struct http_client *hc;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (strncasecmp(url, "https://", 8) == 0) {
		tc.ca_file = env_str("AWS_CA_BUNDLE");
		if ((tls = tls_client_new(&tc)) == NULL)
			return -1;
		cfg.tls = tls;
	}
	if ((hc = http_client_new(&cfg)) != NULL) {
		if (direct)
			http_client_set_proxy(hc, NULL);
		rc = http_request(hc, method, url, h, nh, body, blen, r);
		http_client_free(hc);
	}
	tls_client_free(tls);
	return rc;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept). 0 / -1. */
static int
append_enc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~') {
			if (buf_append(b, s, 1) == -1)
				return -1;
			continue;
		}
		e[0] = '%';
		e[1] = hex[ch >> 4];
		e[2] = hex[ch & 15];
		if (buf_append(b, e, 3) == -1)
			return -1;
	}
	return 0;
}

/* Appends "&name=value" (value encoded; may be a secret). 0 / -1. */
static int
form_add(struct buf *b, const char *name, const char *value)
{
	if (buf_puts(b, "&") == -1 || buf_puts(b, name) == -1 ||
	    buf_puts(b, "=") == -1)
		return -1;
	return append_enc(b, value);
}

/* Copies JSON string at path (below the root) into sec. 0 / -1. */
static int
json_secret(const struct json *j, const char *name, struct secret *sec)
{
	char *v = NULL;
	int rc;

	if ((rc = json_get_str(j, 0, name, &v)) == 1 || (rc == 0 && !*v)) {
		err_set("credentials JSON has no %s", name);
		rc = -1;
	} else if (rc == 0)
		rc = secret_set(sec, v, strlen(v));
	secret_free_str(v);
	return rc;
}

/* Fails when credentials that expire have already expired. 0 / -1. */
static int
not_expired(const struct aws_creds *c, const char *what)
{
	long long now = (long long)time(NULL);

	if (c->expiration > 0 && c->expiration <= now) {
		err_set("%s returned credentials that expired %lld s ago", what,
		    now - c->expiration);
		return -1;
	}
	return 0;
}

/* Region names: lower-case letters, digits and '-' (they go into URLs). */
static int
region_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > 40)
		return 0;
	for (i = 0; s[i]; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* An endpoint override for service var (AWS_ENDPOINT_URL_<ID>), else
 * AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true. */
static const char *
endpoint_override(const char *var)
{
	const char *v;

	if (env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
		return NULL;
	if ((v = env_str(var)) == NULL)
		v = env_str("AWS_ENDPOINT_URL");
	return v;
}

/* https://<prefix>.<region>.amazonaws.com[.cn] (or the global name). */
static void
aws_url(char *out, size_t n, const char *prefix, const char *region)
{
	if (region == NULL || *region == '\0')
		snprintf(out, n, "https://%s.amazonaws.com", prefix);
	else
		snprintf(out, n, "https://%s.%s.amazonaws.com%s", prefix,
		    region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

/* ---- STS ---- */

/* The one place that reads STS's XML: the text of the first <tag> element.
 * 0 found (malloc'd), 1 absent, -1 malformed (err_set). Switch to the strict
 * reader of xml.h here when it lands. */
static int
sts_xml(const char *s, size_t n, const char *tag, char **out)
{
	return xml_text(s, n, tag, out);
}

/* The XML text of tag into a secret. 0 / -1. */
static int
sts_secret(const struct http_response *r, const char *tag,
    struct secret *sec)
{
	char *v = NULL;
	int rc;

	if ((rc = sts_xml(r->body, r->body_len, tag, &v)) == 1 ||
	    (rc == 0 && !*v)) {
		err_set("the answer has no <%s>", tag);
		rc = -1;
	} else if (rc == 0)
		rc = secret_set(sec, v, strlen(v));
	secret_free_str(v);
	return rc;
}

/* POSTs body to the STS url. Transient failures (no answer, 5xx,
 * throttling, the identity provider unreachable) are tried again,
 * STS_ATTEMPTS in all, as the SDKs do: the call changes nothing. 0 with *r
 * the 200 answer; -1 (err_set). */
static int
sts_post(const char *url, const struct http_header *h, size_t nh,
    const struct buf *body, struct http_response *r)
{
	char *code = NULL, *msg = NULL;
	int attempt, rc = -1;

	for (attempt = 1;; attempt++) {
		int again;

		http_response_free(r);
		free(code);
		free(msg);
		code = msg = NULL;
		if (xrequest("POST", url, h, nh, body->data, body->len,
		    env_ms("VAULTDR_CONNECT_TIMEOUT", 10),
		    env_ms("VAULTDR_TIMEOUT", 30), r) == -1)
			again = 1;
		else if (r->status == 200) {
			rc = 0;
			break;
		} else {
			sts_xml(r->body, r->body_len, "Code", &code);
			sts_xml(r->body, r->body_len, "Message", &msg);
			err_set("HTTP %d %.80s: %.300s", r->status, code ? code :
			    "(no error code)", msg ? msg : "(no message)");
			again = r->status >= 500 || r->status == 429 || (code &&
			    (strcmp(code, "Throttling") == 0 ||
			    strcmp(code, "IDPCommunicationError") == 0));
		}
		if (!again || attempt == STS_ATTEMPTS) {
			if (attempt > 1)
				err_prefix("%d attempts, the last", attempt);
			break;
		}
		poll(NULL, 0, 250 * attempt);
	}
	free(code);
	free(msg);
	return rc;
}

/* Sends one STS Query API action (POST, form body: params start with '&')
 * to the regional endpoint, signed with signer when not NULL (AssumeRole)
 * and unsigned otherwise (AssumeRoleWithWebIdentity); the credentials of the
 * answer go into c. 0 / -1 (err_set "STS <action> at <url>: ..."). */
static int
sts_call(const struct ctx *x, const char *action, const struct buf *params,
    const struct aws_creds *signer, struct aws_creds *c)
{
	const char *ep = endpoint_override("AWS_ENDPOINT_URL_STS");
	const char *sregion = x->region[0] ? x->region : "us-east-1";
	char url[1024], date[17], *exp = NULL;
	struct http_header h[5];
	struct http_response r = { 0 };
	struct buf body = { 0 }, authz = { 0 };
	struct url u = { 0 };
	size_t nh = 0;
	int rc = -1;

	if (ep)
		snprintf(url, sizeof(url), "%s", ep);
	else
		awscreds_sts_url(x->region, url, sizeof(url));
	if (url_parse(url, &u) == -1) {
		err_prefix("STS endpoint");
		return -1;
	}
	if (buf_printf(&body, "Action=%s&Version=%s", action, STS_VERSION) ==
	    -1 || buf_append(&body, params->data ? params->data : "",
	    params->len) == -1)
		goto out;
	h[nh++] = (struct http_header){ "Content-Type",
		"application/x-www-form-urlencoded; charset=utf-8" };
	if (signer) {
		struct sigv4_creds cr = { signer->access_key.s,
			signer->secret_key.s, signer->session_token.s };
		struct sigv4_req sr;

		sigv4_amz_date((long long)time(NULL), date);
		h[nh++] = (struct http_header){ "Host", u.hostport };
		h[nh++] = (struct http_header){ "X-Amz-Date", date };
		if (secret_is_set(&signer->session_token))
			h[nh++] = (struct http_header){ "X-Amz-Security-Token",
				signer->session_token.s };
		sr = (struct sigv4_req){ "POST", u.target, h, nh,
			(const unsigned char *)body.data, body.len, date,
			sregion, "sts" };
		if (sigv4_authorization(&sr, &cr, &authz, NULL, NULL) == -1)
			goto out;
		/* Host is added by the HTTP client. */
		h[1] = (struct http_header){ "Authorization", authz.data };
	}
	if (sts_post(url, h, nh, &body, &r) == -1)
		goto fail;
	if (sts_secret(&r, "AccessKeyId", &c->access_key) == -1 ||
	    sts_secret(&r, "SecretAccessKey", &c->secret_key) == -1 ||
	    sts_secret(&r, "SessionToken", &c->session_token) == -1)
		goto fail;
	if (sts_xml(r.body, r.body_len, "Expiration", &exp) != 0 ||
	    iso8601_parse(exp, &c->expiration) == -1) {
		err_set("the answer has no <Expiration> in ISO 8601");
		goto fail;
	}
	if (not_expired(c, "it") == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_prefix("STS %s at %s", action, url);
out:
	free(exp);
	url_free(&u);
	buf_free(&body);
	buf_free(&authz);
	http_response_free(&r);
	return rc;
}

/* Session names: 2-64 of [A-Za-z0-9+=,.@_-]. */
static int
session_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+=,.@_-") == n;
}

/* name, or "vaultdr-<unix time>" when NULL. 0 / -1 (err_set). */
static int
session_name(const char *name, const char *where, char *out, size_t n)
{
	if (name == NULL) {
		snprintf(out, n, "vaultdr-%lld", (long long)time(NULL));
		return 0;
	}
	if (!session_name_ok(name)) {
		err_set("%s: role session name '%.80s' must be 2-64 letters, "
		    "digits or +=,.@_-", where, name);
		return -1;
	}
	snprintf(out, n, "%s", name);
	return 0;
}

/* Reads a token file (trailing whitespace removed) into sec. 0 / -1. */
static int
read_token_file(const char *path, const char *what, struct secret *sec)
{
	struct buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > TOKEN_FILE_MAX) {
			err_set("%s %s: larger than %d bytes", what, path,
			    TOKEN_FILE_MAX);
			goto out;
		}
		if (buf_append(&b, chunk, (size_t)n) == -1)
			goto out;
	}
	if (n < 0) {
		err_set("%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		b.len--;
	if (b.len == 0 || memchr(b.data, '\0', b.len) ||
	    memchr(b.data, '\n', b.len) || memchr(b.data, '\r', b.len)) {
		err_set("%s %s: empty, or more than one line", what, path);
		goto out;
	}
	rc = secret_set(sec, b.data, b.len);
out:
	explicit_bzero(chunk, sizeof(chunk));
	buf_free(&b);
	close(fd);
	return rc;
}

/* AssumeRoleWithWebIdentity for role with the token in file. 0 / -1. */
static int
web_identity(const struct ctx *x, const char *role, const char *file,
    const char *sname, const char *where, struct aws_creds *c)
{
	struct secret tok = { 0 };
	struct buf p = { 0 };
	char sn[80];
	int rc = -1;

	if (session_name(sname, where, sn, sizeof(sn)) == -1 ||
	    read_token_file(file, "web identity token file", &tok) == -1)
		goto out;
	if (form_add(&p, "RoleArn", role) == -1 ||
	    form_add(&p, "RoleSessionName", sn) == -1 ||
	    form_add(&p, "WebIdentityToken", tok.s) == -1 ||
	    sts_call(x, "AssumeRoleWithWebIdentity", &p, NULL, c) == -1)
		goto out;
	snprintf(c->source, sizeof(c->source), "web identity (role %.200s, "
	    "token file %.60s)", role, file);
	rc = 0;
out:
	secret_wipe(&tok);
	buf_free(&p);
	return rc;
}

static enum src
from_web_identity(const struct ctx *x, struct aws_creds *c, struct buf *why)
{
	const char *role = env_str("AWS_ROLE_ARN");
	const char *file = env_str("AWS_WEB_IDENTITY_TOKEN_FILE");

	if (role == NULL && file == NULL) {
		reason(why, "web identity: AWS_ROLE_ARN and "
		    "AWS_WEB_IDENTITY_TOKEN_FILE not set");
		return SRC_NONE;
	}
	if (role == NULL || file == NULL) {
		err_set("web identity: %s is set but %s is not",
		    role ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE",
		    role ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN");
		return SRC_ERROR;
	}
	if (web_identity(x, role, file, env_str("AWS_ROLE_SESSION_NAME"),
	    "AWS_ROLE_SESSION_NAME", c) == -1) {
		err_prefix("AWS credentials from web identity");
		return SRC_ERROR;
	}
	return SRC_FOUND;
}

/* ---- shared files ---- */

/* Loads both shared files once. 0 / -1 (a file that exists but cannot be
 * read or parsed: err_set). A missing file is noted in fl->miss. */
static int
files_load(struct files *fl)
{
	static const char *const var[2] = { "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_CONFIG_FILE" };
	static const char *const name[2] = { "credentials", "config" };
	static const char *const label[2] = { "shared credentials file",
		"config file" };
	struct stat st;
	struct buf why = { 0 };
	int k;

	if (fl->tried)
		return 0;
	fl->tried = 1;
	for (k = 0; k < 2; k++) {
		why.len = 0;
		if (shared_path(var[k], name[k], label[k], fl->path[k],
		    sizeof(fl->path[k]), &why) == -1) {
			snprintf(fl->miss[k], sizeof(fl->miss[k]), "%s",
			    why.data ? why.data : "");
			continue;
		}
		if (stat(fl->path[k], &st) == -1) {
			if (errno == ENOENT || errno == ENOTDIR) {
				snprintf(fl->miss[k], sizeof(fl->miss[k]),
				    "%s %s: no such file", label[k],
				    fl->path[k]);
				continue;
			}
			err_set("%s %s: %s", label[k], fl->path[k],
			    strerror(errno));
			buf_free(&why);
			return -1;
		}
		if (ini_load(&fl->f[k], fl->path[k]) == -1) {
			err_prefix("%s", label[k]);
			buf_free(&why);
			return -1;
		}
		fl->loaded[k] = 1;
	}
	buf_free(&why);
	return 0;
}

static void
files_free(struct files *fl)
{
	int k;

	for (k = 0; k < 2; k++)
		if (fl->loaded[k])
			ini_free(&fl->f[k]);
	memset(fl, 0, sizeof(*fl));
}

/* The section of profile p in file k: p in the credentials file;
 * "profile p" in the config file ("default" also as "[default]"). */
static void
section_of(const struct files *fl, int k, const char *p, char *out, size_t n)
{
	snprintf(out, n, "%s%s", k ? "profile " : "", p);
	if (k && strcmp(p, "default") == 0 && fl->loaded[k] &&
	    !ini_has_section(&fl->f[k], out))
		snprintf(out, n, "default");
}

/* Value of key in profile p, credentials file first; *where (if not NULL)
 * gets "FILE:LINE". NULL when absent. */
static const char *
pget(const struct files *fl, const char *p, const char *key, char *where,
    size_t wn)
{
	const struct ini_entry *e;
	char sec[300];
	int k;

	for (k = 0; k < 2; k++) {
		if (!fl->loaded[k])
			continue;
		section_of(fl, k, p, sec, sizeof(sec));
		if ((e = ini_find(&fl->f[k], sec, key)) != NULL) {
			if (where)
				snprintf(where, wn, "%s:%d", fl->f[k].name,
				    e->line);
			return e->value;
		}
	}
	return NULL;
}

/* Static keys of profile p in file k (the existing clauses when none). */
static enum src
keys_in(const struct files *fl, int k, const char *p, struct aws_creds *c,
    struct buf *why)
{
	const char *label = k ? "config file" : "shared credentials file";
	const struct ini *ini = &fl->f[k];
	const struct ini_entry *ak, *sk, *st;
	char section[300];

	if (!fl->loaded[k]) {
		if (fl->miss[k][0])
			reason(why, "%s", fl->miss[k]);
		return SRC_NONE;
	}
	section_of(fl, k, p, section, sizeof(section));
	if (!ini_has_section(ini, section)) {
		reason(why, "%s %s: no [%s] section", label, fl->path[k],
		    section);
		return SRC_NONE;
	}
	ak = ini_find(ini, section, "aws_access_key_id");
	sk = ini_find(ini, section, "aws_secret_access_key");
	if ((st = ini_find(ini, section, "aws_session_token")) == NULL)
		st = ini_find(ini, section, "aws_security_token");
	if (ak == NULL && sk == NULL) {
		reason(why, "%s %s: no aws_access_key_id in [%s]", label,
		    ini->name, section);
		return SRC_NONE;
	}
	if (ak == NULL || sk == NULL || !*ak->value || !*sk->value) {
		const struct ini_entry *e = ak ? ak : sk;
		err_set("%s:%d: [%s] needs both aws_access_key_id and "
		    "aws_secret_access_key (non-empty)", ini->name, e->line,
		    section);
		return SRC_ERROR;
	}
	if (secret_set(&c->access_key, ak->value, strlen(ak->value)) == -1 ||
	    secret_set(&c->secret_key, sk->value, strlen(sk->value)) == -1 ||
	    (st && *st->value && secret_set(&c->session_token, st->value,
	    strlen(st->value)) == -1))
		return SRC_ERROR;
	snprintf(c->source, sizeof(c->source), "%s %s [%s]", label,
	    fl->path[k], section);
	return SRC_FOUND;
}

/* ---- credential_process ---- */

static void
argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* Splits a command line the way a POSIX shell splits words, without any
 * expansion: blanks separate, '...' is literal, "..." allows \" and \\,
 * a backslash outside quotes escapes the next character. NULL-terminated
 * malloc'd vector, or NULL (err_set). */
static char **
split_command(const char *s)
{
	char **v = NULL, **nv;
	struct buf a = { 0 };
	size_t n = 0;
	int in = 0;
	char q = 0, ch;

	for (;; s++) {
		ch = *s;
		if (ch == '\0' || (!q && (ch == ' ' || ch == '\t' ||
		    ch == '\n'))) {
			if (ch == '\0' && q) {
				err_set("unterminated %c quote", q);
				goto fail;
			}
			if (in) {
				if ((nv = realloc(v, (n + 2) * sizeof(*v))) ==
				    NULL) {
					err_set("out of memory");
					goto fail;
				}
				v = nv;
				if ((v[n] = buf_take(&a)) == NULL)
					goto fail;
				v[++n] = NULL;
				in = 0;
			}
			if (ch == '\0')
				break;
			continue;
		}
		in = 1;
		if (q == '\'') {
			if (ch == '\'')
				q = 0;
			else if (buf_append(&a, &ch, 1) == -1)
				goto fail;
			continue;
		}
		if (q == '"' && ch == '"') {
			q = 0;
			continue;
		}
		if (!q && (ch == '\'' || ch == '"')) {
			q = ch;
			continue;
		}
		if (ch == '\\' && s[1] && (!q || s[1] == '"' || s[1] == '\\'))
			ch = *++s;
		if (buf_append(&a, &ch, 1) == -1)
			goto fail;
	}
	if (n == 0) {
		err_set("empty command");
		goto fail;
	}
	return v;
fail:
	buf_free(&a);
	argv_free(v);
	return NULL;
}

/* Whether an environment entry "NAME=..." may reach the child: no tokens,
 * secrets, passwords or recovery keys (token *file* paths are fine). */
static int
env_passes(const char *e)
{
	size_t n = strcspn(e, "=");
	char name[256];
	size_t i;

	if (n >= sizeof(name))
		return 1;
	for (i = 0; i < n; i++)
		name[i] = (char)toupper((unsigned char)e[i]);
	name[n] = '\0';
	if (strstr(name, "SECRET") || strstr(name, "PASSWORD") ||
	    strstr(name, "RECOVERY_KEY") || strncmp(name, "VAULT_DR_", 9) == 0)
		return 0;
	if (strstr(name, "TOKEN") && !(n > 5 &&
	    strcmp(name + n - 5, "_FILE") == 0))
		return 0;
	return 1;
}

/* Writes complete lines of pending stderr output, prefixed. */
static void
stderr_lines(struct buf *e, int flush)
{
	char *nl;
	size_t k;

	while (e->len > 0) {
		nl = memchr(e->data, '\n', e->len);
		if (nl == NULL && !flush && e->len < 1000)
			return;
		k = nl ? (size_t)(nl - e->data) : e->len;
		e->data[k] = '\0';
		fprintf(stderr, "vaultdr: credential_process: %s\n",
		    secret_redact(e->data));
		k = nl || k < e->len ? k + 1 : k;
		memmove(e->data, e->data + k, e->len - k);
		e->len -= k;
		e->data[e->len] = '\0';
	}
}

/* pipe(2) with both ends close-on-exec. 0 / -1. */
static int
pipe_cloexec(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1) {
		close(p[0]);
		close(p[1]);
		p[0] = p[1] = -1;
		return -1;
	}
	return 0;
}

/* Runs cmd (split by split_command, no shell) with stdin /dev/null, a
 * filtered environment and a deadline; stdout into out, stderr passed
 * through line by line. 0 when it exited 0; -1 (err_set) otherwise. */
/* The environment a credential process gets: ours, less what
 * env_passes() keeps out. NULL (err_set) when out of memory. */
static char **
process_env(void)
{
	char **env;
	size_t i, k;

	for (i = 0; environ[i]; i++)
		;
	if ((env = calloc(i + 1, sizeof(*env))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	for (i = k = 0; environ[i]; i++)
		if (env_passes(environ[i]))
			env[k++] = environ[i];
	return env;
}

/* Starts argv with env: standard input /dev/null, output and errors on
 * the pipes po and pe (our ends po[0], pe[0]). 0 with *pid; -1 (err_set). */
static int
process_start(char **argv, char **env, int po[2], int pe[2], pid_t *pid)
{
	if (pipe_cloexec(po) == -1 || pipe_cloexec(pe) == -1) {
		err_set("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stderr);
	if ((*pid = fork()) == -1) {
		err_set("fork: %s", strerror(errno));
		return -1;
	}
	if (*pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul == -1 || dup2(nul, 0) == -1 || dup2(po[1], 1) == -1 ||
		    dup2(pe[1], 2) == -1)
			_exit(127);
		environ = env;
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	return 0;
}

/* Reads what one poll found ready: the output into out (at most
 * PROCESS_MAX_OUT bytes), errors relayed line by line through eb; a pipe
 * at its end is closed and set to -1. 0; -1 (err_set) on too much output. */
static int
process_read(const struct pollfd *p, int np, int *po0, int *pe0,
    struct buf *out, struct buf *eb)
{
	char chunk[4096];
	int i, rc = 0;
	ssize_t n;

	for (i = 0; i < np && rc == 0; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(p[i].fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(p[i].fd);
			if (p[i].fd == *po0)
				*po0 = -1;
			else
				*pe0 = -1;
			continue;
		}
		if (p[i].fd == *po0) {
			if (out->len + (size_t)n > PROCESS_MAX_OUT) {
				err_set("wrote more than %d bytes",
				    PROCESS_MAX_OUT);
				rc = -1;
			} else if (buf_append(out, chunk, (size_t)n) == -1)
				rc = -1;
		} else {
			buf_append(eb, chunk, (size_t)n);
			stderr_lines(eb, 0);
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	return rc;
}

/* Collects the process's output until it exits, bounded by timeout_ms.
 * 0 with *status; -1 (err_set): the caller kills it. */
static int
process_wait(pid_t pid, int po[2], int pe[2], int timeout_ms,
    struct buf *out, struct buf *eb, int *status)
{
	long long deadline = (long long)net_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p[2];
		int np = 0, left;
		long long now;

		if (po[0] != -1)
			p[np++] = (struct pollfd){ po[0], POLLIN, 0 };
		if (pe[0] != -1)
			p[np++] = (struct pollfd){ pe[0], POLLIN, 0 };
		now = (long long)net_now_ms();
		if (now >= deadline) {
			err_set("timed out after %d s (set "
			    "VAULTDR_CREDENTIAL_PROCESS_TIMEOUT to wait longer)",
			    (timeout_ms + 999) / 1000);
			return -1;
		}
		left = (int)(deadline - now);
		if (np == 0) {
			/* Both closed: wait for the exit, still bounded. */
			pid_t w = waitpid(pid, status, WNOHANG);
			if (w == pid)
				return 0;
			if (w == -1 && errno != EINTR) {
				err_set("waitpid: %s", strerror(errno));
				return -1;
			}
			poll(NULL, 0, left < 10 ? left : 10);
			continue;
		}
		if (poll(p, (nfds_t)np, left) == -1) {
			if (errno == EINTR)
				continue;
			err_set("poll: %s", strerror(errno));
			return -1;
		}
		if (process_read(p, np, &po[0], &pe[0], out, eb) == -1)
			return -1;
	}
}

static int
run_process(const char *cmd, struct buf *out)
{
	int timeout_ms = env_ms("VAULTDR_CREDENTIAL_PROCESS_TIMEOUT",
	    PROCESS_TIMEOUT_S);
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, rc = -1;
	char **argv, **env = NULL;
	struct buf eb = { 0 };
	size_t k;
	pid_t pid = -1;

	if ((argv = split_command(cmd)) == NULL)
		return -1;
	if ((env = process_env()) == NULL ||
	    process_start(argv, env, po, pe, &pid) == -1)
		goto out;
	if (process_wait(pid, po, pe, timeout_ms, out, &eb, &status) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		err_set("exited with status %d", WEXITSTATUS(status));
	else
		err_set("killed by signal %d", WTERMSIG(status));
out:
	stderr_lines(&eb, 1);
	buf_free(&eb);
	for (k = 0; k < 2; k++) {
		if (po[k] != -1)
			close(po[k]);
		if (pe[k] != -1)
			close(pe[k]);
	}
	free(env);
	argv_free(argv);
	return rc;
}

/* credential_process of profile p: stdout JSON {"Version": 1,
 * "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}. */
static enum src
from_process(const char *cmd, const char *where, struct aws_creds *c)
{
	struct buf out = { 0 };
	struct json j = { 0 };
	long long ver = 0;
	char *exp = NULL;
	int rc;

	if (run_process(cmd, &out) == -1)
		goto fail;
	if (json_parse(&j, out.data ? out.data : "", out.len) == -1) {
		err_prefix("its output is not JSON");
		goto fail;
	}
	if (json_get_i64(&j, 0, "Version", &ver) != 0 || ver != 1) {
		err_set("its output needs \"Version\": 1");
		goto fail;
	}
	if (json_secret(&j, "AccessKeyId", &c->access_key) == -1 ||
	    json_secret(&j, "SecretAccessKey", &c->secret_key) == -1)
		goto fail;
	if (json_find(&j, 0, "SessionToken") >= 0 &&
	    json_type_at(&j, json_find(&j, 0, "SessionToken")) != JSON_NULL &&
	    json_secret(&j, "SessionToken", &c->session_token) == -1)
		goto fail;
	if ((rc = json_get_str(&j, 0, "Expiration", &exp)) == -1 ||
	    (rc == 0 && iso8601_parse(exp, &c->expiration) == -1)) {
		err_set("its Expiration is not an ISO 8601 time");
		goto fail;
	}
	if (not_expired(c, "it") == -1)
		goto fail;
	snprintf(c->source, sizeof(c->source), "credential_process (%.200s)",
	    where);
	free(exp);
	json_free(&j);
	buf_free(&out);
	return SRC_FOUND;
fail:
	err_prefix("credential_process at %s", where);
	free(exp);
	json_free(&j);
	buf_free(&out);
	return SRC_ERROR;
}

/* ---- IAM Identity Center (SSO) ---- */

/* Lower-case hex SHA-1 of s into out[41]. */
static void
sha1_hex(const char *s, char out[41])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[20];
	br_sha1_context h;
	int i;

	br_sha1_init(&h);
	br_sha1_update(&h, s, strlen(s));
	br_sha1_out(&h, d);
	for (i = 0; i < 20; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[40] = '\0';
}

/* The cached SSO access token at path (JSON accessToken, expiresAt) into
 * tok. 0 / -1 (err_set, with the `aws sso login` hint). */
static int
sso_token(const char *path, const char *login, struct secret *tok)
{
	char *text = NULL, *at = NULL;
	struct json j = { 0 };
	long long exp = 0;
	size_t len = 0, n;
	int rc = -1;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		err_set("no cached SSO token %s (%s); run `%s`", path,
		    strerror(errno), login);
		return -1;
	}
	text = malloc(TOKEN_FILE_MAX + 1);
	if (text)
		len = fread(text, 1, TOKEN_FILE_MAX, f);
	fclose(f);
	if (text == NULL) {
		err_set("out of memory");
		return -1;
	}
	text[len] = '\0';
	if (json_parse(&j, text, len) == -1 ||
	    json_get_str(&j, 0, "expiresAt", &at) != 0) {
		err_set("cached SSO token %s is not readable (no expiresAt); "
		    "run `%s`", path, login);
		goto out;
	}
	/* Old CLIs wrote "2019-11-14T04:05:45UTC". */
	n = strlen(at);
	if (n > 3 && strcmp(at + n - 3, "UTC") == 0) {
		at[n - 3] = 'Z';
		at[n - 2] = '\0';
	}
	if (iso8601_parse(at, &exp) == -1) {
		err_set("cached SSO token %s: expiresAt is not ISO 8601; run "
		    "`%s`", path, login);
		goto out;
	}
	if (exp <= (long long)time(NULL)) {
		err_set("the cached SSO token %s expired at %s; run `%s`",
		    path, at, login);
		goto out;
	}
	if (json_secret(&j, "accessToken", tok) == -1) {
		err_set("cached SSO token %s has no accessToken; run `%s`",
		    path, login);
		goto out;
	}
	rc = 0;
out:
	free(at);
	json_free(&j);
	if (text)
		explicit_bzero(text, len);
	free(text);
	return rc;
}

/* The sso_* settings of profile p, from the profile or the [sso-session]
 * it names: *sess (or NULL), start URL, region, account and role. 0; -1
 * (err_set) when one is missing or the region is not a region name. */
static int
sso_settings(const struct files *fl, const char *p, const char **sess,
    const char **start, const char **region, const char **acct,
    const char **role)
{
	char sec[300];

	*sess = pget(fl, p, "sso_session", NULL, 0);
	if (*sess) {
		snprintf(sec, sizeof(sec), "sso-session %s", *sess);
		if (!fl->loaded[1] || !ini_has_section(&fl->f[1], sec)) {
			err_set("SSO: [profile %s] names sso_session %s but the "
			    "config file has no [%s] section", p, *sess, sec);
			return -1;
		}
		*start = ini_get(&fl->f[1], sec, "sso_start_url");
		*region = ini_get(&fl->f[1], sec, "sso_region");
	} else {
		*start = pget(fl, p, "sso_start_url", NULL, 0);
		*region = pget(fl, p, "sso_region", NULL, 0);
	}
	*acct = pget(fl, p, "sso_account_id", NULL, 0);
	*role = pget(fl, p, "sso_role_name", NULL, 0);
	if (!*start || !**start || !*region || !region_ok(*region) ||
	    !*acct || !**acct || !*role || !**role) {
		err_set("SSO: [profile %s] needs sso_account_id, sso_role_name "
		    "and sso_start_url + sso_region (in the profile or its "
		    "[sso-session]); sso_region must be a region name", p);
		return -1;
	}
	return 0;
}

/* The portal's endpoint into url (ep: AWS_ENDPOINT_URL_SSO, or NULL) and
 * the GetRoleCredentials request URL into u. 0; -1 out of memory. */
static int
sso_url(const char *ep, const char *region, const char *acct,
    const char *role, char *url, size_t urlsz, struct buf *u)
{
	if (ep)
		snprintf(url, urlsz, "%s", ep);
	else
		aws_url(url, urlsz, "portal.sso", region);
	if (buf_puts(u, url) == -1)
		return -1;
	while (u->len && u->data[u->len - 1] == '/')
		u->data[--u->len] = '\0';
	if (buf_puts(u, "/federation/credentials?account_id=") == -1 ||
	    append_enc(u, acct) == -1 || buf_puts(u, "&role_name=") == -1 ||
	    append_enc(u, role) == -1)
		return -1;
	return 0;
}

/* GetRoleCredentials for the sso_* settings of profile p. */
static enum src
from_sso(const struct ctx *x, const char *p, struct aws_creds *c)
{
	const struct files *fl = &x->fl;
	const char *sess, *start, *region, *acct, *role, *home = getenv("HOME");
	const char *ep = endpoint_override("AWS_ENDPOINT_URL_SSO");
	char login[400], sha[41], path[4096], url[2048];
	struct secret tok = { 0 };
	struct http_header h;
	struct http_response r = { 0 };
	struct buf u = { 0 };
	struct json j = { 0 };
	long long ms = 0;
	enum src res = SRC_ERROR;

	snprintf(login, sizeof(login), "aws sso login%s%s",
	    strcmp(p, "default") ? " --profile " : "",
	    strcmp(p, "default") ? p : "");
	if (sso_settings(fl, p, &sess, &start, &region, &acct, &role) == -1)
		goto out;
	if (home == NULL || *home == '\0') {
		err_set("SSO: HOME is not set (the token cache is "
		    "~/.aws/sso/cache)");
		goto out;
	}
	sha1_hex(sess ? sess : start, sha);
	snprintf(path, sizeof(path), "%s/.aws/sso/cache/%s.json", home, sha);
	if (sso_token(path, login, &tok) == -1) {
		err_prefix("SSO for [profile %s]", p);
		goto out;
	}
	if (sso_url(ep, region, acct, role, url, sizeof(url), &u) == -1)
		goto out;
	h = (struct http_header){ "x-amz-sso_bearer_token", tok.s };
	if (xrequest("GET", u.data, &h, 1, NULL, 0,
	    env_ms("VAULTDR_CONNECT_TIMEOUT", 10), env_ms("VAULTDR_TIMEOUT", 30),
	    &r) == -1)
		goto fail;
	if (r.status == 401 || r.status == 403) {
		err_set("HTTP %d: the SSO token was refused; run `%s`",
		    r.status, login);
		goto fail;
	}
	if (r.status != 200) {
		err_set("HTTP %d", r.status);
		goto fail;
	}
	if (json_parse(&j, r.body, r.body_len) == -1 ||
	    json_secret(&j, "roleCredentials.accessKeyId", &c->access_key) ==
	    -1 || json_secret(&j, "roleCredentials.secretAccessKey",
	    &c->secret_key) == -1 || json_secret(&j,
	    "roleCredentials.sessionToken", &c->session_token) == -1)
		goto fail;
	if (json_get_i64(&j, 0, "roleCredentials.expiration", &ms) != 0) {
		err_set("the answer has no roleCredentials.expiration");
		goto fail;
	}
	c->expiration = ms / 1000;
	if (not_expired(c, "it") == -1)
		goto fail;
	snprintf(c->source, sizeof(c->source), "SSO (account %.20s, role "
	    "%.64s, profile %.64s)", acct, role, p);
	res = SRC_FOUND;
	goto out;
fail:
	err_prefix("SSO GetRoleCredentials at %s (profile %s)", url, p);
out:
	secret_wipe(&tok);
	json_free(&j);
	http_response_free(&r);
	buf_free(&u);
	return res;
}

/* ---- assumed roles ---- */

static enum src profile_creds(struct ctx *x, const char *p, int depth,
    struct aws_creds *c, struct buf *why);

/* The source credentials of a role profile into s. */
static enum src
role_source(struct ctx *x, const char *p, int depth, struct aws_creds *s)
{
	const struct files *fl = &x->fl;
	const char *sp = pget(fl, p, "source_profile", NULL, 0);
	const char *cs = pget(fl, p, "credential_source", NULL, 0);
	struct buf why = { 0 };
	enum src r = SRC_NONE;

	if ((sp != NULL) == (cs != NULL)) {
		err_set("[profile %s] has role_arn and needs exactly one of "
		    "source_profile, credential_source or "
		    "web_identity_token_file", p);
		return SRC_ERROR;
	}
	if (sp && strcmp(sp, p) == 0) {
		/* A profile may name itself: its own static keys. */
		if ((r = keys_in(fl, 0, p, s, &why)) == SRC_NONE)
			r = keys_in(fl, 1, p, s, &why);
	} else if (sp)
		r = profile_creds(x, sp, depth + 1, s, &why);
	else if (strcmp(cs, "Environment") == 0)
		r = from_env(s, &why);
	else if (strcmp(cs, "Ec2InstanceMetadata") == 0)
		r = from_imds(s, &why);
	else if (strcmp(cs, "EcsContainer") == 0)
		r = from_container(s, &why);
	else {
		err_set("[profile %s]: credential_source '%.40s' is not "
		    "Environment, Ec2InstanceMetadata or EcsContainer", p, cs);
		r = SRC_ERROR;
	}
	if (r == SRC_NONE) {
		err_set("[profile %s]: its %s %s gave no credentials: %s", p,
		    sp ? "source_profile" : "credential_source", sp ? sp : cs,
		    why.data ? why.data : "");
		r = SRC_ERROR;
	}
	buf_free(&why);
	return r;
}

/* role_arn of profile p: AssumeRole signed with the source credentials
 * (or AssumeRoleWithWebIdentity with web_identity_token_file). */
static enum src
assume_role(struct ctx *x, const char *p, const char *role, int depth,
    struct aws_creds *c)
{
	const struct files *fl = &x->fl;
	const char *wit = pget(fl, p, "web_identity_token_file", NULL, 0);
	const char *sname = pget(fl, p, "role_session_name", NULL, 0);
	const char *ext = pget(fl, p, "external_id", NULL, 0);
	const char *dur = pget(fl, p, "duration_seconds", NULL, 0);
	const char *mfa = pget(fl, p, "mfa_serial", NULL, 0);
	struct aws_creds s;
	struct secret code = { 0 };
	struct buf prm = { 0 };
	char sn[80], where[320], prompt[400];
	enum src r = SRC_ERROR;

	memset(&s, 0, sizeof(s));
	snprintf(where, sizeof(where), "[profile %s]", p);
	if (wit && !pget(fl, p, "source_profile", NULL, 0) &&
	    !pget(fl, p, "credential_source", NULL, 0)) {
		if (web_identity(x, role, wit, sname, where, c) == -1) {
			err_prefix("AWS credentials of %s", where);
			return SRC_ERROR;
		}
		return SRC_FOUND;
	}
	if (dur && (strspn(dur, "0123456789") != strlen(dur) ||
	    strlen(dur) > 5 || strtol(dur, NULL, 10) < 900 ||
	    strtol(dur, NULL, 10) > 43200)) {
		err_set("%s: duration_seconds must be 900..43200", where);
		return SRC_ERROR;
	}
	if (session_name(sname, where, sn, sizeof(sn)) == -1)
		return SRC_ERROR;
	if ((r = role_source(x, p, depth, &s)) != SRC_FOUND)
		goto out;
	r = SRC_ERROR;
	if (mfa) {
		/* A one-time code: from the terminal, or VAULTDR_AWS_MFA_CODE. */
		snprintf(prompt, sizeof(prompt), "MFA code for %.200s", mfa);
		if (secret_get(&code, "VAULTDR_AWS_MFA_CODE", prompt) == -1) {
			err_set("%s has mfa_serial %.200s: AssumeRole needs an "
			    "MFA code and there is no terminal to ask for it "
			    "(set VAULTDR_AWS_MFA_CODE, or use a profile "
			    "without mfa_serial)", where, mfa);
			goto out;
		}
	}
	if (form_add(&prm, "RoleArn", role) == -1 ||
	    form_add(&prm, "RoleSessionName", sn) == -1 ||
	    (ext && form_add(&prm, "ExternalId", ext) == -1) ||
	    (dur && form_add(&prm, "DurationSeconds", dur) == -1) ||
	    (mfa && (form_add(&prm, "SerialNumber", mfa) == -1 ||
	    form_add(&prm, "TokenCode", code.s) == -1)))
		goto out;
	if (sts_call(x, "AssumeRole", &prm, &s, c) == -1) {
		err_prefix("AWS credentials of %s (role %.200s, source %s)",
		    where, role, s.source);
		goto out;
	}
	snprintf(c->source, sizeof(c->source), "assumed role %.120s "
	    "(profile %.40s, source: %.120s)", role, p, s.source);
	r = SRC_FOUND;
out:
	creds_clear(&s);
	secret_wipe(&code);
	buf_free(&prm);
	return r;
}

/* Credentials of profile p in the order the SDKs use: role_arn, SSO, static
 * keys (credentials file), credential_process, static keys (config file).
 * SRC_NONE (clauses in why) only when none of them is configured. */
static enum src
profile_creds(struct ctx *x, const char *p, int depth, struct aws_creds *c,
    struct buf *why)
{
	const struct files *fl = &x->fl;
	const char *role, *cp;
	char where[300];
	enum src r;

	if (depth > MAX_CHAIN) {
		err_set("[profile %s]: source_profile chain longer than %d "
		    "(a loop?)", p, MAX_CHAIN);
		return SRC_ERROR;
	}
	if ((role = pget(fl, p, "role_arn", NULL, 0)) != NULL)
		return assume_role(x, p, role, depth, c);
	if (pget(fl, p, "sso_session", NULL, 0) ||
	    pget(fl, p, "sso_start_url", NULL, 0))
		return from_sso(x, p, c);
	if ((r = keys_in(fl, 0, p, c, why)) != SRC_NONE)
		return r;
	if ((cp = pget(fl, p, "credential_process", where, sizeof(where))) !=
	    NULL)
		return from_process(cp, where, c);
	return keys_in(fl, 1, p, c, why);
}

/* ---- container credentials (ECS, EKS Pod Identity) ---- */

/* Hosts a plain-http FULL_URI may name: loopback and the ECS/EKS
 * link-local addresses. */
static int
container_host_ok(const struct url *u)
{
	static const char *const ok[] = { "localhost", "169.254.170.2",
		"169.254.170.23", "fd00:ec2::23", "::1", NULL };
	int i;

	if (u->tls || strncmp(u->host, "127.", 4) == 0)
		return 1;
	for (i = 0; ok[i]; i++)
		if (strcasecmp(u->host, ok[i]) == 0)
			return 1;
	return 0;
}

static enum src
from_container(struct aws_creds *c, struct buf *why)
{
	const char *rel = env_str("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_str("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tfile = env_str("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	struct secret tok = { 0 };
	struct http_header h;
	struct http_response r = { 0 };
	struct json j = { 0 };
	struct url u = { 0 };
	char url[2048], *exp = NULL;
	enum src res = SRC_ERROR;
	int rc;

	if (rel == NULL && full == NULL) {
		reason(why, "container credentials: "
		    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not "
		    "set");
		return SRC_NONE;
	}
	if (rel)
		snprintf(url, sizeof(url), "%s%s%s", ECS_DEFAULT,
		    rel[0] == '/' ? "" : "/", rel);
	else
		snprintf(url, sizeof(url), "%s", full);
	if (url_parse(url, &u) == -1)
		goto fail;
	if (!rel && !container_host_ok(&u)) {
		err_set("AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to "
		    "a loopback address or 169.254.170.2/169.254.170.23/"
		    "[fd00:ec2::23], not %s (use https)", u.host);
		goto out;
	}
	if (tfile) {
		if (read_token_file(tfile, "AWS_CONTAINER_AUTHORIZATION_"
		    "TOKEN_FILE", &tok) == -1)
			goto fail;
	} else if (secret_from_env(&tok, "AWS_CONTAINER_AUTHORIZATION_TOKEN") ==
	    -1)
		goto fail;
	if (tok.s && (strchr(tok.s, '\r') || strchr(tok.s, '\n'))) {
		err_set("the authorization token has a line break");
		goto fail;
	}
	h = (struct http_header){ "Authorization", tok.s };
	if (xrequest_via(1, "GET", url, &h, tok.s ? 1 : 0, NULL, 0,
	    CONTAINER_TIMEOUT_MS, CONTAINER_TIMEOUT_MS, &r) == -1)
		goto fail;
	if (r.status != 200) {
		err_set("HTTP %d", r.status);
		goto fail;
	}
	if (json_parse(&j, r.body, r.body_len) == -1 ||
	    json_secret(&j, "AccessKeyId", &c->access_key) == -1 ||
	    json_secret(&j, "SecretAccessKey", &c->secret_key) == -1 ||
	    json_secret(&j, "Token", &c->session_token) == -1)
		goto fail;
	if ((rc = json_get_str(&j, 0, "Expiration", &exp)) != 0 ||
	    iso8601_parse(exp, &c->expiration) == -1) {
		err_set("credentials JSON: Expiration missing or not ISO 8601");
		goto fail;
	}
	if (not_expired(c, "it") == -1)
		goto fail;
	snprintf(c->source, sizeof(c->source), "container credentials %.200s",
	    url);
	res = SRC_FOUND;
	goto out;
fail:
	err_prefix("container credentials %s", url);
out:
	free(exp);
	json_free(&j);
	http_response_free(&r);
	url_free(&u);
	secret_wipe(&tok);
	return res;
}

/* One IMDS request; 0 with a 200 answer in *r, -1 otherwise (err_set). */
static int
imds_call(struct http_client *h, const char *base, const char *method,
    const char *path, const struct http_header *hdr, struct http_response *r)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s%s", base, path);
	if (http_request(h, method, url, hdr, 1, NULL, 0, r) == -1)
		return -1;
	if (r->status != 200) {
		err_set("%s %s answered HTTP %d", method, path, r->status);
		http_response_free(r);
		return -1;
	}
	return 0;
}

/* IAM role names: letters, digits and +=,.@_- (never a path). */
static int
role_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+=,.@_-", s[i]))
			return 0;
	return 1;
}

/* Role credentials JSON into c. 0 / -1 (err_set; never quotes a value
 * other than Code). */
static int
imds_parse(struct aws_creds *c, const char *body, size_t len)
{
	struct json j;
	char *code = NULL, *exp = NULL;
	int rc = -1;

	if (json_parse(&j, body, len) == -1) {
		err_prefix("credentials JSON");
		return -1;
	}
	if (json_get_str(&j, 0, "Code", &code) != 0) {
		err_set("credentials JSON has no Code");
		goto out;
	}
	if (strcmp(code, "Success") != 0) {
		err_set("credentials JSON: Code is \"%.64s\", not \"Success\"",
		    code);
		goto out;
	}
	if (json_secret(&j, "AccessKeyId", &c->access_key) == -1 ||
	    json_secret(&j, "SecretAccessKey", &c->secret_key) == -1 ||
	    json_secret(&j, "Token", &c->session_token) == -1)
		goto out;
	if (json_get_str(&j, 0, "Expiration", &exp) != 0 ||
	    iso8601_parse(exp, &c->expiration) == -1) {
		err_set("credentials JSON: Expiration missing or not ISO 8601");
		goto out;
	}
	rc = 0;
out:
	free(code);
	free(exp);
	json_free(&j);
	return rc;
}

static enum src
from_imds(struct aws_creds *c, struct buf *why)
{
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	struct http_client_config cfg = { NULL, IMDS_TIMEOUT_MS,
		IMDS_TIMEOUT_MS, log_verbose_on() };
	struct http_response r = { 0 };
	struct http_client *h = NULL;
	struct http_header hdr;
	struct secret token = { 0 };
	char b[512], path[300], role[130];
	size_t n;
	enum src res = SRC_NONE;

	if (env_true("AWS_EC2_METADATA_DISABLED")) {
		reason(why, "EC2 instance metadata: skipped "
		    "(AWS_EC2_METADATA_DISABLED=true)");
		return SRC_NONE;
	}
	if (base == NULL || *base == '\0')
		base = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_DEFAULT_V6 :
		    IMDS_DEFAULT;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(b, sizeof(b), "%.*s", (int)n, base);
	err_clear();
	if ((h = http_client_new(&cfg)) == NULL)
		goto fail;
	http_client_set_proxy(h, NULL); /* metadata: never via a proxy */

	hdr.name = "X-aws-ec2-metadata-token-ttl-seconds";
	hdr.value = IMDS_TOKEN_TTL;
	if (imds_call(h, b, "PUT", "/latest/api/token", &hdr, &r) == -1)
		goto fail;
	n = r.body_len;
	while (n > 0 && isspace((unsigned char)r.body[n - 1]))
		n--;
	if (n == 0) {
		err_set("PUT /latest/api/token: empty token");
		goto fail;
	}
	if (secret_set(&token, r.body, n) == -1)
		goto fail;
	http_response_free(&r);

	hdr.name = "X-aws-ec2-metadata-token";
	hdr.value = token.s;
	if (imds_call(h, b, "GET", IMDS_CREDS_PATH, &hdr, &r) == -1)
		goto fail;
	n = strcspn(r.body, "\r\n");
	if (!role_name_ok(r.body, n)) {
		err_set("GET %s: no instance role (or not a role name)",
		    IMDS_CREDS_PATH);
		goto fail;
	}
	snprintf(role, sizeof(role), "%.*s", (int)n, r.body);
	http_response_free(&r);

	snprintf(path, sizeof(path), "%s%s", IMDS_CREDS_PATH, role);
	if (imds_call(h, b, "GET", path, &hdr, &r) == -1)
		goto fail;
	if (imds_parse(c, r.body, r.body_len) == -1) {
		err_prefix("GET %s", path);
		goto fail;
	}
	snprintf(c->source, sizeof(c->source), "EC2 instance metadata "
	    "(role %s)", role);
	res = SRC_FOUND;
	goto out;
fail:
	reason(why, "EC2 instance metadata %s: %s", b, err_get()[0] ?
	    err_get() : "out of memory");
out:
	http_response_free(&r);
	http_client_free(h);
	secret_wipe(&token);
	return res;
}

/* Clears whatever a source set before it gave up. */
static void
creds_clear(struct aws_creds *c)
{
	secret_wipe(&c->access_key);
	secret_wipe(&c->secret_key);
	secret_wipe(&c->session_token);
	c->source[0] = '\0';
	c->expiration = 0;
}

/* The region: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region in
 * the config file. 0 / -1 (a malformed name). */
static int
find_region(struct ctx *x)
{
	const char *r = env_str("AWS_REGION");
	char sec[300];

	if (r == NULL)
		r = env_str("AWS_DEFAULT_REGION");
	if (r == NULL && x->fl.loaded[1]) {
		section_of(&x->fl, 1, x->profile, sec, sizeof(sec));
		r = ini_get(&x->fl.f[1], sec, "region");
	}
	if (r == NULL || *r == '\0')
		return 0;
	if (!region_ok(r)) {
		err_set("AWS region '%.60s' is not a region name (like "
		    "us-east-1)", r);
		return -1;
	}
	snprintf(x->region, sizeof(x->region), "%s", r);
	return 0;
}

/* See awscreds.h. On success the caller owns c (awscreds_free); on failure c
 * holds nothing. */
int
awscreds_resolve(struct aws_creds *c)
{
	struct ctx x;
	struct buf why = { 0 };
	enum src r;
	int tried;

	memset(c, 0, sizeof(*c));
	memset(&x, 0, sizeof(x));
	if ((x.profile = env_str("AWS_PROFILE")) == NULL)
		x.profile = "default";
	if ((r = from_env(c, &why)) == SRC_NONE) {
		if (files_load(&x.fl) == -1 || find_region(&x) == -1)
			r = SRC_ERROR;
		else if ((r = from_web_identity(&x, c, &why)) == SRC_NONE &&
		    (r = profile_creds(&x, x.profile, 0, c, &why)) ==
		    SRC_NONE && (r = from_container(c, &why)) == SRC_NONE)
			r = from_imds(c, &why);
	}
	if (r == SRC_NONE)
		err_set("no AWS credentials: %s", why.data ? why.data : "");
	buf_free(&why);
	tried = x.fl.tried;
	files_free(&x.fl);
	if (r != SRC_FOUND) {
		creds_clear(c);
		return -1;
	}
	if (!tried) {
		/* Found in the environment: the region from it alone. */
		const char *reg = env_str("AWS_REGION");

		if (reg == NULL)
			reg = env_str("AWS_DEFAULT_REGION");
		if (region_ok(reg))
			snprintf(x.region, sizeof(x.region), "%s", reg);
	}
	snprintf(c->region, sizeof(c->region), "%s", x.region);
	return 0;
}

/* Wipes every secret in c; the struct stays usable for another resolve. */
void
awscreds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	creds_clear(c);
	c->region[0] = '\0';
}

/* Whether host (any case, one trailing dot allowed) ends with suffix. */
static int
host_ends(const char *host, const char *suffix)
{
	size_t h = strlen(host), s = strlen(suffix);

	if (h > 0 && host[h - 1] == '.')
		h--;
	return h >= s && strncasecmp(host + h - s, suffix, s) == 0 &&
	    (h == s || host[h - s - 1] == '.' || suffix[0] == '.');
}

const char *
awscreds_route53_region(const char *endpoint_host, const char *override)
{
	if (override && *override)
		return override;
	if (endpoint_host == NULL)
		return "us-east-1";
	if (host_ends(endpoint_host, ".amazonaws.com.cn"))
		return "cn-northwest-1";
	if (host_ends(endpoint_host, "route53.us-gov.amazonaws.com"))
		return "us-gov-west-1";
	return "us-east-1";
}

void
awscreds_sts_url(const char *region, char *out, size_t outsz)
{
	aws_url(out, outsz, "sts", region);
}

const char *
awscreds_route53_endpoint(const char *region)
{
	if (region && strncmp(region, "cn-", 3) == 0)
		return "https://route53.amazonaws.com.cn";
	if (region && strncmp(region, "us-gov-", 7) == 0)
		return "https://route53.us-gov.amazonaws.com";
	return "https://route53.amazonaws.com";
}
