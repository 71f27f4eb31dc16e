/* test_retry.c - the classification table (DESIGN.md Safety 1, Retry
 * policy): how a request ended -> retry / fail / outcome unknown. */
#include <stddef.h>
#include <stdio.h>

#include "retry.h"
#include "t.h"

#define C RK_CHANGING
#define R RK_REPEATABLE

static const struct { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	enum retry_kind kind;
	enum retry_transport tr;
	int status;
	const char *aws, *msg;
	enum retry_verdict want;
} cases[] = {
	/* answers */
	{ C, RT_ANSWER, 200, NULL, NULL, RV_OK },
	{ R, RT_ANSWER, 204, NULL, NULL, RV_OK },
	/* transport */
	{ C, RT_NOT_SENT, 0, NULL, NULL, RV_RETRY },
	{ R, RT_NOT_SENT, 0, NULL, NULL, RV_RETRY },
	{ C, RT_SENT, 0, NULL, NULL, RV_UNKNOWN },     /* observation 2, 3 */
	{ R, RT_SENT, 0, NULL, NULL, RV_RETRY },
	{ C, RT_BAD_REPLY, 0, NULL, NULL, RV_UNKNOWN },
	{ R, RT_BAD_REPLY, 0, NULL, NULL, RV_RETRY },
	{ C, RT_TLS, 0, NULL, NULL, RV_FAIL },
	{ R, RT_TLS, 0, NULL, NULL, RV_FAIL },
	/* 5xx: a proxy's 504 after Vault acted (observations 1, 5) */
	{ C, RT_ANSWER, 504, NULL, "<html>Gateway Timeout</html>", RV_UNKNOWN },
	{ C, RT_ANSWER, 500, NULL, "internal error", RV_UNKNOWN },
	{ C, RT_ANSWER, 503, NULL, "Vault is sealed", RV_UNKNOWN },
	{ R, RT_ANSWER, 502, NULL, NULL, RV_RETRY },
	{ R, RT_ANSWER, 503, NULL, "Vault is sealed", RV_RETRY },
	/* 412: not applied, retried either way */
	{ C, RT_ANSWER, 412, NULL, "required index state not present", RV_RETRY },
	{ R, RT_ANSWER, 412, NULL, NULL, RV_RETRY },
	/* 4xx that says the change already happened */
	{ C, RT_ANSWER, 400, NULL, "this cluster is already a DR primary",
	  RV_UNKNOWN },
	{ C, RT_ANSWER, 400, NULL, "This Cluster Is Already A DR Primary",
	  RV_UNKNOWN },
	{ C, RT_ANSWER, 400, NULL, "cluster is already a secondary", RV_UNKNOWN },
	{ C, RT_ANSWER, 400, NULL, "this cluster is not a DR secondary",
	  RV_UNKNOWN },
	{ C, RT_ANSWER, 400, NULL,
	  "path disabled in replication DR secondary mode", RV_UNKNOWN },
	{ R, RT_ANSWER, 400, NULL, "this cluster is already a DR primary",
	  RV_FAIL },
	/* other 4xx: definite */
	{ C, RT_ANSWER, 400, NULL, "invalid DR operation token", RV_FAIL },
	{ C, RT_ANSWER, 403, NULL, "permission denied", RV_FAIL },
	{ R, RT_ANSWER, 404, NULL, NULL, RV_FAIL },
	{ C, RT_ANSWER, 400, NULL, "root generation aborted: bad key", RV_FAIL },
	/* Route 53 */
	{ C, RT_ANSWER, 400, "Throttling", "Rate exceeded", RV_RETRY },
	{ C, RT_ANSWER, 400, "PriorRequestNotComplete", NULL, RV_RETRY },
	{ R, RT_ANSWER, 400, "ThrottlingException", NULL, RV_RETRY },
	{ C, RT_ANSWER, 400, "InvalidChangeBatch", "already exists", RV_FAIL },
	{ C, RT_ANSWER, 403, "AccessDenied", NULL, RV_FAIL },
	{ C, RT_ANSWER, 500, "InternalFailure", NULL, RV_UNKNOWN },
	{ R, RT_ANSWER, 500, "InternalFailure", NULL, RV_RETRY },
	/* odd statuses */
	{ C, RT_ANSWER, 301, NULL, NULL, RV_FAIL },
	{ R, RT_ANSWER, 100, NULL, NULL, RV_FAIL },
};

static void
retry_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct retry_outcome o = { cases[i].kind, cases[i].tr,
			cases[i].status, cases[i].aws, cases[i].msg };
		const char *why = NULL;
		enum retry_verdict v = retry_classify(&o, &why);
		if (!CHECK(v == cases[i].want))
			fprintf(stderr, "  case %zu: got %s, want %s\n", i,
			    retry_verdict_name(v),
			    retry_verdict_name(cases[i].want));
		CHECK(why != NULL && why[0] != '\0');
	}
}

static void
retry_delays(void)
{
	struct retry_policy p = { "t", 3, 2.0, 0, 0 };
	double d;

	d = retry_delay(&p, 1);
	CHECK(d >= 2.0 && d < 2.0 + 2.0 / 30.0);
	d = retry_delay(&p, 3);
	CHECK(d >= 8.0 && d < 8.0 + 2.0 / 30.0);
	p.cap = 5.0;
	p.full_jitter = 1;
	d = retry_delay(&p, 10);
	CHECK(d >= 0 && d <= 5.0);
}

void
suite_retry(void)
{
	T_RUN(retry_table);
	T_RUN(retry_delays);
}
