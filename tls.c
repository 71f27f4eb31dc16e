/* tls.c - TCP connections with deadlines, optionally wrapped in TLS 1.2 by
 * BearSSL: trust anchors and keys from PEM files, SNI, host name and IP-SAN
 * checks, client certificates, server side for the mock.
 *
 * Every socket operation polls against an absolute CLOCK_MONOTONIC deadline:
 * by default one set per public call (connect, handshake, conn_read,
 * conn_write), or one shared by every call of an exchange
 * (conn_set_deadline), so that a peer dripping bytes cannot stretch it. The BearSSL engine is driven
 * by our own loop (not br_sslio) so that EOF, timeouts and TLS errors can be
 * told apart and reported with host:port context. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "log.h"
#include "tls.h"

#define MAX_EE_DER (64 * 1024) /* end-entity certificate kept for our checks */
#define MAX_PEM_FILE (16 * 1024 * 1024)

/* A private key copied out of the BearSSL decoder. */
struct tls_key {
	int type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC, 0 = none */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *mem; /* one allocation holding all key bytes */
	size_t memlen;
};

struct tls_client {
	br_x509_trust_anchor *tas;
	size_t ntas;
	br_x509_certificate *chain; /* client certificate chain, EE first */
	size_t nchain;
	struct tls_key key;
	const char *server_name;
	int skip_verify;
};

struct tls_server {
	br_x509_certificate *chain;
	size_t nchain;
	struct tls_key key;
};

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
	int fd;
	int is_tls;
	int is_server;
	int timeout_ms;
	int64_t deadline; /* ms, CLOCK_MONOTONIC, for the current call */
	int64_t fixed;    /* >0: deadline shared by every call (exchange) */
	int fixed_ms;     /* its length, for messages */
	int timed_out;    /* last socket failure was the deadline */
	int sock_eof;     /* peer closed TCP */
	int sock_errno;
	int dead;         /* TLS engine unusable */
	int no_client_cert; /* client side, none configured (for hints) */
	enum conn_err err;
	char where[300];  /* "host:port" for messages */
	char vname[256];  /* name verified, for messages */
	union {
		br_ssl_client_context cc;
		br_ssl_server_context sc;
	} u;
	br_ssl_engine_context *eng;
	br_x509_minimal_context xc;
	struct x509_wrap xw;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "10", "0.3": seconds for messages. */
static const char *
secs(int ms, char *out, size_t outsz)
{
	if (ms % 1000 == 0)
		snprintf(out, outsz, "%d", ms / 1000);
	else
		snprintf(out, outsz, "%g", ms / 1000.0);
	return out;
}

/* Milliseconds left before the deadline, at least 0. */
static int
remaining(const struct conn *c)
{
	int64_t left = c->deadline - now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static void
arm(struct conn *c)
{
	if (c->fixed > 0)
		c->deadline = c->fixed;
	else
		c->deadline = now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 0);
}

