/* test_awscreds.c - the AWS credential chain: environment, shared files,
 * IMDSv2 against a plain-HTTP server on 127.0.0.1. Every case starts from a
 * clean AWS environment (IMDS disabled, shared files pointing into an empty
 * temp dir) and restores the caller's environment afterwards; no case ever
 * reaches 169.254.169.254. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awscreds.h"
#include "log.h"
#include "t.h"
#include "tsrv.h"

static const char *const vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "HOME",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CA_BUNDLE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "VAULTDR_AWS_MFA_CODE",
	"VAULTDR_CREDENTIAL_PROCESS_TIMEOUT", "VAULTDR_TIMEOUT",
	"VAULTDR_CONNECT_TIMEOUT",
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))
static char *saved[NVARS];
static char dir[64], credfile[128], cfgfile[128];

/* Saves and clears the AWS environment; shared files point into a fresh
 * empty temp dir; IMDS disabled. */
static void
env_begin(void)
{
	size_t i;
	const char *v;

	for (i = 0; i < NVARS; i++) {
		v = getenv(vars[i]);
		saved[i] = v ? strdup(v) : NULL;
		unsetenv(vars[i]);
	}
	snprintf(dir, sizeof(dir), "/tmp/vaultdr-awscreds.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(credfile, sizeof(credfile), "%s/credentials", dir);
	snprintf(cfgfile, sizeof(cfgfile), "%s/config", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", credfile, 1);
	setenv("AWS_CONFIG_FILE", cfgfile, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void
env_end(void)
{
	size_t i;

	for (i = 0; i < NVARS; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
		saved[i] = NULL;
	}
	unlink(credfile);
	unlink(cfgfile);
	rmdir(dir);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void
awscreds_env_keys_and_session_token(void)
{
	struct aws_creds c;

	env_begin();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENVEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret-key", 1);
	setenv("AWS_SESSION_TOKEN", "env-session-token", 1);
	write_file(credfile, "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = file-secret\n");
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDENVEXAMPLE");
	CHECK_STREQ(c.secret_key.s, "env-secret-key");
	CHECK_STREQ(c.session_token.s, "env-session-token");
	CHECK_STREQ(c.source, "environment");
	CHECK(c.expiration == 0);
	CHECK_STREQ(c.region, "");
	awscreds_free(&c);
	setenv("AWS_DEFAULT_REGION", "cn-north-1", 1);
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.region, "cn-north-1");
	awscreds_free(&c);
	CHECK(c.access_key.s == NULL && c.secret_key.s == NULL);
	awscreds_free(NULL);
	env_end();
}

static void
awscreds_env_alias_secret_key_and_expiration(void)
{
	struct aws_creds c;

	env_begin();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENVEXAMPLE", 1);
	setenv("AWS_SECRET_KEY", "seed-alias-secret", 1);
	setenv("AWS_SECURITY_TOKEN", "legacy-token", 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2024-02-29T23:30:00.123+02:30", 1);
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.secret_key.s, "seed-alias-secret");
	CHECK_STREQ(c.session_token.s, "legacy-token");
	CHECK(c.expiration == 1709240400LL);
	awscreds_free(&c);
	setenv("AWS_CREDENTIAL_EXPIRATION", "2024-02-30T00:00:00Z", 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "AWS_CREDENTIAL_EXPIRATION") != NULL);
	env_end();
}

static void
awscreds_env_lone_access_key_is_an_error(void)
{
	struct aws_creds c;

	env_begin();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENVEXAMPLE", 1);
	/* a complete profile must not paper over the half-set environment */
	write_file(credfile, "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = file-secret\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "AWS_ACCESS_KEY_ID is set but neither "
	    "AWS_SECRET_ACCESS_KEY nor AWS_SECRET_KEY") != NULL);
	CHECK(c.access_key.s == NULL);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "lonely", 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "AWS_ACCESS_KEY_ID is not") != NULL);
	env_end();
}

static void
awscreds_profile_from_credentials_file(void)
{
	struct aws_creds c;
	char want[256];

	env_begin();
	write_file(credfile, "# comment\n[default]\n"
	    "aws_access_key_id = AKIDFILEEXAMPLE\n"
	    "aws_secret_access_key = file/secret+key\n"
	    "aws_session_token = file-session\n");
	write_file(cfgfile, "[default]\nregion = us-east-1\n"
	    "aws_access_key_id = AKIDCONFIG\naws_secret_access_key = cfg\n");
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDFILEEXAMPLE");
	CHECK_STREQ(c.secret_key.s, "file/secret+key");
	CHECK_STREQ(c.session_token.s, "file-session");
	snprintf(want, sizeof(want), "shared credentials file %s [default]",
	    credfile);
	CHECK_STREQ(c.source, want);
	awscreds_free(&c);
	env_end();
}

