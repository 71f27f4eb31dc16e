/* awscreds.h - AWS credentials found the way the AWS SDKs find them:
 * environment, shared files (profile), then EC2 instance metadata (IMDSv2). */
#ifndef VAULTDR_AWSCREDS_H
#define VAULTDR_AWSCREDS_H
#include "secret.h"

struct aws_creds {
	struct secret access_key;
	struct secret secret_key;
	struct secret session_token; /* unset when none */
	char source[160];            /* "environment", "shared credentials file ~/.aws/credentials [profile ci]", "EC2 instance metadata (role r)" */
	long long expiration;        /* Unix time, 0 when they do not expire */
};

/* Resolves credentials in order: (1) AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 * (AWS_SECRET_KEY accepted as the seed's alias) + AWS_SESSION_TOKEN; (2) the
 * profile $AWS_PROFILE (default "default") in $AWS_SHARED_CREDENTIALS_FILE
 * (default ~/.aws/credentials), then in $AWS_CONFIG_FILE (default
 * ~/.aws/config, sections "[profile NAME]" or "[default]"); (3) IMDSv2 at
 * $AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254), skipped
 * when AWS_EC2_METADATA_DISABLED=true, with 1 s timeouts and one attempt.
 * 0 when found; -1 when none (err_set names every source tried and why each
 * gave nothing) or on a malformed source (a lone access key, a bad file line:
 * err_set names it). Never prints a secret. */
int awscreds_resolve(struct aws_creds *c);
void awscreds_free(struct aws_creds *c); /* wipes; NULL-safe */

#endif
