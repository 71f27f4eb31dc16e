/* tsrv.h - scripted local test servers for the tls and http suites: a
 * thread serving canned replies over tls.h (plain or BearSSL TLS), a socket
 * that listens but never accepts, and `openssl s_server` for what BearSSL
 * cannot serve (TLS 1.3 only, required client certificates). */
#ifndef VAULTDR_TSRV_H
#define VAULTDR_TSRV_H
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "http.h"
#include "tls.h"
#include "mock/tlssrv.h"

enum tsrv_after {
	TSRV_KEEP,   /* keep the connection for the next request */
	TSRV_CLOSE,  /* close (close_notify) after the reply */
	TSRV_ABORT,  /* close without close_notify */
	TSRV_SILENT, /* read the request, never reply (until stop) */
	TSRV_DRIP,   /* send the reply one byte every 100 ms, then keep */
	TSRV_SLOW,   /* send the reply TSRV_SLOW_MS after the request arrived
	                (requests that came together are answered together:
	                a slow link), then keep */
};

struct tsrv_step {
	const char *reply; /* bytes sent for one request */
	enum tsrv_after after;
};

#define TSRV_SLOW_MS 300
#define TSRV_MAXREQ 8
struct tsrv {
	int lfd;
	int port;
	struct tls_server *ts; /* NULL: plain TCP */
	const struct tsrv_step *steps;
	size_t nsteps;
	pthread_t th;
	volatile int stop;
	/* Recorded by the server; read them after tsrv_stop(). */
	int accepts;
	int handshake_failures;
	int nreq;
	char req[TSRV_MAXREQ][4096];
	char sni[TSRV_MAXREQ][256];
	long at[TSRV_MAXREQ]; /* tsrv_now_ms() when each request arrived */
};

/* Starts a server on 127.0.0.1 (random port); cert/key NULL = plain. 0/-1. */
int tsrv_start(struct tsrv *s, const char *cert, const char *key,
    const struct tsrv_step *steps, size_t nsteps);
void tsrv_stop(struct tsrv *s);

/* A listening socket that never accepts (connect succeeds, then silence):
 * returns the fd and sets *port. */
int tsrv_blackhole(int *port);
/* A free local port (nothing listens on it afterwards). */
int tsrv_free_port(void);

/* Runs `openssl s_server` on 127.0.0.1 with the given extra arguments
 * (NULL-terminated) and waits until it accepts. Returns the pid, or -1. */
pid_t tsrv_openssl(int port, const char *cert, const char *key,
    const char *const *extra);
void tsrv_openssl_stop(pid_t pid);

/* "<certs dir>/<name>" in a static buffer (one of 8 rotating). */
const char *tsrv_cert(const char *name);
/* A TLS client trusting the test CA (tls_client_free). */
struct tls_client *tsrv_tls_client(void);
/* An HTTP client for the test servers: connect timeout 500 ms, io_ms for
 * each request; tc may be NULL (http only). http_client_free. */
struct http_client *tsrv_http_client(struct tls_client *tc, int io_ms);
/* Milliseconds on CLOCK_MONOTONIC. */
long tsrv_now_ms(void);

#endif
