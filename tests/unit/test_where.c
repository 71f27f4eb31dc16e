/* test_where.c - issue 12's pieces outside the engine: the record kind and
 * activation keys in config.c, the record check's refusal for a declared
 * kind (plan.c), the record kinds (route53.c), public-key
 * activation and the performance replication report (vault.c) against
 * scripted local servers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "route53.h"
#include "t.h"
#include "tsrv.h"
#include "vfix.h"
#include "vault.h"

/* ---------------------------------------------------------------- config */

#define BASE "[Vault-Cluster-Prod]\n" \
	"prod_primary_vault_cluster_domain=https://a.example\n" \
	"prod_secondary_vault_cluster_domain=https://b.example\n" \
	"prod_cluster_cname=vault.prod.example\n"
#define ZONE "[AWS-Route-53]\nHostedZoneID=Z1\n"

static int
load(const char *text, struct dr_config *c)
{
	char path[] = "/tmp/vaultdr-where-XXXXXX";
	int fd, rc;

	fd = mkstemp(path);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -2;
	close(fd);
	rc = config_load(path, "prod", c);
	unlink(path);
	return rc;
}

static void
config_defaults_cname_wrapped(void)
{
	struct dr_config c;

	CHECK(load(BASE ZONE, &c) == 0);
	CHECK(c.record_kind == R53_CNAME);
	CHECK(c.activation == CONFIG_ACT_WRAPPED);
	CHECK(c.alias_zone[0] == NULL && c.alias_zone[1] == NULL);
	CHECK(c.evaluate_target_health == 0);
	config_free(&c);
}

static void
config_alias_and_activation(void)
{
	struct dr_config c;

	CHECK(load(BASE "prod_record_type=a-ALIAS\n"
	    "prod_primary_alias_zone_id=Z1H1FL5HABSF5\n"
	    "prod_secondary_alias_zone_id=Z35SXDOTRQ7X7K\n"
	    "prod_evaluate_target_health=yes\n"
	    "prod_activation=public-key\n" ZONE, &c) == 0);
	CHECK(c.record_kind == R53_A_ALIAS);
	CHECK_STREQ(c.alias_zone[0], "Z1H1FL5HABSF5");
	CHECK_STREQ(c.alias_zone[1], "Z35SXDOTRQ7X7K");
	CHECK(c.evaluate_target_health == 1);
	CHECK(c.activation == CONFIG_ACT_PUBLIC_KEY);
	config_free(&c);
	CHECK(load(BASE "prod_record_type=AAAA-alias\n"
	    "prod_primary_alias_zone_id=Z1\nprod_secondary_alias_zone_id=Z2\n"
	    ZONE, &c) == 0);
	CHECK(c.record_kind == R53_AAAA_ALIAS);
	config_free(&c);
}

static void
config_where_refused(void)
{
	static const struct {
		const char *text, *word;
	} bad[] = {
		{ BASE "prod_record_type=ALIAS\n" ZONE, "CNAME, A-alias or "
		    "AAAA-alias" },
		{ BASE "prod_record_type=A-alias\n"
		    "prod_primary_alias_zone_id=Z1\n" ZONE,
		    "prod_secondary_alias_zone_id" },
		{ BASE "prod_record_type=A-alias\n"
		    "prod_primary_alias_zone_id=Z-1\n"
		    "prod_secondary_alias_zone_id=Z2\n" ZONE, "malformed" },
		{ BASE "prod_primary_alias_zone_id=Z1\n" ZONE,
		    "alias records only" },
		{ BASE "prod_evaluate_target_health=true\n" ZONE,
		    "alias records only" },
		{ BASE "prod_record_type=A-alias\n"
		    "prod_primary_alias_zone_id=Z1\n"
		    "prod_secondary_alias_zone_id=Z2\n"
		    "prod_evaluate_target_health=maybe\n" ZONE,
		    "not true or false" },
		{ BASE "prod_activation=pubkey\n" ZONE, "wrapped or public-key" },
		{ BASE "prod_dns_provider=rfc2136\nprod_dns_server=192.0.2.1\n"
		    "prod_dns_zone=prod.example\nprod_tsig_key_name=k\n"
		    "prod_record_type=A-alias\nprod_primary_alias_zone_id=Z1\n"
		    "prod_secondary_alias_zone_id=Z2\n", "with rfc2136 the "
		    "record is a CNAME" },
	};
	struct dr_config c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(load(bad[i].text, &c) == -1);
		if (!CHECK(strstr(err_get(), bad[i].word) != NULL))
			fprintf(stderr, "    case %zu: %s\n", i, err_get());
		config_free(&c);
	}
}

