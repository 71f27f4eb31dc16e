/* tls.c - TLS 1.2 client connections over net.h sockets, by BearSSL: trust
 * anchors from PEM files (pem.h), SNI, host name and IP-SAN checks, client
 * certificates, and the engine loop every connection (the mock's server
 * ones too) uses for reads and writes. No server code: the mock's TLS
 * server is mock/tlssrv.c.
 *
 * Deadlines come from net.h: one per call (handshake, conn_read,
 * conn_write), or one shared by every call of an exchange
 * (conn_set_deadline), so that a peer dripping bytes cannot stretch it. The
 * BearSSL engine is driven by our own loop (not br_sslio) so that EOF,
 * timeouts and TLS errors can be told apart and reported with host:port
 * context. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "log.h"
#include "net.h"
#include "pem.h"
#include "tls.h"
#include "tls_conn.h"

#define MAX_EE_DER (64 * 1024) /* end-entity certificate kept for our checks */

struct tls_client {
	br_x509_trust_anchor *tas;
	size_t ntas;
	br_x509_certificate *chain; /* client certificate chain, EE first */
	size_t nchain;
	struct pem_key key;
	const char *server_name;
	int skip_verify;
};

int64_t
conn_now_ms(void)
{
	return net_now_ms();
}

void
conn_set_interrupt(volatile sig_atomic_t *flag)
{
	net_set_interrupt(flag);
}


/* Fills buf from getrandom(), retrying short reads and EINTR. 0 / -1. */
int
tls_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n > 256 ? 256 : n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set("getrandom: %s", strerror(errno));
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *
memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q == NULL) {
		err_set("out of memory");
		return NULL;
	}
	if (n)
		memcpy(q, p, n);
	return q;
}

static void
dn_collect(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	if (buf_append(b, data, len) == -1)
		b->len = (size_t)-1 / 4;
}

static void
ta_free(br_x509_trust_anchor *tas, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(tas[i].dn.data);
		if (tas[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(tas[i].pkey.key.rsa.n);
			free(tas[i].pkey.key.rsa.e);
		} else {
			free(tas[i].pkey.key.ec.q);
		}
	}
	free(tas);
}

/* Appends one anchor made from a DER certificate. 0 / -1 (err_set). */
static int
ta_add(struct tls_client *tc, size_t *cap, const unsigned char *der,
    size_t len, const char *path)
{
	br_x509_decoder_context dc;
	br_x509_trust_anchor *ta, *tmp;
	const br_x509_pkey *pk;
	struct buf dn = { 0 };

	br_x509_decoder_init(&dc, dn_collect, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || dn.len == (size_t)-1 / 4) {
		err_set("CA file %s: bad certificate (%s)", path,
		    tls_error_name(br_x509_decoder_last_error(&dc)));
		buf_free(&dn);
		return -1;
	}
	if (tc->ntas == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		if ((tmp = calloc(ncap, sizeof(*tmp))) == NULL) {
			err_set("out of memory");
			buf_free(&dn);
			return -1;
		}
		if (tc->ntas)
			memcpy(tmp, tc->tas, tc->ntas * sizeof(*tmp));
		free(tc->tas);
		tc->tas = tmp;
		*cap = ncap;
	}
	ta = &tc->tas[tc->ntas];
	memset(ta, 0, sizeof(*ta));
	ta->dn.len = dn.len;
	ta->dn.data = (unsigned char *)buf_take(&dn);
	if (ta->dn.data == NULL)
		return -1;
	/* Anchors are trusted as CAs; a non-CA anchor only allows direct
	 * trust of that exact key, which BearSSL handles when the flag is
	 * absent. */
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memdup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = memdup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		tc->ntas++; /* counted first so that ta_free releases it */
		if (ta->pkey.key.rsa.n == NULL || ta->pkey.key.rsa.e == NULL)
			return -1;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memdup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		tc->ntas++;
		if (ta->pkey.key.ec.q == NULL)
			return -1;
	}
	return 0;
}

/* Adds every certificate of a PEM file as an anchor. Returns the number
 * added, or -1 (err_set). */
