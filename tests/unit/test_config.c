/* test_config.c - config.c: the URL normaliser, numbers and durations, the
 * checks between the two clusters, the '#' hint, unknown-key warnings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "t.h"

static void
url_normalise_table(void)
{
	static const struct {
		const char *in, *want; /* want NULL: refused */
	} cases[] = {
		{ "https://vault.example.com", "https://vault.example.com" },
		{ "https://vault.example.com/", "https://vault.example.com" },
		{ "HTTPS://Vault.Example.COM", "https://vault.example.com" },
		{ "https://vault.example.com.", "https://vault.example.com" },
		{ "https://vault.example.com.:443/", "https://vault.example.com" },
		{ "https://vault.example.com:443", "https://vault.example.com" },
		{ "https://vault.example.com:8200", "https://vault.example.com:8200" },
		{ "https://vault.example.com:08200", "https://vault.example.com:8200" },
		{ "http://vault.example.com:80", "http://vault.example.com" },
		{ "http://vault.example.com:443", "http://vault.example.com:443" },
		{ "https://LOCALHOST:8200", "https://localhost:8200" },
		{ "https://10.0.0.5", "https://10.0.0.5" },
		{ "https://[::1]:8200", "https://[::1]:8200" },
		{ "https://[FE80::1]", "https://[fe80::1]" },
		{ "https://vault.example.com#frag", NULL },
		{ "https://vault.example.com/#", NULL },
		{ "https://vault.example.com?x=1", NULL },
		{ "https://user@vault.example.com", NULL },
		{ "https://user:pw@vault.example.com", NULL },
		{ "https://vault.example.com/v1", NULL },
		{ "https://vault.example.com//", NULL },
		{ "https://vault.example.com:0", NULL },
		{ "https://vault.example.com:65536", NULL },
		{ "https://vault.example.com:", NULL },
		{ "https://vault.example.com:x", NULL },
		{ "https://", NULL },
		{ "https://.", NULL },
		{ "http://OO..", NULL }, /* found by fuzz_urlnorm */
		{ "https://[::1", NULL },
		{ "https://[::1]x", NULL },
		{ "ftp://vault.example.com", NULL },
		{ "vault.example.com", NULL },
		{ "", NULL },
	};
	char out[300];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = config_url_normalise(cases[i].in, out, sizeof(out));
		if (cases[i].want) {
			if (!CHECK(rc == 0))
				fprintf(stderr, "    input %s\n", cases[i].in);
			CHECK_STREQ(out, cases[i].want);
		} else {
			if (!CHECK(rc == -1 && out[0] == '\0'))
				fprintf(stderr, "    input %s\n", cases[i].in);
			CHECK(strstr(err_get(), cases[i].in) != NULL);
		}
	}
	/* Too small an output buffer is an error, never a cut address. */
	CHECK(config_url_normalise("https://vault.example.com", out, 10) == -1);
	CHECK(out[0] == '\0');
}

static void
seconds_table(void)
{
	static const struct {
		const char *in;
		double want; /* < 0: refused */
	} cases[] = {
		{ "0", 0 }, { "30", 30 }, { "0.05", 0.05 }, { "1.", 1 },
		{ ".5", 0.5 }, { "30s", 30 }, { "5m", 300 }, { "1h", 3600 },
		{ "1.5m", 90 }, { "86400", 86400 }, { "24h", 86400 },
		{ "86400.1", -1 }, { "25h", -1 }, { "2147484", -1 },
		{ "0x10", -1 }, { "1e3", -1 }, { "inf", -1 }, { "nan", -1 },
		{ "-1", -1 }, { "+1", -1 }, { "", -1 }, { " 1", -1 },
		{ "1 ", -1 }, { ".", -1 }, { "s", -1 }, { "1d", -1 },
		{ "1ms", -1 }, { "1..2", -1 }, { "10ss", -1 },
		{ "000000000000000000000000000000001", -1 }, /* too long */
	};
	size_t i;
	double d;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = config_parse_seconds("VAULTDR_X", cases[i].in, 0,
		    CONFIG_MAX_SECONDS, &d);
		if (cases[i].want >= 0) {
			if (!CHECK(rc == 0 && d > cases[i].want - 1e-9 &&
			    d < cases[i].want + 1e-9))
				fprintf(stderr, "    input '%s'\n", cases[i].in);
		} else {
			if (!CHECK(rc == -1))
				fprintf(stderr, "    input '%s'\n", cases[i].in);
			/* The message names the variable and the range. */
			CHECK(strstr(err_get(), "VAULTDR_X") != NULL);
			CHECK(strstr(err_get(), "from 0 to 86400") != NULL);
		}
	}
	CHECK(config_parse_seconds("T", "0", 0.001, 10, &d) == -1);
}

