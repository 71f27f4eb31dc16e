/* awscreds.h - AWS credentials found the way the AWS SDKs find them:
 * environment, web identity (STS AssumeRoleWithWebIdentity), the profile in
 * the shared files (assumed role, IAM Identity Center/SSO, static keys,
 * credential_process), container credentials, then EC2 instance metadata
 * (IMDSv2); and the Route 53 partition rules (endpoint, signing region). */
#ifndef VAULTDR_AWSCREDS_H
#define VAULTDR_AWSCREDS_H
#include <stddef.h>
#include "secret.h"

struct aws_creds {
	struct secret access_key;
	struct secret secret_key;
	struct secret session_token; /* unset when none */
	char source[300];            /* "environment", "shared credentials file ~/.aws/credentials [profile ci]", "EC2 instance metadata (role r)", "assumed role arn:... via ..." */
	long long expiration;        /* Unix time, 0 when they do not expire */
	char region[64];             /* AWS_REGION, AWS_DEFAULT_REGION or the profile's region; "" when none */
};

/* Resolves credentials in order:
 * (1) environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (AWS_SECRET_KEY
 *     accepted as the seed's alias) + AWS_SESSION_TOKEN;
 * (2) web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+
 *     AWS_ROLE_SESSION_NAME) -> STS AssumeRoleWithWebIdentity (unsigned);
 * (3) the profile $AWS_PROFILE (default "default") of
 *     $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and $AWS_CONFIG_FILE
 *     (~/.aws/config, "[profile NAME]" or "[default]"), credentials file
 *     first: role_arn (+ source_profile | credential_source |
 *     web_identity_token_file, external_id, role_session_name,
 *     duration_seconds, mfa_serial) -> STS AssumeRole signed with the source
 *     credentials; sso_session / sso_start_url -> SSO GetRoleCredentials with
 *     the token cached in ~/.aws/sso/cache; static keys of the credentials
 *     file; credential_process (no shell, timeout
 *     $VAULTDR_CREDENTIAL_PROCESS_TIMEOUT s, default 60); static keys of the
 *     config file;
 * (4) container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *     _FULL_URI (http only to loopback / the ECS and EKS link-local
 *     addresses) with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE);
 * (5) IMDSv2 at $AWS_EC2_METADATA_SERVICE_ENDPOINT (default
 *     http://169.254.169.254), skipped when AWS_EC2_METADATA_DISABLED=true,
 *     1 s timeouts, one attempt.
 * STS endpoint: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 * https://sts.<region>.amazonaws.com (.com.cn for cn-*), else the global
 * https://sts.amazonaws.com; SSO: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, else
 * https://portal.sso.<sso_region>.amazonaws.com. HTTPS verified against
 * $AWS_CA_BUNDLE (else the system bundle); deadlines $VAULTDR_CONNECT_TIMEOUT
 * / $VAULTDR_TIMEOUT (10 / 30 s) per attempt; an STS call is made up to 3
 * times when there is no answer, a 5xx, 429, Throttling or
 * IDPCommunicationError.
 * 0 when found; -1 when none (err_set names every source tried and why each
 * gave nothing), or when a source that is configured fails or is malformed
 * (a lone access key, a bad file line, STS refusing the role, an expired SSO
 * token: err_set names it; the chain stops there rather than falling back to
 * another identity). Never prints a secret. */
int awscreds_resolve(struct aws_creds *c);
void awscreds_free(struct aws_creds *c); /* wipes; NULL-safe */

/* The default STS endpoint for region (NULL or "": the global
 * https://sts.amazonaws.com), e.g. https://sts.eu-west-1.amazonaws.com,
 * https://sts.cn-north-1.amazonaws.com.cn, into out. Pure. */
void awscreds_sts_url(const char *region, char *out, size_t outsz);

/* The SigV4 signing region for Route 53 at endpoint_host (a host name, no
 * scheme or port; NULL = the default endpoint): override when non-empty
 * (VAULTDR_ROUTE53_REGION); hosts ending in .amazonaws.com.cn ->
 * "cn-northwest-1"; route53.us-gov.amazonaws.com -> "us-gov-west-1"; else
 * "us-east-1". Pure. */
const char *awscreds_route53_region(const char *endpoint_host,
    const char *override);
/* The default Route 53 endpoint of the partition that region belongs to:
 * cn-* -> https://route53.amazonaws.com.cn, us-gov-* ->
 * https://route53.us-gov.amazonaws.com, else (and NULL/"")
 * https://route53.amazonaws.com. Pure. */
const char *awscreds_route53_endpoint(const char *region);

#endif