static int
ta_load_file(struct tls_client *tc, size_t *cap, const char *path)
{
	struct pem_obj *objs;
	size_t n, i;
	int added = 0;

	if ((objs = pem_read(path, "CA file", &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (!pem_is_cert(objs[i].name))
			continue;
		if (ta_add(tc, cap, objs[i].der, objs[i].len, path) == -1) {
			pem_objs_free(objs, n);
			return -1;
		}
		added++;
	}
	pem_objs_free(objs, n);
	return added;
}

/* Every regular file in dir that holds PEM certificates (VAULT_CAPATH). */
static int
ta_load_dir(struct tls_client *tc, size_t *cap, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int total = 0, n;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		err_set("CA directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((n = ta_load_file(tc, cap, path)) == -1) {
			closedir(d);
			return -1;
		}
		total += n;
	}
	closedir(d);
	if (total == 0) {
		err_set("CA directory %s: no PEM certificates found", dir);
		return -1;
	}
	return total;
}

static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",               /* Debian, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",                 /* RHEL, Fedora */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",                           /* SUSE */
	"/etc/ssl/cert.pem",                                /* BSD, macOS */
};

static int
ta_load(struct tls_client *tc, const struct tls_config *cfg)
{
	const char *file = cfg->ca_file;
	size_t cap = 0, i;
	int n;

	if (file == NULL && cfg->ca_dir == NULL) {
		file = getenv("SSL_CERT_FILE");
		if (file != NULL && *file == '\0')
			file = NULL;
		for (i = 0; file == NULL &&
		    i < sizeof(system_bundles) / sizeof(system_bundles[0]); i++)
			if (access(system_bundles[i], R_OK) == 0)
				file = system_bundles[i];
		if (file == NULL) {
			if (cfg->skip_verify)
				return 0;
			err_set("no CA bundle found (set VAULT_CACERT or "
			    "SSL_CERT_FILE)");
			return -1;
		}
	}
	if (file != NULL) {
		if ((n = ta_load_file(tc, &cap, file)) == -1)
			return -1;
		if (n == 0) {
			err_set("CA file %s: no PEM certificates found", file);
			return -1;
		}
	}
	if (cfg->ca_dir != NULL && ta_load_dir(tc, &cap, cfg->ca_dir) == -1)
		return -1;
	return 0;
}

/* Loads anchors and the client credentials now. Owned by the caller
 * (tls_client_free); cfg strings are only read here except server_name,
 * which is borrowed. NULL with err_set. */
struct tls_client *
tls_client_new(const struct tls_config *cfg)
{
	struct tls_client *tc;

	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	tc->skip_verify = cfg->skip_verify;
	if (cfg->server_name && *cfg->server_name)
		tc->server_name = cfg->server_name;
	if (ta_load(tc, cfg) == -1)
		goto fail;
	if ((cfg->client_cert != NULL) != (cfg->client_key != NULL)) {
		err_set("client certificate and client key must be given "
		    "together");
		goto fail;
	}
	if (cfg->client_cert) {
		if (pem_chain_load(cfg->client_cert, "client certificate",
		    &tc->chain, &tc->nchain) == -1)
			goto fail;
		if (pem_key_load(cfg->client_key, &tc->key) == -1 ||
		    pem_key_check_pair(&tc->chain[0], &tc->key,
		    "client certificate", cfg->client_cert,
		    cfg->client_key) == -1)
			goto fail;
	}
	return tc;
fail:
	tls_client_free(tc);
	return NULL;
}

/* Frees anchors and wipes the client key. NULL-safe. */
void
tls_client_free(struct tls_client *tc)
{
	if (tc == NULL)
		return;
	ta_free(tc->tas, tc->ntas);
	pem_chain_free(tc->chain, tc->nchain);
	pem_key_free(&tc->key);
	free(tc);
}

/* ---- DER walking for the iPAddress SAN ------------------------------- */

/* Reads one DER element at *p (< end): tag, content and its length. Moves
 * *p past the element. 0 / -1 on malformed input. */
