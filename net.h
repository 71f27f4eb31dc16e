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
