/* tsig.h - TSIG (RFC 8945): signing DNS requests and verifying the answers
 * with HMAC-SHA256 (default), HMAC-SHA512 or HMAC-SHA1 (BearSSL br_hmac).
 *
 * The key's secret is kept base64-encoded in a struct secret (registered for
 * redaction, wiped by tsig_key_wipe); it is decoded into a stack buffer only
 * for the length of one MAC and wiped there too. */
#ifndef VAULTDR_TSIG_H
#define VAULTDR_TSIG_H
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "secret.h"

#define TSIG_MAC_MAX 64   /* SHA-512 */
#define TSIG_FUDGE 300    /* seconds either side, as BIND and RFC 8945 use */

enum tsig_alg { TSIG_HMAC_SHA256, TSIG_HMAC_SHA512, TSIG_HMAC_SHA1 };

struct tsig_key {
	char name[DNS_TEXT_MAX];   /* key name, e.g. "vaultdr-key" */
	int alg;                   /* enum tsig_alg */
	struct secret secret;      /* base64 */
};

/* "hmac-sha256", "HMAC-SHA512.", ... -> enum tsig_alg. 0 / -1 (err_set
 * lists the accepted names). */
int tsig_alg_parse(const char *name, int *alg);
/* "hmac-sha256" etc. (the algorithm's name on the wire, without the dot). */
const char *tsig_alg_name(int alg);

/* Fills k: name (checked to be a valid DNS name), algorithm name (NULL =
 * hmac-sha256) and the base64 secret b64[0..n) (checked to decode to 1..128
 * bytes). k must be zeroed or wiped before. 0 / -1 (err_set; never shows
 * the secret). */
int tsig_key_init(struct tsig_key *k, const char *name, const char *alg,
    const char *b64, size_t n);
/* Reads a BIND-style key file: key "name" { algorithm hmac-sha256; secret
 * "base64"; }; (comments #, //, C-style allowed). want_name: the key to take
 * when the file holds several, or NULL for the first. 0 / -1 (err_set names
 * the file and what is wrong, never the secret). */
int tsig_key_file(struct tsig_key *k, const char *path, const char *want_name);
/* Same, from text in memory (src names it in errors). */
int tsig_key_parse(struct tsig_key *k, const char *text, size_t n,
    const char *src, const char *want_name);
/* Wipes the secret and clears k. NULL-safe. */
void tsig_key_wipe(struct tsig_key *k);

/* Signs the finished message m[0..*len) (buffer capacity cap): appends a
 * TSIG record with time `now` (seconds since the epoch) and fudge
 * TSIG_FUDGE, increments ARCOUNT and updates *len. The MAC is stored in
 * mac (TSIG_MAC_MAX bytes) and its length in *maclen, for verifying the
 * answer. 0 / -1 (err_set). */
int tsig_sign(const struct tsig_key *k, unsigned char *m, size_t *len,
    size_t cap, uint64_t now, unsigned char *mac, size_t *maclen);

enum tsig_verdict {
	TSIG_OK = 0,
	TSIG_INVALID = -1,  /* unsigned, forged, wrong key/algorithm, stale */
	TSIG_REJECTED = -2, /* the server refused our request's signature
	                       (TSIG error BADTIME, ...) in an answer whose MAC
	                       verifies: authentic, the request was not done */
	TSIG_UNVERIFIABLE = -3, /* an answer with a TSIG error (BADSIG,
	                       BADKEY, ...) and no MAC, as RFC 8945 has servers
	                       send when they cannot check ours: most likely
	                       a wrong key, but nothing proves it came from
	                       the server */
};
/* Verifies the signed message m[0..n), already parsed into msg: its last
 * record must be a TSIG from key k (name and algorithm), its MAC must be
 * full-length and match, computed over the request's MAC req_mac[0..req_len)
 * (req_mac NULL: m is a request, no prior MAC), the message without the
 * TSIG record (ARCOUNT decremented, ID restored to the original) and the
 * TSIG variables; and its time must be within its fudge of now. Returns
 * enum tsig_verdict; err_set says which check failed, naming the TSIG error
 * in words (e.g. "the server answered BADSIG: it does not accept our key's
 * signature (wrong secret?)"). */
int tsig_verify(const struct tsig_key *k, const unsigned char *m, size_t n,
    const struct dns_msg *msg, const unsigned char *req_mac, size_t req_len,
    uint64_t now);

#endif