static int
der_next(const unsigned char **p, const unsigned char *end, int *tag,
    const unsigned char **content, size_t *clen)
{
	const unsigned char *q = *p;
	size_t len = 0;
	int nb;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* multi-byte tags do not occur where we look */
	if (*q < 0x80) {
		len = *q++;
	} else {
		nb = *q++ & 0x7f;
		if (nb == 0 || nb > 4 || end - q < nb)
			return -1;
		while (nb-- > 0)
			len = (len << 8) | *q++;
	}
	if ((size_t)(end - q) < len)
		return -1;
	*content = q;
	*clen = len;
	*p = q + len;
	return 0;
}

/* 1 when the certificate's subjectAltName has an iPAddress equal to ip,
 * 0 when not (or no SAN), -1 on malformed DER. */
static int
san_has_ip(const unsigned char *der, size_t len, const unsigned char *ip,
    size_t iplen)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *p = der, *end = der + len, *c, *e, *x, *xe;
	const unsigned char *oid, *val;
	size_t clen, oidlen, vlen;
	int tag;

	/* Certificate SEQUENCE -> tbsCertificate SEQUENCE */
	if (der_next(&p, end, &tag, &c, &clen) == -1 || tag != 0x30)
		return -1;
	p = c;
	end = c + clen;
	if (der_next(&p, end, &tag, &c, &clen) == -1 || tag != 0x30)
		return -1;
	p = c;
	end = c + clen;
	/* Skip to the [3] explicit extensions. */
	while (p < end) {
		if (der_next(&p, end, &tag, &c, &clen) == -1)
			return -1;
		if (tag != 0xa3)
			continue;
		e = c + clen;
		if (der_next(&c, e, &tag, &x, &clen) == -1 || tag != 0x30)
			return -1;
		xe = x + clen;
		while (x < xe) { /* each Extension */
			const unsigned char *ext, *exte;
			if (der_next(&x, xe, &tag, &ext, &clen) == -1 ||
			    tag != 0x30)
				return -1;
			exte = ext + clen;
			if (der_next(&ext, exte, &tag, &oid, &oidlen) == -1 ||
			    tag != 0x06)
				return -1;
			if (oidlen != sizeof(san_oid) ||
			    memcmp(oid, san_oid, oidlen) != 0)
				continue;
			if (der_next(&ext, exte, &tag, &val, &vlen) == -1)
				return -1;
			if (tag == 0x01 && der_next(&ext, exte, &tag, &val,
			    &vlen) == -1) /* critical flag */
				return -1;
			if (tag != 0x04)
				return -1;
			/* GeneralNames SEQUENCE */
			{
				const unsigned char *g = val, *ge = val + vlen;
				const unsigned char *gn, *gc;
				size_t gl;
				if (der_next(&g, ge, &tag, &gn, &gl) == -1 ||
				    tag != 0x30)
					return -1;
				g = gn;
				ge = gn + gl;
				while (g < ge) {
					if (der_next(&g, ge, &tag, &gc, &gl) ==
					    -1)
						return -1;
					if (tag == 0x87 && gl == iplen &&
					    memcmp(gc, ip, iplen) == 0)
						return 1;
				}
			}
			return 0;
		}
		return 0;
	}
	return 0;
}

/* ---- X.509 wrapper --------------------------------------------------- */

static void
xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;

	w->certno = -1;
	w->ee.len = 0;
	w->ee_overflow = 0;
	w->have_key = 0;
	if (!w->skip)
		(*w->inner)->start_chain(w->inner, server_name);
}

static void
xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;

	w->certno++;
	if (!w->skip)
		(*w->inner)->start_cert(w->inner, length);
}

static void
xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;

	if (w->certno == 0 && !w->ee_overflow) {
		if (w->ee.len + len > MAX_EE_DER ||
		    buf_append(&w->ee, buf, len) == -1)
			w->ee_overflow = 1;
	}
	if (!w->skip)
		(*w->inner)->append(w->inner, buf, len);
}

static void
xw_end_cert(const br_x509_class **ctx)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;

	if (!w->skip)
		(*w->inner)->end_cert(w->inner);
}

