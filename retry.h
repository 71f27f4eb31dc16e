/* retry.h - the retry policy as data (DESIGN.md "Retry policy"), backoff
 * delays and interruptible sleeps. */
#ifndef VAULTDR_RETRY_H
#define VAULTDR_RETRY_H
#include <signal.h>

struct retry_policy {
	const char *name;
	int max_retries;  /* retries after the first attempt */
	double base;      /* seconds */
	double cap;       /* seconds; 0 = none */
	int full_jitter;  /* 1: random(0,1) * min(cap, base*2^(n-1)) (AWS SDK style);
	                     0: base*2^(n-1) + random jitter below base/30 (the seed's) */
};

/* Vault changing requests and waits: VAULTDR_RETRY_BASE / VAULTDR_MAX_RETRIES. */
extern struct retry_policy retry_vault;
/* Read-only probes that decide whether a cluster is reachable: 3 attempts. */
extern struct retry_policy retry_probe;
/* Route 53 (Throttling, PriorRequestNotComplete, 5xx, connection errors). */
extern struct retry_policy retry_r53;

/* Sets the policies from the configured base and retry count. */
void retry_init(double base, int max_retries);
/* Delay in seconds before retry n (n >= 1). */
double retry_delay(const struct retry_policy *p, int n);
/* Sleeps, waking early when interrupted; 0, or -1 if a stop was requested. */
int retry_sleep(double seconds);

/* Set by the SIGINT/SIGTERM handler; checked between steps and in sleeps. */
extern volatile sig_atomic_t retry_stop_requested;
/* Monotonic clock in milliseconds. */
long long retry_now_ms(void);

#endif
