/* sigv4.h - AWS Signature Version 4 (header flavour), normal-service rules
 * (dot segments removed, repeated slashes collapsed, each segment
 * URI-encoded once), with BearSSL's SHA-256 and HMAC. */
#ifndef VAULTDR_SIGV4_H
#define VAULTDR_SIGV4_H
#include <stddef.h>
#include "buf.h"
#include "http.h"

struct sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL or "" when none */
};

struct sigv4_req {
	const char *method;
	const char *target;   /* request target as on the wire: path[?query] */
	const struct http_header *hdrs; /* every header to sign, including Host
	                                   and X-Amz-Date (and X-Amz-Security-Token) */
	size_t nhdrs;
	const unsigned char *body;
	size_t body_len;
	const char *amz_date; /* "YYYYMMDDTHHMMSSZ" */
	const char *region;   /* "us-east-1" */
	const char *service;  /* "route53" */
};

/* Canonical request (no trailing newline) into creq, SignedHeaders into
 * signed_headers. 0 / -1. */
int sigv4_canonical_request(const struct sigv4_req *r, struct buf *creq,
    struct buf *signed_headers);
/* String to sign from a canonical request. 0 / -1. */
int sigv4_string_to_sign(const struct sigv4_req *r, const char *creq,
    struct buf *sts);
/* Full Authorization header value "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
 * into authz. creq_out / sts_out may be NULL. 0 / -1. */
int sigv4_authorization(const struct sigv4_req *r, const struct sigv4_creds *c,
    struct buf *authz, struct buf *creq_out, struct buf *sts_out);
/* Formats t as "YYYYMMDDTHHMMSSZ" (UTC). */
void sigv4_amz_date(long long t, char out[17]);
/* Lower-case hex SHA-256 of data into out[65]. */
void sigv4_sha256_hex(const void *data, size_t n, char out[65]);

#endif