static void
awscreds_profile_from_config_file(void)
{
	struct aws_creds c;
	char want[256];

	env_begin();
	setenv("AWS_PROFILE", "x", 1);
	write_file(credfile, "[default]\naws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = default-secret\n");
	write_file(cfgfile, "[default]\nregion = us-east-1\n[x]\n"
	    "aws_access_key_id = NOTAPROFILE\naws_secret_access_key = no\n"
	    "[profile x]\nregion = us-west-2\n"
	    "aws_access_key_id = AKIDCONFIGX\n"
	    "aws_secret_access_key = config-x-secret\n"
	    "aws_security_token = legacy-config-token\n"
	    "s3 =\n  max_concurrent_requests = 4\n");
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDCONFIGX");
	CHECK_STREQ(c.secret_key.s, "config-x-secret");
	CHECK_STREQ(c.session_token.s, "legacy-config-token");
	snprintf(want, sizeof(want), "config file %s [profile x]", cfgfile);
	CHECK_STREQ(c.source, want);
	awscreds_free(&c);
	env_end();
}

static void
awscreds_aws_profile_selects_profile(void)
{
	struct aws_creds c;

	env_begin();
	setenv("AWS_PROFILE", "ci", 1);
	write_file(credfile, "[default]\naws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = default-secret\n\n[CI]\n"
	    "aws_access_key_id = AKIDCIEXAMPLE\n"
	    "aws_secret_access_key = ci-secret\n");
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDCIEXAMPLE");
	CHECK_STREQ(c.secret_key.s, "ci-secret");
	CHECK(c.session_token.s == NULL);
	awscreds_free(&c);
	env_end();
}

static void
awscreds_home_tilde_default_paths(void)
{
	struct aws_creds c;
	char awsdir[128], path[160], want[256];

	env_begin();
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("AWS_CONFIG_FILE", "~/nowhere/config", 1);
	setenv("HOME", dir, 1);
	snprintf(awsdir, sizeof(awsdir), "%s/.aws", dir);
	snprintf(path, sizeof(path), "%s/credentials", awsdir);
	CHECK(mkdir(awsdir, 0700) == 0);
	write_file(path, "[default]\naws_access_key_id = AKIDHOME\n"
	    "aws_secret_access_key = home-secret\n");
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDHOME");
	awscreds_free(&c);
	unlink(path);
	CHECK(awscreds_resolve(&c) == -1);
	snprintf(want, sizeof(want), "config file %s/nowhere/config: no such "
	    "file", dir);
	CHECK(strstr(err_get(), want) != NULL);
	rmdir(awsdir);
	env_end();
}

static void
awscreds_missing_profile_names_every_source(void)
{
	struct aws_creds c;
	char want[1024];

	env_begin();
	setenv("AWS_PROFILE", "ci", 1);
	write_file(cfgfile, "[default]\nregion = us-east-1\n");
	CHECK(awscreds_resolve(&c) == -1);
	snprintf(want, sizeof(want), "no AWS credentials: environment: "
	    "AWS_ACCESS_KEY_ID not set; web identity: AWS_ROLE_ARN and "
	    "AWS_WEB_IDENTITY_TOKEN_FILE not set; shared credentials file %s: "
	    "no such file; config file %s: no [profile ci] section; container "
	    "credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI "
	    "not set; EC2 instance metadata: skipped "
	    "(AWS_EC2_METADATA_DISABLED=true)", credfile, cfgfile);
	CHECK_STREQ(err_get(), want);
	CHECK(c.access_key.s == NULL && c.source[0] == '\0');
	env_end();
}

static void
awscreds_bad_file_line_and_half_profile(void)
{
	struct aws_creds c;
	char want[256];

	env_begin();
	write_file(credfile, "[default]\naws_access_key_id = A\n"
	    "this line is wrong\n");
	CHECK(awscreds_resolve(&c) == -1);
	snprintf(want, sizeof(want), "%s:3:", credfile);
	CHECK(strstr(err_get(), want) != NULL);
	write_file(credfile, "[default]\nregion = x\n"
	    "aws_access_key_id = AKIDHALF\n");
	CHECK(awscreds_resolve(&c) == -1);
	snprintf(want, sizeof(want), "%s:3: [default] needs both", credfile);
	CHECK(strstr(err_get(), want) != NULL);
	CHECK(strstr(err_get(), "AKIDHALF") == NULL);
	env_end();
}

#define IMDS_TOKEN "AQAEAimds-session-token=="
#define IMDS_JSON "{\"Code\":\"Success\",\"LastUpdated\":\"2020-11-04T19:38:27Z\"," \
	"\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAIMDSEXAMPLE\"," \
	"\"SecretAccessKey\":\"imds-secret\",\"Token\":\"imds-role-token\"," \
	"\"Expiration\":\"2020-11-05T02:02:26Z\"}"