int64_t
conn_now_ms(void)
{
	return now_ms();
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

/* ---- error names ---------------------------------------------------- */

static const struct {
	int code;
	const char *name;
} errnames[] = {
	{ BR_ERR_OK, "BR_ERR_OK" },
	{ BR_ERR_BAD_PARAM, "BR_ERR_BAD_PARAM" },
	{ BR_ERR_BAD_STATE, "BR_ERR_BAD_STATE" },
	{ BR_ERR_UNSUPPORTED_VERSION, "BR_ERR_UNSUPPORTED_VERSION" },
	{ BR_ERR_BAD_VERSION, "BR_ERR_BAD_VERSION" },
	{ BR_ERR_BAD_LENGTH, "BR_ERR_BAD_LENGTH" },
	{ BR_ERR_TOO_LARGE, "BR_ERR_TOO_LARGE" },
	{ BR_ERR_BAD_MAC, "BR_ERR_BAD_MAC" },
	{ BR_ERR_NO_RANDOM, "BR_ERR_NO_RANDOM" },
	{ BR_ERR_UNKNOWN_TYPE, "BR_ERR_UNKNOWN_TYPE" },
	{ BR_ERR_UNEXPECTED, "BR_ERR_UNEXPECTED" },
	{ BR_ERR_BAD_CCS, "BR_ERR_BAD_CCS" },
	{ BR_ERR_BAD_ALERT, "BR_ERR_BAD_ALERT" },
	{ BR_ERR_BAD_HANDSHAKE, "BR_ERR_BAD_HANDSHAKE" },
	{ BR_ERR_OVERSIZED_ID, "BR_ERR_OVERSIZED_ID" },
	{ BR_ERR_BAD_CIPHER_SUITE, "BR_ERR_BAD_CIPHER_SUITE" },
	{ BR_ERR_BAD_COMPRESSION, "BR_ERR_BAD_COMPRESSION" },
	{ BR_ERR_BAD_FRAGLEN, "BR_ERR_BAD_FRAGLEN" },
	{ BR_ERR_BAD_SECRENEG, "BR_ERR_BAD_SECRENEG" },
	{ BR_ERR_EXTRA_EXTENSION, "BR_ERR_EXTRA_EXTENSION" },
	{ BR_ERR_BAD_SNI, "BR_ERR_BAD_SNI" },
	{ BR_ERR_BAD_HELLO_DONE, "BR_ERR_BAD_HELLO_DONE" },
	{ BR_ERR_LIMIT_EXCEEDED, "BR_ERR_LIMIT_EXCEEDED" },
	{ BR_ERR_BAD_FINISHED, "BR_ERR_BAD_FINISHED" },
	{ BR_ERR_RESUME_MISMATCH, "BR_ERR_RESUME_MISMATCH" },
	{ BR_ERR_INVALID_ALGORITHM, "BR_ERR_INVALID_ALGORITHM" },
	{ BR_ERR_BAD_SIGNATURE, "BR_ERR_BAD_SIGNATURE" },
	{ BR_ERR_WRONG_KEY_USAGE, "BR_ERR_WRONG_KEY_USAGE" },
	{ BR_ERR_NO_CLIENT_AUTH, "BR_ERR_NO_CLIENT_AUTH" },
	{ BR_ERR_IO, "BR_ERR_IO" },
	{ BR_ERR_X509_OK, "BR_ERR_X509_OK" },
	{ BR_ERR_X509_INVALID_VALUE, "BR_ERR_X509_INVALID_VALUE" },
	{ BR_ERR_X509_TRUNCATED, "BR_ERR_X509_TRUNCATED" },
	{ BR_ERR_X509_EMPTY_CHAIN, "BR_ERR_X509_EMPTY_CHAIN" },
	{ BR_ERR_X509_INNER_TRUNC, "BR_ERR_X509_INNER_TRUNC" },
	{ BR_ERR_X509_BAD_TAG_CLASS, "BR_ERR_X509_BAD_TAG_CLASS" },
	{ BR_ERR_X509_BAD_TAG_VALUE, "BR_ERR_X509_BAD_TAG_VALUE" },
	{ BR_ERR_X509_INDEFINITE_LENGTH, "BR_ERR_X509_INDEFINITE_LENGTH" },
	{ BR_ERR_X509_EXTRA_ELEMENT, "BR_ERR_X509_EXTRA_ELEMENT" },
	{ BR_ERR_X509_UNEXPECTED, "BR_ERR_X509_UNEXPECTED" },
	{ BR_ERR_X509_NOT_CONSTRUCTED, "BR_ERR_X509_NOT_CONSTRUCTED" },
	{ BR_ERR_X509_NOT_PRIMITIVE, "BR_ERR_X509_NOT_PRIMITIVE" },
	{ BR_ERR_X509_PARTIAL_BYTE, "BR_ERR_X509_PARTIAL_BYTE" },
	{ BR_ERR_X509_BAD_BOOLEAN, "BR_ERR_X509_BAD_BOOLEAN" },
	{ BR_ERR_X509_OVERFLOW, "BR_ERR_X509_OVERFLOW" },
	{ BR_ERR_X509_BAD_DN, "BR_ERR_X509_BAD_DN" },
	{ BR_ERR_X509_BAD_TIME, "BR_ERR_X509_BAD_TIME" },
	{ BR_ERR_X509_UNSUPPORTED, "BR_ERR_X509_UNSUPPORTED" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "BR_ERR_X509_LIMIT_EXCEEDED" },
	{ BR_ERR_X509_WRONG_KEY_TYPE, "BR_ERR_X509_WRONG_KEY_TYPE" },
	{ BR_ERR_X509_BAD_SIGNATURE, "BR_ERR_X509_BAD_SIGNATURE" },
	{ BR_ERR_X509_TIME_UNKNOWN, "BR_ERR_X509_TIME_UNKNOWN" },
	{ BR_ERR_X509_EXPIRED, "BR_ERR_X509_EXPIRED" },
	{ BR_ERR_X509_DN_MISMATCH, "BR_ERR_X509_DN_MISMATCH" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "BR_ERR_X509_BAD_SERVER_NAME" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "BR_ERR_X509_CRITICAL_EXTENSION" },
	{ BR_ERR_X509_NOT_CA, "BR_ERR_X509_NOT_CA" },
	{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "BR_ERR_X509_FORBIDDEN_KEY_USAGE" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "BR_ERR_X509_WEAK_PUBLIC_KEY" },
	{ BR_ERR_X509_NOT_TRUSTED, "BR_ERR_X509_NOT_TRUSTED" },
};

static const struct {
	int n;
	const char *name;
} alertnames[] = {
	{ 0, "close_notify" }, { 10, "unexpected_message" },
	{ 20, "bad_record_mac" }, { 22, "record_overflow" },
	{ 40, "handshake_failure" }, { 42, "bad_certificate" },
	{ 43, "unsupported_certificate" }, { 44, "certificate_revoked" },
	{ 45, "certificate_expired" }, { 46, "certificate_unknown" },
	{ 47, "illegal_parameter" }, { 48, "unknown_ca" },
	{ 49, "access_denied" }, { 50, "decode_error" },
	{ 51, "decrypt_error" }, { 70, "protocol_version" },
	{ 71, "insufficient_security" }, { 80, "internal_error" },
	{ 86, "inappropriate_fallback" }, { 90, "user_canceled" },
	{ 100, "no_renegotiation" }, { 109, "missing_extension" },
	{ 110, "unsupported_extension" }, { 112, "unrecognized_name" },
	{ 115, "unknown_psk_identity" }, { 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

static const char *
alert_name(int n)
{
	size_t i;

	for (i = 0; i < sizeof(alertnames) / sizeof(alertnames[0]); i++)
		if (alertnames[i].n == n)
			return alertnames[i].name;
	return "unknown alert";
}

/* Static name of a BearSSL code; alerts and unknown codes are formatted
 * into a thread-local buffer valid until the next call in that thread. */
const char *
tls_error_name(int err)
{
	static _Thread_local char tmp[64];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].code == err)
			return errnames[i].name;
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256)
		snprintf(tmp, sizeof(tmp), "BR_ERR_RECV_FATAL_ALERT+%d",
		    err - BR_ERR_RECV_FATAL_ALERT);
	else if (err >= BR_ERR_SEND_FATAL_ALERT &&
	    err < BR_ERR_SEND_FATAL_ALERT + 256)
		snprintf(tmp, sizeof(tmp), "BR_ERR_SEND_FATAL_ALERT+%d",
		    err - BR_ERR_SEND_FATAL_ALERT);
	else
		snprintf(tmp, sizeof(tmp), "BR_ERR_UNKNOWN_%d", err);
	return tmp;
}

