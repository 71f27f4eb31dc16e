/* sigv4.c - AWS Signature Version 4, header flavour, normal-service rules.
 *
 * Canonical URI: dot segments removed (RFC 3986 5.2.4), runs of '/' collapsed,
 * a trailing '/' kept, each segment URI-encoded once as it stands on the wire.
 * Canonical query: items split on '&' and the first '=', percent-decoded, then
 * re-encoded and sorted by (name, value) in byte order.  Canonical headers:
 * lower-case names, values trimmed with inner whitespace runs (including
 * obsolete line folding) squeezed to one space, duplicates joined with ','
 * in arrival order.  Every header the caller passes is signed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>

#include "buf.h"
#include "log.h"
#include "sigv4.h"

static const char hexdig[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

static void
hex_lower(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends p[0..n) with every byte outside the unreserved set as %XX. */
static int
uri_encode(struct buf *b, const char *p, size_t n)
{
	char esc[3];
	size_t i, run;

	for (i = 0; i < n;) {
		for (run = i; run < n && is_unreserved((unsigned char)p[run]);)
			run++;
		if (run > i && buf_append(b, p + i, run - i) == -1)
			return -1;
		if (run == n)
			break;
		esc[0] = '%';
		esc[1] = hexup[(unsigned char)p[run] >> 4];
		esc[2] = hexup[(unsigned char)p[run] & 15];
		if (buf_append(b, esc, 3) == -1)
			return -1;
		i = run + 1;
	}
	return 0;
}

/* Percent-decodes p[0..n) into a new buffer; a '%' not followed by two hex
 * digits stays literal. */