/* ------------------------------------------------------- record by kind */

static void
record_kinds(void)
{
	enum r53_kind k;

	CHECK(r53_kind_parse("cname", &k) == 0 && k == R53_CNAME);
	CHECK(r53_kind_parse("A-Alias", &k) == 0 && k == R53_A_ALIAS);
	CHECK(r53_kind_parse("AAAA-alias", &k) == 0 && k == R53_AAAA_ALIAS);
	CHECK(r53_kind_parse("A", &k) == -1);
	CHECK(r53_kind_parse("", &k) == -1);
	CHECK_STREQ(r53_kind_type(R53_AAAA_ALIAS), "AAAA");
	CHECK_STREQ(r53_kind_name(R53_A_ALIAS), "A-alias");
}

/* A planned failover refuses a record of another kind with the declared
 * kind's words. */
static void
plan_refuses_wrong_kind(void)
{
	struct world w;
	struct plan_opts o = { 0, 1, "vault.example", 0, 0 };
	struct plan p;

	memset(&w, 0, sizeof(w));
	w.side[0].role = 0;
	w.side[1].role = 1;
	w.side[0].target = "a.lb.example";
	w.side[1].target = "b.lb.example";
	snprintf(w.side[0].label, sizeof(w.side[0].label), "primary cluster");
	snprintf(w.side[1].label, sizeof(w.side[1].label), "secondary cluster");
	w.side[0].st.reachable = w.side[1].st.reachable = 1;
	snprintf(w.side[0].st.mode, sizeof(w.side[0].st.mode), "primary");
	snprintf(w.side[1].st.mode, sizeof(w.side[1].st.mode), "secondary");
	w.rec_ok = 1;
	w.rec_kind = R53_A_ALIAS;
	snprintf(w.rec_bad, sizeof(w.rec_bad), "vault.example holds CNAME "
	    "(declared A-alias)");
	plan_make(&w, DR_FAILOVER, &o, &p);
	CHECK(p.verdict == EXIT_USAGE);
	CHECK(strstr(p.why, "one simple A-alias record") != NULL);
	w.rec_bad[0] = '\0';
	w.zone = ZONE_INSIDE;
	plan_make(&w, DR_FAILOVER, &o, &p);
	CHECK(strstr(p.why, "no A-alias vault.example") != NULL);
}

/* ------------------------------------------------- scripted local server */

/* Both calls of the public-key flow go to one scripted server here: the
 * old cluster's generate-public-key, then the new one's secondary-token. */