static void
whole_table(void)
{
	long v;

	CHECK(config_parse_whole("N", "10", 0, 100, &v) == 0 && v == 10);
	CHECK(config_parse_whole("N", "0", 0, 100, &v) == 0 && v == 0);
	CHECK(config_parse_whole("N", "101", 0, 100, &v) == -1);
	CHECK(strstr(err_get(), "N: '101'") != NULL);
	CHECK(strstr(err_get(), "from 0 to 100") != NULL);
	CHECK(config_parse_whole("N", "0x10", 0, 100, &v) == -1);
	CHECK(config_parse_whole("N", "-1", 0, 100, &v) == -1);
	CHECK(config_parse_whole("N", "+1", 0, 100, &v) == -1);
	CHECK(config_parse_whole("N", "1.0", 0, 100, &v) == -1);
	CHECK(config_parse_whole("N", "", 0, 100, &v) == -1);
	CHECK(config_parse_whole("N", "9999999999999999999999", 0, 100,
	    &v) == -1);
}

/* ------------------------------------------------------- whole-file loads */

#define CLUSTERS(a, b) \
	"[Vault-Cluster-Prod]\n" \
	"prod_primary_vault_cluster_domain=" a "\n" \
	"prod_secondary_vault_cluster_domain=" b "\n" \
	"prod_cluster_cname=vault.prod.example\n"
#define ZONE "[AWS-Route-53]\nHostedZoneID=Z1\n"

static char warned[4096];

static void
capture_warning(const char *msg)
{
	size_t n = strlen(warned);

	snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

/* Loads text as a config file for environment "prod". */
static int
load(const char *text, struct dr_config *c)
{
	char path[] = "/tmp/vaultdr-cfg-XXXXXX";
	int fd, rc;

	fd = mkstemp(path);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -2;
	close(fd);
	warned[0] = '\0';
	log_set_warn_hook(capture_warning);
	rc = config_load(path, "prod", c);
	log_set_warn_hook(NULL);
	unlink(path);
	return rc;
}

static void
same_cluster_twice_refused(void)
{
	static const char *const same[] = {
		CLUSTERS("https://vault.example", "https://vault.example/") ZONE,
		CLUSTERS("https://vault.example", "https://VAULT.example.") ZONE,
		CLUSTERS("https://vault.example:443", "https://vault.example")
		    ZONE,
		CLUSTERS("https://LOCALHOST:8200", "https://localhost:8200")
		    ZONE,
	};
	struct dr_config c;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CHECK(load(same[i], &c) == -1);
		CHECK(strstr(err_get(), "same cluster") != NULL);
		CHECK(strstr(err_get(), "prod_primary_vault_cluster_domain") !=
		    NULL);
		CHECK(strstr(err_get(), "prod_secondary_vault_cluster_domain")
		    != NULL);
		config_free(&c);
	}
	/* Different ports are different clusters. */
	CHECK(load(CLUSTERS("https://vault.example:8200",
	    "https://vault.example:8201") "prod_primary_dns_target=a.example\n"
	    "prod_secondary_dns_target=b.example\n" ZONE, &c) == 0);
	config_free(&c);
}

static void
url_parts_refused(void)
{
	static const char *const bad[] = {
		CLUSTERS("https://a.example#x", "https://b.example") ZONE,
		CLUSTERS("https://a.example", "https://b.example/?q") ZONE,
		CLUSTERS("https://u@a.example", "https://b.example") ZONE,
	};
	static const char *const word[] = { "#fragment", "?query", "user@" };
	struct dr_config c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(load(bad[i], &c) == -1);
		if (!CHECK(strstr(err_get(), word[i]) != NULL))
			fprintf(stderr, "    %s\n", err_get());
		CHECK(strstr(err_get(), ":2: ") != NULL ||
		    strstr(err_get(), ":3: ") != NULL);
		config_free(&c);
	}
	/* The fragment case also says what '#' means in a value. */
	CHECK(load(bad[0], &c) == -1);
	CHECK(strstr(err_get(), "part of the value") != NULL);
	config_free(&c);
}

