/* net.h - TCP with deadlines: the monotonic clock every deadline uses, a
 * non-blocking connect bounded by a timeout, reads and writes bounded by
 * poll() against one absolute deadline (per call, or shared by a whole
 * exchange), and the stop flag a signal handler sets to cut waits short.
 * No TLS here (tls.h wraps these sockets). */
#ifndef VAULTDR_NET_H
#define VAULTDR_NET_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Why a connection operation failed; decides whether a retry can help. */
enum conn_err {
	CONN_OK = 0,
	CONN_E_RESOLVE,  /* getaddrinfo failed */
	CONN_E_CONNECT,  /* refused / unreachable: retryable */
	CONN_E_TIMEOUT,  /* connect or I/O deadline passed: retryable */
	CONN_E_TLS,      /* handshake or verification failure: not retryable */
	CONN_E_IO,       /* reset, EOF mid-exchange: retryable */
	CONN_E_CONFIG,   /* bad CA file, key, etc.: not retryable */
};

/* A connected non-blocking socket and the state of its current wait. */
struct sock {
	int fd;           /* -1 when none */
	int timeout_ms;   /* per call, when no shared deadline is set */
	int64_t deadline; /* CLOCK_MONOTONIC ms, for the current call */
	int64_t fixed;    /* >0: deadline shared by every call (an exchange) */
	int fixed_ms;     /* its length, for messages */
	int timed_out;    /* last failure was the deadline */
	int eof;          /* peer closed TCP */
	int err_no;       /* last errno */
	char where[300];  /* "host:port" for messages */
};

/* Milliseconds on CLOCK_MONOTONIC: every deadline and elapsed time. */
int64_t net_now_ms(void);
/* Milliseconds since the epoch (CLOCK_REALTIME): timestamps only, never a
 * deadline. */
int64_t net_wall_ms(void);
/* "10", "0.3": seconds for messages, into out. */
const char *net_secs(int ms, char *out, size_t outsz);
/* "host:port", "[v6]:port". */
void net_where(char *out, size_t outsz, const char *host, int port);

/* When *flag becomes non-zero (a signal handler sets it), a wait that a
 * signal interrupts fails with EINTR instead of waiting on. */
void net_set_interrupt(volatile sig_atomic_t *flag);

/* Resolves host and connects within timeout_ms (the deadline covers every
 * address). Fills s (fd, where; timeout_ms = io_timeout_ms). 0, or -1 with
 * err_set ("connect to h:p timed out after 10 s", "cannot resolve h: ...")
 * and *err (CONN_E_RESOLVE, CONN_E_CONNECT, CONN_E_TIMEOUT, CONN_E_CONFIG). */
int net_connect(struct sock *s, const char *host, int port, int timeout_ms,
    int io_timeout_ms, enum conn_err *err);
/* A TCP connect in progress, for poll() loops (http_run): the resolved
 * addresses and the one being tried. */
struct addrinfo;
struct net_dial {
	struct addrinfo *res, *ai; /* owned by the dial */
	int fd;                    /* the attempt in progress, or -1 */
	int err_no;                /* the last address's failure */
	int timeout_ms;            /* for messages */
	char where[300];
};
/* Resolves host (as net_connect does; getaddrinfo itself is not bounded)
 * and starts a non-blocking connect to the first address that takes one.
 * 0: d->fd is connecting (poll it for POLLOUT, then net_dial_check); -1
 * with err_set and *err as net_connect. timeout_ms is only named in
 * messages: the caller's poll loop enforces it (net_dial_timeout). */
int net_dial_start(struct net_dial *d, const char *host, int port,
    int timeout_ms, enum conn_err *err);
/* After poll() reported d->fd writable (or failed): 1 connected (s filled
 * as by net_connect, the fd moves to s), 0 still connecting (the next
 * address: poll d->fd again), -1 every address failed (err_set, *err). */
int net_dial_check(struct net_dial *d, struct sock *s, int io_timeout_ms,
    enum conn_err *err);
/* The deadline passed: "connect to h:p timed out after N s" (err_set). */
void net_dial_timeout(const struct net_dial *d, enum conn_err *err);
/* Closes the attempt, frees the addresses. NULL-safe, idempotent. */
void net_dial_free(struct net_dial *d);
/* Non-zero when a stop was requested (net_set_interrupt's flag): a poll
 * loop checks it between slices of at most 100 ms. */
int net_stop_requested(void);

/* Wraps an accepted fd (made non-blocking); where from the peer address. */
void net_adopt(struct sock *s, int fd, int io_timeout_ms);

/* Starts a call: its deadline is the shared one, else now + timeout_ms;
 * clears the failure flags. */
void sock_arm(struct sock *s);
/* Sets a deadline ms from now shared by every following call; ms < 0
 * returns to one timeout per call. */
void sock_set_deadline(struct sock *s, int ms);
/* At most n bytes before the deadline: >0, 0 EOF, -1 (timed_out or err_no). */
ssize_t sock_read(struct sock *s, void *buf, size_t n);
/* At most n bytes before the deadline: >0 or -1. */
ssize_t sock_write(struct sock *s, const void *buf, size_t n);
/* Describes the last socket failure of op ("read from", "write to") with
 * err_set and returns its kind (CONN_E_TIMEOUT or CONN_E_IO). */
enum conn_err sock_fail(const struct sock *s, const char *op);
/* Closes the fd (if any). */
void sock_close(struct sock *s);

#endif