static void
public_key_activation(void)
{
	struct tsrv_step st[4];
	struct vfix f;
	struct secret act = { 0 };
	struct vault *failed = NULL;

	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{"
	    "\"secondary_public_key\":\"cHVibGljLWtleQ==\"}}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"token\":"
	    "\"enc-activation-token\"},\"wrap_info\":null}"), TSRV_KEEP };
	/* A Vault without the flow: secondary-token answers wrapped. */
	st[2] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{"
	    "\"secondary_public_key\":\"k2\"}}"), TSRV_KEEP };
	st[3] = (struct tsrv_step){ vfix_reply(200, "{\"data\":null,\"wrap_info\":"
	    "{\"token\":\"eyJwrapped\"}}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 4) == 0))
		return;
	CHECK(vault_activation_token(&f.v, &f.v, "vaultdr-prod-primary", "10m",
	    1, &act, &failed) == 0);
	CHECK(act.s && strcmp(act.s, "enc-activation-token") == 0);
	secret_wipe(&act);
	CHECK(vault_activation_token(&f.v, &f.v, "vaultdr-prod-primary", "10m",
	    1, &act, &failed) == -1);
	CHECK(strstr(err_get(), "data.token") != NULL);
	CHECK(strstr(err_get(), "1.3") != NULL);
	vfix_stop(&f);
	CHECK(f.s.nreq == 4);
	CHECK(strstr(f.s.req[0], "POST /v1/sys/replication/dr/secondary/"
	    "generate-public-key ") != NULL);
	CHECK(strstr(f.s.req[1], "POST /v1/sys/replication/dr/primary/"
	    "secondary-token ") != NULL);
	CHECK(strstr(f.s.req[1], "\"secondary_public_key\":"
	    "\"cHVibGljLWtleQ==\"") != NULL);
	CHECK(strstr(f.s.req[1], "\"id\":\"vaultdr-prod-primary\"") != NULL);
}

static void
perf_status_read(void)
{
	struct tsrv_step st[3];
	struct vfix f;
	struct vault_perf p;
	char cmd[600];

	st[0] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":\"primary\","
	    "\"state\":\"running\",\"known_secondaries\":[\"eu\",\"ap\","
	    "\"us\"],\"secondaries\":[{\"node_id\":\"eu\",\"api_address\":"
	    "\"https://eu:8200\",\"cluster_address\":\"https://eu:8201\","
	    "\"connection_status\":\"connected\"},{\"node_id\":\"ap\","
	    "\"api_address\":\"https://ap:8200\",\"connection_status\":"
	    "\"disconnected\"}]}}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{\"mode\":"
	    "\"disabled\"}}"), TSRV_KEEP };
	st[2] = (struct tsrv_step){ vfix_reply(200, "{\"data\":{}}"), TSRV_KEEP };
	if (!CHECK(vfix_start(&f, st, 3) == 0))
		return;
	CHECK(vault_perf_observe(&f.v, &p) == 0 && p.read);
	CHECK_STREQ(p.mode, "primary");
	CHECK(p.nsec == 2);
	CHECK_STREQ(p.sec[0].id, "eu");
	CHECK(vault_perf_connected(&p.sec[0]) == 1);
	CHECK_STREQ(p.sec[1].api_address, "https://ap:8200");
	CHECK(vault_perf_connected(&p.sec[1]) == 0);
	vault_perf_fix(&p.sec[1], "https://new:8201", cmd, sizeof(cmd));
	CHECK_STREQ(cmd, "VAULT_ADDR=https://ap:8200 vault write "
	    "sys/replication/performance/secondary/update-primary "
	    "update_primary_addrs=https://new:8201");
	p.sec[1].api_address[0] = '\0';
	p.sec[1].conn[0] = '\0';
	CHECK(vault_perf_connected(&p.sec[1]) == -1);
	vault_perf_fix(&p.sec[1], NULL, cmd, sizeof(cmd));
	CHECK_STREQ(cmd, "VAULT_ADDR=<its address> vault write sys/replication/"
	    "performance/secondary/update-primary update_primary_addrs=<the "
	    "new primary's cluster address>");
	vault_perf_free(&p);
	CHECK(vault_perf_observe(&f.v, &p) == 0 && p.nsec == 0);
	CHECK_STREQ(p.mode, "disabled");
	vault_perf_free(&p);
	/* A reply without a mode is an error, never "disabled". */
	CHECK(vault_perf_observe(&f.v, &p) == -1 && !p.read);
	CHECK(strstr(p.error, "no data.mode") != NULL);
	vault_perf_free(&p);
	vfix_stop(&f);
}

void
suite_where(void)
{
	T_RUN(config_defaults_cname_wrapped);
	T_RUN(config_alias_and_activation);
	T_RUN(config_where_refused);
	T_RUN(record_kinds);
	T_RUN(plan_refuses_wrong_kind);
	T_RUN(public_key_activation);
	T_RUN(perf_status_read);
}
