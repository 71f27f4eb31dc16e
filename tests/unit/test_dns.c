/* test_dns.c - dns.c (names, reader, writer), tsig.c (known answers from
 * BIND: messages signed by dig, nsupdate and named, captured by
 * $VAULTDR_VECTORS/dns/capture.py; key files) and the UPDATE's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "t.h"
#include "tsig.h"

static unsigned char *
vec(const char *name, size_t *n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/dns/%s", t_vectors_dir(), name);
	return (unsigned char *)t_read_file(path, n);
}

static int
load_key(struct tsig_key *k)
{
	char path[512];

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "%s/dns/key.conf", t_vectors_dir());
	return tsig_key_file(k, path, NULL);
}

/* Time signed of the message's TSIG record (parsed into m). */
static uint64_t
tsig_time(const unsigned char *b, const struct dns_msg *m)
{
	const struct dns_rr *rr = &m->rr[m->nrr - 1];
	size_t p = rr->rdoff;
	char alg[DNS_TEXT_MAX];
	uint64_t t = 0;
	int i;

	if (dns_read_name(b, rr->rdoff + rr->rdlen, &p, alg, sizeof(alg)) == -1)
		return 0;
	for (i = 0; i < 6; i++)
		t = t << 8 | b[p + i];
	return t;
}

/* The MAC of a signed message (for verifying its answer). */
static size_t
tsig_mac(const unsigned char *b, const struct dns_msg *m, unsigned char *mac)
{
	const struct dns_rr *rr = &m->rr[m->nrr - 1];
	size_t p = rr->rdoff, l;
	char alg[DNS_TEXT_MAX];

	if (dns_read_name(b, rr->rdoff + rr->rdlen, &p, alg, sizeof(alg)) == -1)
		return 0;
	l = (size_t)b[p + 8] << 8 | b[p + 9];
	memcpy(mac, b + p + 10, l);
	return l;
}

static int
occurrences(const unsigned char *h, size_t hn, const char *nd, size_t nn)
{
	size_t i;
	int c = 0;

	for (i = 0; i + nn <= hn; i++)
		c += memcmp(h + i, nd, nn) == 0;
	return c;
}

static void
dns_names(void)
{
	unsigned char w[300];
	char long_label[80], long_name[300];
	int i;

	CHECK(dns_name_to_wire("vault.Example.test.", w, sizeof(w)) == 20);
	CHECK_MEMEQ(w, 20, "\005vault\007Example\004test\000", 20);
	CHECK(dns_name_to_wire("vault.example.test", w, sizeof(w)) == 20);
	CHECK(dns_name_to_wire(".", w, sizeof(w)) == 1 && w[0] == 0);
	CHECK(dns_name_to_wire("a\\.b.c", w, sizeof(w)) == 7);
	CHECK_MEMEQ(w, 7, "\003a.b\001c\000", 7);
	CHECK(dns_name_to_wire("a\\000b", w, sizeof(w)) == 5 && w[2] == 0);
	CHECK(dns_name_to_wire("a..b", w, sizeof(w)) == -1);
	CHECK(dns_name_to_wire(".a", w, sizeof(w)) == -1);
	CHECK(dns_name_to_wire("a\\256", w, sizeof(w)) == -1);
	CHECK(dns_name_to_wire("a\\", w, sizeof(w)) == -1);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	CHECK(dns_name_to_wire(long_label, w, sizeof(w)) == -1);
	long_label[63] = '\0';
	CHECK(dns_name_to_wire(long_label, w, sizeof(w)) == 65);
	/* 4 labels of 63 = 256 octets with the root: one too many */
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s", long_label,
	    long_label, long_label, long_label);
	CHECK(dns_name_to_wire(long_name, w, sizeof(w)) == -1);
	long_name[strlen(long_name) - 2] = '\0';
	i = dns_name_to_wire(long_name, w, sizeof(w));
	CHECK(i == 255);
	CHECK(dns_name_to_wire("abc", w, 3) == -1);
	CHECK(dns_name_eq("Vault.Example.TEST.", "vault.example.test"));
	CHECK(!dns_name_eq("vault.example.test", "vault.example.tes"));
	CHECK(!dns_name_eq("a\\.", "a"));
}