static unsigned
xw_end_chain(const br_x509_class **ctx)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;
	unsigned r;

	if (w->skip) {
		if (w->certno < 0 || w->ee_overflow)
			return BR_ERR_X509_EMPTY_CHAIN;
		br_x509_decoder_init(&w->dc, pem_dn_ignore, NULL);
		br_x509_decoder_push(&w->dc, w->ee.data, w->ee.len);
		if (br_x509_decoder_get_pkey(&w->dc) == NULL)
			return (unsigned)br_x509_decoder_last_error(&w->dc);
		w->have_key = 1;
		return 0;
	}
	r = (*w->inner)->end_chain(w->inner);
	if (r != 0 || !w->check_ip)
		return r;
	if (w->ee_overflow ||
	    san_has_ip((unsigned char *)w->ee.data, w->ee.len, w->ip,
	    w->iplen) != 1)
		return BR_ERR_X509_BAD_SERVER_NAME;
	return 0;
}

static const br_x509_pkey *
xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct x509_wrap *w = (struct x509_wrap *)(void *)ctx;

	if (w->skip) {
		if (!w->have_key)
			return NULL;
		if (usages)
			*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
		return br_x509_decoder_get_pkey(&w->dc);
	}
	return (*w->inner)->get_pkey(w->inner, usages);
}

static const br_x509_class xw_vtable = {
	sizeof(struct x509_wrap),
	xw_start_chain,
	xw_start_cert,
	xw_append,
	xw_end_cert,
	xw_end_chain,
	xw_get_pkey,
};

/* ---- connections ------------------------------------------------------- */

struct conn *
tls_conn_alloc(void)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	c->s.fd = -1;
	return c;
}

void
tls_conn_free(struct conn *c)
{
	sock_close(&c->s);
	buf_free(&c->xw.ee);
	explicit_bzero(c, sizeof(*c)); /* iobuf may hold secrets */
	free(c);
}

/* ---- TLS engine loop --------------------------------------------------- */

/* Runs the engine until one of the states in want is reached. 0, or -1
 * when the engine closed or failed or the socket did (see fields). */
static int
tls_run(struct conn *c, unsigned want)
{
	unsigned char *p;
	unsigned st;
	size_t len;
	ssize_t n;
	int flushed = 0;

	if (c->dead)
		return -1;
	for (;;) {
		st = br_ssl_engine_current_state(c->eng);
		if (st & BR_SSL_CLOSED)
			return -1;
		if (st & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(c->eng, &len);
			if ((n = sock_write(&c->s, p, len)) < 0) {
				c->dead = 1;
				return -1;
			}
			br_ssl_engine_sendrec_ack(c->eng, (size_t)n);
			flushed = 0;
			continue;
		}
		if (st & want)
			return 0;
		if ((want & BR_SSL_SENDAPP) && (st & BR_SSL_RECVAPP))
			return 0; /* caller must read first; avoid deadlock */
		if (st & BR_SSL_RECVREC) {
			p = br_ssl_engine_recvrec_buf(c->eng, &len);
			if ((n = sock_read(&c->s, p, len)) <= 0) {
				c->dead = 1;
				return -1;
			}
			br_ssl_engine_recvrec_ack(c->eng, (size_t)n);
			flushed = 0;
			continue;
		}
		if (flushed) {
			c->dead = 1; /* no way forward; never spin */
			return -1;
		}
		flushed = 1;
		br_ssl_engine_flush(c->eng, 0);
	}
}