/* ---- PEM / DER loading ----------------------------------------------- */

static char *
read_file(const char *path, size_t *len, const char *what)
{
	struct buf b = { 0 };
	char tmp[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_set("%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set("%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > MAX_PEM_FILE) {
			err_set("%s %s: file too large", what, path);
			goto fail;
		}
		if (buf_append(&b, tmp, (size_t)n) == -1)
			goto fail;
	}
	close(fd);
	explicit_bzero(tmp, sizeof(tmp));
	*len = b.len;
	return buf_take(&b);
fail:
	close(fd);
	explicit_bzero(tmp, sizeof(tmp));
	buf_free(&b);
	return NULL;
}

struct pem_obj {
	char name[128];
	unsigned char *der; /* owned */
	size_t len;
};

static void
pem_objs_free(struct pem_obj *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (o[i].der) {
			explicit_bzero(o[i].der, o[i].len);
			free(o[i].der);
		}
	}
	free(o);
}

static void
pem_collect(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	/* Allocation failure is noticed at END: the length will not match. */
	if (buf_append(b, data, len) == -1)
		b->len = (size_t)-1 / 4;
}

/* Decodes every PEM object in data. Returns the array (caller frees with
 * pem_objs_free) and count in *n; NULL with err_set on a malformed file. A
 * file with no objects gives a non-NULL empty array. */