static void
same_dns_target_refused(void)
{
	struct dr_config c;

	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_primary_dns_target=lb.example\n"
	    "prod_secondary_dns_target=LB.example.\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), "both clusters have the DNS target") != NULL);
	CHECK(strstr(err_get(), "prod_primary_dns_target") != NULL);
	CHECK(strstr(err_get(), "prod_secondary_dns_target") != NULL);
	config_free(&c);
	/* Default targets: the URL hosts. */
	CHECK(load(CLUSTERS("https://a.example:8200", "https://a.example:8201")
	    ZONE, &c) == -1);
	CHECK(strstr(err_get(), "both clusters have the DNS target") != NULL);
	config_free(&c);
}

static void
inline_comment_hint(void)
{
	struct dr_config c;

	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_primary_dns_target=vault-usw2.lb.example # CNAME value\n"
	    ZONE, &c) == -1);
	CHECK(strstr(err_get(), "is not a host name") != NULL);
	CHECK(strstr(err_get(), "a '#' inside a value is part of the value")
	    != NULL);
	CHECK(strstr(err_get(), "own line") != NULL);
	config_free(&c);
	/* No '#', no hint. */
	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_primary_dns_target=https://x\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), "part of the value") == NULL);
	config_free(&c);
}

static void
unknown_keys_warned(void)
{
	struct dr_config c;

	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_colour=blue\n[AWS-Route-53]\nHostedZoneID=Z1\n"
	    "HostedZone=Z2\n", &c) == 0);
	CHECK(strstr(warned, "unknown key 'prod_colour' in [Vault-Cluster-Prod]")
	    != NULL);
	CHECK(strstr(warned, "unknown key 'HostedZone' in [AWS-Route-53]")
	    != NULL);
	CHECK(strstr(warned, "HostedZoneID") == NULL);
	config_free(&c);
}

static void
ttl_decimal_only(void)
{
	struct dr_config c;

	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_record_ttl=0x10\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), "prod_record_ttl") != NULL);
	CHECK(strstr(err_get(), ":5:") != NULL);
	config_free(&c);
	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_record_ttl=300\n" ZONE, &c) == 0);
	CHECK(c.ttl == 300);
	config_free(&c);
}

static void
durations_bounded(void)
{
	static const char *const vars[] = { "VAULTDR_TIMEOUT",
		"VAULTDR_CONNECT_TIMEOUT", "VAULTDR_READY_TIMEOUT",
		"VAULTDR_INSYNC_TIMEOUT", "DNS_PROPAGATION_DELAY",
		"VAULTDR_POLL_INTERVAL", "VAULTDR_RETRY_BASE" };
	static const char *const bad[] = { "2147484", "0x10", "1e3", "inf",
		"nan", "-5", "" };
	const char *cfg = CLUSTERS("https://a.example", "https://b.example")
	    ZONE;
	struct dr_config c;
	size_t i, k;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			setenv(vars[i], bad[k], 1);
			if (!CHECK(load(cfg, &c) == -1))
				fprintf(stderr, "    %s=%s\n", vars[i], bad[k]);
			CHECK(strstr(err_get(), vars[i]) != NULL);
			config_free(&c);
		}
		unsetenv(vars[i]);
	}
	setenv("VAULTDR_LOCK_TTL", "0", 1); /* at least 1 s */
	CHECK(load(cfg, &c) == -1);
	CHECK(strstr(err_get(), "VAULTDR_LOCK_TTL") != NULL);
	config_free(&c);
	unsetenv("VAULTDR_LOCK_TTL");
	CHECK(load(cfg, &c) == 0 && c.lock_ttl == 900);
	config_free(&c);
	setenv("VAULTDR_TIMEOUT", "1h", 1);
	setenv("VAULTDR_CONNECT_TIMEOUT", "1.5m", 1);
	setenv("VAULTDR_MAX_RETRIES", "0", 1);
	CHECK(load(cfg, &c) == 0);
	CHECK(c.io_timeout == 3600 && c.connect_timeout == 90);
	CHECK(c.max_retries == 0);
	/* Every duration fits an int of milliseconds. */
	CHECK(CONFIG_MAX_SECONDS * 1000 < 2147483647.0);
	config_free(&c);
	setenv("VAULTDR_MAX_RETRIES", "1e2", 1);
	CHECK(load(cfg, &c) == -1);
	CHECK(strstr(err_get(), "VAULTDR_MAX_RETRIES") != NULL);
	config_free(&c);
	setenv("VAULTDR_TIMEOUT", "0", 1);
	unsetenv("VAULTDR_MAX_RETRIES");
	CHECK(load(cfg, &c) == -1);
	config_free(&c);
	unsetenv("VAULTDR_TIMEOUT");
	unsetenv("VAULTDR_CONNECT_TIMEOUT");
	config_free(NULL);
}