/* Describes a TLS-level failure (engine error, or socket). */
static void
tls_fail(struct conn *c, const char *op)
{
	int e = br_ssl_engine_last_error(c->eng);
	const char *name = tls_error_name(e);

	if (e == 0 || e == BR_ERR_IO) {
		if (c->s.timed_out || c->s.eof || c->s.err_no) {
			c->err = sock_fail(&c->s, op);
			return;
		}
		c->err = CONN_E_IO;
		err_set("%s %s: connection closed", op, c->s.where);
		return;
	}
	c->err = CONN_E_TLS;
	switch (e) {
	case BR_ERR_X509_NOT_TRUSTED:
		err_set("TLS: certificate for %s not trusted (%s)", c->vname,
		    name);
		return;
	case BR_ERR_X509_EXPIRED:
		err_set("TLS: certificate for %s has expired or is not yet "
		    "valid (%s)", c->vname, name);
		return;
	case BR_ERR_X509_BAD_SERVER_NAME:
		err_set("TLS: certificate does not match host name %s (%s)",
		    c->vname, name);
		return;
	case BR_ERR_RECV_FATAL_ALERT + 70:
		err_set("%s %s failed: server requires TLS 1.3 (BearSSL "
		    "supports TLS 1.2 only) (alert 70 received)", op, c->s.where);
		return;
	default:
		break;
	}
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT)
		err_set("%s %s failed: %s (alert %d received)%s", op, c->s.where,
		    tls_alert_name(e - BR_ERR_RECV_FATAL_ALERT),
		    e - BR_ERR_RECV_FATAL_ALERT, c->no_client_cert &&
		    (e == BR_ERR_RECV_FATAL_ALERT + 40 ||
		    e == BR_ERR_RECV_FATAL_ALERT + 42 ||
		    e == BR_ERR_RECV_FATAL_ALERT + 116) ?
		    "; the server may require a client certificate" : "");
	else if (e >= BR_ERR_SEND_FATAL_ALERT)
		err_set("%s %s failed: %s (alert %d sent)", op, c->s.where,
		    tls_alert_name(e - BR_ERR_SEND_FATAL_ALERT),
		    e - BR_ERR_SEND_FATAL_ALERT);
	else if (e >= BR_ERR_X509_OK)
		err_set("TLS: certificate for %s rejected (%s)", c->vname,
		    name);
	else
		err_set("%s %s failed (%s)", op, c->s.where, name);
}

static void
set_key(br_ssl_client_context *cc, const struct tls_client *tc)
{
	if (tc->key.type == BR_KEYTYPE_RSA)
		br_ssl_client_set_single_rsa(cc, tc->chain, tc->nchain,
		    &tc->key.rsa, br_rsa_pkcs1_sign_get_default());
	else if (tc->key.type == BR_KEYTYPE_EC)
		br_ssl_client_set_single_ec(cc, tc->chain, tc->nchain,
		    &tc->key.ec, BR_KEYTYPE_SIGN, 0, br_ec_get_default(),
		    br_ecdsa_sign_asn1_get_default());
}


/* The client's TLS: 1.2 only, forward-secret AEAD suites only (ECDHE with
 * AES-GCM, RSA or ECDSA certificates), which every Vault (Go crypto/tls)
 * and AWS endpoint offers. Naming only these, rather than
 * br_ssl_client_init_full's everything, keeps CBC, 3DES and static-RSA
 * key exchange out of the protocol and out of the static binary;
 * ChaCha20-Poly1305 is left out too (6 KB, for the 400 KiB target): no
 * server vaultdr talks to requires it, and BearSSL's AES (AES-NI, else
 * the constant-time aes_ct64) covers hosts without AES instructions. */
static void
client_init_tls12(br_ssl_client_context *cc, br_x509_minimal_context *xc,
    const br_x509_trust_anchor *tas, size_t ntas)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	};
	static const struct {
		int id;
		const br_hash_class *impl;
	} hashes[] = {
		{ br_sha1_ID, &br_sha1_vtable },
		{ br_sha224_ID, &br_sha224_vtable },
		{ br_sha256_ID, &br_sha256_vtable },
		{ br_sha384_ID, &br_sha384_vtable },
		{ br_sha512_ID, &br_sha512_vtable },
	};
	br_ssl_engine_context *eng = &cc->eng;
	size_t i;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof(suites) / sizeof(suites[0]));
	br_x509_minimal_init(xc, &br_sha256_vtable, tas, ntas);
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		br_ssl_engine_set_hash(eng, hashes[i].id, hashes[i].impl);
		br_x509_minimal_set_hash(xc, hashes[i].id, hashes[i].impl);
	}
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng); /* also the curves for ECDHE */
	br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(eng));
	br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(eng),
	    br_ssl_engine_get_ecdsa(eng));
	br_ssl_engine_set_x509(eng, &xc->vtable);
}

