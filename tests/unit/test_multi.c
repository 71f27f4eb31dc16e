/* test_multi.c - the exit code of a run of several environments
 * (multi.h): the most severe of theirs, failed > switched but not
 * re-attached > refused > input error > done; and --all's section list. */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dr.h"
#include "err.h"
#include "multi.h"
#include "t.h"

#define MAXC 4

static const struct {
	int codes[MAXC];
	size_t n;
	int want;
} cases[] = {
	{ { 0 }, 0, EXIT_DONE },                    /* nothing ran */
	{ { 0, 0, 0 }, 3, EXIT_DONE },
	{ { 0, 2 }, 2, EXIT_USAGE },                /* input error > done */
	{ { 2, 4, 0 }, 3, EXIT_REFUSED },           /* refused > input error */
	{ { 4, 2 }, 2, EXIT_REFUSED },
	{ { 4, 3, 2, 0 }, 4, EXIT_PARTIAL },        /* partial > refused */
	{ { 3, 1, 4 }, 3, EXIT_FAILED },            /* failed > partial */
	{ { 0, 0, 1 }, 3, EXIT_FAILED },
	{ { 0, 137 }, 2, EXIT_FAILED },             /* killed: failed */
	{ { 2, -1 }, 2, EXIT_FAILED },
	{ { 3 }, 1, EXIT_PARTIAL },
};

static void
exit_code_rule(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK(multi_exit_code(cases[i].codes, cases[i].n) ==
		    cases[i].want))
			fprintf(stderr, "  case %zu\n", i);
}

static void
severity_is_a_total_order(void)
{
	/* Each code has its own rank; the documented order, most severe
	 * first: 1, 3, 4, 2, 0. */
	static const int order[] = { EXIT_FAILED, EXIT_PARTIAL, EXIT_REFUSED,
		EXIT_USAGE, EXIT_DONE };
	size_t i;

	for (i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++)
		CHECK(multi_severity(order[i]) > multi_severity(order[i + 1]));
	CHECK(multi_severity(99) == multi_severity(EXIT_FAILED));
}

static void
all_sections(void)
{
	static const char cfg[] =
	    "[Vault-Cluster-Prod]\nprod_cluster_cname=a\n"
	    "[AWS-Route-53]\nHostedZoneID=Z1\n"
	    "[vault-cluster-staging]\nstaging_cluster_cname=b\n"
	    "[Vault-Cluster-]\n"
	    "[Other]\n";
	char path[] = "/tmp/vaultdr-multi-XXXXXX";
	char **envs = NULL;
	size_t n = 0;
	int fd = mkstemp(path);

	if (!CHECK(fd != -1))
		return;
	CHECK(write(fd, cfg, sizeof(cfg) - 1) == (ssize_t)(sizeof(cfg) - 1));
	close(fd);
	if (CHECK(multi_config_envs(path, &envs, &n) == 0) && CHECK(n == 2)) {
		CHECK_STREQ(envs[0], "Prod");
		CHECK_STREQ(envs[1], "staging");
	}
	multi_envs_free(envs, n);
	/* No section: an error naming the file. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "[Other]\nx=1\n", 12) == 12);
	close(fd);
	CHECK(multi_config_envs(path, &envs, &n) == -1);
	CHECK(strstr(err_get(), "no [Vault-Cluster-<ENV>] section") != NULL);
	unlink(path);
}

void
suite_multi(void)
{
	T_RUN(exit_code_rule);
	T_RUN(severity_is_a_total_order);
	T_RUN(all_sections);
}