static struct pem_obj *
pem_decode(const char *data, size_t len, size_t *n, const char *what,
    const char *path)
{
	br_pem_decoder_context pc;
	struct pem_obj *objs = NULL, *tmp;
	struct buf cur = { 0 };
	size_t nobj = 0, cap = 0, k;
	const char *p = data;
	int pass = 0, inobj = 0;

	br_pem_decoder_init(&pc);
	if ((objs = calloc(1, sizeof(*objs))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	cap = 1;
	/* Pass 0 is the file; pass 1 pushes the "\n" that completes a last
	 * line without newline. */
	while (pass < 2) {
		if (len == 0) {
			if (pass++ == 0) {
				p = "\n";
				len = 1;
			}
			continue;
		}
		k = br_pem_decoder_push(&pc, p, len);
		p += k;
		len -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			buf_free(&cur);
			inobj = 1;
			br_pem_decoder_setdest(&pc, pem_collect, &cur);
			if (nobj == cap) {
				tmp = calloc(cap * 2, sizeof(*objs));
				if (tmp == NULL) {
					err_set("out of memory");
					goto fail;
				}
				memcpy(tmp, objs, nobj * sizeof(*objs));
				free(objs);
				objs = tmp;
				cap *= 2;
			}
			snprintf(objs[nobj].name, sizeof(objs[nobj].name), "%s",
			    br_pem_decoder_name(&pc));
			break;
		case BR_PEM_END_OBJ:
			if (!inobj)
				break;
			inobj = 0;
			if (cur.len == (size_t)-1 / 4) {
				err_set("out of memory");
				goto fail;
			}
			objs[nobj].len = cur.len;
			objs[nobj].der = (unsigned char *)buf_take(&cur);
			if (objs[nobj].der == NULL)
				goto fail;
			nobj++;
			break;
		case BR_PEM_ERROR:
			err_set("%s %s: malformed PEM", what, path);
			goto fail;
		default:
			break;
		}
	}
	buf_free(&cur);
	*n = nobj;
	return objs;
fail:
	buf_free(&cur);
	pem_objs_free(objs, nobj);
	return NULL;
}

static int
is_cert_name(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 ||
	    strcmp(name, "X509 CERTIFICATE") == 0 ||
	    strcmp(name, "TRUSTED CERTIFICATE") == 0;
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
	size_t len, n, i;
	char *data;
	int added = 0;

	if ((data = read_file(path, &len, "CA file")) == NULL)
		return -1;
	objs = pem_decode(data, len, &n, "CA file", path);
	free(data);
	if (objs == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_cert_name(objs[i].name))
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

/* Certificate chain from a PEM file: array of owned DER blobs. */
static int
chain_load(const char *path, const char *what, br_x509_certificate **out,
    size_t *nout)
{
	struct pem_obj *objs;
	br_x509_certificate *ch;
	size_t len, n, i, k = 0;
	char *data;

	if ((data = read_file(path, &len, what)) == NULL)
		return -1;
	objs = pem_decode(data, len, &n, what, path);
	free(data);
	if (objs == NULL)
		return -1;
	if ((ch = calloc(n ? n : 1, sizeof(*ch))) == NULL) {
		err_set("out of memory");
		pem_objs_free(objs, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!is_cert_name(objs[i].name))
			continue;
		ch[k].data = objs[i].der; /* moved */
		ch[k].data_len = objs[i].len;
		objs[i].der = NULL;
		k++;
	}
	pem_objs_free(objs, n);
	if (k == 0) {
		err_set("%s %s: no PEM certificate found", what, path);
		free(ch);
		return -1;
	}
	*out = ch;
	*nout = k;
	return 0;
}

static void
chain_free(br_x509_certificate *ch, size_t n)
{
	size_t i;

	for (i = 0; ch && i < n; i++)
		free(ch[i].data);
	free(ch);
}

static void
key_free(struct tls_key *k)
{
	if (k->mem) {
		explicit_bzero(k->mem, k->memlen);
		free(k->mem);
	}
	memset(k, 0, sizeof(*k));
}

/* Copies the decoded key out of the decoder context into one allocation. */
static int
key_copy(struct tls_key *k, const br_skey_decoder_context *dc)
{
	const br_rsa_private_key *rsa;
	const br_ec_private_key *ec;
	unsigned char *p;

	if (br_skey_decoder_key_type(dc) == BR_KEYTYPE_RSA) {
		rsa = br_skey_decoder_get_rsa(dc);
		k->memlen = rsa->plen + rsa->qlen + rsa->dplen + rsa->dqlen +
		    rsa->iqlen;
		if ((k->mem = p = malloc(k->memlen)) == NULL)
			goto oom;
		k->rsa = *rsa;
		memcpy(p, rsa->p, rsa->plen);
		k->rsa.p = p;
		p += rsa->plen;
		memcpy(p, rsa->q, rsa->qlen);
		k->rsa.q = p;
		p += rsa->qlen;
		memcpy(p, rsa->dp, rsa->dplen);
		k->rsa.dp = p;
		p += rsa->dplen;
		memcpy(p, rsa->dq, rsa->dqlen);
		k->rsa.dq = p;
		p += rsa->dqlen;
		memcpy(p, rsa->iq, rsa->iqlen);
		k->rsa.iq = p;
		k->type = BR_KEYTYPE_RSA;
	} else {
		ec = br_skey_decoder_get_ec(dc);
		k->memlen = ec->xlen;
		if ((k->mem = malloc(k->memlen)) == NULL)
			goto oom;
		k->ec = *ec;
		memcpy(k->mem, ec->x, ec->xlen);
		k->ec.x = k->mem;
		k->type = BR_KEYTYPE_EC;
	}
	return 0;
oom:
	err_set("out of memory");
	return -1;
}

/* Loads the first private key of a PEM file (PKCS#1, SEC1 or PKCS#8). */
static int
key_load(const char *path, struct tls_key *k)
{
	br_skey_decoder_context dc;
	struct pem_obj *objs;
	size_t len, n, i;
	char *data;
	int rc = -1, found = 0;

	if ((data = read_file(path, &len, "key file")) == NULL)
		return -1;
	objs = pem_decode(data, len, &n, "key file", path);
	explicit_bzero(data, len);
	free(data);
	if (objs == NULL)
		return -1;
	for (i = 0; i < n && !found; i++) {
		if (strcmp(objs[i].name, "ENCRYPTED PRIVATE KEY") == 0) {
			err_set("key file %s: encrypted keys are not supported",
			    path);
			goto out;
		}
		if (strcmp(objs[i].name, "RSA PRIVATE KEY") != 0 &&
		    strcmp(objs[i].name, "EC PRIVATE KEY") != 0 &&
		    strcmp(objs[i].name, "PRIVATE KEY") != 0)
			continue;
		found = 1;
		br_skey_decoder_init(&dc);
		br_skey_decoder_push(&dc, objs[i].der, objs[i].len);
		if (br_skey_decoder_last_error(&dc) != 0) {
			err_set("key file %s: cannot decode %s (%s)", path,
			    objs[i].name,
			    tls_error_name(br_skey_decoder_last_error(&dc)));
			explicit_bzero(&dc, sizeof(dc));
			goto out;
		}
		rc = key_copy(k, &dc);
		explicit_bzero(&dc, sizeof(dc));
	}
	if (!found)
		err_set("key file %s: no private key found", path);
out:
	pem_objs_free(objs, n);
	return rc;
}

static void dn_ignore(void *ctx, const void *data, size_t len);

/* Skips the leading zero bytes of a big-endian integer. */
static void
trim_zeros(const unsigned char **p, size_t *len)
{
	while (*len > 0 && **p == 0) {
		(*p)++;
		(*len)--;
	}
}

/* Whether two big-endian integers are equal, ignoring leading zeros. */
static int
bigint_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	trim_zeros(&a, &alen);
	trim_zeros(&b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

static const char *
key_type_name(int t)
{
	return t == BR_KEYTYPE_RSA ? "RSA" : t == BR_KEYTYPE_EC ? "EC" :
	    "unsupported";
}

/* Checks that private key k belongs to the end-entity certificate der (the
 * same RSA modulus and public exponent, or the same curve and EC point),
 * so that a mismatched pair fails at load time, naming both files, rather
 * than as an opaque handshake error later. 0 / -1 (err_set). */
static int
key_check_pair(const br_x509_certificate *ee, const struct tls_key *k,
    const char *what, const char *cert_path, const char *key_path)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int match = 0;

	br_x509_decoder_init(&dc, dn_ignore, NULL);
	br_x509_decoder_push(&dc, ee->data, ee->data_len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL) {
		err_set("%s %s: cannot decode the first certificate (%s)",
		    what, cert_path,
		    tls_error_name(br_x509_decoder_last_error(&dc)));
		return -1;
	}
	if (pk->key_type != k->type) {
		err_set("%s %s holds an %s public key but key file %s is an "
		    "%s key: they do not belong together", what, cert_path,
		    key_type_name(pk->key_type), key_path,
		    key_type_name(k->type));
		return -1;
	}
	if (k->type == BR_KEYTYPE_RSA) {
		br_rsa_compute_modulus modulus =
		    br_rsa_compute_modulus_get_default();
		br_rsa_compute_pubexp pubexp =
		    br_rsa_compute_pubexp_get_default();
		unsigned char *n, e[4];
		size_t nlen = modulus(NULL, &k->rsa);
		uint32_t ev = pubexp(&k->rsa);

		/* The modulus decides (p and q factor exactly one n); the
		 * exponent is compared too when BearSSL can recompute it
		 * (its compute_pubexp gives 0 for some valid keys). */
		if (nlen > 0 && (n = malloc(nlen)) != NULL) {
			e[0] = (unsigned char)(ev >> 24);
			e[1] = (unsigned char)(ev >> 16);
			e[2] = (unsigned char)(ev >> 8);
			e[3] = (unsigned char)ev;
			if (modulus(n, &k->rsa) == nlen)
				match = bigint_eq(n, nlen, pk->key.rsa.n,
				    pk->key.rsa.nlen) && (ev == 0 ||
				    bigint_eq(e, 4, pk->key.rsa.e,
				    pk->key.rsa.elen));
			free(n);
		}
	} else {
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;

		if (br_ec_compute_pub(br_ec_get_default(), &pub, q,
		    &k->ec) != 0)
			match = pub.curve == pk->key.ec.curve &&
			    pub.qlen == pk->key.ec.qlen &&
			    memcmp(pub.q, pk->key.ec.q, pub.qlen) == 0;
	}
	if (!match) {
		err_set("%s %s and key file %s do not match (the key is not "
		    "the certificate's private key)", what, cert_path,
		    key_path);
		return -1;
	}
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
		if (chain_load(cfg->client_cert, "client certificate",
		    &tc->chain, &tc->nchain) == -1)
			goto fail;
		if (key_load(cfg->client_key, &tc->key) == -1 ||
		    key_check_pair(&tc->chain[0], &tc->key,
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
	chain_free(tc->chain, tc->nchain);
	key_free(&tc->key);
	free(tc);
}

/* Chain + key for the mock; caller frees with tls_server_free. NULL with
 * err_set naming the file. */
struct tls_server *
tls_server_load(const char *cert_file, const char *key_file)
{
	struct tls_server *ts;

	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	if (chain_load(cert_file, "certificate file", &ts->chain,
	    &ts->nchain) == -1 || key_load(key_file, &ts->key) == -1 ||
	    key_check_pair(&ts->chain[0], &ts->key, "certificate file",
	    cert_file, key_file) == -1) {
		tls_server_free(ts);
		return NULL;
	}
	return ts;
}

/* Wipes the key and frees. NULL-safe; no conn may still use ts. */
void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	chain_free(ts->chain, ts->nchain);
	key_free(&ts->key);
	free(ts);
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
dn_ignore(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
}

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
		br_x509_decoder_init(&w->dc, dn_ignore, NULL);
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

/* ---- sockets ----------------------------------------------------------- */

static volatile sig_atomic_t *intr_flag;

void
conn_set_interrupt(volatile sig_atomic_t *flag)
{
	intr_flag = flag;
}

static int
interrupted(void)
{
	return intr_flag != NULL && *intr_flag != 0;
}

/* Waits for events on fd until the call's deadline: 1 ready, 0 timeout,
 * -1 error (errno; EINTR when a stop was requested). */
static int
wait_fd(struct conn *c, short events)
{
	struct pollfd pfd;
	int r;

	for (;;) {
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, remaining(c));
		if (r < 0 && errno == EINTR && interrupted())
			return -1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 && remaining(c) > 0)
			continue; /* early wake-up, rounding */
		return r > 0;
	}
}

/* Reads at most n bytes before the deadline: >0, 0 EOF, -1 (timed_out or
 * sock_errno set). */
static ssize_t
sock_read(struct conn *c, void *buf, size_t n)
{
	ssize_t r;
	int w;

	for (;;) {
		r = recv(c->fd, buf, n, 0);
		if (r >= 0) {
			if (r == 0)
				c->sock_eof = 1;
			return r;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->sock_errno = errno;
			return -1;
		}
		if ((w = wait_fd(c, POLLIN)) == 0) {
			c->timed_out = 1;
			return -1;
		}
		if (w < 0) {
			c->sock_errno = errno;
			return -1;
		}
	}
}

/* Writes at most n bytes before the deadline: >0 or -1. */
static ssize_t
sock_write(struct conn *c, const void *buf, size_t n)
{
	ssize_t r;
	int w;

	for (;;) {
		r = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->sock_errno = errno;
			return -1;
		}
		if ((w = wait_fd(c, POLLOUT)) == 0) {
			c->timed_out = 1;
			return -1;
		}
		if (w < 0) {
			c->sock_errno = errno;
			return -1;
		}
	}
}

/* Describes a socket-level failure of the current operation. */
static void
sock_fail(struct conn *c, const char *op)
{
	char s[32];

	if (c->timed_out) {
		c->err = CONN_E_TIMEOUT;
		err_set("%s %s timed out after %s s", op, c->where,
		    secs(c->fixed > 0 ? c->fixed_ms : c->timeout_ms, s,
		    sizeof(s)));
	} else if (c->sock_eof) {
		c->err = CONN_E_IO;
		err_set("%s %s: connection closed by peer", op, c->where);
	} else {
		c->err = CONN_E_IO;
		err_set("%s %s: %s", op, c->where,
		    strerror(c->sock_errno ? c->sock_errno : EIO));
	}
}

static void
fmt_where(char *out, size_t outsz, const char *host, int port)
{
	if (strchr(host, ':'))
		snprintf(out, outsz, "[%s]:%d", host, port);
	else
		snprintf(out, outsz, "%s:%d", host, port);
}

/* Connects one address before the deadline: fd, or -1 with *timed_out or
 * errno describing why. */
static int
connect_one(const struct addrinfo *ai, int64_t deadline, int *timed_out)
{
	struct pollfd pfd;
	socklen_t sl;
	int fd, r, soerr, left;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	for (;;) {
		left = (int)(deadline - now_ms());
		if (left <= 0) {
			*timed_out = 1;
			errno = ETIMEDOUT;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR && interrupted())
			goto fail;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r > 0)
			break;
	}
	sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	r = errno;
	close(fd);
	errno = r;
	return -1;
}

