/* pem.h - PEM/DER loading for TLS: PEM files decoded into DER objects,
 * certificate chains, private keys (RSA or EC; PKCS#1, SEC1, PKCS#8), and
 * the check that a key belongs to a certificate. Used by tls.c (CA bundles,
 * client credentials) and the mock's TLS server. Errors name the file. */
#ifndef VAULTDR_PEM_H
#define VAULTDR_PEM_H
#include <stddef.h>

#include <bearssl.h>

struct pem_obj {
	char name[128];     /* "CERTIFICATE", "PRIVATE KEY", ... */
	unsigned char *der; /* owned */
	size_t len;
};
/* Reads path (at most 16 MiB) and decodes every PEM object in it. Returns
 * the array (pem_objs_free; a file without objects gives an empty array)
 * and the count in *n; NULL with err_set ("<what> <path>: ..."). */
struct pem_obj *pem_read(const char *path, const char *what, size_t *n);
void pem_objs_free(struct pem_obj *o, size_t n); /* wipes the DER */
/* A BearSSL X.509 decoder's distinguished-name callback that ignores the
 * name. */
void pem_dn_ignore(void *ctx, const void *data, size_t len);
/* 1 for the PEM names of a certificate. */
int pem_is_cert(const char *name);

/* The certificates of a PEM file, in order (end-entity first): an array
 * of owned DER blobs (pem_chain_free). 0 / -1 (err_set "<what> <path>:
 * ..."; a file with no certificate is an error). */
int pem_chain_load(const char *path, const char *what,
    br_x509_certificate **out, size_t *nout);
void pem_chain_free(br_x509_certificate *ch, size_t n);

/* A private key copied out of the BearSSL decoder. */
struct pem_key {
	int type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC, 0 = none */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *mem; /* one allocation holding all key bytes */
	size_t memlen;
};
/* The first private key of a PEM file. 0 / -1 (err_set "key file <path>:
 * ..."; encrypted keys are refused). Wipe with pem_key_free. */
int pem_key_load(const char *path, struct pem_key *k);
void pem_key_free(struct pem_key *k); /* wipes; zeroes k */
/* Checks that k belongs to the certificate ee (same RSA modulus and
 * exponent, or same curve and EC point). 0 / -1 with err_set naming both
 * files ("<what> <cert_path> and key file <key_path> do not match ..."). */
int pem_key_check_pair(const br_x509_certificate *ee,
    const struct pem_key *k, const char *what, const char *cert_path,
    const char *key_path);

#endif