static char *
http_ok(const char *body)
{
	static char b[4][1024];
	static int k;
	char *p = b[k++ % 4];

	snprintf(p, sizeof(b[0]), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "\r\n%s", strlen(body), body);
	return p;
}

static void
imds_endpoint(const struct tsrv *s)
{
	char ep[64];

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/", s->port);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
}

static void
awscreds_imdsv2_role_credentials(void)
{
	struct tsrv_step st[3];
	struct aws_creds c;
	struct tsrv s;

	st[0].reply = http_ok(IMDS_TOKEN "\n");
	st[1].reply = http_ok("vaultdr-dr-role\nsecond-line-ignored\n");
	st[2].reply = http_ok(IMDS_JSON);
	st[0].after = st[1].after = st[2].after = TSRV_KEEP;
	env_begin();
	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	imds_endpoint(&s);
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK_STREQ(c.access_key.s, "ASIAIMDSEXAMPLE");
	CHECK_STREQ(c.secret_key.s, "imds-secret");
	CHECK_STREQ(c.session_token.s, "imds-role-token");
	CHECK(c.expiration == 1604541746LL);
	CHECK_STREQ(c.source, "EC2 instance metadata (role vaultdr-dr-role)");
	CHECK(s.nreq == 3);
	CHECK(s.accepts == 1);
	CHECK(strncmp(s.req[0], "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0);
	CHECK(strstr(s.req[0], "\r\nX-aws-ec2-metadata-token-ttl-seconds: "
	    "21600\r\n") != NULL);
	CHECK(strstr(s.req[0], "X-aws-ec2-metadata-token:") == NULL);
	CHECK(strncmp(s.req[1], "GET /latest/meta-data/iam/security-"
	    "credentials/ HTTP/1.1\r\n", 56) == 0);
	CHECK(strstr(s.req[1], "\r\nX-aws-ec2-metadata-token: " IMDS_TOKEN
	    "\r\n") != NULL);
	CHECK(strncmp(s.req[2], "GET /latest/meta-data/iam/security-"
	    "credentials/vaultdr-dr-role HTTP/1.1\r\n", 71) == 0);
	CHECK(strstr(s.req[2], "\r\nX-aws-ec2-metadata-token: " IMDS_TOKEN
	    "\r\n") != NULL);
	awscreds_free(&c);
	env_end();
}

static void
awscreds_imds_code_not_success(void)
{
	struct tsrv_step st[3];
	struct aws_creds c;
	struct tsrv s;

	st[0].reply = http_ok("tok-abcdef");
	st[1].reply = http_ok("role-x");
	st[2].reply = http_ok("{\"Code\":\"AssumeRoleUnauthorizedAccess\","
	    "\"Message\":\"denied\",\"LastUpdated\":\"2020-11-04T19:38:27Z\"}");
	st[0].after = st[1].after = st[2].after = TSRV_KEEP;
	env_begin();
	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	imds_endpoint(&s);
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(strstr(err_get(), "no AWS credentials: environment: ") ==
	    err_get());
	CHECK(strstr(err_get(), "; EC2 instance metadata http://127.0.0.1:") !=
	    NULL);
	CHECK(strstr(err_get(), "GET /latest/meta-data/iam/security-"
	    "credentials/role-x: credentials JSON: Code is "
	    "\"AssumeRoleUnauthorizedAccess\", not \"Success\"") != NULL);
	CHECK(c.access_key.s == NULL);
	env_end();
}

static void
awscreds_imds_token_refused_status(void)
{
	static const struct tsrv_step st[] = {
		{ "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
		  TSRV_KEEP },
	};
	struct aws_creds c;
	struct tsrv s;

	env_begin();
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	imds_endpoint(&s);
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(strstr(err_get(), "PUT /latest/api/token answered HTTP 403") !=
	    NULL);
	CHECK(s.nreq == 1);
	env_end();
}

static void
awscreds_imds_disabled_is_not_contacted(void)
{
	static const struct tsrv_step st[] = { { "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 1\r\n\r\nx", TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;

	env_begin();
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	imds_endpoint(&s);
	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	CHECK(awscreds_resolve(&c) == -1);
	usleep(50000);
	tsrv_stop(&s);
	CHECK(s.accepts == 0);
	CHECK(strstr(err_get(), "EC2 instance metadata: skipped") != NULL);
	env_end();
}

static void
awscreds_imds_refused_fails_fast(void)
{
	struct aws_creds c;
	char ep[64];
	long t0, ms;

	env_begin();
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", tsrv_free_port());
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	t0 = tsrv_now_ms();
	CHECK(awscreds_resolve(&c) == -1);
	ms = tsrv_now_ms() - t0;
	CHECK(ms < 2000);
	CHECK(strstr(err_get(), ep) != NULL);
	CHECK(strstr(err_get(), "refused") != NULL);
	env_end();
}

static void
awscreds_imds_silent_bounded_by_one_second(void)
{
	struct aws_creds c;
	char ep[64];
	long t0, ms;
	int port, fd;

	env_begin();
	CHECK((fd = tsrv_blackhole(&port)) != -1);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	t0 = tsrv_now_ms();
	CHECK(awscreds_resolve(&c) == -1);
	ms = tsrv_now_ms() - t0;
	close(fd);
	CHECK(ms >= 900 && ms < 2000);
	CHECK(strstr(err_get(), "timed out after 1 s") != NULL);
	env_end();
}

/* ---- STS, SSO, credential_process, container credentials ---- */

#define STS_OK(action) "<" action "Response xmlns=\"https://sts.amazonaws." \
	"com/doc/2011-06-15/\"><" action "Result><Credentials>" \
	"<AccessKeyId>ASIASTSEXAMPLE</AccessKeyId>" \
	"<SecretAccessKey>sts/secret&amp;key</SecretAccessKey>" \
	"<SessionToken>sts-session-token</SessionToken>" \
	"<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>" \
	"</" action "Result></" action "Response>"

static char *
http_status(int code, const char *body)
{
	static char b[4][2048];
	static int k;
	char *p = b[k++ % 4];

	snprintf(p, sizeof(b[0]), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "\r\n%s", code, strlen(body), body);
	return p;
}

/* Points STS, SSO and container URLs at s. */
static void
endpoint_at(const char *var, const struct tsrv *s, const char *path)
{
	char ep[128];

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d%s", s->port, path);
	setenv(var, ep, 1);
}

static void
awscreds_web_identity_assume_role(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;
	char tok[128];

	st[0].reply = http_ok(STS_OK("AssumeRoleWithWebIdentity"));
	env_begin();
	snprintf(tok, sizeof(tok), "%s/token", dir);
	write_file(tok, "eyJ.web+token/x==\n");
	setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/dr", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	setenv("AWS_ROLE_SESSION_NAME", "unit-session", 1);
	/* A static profile comes later in the chain. */
	write_file(credfile, "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = file-secret\n");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK_STREQ(c.access_key.s, "ASIASTSEXAMPLE");
	CHECK_STREQ(c.secret_key.s, "sts/secret&key");
	CHECK_STREQ(c.session_token.s, "sts-session-token");
	CHECK(c.expiration == 4070908800LL);
	CHECK(strncmp(c.source, "web identity (role arn:aws:iam::111122223333:"
	    "role/dr", 47) == 0);
	CHECK(s.nreq == 1);
	CHECK(strncmp(s.req[0], "POST / HTTP/1.1\r\n", 17) == 0);
	CHECK(strstr(s.req[0], "\r\nContent-Type: application/x-www-form-"
	    "urlencoded; charset=utf-8\r\n") != NULL);
	CHECK(strstr(s.req[0], "Authorization:") == NULL);
	CHECK(strstr(s.req[0], "\r\n\r\nAction=AssumeRoleWithWebIdentity&"
	    "Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3A"
	    "role%2Fdr&RoleSessionName=unit-session&WebIdentityToken=eyJ.web"
	    "%2Btoken%2Fx%3D%3D") != NULL);
	awscreds_free(&c);
	unlink(tok);
	env_end();
}

static void
awscreds_web_identity_errors(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;
	char tok[128], want[256];

	env_begin();
	setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/dr", 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK_STREQ(err_get(), "web identity: AWS_ROLE_ARN is set but "
	    "AWS_WEB_IDENTITY_TOKEN_FILE is not");
	snprintf(tok, sizeof(tok), "%s/token", dir);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "web identity token file") != NULL);
	CHECK(strstr(err_get(), "No such file") != NULL);
	write_file(tok, "a-token\n");
	st[0].reply = http_status(400, "<ErrorResponse><Error><Type>Sender"
	    "</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect "
	    "provider found</Message></Error></ErrorResponse>");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL", &s, "/");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	snprintf(want, sizeof(want), "AWS credentials from web identity: STS "
	    "AssumeRoleWithWebIdentity at http://127.0.0.1:%d/: HTTP 400 "
	    "InvalidIdentityToken: No OpenIDConnect provider found", s.port);
	CHECK_STREQ(err_get(), want);
	CHECK(strstr(s.req[0], "RoleSessionName=vaultdr-") != NULL);
	CHECK(c.access_key.s == NULL);
	unlink(tok);
	env_end();
}