static int
pct_decode(struct buf *b, const char *p, size_t n)
{
	size_t i;
	int hi, lo;
	char c;

	if (buf_append(b, "", 0) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '%' && n - i >= 3 &&
		    (hi = hexval((unsigned char)p[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)p[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_append(b, &c, 1) == -1)
			return -1;
	}
	return 0;
}

/* Canonical URI of path[0..n). */
static int
canonical_uri(struct buf *out, const char *path, size_t n)
{
	struct { size_t off, len; } *seg = NULL;
	size_t nseg = 0, i, start, len;
	int trailing = 0, rc = -1;

	if ((seg = calloc(n / 2 + 2, sizeof(*seg))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (i = 0; i <= n;) {
		start = i;
		while (i < n && path[i] != '/')
			i++;
		len = i - start;
		/* "." and an empty last segment both just leave a trailing
		 * '/': the same body on purpose.
		 * NOLINTNEXTLINE(bugprone-branch-clone) */
		if (len == 1 && path[start] == '.') {
			trailing = 1;
		} else if (len == 2 && path[start] == '.' &&
		    path[start + 1] == '.') {
			if (nseg > 0)
				nseg--;
			trailing = 1;
		} else if (len > 0) {
			seg[nseg].off = start;
			seg[nseg].len = len;
			nseg++;
			trailing = 0;
		} else if (i == n && start > 0) {
			/* empty last segment: the path ends with '/' */
			trailing = 1;
		}
		i++;
	}
	if (buf_append(out, "/", 1) == -1)
		goto out;
	for (i = 0; i < nseg; i++) {
		if (i > 0 && buf_append(out, "/", 1) == -1)
			goto out;
		if (uri_encode(out, path + seg[i].off, seg[i].len) == -1)
			goto out;
	}
	if (nseg > 0 && trailing && buf_append(out, "/", 1) == -1)
		goto out;
	rc = 0;
out:
	free(seg);
	return rc;
}

struct qparam {
	char *name;
	char *value;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

/* Encodes one query component (decoded first) into a malloc'd string. */
static char *
query_component(const char *p, size_t n)
{
	struct buf dec = { 0 }, enc = { 0 };
	char *s = NULL;

	if (pct_decode(&dec, p, n) == -1)
		goto out;
	if (buf_append(&enc, "", 0) == -1 ||
	    uri_encode(&enc, dec.data, dec.len) == -1)
		goto out;
	s = buf_take(&enc);
out:
	buf_free(&dec);
	buf_free(&enc);
	return s;
}

/* Canonical query string of q[0..n) (without the '?'). */
static int
canonical_query(struct buf *out, const char *q, size_t n)
{
	struct qparam *qp = NULL;
	size_t nq = 0, cap = 1, i, start, eq;
	int rc = -1;

	for (i = 0; i < n; i++)
		if (q[i] == '&')
			cap++;
	if ((qp = calloc(cap, sizeof(*qp))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (i = 0; i <= n; i++) {
		start = i;
		while (i < n && q[i] != '&')
			i++;
		if (i == start)
			continue; /* empty item ("a&&b", trailing '&') */
		for (eq = start; eq < i && q[eq] != '='; eq++)
			;
		qp[nq].name = query_component(q + start, eq - start);
		qp[nq].value = eq < i ? query_component(q + eq + 1, i - eq - 1)
		    : query_component("", 0);
		nq++;
		if (qp[nq - 1].name == NULL || qp[nq - 1].value == NULL)
			goto out;
	}
	qsort(qp, nq, sizeof(*qp), qparam_cmp);
	for (i = 0; i < nq; i++) {
		if ((i > 0 && buf_append(out, "&", 1) == -1) ||
		    buf_puts(out, qp[i].name) == -1 ||
		    buf_append(out, "=", 1) == -1 ||
		    buf_puts(out, qp[i].value) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nq; i++) {
		free(qp[i].name);
		free(qp[i].value);
	}
	free(qp);
	return rc;
}

struct chdr {
	char *name;       /* lower-cased, malloc'd */
	size_t idx;       /* arrival order */
};

static int
chdr_cmp(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Appends value v trimmed, with inner whitespace runs squeezed to one space. */
static int
append_trimmed(struct buf *b, const char *v)
{
	const char *p = v, *q;

	while (*p && is_space((unsigned char)*p))
		p++;
	while (*p) {
		for (q = p; *q && !is_space((unsigned char)*q); q++)
			;
		if (buf_append(b, p, (size_t)(q - p)) == -1)
			return -1;
		while (*q && is_space((unsigned char)*q))
			q++;
		if (*q && buf_append(b, " ", 1) == -1)
			return -1;
		p = q;
	}
	return 0;
}

static int
canonical_headers(const struct sigv4_req *r, struct buf *out,
    struct buf *signed_headers)
{
	struct chdr *h = NULL;
	size_t i, k;
	char *p;
	int rc = -1;

	if (r->nhdrs == 0) {
		err_set("sigv4: no headers to sign (Host is required)");
		return -1;
	}
	if ((h = calloc(r->nhdrs, sizeof(*h))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (i = 0; i < r->nhdrs; i++) {
		if (r->hdrs[i].name == NULL || r->hdrs[i].name[0] == '\0' ||
		    r->hdrs[i].value == NULL) {
			err_set("sigv4: header %zu has no name or value", i);
			goto out;
		}
		if ((h[i].name = strdup(r->hdrs[i].name)) == NULL) {
			err_set("out of memory");
			goto out;
		}
		for (p = h[i].name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		h[i].idx = i;
	}
	qsort(h, r->nhdrs, sizeof(*h), chdr_cmp);
	for (i = 0; i < r->nhdrs; i = k) {
		if (buf_puts(out, h[i].name) == -1 ||
		    buf_append(out, ":", 1) == -1 ||
		    (i > 0 && buf_append(signed_headers, ";", 1) == -1) ||
		    buf_puts(signed_headers, h[i].name) == -1)
			goto out;
		for (k = i; k < r->nhdrs && strcmp(h[k].name, h[i].name) == 0;
		    k++) {
			if (k > i && buf_append(out, ",", 1) == -1)
				goto out;
			if (append_trimmed(out, r->hdrs[h[k].idx].value) == -1)
				goto out;
		}
		if (buf_append(out, "\n", 1) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < r->nhdrs; i++)
		free(h[i].name);
	free(h);
	return rc;
}

static int
check_scope(const struct sigv4_req *r)
{
	size_t i;

	if (r->amz_date == NULL || strlen(r->amz_date) != 16 ||
	    r->amz_date[8] != 'T' || r->amz_date[15] != 'Z') {
		err_set("sigv4: X-Amz-Date must look like YYYYMMDDTHHMMSSZ");
		return -1;
	}
	for (i = 0; i < 15; i++)
		if (i != 8 && (r->amz_date[i] < '0' || r->amz_date[i] > '9')) {
			err_set("sigv4: X-Amz-Date must look like "
			    "YYYYMMDDTHHMMSSZ");
			return -1;
		}
	if (r->region == NULL || r->region[0] == '\0' ||
	    strchr(r->region, '/') || r->service == NULL ||
	    r->service[0] == '\0' || strchr(r->service, '/')) {
		err_set("sigv4: region and service must be non-empty names");
		return -1;
	}
	return 0;
}

/* Canonical request (no trailing newline) appended to creq, SignedHeaders
 * appended to signed_headers. 0 / -1 (err_set). */
int
sigv4_canonical_request(const struct sigv4_req *r, struct buf *creq,
    struct buf *signed_headers)
{
	const char *t, *qm;
	size_t tlen, plen;
	char hash[65];

	if (r->method == NULL || r->method[0] == '\0' || r->target == NULL) {
		err_set("sigv4: request has no method or target");
		return -1;
	}
	t = r->target;
	tlen = strlen(t);
	qm = memchr(t, '?', tlen);
	plen = qm ? (size_t)(qm - t) : tlen;
	if (buf_puts(creq, r->method) == -1 || buf_append(creq, "\n", 1) == -1)
		return -1;
	if (canonical_uri(creq, t, plen) == -1 ||
	    buf_append(creq, "\n", 1) == -1)
		return -1;
	if (qm && canonical_query(creq, qm + 1, tlen - plen - 1) == -1)
		return -1;
	if (buf_append(creq, "\n", 1) == -1)
		return -1;
	if (canonical_headers(r, creq, signed_headers) == -1)
		return -1;
	if (buf_append(creq, "\n", 1) == -1 ||
	    buf_append(creq, signed_headers->data, signed_headers->len) == -1 ||
	    buf_append(creq, "\n", 1) == -1)
		return -1;
	sigv4_sha256_hex(r->body, r->body ? r->body_len : 0, hash);
	return buf_append(creq, hash, 64);
}

/* String to sign for the canonical request creq, appended to sts.
 * 0 / -1 (err_set). */
int
sigv4_string_to_sign(const struct sigv4_req *r, const char *creq,
    struct buf *sts)
{
	char hash[65];

	if (check_scope(r) == -1)
		return -1;
	sigv4_sha256_hex(creq, strlen(creq), hash);
	if (buf_puts(sts, "AWS4-HMAC-SHA256\n") == -1 ||
	    buf_puts(sts, r->amz_date) == -1 ||
	    buf_append(sts, "\n", 1) == -1 ||
	    buf_append(sts, r->amz_date, 8) == -1 ||
	    buf_append(sts, "/", 1) == -1 || buf_puts(sts, r->region) == -1 ||
	    buf_append(sts, "/", 1) == -1 || buf_puts(sts, r->service) == -1 ||
	    buf_puts(sts, "/aws4_request\n") == -1 ||
	    buf_append(sts, hash, 64) == -1)
		return -1;
	return 0;
}

static void
hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, mlen);
	br_hmac_out(&hc, out);
	explicit_bzero(&kc, sizeof(kc));
	explicit_bzero(&hc, sizeof(hc));
}

/* Authorization header value appended to authz; the canonical request and
 * string to sign are appended to creq_out / sts_out when not NULL. The
 * session token in c is not added here: the caller puts X-Amz-Security-Token
 * into r->hdrs (it is then signed like every other header). Derived keys are
 * wiped. 0 / -1 (err_set; never includes the secret key). */
int
sigv4_authorization(const struct sigv4_req *r, const struct sigv4_creds *c,
    struct buf *authz, struct buf *creq_out, struct buf *sts_out)
{
	struct buf creq = { 0 }, sh = { 0 }, sts = { 0 }, ksecret = { 0 };
	unsigned char k[32], sig[32];
	char sighex[65];
	int rc = -1;

	if (c == NULL || c->access_key == NULL || c->access_key[0] == '\0' ||
	    c->secret_key == NULL || c->secret_key[0] == '\0') {
		err_set("sigv4: AWS access key id or secret access key is "
		    "missing");
		return -1;
	}
	if (strchr(c->access_key, '/') || strchr(c->access_key, ',') ||
	    strchr(c->access_key, ' ')) {
		err_set("sigv4: AWS access key id contains '/', ',' or space");
		return -1;
	}
	if (check_scope(r) == -1)
		goto out;
	if (sigv4_canonical_request(r, &creq, &sh) == -1)
		goto out;
	if (sigv4_string_to_sign(r, creq.data, &sts) == -1)
		goto out;

	if (buf_puts(&ksecret, "AWS4") == -1 ||
	    buf_puts(&ksecret, c->secret_key) == -1)
		goto out;
	hmac_sha256(ksecret.data, ksecret.len, r->amz_date, 8, k);
	hmac_sha256(k, sizeof(k), r->region, strlen(r->region), k);
	hmac_sha256(k, sizeof(k), r->service, strlen(r->service), k);
	hmac_sha256(k, sizeof(k), "aws4_request", 12, k);
	hmac_sha256(k, sizeof(k), sts.data, sts.len, sig);
	hex_lower(sig, sizeof(sig), sighex);

	if (buf_puts(authz, "AWS4-HMAC-SHA256 Credential=") == -1 ||
	    buf_puts(authz, c->access_key) == -1 ||
	    buf_append(authz, "/", 1) == -1 ||
	    buf_append(authz, r->amz_date, 8) == -1 ||
	    buf_append(authz, "/", 1) == -1 ||
	    buf_puts(authz, r->region) == -1 ||
	    buf_append(authz, "/", 1) == -1 ||
	    buf_puts(authz, r->service) == -1 ||
	    buf_puts(authz, "/aws4_request, SignedHeaders=") == -1 ||
	    buf_append(authz, sh.data, sh.len) == -1 ||
	    buf_puts(authz, ", Signature=") == -1 ||
	    buf_append(authz, sighex, 64) == -1)
		goto out;
	if (creq_out && buf_append(creq_out, creq.data, creq.len) == -1)
		goto out;
	if (sts_out && buf_append(sts_out, sts.data, sts.len) == -1)
		goto out;
	rc = 0;
out:
	explicit_bzero(k, sizeof(k));
	explicit_bzero(sig, sizeof(sig));
	buf_free(&ksecret);
	buf_free(&creq);
	buf_free(&sh);
	buf_free(&sts);
	return rc;
}

/* Formats t (seconds since the epoch) as "YYYYMMDDTHHMMSSZ" in UTC. */
void
sigv4_amz_date(long long t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || snprintf(out, 17,
	    "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) != 16)
		memcpy(out, "19700101T000000Z", 17);
}

/* Lower-case hex SHA-256 of data[0..n) into out (64 digits and a NUL). */
void
sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
	br_sha256_context sc;
	unsigned char h[32];

	br_sha256_init(&sc);
	if (n)
		br_sha256_update(&sc, data, n);
	br_sha256_out(&sc, h);
	hex_lower(h, sizeof(h), out);
}