/* Client handshake on c->s.fd. 0 / -1 (err_set, c->err). */
static int
tls_handshake(struct conn *c, const char *host, struct tls_client *tc)
{
	unsigned char seed[32];
	const char *sni;
	char name[256];
	size_t len;
	int af;

	/* The name we verify: server_name override, else the host without a
	 * trailing dot. */
	snprintf(name, sizeof(name), "%s", tc->server_name ? tc->server_name :
	    host);
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	snprintf(c->vname, sizeof(c->vname), "%s", name);

	c->no_client_cert = tc->key.type == 0;
	c->eng = &c->u.cc.eng;
	client_init_tls12(&c->u.cc, &c->xc, tc->tas, tc->ntas);
	br_ssl_engine_add_flags(c->eng, BR_OPT_NO_RENEGOTIATION);
	set_key(&c->u.cc, tc);

	c->xw.vtable = &xw_vtable;
	c->xw.inner = &c->xc.vtable;
	c->xw.skip = tc->skip_verify;
	sni = name;
	af = strchr(name, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, name, c->xw.ip) == 1) {
		/* BearSSL matches only dNSName: check the iPAddress SAN
		 * ourselves; an IP literal is never sent as SNI. */
		c->xw.check_ip = 1;
		c->xw.iplen = af == AF_INET6 ? 16 : 4;
		sni = NULL;
	}
	br_ssl_engine_set_x509(c->eng, &c->xw.vtable);

	if (tls_random(seed, sizeof(seed)) == -1) {
		c->err = CONN_E_CONFIG;
		return -1;
	}
	br_ssl_engine_inject_entropy(c->eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	br_ssl_engine_set_buffer(c->eng, c->iobuf, sizeof(c->iobuf), 1);
	if (!br_ssl_client_reset(&c->u.cc, sni, 0)) {
		tls_fail(c, "TLS handshake with");
		return -1;
	}
	c->is_tls = 1;
	sock_arm(&c->s);
	br_ssl_engine_flush(c->eng, 0);
	if (tls_run(c, BR_SSL_SENDAPP) == -1) {
		tls_fail(c, "TLS handshake with");
		return -1;
	}
	return 0;
}

/* Caller owns the conn (conn_close). NULL with err_set and *err. */
struct conn *
conn_connect(const char *host, int port, struct tls_client *tc,
    int connect_timeout_ms, int io_timeout_ms, enum conn_err *err)
{
	struct conn *c;

	if ((c = tls_conn_alloc()) == NULL) {
		*err = CONN_E_IO;
		return NULL;
	}
	if (net_connect(&c->s, host, port, connect_timeout_ms, io_timeout_ms,
	    err) == -1) {
		tls_conn_free(c);
		return NULL;
	}
	if (tc != NULL && tls_handshake(c, host, tc) == -1) {
		*err = c->err;
		tls_conn_free(c);
		return NULL;
	}
	*err = CONN_OK;
	return c;
}

/* TLS client handshake on an open plain connection (a tunnel through a
 * proxy), host verified; messages then name host:port. 0 / -1 (err_set). */
int
conn_start_tls(struct conn *c, const char *host, int port,
    struct tls_client *tc)
{
	if (c->is_tls) {
		err_set("TLS already running on %s", c->s.where);
		c->err = CONN_E_CONFIG;
		return -1;
	}
	net_where(c->s.where, sizeof(c->s.where), host, port);
	if (tls_handshake(c, host, tc) == -1) {
		if (c->err == CONN_OK)
			c->err = CONN_E_TLS;
		return -1;
	}
	return 0;
}

/* >0 bytes, 0 EOF (close_notify or TCP close), -1 error/timeout with
 * err_set and conn_error(). One io timeout per call, or the exchange's
 * deadline. */
