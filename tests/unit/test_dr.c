/* test_dr.c - configuration: the seed's vault_dr.cfg, errors with file and
 * line, the numeric environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dr.h"
#include "log.h"
#include "t.h"

static const char seed_cfg[] =
    "[Vault-Cluster-Prod]\n"
    "prod_primary_vault_cluster_domain=https://internal-usw2-prod-vault.elb.amazonaws.com\n"
    "prod_secondary_vault_cluster_domain=https://internal-use1-prod-vault.elb.amazonaws.com\n"
    "prod_cluster_cname=vault.prod.acme.com\n"
    "\n"
    "[Vault-Cluster-Staging]\n"
    "staging_primary_vault_cluster_domain=https://internal-usw2-staging-vault.elb.amazonaws.com:8200\n"
    "staging_secondary_vault_cluster_domain=https://internal-use1-staging-vault.elb.amazonaws.com:8200\n"
    "staging_cluster_cname=vault.staging.acme.com\n"
    "staging_hosted_zone_id=ZSTAGING\n"
    "staging_record_ttl=30\n"
    "\n"
    "[AWS-Route-53]\n"
    "HostedZoneID=Z3DG6IL3SJCGPX\n";

static char cfg_path[64];

static void
write_cfg(const char *text)
{
	FILE *f;
	int fd;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/vaultdr-cfg-XXXXXX");
	fd = mkstemp(cfg_path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static int
load(const char *text, const char *env, struct dr_config *c)
{
	int rc;

	write_cfg(text);
	rc = config_load(cfg_path, env, c);
	unlink(cfg_path);
	return rc;
}

static void
seed_config_loads(void)
{
	struct dr_config c;

	CHECK(load(seed_cfg, "prod", &c) == 0);
	CHECK_STREQ(c.section, "Vault-Cluster-Prod");
	CHECK_STREQ(c.url[0], "https://internal-usw2-prod-vault.elb.amazonaws.com");
	CHECK_STREQ(c.dns_target[1], "internal-use1-prod-vault.elb.amazonaws.com");
	CHECK_STREQ(c.cname, "vault.prod.acme.com");
	CHECK_STREQ(c.zone_id, "Z3DG6IL3SJCGPX");
	CHECK(c.ttl == 60);
	CHECK(c.retry_base == 30 && c.max_retries == 10);
	CHECK(c.connect_timeout == 10 && c.io_timeout == 30);
	dr_config_free(&c);
	/* Section names match case-insensitively; per-env overrides apply. */
	CHECK(load(seed_cfg, "STAGING", &c) == 0);
	CHECK_STREQ(c.zone_id, "ZSTAGING");
	CHECK(c.ttl == 30);
	CHECK_STREQ(c.dns_target[0], "internal-usw2-staging-vault.elb.amazonaws.com");
	dr_config_free(&c);
}

static void
unknown_env_names_choices(void)
{
	struct dr_config c;

	CHECK(load(seed_cfg, "qa", &c) == -1);
	CHECK(strstr(err_get(), "unknown environment 'qa'") != NULL);
	CHECK(strstr(err_get(), "Prod") != NULL);
	dr_config_free(&c);
}

static void
errors_name_file_and_line(void)
{
	struct dr_config c;
	char want[96];

	CHECK(load("[Vault-Cluster-Prod]\nprod_primary_vault_cluster_domain="
	    "ftp://x\n", "prod", &c) == -1);
	snprintf(want, sizeof(want), "%s:2:", cfg_path);
	CHECK(strstr(err_get(), want) != NULL);
	dr_config_free(&c);

	CHECK(load("[Vault-Cluster-Prod]\nprod_primary_vault_cluster_domain="
	    "https://a.example\nprod_secondary_vault_cluster_domain="
	    "https://b.example\nprod_cluster_cname=v.example\n"
	    "prod_primary_dns_target=https://a.example\n[AWS-Route-53]\n"
	    "HostedZoneID=Z1\n", "prod", &c) == -1);
	CHECK(strstr(err_get(), "not a host name") != NULL);
	snprintf(want, sizeof(want), "%s:5:", cfg_path);
	CHECK(strstr(err_get(), want) != NULL);
	dr_config_free(&c);

	CHECK(load("[Vault-Cluster-Prod]\nprod_primary_vault_cluster_domain="
	    "https://a.example\n", "prod", &c) == -1);
	CHECK(strstr(err_get(), "prod_secondary_vault_cluster_domain") != NULL);
	dr_config_free(&c);

	/* An IP address cannot be a CNAME value without a dns_target. */
	CHECK(load("[Vault-Cluster-Prod]\nprod_primary_vault_cluster_domain="
	    "https://10.0.0.5:8200\nprod_secondary_vault_cluster_domain="
	    "https://b.example\nprod_cluster_cname=v.example\n[AWS-Route-53]\n"
	    "HostedZoneID=Z1\n", "prod", &c) == -1);
	CHECK(strstr(err_get(), "prod_primary_dns_target") != NULL);
	dr_config_free(&c);

	CHECK(load("[Vault-Cluster-Prod]\nprod_primary_vault_cluster_domain="
	    "https://a.example\nprod_secondary_vault_cluster_domain="
	    "https://b.example\nprod_cluster_cname=v.example\n", "prod", &c) == -1);
	CHECK(strstr(err_get(), "HostedZoneID") != NULL);
	dr_config_free(&c);
}

static void
environment_numbers(void)
{
	struct dr_config c;

	setenv("VAULTDR_POLL_INTERVAL", "0.05", 1);
	setenv("VAULTDR_MAX_RETRIES", "3", 1);
	CHECK(load(seed_cfg, "prod", &c) == 0);
	CHECK(c.poll_interval > 0.049 && c.poll_interval < 0.051);
	CHECK(c.max_retries == 3);
	dr_config_free(&c);
	setenv("VAULTDR_TIMEOUT", "ten", 1);
	CHECK(load(seed_cfg, "prod", &c) == -1);
	CHECK(strstr(err_get(), "VAULTDR_TIMEOUT") != NULL);
	dr_config_free(&c);
	setenv("VAULTDR_TIMEOUT", "-1", 1);
	CHECK(load(seed_cfg, "prod", &c) == -1);
	dr_config_free(&c);
	unsetenv("VAULTDR_TIMEOUT");
	unsetenv("VAULTDR_POLL_INTERVAL");
	unsetenv("VAULTDR_MAX_RETRIES");
	setenv("AWS_ENDPOINT_URL_ROUTE_53", "not a url", 1);
	CHECK(load(seed_cfg, "prod", &c) == -1);
	CHECK(strstr(err_get(), "Route 53 endpoint") != NULL);
	dr_config_free(&c);
	unsetenv("AWS_ENDPOINT_URL_ROUTE_53");
}

void
suite_dr(void)
{
	T_RUN(seed_config_loads);
	T_RUN(unknown_env_names_choices);
	T_RUN(errors_name_file_and_line);
	T_RUN(environment_numbers);
}