static void
awscreds_sts_transient_errors_retried(void)
{
	struct tsrv_step st[3] = { { NULL, TSRV_KEEP }, { NULL, TSRV_KEEP },
		{ NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;
	char tok[128];

	st[0].reply = http_status(503, "");
	st[1].reply = http_status(400, "<ErrorResponse><Error><Code>Throttling"
	    "</Code><Message>Rate exceeded</Message></Error></ErrorResponse>");
	st[2].reply = http_ok(STS_OK("AssumeRoleWithWebIdentity"));
	env_begin();
	snprintf(tok, sizeof(tok), "%s/token", dir);
	write_file(tok, "tok\n");
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/dr", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK(s.nreq == 3);
	CHECK_STREQ(c.access_key.s, "ASIASTSEXAMPLE");
	awscreds_free(&c);
	/* Three 500s: the error says so; a 403 is not tried again. */
	st[0].reply = st[1].reply = st[2].reply = http_status(500,
	    "<ErrorResponse><Error><Code>InternalFailure</Code><Message>x"
	    "</Message></Error></ErrorResponse>");
	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(s.nreq == 3);
	CHECK(strstr(err_get(), ": 3 attempts, the last: HTTP 500 "
	    "InternalFailure: x") != NULL);
	st[0].reply = http_status(403, "<ErrorResponse><Error><Code>"
	    "AccessDenied</Code><Message>no</Message></Error></ErrorResponse>");
	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(s.nreq == 1);
	CHECK(strstr(err_get(), "HTTP 403 AccessDenied: no") != NULL);
	unlink(tok);
	env_end();
}

static void
awscreds_assume_role_source_profile_signed(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;

	st[0].reply = http_ok(STS_OK("AssumeRole"));
	env_begin();
	setenv("AWS_PROFILE", "dr", 1);
	write_file(cfgfile, "[profile dr]\nrole_arn = arn:aws:iam::1:role/x\n"
	    "source_profile = base\nexternal_id = ext id\nregion = us-west-2\n"
	    "duration_seconds = 900\nrole_session_name = ops@corp\n");
	write_file(credfile, "[base]\naws_access_key_id = AKIDBASE\n"
	    "aws_secret_access_key = base-secret\naws_session_token = base-tok\n");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK_STREQ(c.access_key.s, "ASIASTSEXAMPLE");
	CHECK_STREQ(c.region, "us-west-2");
	CHECK(strstr(c.source, "assumed role arn:aws:iam::1:role/x (profile dr, "
	    "source: shared credentials file ") == c.source);
	CHECK(strstr(s.req[0], "\r\nAuthorization: AWS4-HMAC-SHA256 "
	    "Credential=AKIDBASE/") != NULL);
	CHECK(strstr(s.req[0], "/us-west-2/sts/aws4_request, SignedHeaders="
	    "content-type;host;x-amz-date;x-amz-security-token, Signature=") !=
	    NULL);
	CHECK(strstr(s.req[0], "\r\nX-Amz-Security-Token: base-tok\r\n") !=
	    NULL);
	CHECK(strstr(s.req[0], "\r\n\r\nAction=AssumeRole&Version=2011-06-15&"
	    "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&RoleSessionName=ops%40"
	    "corp&ExternalId=ext%20id&DurationSeconds=900") != NULL);
	awscreds_free(&c);
	env_end();
}

static void
awscreds_assume_role_mfa_code_and_expired_answer(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;

	st[0].reply = http_ok("<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId>ASIAOLD</AccessKeyId><SecretAccessKey>"
	    "old</SecretAccessKey><SessionToken>old-tok</SessionToken>"
	    "<Expiration>2001-01-01T00:00:00Z</Expiration></Credentials>"
	    "</AssumeRoleResult></AssumeRoleResponse>");
	env_begin();
	write_file(cfgfile, "[default]\nrole_arn = arn:aws:iam::1:role/x\n"
	    "credential_source = Environment\n"
	    "mfa_serial = arn:aws:iam::1:mfa/op\n");
	setenv("VAULTDR_AWS_MFA_CODE", "123456", 1);
	/* credential_source Environment, but the environment is empty */
	CHECK(awscreds_resolve(&c) == -1);
	CHECK_STREQ(err_get(), "[profile default]: its credential_source "
	    "Environment gave no credentials: environment: AWS_ACCESS_KEY_ID "
	    "not set");
	write_file(cfgfile, "[default]\nrole_arn = arn:aws:iam::1:role/x\n"
	    "source_profile = default\nmfa_serial = arn:aws:iam::1:mfa/op\n"
	    "aws_access_key_id = AKIDSELF\naws_secret_access_key = self\n");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL_STS", &s, "");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(strstr(err_get(), "Credential=") == NULL);
	CHECK(strstr(err_get(), "returned credentials that expired") != NULL);
	CHECK(strstr(s.req[0], "Credential=AKIDSELF/") != NULL);
	CHECK(strstr(s.req[0], "&SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Fop"
	    "&TokenCode=123456") != NULL);
	CHECK(c.access_key.s == NULL);
	env_end();
}

static void
awscreds_assume_role_config_errors(void)
{
	struct aws_creds c;

	env_begin();
	setenv("AWS_PROFILE", "a", 1);
	write_file(cfgfile, "[profile a]\nrole_arn = r\nsource_profile = b\n"
	    "credential_source = Environment\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK_STREQ(err_get(), "[profile a] has role_arn and needs exactly one "
	    "of source_profile, credential_source or web_identity_token_file");
	write_file(cfgfile, "[profile a]\nrole_arn = r\nsource_profile = b\n"
	    "[profile b]\nrole_arn = r\nsource_profile = a\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "source_profile chain longer than 5 (a loop?)")
	    != NULL);
	write_file(cfgfile, "[profile a]\nrole_arn = r\nsource_profile = nobody\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "[profile a]: its source_profile nobody gave no "
	    "credentials: ") == err_get());
	write_file(cfgfile, "[profile a]\nrole_arn = r\n"
	    "credential_source = Laptop\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "credential_source 'Laptop' is not "
	    "Environment, Ec2InstanceMetadata or EcsContainer") != NULL);
	write_file(cfgfile, "[profile a]\nrole_arn = r\nsource_profile = a\n"
	    "aws_access_key_id = K\naws_secret_access_key = S\n"
	    "duration_seconds = 60\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK_STREQ(err_get(), "[profile a]: duration_seconds must be "
	    "900..43200");
	setenv("AWS_REGION", "us-east-1/evil", 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "is not a region name") != NULL);
	env_end();
}

