/* test_sigv4.c - SigV4 against every applicable AWS vector in
 * $VAULTDR_VECTORS/sigv4: the classic suite (top level, normalize-path/,
 * post-sts-token/), aws-c-auth-v4/ cases with "normalize": true, and
 * route53-generated/.  One test case per vector. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "sigv4.h"
#include "t.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN_VANILLA \
	"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define TOKEN_STS \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW" \
	"LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd" \
	"QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75Y" \
	"U9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqB" \
	"Az+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLx" \
	"BA=="

#define MAXH 32

/* A parsed .req / request.txt. */
struct treq {
	char *text; /* owned file contents, cut in place */
	char method[16];
	char *target;
	struct http_header h[MAXH];
	char *hval[MAXH]; /* owned values (continuations joined) */
	size_t nh;
	const unsigned char *body;
	size_t body_len;
};

static void
treq_free(struct treq *r)
{
	size_t i;

	for (i = 0; i < r->nh; i++)
		free(r->hval[i]);
	free(r->target);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static int
add_header(struct treq *r, const char *name, const char *value)
{
	if (r->nh == MAXH)
		return -1;
	r->h[r->nh].name = (char *)name;
	r->hval[r->nh] = strdup(value);
	r->h[r->nh].value = r->hval[r->nh];
	r->nh++;
	return 0;
}

/* Request line split on the LAST " HTTP/1.1"; "Name:value" lines;
 * continuation lines (leading whitespace) appended with "\n"; a blank line,
 * then the body bytes exactly as stored. */
static int
treq_parse(struct treq *r, const char *path)
{
	char *p, *end, *eol, *line, *sp, *colon, *nv;
	const char *ver = " HTTP/1.1", *q, *last = NULL;
	size_t len;

	memset(r, 0, sizeof(*r));
	if ((r->text = t_read_file(path, &len)) == NULL)
		return -1;
	p = r->text;
	end = p + len;
	if ((eol = memchr(p, '\n', len)) == NULL)
		eol = end;
	*eol = '\0';
	for (q = p; (q = strstr(q, ver)) != NULL; q++)
		last = q;
	if (last == NULL || (sp = strchr(p, ' ')) == NULL || sp >= last ||
	    (size_t)(sp - p) >= sizeof(r->method))
		return -1;
	memcpy(r->method, p, (size_t)(sp - p));
	r->target = strndup(sp + 1, (size_t)(last - sp - 1));
	p = eol < end ? eol + 1 : end;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		line = p;
		if (eol == line) { /* blank line: the body follows */
			r->body = (const unsigned char *)eol + 1;
			r->body_len = (size_t)(end - eol - 1);
			return 0;
		}
		*eol = '\0';
		p = eol < end ? eol + 1 : end;
		if (*line == ' ' || *line == '\t') {
			if (r->nh == 0)
				return -1;
			len = strlen(r->hval[r->nh - 1]) + strlen(line) + 2;
			if ((nv = malloc(len)) == NULL)
				return -1;
			snprintf(nv, len, "%s\n%s", r->hval[r->nh - 1], line);
			free(r->hval[r->nh - 1]);
			r->hval[r->nh - 1] = nv;
			r->h[r->nh - 1].value = nv;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			return -1;
		*colon = '\0';
		if (add_header(r, line, colon + 1) == -1)
			return -1;
	}
	r->body = (const unsigned char *)"";
	return 0;
}

static const char *
treq_header(const struct treq *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

/* Expected output file, compared byte for byte (none has a final newline). */
static char *
read_expect(const char *dir, const char *base, const char *ext)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s%s", dir, base, ext);
	return t_read_file(path, NULL);
}

enum group { G_CLASSIC, G_CRT, G_R53 };

struct vcase {
	enum group g;
	char dir[768];
	char base[128];
};

static struct vcase *cases;
static size_t ncases, capcases;
static const struct vcase *cur;
static int crt_skipped;

static void
add_case(enum group g, const char *dir, const char *base)
{
	if (ncases == capcases) {
		capcases = capcases ? capcases * 2 : 64;
		cases = realloc(cases, capcases * sizeof(*cases));
		if (cases == NULL)
			abort();
	}
	cases[ncases].g = g;
	snprintf(cases[ncases].dir, sizeof(cases[ncases].dir), "%s", dir);
	snprintf(cases[ncases].base, sizeof(cases[ncases].base), "%s", base);
	ncases++;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subdirectory names of dir (malloc'd array of malloc'd names). */
static char **
subdirs(const char *dir, size_t *n)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[1024], **v = NULL;
	size_t cap = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			/* abort() on failure: nothing to leak. */
			/* cppcheck-suppress memleakOnRealloc */
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				abort();
		}
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Classic-layout case dirs under dir (those holding <name>/<name>.req). */
static void
scan_classic(const char *dir, enum group g, size_t *count)
{
	char **v, path[1024];
	size_t n, i;
	struct stat st;

	v = subdirs(dir, &n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s.req", dir, v[i], v[i]);
		if (stat(path, &st) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
			add_case(g, path, v[i]);
			(*count)++;
		}
	}
	free_names(v, n);
}

static int
json_flag(const struct json *j, const char *path)
{
	int v = 0;

	return json_get_bool(j, 0, path, &v) == 0 && v;
}

static void
check_authz_signature(const char *authz, const char *sig)
{
	const char *p = strstr(authz, "Signature=");

	CHECK(p != NULL);
	if (p)
		CHECK_STREQ(p + 10, sig);
}

static void
run_vector(void)
{
	const struct vcase *v = cur;
	struct treq r;
	struct sigv4_req sr;
	struct sigv4_creds c = { AKID, SECRET, NULL };
	struct buf authz = { 0 }, creq = { 0 }, sts = { 0 };
	struct json cj = { 0 };
	char path[1024], amz[17], *ctx = NULL, *ts = NULL, *tok = NULL;
	char *want_creq = NULL, *want_sts = NULL, *want_authz = NULL;
	char *region = NULL, *service = NULL, hash[65];
	const char *date;
	size_t i, k, clen;

	memset(&sr, 0, sizeof(sr));
	snprintf(path, sizeof(path), "%s/%s%s", v->dir, v->base,
	    v->g == G_CRT ? "" : ".req");
	if (v->g == G_CRT)
		snprintf(path, sizeof(path), "%s/request.txt", v->dir);
	if (!CHECK(treq_parse(&r, path) == 0))
		goto out;
	sr.region = "us-east-1";
	sr.service = v->g == G_R53 ? "route53" : "service";

	if (v->g == G_CRT) {
		snprintf(path, sizeof(path), "%s/context.json", v->dir);
		if (!CHECK((ctx = t_read_file(path, &clen)) != NULL) ||
		    !CHECK(json_parse(&cj, ctx, clen) == 0))
			goto out;
		CHECK(json_get_str(&cj, 0, "credentials.access_key_id",
		    (char **)&c.access_key) == 0);
		CHECK(json_get_str(&cj, 0, "credentials.secret_access_key",
		    (char **)&c.secret_key) == 0);
		CHECK(json_get_str(&cj, 0, "region", &region) == 0);
		CHECK(json_get_str(&cj, 0, "service", &service) == 0);
		CHECK(json_get_str(&cj, 0, "timestamp", &ts) == 0);
		if (!ts || !region || !service || strlen(ts) != 20)
			goto out;
		sr.region = region;
		sr.service = service;
		/* 2015-08-30T12:36:00Z -> 20150830T123600Z */
		for (i = 0, k = 0; ts[i] && k < 16; i++)
			if (ts[i] != '-' && ts[i] != ':')
				amz[k++] = ts[i];
		amz[k] = '\0';
		add_header(&r, "X-Amz-Date", amz);
		if (json_get_str(&cj, 0, "credentials.token", &tok) == 0 &&
		    !json_flag(&cj, "omit_session_token"))
			add_header(&r, "X-Amz-Security-Token", tok);
		if (json_flag(&cj, "sign_body")) {
			sigv4_sha256_hex(r.body, r.body_len, hash);
			add_header(&r, "x-amz-content-sha256", hash);
		}
		want_creq = read_expect(v->dir, "header-canonical-request.txt",
		    "");
		want_sts = read_expect(v->dir, "header-string-to-sign.txt", "");
		want_authz = read_expect(v->dir, "header-signature.txt", "");
	} else {
		if (strcmp(v->base, "get-vanilla-with-session-token") == 0)
			add_header(&r, "X-Amz-Security-Token", TOKEN_VANILLA);
		else if (strcmp(v->base,
		    "route53-change-rrset-session-token") == 0)
			add_header(&r, "X-Amz-Security-Token", TOKEN_STS);
		want_creq = read_expect(v->dir, v->base, ".creq");
		want_sts = read_expect(v->dir, v->base, ".sts");
		want_authz = read_expect(v->dir, v->base, ".authz");
	}
	if (!CHECK(want_creq && want_sts && want_authz))
		goto out;
	date = treq_header(&r, "X-Amz-Date");
	if (!CHECK(date != NULL))
		goto out;
	sr.method = r.method;
	sr.target = r.target;
	sr.hdrs = r.h;
	sr.nhdrs = r.nh;
	sr.body = r.body;
	sr.body_len = r.body_len;
	sr.amz_date = date;
	if (!CHECK(sigv4_authorization(&sr, &c, &authz, &creq, &sts) == 0))
		goto out;
	CHECK_MEMEQ(creq.data, creq.len, want_creq, strlen(want_creq));
	CHECK_MEMEQ(sts.data, sts.len, want_sts, strlen(want_sts));
	if (v->g == G_CRT)
		check_authz_signature(authz.data, want_authz);
	else
		CHECK_STREQ(authz.data, want_authz);
out:
	if (v->g == G_CRT) {
		free((char *)c.access_key);
		free((char *)c.secret_key);
	}
	free(region);
	free(service);
	free(ts);
	free(tok);
	free(ctx);
	json_free(&cj);
	free(want_creq);
	free(want_sts);
	free(want_authz);
	buf_free(&authz);
	buf_free(&creq);
	buf_free(&sts);
	treq_free(&r);
}

static size_t n_classic, n_crt, n_r53;

static void
collect(void)
{
	char dir[768], **v, path[1024], *ctx;
	size_t n, i, clen;
	struct json j;
	int norm;

	snprintf(dir, sizeof(dir), "%s/sigv4", t_vectors_dir());
	scan_classic(dir, G_CLASSIC, &n_classic);
	snprintf(dir, sizeof(dir), "%s/sigv4/normalize-path", t_vectors_dir());
	scan_classic(dir, G_CLASSIC, &n_classic);
	snprintf(dir, sizeof(dir), "%s/sigv4/post-sts-token", t_vectors_dir());
	scan_classic(dir, G_CLASSIC, &n_classic);
	snprintf(dir, sizeof(dir), "%s/sigv4/route53-generated",
	    t_vectors_dir());
	scan_classic(dir, G_R53, &n_r53);
	snprintf(dir, sizeof(dir), "%s/sigv4/aws-c-auth-v4", t_vectors_dir());
	v = subdirs(dir, &n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/context.json", dir, v[i]);
		if ((ctx = t_read_file(path, &clen)) == NULL)
			continue;
		norm = -1;
		if (json_parse(&j, ctx, clen) == 0) {
			if (json_get_bool(&j, 0, "normalize", &norm) != 0)
				norm = -1;
			json_free(&j);
		}
		free(ctx);
		if (norm == 0) {
			/* S3-style (unnormalized) rules: not what a
			 * normal-service signer does; counted, not run. */
			crt_skipped++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		add_case(G_CRT, path, v[i]);
		n_crt++;
	}
	free_names(v, n);
}

static void
vectors_found(void)
{
	/* 34 classic, 31 normalized CRT (+7 unnormalized skipped), 4 Route 53 */
	CHECK(n_classic >= 34);
	CHECK(n_crt >= 31);
	CHECK(crt_skipped == 7);
	CHECK(n_r53 >= 4);
	if (n_classic == 0 || n_crt == 0 || n_r53 == 0)
		fprintf(stderr, "  no SigV4 vectors under %s/sigv4\n",
		    t_vectors_dir());
}

/* Known answers for the key chain and helpers (sigv4.h 1.9). */
static void
sigv4_helpers(void)
{
	char h[65], d[17];

	sigv4_sha256_hex("", 0, h);
	CHECK_STREQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sigv4_sha256_hex("abc", 3, h);
	CHECK_STREQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sigv4_amz_date(1440938160LL, d);
	CHECK_STREQ(d, "20150830T123600Z");
	sigv4_amz_date(0, d);
	CHECK_STREQ(d, "19700101T000000Z");
}

static void
sigv4_paths(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "", "/" },
		{ "/", "/" },
		{ "///", "/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/b/..", "/a/" },
		{ "/a/./b/.", "/a/b/" },
		{ "/../../a", "/a" },
		{ "/a%2Fb", "/a%252Fb" },
		{ "/a b/*", "/a%20b/%2A" },
		{ "/2013-04-01/hostedzone/Z1/rrset/", "/2013-04-01/hostedzone/Z1/rrset/" },
		{ "/x?", "/x" },
	};
	struct http_header hd = { "Host", "h" };
	struct sigv4_req r = { 0 };
	struct buf creq = { 0 }, sh = { 0 };
	char *nl;
	size_t i;

	r.method = "GET";
	r.hdrs = &hd;
	r.nhdrs = 1;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.target = t[i].in;
		if (!CHECK(sigv4_canonical_request(&r, &creq, &sh) == 0))
			continue;
		nl = strchr(creq.data + 4, '\n');
		if (CHECK(nl != NULL)) {
			*nl = '\0';
			CHECK_STREQ(creq.data + 4, t[i].want);
		}
		buf_free(&creq);
		buf_free(&sh);
	}
}

