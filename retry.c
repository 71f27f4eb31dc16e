/* retry.c - backoff delays and interruptible sleeps. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "retry.h"
#include "tls.h"

volatile sig_atomic_t retry_stop_requested;

struct retry_policy retry_vault = { "vault", 10, 30.0, 0, 0 };
struct retry_policy retry_probe = { "probe", 2, 1.0, 0, 0 };
struct retry_policy retry_r53 = { "route53", 5, 1.0, 20.0, 1 };

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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