/* A credential_process script in the temp dir printing body. */
static void
script(const char *path, const char *body)
{
	write_file(path, body);
	CHECK(chmod(path, 0700) == 0);
}

static void
awscreds_credential_process(void)
{
	struct aws_creds c;
	char sdir[128], sh[192], cfg[512], rep[160];
	size_t n = 0;
	char *env;

	env_begin();
	setenv("VAULT_TOKEN", "hvs.not-for-the-child", 1);
	setenv("AWS_SESSION_TOKEN", "", 1);
	snprintf(sdir, sizeof(sdir), "%s/my tools", dir);
	CHECK(mkdir(sdir, 0700) == 0);
	snprintf(sh, sizeof(sh), "%s/creds.sh", sdir);
	snprintf(rep, sizeof(rep), "%s/env", dir);
	script(sh, "#!/bin/sh\nenv > \"$2\"\necho \"hello from $1\" >&2\n"
	    "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	    "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": "
	    "\"proc-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
	snprintf(cfg, sizeof(cfg), "[default]\ncredential_process = \"%s\" "
	    "'two words' %s\n", sh, rep);
	write_file(cfgfile, cfg);
	CHECK(awscreds_resolve(&c) == 0);
	CHECK_STREQ(c.access_key.s, "AKIDPROC");
	CHECK_STREQ(c.secret_key.s, "proc-secret");
	CHECK_STREQ(c.session_token.s, "proc-token");
	CHECK(c.expiration == 4070908800LL);
	CHECK(strncmp(c.source, "credential_process (", 20) == 0);
	env = t_read_file(rep, &n);
	CHECK(env != NULL);
	if (env) {
		CHECK(strstr(env, "VAULT_TOKEN") == NULL);
		CHECK(strstr(env, "AWS_SESSION_TOKEN") == NULL);
		CHECK(strstr(env, "AWS_CONFIG_FILE=") != NULL);
		free(env);
	}
	awscreds_free(&c);

	script(sh, "#!/bin/sh\nprintf '{\"Version\": 2, \"AccessKeyId\": "
	    "\"A\", \"SecretAccessKey\": \"B\"}'\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "credential_process at ") == err_get());
	CHECK(strstr(err_get(), ": its output needs \"Version\": 1") != NULL);
	script(sh, "#!/bin/sh\necho oops >&2\nexit 3\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), ": exited with status 3") != NULL);
	script(sh, "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": "
	    "\"A\", \"SecretAccessKey\": \"B\", \"Expiration\": "
	    "\"2001-01-01T00:00:00Z\"}'\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "returned credentials that expired") != NULL);
	write_file(cfgfile, "[default]\ncredential_process = \"unterminated\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "unterminated \" quote") != NULL);
	write_file(cfgfile, "[default]\ncredential_process = /nonexistent/x\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "exited with status 127") != NULL);
	unlink(sh);
	unlink(rep);
	rmdir(sdir);
	env_end();
}

static void
awscreds_credential_process_timeout(void)
{
	struct aws_creds c;
	char sh[160], cfg[300];
	long t0, ms;

	env_begin();
	snprintf(sh, sizeof(sh), "%s/slow.sh", dir);
	script(sh, "#!/bin/sh\nexec sleep 5\n");
	snprintf(cfg, sizeof(cfg), "[default]\ncredential_process = %s\n", sh);
	write_file(cfgfile, cfg);
	setenv("VAULTDR_CREDENTIAL_PROCESS_TIMEOUT", "0.3", 1);
	t0 = tsrv_now_ms();
	CHECK(awscreds_resolve(&c) == -1);
	ms = tsrv_now_ms() - t0;
	CHECK(ms >= 250 && ms < 2000);
	CHECK(strstr(err_get(), "timed out after 1 s") != NULL);
	unlink(sh);
	env_end();
}

/* Writes the SSO cache file for key (session name or start URL). */
static void
sso_cache(const char *sha1_of_key, const char *json)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/.aws", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.aws/sso", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.aws/sso/cache", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.aws/sso/cache/%s.json", dir, sha1_of_key);
	write_file(p, json);
}

static void
sso_cache_clean(const char *sha1_of_key)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/.aws/sso/cache/%s.json", dir, sha1_of_key);
	unlink(p);
	snprintf(p, sizeof(p), "%s/.aws/sso/cache", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.aws/sso", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.aws", dir);
	rmdir(p);
}

/* sha1("corp") */
#define CORP_SHA1 "ee0bfd2552fbd840c02cc48b6e823320543c450f"

static void
awscreds_sso_cached_token(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;
	char want[512];

	st[0].reply = http_ok("{\"roleCredentials\":{\"accessKeyId\":\"ASIASSO\","
	    "\"secretAccessKey\":\"sso-secret\",\"sessionToken\":\"sso-tok\","
	    "\"expiration\":4070908800000}}");
	env_begin();
	setenv("HOME", dir, 1);
	setenv("AWS_PROFILE", "ops", 1);
	write_file(cfgfile, "[profile ops]\nsso_session = corp\n"
	    "sso_account_id = 111122223333\nsso_role_name = Ops Admin\n"
	    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
	    "sso_region = eu-west-1\n");
	/* No cached token: the hint. */
	CHECK(awscreds_resolve(&c) == -1);
	snprintf(want, sizeof(want), "SSO for [profile ops]: no cached SSO "
	    "token %s/.aws/sso/cache/" CORP_SHA1 ".json (No such file or "
	    "directory); run `aws sso login --profile ops`", dir);
	CHECK_STREQ(err_get(), want);
	sso_cache(CORP_SHA1, "{\"accessToken\":\"bearer-xyz\",\"expiresAt\":"
	    "\"2001-01-01T00:00:00UTC\"}");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "expired at 2001-01-01T00:00:00Z; run `aws sso "
	    "login --profile ops`") != NULL);
	sso_cache(CORP_SHA1, "{\"accessToken\":\"bearer-xyz\",\"expiresAt\":"
	    "\"2099-01-01T00:00:00Z\"}");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL_SSO", &s, "/");
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK_STREQ(c.access_key.s, "ASIASSO");
	CHECK_STREQ(c.session_token.s, "sso-tok");
	CHECK(c.expiration == 4070908800LL);
	CHECK(strncmp(s.req[0], "GET /federation/credentials?account_id="
	    "111122223333&role_name=Ops%20Admin HTTP/1.1\r\n", 83) == 0);
	CHECK(strstr(s.req[0], "\r\nx-amz-sso_bearer_token: bearer-xyz\r\n") !=
	    NULL);
	awscreds_free(&c);
	st[0].reply = http_status(401, "{\"message\":\"Session token not found "
	    "or invalid\"}");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_ENDPOINT_URL_SSO", &s, "");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	CHECK(strstr(err_get(), "HTTP 401: the SSO token was refused; run `aws "
	    "sso login --profile ops`") != NULL);
	/* The legacy form: start URL in the profile, cache named by its SHA-1. */
	write_file(cfgfile, "[profile ops]\n"
	    "sso_start_url = https://corp.awsapps.com/start\n"
	    "sso_region = us-east-1\nsso_account_id = 111122223333\n"
	    "sso_role_name = ops\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "/.aws/sso/cache/"
	    "a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json") != NULL);
	write_file(cfgfile, "[profile ops]\nsso_session = corp\n"
	    "sso_account_id = 1\nsso_role_name = ops\n");
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "names sso_session corp but the config file "
	    "has no [sso-session corp] section") != NULL);
	sso_cache_clean(CORP_SHA1);
	env_end();
}

