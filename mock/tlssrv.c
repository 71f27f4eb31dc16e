/* tlssrv.c - the mock's TLS server side (see tlssrv.h): BearSSL server
 * engines on accepted sockets; every read and write then goes through
 * tls.c's engine loop. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "log.h"
#include "net.h"
#include "pem.h"
#include "tls.h"
#include "tls_conn.h"
#include "tlssrv.h"

struct tls_server {
	br_x509_certificate *chain;
	size_t nchain;
	struct pem_key key;
};

struct tls_server *
tls_server_load(const char *cert_file, const char *key_file)
{
	struct tls_server *ts;

	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	if (pem_chain_load(cert_file, "certificate file", &ts->chain,
	    &ts->nchain) == -1 || pem_key_load(key_file, &ts->key) == -1 ||
	    pem_key_check_pair(&ts->chain[0], &ts->key, "certificate file",
	    cert_file, key_file) == -1) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	pem_chain_free(ts->chain, ts->nchain);
	pem_key_free(&ts->key);
	free(ts);
}

/* The conn (own contexts and buffer, usable from one thread) is owned by
 * the caller. */
struct conn *
conn_accept(int fd, struct tls_server *ts, int io_timeout_ms)
{
	unsigned char seed[32];
	struct conn *c;

	if ((c = tls_conn_alloc()) == NULL) {
		close(fd);
		return NULL;
	}
	net_adopt(&c->s, fd, io_timeout_ms);
	c->is_server = 1;
	if (ts == NULL)
		return c;
	c->eng = &c->u.sc.eng;
	if (ts->key.type == BR_KEYTYPE_RSA)
		br_ssl_server_init_full_rsa(&c->u.sc, ts->chain, ts->nchain,
		    &ts->key.rsa);
	else
		br_ssl_server_init_full_ec(&c->u.sc, ts->chain, ts->nchain,
		    BR_KEYTYPE_EC, &ts->key.ec);
	br_ssl_engine_set_versions(c->eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_add_flags(c->eng, BR_OPT_NO_RENEGOTIATION);
	if (tls_random(seed, sizeof(seed)) == -1) {
		tls_conn_free(c);
		return NULL;
	}
	br_ssl_engine_inject_entropy(c->eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	br_ssl_engine_set_buffer(c->eng, c->iobuf, sizeof(c->iobuf), 1);
	if (!br_ssl_server_reset(&c->u.sc)) {
		err_set("TLS server setup failed (%s)",
		    tls_error_name(br_ssl_engine_last_error(c->eng)));
		tls_conn_free(c);
		return NULL;
	}
	c->is_tls = 1;
	return c;
}

const char *
conn_server_name(const struct conn *c)
{
	if (!c->is_tls || !c->is_server)
		return "";
	return br_ssl_engine_get_server_name(c->eng);
}