static void
dns_words(void)
{
	CHECK_STREQ(dns_rcode_name(DNS_R_NXRRSET), "NXRRSET");
	CHECK_STREQ(dns_rcode_name(DNS_R_YXRRSET), "YXRRSET");
	CHECK_STREQ(dns_rcode_name(DNS_R_NOTAUTH), "NOTAUTH");
	CHECK_STREQ(dns_rcode_name(DNS_R_BADTIME), "BADTIME");
	CHECK_STREQ(dns_rcode_name(12), "RCODE12");
	CHECK_STREQ(dns_type_name(DNS_T_CNAME), "CNAME");
	CHECK_STREQ(dns_type_name(99), "TYPE99");
}

static void
dns_server_specs(void)
{
	struct dns_server s;

	CHECK(dns_server_parse(&s, "ns1.example.com") == 0);
	CHECK_STREQ(s.host, "ns1.example.com");
	CHECK_STREQ(s.port, "53");
	CHECK(dns_server_parse(&s, "127.0.0.1:5353") == 0);
	CHECK_STREQ(s.host, "127.0.0.1");
	CHECK_STREQ(s.port, "5353");
	CHECK(dns_server_parse(&s, "[::1]:54") == 0);
	CHECK_STREQ(s.host, "::1");
	CHECK_STREQ(s.port, "54");
	CHECK(dns_server_parse(&s, "2001:db8::1") == 0);
	CHECK_STREQ(s.host, "2001:db8::1");
	CHECK_STREQ(s.port, "53");
	CHECK(dns_server_parse(&s, "host:0") == -1);
	CHECK(dns_server_parse(&s, "host:65536") == -1);
	CHECK(dns_server_parse(&s, "host:") == -1);
	CHECK(dns_server_parse(&s, ":53") == -1);
	CHECK(dns_server_parse(&s, "[::1") == -1);
}

/* named's answer to dig's SOA query: compressed names throughout. */
static void
dns_parse_bind_answer(void)
{
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *b;
	size_t n = 0;

	b = vec("query.resp", &n);
	CHECK(b != NULL && m != NULL);
	if (!b || !m)
		goto out;
	CHECK(dns_parse(b, n, m) == 0);
	CHECK_STREQ(m->qname, "example.test");
	CHECK(m->qtype == DNS_T_SOA && m->qclass == DNS_C_IN);
	CHECK(m->rcode == DNS_R_NOERROR && (m->flags & DNS_F_AA));
	CHECK(m->count[DNS_S_AN] == 1 && m->rr[0].type == DNS_T_SOA);
	CHECK_STREQ(m->rr[0].value, "ns1.example.test");
	CHECK(m->rr[0].serial == 1);
	CHECK(m->rr[1].section == DNS_S_NS && m->rr[1].type == DNS_T_NS);
	CHECK_STREQ(m->rr[1].value, "ns1.example.test");
	CHECK(m->rr[2].section == DNS_S_AR && m->rr[2].type == DNS_T_A);
	CHECK_STREQ(m->rr[2].value, "127.0.0.1");
	CHECK(m->rr[m->nrr - 1].type == DNS_T_TSIG);
	CHECK_STREQ(m->rr[m->nrr - 1].name, "vaultdr-key");
out:
	free(b);
	free(m);
}

static void
dns_parse_rejects(void)
{
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *b, c[600];
	size_t n = 0, i;
	/* header, 1 question whose name is a pointer to itself */
	static const unsigned char loop[] = { 0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 0xc0, 12, 0, 1, 0, 1 };
	/* a pointer forward */
	static const unsigned char fwd[] = { 0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 0xc0, 14, 0, 0, 1, 0, 1 };
	/* label type 01 */
	static const unsigned char ext[] = { 0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 0x41, 0, 0, 1, 0, 1 };
	/* two questions */
	static const unsigned char two[] = { 0, 1, 0x84, 0, 0, 2, 0, 0, 0, 0,
	    0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1 };

	b = vec("query.resp", &n);
	CHECK(b != NULL && m != NULL && n < sizeof(c) - 1);
	if (!b || !m || n >= sizeof(c) - 1)
		goto out;
	for (i = 0; i < n; i++)
		if (!CHECK(dns_parse(b, i, m) == -1))
			break;
	memcpy(c, b, n);
	c[n] = 0;
	CHECK(dns_parse(c, n + 1, m) == -1);
	CHECK(strstr(err_get(), "after the last record") != NULL);
	CHECK(dns_parse(loop, sizeof(loop), m) == -1);
	CHECK(strstr(err_get(), "pointer") != NULL);
	CHECK(dns_parse(fwd, sizeof(fwd), m) == -1);
	CHECK(dns_parse(ext, sizeof(ext), m) == -1);
	CHECK(dns_parse(two, sizeof(two), m) == -1);
	/* the TSIG moved away from the end: append a copy of the A record */
	CHECK(dns_parse(b, n, m) == 0);
	{
		const struct dns_rr *a = &m->rr[2];
		size_t alen = a->rdoff + a->rdlen - a->off;
		memcpy(c, b, n);
		memcpy(c + n, b + a->off, alen);
		c[11]++; /* arcount */
		CHECK(dns_parse(c, n + alen, m) == -1);
		CHECK(strstr(err_get(), "TSIG") != NULL);
	}
out:
	free(b);
	free(m);
}

