/* test_ini.c - INI reader: the seed's vault_dr.cfg shape, AWS shared files,
 * and every error carrying FILE:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ini.h"
#include "log.h"
#include "t.h"

static const char seed_cfg[] =
    "[Vault-Cluster-Prod]\n"
    "prod_primary_vault_cluster_domain=https://internal-usw2-prod-vault.elb.amazonaws.com\n"
    "prod_secondary_vault_cluster_domain=https://internal-use1-prod-vault.elb.amazonaws.com\n"
    "prod_cluster_cname=vault.prod.acme.com\n"
    "\n"
    "[Vault-Cluster-Staging]\n"
    "staging_primary_vault_cluster_domain=https://internal-usw2-staging-vault.elb.amazonaws.com\n"
    "staging_secondary_vault_cluster_domain=https://internal-use1-staging-vault.elb.amazonaws.com\n"
    "staging_cluster_cname=vault.staging.acme.com\n"
    "\n"
    "[Vault-Cluster-Test]\n"
    "test_primary_vault_cluster_domain=https://internal-usw2-test-vault.elb.amazonaws.com\n"
    "test_secondary_vault_cluster_domain=https://internal-use1-test-vault.elb.amazonaws.com\n"
    "test_cluster_cname=vault.test.acme.com\n"
    "\n"
    "[AWS-Route-53]\n"
    "HostedZoneID=Z3DG6IL3SJCGPX\n";

static int
parse(struct ini *ini, const char *text)
{
	return ini_parse(ini, "t.cfg", text, strlen(text));
}

static void
ini_seed_config(void)
{
	struct ini ini;
	const struct ini_entry *e;

	if (!CHECK(parse(&ini, seed_cfg) == 0))
		return;
	CHECK(ini.nsections == 4);
	CHECK(ini.n == 10);
	CHECK(ini_has_section(&ini, "vault-cluster-prod"));
	CHECK(ini_has_section(&ini, "VAULT-CLUSTER-TEST"));
	CHECK(!ini_has_section(&ini, "Vault-Cluster-Dev"));
	CHECK_STREQ(ini_get(&ini, "Vault-Cluster-Prod",
	    "prod_primary_vault_cluster_domain"),
	    "https://internal-usw2-prod-vault.elb.amazonaws.com");
	CHECK_STREQ(ini_get(&ini, "vault-cluster-staging",
	    "STAGING_CLUSTER_CNAME"), "vault.staging.acme.com");
	CHECK_STREQ(ini_get(&ini, "aws-route-53", "hostedzoneid"),
	    "Z3DG6IL3SJCGPX");
	CHECK(ini_get(&ini, "Vault-Cluster-Prod", "staging_cluster_cname")
	    == NULL);
	e = ini_find(&ini, "AWS-Route-53", "HostedZoneID");
	if (CHECK(e != NULL)) {
		CHECK(e->line == 17);
		CHECK_STREQ(e->section, "AWS-Route-53");
		CHECK_STREQ(e->key, "HostedZoneID");
	}
	CHECK_STREQ(ini.sections[2], "Vault-Cluster-Test");
	CHECK(ini.section_lines[2] == 11);
	ini_free(&ini);
	ini_free(&ini); /* idempotent */
	ini_free(NULL);
}

static void
ini_syntax(void)
{
	static const char text[] =
	    "# comment\r\n"
	    "; another\r\n"
	    "  [ spaced section ]  \r\n"
	    "a = 1\r\n"
	    "b: two words \r\n"
	    "c=x:y=z\r\n"
	    "d:u=v\r\n"
	    "e =\r\n"
	    "f = value # not a comment\r\n"
	    "g = value ; not either\r\n"
	    "[aws]\n"
	    "s3 =\n"
	    "  max_concurrent_requests = 20\n"
	    "  # comment inside\n"
	    "\tmax_queue_size = 10000\n"
	    "h = last";
	struct ini ini;

	if (!CHECK(parse(&ini, text) == 0))
		return;
	CHECK(ini_has_section(&ini, "spaced section"));
	CHECK_STREQ(ini_get(&ini, "Spaced Section", "a"), "1");
	CHECK_STREQ(ini_get(&ini, "spaced section", "b"), "two words");
	CHECK_STREQ(ini_get(&ini, "spaced section", "c"), "x:y=z");
	CHECK_STREQ(ini_get(&ini, "spaced section", "d"), "u=v");
	CHECK_STREQ(ini_get(&ini, "spaced section", "e"), "");
	CHECK_STREQ(ini_get(&ini, "spaced section", "f"),
	    "value # not a comment");
	CHECK_STREQ(ini_get(&ini, "spaced section", "g"),
	    "value ; not either");
	CHECK_STREQ(ini_get(&ini, "aws", "s3"),
	    "\nmax_concurrent_requests = 20\nmax_queue_size = 10000");
	CHECK_STREQ(ini_get(&ini, "aws", "h"), "last");
	CHECK(ini_find(&ini, "aws", "h")->line == 16);
	ini_free(&ini);
}