static struct conn *
conn_alloc(int fd, int io_timeout_ms)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = io_timeout_ms;
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
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
			if ((n = sock_write(c, p, len)) < 0) {
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
			if ((n = sock_read(c, p, len)) <= 0) {
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
		if (c->timed_out || c->sock_eof || c->sock_errno) {
			sock_fail(c, op);
			return;
		}
		c->err = CONN_E_IO;
		err_set("%s %s: connection closed", op, c->where);
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
		    "supports TLS 1.2 only) (alert 70 received)", op, c->where);
		return;
	default:
		break;
	}
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT)
		err_set("%s %s failed: %s (alert %d received)%s", op, c->where,
		    alert_name(e - BR_ERR_RECV_FATAL_ALERT),
		    e - BR_ERR_RECV_FATAL_ALERT, c->no_client_cert &&
		    (e == BR_ERR_RECV_FATAL_ALERT + 40 ||
		    e == BR_ERR_RECV_FATAL_ALERT + 42 ||
		    e == BR_ERR_RECV_FATAL_ALERT + 116) ?
		    "; the server may require a client certificate" : "");
	else if (e >= BR_ERR_SEND_FATAL_ALERT)
		err_set("%s %s failed: %s (alert %d sent)", op, c->where,
		    alert_name(e - BR_ERR_SEND_FATAL_ALERT),
		    e - BR_ERR_SEND_FATAL_ALERT);
	else if (e >= BR_ERR_X509_OK)
		err_set("TLS: certificate for %s rejected (%s)", c->vname,
		    name);
	else
		err_set("%s %s failed (%s)", op, c->where, name);
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

