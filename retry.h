/* retry.h - the retry policy as data (DESIGN.md "Retry policy" and Safety
 * 1): one table classifying how a request ended, backoff delays and
 * interruptible sleeps. */
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

/* How a request ended, as far as the transport knows. */
enum retry_transport {
	RT_ANSWER,    /* a complete HTTP response arrived (status below) */
	RT_NOT_SENT,  /* resolve/connect failed: no byte reached the server */
	RT_SENT,      /* timeout, reset or close after request bytes may have
	                 reached the server, before a complete answer */
	RT_BAD_REPLY, /* an answer arrived but its HTTP framing is malformed */
	RT_TLS,       /* TLS handshake/verification or local TLS config */
};

/* What the request does to the server. */
enum retry_kind {
	RK_REPEATABLE, /* GET, HEAD, capabilities-self, revoke-secondary of the
	                  same id, DELETE of an attempt: safe to send again */
	RK_CHANGING,   /* promote, demote, update-primary, secondary-token,
	                  token generation, token delete, Route 53 changes */
};

/* What the caller does next. */
enum retry_verdict {
	RV_OK,      /* a 2xx answer */
	RV_RETRY,   /* not applied, or safe to repeat: retry with backoff */
	RV_FAIL,    /* a definite failure: report it, never retry */
	RV_UNKNOWN, /* a changing request may have acted: re-read the state and
	               plan again; never re-send, never roll back */
};

struct retry_outcome {
	enum retry_kind kind;
	enum retry_transport transport;
	int status;           /* HTTP status when transport == RT_ANSWER */
	const char *aws_code; /* AWS error <Code>, or NULL */
	const char *message;  /* the server's error text (Vault errors[]), or NULL */
};

/* The one classification table: {transport, status, AWS error code, server
 * message, request kind} -> verdict. First matching row wins. *why (may be
 * NULL) gets the row's reason, a static string. */
enum retry_verdict retry_classify(const struct retry_outcome *o,
    const char **why);
/* "ok", "retry", "fail", "outcome unknown". */
const char *retry_verdict_name(enum retry_verdict v);

/* Set by the SIGHUP/SIGINT/SIGTERM handler; checked between steps and in sleeps. */
extern volatile sig_atomic_t retry_stop_requested;
/* Monotonic clock in milliseconds. */
long long retry_now_ms(void);

#endif