static void
ini_continuation_ends(void)
{
	struct ini ini;

	/* a blank line ends a value; indentation after it is a plain line */
	if (!CHECK(parse(&ini, "[s]\na = 1\n  more\n\n  b = 2\n") == 0))
		return;
	CHECK_STREQ(ini_get(&ini, "s", "a"), "1\nmore");
	CHECK_STREQ(ini_get(&ini, "s", "b"), "2");
	ini_free(&ini);
	/* indented first key line after a section is a key, not a
	 * continuation */
	if (!CHECK(parse(&ini, "[s]\n  a = 1\n") == 0))
		return;
	CHECK_STREQ(ini_get(&ini, "s", "a"), "1");
	ini_free(&ini);
	/* empty file and comments only */
	CHECK(parse(&ini, "") == 0 && ini.n == 0 && ini.nsections == 0);
	ini_free(&ini);
	CHECK(parse(&ini, "# nothing\n\n") == 0 && ini.n == 0);
	ini_free(&ini);
}

struct bad {
	const char *text;
	const char *err;
};

static void
ini_errors(void)
{
	static const struct bad bad[] = {
		{ "[s]\na=1\nb=2\nA = 3\n",
		  "t.cfg:4: duplicate key 'a' in section [s] (first at line 2)" },
		{ "[Sec]\nk=1\n[x]\n[sec]\n",
		  "t.cfg:4: duplicate section [Sec] (first at line 1)" },
		{ "k=1\n[s]\n", "t.cfg:1: key 'k' appears before any [section]" },
		{ "[s]\njust words\n", "t.cfg:2: expected" },
		{ "[s\nk=1\n", "t.cfg:1: unterminated section header" },
		{ "[s]\n=1\n", "t.cfg:2: empty key" },
		{ "[]\n", "t.cfg:1: bad section header" },
		{ "[a]b]\n", "t.cfg:1: bad section header" },
		{ "[s]\r\nk=1\r\n[t] x\r\n", "t.cfg:3: unterminated" },
	};
	struct ini ini;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		if (!CHECK(parse(&ini, bad[i].text) == -1))
			continue;
		if (!CHECK(strncmp(err_get(), bad[i].err, strlen(bad[i].err))
		    == 0))
			fprintf(stderr, "  case %zu: got '%s'\n", i, err_get());
		CHECK(ini.n == 0 && ini.e == NULL && ini.name == NULL &&
		    ini.nsections == 0);
	}
	/* NUL byte: error with its line, length-limited parse */
	CHECK(ini_parse(&ini, "n.cfg", "[s]\nk=1\nj=\0x\n", 13) == -1);
	CHECK_STREQ(err_get(), "n.cfg:3: NUL byte");
	/* never reads past len: the text after len is not seen */
	CHECK(ini_parse(&ini, "l.cfg", "[s]\nk=1\nbroken", 8) == 0);
	CHECK_STREQ(ini_get(&ini, "s", "k"), "1");
	ini_free(&ini);
	/* values never appear in messages */
	CHECK(parse(&ini, "[s]\nsecret=hunter2hunter2\nsecret=x\n") == -1);
	CHECK(strstr(err_get(), "hunter2") == NULL);
}