/* The UPDATE rfc2136_replace sends, written and read back. */
static void
dns_write_update(void)
{
	struct dns_w *w = malloc(sizeof(*w));
	struct dns_msg *m = malloc(sizeof(*m));

	CHECK(w && m);
	if (!w || !m)
		goto out;
	dns_w_begin(w, 0x1234, DNS_OP_UPDATE, 0);
	dns_w_question(w, "example.test", DNS_T_SOA, DNS_C_IN);
	dns_w_rr(w, DNS_S_AN, "vault.example.test", DNS_T_CNAME, DNS_C_IN, 0,
	    "vault-a.lb.example.test");
	dns_w_rr(w, DNS_S_NS, "vault.example.test", DNS_T_CNAME, DNS_C_NONE,
	    0, "vault-a.lb.example.test");
	dns_w_rr(w, DNS_S_NS, "vault.example.test", DNS_T_CNAME, DNS_C_IN,
	    60, "vault-b.lb.example.test");
	dns_w_rr(w, DNS_S_AR, "x.example.test", DNS_T_TXT, DNS_C_IN, 1,
	    "owner=a b");
	CHECK(dns_w_end(w) == 0);
	CHECK(dns_parse(w->b, w->len, m) == 0);
	CHECK(m->id == 0x1234 && m->opcode == DNS_OP_UPDATE);
	CHECK(m->count[0] == 1 && m->count[1] == 1 && m->count[2] == 2 &&
	    m->count[3] == 1);
	CHECK(m->rr[0].rclass == DNS_C_IN && m->rr[0].ttl == 0);
	CHECK(m->rr[1].rclass == DNS_C_NONE);
	CHECK_STREQ(m->rr[1].value, "vault-a.lb.example.test");
	CHECK(m->rr[2].ttl == 60);
	CHECK_STREQ(m->rr[2].value, "vault-b.lb.example.test");
	CHECK_STREQ(m->rr[3].value, "owner=a b");
	/* never compressed: the owner name appears in full each time */
	CHECK(occurrences(w->b, w->len, "\005vault\007example", 14) == 3);
	/* out of order, bad values */
	dns_w_rr(w, DNS_S_AN, "a.example.test", DNS_T_A, DNS_C_IN, 0,
	    "192.0.2.1");
	CHECK(dns_w_end(w) == -1);
	dns_w_begin(w, 1, DNS_OP_UPDATE, 0);
	dns_w_rr(w, DNS_S_NS, "a", DNS_T_A, DNS_C_IN, 0, "not-an-address");
	CHECK(dns_w_end(w) == -1);
	dns_w_begin(w, 1, DNS_OP_UPDATE, 0);
	dns_w_rr(w, DNS_S_NS, "a..b", DNS_T_ANY, DNS_C_NONE, 0, NULL);
	CHECK(dns_w_end(w) == -1);
out:
	free(w);
	free(m);
}

