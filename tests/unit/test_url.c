/* test_url.c - url_parse: accepted forms and clear errors. */
#include <string.h>

#include "http.h"
#include "log.h"
#include "t.h"

struct url_ok {
	const char *in;
	int tls;
	const char *host;
	int port;
	int is_ip;
	const char *hostport;
	const char *target;
};

static const struct url_ok oks[] = {
	{ "https://vault.example:8200", 1, "vault.example", 8200, 0,
	    "vault.example:8200", "/" },
	{ "https://vault.example:8200/v1/sys/health?standbyok=true", 1,
	    "vault.example", 8200, 0, "vault.example:8200",
	    "/v1/sys/health?standbyok=true" },
	{ "http://localhost/", 0, "localhost", 80, 0, "localhost", "/" },
	{ "http://localhost:80/x", 0, "localhost", 80, 0, "localhost", "/x" },
	{ "https://h:443/x", 1, "h", 443, 0, "h", "/x" },
	{ "https://h:80/x", 1, "h", 80, 0, "h:80", "/x" },
	{ "HTTPS://Route53.AmazonAWS.com/2013-04-01/hostedzone", 1,
	    "Route53.AmazonAWS.com", 443, 0, "Route53.AmazonAWS.com",
	    "/2013-04-01/hostedzone" },
	{ "http://127.0.0.1:8200/v1", 0, "127.0.0.1", 8200, 1,
	    "127.0.0.1:8200", "/v1" },
	{ "https://[::1]:8200/v1/x", 1, "::1", 8200, 1, "[::1]:8200",
	    "/v1/x" },
	{ "https://[2001:db8::5]/", 1, "2001:db8::5", 443, 1, "[2001:db8::5]",
	    "/" },
	{ "http://[fe80::1:2]:65535", 0, "fe80::1:2", 65535, 1,
	    "[fe80::1:2]:65535", "/" },
	{ "http://h/p#frag", 0, "h", 80, 0, "h", "/p" },
	{ "http://h#frag", 0, "h", 80, 0, "h", "/" },
	{ "http://h?a=1", 0, "h", 80, 0, "h", "/?a=1" },
	{ "http://h:1/a/b/../c?x=%20y#z", 0, "h", 1, 0, "h:1",
	    "/a/b/../c?x=%20y" },
	{ "https://internal-usw2-prod-vault.elb.amazonaws.com", 1,
	    "internal-usw2-prod-vault.elb.amazonaws.com", 443, 0,
	    "internal-usw2-prod-vault.elb.amazonaws.com", "/" },
	{ "http://vault.example.:8200/", 0, "vault.example.", 8200, 0,
	    "vault.example.:8200", "/" },
	{ "http://my_host/", 0, "my_host", 80, 0, "my_host", "/" },
};

static void
url_accepts_valid_forms(void)
{
	struct url u;
	size_t i;

	for (i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		if (!CHECK(url_parse(oks[i].in, &u) == 0)) {
			CHECK_STREQ(oks[i].in, "(above failed)");
			continue;
		}
		CHECK(u.tls == oks[i].tls);
		CHECK_STREQ(u.host, oks[i].host);
		CHECK(u.port == oks[i].port);
		CHECK(u.host_is_ip == oks[i].is_ip);
		CHECK_STREQ(u.hostport, oks[i].hostport);
		CHECK_STREQ(u.target, oks[i].target);
		url_free(&u);
	}
}

struct url_bad {
	const char *in;
	const char *why; /* substring of the error */
};

static const struct url_bad bads[] = {
	{ "", "empty URL" },
	{ "ftp://h/", "scheme" },
	{ "vault.example:8200", "scheme" },
	{ "https//h/", "scheme" },
	{ "https://", "empty host" },
	{ "https:///path", "empty host" },
	{ "https://:8200/", "empty host" },
	{ "https://user:pw@h/", "user info" },
	{ "https://user@h/", "user info" },
	{ "https://h:0/", "port out of range" },
	{ "https://h:65536/", "port out of range" },
	{ "https://h:99999/", "port out of range" },
	{ "https://h:123456/", "bad port" },
	{ "https://h:/", "bad port" },
	{ "https://h:-1/", "bad port" },
	{ "https://h:8a/", "bad port" },
	{ "https://h:1:2/", "bad port" },
	{ "https://h /", "space or control" },
	{ "https://h/a b", "space or control" },
	{ "https://h/a\tb", "space or control" },
	{ "https://h/a\r\nHost: x", "space or control" },
	{ "https://h/\x7f", "space or control" },
	{ "https://[::1/", "missing ']'" },
	{ "https://[]/", "bad IPv6" },
	{ "https://[zz::1]/", "bad IPv6" },
	{ "https://[::1]x/", "after ']'" },
	{ "https://1.2.3/", "bad IPv4" },
	{ "https://256.1.1.1/", "bad IPv4" },
	{ "https://h%41/", "bad character in host" },
	{ "https://h!x/", "bad character in host" },
};

static void
url_rejects_bad_forms(void)
{
	struct url u;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		err_clear();
		if (!CHECK(url_parse(bads[i].in, &u) == -1)) {
			CHECK_STREQ(bads[i].in, "(accepted but should not be)");
			url_free(&u);
			continue;
		}
		if (!CHECK(strstr(err_get(), bads[i].why) != NULL)) {
			CHECK_STREQ(err_get(), bads[i].why);
		}
		CHECK(u.target == NULL);
	}
}

static void
url_error_names_the_url(void)
{
	struct url u;

	CHECK(url_parse("https://vault.example:99999/v1", &u) == -1);
	CHECK_STREQ(err_get(), "URL https://vault.example:99999/v1: port out "
	    "of range (1-65535)");
}

static void
url_long_host_rejected(void)
{
	char s[400];
	struct url u;

	memset(s, 'a', sizeof(s));
	memcpy(s, "http://", 7);
	s[sizeof(s) - 1] = '\0';
	CHECK(url_parse(s, &u) == -1);
	CHECK(strstr(err_get(), "too long") != NULL);
}

static void
url_free_is_null_safe(void)
{
	struct url u;

	url_free(NULL);
	CHECK(url_parse("http://h/", &u) == 0);
	url_free(&u);
	url_free(&u); /* target reset to NULL */
	CHECK(u.target == NULL);
}

void
suite_url(void)
{
	T_RUN(url_accepts_valid_forms);
	T_RUN(url_rejects_bad_forms);
	T_RUN(url_error_names_the_url);
	T_RUN(url_long_host_rejected);
	T_RUN(url_free_is_null_safe);
}
