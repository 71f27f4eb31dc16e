/* pem.c - PEM and DER loading for TLS: files read with a size limit,
 * every PEM object decoded, certificate chains, private keys (RSA or EC;
 * PKCS#1, SEC1, PKCS#8) copied out of BearSSL's decoder into one wiped
 * allocation, and the check that a key belongs to its certificate. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "pem.h"
#include "tlserr.h"

#define MAX_PEM_FILE (16 * 1024 * 1024)

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

void
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

int
pem_is_cert(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 ||
	    strcmp(name, "X509 CERTIFICATE") == 0 ||
	    strcmp(name, "TRUSTED CERTIFICATE") == 0;
}

/* Certificate chain from a PEM file: array of owned DER blobs. */
int
pem_chain_load(const char *path, const char *what, br_x509_certificate **out,
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
		if (!pem_is_cert(objs[i].name))
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

void
pem_chain_free(br_x509_certificate *ch, size_t n)
{
	size_t i;

	for (i = 0; ch && i < n; i++)
		free(ch[i].data);
	free(ch);
}

void
pem_key_free(struct pem_key *k)
{
	if (k->mem) {
		explicit_bzero(k->mem, k->memlen);
		free(k->mem);
	}
	memset(k, 0, sizeof(*k));
}

/* Copies the decoded key out of the decoder context into one allocation. */
static int
key_copy(struct pem_key *k, const br_skey_decoder_context *dc)
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
int
pem_key_load(const char *path, struct pem_key *k)
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

void
pem_dn_ignore(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
}

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
int
pem_key_check_pair(const br_x509_certificate *ee, const struct pem_key *k,
    const char *what, const char *cert_path, const char *key_path)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int match = 0;

	br_x509_decoder_init(&dc, pem_dn_ignore, NULL);
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

struct pem_obj *
pem_read(const char *path, const char *what, size_t *n)
{
	struct pem_obj *objs;
	size_t len;
	char *data;

	if ((data = read_file(path, &len, what)) == NULL)
		return NULL;
	objs = pem_decode(data, len, n, what, path);
	explicit_bzero(data, len); /* may be a private key */
	free(data);
	return objs;
}