static void
tsig_key_files(void)
{
	struct tsig_key k;
	static const char two[] =
	    "# comment\n// another\n/* block\n comment */\n"
	    "key \"first\" { algorithm hmac-sha512; secret \"Zm9vYmFy\"; };\n"
	    "key second {\n\talgorithm HMAC-SHA1;\n\tsecret \"c2Vjb25k\";\n};\n";

	CHECK(load_key(&k) == 0);
	CHECK_STREQ(k.name, "vaultdr-key");
	CHECK(k.alg == TSIG_HMAC_SHA256);
	tsig_key_wipe(&k);
	CHECK(tsig_key_parse(&k, two, sizeof(two) - 1, "t", NULL) == 0);
	CHECK_STREQ(k.name, "first");
	CHECK(k.alg == TSIG_HMAC_SHA512);
	tsig_key_wipe(&k);
	CHECK(tsig_key_parse(&k, two, sizeof(two) - 1, "t", "second") == 0);
	CHECK_STREQ(k.name, "second");
	CHECK(k.alg == TSIG_HMAC_SHA1);
	CHECK_STREQ(k.secret.s, "c2Vjb25k");
	tsig_key_wipe(&k);
	CHECK(k.secret.s == NULL);
	CHECK(tsig_key_parse(&k, two, sizeof(two) - 1, "t", "third") == -1);
	CHECK(strstr(err_get(), "no key named third") != NULL);
#define BAD(s, what) do { \
	CHECK(tsig_key_parse(&k, s, sizeof(s) - 1, "t", NULL) == -1); \
	CHECK(strstr(err_get(), what) != NULL); \
	CHECK(strstr(err_get(), "c2Vjb") == NULL); \
	tsig_key_wipe(&k); \
} while (0)
	BAD("key a { algorithm hmac-sha256; };", "no secret");
	BAD("key a { algorithm hmac-md5; secret \"c2Vjb25k\"; };",
	    "not supported");
	BAD("key a { algorithm hmac-sha1; secret \"c2Vjb25k!\"; };",
	    "not base64");
	BAD("key a { secret \"c2Vjb25k\"; };", "no algorithm");
	BAD("key a { secret \"c2Vjb25k\" };", "expected ';'");
	BAD("key a { secret \"c2Vjb25k; };", "unterminated string");
	BAD("key a { owner x; };", "unknown statement");
	BAD("zone a { };", "expected 'key'");
	BAD("key a { algorithm hmac-sha256; secret \"c2Vjb25k\"; ", "unterminated");
	BAD("/* key", "unterminated comment");
	BAD("", "no key block");
#undef BAD
	CHECK(tsig_key_init(&k, "a..b", NULL, "c2Vjb25k", 8) == -1);
	CHECK(tsig_key_init(&k, "a", "hmac-sha256", "", 0) == -1);
}

/* dig's signed query: our verifier accepts it, and our signer, given the
 * same message, time and key, writes exactly the same bytes. */
static void
tsig_bind_request(void)
{
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *b, mine[1024], mac[TSIG_MAC_MAX];
	struct tsig_key k;
	size_t n = 0, len, maclen;
	uint64_t t;

	b = vec("query.req", &n);
	CHECK(b && m && load_key(&k) == 0);
	if (!b || !m)
		goto out;
	CHECK(dns_parse(b, n, m) == 0);
	t = tsig_time(b, m);
	CHECK(tsig_verify(&k, b, n, m, NULL, 0, t) == TSIG_OK);
	CHECK(tsig_verify(&k, b, n, m, NULL, 0, t + 300) == TSIG_OK);
	CHECK(tsig_verify(&k, b, n, m, NULL, 0, t + 301) == TSIG_INVALID);
	CHECK(strstr(err_get(), "BADTIME") != NULL);
	CHECK(tsig_verify(&k, b, n, m, NULL, 0, t - 301) == TSIG_INVALID);
	/* strip the TSIG record and sign again */
	len = m->rr[m->nrr - 1].off;
	memcpy(mine, b, len);
	mine[11]--;
	CHECK(tsig_sign(&k, mine, &len, sizeof(mine), t, mac, &maclen) == 0);
	CHECK(maclen == 32);
	CHECK_MEMEQ(mine, len, b, n);
	/* too small a buffer */
	len = m->rr[m->nrr - 1].off;
	memcpy(mine, b, len);
	mine[11]--;
	CHECK(tsig_sign(&k, mine, &len, len + 20, t, mac, &maclen) == -1);
out:
	tsig_key_wipe(&k);
	free(b);
	free(m);
}

/* named's signed answers verify against the request's MAC; any changed
 * byte, another request MAC or another key fails. */