static void
sigv4_queries(void)
{
	static const struct { const char *in, *want; } t[] = {
		{ "/?b=2&a=1", "a=1&b=2" },
		{ "/?a", "a=" },
		{ "/?a=&a", "a=&a=" },
		{ "/?x=%2a&y=%7E&z=a%20b", "x=%2A&y=~&z=a%20b" },
		{ "/?k=a+b", "k=a%2Bb" },
		{ "/?k=%zz", "k=%25zz" },
		{ "/?a=1&&b=2&", "a=1&b=2" },
		{ "/?name=www.example.com.&type=CNAME&maxitems=1",
		  "maxitems=1&name=www.example.com.&type=CNAME" },
		{ "/?v=a=b", "v=a%3Db" },
	};
	struct http_header hd = { "Host", "h" };
	struct sigv4_req r = { 0 };
	struct buf creq = { 0 }, sh = { 0 };
	char *p, *nl;
	size_t i;

	r.method = "GET";
	r.hdrs = &hd;
	r.nhdrs = 1;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.target = t[i].in;
		if (!CHECK(sigv4_canonical_request(&r, &creq, &sh) == 0))
			continue;
		p = strchr(creq.data, '\n');
		p = p ? strchr(p + 1, '\n') : NULL;
		nl = p ? strchr(p + 1, '\n') : NULL;
		if (CHECK(nl != NULL)) {
			*nl = '\0';
			CHECK_STREQ(p + 1, t[i].want);
		}
		buf_free(&creq);
		buf_free(&sh);
	}
}