static void
awscreds_container_credentials(void)
{
	struct tsrv_step st[1] = { { NULL, TSRV_KEEP } };
	struct aws_creds c;
	struct tsrv s;
	char want[256];

	st[0].reply = http_ok("{\"RoleArn\":\"arn:aws:iam::1:role/task\","
	    "\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"ecs-secret\","
	    "\"Token\":\"ecs-tok\",\"Expiration\":\"2099-01-01T00:00:00Z\"}");
	env_begin();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds", 1);
	CHECK(awscreds_resolve(&c) == -1);
	CHECK(strstr(err_get(), "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain "
	    "http only to a loopback address") == err_get());
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_CONTAINER_CREDENTIALS_FULL_URI", &s, "/v2/creds?id=1");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abcd", 1);
	CHECK(awscreds_resolve(&c) == 0);
	tsrv_stop(&s);
	CHECK_STREQ(c.access_key.s, "ASIAECS");
	CHECK_STREQ(c.session_token.s, "ecs-tok");
	CHECK(strncmp(s.req[0], "GET /v2/creds?id=1 HTTP/1.1\r\n", 29) == 0);
	CHECK(strstr(s.req[0], "\r\nAuthorization: Basic abcd\r\n") != NULL);
	awscreds_free(&c);
	st[0].reply = http_status(500, "{}");
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	endpoint_at("AWS_CONTAINER_CREDENTIALS_FULL_URI", &s, "/c");
	CHECK(awscreds_resolve(&c) == -1);
	tsrv_stop(&s);
	snprintf(want, sizeof(want), "container credentials http://127.0.0.1:"
	    "%d/c: HTTP 500", s.port);
	CHECK_STREQ(err_get(), want);
	env_end();
}

