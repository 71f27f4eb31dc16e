/* sigcheck.h - the mock's one AWS SigV4 verifier, shared by Route 53
 * (mock/r53.c) and STS (mock/sts.c). */
#ifndef VAULTDR_MOCK_SIGCHECK_H
#define VAULTDR_MOCK_SIGCHECK_H

#include "mock/handler.h"

/* What a request must be signed with, and how the service answers a
 * request that is not. */
struct msig_keys {
	const char *access_key, *secret_key;
	const char *session_token; /* NULL: none expected */
	const char *service, *region;
	void (*error)(struct mresp *r, int status, const char *code,
	    const char *msg);
};

/* Checks q's Authorization header (AWS4-HMAC-SHA256) as AWS does: the
 * credential scope, X-Amz-Date within 5 minutes, the session token, the
 * signed headers present (host among them), and the signature recomputed
 * through sigv4.c over exactly those headers. 0; -1 with k->error's answer
 * in r. */
int msig_verify(const struct mreq *q, struct mresp *r,
    const struct msig_keys *k);

#endif