ssize_t
conn_read(struct conn *c, void *buf, size_t n)
{
	unsigned char *p;
	size_t len;
	ssize_t r;

	if (n == 0)
		return 0;
	sock_arm(&c->s);
	if (!c->is_tls) {
		if ((r = sock_read(&c->s, buf, n)) < 0) {
			c->err = sock_fail(&c->s, "read from");
			return -1;
		}
		return r;
	}
	if (tls_run(c, BR_SSL_RECVAPP) == -1) {
		int e = br_ssl_engine_last_error(c->eng);
		/* close_notify, or a TCP close without it: EOF; the HTTP
		 * framing decides whether the data was complete. */
		if ((e == 0 && !c->s.timed_out && !c->s.err_no) ||
		    (c->s.eof && (e == 0 || e == BR_ERR_IO) &&
		    (!c->is_server || br_ssl_engine_get_version(c->eng))))
			return 0;
		tls_fail(c, c->is_server && !br_ssl_engine_get_version(c->eng) ?
		    "TLS handshake with" : "read from");
		return -1;
	}
	p = br_ssl_engine_recvapp_buf(c->eng, &len);
	if (len > n)
		len = n;
	memcpy(buf, p, len);
	br_ssl_engine_recvapp_ack(c->eng, len);
	return (ssize_t)len;
}

/* Sends and flushes all n bytes within one io timeout (or the exchange's
 * deadline). 0 / -1 (err_set). */
int
conn_write(struct conn *c, const void *buf, size_t n)
{
	const unsigned char *src = buf;
	unsigned char *p;
	size_t len;
	ssize_t r;

	sock_arm(&c->s);
	if (!c->is_tls) {
		while (n > 0) {
			if ((r = sock_write(&c->s, src, n)) < 0) {
				c->err = sock_fail(&c->s, "write to");
				return -1;
			}
			src += r;
			n -= (size_t)r;
		}
		return 0;
	}
	while (n > 0) {
		if (tls_run(c, BR_SSL_SENDAPP) == -1)
			goto fail;
		p = br_ssl_engine_sendapp_buf(c->eng, &len);
		if (p == NULL) {
			/* Unread application data blocks us: not in HTTP's
			 * request/response order. */
			err_set("write to %s: peer sent unexpected data",
			    c->s.where);
			c->err = CONN_E_IO;
			return -1;
		}
		if (len > n)
			len = n;
		memcpy(p, src, len);
		br_ssl_engine_sendapp_ack(c->eng, len);
		src += len;
		n -= len;
	}
	br_ssl_engine_flush(c->eng, 0);
	/* Push the records out: run until nothing is left to send. */
	for (;;) {
		unsigned st = br_ssl_engine_current_state(c->eng);
		if (st & BR_SSL_CLOSED)
			goto fail;
		if (!(st & BR_SSL_SENDREC))
			break;
		p = br_ssl_engine_sendrec_buf(c->eng, &len);
		if ((r = sock_write(&c->s, p, len)) < 0) {
			c->dead = 1;
			goto fail;
		}
		br_ssl_engine_sendrec_ack(c->eng, (size_t)r);
	}
	return 0;
fail:
	tls_fail(c, c->is_server && !br_ssl_engine_get_version(c->eng) ?
	    "TLS handshake with" : "write to");
	return -1;
}

enum conn_err
conn_error(const struct conn *c)
{
	return c->err;
}

int
conn_fd(const struct conn *c)
{
	return c->s.fd;
}

void
conn_set_timeout(struct conn *c, int io_timeout_ms)
{
	c->s.timeout_ms = io_timeout_ms;
}

void
conn_set_deadline(struct conn *c, int ms)
{
	sock_set_deadline(&c->s, ms);
}

/* close_notify without waiting, close, wipe, free. NULL-safe. */
void
conn_close(struct conn *c)
{
	unsigned char *p;
	size_t len;
	ssize_t r;

	if (c == NULL)
		return;
	if (c->is_tls && !c->dead &&
	    !(br_ssl_engine_current_state(c->eng) & BR_SSL_CLOSED)) {
		/* close_notify, best effort: one non-blocking attempt. */
		br_ssl_engine_close(c->eng);
		while (br_ssl_engine_current_state(c->eng) & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(c->eng, &len);
			r = send(c->s.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r <= 0)
				break;
			br_ssl_engine_sendrec_ack(c->eng, (size_t)r);
		}
	}
	tls_conn_free(c);
}

/* Close without close_notify, wipe, free. NULL-safe. */
void
conn_abort(struct conn *c)
{
	if (c == NULL)
		return;
	tls_conn_free(c);
}
