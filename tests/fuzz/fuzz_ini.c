/* fuzz_ini.c - ini_parse and the lookups. Every entry the parser returns
 * must be found again by its section and key. */
#include "fuzz.h"
#include "ini.h"

static const char *keys[][2] = {
	{ "Vault-Cluster-Prod", "prod_primary_vault_cluster_domain" },
	{ "vault-cluster-prod", "PROD_CLUSTER_CNAME" },
	{ "AWS-Route-53", "HostedZoneID" },
	{ "default", "aws_access_key_id" },
	{ "", "" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini ini;
	const struct ini_entry *e;
	size_t i;

	if (ini_parse(&ini, "fuzz.cfg", (const char *)data, size) == -1) {
		FUZZ_ASSERT(ini.n == 0 && ini.e == NULL);
		ini_free(&ini);
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)ini_has_section(&ini, keys[i][0]);
		(void)ini_get(&ini, keys[i][0], keys[i][1]);
	}
	for (i = 0; i < ini.nsections; i++)
		FUZZ_ASSERT(ini_has_section(&ini, ini.sections[i]));
	for (i = 0; i < ini.n; i++) {
		FUZZ_ASSERT(ini.e[i].line >= 1);
		e = ini_find(&ini, ini.e[i].section, ini.e[i].key);
		FUZZ_ASSERT(e != NULL);
		FUZZ_ASSERT(ini_get(&ini, ini.e[i].section, ini.e[i].key) != NULL);
	}
	ini_free(&ini);
	return 0;
}
