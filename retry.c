/* retry.c - the classification table, backoff delays and interruptible
 * sleeps. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net.h"
#include "retry.h"
#include "tls.h"

volatile sig_atomic_t retry_stop_requested;

struct retry_policy retry_vault = { "vault", 10, 30.0, 0, 0 };
struct retry_policy retry_probe = { "probe", 2, 1.0, 0, 0 };
struct retry_policy retry_r53 = { "route53", 5, 1.0, 20.0, 1 };

#define ANY_KIND (-1)

/* One row: a request of `kind` (or any) that ended with `transport`, a
 * status in [lo, hi], and (when set) that AWS error code or a server message
 * containing `says` (case-insensitive). */
struct retry_row {
	int kind;
	enum retry_transport transport;
	int lo, hi;
	const char *aws_code;
	const char *says;
	enum retry_verdict verdict;
	const char *why;
};

/* Vault's words for "the change this request asks for is already true":
 * the answer to a changing request that acted once already (its first
 * answer lost) or that another actor made. */
#define ALREADY(text) \
	{ RK_CHANGING, RT_ANSWER, 400, 499, NULL, text, RV_UNKNOWN, \
	  "the server says the change has already happened" }

static const struct retry_row rows[] = {
	{ ANY_KIND, RT_ANSWER, 200, 299, NULL, NULL, RV_OK, "success" },
	{ ANY_KIND, RT_TLS, 0, 999, NULL, NULL, RV_FAIL,
	  "TLS failures do not go away by retrying" },
	{ ANY_KIND, RT_NOT_SENT, 0, 999, NULL, NULL, RV_RETRY,
	  "the request never reached the server" },
	{ RK_CHANGING, RT_SENT, 0, 999, NULL, NULL, RV_UNKNOWN,
	  "the request was sent but its answer was lost" },
	{ RK_CHANGING, RT_BAD_REPLY, 0, 999, NULL, NULL, RV_UNKNOWN,
	  "the request was sent but its answer cannot be read" },
	{ RK_REPEATABLE, RT_SENT, 0, 999, NULL, NULL, RV_RETRY,
	  "timeout or connection lost on a request that is safe to repeat" },
	{ RK_REPEATABLE, RT_BAD_REPLY, 0, 999, NULL, NULL, RV_RETRY,
	  "malformed answer to a request that is safe to repeat" },
	/* Route 53 refuses these before applying anything. */
	{ ANY_KIND, RT_ANSWER, 400, 599, "Throttling", NULL, RV_RETRY,
	  "Route 53 throttled the request" },
	{ ANY_KIND, RT_ANSWER, 400, 599, "ThrottlingException", NULL, RV_RETRY,
	  "Route 53 throttled the request" },
	{ ANY_KIND, RT_ANSWER, 400, 599, "PriorRequestNotComplete", NULL,
	  RV_RETRY, "Route 53 is still applying an earlier change" },
	/* Vault's "required index state not present": this node could not
	 * serve the request yet (eventual consistency); nothing was applied. */
	{ ANY_KIND, RT_ANSWER, 412, 412, NULL, NULL, RV_RETRY,
	  "Vault is not ready for the request yet (412)" },
	/* Any 5xx, from Vault or a proxy in front of it, may come after the
	 * change was applied. */
	{ RK_CHANGING, RT_ANSWER, 500, 599, NULL, NULL, RV_UNKNOWN,
	  "a server error may come after the change was applied" },
	{ RK_REPEATABLE, RT_ANSWER, 500, 599, NULL, NULL, RV_RETRY,
	  "a server error on a request that is safe to repeat" },
	ALREADY("already a DR primary"),
	ALREADY("already a primary"),
	ALREADY("already a DR secondary"),
	ALREADY("already a secondary"),
	ALREADY("is not a DR secondary"),
	ALREADY("is not a DR primary"),
	ALREADY("path disabled in replication DR secondary mode"),
	{ ANY_KIND, RT_ANSWER, 300, 499, NULL, NULL, RV_FAIL,
	  "the server refused the request" },
	{ ANY_KIND, RT_ANSWER, 0, 999, NULL, NULL, RV_FAIL,
	  "an unexpected answer" },
};

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

enum retry_verdict
retry_classify(const struct retry_outcome *o, const char **why)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct retry_row *r = &rows[i];
		if (r->kind != ANY_KIND && r->kind != (int)o->kind)
			continue;
		if (r->transport != o->transport)
			continue;
		if (o->transport == RT_ANSWER &&
		    (o->status < r->lo || o->status > r->hi))
			continue;
		if (r->aws_code && (o->aws_code == NULL ||
		    strcmp(r->aws_code, o->aws_code) != 0))
			continue;
		if (r->says && !contains_ci(o->message, r->says))
			continue;
		if (why)
			*why = r->why;
		return r->verdict;
	}
	if (why)
		*why = "an unexpected outcome";
	return RV_FAIL;
}

const char *
retry_verdict_name(enum retry_verdict v)
{
	static const char *const names[] = { "ok", "retry", "fail",
		"outcome unknown" };

	return (unsigned)v < 4 ? names[v] : "?";
}

void
retry_init(double base, int max_retries)
{
	retry_vault.base = base;
	retry_vault.max_retries = max_retries;
	retry_probe.base = base < 1.0 ? base : 1.0;
	retry_r53.base = base < 1.0 ? base : 1.0;
}

static double
unit_random(void)
{
	uint32_t r;

	if (tls_random(&r, sizeof(r)) == -1)
		return 0.5;
	return (double)r / 4294967296.0;
}

double
retry_delay(const struct retry_policy *p, int n)
{
	double d = p->base;
	int i;

	for (i = 1; i < n && i < 62; i++)
		d *= 2;

	if (p->cap > 0 && d > p->cap)
		d = p->cap;
	if (p->full_jitter)
		return d * unit_random();
	return d + unit_random() * p->base / 30.0;
}

long long
retry_now_ms(void)
{
	return (long long)net_now_ms(); /* the one monotonic clock */
}

int
retry_sleep(double seconds)
{
	long long end = retry_now_ms() + (long long)(seconds * 1000.0);
	struct timespec ts;
	long long left;

	while (!retry_stop_requested && (left = end - retry_now_ms()) > 0) {
		if (left > 100)
			left = 100; /* wake up to notice a stop request */
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
			break;
	}
	return retry_stop_requested ? -1 : 0;
}
