/* tsig.c - RFC 8945 transaction signatures. See tsig.h. */
#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "err.h"
#include "tsig.h"

#define SECRET_MAX 128 /* decoded key bytes */

struct alg {
	const char *name;
	const br_hash_class *hash;
	size_t maclen;
};

static const struct alg algs[] = {
	[TSIG_HMAC_SHA256] = { "hmac-sha256", &br_sha256_vtable, 32 },
	[TSIG_HMAC_SHA512] = { "hmac-sha512", &br_sha512_vtable, 64 },
	[TSIG_HMAC_SHA1] = { "hmac-sha1", &br_sha1_vtable, 20 },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

int
tsig_alg_parse(const char *name, int *alg)
{
	size_t i, l = strlen(name);

	if (l && name[l - 1] == '.')
		l--;
	for (i = 0; i < NALGS; i++)
		if (strlen(algs[i].name) == l &&
		    strncasecmp(algs[i].name, name, l) == 0) {
			*alg = (int)i;
			return 0;
		}
	err_set("TSIG algorithm '%.40s' is not supported (hmac-sha256, "
	    "hmac-sha512 or hmac-sha1)", name);
	return -1;
}

const char *
tsig_alg_name(int alg)
{
	return alg >= 0 && (size_t)alg < NALGS ? algs[alg].name : "?";
}

int
tsig_key_init(struct tsig_key *k, const char *name, const char *alg,
    const char *b64, size_t n)
{
	unsigned char wire[256], raw[SECRET_MAX];
	size_t rawlen = 0;
	int rc;

	if (dns_name_to_wire(name, wire, sizeof(wire)) == -1 ||
	    strlen(name) >= sizeof(k->name)) {
		err_prefix("TSIG key name");
		return -1;
	}
	if (tsig_alg_parse(alg ? alg : "hmac-sha256", &k->alg) == -1)
		return -1;
	rc = b64_decode(b64, n, raw, sizeof(raw), &rawlen);
	explicit_bzero(raw, sizeof(raw));
	if (rc == -1 || rawlen == 0) {
		err_set("TSIG key %.80s: the secret is not base64 of 1 to %d "
		    "bytes", name, SECRET_MAX);
		return -1;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	return secret_set(&k->secret, b64, n);
}

void
tsig_key_wipe(struct tsig_key *k)
{
	if (k == NULL)
		return;
	secret_wipe(&k->secret);
	memset(k, 0, sizeof(*k));
}

/* ---- key files ------------------------------------------------------ */

struct lex {
	const char *p, *end;
	const char *src;
	int line;
};

/* Next token: a quoted string (quotes removed), a word, or one of {};.
 * Returns its length (tok points at it), 0 at the end, -1 on error. */
static int
lex_next(struct lex *x, const char **tok)
{
	const char *p;

	for (;;) {
		while (x->p < x->end && strchr(" \t\r\n", *x->p)) {
			if (*x->p == '\n')
				x->line++;
			x->p++;
		}
		if (x->p >= x->end)
			return 0;
		if (*x->p == '#' || (*x->p == '/' && x->p + 1 < x->end &&
		    x->p[1] == '/')) {
			while (x->p < x->end && *x->p != '\n')
				x->p++;
			continue;
		}
		if (*x->p == '/' && x->p + 1 < x->end && x->p[1] == '*') {
			for (x->p += 2; x->p + 1 < x->end &&
			    !(x->p[0] == '*' && x->p[1] == '/'); x->p++)
				if (*x->p == '\n')
					x->line++;
			if (x->p + 1 >= x->end) {
				err_set("%s line %d: unterminated comment",
				    x->src, x->line);
				return -1;
			}
			x->p += 2;
			continue;
		}
		break;
	}
	if (strchr("{};", *x->p)) {
		*tok = x->p++;
		return 1;
	}
	if (*x->p == '"') {
		for (p = ++x->p; p < x->end && *p != '"' && *p != '\n'; p++)
			;
		if (p >= x->end || *p != '"') {
			err_set("%s line %d: unterminated string", x->src,
			    x->line);
			return -1;
		}
		*tok = x->p;
		x->p = p + 1;
		return (int)(p - *tok) ? (int)(p - *tok) : -2;
	}
	for (p = x->p; p < x->end && !strchr(" \t\r\n{};\"", *p); p++)
		;
	*tok = x->p;
	x->p = p;
	return (int)(p - *tok);
}

static int
expect(struct lex *x, char c)
{
	const char *t;

	if (lex_next(x, &t) != 1 || *t != c) {
		err_set("%s line %d: expected '%c'", x->src, x->line, c);
		return -1;
	}
	return 0;
}

/* The statements of one key block after its '{' through its '}':
 * algorithm into alg[32], the secret's text into *sec / *secl. 0; -1
 * (err_set). */
static int
key_block(struct lex *x, char *alg, const char **sec, int *secl)
{
	const char *t, *v;
	int l, vl;

	for (;;) {
		if ((l = lex_next(x, &t)) <= 0) {
			if (l == 0)
				err_set("%s line %d: unterminated key block",
				    x->src, x->line);
			return -1;
		}
		if (l == 1 && *t == '}')
			return 0;
		if ((vl = lex_next(x, &v)) <= 0 || strchr("{};", *v)) {
			if (vl >= 0 || vl == -2)
				err_set("%s line %d: expected a value", x->src,
				    x->line);
			return -1;
		}
		if (l == 9 && strncmp(t, "algorithm", 9) == 0)
			snprintf(alg, 32, "%.*s", vl < 31 ? vl : 31, v);
		else if (l == 6 && strncmp(t, "secret", 6) == 0) {
			*sec = v;
			*secl = vl;
		} else {
			err_set("%s line %d: unknown statement in a key block",
			    x->src, x->line);
			return -1;
		}
		if (expect(x, ';') == -1)
			return -1;
	}
}

int
tsig_key_parse(struct tsig_key *k, const char *text, size_t n,
    const char *src, const char *want_name)
{
	struct lex x = { text, text + n, src, 1 };
	const char *t, *sec = NULL;
	char name[DNS_TEXT_MAX], alg[32];
	int l, secl = 0;

	for (;;) {
		if ((l = lex_next(&x, &t)) == 0)
			break;
		if (l != 3 || strncmp(t, "key", 3) != 0) {
			if (l >= 0)
				err_set("%s line %d: expected 'key'", src,
				    x.line);
			return -1;
		}
		if ((l = lex_next(&x, &t)) <= 0 || (size_t)l >= sizeof(name) ||
		    strchr("{};", *t)) {
			if (l >= 0)
				err_set("%s line %d: expected a key name", src,
				    x.line);
			return -1;
		}
		memcpy(name, t, (size_t)l);
		name[l] = '\0';
		alg[0] = '\0';
		sec = NULL;
		if (expect(&x, '{') == -1)
			return -1;
		if (key_block(&x, alg, &sec, &secl) == -1 ||
		    expect(&x, ';') == -1)
			return -1;
		if (want_name && !dns_name_eq(want_name, name))
			continue;
		if (sec == NULL || alg[0] == '\0') {
			err_set("%s: key %s has no %s", src, name,
			    sec ? "algorithm" : "secret");
			return -1;
		}
		if (tsig_key_init(k, name, alg, sec, (size_t)secl) == -1) {
			err_prefix("%s", src);
			return -1;
		}
		return 0;
	}
	if (want_name)
		err_set("%s: no key named %.80s", src, want_name);
	else
		err_set("%s: no key block", src);
	return -1;
}

int
tsig_key_file(struct tsig_key *k, const char *path, const char *want_name)
{
	char text[16384];
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		err_set("TSIG key file %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text), f);
	if (ferror(f) || n == sizeof(text)) {
		err_set("TSIG key file %s: %s", path, ferror(f) ?
		    "read error" : "too large");
		fclose(f);
		explicit_bzero(text, sizeof(text));
		return -1;
	}
	fclose(f);
	rc = tsig_key_parse(k, text, n, path, want_name);
	explicit_bzero(text, sizeof(text));
	return rc;
}

/* ---- MAC ------------------------------------------------------------ */

/* Canonical (lowercase, uncompressed) wire form of name. */
static int
canon(const char *name, unsigned char *w, size_t cap)
{
	int l = dns_name_to_wire(name, w, cap), i;

	for (i = 0; i < l; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (unsigned char)(w[i] + 32);
	return l;
}

/* The TSIG variables after the names: time, fudge, error, other. */
struct tsig_vars {
	uint64_t time;
	unsigned fudge, error, otherlen;
	const unsigned char *other;
};

static void
upd16(br_hmac_context *hc, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	br_hmac_update(hc, b, 2);
}

/* MAC over [req MAC] + header (with arcount and id) + body + variables. */
static int
compute_mac(const struct tsig_key *k, const unsigned char *req_mac,
    size_t req_len, const unsigned char *m, size_t n, unsigned id,
    unsigned arcount, const struct tsig_vars *v, unsigned char *out)
{
	unsigned char key[SECRET_MAX], kw[256], aw[256], t[6];
	br_hmac_key_context kc;
	br_hmac_context hc;
	size_t keylen = 0;
	int kl, al, i;

	if ((kl = canon(k->name, kw, sizeof(kw))) == -1 ||
	    (al = canon(algs[k->alg].name, aw, sizeof(aw))) == -1)
		return -1;
	if (b64_decode(k->secret.s, k->secret.len, key, sizeof(key),
	    &keylen) == -1) {
		explicit_bzero(key, sizeof(key));
		err_set("TSIG key %s: the secret is not valid base64", k->name);
		return -1;
	}
	br_hmac_key_init(&kc, algs[k->alg].hash, key, keylen);
	explicit_bzero(key, sizeof(key));
	br_hmac_init(&hc, &kc, 0);
	if (req_mac) {
		upd16(&hc, (unsigned)req_len);
		br_hmac_update(&hc, req_mac, req_len);
	}
	upd16(&hc, id);
	br_hmac_update(&hc, m + 2, 8);
	upd16(&hc, arcount);
	br_hmac_update(&hc, m + 12, n - 12);
	br_hmac_update(&hc, kw, (size_t)kl);
	upd16(&hc, DNS_C_ANY);
	upd16(&hc, 0);
	upd16(&hc, 0); /* TTL 0 */
	br_hmac_update(&hc, aw, (size_t)al);
	for (i = 0; i < 6; i++)
		t[i] = (unsigned char)(v->time >> (40 - 8 * i));
	br_hmac_update(&hc, t, 6);
	upd16(&hc, v->fudge);
	upd16(&hc, v->error);
	upd16(&hc, v->otherlen);
	if (v->otherlen)
		br_hmac_update(&hc, v->other, v->otherlen);
	br_hmac_out(&hc, out);
	explicit_bzero(&kc, sizeof(kc));
	explicit_bzero(&hc, sizeof(hc));
	return 0;
}

int
tsig_sign(const struct tsig_key *k, unsigned char *m, size_t *len, size_t cap,
    uint64_t now, unsigned char *mac, size_t *maclen)
{
	struct tsig_vars v = { now, TSIG_FUDGE, 0, 0, NULL };
	unsigned char kw[256], aw[256], *p;
	size_t n = *len, need, ml = algs[k->alg].maclen;
	unsigned ar, rdlen;
	int kl, al, i;

	if (n < 12 || !secret_is_set(&k->secret)) {
		err_set("TSIG: nothing to sign or no key");
		return -1;
	}
	if ((kl = canon(k->name, kw, sizeof(kw))) == -1 ||
	    (al = canon(algs[k->alg].name, aw, sizeof(aw))) == -1)
		return -1;
	ar = (unsigned)m[10] << 8 | m[11];
	if (compute_mac(k, NULL, 0, m, n, (unsigned)m[0] << 8 | m[1], ar, &v,
	    mac) == -1)
		return -1;
	rdlen = (unsigned)al + 6 + 2 + 2 + (unsigned)ml + 2 + 2 + 2;
	need = (size_t)kl + 10 + rdlen;
	if (need > cap - n || ar == 0xffff) {
		err_set("TSIG: no room for the signature");
		return -1;
	}
	p = m + n;
	memcpy(p, kw, (size_t)kl);
	p += kl;
	*p++ = DNS_T_TSIG >> 8; *p++ = DNS_T_TSIG & 0xff;
	*p++ = 0; *p++ = DNS_C_ANY;
	*p++ = 0; *p++ = 0; *p++ = 0; *p++ = 0;
	*p++ = (unsigned char)(rdlen >> 8); *p++ = (unsigned char)rdlen;
	memcpy(p, aw, (size_t)al);
	p += al;
	for (i = 0; i < 6; i++)
		*p++ = (unsigned char)(now >> (40 - 8 * i));
	*p++ = TSIG_FUDGE >> 8; *p++ = TSIG_FUDGE & 0xff;
	*p++ = (unsigned char)(ml >> 8); *p++ = (unsigned char)ml;
	memcpy(p, mac, ml);
	p += ml;
	*p++ = m[0]; *p++ = m[1];      /* original ID */
	*p++ = 0; *p++ = 0;            /* error */
	*p++ = 0; *p++ = 0;            /* other len */
	*len = (size_t)(p - m);
	ar++;
	m[10] = (unsigned char)(ar >> 8);
	m[11] = (unsigned char)ar;
	*maclen = ml;
	return 0;
}

static const char *
tsig_error_words(unsigned e)
{
	switch (e) {
	case DNS_R_BADSIG:
		return "it does not accept our signature (wrong secret?)";
	case DNS_R_BADKEY:
		return "it does not know our key name or algorithm";
	case DNS_R_BADTIME:
		return "our clock differs from its clock by more than the "
		    "fudge";
	case DNS_R_BADTRUNC:
		return "it refuses a truncated MAC";
	default:
		return "it rejected our signature";
	}
}

/* The fields of the TSIG record rr of message m (n bytes): algorithm
 * name, time, fudge, MAC, original id, error and other data. 0; -1 when
 * it is malformed. */
static int
tsig_rr_read(const unsigned char *m, size_t n, const struct dns_rr *rr,
    char *alg, size_t algsz, struct tsig_vars *v, const unsigned char **mac,
    size_t *maclen, unsigned *origid)
{
	size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen, i;

	if (end > n || rr->off < 12)
		return -1;
	if (dns_read_name(m, end, &p, alg, algsz) == -1 || end - p < 10)
		return -1;
	v->time = 0;
	for (i = 0; i < 6; i++)
		v->time = v->time << 8 | m[p + i];
	v->fudge = (unsigned)m[p + 6] << 8 | m[p + 7];
	*maclen = (size_t)m[p + 8] << 8 | m[p + 9];
	p += 10;
	if (end - p < *maclen + 6)
		return -1;
	*mac = m + p;
	p += *maclen;
	*origid = (unsigned)m[p] << 8 | m[p + 1];
	v->error = (unsigned)m[p + 2] << 8 | m[p + 3];
	v->otherlen = (unsigned)m[p + 4] << 8 | m[p + 5];
	p += 6;
	v->other = m + p;
	if (end - p != v->otherlen)
		return -1;
	return 0;
}

int
tsig_verify(const struct tsig_key *k, const unsigned char *m, size_t n,
    const struct dns_msg *msg, const unsigned char *req_mac, size_t req_len,
    uint64_t now)
{
	const struct dns_rr *rr;
	unsigned char want[TSIG_MAC_MAX];
	char alg[DNS_TEXT_MAX];
	struct tsig_vars v;
	const unsigned char *mac;
	size_t maclen, ml = algs[k->alg].maclen, i;
	unsigned origid, diff = 0;
	int sigalg;

	if (msg->nrr == 0 || msg->rr[msg->nrr - 1].type != DNS_T_TSIG) {
		err_set("the answer (%s) is not signed with TSIG",
		    dns_rcode_name(msg->rcode));
		return TSIG_INVALID;
	}
	rr = &msg->rr[msg->nrr - 1];
	if (tsig_rr_read(m, n, rr, alg, sizeof(alg), &v, &mac, &maclen,
	    &origid) == -1) {
		err_set("the answer's TSIG record is malformed");
		return TSIG_INVALID;
	}
	if (!dns_name_eq(rr->name, k->name)) {
		err_set("the answer is signed with key %s, not %s", rr->name,
		    k->name);
		return TSIG_INVALID;
	}
	if (tsig_alg_parse(alg, &sigalg) == -1 || sigalg != k->alg) {
		err_set("the answer is signed with algorithm %s, not %s", alg,
		    algs[k->alg].name);
		return TSIG_INVALID;
	}
	if (v.error != 0 && maclen == 0) {
		err_set("the server answered %s: %s",
		    dns_rcode_name((int)v.error), tsig_error_words(v.error));
		return TSIG_UNVERIFIABLE;
	}
	if (maclen != ml) {
		err_set("the answer's TSIG MAC has %zu bytes, not %zu", maclen,
		    ml);
		return TSIG_INVALID;
	}
	if (compute_mac(k, req_mac, req_len, m, rr->off, origid,
	    (unsigned)msg->count[DNS_S_AR] - 1, &v, want) == -1)
		return TSIG_INVALID;
	for (i = 0; i < ml; i++)
		diff |= want[i] ^ mac[i];
	explicit_bzero(want, sizeof(want));
	if (diff) {
		err_set("the answer's TSIG MAC does not verify (BADSIG): "
		    "forged, or signed with another secret");
		return TSIG_INVALID;
	}
	if (v.error != 0) {
		err_set("the server answered %s: %s",
		    dns_rcode_name((int)v.error), tsig_error_words(v.error));
		return TSIG_REJECTED;
	}
	if ((now > v.time ? now - v.time : v.time - now) > v.fudge) {
		err_set("the answer's TSIG time is %lld s from our clock, more "
		    "than its fudge of %u s (BADTIME)",
		    (long long)(now > v.time ? now - v.time : v.time - now),
		    v.fudge);
		return TSIG_INVALID;
	}
	return TSIG_OK;
}