static void
tsig_bind_answers(void)
{
	static const char *pairs[][2] = { { "query.req", "query.resp" },
	    { "update.req", "update.resp" } };
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *q = NULL, *a = NULL, mac[TSIG_MAC_MAX];
	struct tsig_key k, other;
	size_t qn = 0, an = 0, maclen, i, j;
	uint64_t t;

	memset(&other, 0, sizeof(other));
	memset(mac, 0, sizeof(mac));
	CHECK(m && load_key(&k) == 0);
	CHECK(tsig_key_init(&other, "vaultdr-key", NULL,
	    "AAAAAAAAAAAAAAAAAAAAAA==", 24) == 0);
	for (i = 0; m && i < 2; i++) {
		q = vec(pairs[i][0], &qn);
		a = vec(pairs[i][1], &an);
		CHECK(q && a);
		if (!q || !a)
			break;
		CHECK(dns_parse(q, qn, m) == 0);
		maclen = tsig_mac(q, m, mac);
		CHECK(maclen == 32);
		CHECK(dns_parse(a, an, m) == 0);
		CHECK(m->rcode == DNS_R_NOERROR);
		t = tsig_time(a, m);
		CHECK(tsig_verify(&k, a, an, m, mac, maclen, t) == TSIG_OK);
		CHECK(tsig_verify(&other, a, an, m, mac, maclen, t) ==
		    TSIG_INVALID);
		CHECK(strstr(err_get(), "BADSIG") != NULL);
		CHECK(tsig_verify(&k, a, an, m, NULL, 0, t) == TSIG_INVALID);
		mac[0] ^= 1;
		CHECK(tsig_verify(&k, a, an, m, mac, maclen, t) ==
		    TSIG_INVALID);
		mac[0] ^= 1;
		/* every byte before the TSIG record matters but the ID (the
		 * MAC covers the original ID, kept in the TSIG record) */
		for (j = 2; j < m->rr[m->nrr - 1].off; j++) {
			a[j] ^= 0x20;
			if (dns_parse(a, an, m) == 0 &&
			    !CHECK(tsig_verify(&k, a, an, m, mac, maclen, t) !=
			    TSIG_OK)) {
				fprintf(stderr, "  byte %zu\n", j);
				break;
			}
			a[j] ^= 0x20;
			CHECK(dns_parse(a, an, m) == 0);
		}
		free(q);
		free(a);
		q = a = NULL;
	}
	free(q);
	free(a);
	tsig_key_wipe(&k);
	tsig_key_wipe(&other);
	free(m);
}

/* named's answer to a query signed with the wrong secret: BADSIG, in words. */
static void
tsig_bind_badsig(void)
{
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *a;
	struct tsig_key k;
	size_t an = 0;

	a = vec("badsig.resp", &an);
	CHECK(a && m && load_key(&k) == 0);
	if (!a || !m)
		goto out;
	CHECK(dns_parse(a, an, m) == 0);
	CHECK(m->rcode == DNS_R_NOTAUTH);
	CHECK(tsig_verify(&k, a, an, m, NULL, 0, tsig_time(a, m)) ==
	    TSIG_UNVERIFIABLE);
	CHECK(strstr(err_get(), "BADSIG") != NULL);
	CHECK(strstr(err_get(), "wrong secret") != NULL);
out:
	tsig_key_wipe(&k);
	free(a);
	free(m);
}

/* named's answer to a query signed 1000 s in the past: NOTAUTH, TSIG error
 * BADTIME, signed (with our time, its own in Other Data): authentic. */
static void
tsig_bind_badtime(void)
{
	struct dns_msg *m = malloc(sizeof(*m));
	unsigned char *q, *a, mac[TSIG_MAC_MAX];
	struct tsig_key k;
	size_t qn = 0, an = 0, maclen;
	uint64_t t;

	memset(mac, 0, sizeof(mac));
	q = vec("badtime.req", &qn);
	a = vec("badtime.resp", &an);
	CHECK(q && a && m && load_key(&k) == 0);
	if (!q || !a || !m)
		goto out;
	CHECK(dns_parse(q, qn, m) == 0);
	t = tsig_time(q, m);
	CHECK(tsig_verify(&k, q, qn, m, NULL, 0, t) == TSIG_OK);
	maclen = tsig_mac(q, m, mac);
	CHECK(dns_parse(a, an, m) == 0);
	CHECK(m->rcode == DNS_R_NOTAUTH);
	CHECK(tsig_verify(&k, a, an, m, mac, maclen, t + 1000) ==
	    TSIG_REJECTED);
	CHECK(strstr(err_get(), "BADTIME") != NULL);
	mac[5] ^= 1;
	CHECK(tsig_verify(&k, a, an, m, mac, maclen, t + 1000) ==
	    TSIG_INVALID);
out:
	tsig_key_wipe(&k);
	free(q);
	free(a);
	free(m);
}

