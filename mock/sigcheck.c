/* sigcheck.c - the mock's AWS SigV4 verifier (Route 53 and STS): the
 * signature is recomputed through the client's sigv4.c over exactly the
 * headers the request names as signed, values as received, and compared;
 * the failures are answered with AWS's codes and messages. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mock/sigcheck.h"
#include "mock/state.h"
#include "sigv4.h"

#define SKEW_MS (5 * 60 * 1000LL)

/* Value of the n decimal digits at s (the caller checked they are). */
static int
dec(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* "20150830T123600Z" -> ms since the epoch, or -1. */
static long long
amz_time(const char *s)
{
	struct tm tm = { 0 };
	int i;

	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return -1;
	tm.tm_year = dec(s, 4) - 1900;
	tm.tm_mon = dec(s + 4, 2) - 1;
	tm.tm_mday = dec(s + 6, 2);
	tm.tm_hour = dec(s + 9, 2);
	tm.tm_min = dec(s + 11, 2);
	tm.tm_sec = dec(s + 13, 2);
	return (long long)timegm(&tm) * 1000;
}

/* The Authorization header's Credential (split into its five scope
 * elements in sc), SignedHeaders and Signature, and the scope checked
 * against k. 0; -1 answered. */
static int
auth_parse(const struct mreq *q, struct mresp *r, const struct msig_keys *k,
    char *cred, size_t credsz, char *sc[5], char *sh, size_t shsz,
    char *sig, size_t sigsz)
{
	const char *a = mreq_header(q, "authorization");
	char msg[400], *p;
	int n;

	if (a == NULL || *a == '\0') {
		k->error(r, 403, "MissingAuthenticationToken",
		    "Missing Authentication Token");
		return -1;
	}
	if (strncmp(a, "AWS4-HMAC-SHA256 ", 17) != 0 ||
	    mreq_auth_param(a + 17, "Credential", cred, credsz) == -1 ||
	    mreq_auth_param(a + 17, "SignedHeaders", sh, shsz) == -1 ||
	    mreq_auth_param(a + 17, "Signature", sig, sigsz) == -1) {
		k->error(r, 403, "IncompleteSignature", "Authorization header "
		    "requires 'Credential', 'Signature' and 'SignedHeaders' "
		    "parameters (AWS4-HMAC-SHA256).");
		return -1;
	}
	for (p = cred, n = 0; n < 5; n++) {
		sc[n] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 4 || p != NULL || strcmp(sc[4], "aws4_request") != 0) {
		k->error(r, 403, "IncompleteSignature", "Credential must have "
		    "exactly 5 slash-delimited elements, e.g. keyid/date/region/"
		    "service/term");
		return -1;
	}
	if (strcmp(sc[0], k->access_key) != 0) {
		k->error(r, 403, "InvalidClientTokenId", "The security token "
		    "included in the request is invalid.");
		return -1;
	}
	if (strcmp(sc[3], k->service) != 0 || strcmp(sc[2], k->region) != 0) {
		snprintf(msg, sizeof(msg), "Credential should be scoped to a "
		    "valid region and service: expected %s/%s, got %.60s/%.60s",
		    k->region, k->service, sc[2], sc[3]);
		k->error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	return 0;
}

/* X-Amz-Date present and within SKEW_MS of now; the session token when
 * one is expected, and signed. 0; -1 answered. */
static int
date_and_token(const struct mreq *q, struct mresp *r,
    const struct msig_keys *k, const char *sh)
{
	const char *date = mreq_header(q, "x-amz-date");
	const char *tok = mreq_header(q, "x-amz-security-token");
	char msg[400], ts[17], nowts[17], look[1100];
	long long t, now = wall_ms();

	if ((t = amz_time(date)) < 0) {
		k->error(r, 403, "IncompleteSignature", "Authorization header "
		    "requires existence of either a 'X-Amz-Date' or a 'Date' "
		    "header.");
		return -1;
	}
	sigv4_amz_date(now / 1000, nowts);
	if (t < now - SKEW_MS || t > now + SKEW_MS) {
		sigv4_amz_date((t < now ? now - SKEW_MS : now + SKEW_MS) / 1000,
		    ts);
		snprintf(msg, sizeof(msg), t < now ? "Signature expired: %s is "
		    "now earlier than %s (%s - 5 min.)" : "Signature not yet "
		    "current: %s is still later than %s (%s + 5 min.)", date,
		    ts, nowts);
		k->error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	snprintf(look, sizeof(look), ";%s;", sh);
	if (k->session_token && (tok == NULL ||
	    strcmp(tok, k->session_token) != 0 ||
	    strstr(look, ";x-amz-security-token;") == NULL)) {
		k->error(r, 403, "InvalidClientTokenId", "The security token "
		    "included in the request is invalid.");
		return -1;
	}
	return 0;
}

/* The headers named in sh (lower case), in arrival order, into hd. 0;
 * -1 answered (a signed header absent, no host); -2 a malformed list. */
static int
signed_headers(const struct mreq *q, struct mresp *r,
    const struct msig_keys *k, const char *sh, struct http_header *hd,
    size_t *nhd)
{
	char names[1024], msg[400], *save = NULL, *nm;
	int has_host = 0, found;
	size_t i;

	snprintf(names, sizeof(names), "%s", sh);
	for (nm = strtok_r(names, ";", &save); nm;
	    nm = strtok_r(NULL, ";", &save)) {
		for (i = 0; nm[i]; i++)
			if (isupper((unsigned char)nm[i]))
				return -2;
		if (strcmp(nm, "host") == 0)
			has_host = 1;
		for (i = 0, found = 0; i < q->nhdrs; i++)
			if (strcasecmp(q->hdrs[i].name, nm) == 0) {
				hd[(*nhd)++] = q->hdrs[i];
				found = 1;
			}
		if (!found) {
			snprintf(msg, sizeof(msg), "The request signature we "
			    "calculated does not match the signature you "
			    "provided. Signed header '%.100s' is not present.",
			    nm);
			k->error(r, 403, "SignatureDoesNotMatch", msg);
			return -1;
		}
	}
	if (!has_host) {
		k->error(r, 403, "IncompleteSignature", "'Host' or ':authority' "
		    "must be a 'SignedHeader' in the AWS Authorization.");
		return -1;
	}
	return 0;
}

/* 1 when the signature computed over hd matches sig and sh, with the
 * scope's date that of X-Amz-Date. */
static int
signature_matches(const struct mreq *q, const struct msig_keys *k,
    const struct http_header *hd, size_t nhd, char *const sc[5],
    const char *sh, const char *sig)
{
	const char *date = mreq_header(q, "x-amz-date");
	struct sigv4_creds cr = { k->access_key, k->secret_key,
		k->session_token };
	struct sigv4_req sr = { q->method, q->target, hd, nhd,
		(const unsigned char *)(q->body.data ? q->body.data : ""),
		q->body.len, date, sc[2], sc[3] };
	struct buf want = { 0 };
	const char *ws, *ss;
	int ok = 0;

	if (sigv4_authorization(&sr, &cr, &want, NULL, NULL) == 0 &&
	    (ws = strstr(want.data, "Signature=")) != NULL &&
	    (ss = strstr(want.data, "SignedHeaders=")) != NULL)
		ok = strcmp(ws + 10, sig) == 0 &&
		    strncmp(ss + 14, sh, strlen(sh)) == 0 &&
		    ss[14 + strlen(sh)] == ',' &&
		    strncmp(date, sc[1], 8) == 0;
	buf_free(&want);
	return ok;
}

int
msig_verify(const struct mreq *q, struct mresp *r, const struct msig_keys *k)
{
	char cred[512], sh[1024], sig[129], *sc[5] = { 0 };
	struct http_header *hd;
	size_t nhd = 0;
	int rc;

	if (auth_parse(q, r, k, cred, sizeof(cred), sc, sh, sizeof(sh), sig,
	    sizeof(sig)) == -1 || date_and_token(q, r, k, sh) == -1)
		return -1;
	/* Exactly the signed headers, values as received, arrival order;
	 * out of memory answers as a mismatch. */
	rc = (hd = calloc(q->nhdrs + 1, sizeof(*hd))) == NULL ? -2 :
	    signed_headers(q, r, k, sh, hd, &nhd);
	if (rc == 0 && !signature_matches(q, k, hd, nhd, sc, sh, sig))
		rc = -2;
	free(hd);
	if (rc == -2)
		k->error(r, 403, "SignatureDoesNotMatch", "The request "
		    "signature we calculated does not match the signature you "
		    "provided. Check your AWS Secret Access Key and signing "
		    "method. Consult the service documentation for details.");
	return rc == 0 ? 0 : -1;
}