/* Client handshake on c->fd. 0 / -1 (err_set, c->err). */
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
	br_ssl_client_init_full(&c->u.cc, &c->xc, tc->tas, tc->ntas);
	br_ssl_engine_set_versions(c->eng, BR_TLS12, BR_TLS12);
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
	arm(c);
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
	struct addrinfo hints, *res = NULL, *ai;
	struct conn *c = NULL;
	char portstr[16], where[300], s[32];
	int64_t deadline;
	int fd = -1, rc, timed_out = 0, saved = 0, one = 1;

	*err = CONN_E_CONFIG;
	fmt_where(where, sizeof(where), host, port);
	if (port < 1 || port > 65535) {
		err_set("connect to %s: bad port", where);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		*err = CONN_E_RESOLVE;
		err_set("cannot resolve %s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return NULL;
	}
	deadline = now_ms() + (connect_timeout_ms > 0 ? connect_timeout_ms : 0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		timed_out = 0;
		if ((fd = connect_one(ai, deadline, &timed_out)) != -1)
			break;
		saved = errno;
		if (timed_out)
			break; /* the deadline covers all addresses */
	}
	freeaddrinfo(res);
	if (fd == -1) {
		if (timed_out) {
			*err = CONN_E_TIMEOUT;
			err_set("connect to %s timed out after %s s", where,
			    secs(connect_timeout_ms, s, sizeof(s)));
		} else {
			*err = CONN_E_CONNECT;
			err_set("connect to %s: %s", where, strerror(saved));
		}
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = conn_alloc(fd, io_timeout_ms)) == NULL) {
		close(fd);
		*err = CONN_E_IO;
		return NULL;
	}
	snprintf(c->where, sizeof(c->where), "%s", where);
	if (tc != NULL && tls_handshake(c, host, tc) == -1) {
		*err = c->err;
		conn_free(c);
		return NULL;
	}
	*err = CONN_OK;
	return c;
}

