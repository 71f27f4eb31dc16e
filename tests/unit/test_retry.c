/* test_retry.c - the classification table (DESIGN.md Safety 1, Retry
 * policy): how a request ended -> retry / fail / outcome unknown. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "retry.h"
#include "t.h"
#include "tsrv.h"
#include "vault.h"

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

/* ---- vault_call over the table, against a scripted server ---- */

static char *replies[8];
static int nreplies;

static const char *
reply(int status, const char *body)
{
	size_t n = strlen(body), sz = n + 200;
	char *p = malloc(sz);

	if (p == NULL || nreplies == 8)
		abort();
	snprintf(p, sz, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n%s",
	    status, n, body);
	replies[nreplies++] = p;
	return p;
}

/* Runs one vault_call against steps; returns its result, the failure kind
 * and how many requests reached the server. */
static int
call(const struct tsrv_step *st, size_t n, const char *method,
    const char *path, int flags, enum vault_fail *fail, int *nreq)
{
	struct http_client_config cfg = { 0 };
	struct secret token = { 0 };
	struct vault_reply r;
	struct vault v;
	struct tsrv s;
	char url[64];
	int rc = -2;

	memset(&v, 0, sizeof(v));
	retry_init(0.01, 3);
	if (tsrv_start(&s, NULL, NULL, st, n) == -1)
		return -2;
	cfg.connect_timeout_ms = 1000;
	cfg.io_timeout_ms = 500;
	v.http = http_client_new(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	v.label = "test cluster";
	v.url = url;
	v.token = &token;
	if (v.http) {
		rc = vault_call(&v, method, path, strcmp(method, "GET") ? "{}" :
		    NULL, strcmp(method, "GET") ? 2 : 0, flags, &r);
		*fail = r.fail;
		vault_reply_free(&r);
	}
	http_client_free(v.http);
	tsrv_stop(&s);
	*nreq = s.nreq;
	while (nreplies > 0)
		free(replies[--nreplies]);
	return rc;
}

#define PROMOTE "/v1/sys/replication/dr/secondary/promote"
#define DEMOTE "/v1/sys/replication/dr/primary/demote"
#define STATUS "/v1/sys/replication/dr/status"
#define REVOKE "/v1/sys/replication/dr/primary/revoke-secondary"

static void
vault_call_outcomes(void)
{
	struct tsrv_step st[2];
	enum vault_fail f = VF_NONE;
	int n = 0;

	/* A proxy's 504 after Vault acted: sent once, outcome unknown. */
	st[0] = (struct tsrv_step){ reply(504, "<html>504 Gateway Time-out"
	    "</html>"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ reply(200, "{}"), TSRV_KEEP };
	CHECK(call(st, 2, "POST", PROMOTE, 0, &f, &n) == -1);
	CHECK(f == VF_LOST && n == 1);
	CHECK(strstr(err_get(), "outcome") != NULL);
	/* A demote answered "already a secondary" in Vault's words. */
	st[0] = (struct tsrv_step){ reply(400, "{\"errors\":[\"path disabled "
	    "in replication DR secondary mode\"]}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ reply(200, "{}"), TSRV_KEEP };
	CHECK(call(st, 2, "POST", DEMOTE, 0, &f, &n) == -1);
	CHECK(f == VF_LOST && n == 1);
	/* A definite refusal. */
	st[0] = (struct tsrv_step){ reply(400, "{\"errors\":[\"invalid DR "
	    "operation token\"]}"), TSRV_KEEP };
	CHECK(call(st, 1, "POST", PROMOTE, 0, &f, &n) == -1);
	CHECK(f == VF_REJECTED && n == 1);
	/* Sent, then no answer within the deadline. */
	st[0] = (struct tsrv_step){ "", TSRV_SILENT };
	CHECK(call(st, 1, "POST", PROMOTE, 0, &f, &n) == -1);
	CHECK(f == VF_LOST && n == 1);
	/* A GET is retried on 503. */
	st[0] = (struct tsrv_step){ reply(503, "{\"errors\":[]}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ reply(200, "{\"data\":{}}"), TSRV_KEEP };
	CHECK(call(st, 2, "GET", STATUS, 0, &f, &n) == 0);
	CHECK(n == 2);
	/* revoke-secondary of the same id is safe to repeat. */
	st[0] = (struct tsrv_step){ reply(500, "{\"errors\":[]}"), TSRV_KEEP };
	st[1] = (struct tsrv_step){ reply(204, ""), TSRV_KEEP };
	CHECK(call(st, 2, "POST", REVOKE, VC_IDEMPOTENT, &f, &n) == 0);
	CHECK(n == 2);
	retry_init(30, 10); /* the defaults, for the suites that follow */
}

void
suite_retry(void)
{
	T_RUN(retry_table);
	T_RUN(retry_delays);
	T_RUN(vault_call_outcomes);
}