static void
sigv4_errors(void)
{
	struct http_header hd = { "Host", "h" };
	struct sigv4_req r = { 0 };
	struct sigv4_creds c = { AKID, SECRET, NULL };
	struct buf a = { 0 };

	r.method = "GET";
	r.target = "/";
	r.hdrs = &hd;
	r.nhdrs = 1;
	r.region = "us-east-1";
	r.service = "route53";
	r.amz_date = "2015-08-30";
	CHECK(sigv4_authorization(&r, &c, &a, NULL, NULL) == -1);
	CHECK(strstr(err_get(), "X-Amz-Date") != NULL);
	r.amz_date = "20150830T123600Z";
	c.secret_key = "";
	CHECK(sigv4_authorization(&r, &c, &a, NULL, NULL) == -1);
	c.secret_key = SECRET;
	r.nhdrs = 0;
	CHECK(sigv4_authorization(&r, &c, &a, NULL, NULL) == -1);
	r.nhdrs = 1;
	CHECK(sigv4_authorization(&r, &c, &a, NULL, NULL) == 0);
	CHECK(strstr(a.data, SECRET) == NULL);
	CHECK(strncmp(a.data, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
	    "20150830/us-east-1/route53/aws4_request, SignedHeaders=host, "
	    "Signature=", 100) == 0);
	buf_free(&a);
}

void
suite_sigv4(void)
{
	char name[256];
	size_t i;

	ncases = 0;
	n_classic = n_crt = n_r53 = 0;
	crt_skipped = 0;
	collect();
	T_RUN(vectors_found);
	T_RUN(sigv4_helpers);
	T_RUN(sigv4_paths);
	T_RUN(sigv4_queries);
	T_RUN(sigv4_errors);
	for (i = 0; i < ncases; i++) {
		cur = &cases[i];
		snprintf(name, sizeof(name), "sigv4_%s_%s",
		    cases[i].g == G_CLASSIC ? "classic" :
		    cases[i].g == G_CRT ? "crt" : "r53", cases[i].base);
		t_run(name, run_vector);
	}
	free(cases);
	cases = NULL;
	ncases = capcases = 0;
}
