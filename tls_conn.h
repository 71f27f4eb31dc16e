/* tls_conn.h - internal: the layout of a connection, shared by tls.c (the
 * client side and the engine loop every connection uses) and the mock's
 * TLS server (mock/tlssrv.c), which sets up the server engine on it. Not
 * for other code: use tls.h. */
#ifndef VAULTDR_TLS_CONN_H
#define VAULTDR_TLS_CONN_H
#include <bearssl.h>

#include "buf.h"
#include "net.h"
#include "tls.h"

/* Wraps the minimal X.509 engine: keeps the end-entity DER so that we can
 * check an iPAddress SAN, or (skip_verify) accept any chain and take the key
 * from the end-entity certificate ourselves. */
struct x509_wrap {
	const br_x509_class *vtable; /* first: BearSSL passes &vtable around */
	const br_x509_class **inner;
	int skip;                    /* accept any chain */
	int check_ip;                /* match ip[0..iplen) against the SAN */
	unsigned char ip[16];
	size_t iplen;
	int certno;                  /* index of the certificate being received */
	struct buf ee;               /* end-entity DER */
	int ee_overflow;
	br_x509_decoder_context dc;  /* skip mode: decoded EE key */
	int have_key;
};

struct conn {
	struct sock s;    /* fd, deadlines, "host:port" */
	int is_tls;
	int is_server;
	int dead;         /* TLS engine unusable */
	int hs_done;      /* non-blocking use: the handshake has finished */
	int no_client_cert; /* client side, none configured (for hints) */
	enum conn_err err;
	char vname[256];  /* name verified, for messages */
	union {           /* types only: the server code lives in the mock */
		br_ssl_client_context cc;
		br_ssl_server_context sc;
	} u;
	br_ssl_engine_context *eng;
	br_x509_minimal_context xc;
	struct x509_wrap xw;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* A zeroed conn (plain until a TLS engine is set up on it). NULL with
 * err_set on allocation failure. */
struct conn *tls_conn_alloc(void);
/* Closes the socket, wipes (iobuf may hold secrets) and frees. */
void tls_conn_free(struct conn *c);

#endif
