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
}