/* Takes fd; the conn (own contexts and buffer, usable from one thread)
 * is owned by the caller. NULL on allocation failure (fd closed). */
struct conn *
conn_accept(int fd, struct tls_server *ts, int io_timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "client";
	unsigned char seed[32];
	struct conn *c;
	int fl, port = 0;

	if ((c = conn_alloc(fd, io_timeout_ms)) == NULL) {
		close(fd);
		return NULL;
	}
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	c->is_server = 1;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	fmt_where(c->where, sizeof(c->where), host, port);
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
		conn_free(c);
		return NULL;
	}
	br_ssl_engine_inject_entropy(c->eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	br_ssl_engine_set_buffer(c->eng, c->iobuf, sizeof(c->iobuf), 1);
	if (!br_ssl_server_reset(&c->u.sc)) {
		err_set("TLS server setup failed (%s)",
		    tls_error_name(br_ssl_engine_last_error(c->eng)));
		conn_free(c);
		return NULL;
	}
	c->is_tls = 1;
	return c;
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
	c->timed_out = c->sock_eof = c->sock_errno = 0;
	arm(c);
	if (!c->is_tls) {
		if ((r = sock_read(c, buf, n)) < 0) {
			sock_fail(c, "read from");
			return -1;
		}
		return r;
	}
	if (tls_run(c, BR_SSL_RECVAPP) == -1) {
		int e = br_ssl_engine_last_error(c->eng);
		/* close_notify, or a TCP close without it: EOF; the HTTP
		 * framing decides whether the data was complete. */
		if ((e == 0 && !c->timed_out && !c->sock_errno) ||
		    (c->sock_eof && (e == 0 || e == BR_ERR_IO) &&
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

	c->timed_out = c->sock_eof = c->sock_errno = 0;
	arm(c);
	if (!c->is_tls) {
		while (n > 0) {
			if ((r = sock_write(c, src, n)) < 0) {
				sock_fail(c, "write to");
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
			    c->where);
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
		if ((r = sock_write(c, p, len)) < 0) {
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
	return c->fd;
}

void
conn_set_timeout(struct conn *c, int io_timeout_ms)
{
	c->timeout_ms = io_timeout_ms;
}

void
conn_set_deadline(struct conn *c, int ms)
{
	if (ms < 0) {
		c->fixed = 0;
		c->fixed_ms = 0;
		return;
	}
	c->fixed = now_ms() + ms;
	if (c->fixed <= 0)
		c->fixed = 1; /* keep "set" distinct from "none" */
	c->fixed_ms = ms;
}

const char *
conn_server_name(const struct conn *c)
{
	if (!c->is_tls || !c->is_server)
		return "";
	return br_ssl_engine_get_server_name(c->eng);
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
			r = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r <= 0)
				break;
			br_ssl_engine_sendrec_ack(c->eng, (size_t)r);
		}
	}
	conn_free(c);
}

/* Close without close_notify, wipe, free. NULL-safe. */
void
conn_abort(struct conn *c)
{
	if (c == NULL)
		return;
	conn_free(c);
}