static void
ini_load_file(void)
{
	char path[] = "/tmp/vaultdr-ini-XXXXXX";
	struct ini ini;
	FILE *f;
	int fd;
	size_t i;

	if (!CHECK((fd = mkstemp(path)) != -1))
		return;
	f = fdopen(fd, "w");
	fputs(seed_cfg, f);
	fclose(f);
	if (CHECK(ini_load(&ini, path) == 0)) {
		CHECK_STREQ(ini.name, path);
		CHECK_STREQ(ini_get(&ini, "AWS-Route-53", "HostedZoneID"),
		    "Z3DG6IL3SJCGPX");
		ini_free(&ini);
	}
	/* errors carry the file name */
	f = fopen(path, "w");
	fputs("[a]\nx=1\n[b]\ny\n", f);
	fclose(f);
	CHECK(ini_load(&ini, path) == -1);
	CHECK(strncmp(err_get(), path, strlen(path)) == 0 &&
	    strncmp(err_get() + strlen(path), ":4: ", 4) == 0);
	/* over 1 MiB */
	f = fopen(path, "w");
	fputs("[a]\n", f);
	for (i = 0; i < 1024 * 1024 / 16 + 1; i++)
		fputs("# padding.......\n", f);
	fclose(f);
	CHECK(ini_load(&ini, path) == -1);
	CHECK(strstr(err_get(), "1 MiB") != NULL);
	unlink(path);
	CHECK(ini_load(&ini, path) == -1);
	CHECK(strstr(err_get(), path) != NULL);
	CHECK(ini.n == 0 && ini.name == NULL);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 20,000 keys (and 20,000 sections) parse in linear time: well under a
 * second (the pairwise duplicate check took 8 s), and every key is found. */
static void
ini_many_keys_linear(void)
{
	struct ini ini;
	struct buf b = { 0 };
	char key[32];
	long t0;
	int i;

	buf_puts(&b, "[Vault-Cluster-Prod]\n");
	for (i = 0; i < 20000; i++)
		buf_printf(&b, "prod_key_%d=v%d\n", i, i);
	t0 = now_ms();
	CHECK(ini_parse(&ini, "big.cfg", b.data, b.len) == 0);
	CHECK(now_ms() - t0 < 1000);
	CHECK(ini.n == 20000);
	for (i = 0; i < 20000; i += 997) {
		snprintf(key, sizeof(key), "PROD_KEY_%d", i);
		CHECK(ini_find(&ini, "vault-cluster-prod", key) != NULL &&
		    ini_find(&ini, "vault-cluster-prod", key)->line == i + 2);
	}
	CHECK(ini_find(&ini, "Vault-Cluster-Prod", "prod_key_20000") == NULL);
	CHECK(ini_find(&ini, "Other", "prod_key_1") == NULL);
	ini_free(&ini);
	/* a duplicate at the very end is still found, case ignored */
	buf_puts(&b, "Prod_Key_17=again\n");
	t0 = now_ms();
	CHECK(ini_parse(&ini, "big.cfg", b.data, b.len) == -1);
	CHECK(now_ms() - t0 < 1000);
	CHECK(strstr(err_get(), "big.cfg:20002: duplicate key 'prod_key_17'")
	    != NULL);
	CHECK(strstr(err_get(), "first at line 19") != NULL);
	buf_free(&b);
	/* sections too */
	for (i = 0; i < 20000; i++)
		buf_printf(&b, "[s%d]\nk=%d\n", i, i);
	t0 = now_ms();
	CHECK(ini_parse(&ini, "big.cfg", b.data, b.len) == 0);
	CHECK(now_ms() - t0 < 1000);
	CHECK(ini.nsections == 20000 && ini_has_section(&ini, "S19999"));
	CHECK(!ini_has_section(&ini, "s20000"));
	CHECK_STREQ(ini_get(&ini, "s12345", "K"), "12345");
	ini_free(&ini);
	buf_puts(&b, "[S7]\n");
	CHECK(ini_parse(&ini, "big.cfg", b.data, b.len) == -1);
	CHECK(strstr(err_get(), "duplicate section [s7] (first at line 15)")
	    != NULL);
	buf_free(&b);
}

/* More than 1 MiB in memory is refused too, with the size. */
static void
ini_size_capped(void)
{
	struct ini ini;
	char *big = malloc(INI_MAX_FILE + 2);

	if (big == NULL) {
		CHECK(big != NULL);
		return;
	}
	memset(big, '#', INI_MAX_FILE + 1);
	big[INI_MAX_FILE + 1] = '\0';
	CHECK(ini_parse(&ini, "huge.cfg", big, INI_MAX_FILE + 1) == -1);
	CHECK(strstr(err_get(), "huge.cfg: larger than 1 MiB") != NULL);
	CHECK(ini.n == 0 && ini.e == NULL);
	CHECK(ini_parse(&ini, "max.cfg", big, INI_MAX_FILE) == 0);
	ini_free(&ini);
	free(big);
	/* lookups on an empty (never parsed or failed) ini */
	memset(&ini, 0, sizeof(ini));
	CHECK(ini_find(&ini, "a", "b") == NULL && !ini_has_section(&ini, "a"));
}

void
suite_ini(void)
{
	T_RUN(ini_seed_config);
	T_RUN(ini_syntax);
	T_RUN(ini_continuation_ends);
	T_RUN(ini_errors);
	T_RUN(ini_load_file);
	T_RUN(ini_many_keys_linear);
	T_RUN(ini_size_capped);
}
