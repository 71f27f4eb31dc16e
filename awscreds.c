/* awscreds.c - the AWS credential chain a minimal SDK client implements:
 * environment, shared credentials file, shared config file, EC2 instance
 * metadata (IMDSv2). Each source that gives nothing adds one clause to the
 * final "no AWS credentials: ..." error, so the operator sees every place
 * that was looked at and why it was empty. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awscreds.h"
#include "buf.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "log.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_DEFAULT_V6 "http://[fd00:ec2::254]"
#define IMDS_TIMEOUT_MS 1000
#define IMDS_TOKEN_TTL "21600"
#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"

/* Outcome of one source: found, nothing there (why appended to the list), or
 * a malformed source that stops the chain (err_set). */
enum src { SRC_FOUND, SRC_NONE, SRC_ERROR };

static int
env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
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

/* Reads the keys of one profile section of an already-loaded file. */
static enum src
from_section(struct aws_creds *c, const struct ini *ini, const char *section,
    const char *label, struct buf *why)
{
	const struct ini_entry *ak, *sk, *st;

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
	return SRC_FOUND;
}

/* One shared file: credentials (config = 0; section = profile) or config
 * (config = 1; "[profile NAME]", or "[default]" for default). */
static enum src
from_file(struct aws_creds *c, const char *profile, int config,
    struct buf *why)
{
	const char *label = config ? "config file" : "shared credentials file";
	char path[4096], section[300];
	struct ini ini;
	struct stat st;
	enum src r;

	if (shared_path(config ? "AWS_CONFIG_FILE" :
	    "AWS_SHARED_CREDENTIALS_FILE", config ? "config" : "credentials",
	    label, path, sizeof(path), why) == -1)
		return SRC_NONE;
	if (stat(path, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			reason(why, "%s %s: no such file", label, path);
			return SRC_NONE;
		}
		err_set("%s %s: %s", label, path, strerror(errno));
		return SRC_ERROR;
	}
	if (ini_load(&ini, path) == -1) {
		err_prefix("%s", label);
		return SRC_ERROR;
	}
	snprintf(section, sizeof(section), "%s%s", config ? "profile " : "",
	    profile);
	if (config && !ini_has_section(&ini, section) &&
	    strcmp(profile, "default") == 0)
		snprintf(section, sizeof(section), "default");
	if (!ini_has_section(&ini, section)) {
		reason(why, "%s %s: no [%s] section", label, path, section);
		r = SRC_NONE;
	} else if ((r = from_section(c, &ini, section, label, why)) ==
	    SRC_FOUND)
		snprintf(c->source, sizeof(c->source), "%s %s [%s]", label,
		    path, section);
	ini_free(&ini);
	return r;
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

/* Copies JSON string field name of the root object into sec. 0 / -1. */
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

/* See awscreds.h. On success the caller owns c (awscreds_free); on failure c
 * holds nothing. */
int
awscreds_resolve(struct aws_creds *c)
{
	const char *profile = getenv("AWS_PROFILE");
	struct buf why = { 0 };
	enum src r;

	memset(c, 0, sizeof(*c));
	if (profile == NULL || *profile == '\0')
		profile = "default";
	if ((r = from_env(c, &why)) == SRC_NONE &&
	    (r = from_file(c, profile, 0, &why)) == SRC_NONE &&
	    (r = from_file(c, profile, 1, &why)) == SRC_NONE)
		r = from_imds(c, &why);
	if (r == SRC_NONE)
		err_set("no AWS credentials: %s", why.data ? why.data : "");
	buf_free(&why);
	if (r != SRC_FOUND) {
		creds_clear(c);
		return -1;
	}
	return 0;
}

/* Wipes every secret in c; the struct stays usable for another resolve. */
void
awscreds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	creds_clear(c);
}
