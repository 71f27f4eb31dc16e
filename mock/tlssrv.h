/* tlssrv.h - the mock's TLS server side (and the unit tests' scripted
 * servers): a certificate chain and key loaded from PEM, and accepted
 * sockets wrapped in a BearSSL server engine. Connections are then read and
 * written with tls.h's conn_* functions. Kept out of vaultdr, which has no
 * server code. */
#ifndef VAULTDR_MOCK_TLSSRV_H
#define VAULTDR_MOCK_TLSSRV_H
#include "tls.h"

struct tls_server; /* certificate chain + private key */
/* Loads the chain and key (RSA or EC) and checks they belong together.
 * NULL with err_set naming the file. */
struct tls_server *tls_server_load(const char *cert_file, const char *key_file);
/* Wipes the key and frees. NULL-safe; no conn may still use ts. */
void tls_server_free(struct tls_server *ts);

/* Wraps an accepted fd (takes ownership, made non-blocking); ts NULL =
 * plain. The TLS handshake runs lazily on first read. NULL on allocation
 * failure (fd closed). */
struct conn *conn_accept(int fd, struct tls_server *ts, int io_timeout_ms);
/* SNI the client asked for (TLS only) or "". */
const char *conn_server_name(const struct conn *c);

#endif