static void
awscreds_route53_partitions(void)
{
	static const struct {
		const char *host, *override, *want;
	} t[] = {
		{ NULL, NULL, "us-east-1" },
		{ "route53.amazonaws.com", NULL, "us-east-1" },
		{ "route53.amazonaws.com", "", "us-east-1" },
		{ "route53.amazonaws.com.cn", NULL, "cn-northwest-1" },
		{ "ROUTE53.AMAZONAWS.COM.CN.", NULL, "cn-northwest-1" },
		{ "route53.us-gov.amazonaws.com", NULL, "us-gov-west-1" },
		{ "route53-fips.us-gov.amazonaws.com", NULL, "us-east-1" },
		{ "localhost", NULL, "us-east-1" },
		{ "route53.amazonaws.com.cn", "eu-west-1", "eu-west-1" },
		{ "notamazonaws.com.cn.example", NULL, "us-east-1" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_STREQ(awscreds_route53_region(t[i].host, t[i].override),
		    t[i].want);
	{
		char u[128];

		awscreds_sts_url(NULL, u, sizeof(u));
		CHECK_STREQ(u, "https://sts.amazonaws.com");
		awscreds_sts_url("eu-west-1", u, sizeof(u));
		CHECK_STREQ(u, "https://sts.eu-west-1.amazonaws.com");
		awscreds_sts_url("cn-north-1", u, sizeof(u));
		CHECK_STREQ(u, "https://sts.cn-north-1.amazonaws.com.cn");
		awscreds_sts_url("us-gov-west-1", u, sizeof(u));
		CHECK_STREQ(u, "https://sts.us-gov-west-1.amazonaws.com");
	}
	CHECK_STREQ(awscreds_route53_endpoint(NULL),
	    "https://route53.amazonaws.com");
	CHECK_STREQ(awscreds_route53_endpoint("eu-west-1"),
	    "https://route53.amazonaws.com");
	CHECK_STREQ(awscreds_route53_endpoint("cn-north-1"),
	    "https://route53.amazonaws.com.cn");
	CHECK_STREQ(awscreds_route53_endpoint("us-gov-east-1"),
	    "https://route53.us-gov.amazonaws.com");
}

void
suite_awscreds(void)
{
	T_RUN(awscreds_env_keys_and_session_token);
	T_RUN(awscreds_env_alias_secret_key_and_expiration);
	T_RUN(awscreds_env_lone_access_key_is_an_error);
	T_RUN(awscreds_profile_from_credentials_file);
	T_RUN(awscreds_profile_from_config_file);
	T_RUN(awscreds_aws_profile_selects_profile);
	T_RUN(awscreds_home_tilde_default_paths);
	T_RUN(awscreds_missing_profile_names_every_source);
	T_RUN(awscreds_bad_file_line_and_half_profile);
	T_RUN(awscreds_imdsv2_role_credentials);
	T_RUN(awscreds_imds_code_not_success);
	T_RUN(awscreds_imds_token_refused_status);
	T_RUN(awscreds_imds_disabled_is_not_contacted);
	T_RUN(awscreds_imds_refused_fails_fast);
	T_RUN(awscreds_imds_silent_bounded_by_one_second);
	T_RUN(awscreds_web_identity_assume_role);
	T_RUN(awscreds_web_identity_errors);
	T_RUN(awscreds_sts_transient_errors_retried);
	T_RUN(awscreds_assume_role_source_profile_signed);
	T_RUN(awscreds_assume_role_mfa_code_and_expired_answer);
	T_RUN(awscreds_assume_role_config_errors);
	T_RUN(awscreds_credential_process);
	T_RUN(awscreds_credential_process_timeout);
	T_RUN(awscreds_sso_cached_token);
	T_RUN(awscreds_container_credentials);
	T_RUN(awscreds_route53_partitions);
}
