/* tls.h - connections with deadlines: net.h TCP sockets optionally wrapped
 * in TLS 1.2 via BearSSL, client side (trust anchors from PEM files at run
 * time, SNI, host name and IP-SAN verification, client certificates checked
 * against their key, getrandom() entropy). The mock's server side is
 * mock/tlssrv.h; both use the reads and writes declared here. */
#ifndef VAULTDR_TLS_H
#define VAULTDR_TLS_H
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "net.h" /* enum conn_err */
#include "tlserr.h" /* tls_error_name */

/* Client TLS settings. Strings are borrowed for the life of the tls_client. */
struct tls_config {
	const char *ca_file;     /* PEM bundle; NULL: $SSL_CERT_FILE, else the system bundle */
	const char *ca_dir;      /* directory of PEM files (VAULT_CAPATH) or NULL */
	const char *client_cert; /* PEM chain, or NULL */
	const char *client_key;  /* PEM key (RSA or EC; PKCS#1, SEC1, PKCS#8) or NULL */
	const char *server_name; /* overrides SNI and the name verified, or NULL */
	int skip_verify;         /* accept any certificate (caller warns) */
};

struct tls_client; /* loaded anchors + client credentials, shared by connections */
/* Loads anchors and credentials now, so bad files fail before any request
 * (a client certificate and key that do not belong together included).
 * NULL with err_set ("CA file X: ..."). */
struct tls_client *tls_client_new(const struct tls_config *cfg);
void tls_client_free(struct tls_client *tc); /* NULL-safe */

struct conn;
/* Resolves host, connects within connect_timeout_ms (each address tried in
 * turn), and, if tc != NULL, runs the TLS handshake within io_timeout_ms.
 * host is a name or IP literal (no brackets). NULL with err_set (e.g.
 * "connect to vault.example:8200 timed out after 10 s", "TLS: certificate for
 * vault.example not trusted (BR_ERR_X509_NOT_TRUSTED)") and *err set. */
struct conn *conn_connect(const char *host, int port, struct tls_client *tc,
    int connect_timeout_ms, int io_timeout_ms, enum conn_err *err);
/* Runs the TLS client handshake (as conn_connect does) on c, a plain
 * connection already open (a CONNECT tunnel through a proxy), verifying the
 * certificate against host (or tc's server_name), within c's current
 * deadline or io timeout. Messages then name host:port. 0 / -1 (err_set,
 * conn_error()); on -1 the caller closes c. */
int conn_start_tls(struct conn *c, const char *host, int port,
    struct tls_client *tc);
/* Reads up to n bytes: >0 bytes read, 0 clean EOF, -1 error/timeout (err_set,
 * conn_error() tells which). */
ssize_t conn_read(struct conn *c, void *buf, size_t n);
/* Writes and flushes all n bytes: 0 / -1. */
int conn_write(struct conn *c, const void *buf, size_t n);
enum conn_err conn_error(const struct conn *c);
int conn_fd(const struct conn *c);
/* Per-call timeout used when no exchange deadline is set. */
void conn_set_timeout(struct conn *c, int io_timeout_ms);
/* Starts one deadline, ms from now, shared by every following conn_read
 * and conn_write (a request and its whole response), so that a peer sending
 * a byte at a time still fails in bounded time; messages then say "timed
 * out after <ms> s". ms < 0 returns to one timeout per call. */
void conn_set_deadline(struct conn *c, int ms);
/* Milliseconds on CLOCK_MONOTONIC (the clock every deadline uses). */
int64_t conn_now_ms(void);
/* Sends close_notify best-effort (without waiting), closes, frees. NULL-safe. */
void conn_close(struct conn *c);
/* Closes without close_notify (abrupt hang-up; used by the mock). */
void conn_abort(struct conn *c);

/* ---- non-blocking use, for poll() loops (http.h's http_run) ----------
 * None of these waits: the caller polls conn_fd() for the events asked for
 * and enforces its own deadlines. */

/* Takes over the connected socket *s (s->fd becomes -1) as a conn and, with
 * tc != NULL, starts the TLS client handshake (host, or tc's server_name,
 * verified as conn_connect does). Drive it with conn_pump until
 * conn_ready. NULL with err_set and *err. */
struct conn *conn_adopt_client(struct sock *s, const char *host,
    struct tls_client *tc, enum conn_err *err);
/* Moves records between the socket and the TLS engine as far as it can
 * without waiting; *events gets what to poll for next (0: nothing pending
 * at the TLS level; plain connections always 0). A close by the peer
 * (close_notify or TCP) after the handshake is not a failure: conn_eof()
 * says so. 0, or -1 (err_set naming op, e.g. "read from", and host:port;
 * conn_error()). */
int conn_pump(struct conn *c, const char *op, short *events);
/* 1 once the TLS handshake has finished (plain connections: always). */
int conn_ready(struct conn *c);
/* 1 once the peer has closed the connection. */
int conn_eof(const struct conn *c);
/* Takes up to n bytes of a request without waiting: bytes taken (0: no
 * room now; pump and poll first), -1 (err_set, conn_error()). After the
 * last byte, conn_push() seals the records. */
ssize_t conn_put(struct conn *c, const void *buf, size_t n);
void conn_push(struct conn *c);
/* 1 while sealed records are still waiting to go out (TLS). */
int conn_unsent(struct conn *c);
/* Up to n bytes of response without waiting: >0 bytes, 0 none now (or EOF:
 * conn_eof()), -1 (err_set, conn_error()). */
ssize_t conn_get(struct conn *c, void *buf, size_t n);

/* When *flag becomes non-zero (a signal handler sets it), a wait that a
 * signal interrupts fails with EINTR instead of waiting on. */
void conn_set_interrupt(volatile sig_atomic_t *flag);

/* Fills buf with n bytes from getrandom(); 0 / -1. */
int tls_random(void *buf, size_t n);

#endif