static void
tls_settings_read_once(void)
{
	const char *cfg = CLUSTERS("https://a.example", "https://b.example")
	    ZONE;
	struct dr_config c;

	setenv("VAULT_CACERT", "/etc/vault/ca.pem", 1);
	setenv("VAULT_CAPATH", "", 1);
	setenv("AWS_CA_BUNDLE", "/etc/aws/ca.pem", 1);
	setenv("VAULT_SKIP_VERIFY", "false", 1);
	CHECK(load(cfg, &c) == 0);
	CHECK_STREQ(c.vault_cacert, "/etc/vault/ca.pem");
	CHECK(c.vault_capath == NULL && c.vault_client_cert == NULL);
	CHECK_STREQ(c.aws_ca_bundle, "/etc/aws/ca.pem");
	CHECK(c.vault_skip_verify == 0);
	config_free(&c);
	setenv("VAULT_SKIP_VERIFY", "1", 1);
	CHECK(load(cfg, &c) == 0 && c.vault_skip_verify == 1);
	config_free(&c);
	unsetenv("VAULT_CACERT");
	unsetenv("VAULT_CAPATH");
	unsetenv("AWS_CA_BUNDLE");
	unsetenv("VAULT_SKIP_VERIFY");
}

/* The Vault CLI's names are read when ours are unset, and checked. */
static void
vault_cli_aliases(void)
{
	const char *cfg = CLUSTERS("https://a.example", "https://b.example")
	    ZONE;
	struct dr_config c;

	setenv("VAULT_CLIENT_TIMEOUT", "45s", 1);
	setenv("VAULT_MAX_RETRIES", "2", 1);
	CHECK(load(cfg, &c) == 0);
	CHECK(c.io_timeout == 45 && c.max_retries == 2);
	config_free(&c);
	setenv("VAULTDR_TIMEOUT", "7", 1);
	setenv("VAULTDR_MAX_RETRIES", "3", 1);
	CHECK(load(cfg, &c) == 0);
	CHECK(c.io_timeout == 7 && c.max_retries == 3); /* ours win */
	config_free(&c);
	unsetenv("VAULTDR_TIMEOUT");
	unsetenv("VAULTDR_MAX_RETRIES");
	setenv("VAULT_CLIENT_TIMEOUT", "soon", 1);
	CHECK(load(cfg, &c) == -1);
	CHECK(strstr(err_get(), "VAULT_CLIENT_TIMEOUT") != NULL);
	config_free(&c);
	unsetenv("VAULT_CLIENT_TIMEOUT");
	unsetenv("VAULT_MAX_RETRIES");
	CHECK(load(cfg, &c) == 0 && c.io_timeout == 30 && c.max_retries == 10);
	CHECK(c.hook_timeout == 60);
	config_free(&c);
}

/* Hook keys: known, split and checked at load (an executable path). */
static void
hook_keys_checked(void)
{
	struct dr_config c;

	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_pre_change_hook=/bin/sh -c 'exit 0'\n"
	    "prod_post_hook=/bin/true\n" ZONE, &c) == 0);
	CHECK(warned[0] == '\0');
	CHECK_STREQ(c.hook[CONFIG_HOOK_PRE_CHANGE], "/bin/sh -c 'exit 0'");
	CHECK(c.hook[CONFIG_HOOK_FENCE] == NULL);
	CHECK_STREQ(c.hook[CONFIG_HOOK_POST], "/bin/true");
	config_free(&c);
	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_fence_hook=true\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), "prod_fence_hook") != NULL);
	CHECK(strstr(err_get(), "not a path") != NULL);
	config_free(&c);
	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_post_hook=/nonexistent/hook\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), ":5:") != NULL);
	config_free(&c);
	CHECK(load(CLUSTERS("https://a.example", "https://b.example")
	    "prod_post_hook=/bin/true 'open\n" ZONE, &c) == -1);
	CHECK(strstr(err_get(), "prod_post_hook") != NULL);
	config_free(&c);
}

void
suite_config(void)
{
	T_RUN(url_normalise_table);
	T_RUN(seconds_table);
	T_RUN(whole_table);
	T_RUN(same_cluster_twice_refused);
	T_RUN(url_parts_refused);
	T_RUN(same_dns_target_refused);
	T_RUN(inline_comment_hint);
	T_RUN(unknown_keys_warned);
	T_RUN(ttl_decimal_only);
	T_RUN(durations_bounded);
	T_RUN(tls_settings_read_once);
	T_RUN(vault_cli_aliases);
	T_RUN(hook_keys_checked);
}