static void
tsig_roundtrip(void)
{
	static const char *algs[] = { "hmac-sha256", "hmac-sha512",
	    "hmac-sha1" };
	static const size_t lens[] = { 32, 64, 20 };
	struct dns_msg *m = malloc(sizeof(*m));
	struct dns_w *w = malloc(sizeof(*w));
	unsigned char mac[TSIG_MAC_MAX];
	struct tsig_key k, k2;
	size_t maclen, i;

	memset(&k, 0, sizeof(k));
	memset(&k2, 0, sizeof(k2));
	CHECK(m && w);
	for (i = 0; m && w && i < 3; i++) {
		CHECK(tsig_key_init(&k, "Key.Example", algs[i], "c2VjcmV0IQ==",
		    12) == 0);
		dns_w_begin(w, 7, DNS_OP_QUERY, 0);
		dns_w_question(w, "vault.example.test", DNS_T_CNAME, DNS_C_IN);
		CHECK(dns_w_end(w) == 0);
		CHECK(tsig_sign(&k, w->b, &w->len, sizeof(w->b), 1700000000,
		    mac, &maclen) == 0);
		CHECK(maclen == lens[i]);
		CHECK(dns_parse(w->b, w->len, m) == 0);
		CHECK(m->count[DNS_S_AR] == 1);
		/* the key name is compared without regard to case */
		CHECK(tsig_key_init(&k2, "key.example", algs[i],
		    "c2VjcmV0IQ==", 12) == 0);
		CHECK(tsig_verify(&k2, w->b, w->len, m, NULL, 0, 1700000100) ==
		    TSIG_OK);
		tsig_key_wipe(&k2);
		CHECK(tsig_key_init(&k2, "other.key", algs[i], "c2VjcmV0IQ==",
		    12) == 0);
		CHECK(tsig_verify(&k2, w->b, w->len, m, NULL, 0, 1700000100) ==
		    TSIG_INVALID);
		CHECK(strstr(err_get(), "signed with key") != NULL);
		tsig_key_wipe(&k2);
		CHECK(tsig_key_init(&k2, "key.example",
		    algs[(i + 1) % 3], "c2VjcmV0IQ==", 12) == 0);
		CHECK(tsig_verify(&k2, w->b, w->len, m, NULL, 0, 1700000100) ==
		    TSIG_INVALID);
		CHECK(strstr(err_get(), "algorithm") != NULL);
		tsig_key_wipe(&k2);
		tsig_key_wipe(&k);
	}
	/* an unsigned answer */
	if (m && w) {
		CHECK(tsig_key_init(&k, "k", NULL, "c2VjcmV0IQ==", 12) == 0);
		dns_w_begin(w, 7, DNS_OP_QUERY, DNS_F_QR);
		dns_w_question(w, "vault.example.test", DNS_T_CNAME, DNS_C_IN);
		CHECK(dns_parse(w->b, w->len, m) == 0);
		CHECK(tsig_verify(&k, w->b, w->len, m, NULL, 0, 0) ==
		    TSIG_INVALID);
		CHECK(strstr(err_get(), "not signed") != NULL);
		tsig_key_wipe(&k);
	}
	free(m);
	free(w);
}

void
suite_dns(void)
{
	T_RUN(dns_names);
	T_RUN(dns_words);
	T_RUN(dns_server_specs);
	T_RUN(dns_parse_bind_answer);
	T_RUN(dns_parse_rejects);
	T_RUN(dns_write_update);
	T_RUN(tsig_key_files);
	T_RUN(tsig_bind_request);
	T_RUN(tsig_bind_answers);
	T_RUN(tsig_bind_badsig);
	T_RUN(tsig_bind_badtime);
	T_RUN(tsig_roundtrip);
}
