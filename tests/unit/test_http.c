/* test_http.c - http_request against local scripted servers: framing,
 * keep-alive and reconnects, redirects, timeouts, TLS and client certs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "proxy.h"
#include "secret.h"
#include "t.h"
#include "tsrv.h"

#define OK_CL "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


static char *
url(const struct tsrv *s, const char *scheme, const char *path)
{
	static char b[4][256];
	static int k;
	char *p = b[k++ % 4];

	snprintf(p, sizeof(b[0]), "%s://127.0.0.1:%d%s", scheme, s->port, path);
	return p;
}

static void
http_content_length_and_request_headers(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP } };
	static const struct http_header h[] = {
		{ "X-Vault-Token", "s.secret" },
		{ "Content-Type", "application/json" },
	};
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char want[512];

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "PUT", url(&s, "http", "/v1/x?y=1#frag"), h, 2,
	    NULL, 0, &r) == 0);
	CHECK(r.status == 200);
	CHECK_MEMEQ(r.body, r.body_len, "hello", 5);
	CHECK(http_last_error(c) == CONN_OK);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
	snprintf(want, sizeof(want), "PUT /v1/x?y=1 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nUser-Agent: vaultdr/%s\r\n"
	    "X-Vault-Token: s.secret\r\nContent-Type: application/json\r\n"
	    "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n", s.port,
	    VAULTDR_VERSION);
	CHECK_STREQ(s.req[0], want);
}

static void
http_chunked_body(void)
{
	static const struct tsrv_step st[] = { { "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"a\"\r\n"
	    "3\r\n:1}\r\n0\r\nT: v\r\n\r\n", TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/"), NULL, 0, NULL, 0,
	    &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "{\"a\":1}", 7);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
}

static void
http_keep_alive_reuses_connection(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP },
		{ OK_CL, TSRV_KEEP }, { OK_CL, TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[4];
	struct tsrv s;
	int i;

	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	c = tsrv_http_client(NULL, 1000);
	for (i = 0; i < 3; i++) {
		CHECK(http_request(c, "GET", url(&s, "http", "/a"), NULL, 0,
		    NULL, 0, &r) == 0);
		CHECK(r.status == 200 && r.keep_alive);
		http_response_free(&r);
	}
	CHECK(http_client_stats(c, hs, 4) == 1);
	CHECK(hs[0].connections == 1);
	CHECK(hs[0].requests == 3);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.accepts == 1);
}

static void
http_reconnect_after_connection_close(void)
{
	static const struct tsrv_step st[] = {
		{ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1"
		    "\r\n\r\na", TSRV_CLOSE },
		{ OK_CL, TSRV_KEEP },
	};
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[1];
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 2) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/1"), NULL, 0, NULL, 0,
	    &r) == 0);
	CHECK(!r.keep_alive);
	http_response_free(&r);
	CHECK(http_request(c, "GET", url(&s, "http", "/2"), NULL, 0, NULL, 0,
	    &r) == 0);
	CHECK(r.status == 200);
	http_response_free(&r);
	http_client_stats(c, hs, 1);
	CHECK(hs[0].connections == 2 && hs[0].requests == 2);
	http_client_free(c);
	tsrv_stop(&s);
}

/* The server says keep-alive but closes the idle connection anyway; the
 * next request goes out on a fresh connection. */
static void
http_reconnect_after_idle_close(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_CLOSE },
		{ OK_CL, TSRV_ABORT } };
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[1];
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 2) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "POST", url(&s, "http", "/1"), NULL, 0, "{}", 2,
	    &r) == 0);
	http_response_free(&r);
	usleep(50000); /* let the close arrive */
	CHECK(http_request(c, "POST", url(&s, "http", "/2"), NULL, 0, "{}", 2,
	    &r) == 0);
	CHECK(r.status == 200);
	http_response_free(&r);
	http_client_stats(c, hs, 1);
	CHECK(hs[0].connections == 2 && hs[0].requests == 2);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.nreq == 2);
}

/* The server reads the request on a reused connection and hangs up without
 * a byte of reply (it closed while idle): retried once, on a new one. */
static void
http_retry_once_on_reused_connection(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP },
		{ "", TSRV_ABORT }, { OK_CL, TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[1];
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/1"), NULL, 0, NULL, 0,
	    &r) == 0);
	http_response_free(&r);
	CHECK(http_request(c, "GET", url(&s, "http", "/2"), NULL, 0, NULL, 0,
	    &r) == 0);
	CHECK(r.status == 200);
	http_response_free(&r);
	http_client_stats(c, hs, 1);
	CHECK(hs[0].connections == 2 && hs[0].requests == 2);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.nreq == 3);
}

/* A client that follows redirects (Vault) re-sends the same method, body
 * and headers to an https Location. */
static void
http_redirect_307_keeps_method_body_headers(void)
{
	static const struct tsrv_step st[] = {
		{ "HTTP/1.1 307 Temporary Redirect\r\nLocation: /v1/active\r\n"
		    "Content-Length: 0\r\n\r\n", TSRV_KEEP },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", TSRV_KEEP },
	};
	static const struct http_header h[] = { { "X-Vault-Token", "tok1" } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char u[128];

	CHECK(tc != NULL);
	CHECK(tsrv_start(&s, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st, 2) == 0);
	c = tsrv_http_client(tc, 1000);
	http_client_follow_redirects(c, 1);
	snprintf(u, sizeof(u), "https://localhost:%d/v1/standby", s.port);
	CHECK(http_request(c, "POST", u, h, 1, "{\"k\":1}", 7, &r) == 0);
	CHECK(r.status == 200);
	CHECK(r.fail == HTTP_OK && r.sent == 1);
	CHECK_MEMEQ(r.body, r.body_len, "ok", 2);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
	tls_client_free(tc);
	CHECK(s.nreq == 2);
	CHECK(strncmp(s.req[1], "POST /v1/active HTTP/1.1\r\n", 26) == 0);
	CHECK(strstr(s.req[1], "\r\nX-Vault-Token: tok1\r\n") != NULL);
	CHECK(strstr(s.req[1], "\r\nContent-Length: 7\r\n") != NULL);
	CHECK(strstr(s.req[1], "\r\n\r\n{\"k\":1}") != NULL);
}

static void
http_redirect_limits(void)
{
	static const char loop[] = "HTTP/1.1 308 Permanent Redirect\r\n"
	    "Location: /again\r\nContent-Length: 0\r\n\r\n";
	static const struct tsrv_step st[] = { { loop, TSRV_KEEP },
		{ loop, TSRV_KEEP }, { loop, TSRV_KEEP }, { loop, TSRV_KEEP } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char u[128];

	CHECK(tsrv_start(&s, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st, 4) == 0);
	c = tsrv_http_client(tc, 1000);
	http_client_follow_redirects(c, 1);
	snprintf(u, sizeof(u), "https://localhost:%d/", s.port);
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == -1);
	CHECK(strstr(err_get(), "more than 3 redirects") != NULL);
	CHECK(http_last_proto_error(c) == 1);
	CHECK(r.fail == HTTP_E_PROTO && r.sent == 0);
	CHECK(r.body == NULL);
	http_client_free(c);
	tsrv_stop(&s);
	tls_client_free(tc);
	CHECK(s.nreq == 4);
}

/* Following redirects never leaves https: a Location with http (an https
 * to http downgrade, or a plain http one) is refused and nothing reaches
 * the target. */
static void
http_redirect_to_http_refused(void)
{
	static char to_http[160];
	static struct tsrv_step st[] = { { to_http, TSRV_KEEP } };
	static const struct tsrv_step st2[] = { { OK_CL, TSRV_KEEP } };
	static const struct http_header h[] = { { "X-Vault-Token", "tok1" } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_response r;
	struct http_client *c;
	struct tsrv s, s2;
	char u[128], want[64];

	CHECK(tsrv_start(&s2, NULL, NULL, st2, 1) == 0);
	snprintf(to_http, sizeof(to_http), "HTTP/1.1 307 Temporary Redirect"
	    "\r\nLocation: http://127.0.0.1:%d/v1/x\r\nContent-Length: 0"
	    "\r\n\r\n", s2.port);
	CHECK(tsrv_start(&s, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st, 1) == 0);
	c = tsrv_http_client(tc, 1000);
	http_client_follow_redirects(c, 1);
	snprintf(u, sizeof(u), "https://localhost:%d/v1/x", s.port);
	CHECK(http_request(c, "POST", u, h, 1, "{}", 2, &r) == -1);
	snprintf(want, sizeof(want), "redirect to http://127.0.0.1:%d refused",
	    s2.port);
	CHECK(strstr(err_get(), want) != NULL);
	CHECK(r.fail == HTTP_E_PROTO && r.sent == 0);
	/* http to http is not followed either. */
	tsrv_stop(&s);
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	CHECK(http_request(c, "GET", url(&s, "http", "/"), NULL, 0, NULL, 0,
	    &r) == -1);
	CHECK(strstr(err_get(), want) != NULL);
	http_client_free(c);
	tsrv_stop(&s);
	tsrv_stop(&s2);
	tls_client_free(tc);
	CHECK(s2.accepts == 0);
}

/* A client that does not follow redirects (Route 53: signed requests)
 * returns the 307 as is; the signed headers never reach the other host. */
static void
http_redirect_not_followed_by_default(void)
{
	static char to_other[160];
	static struct tsrv_step st[] = { { to_other, TSRV_KEEP } };
	static const struct tsrv_step st2[] = { { OK_CL, TSRV_KEEP } };
	static const struct http_header h[] = {
		{ "Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x" },
		{ "X-Amz-Security-Token", "sessiontok" },
	};
	struct tls_client *tc = tsrv_tls_client();
	struct http_response r;
	struct http_client *c;
	struct tsrv s, s2;
	char u[128], loc[128];

	CHECK(tsrv_start(&s2, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st2, 1) == 0);
	snprintf(loc, sizeof(loc), "https://127.0.0.1:%d/2013-04-01/x",
	    s2.port);
	snprintf(to_other, sizeof(to_other), "HTTP/1.1 307 Temporary Redirect"
	    "\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", loc);
	CHECK(tsrv_start(&s, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st, 1) == 0);
	c = tsrv_http_client(tc, 1000);
	snprintf(u, sizeof(u), "https://localhost:%d/2013-04-01/x", s.port);
	CHECK(http_request(c, "POST", u, h, 2, "<x/>", 4, &r) == 0);
	CHECK(r.status == 307 && r.fail == HTTP_OK && r.sent == 1);
	CHECK_STREQ(http_resp_header(&r, "Location"), loc);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
	tsrv_stop(&s2);
	tls_client_free(tc);
	CHECK(s.nreq == 1);
	CHECK(s2.accepts == 0 && s2.nreq == 0);
}

static void
http_read_timeout_bounded(void)
{
	static const struct tsrv_step st[] = { { "", TSRV_SILENT } };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	long t0, dt;
	char want[200];

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = tsrv_http_client(NULL, 300);
	t0 = tsrv_now_ms();
	CHECK(http_request(c, "GET", url(&s, "http", "/v1/sys/health?x=secret"),
	    NULL, 0, NULL, 0, &r) == -1);
	dt = tsrv_now_ms() - t0;
	CHECK(dt >= 290 && dt < 700);
	CHECK(http_last_error(c) == CONN_E_TIMEOUT);
	CHECK(http_last_sent(c) == 1);
	CHECK(http_last_proto_error(c) == 0);
	CHECK(r.fail == HTTP_E_TIMEOUT && r.sent == 1);
	snprintf(want, sizeof(want), "GET 127.0.0.1:%d /v1/sys/health: read "
	    "from 127.0.0.1:%d timed out after 0.3 s", s.port, s.port);
	CHECK_STREQ(err_get(), want);
	http_client_free(c);
	tsrv_stop(&s);
}

static void
http_refused_not_sent(void)
{
	struct http_response r;
	struct http_client *c = tsrv_http_client(NULL, 300);
	char u[64];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", tsrv_free_port());
	CHECK(http_request(c, "POST", u, NULL, 0, "x", 1, &r) == -1);
	CHECK(http_last_error(c) == CONN_E_CONNECT);
	CHECK(http_last_sent(c) == 0);
	CHECK(r.fail == HTTP_E_CONNECT && r.sent == 0);
	CHECK(strstr(err_get(), "Connection refused") != NULL);
	http_client_free(c);
}

static void
http_malformed_reply_is_proto_error(void)
{
	static const struct tsrv_step st[] = { { "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/"), NULL, 0, NULL, 0,
	    &r) == -1);
	CHECK(http_last_proto_error(c) == 1);
	CHECK(http_last_error(c) == CONN_E_IO);
	CHECK(r.fail == HTTP_E_PROTO && r.sent == 1);
	CHECK(strstr(err_get(), "duplicate Content-Length") != NULL);
	http_client_free(c);
	tsrv_stop(&s);
}

/* A response cut short on a reused connection is not retried: bytes of
 * the answer arrived, so the server did act on the request. */
static void
http_truncated_reply_not_retried(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		    TSRV_ABORT },
		{ OK_CL, TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/"), NULL, 0, NULL, 0,
	    &r) == 0);
	http_response_free(&r);
	CHECK(http_request(c, "DELETE", url(&s, "http", "/x"), NULL, 0, NULL,
	    0, &r) == -1);
	CHECK(strstr(err_get(), "body truncated after 3 of 10 bytes") != NULL);
	CHECK(http_last_error(c) == CONN_E_IO);
	CHECK(http_last_sent(c) == 1);
	CHECK(r.fail == HTTP_E_PROTO || r.fail == HTTP_E_IO);
	CHECK(r.sent == 1);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.nreq == 2);
}

/* A changing request on a reused connection that dies before any answer
 * byte is NOT sent again (it may have been carried out): -1, sent, and the
 * next request opens a fresh connection. */
static void
http_changing_request_never_resent(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP },
		{ "", TSRV_ABORT }, { OK_CL, TSRV_KEEP } };
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[1];
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", url(&s, "http", "/1"), NULL, 0, NULL, 0,
	    &r) == 0);
	http_response_free(&r);
	CHECK(http_request(c, "POST", url(&s, "http", "/promote"), NULL, 0,
	    "{}", 2, &r) == -1);
	CHECK(r.fail == HTTP_E_IO && r.sent == 1);
	CHECK(http_last_sent(c) == 1 && http_last_error(c) == CONN_E_IO);
	CHECK(http_request(c, "GET", url(&s, "http", "/3"), NULL, 0, NULL, 0,
	    &r) == 0);
	http_response_free(&r);
	http_client_stats(c, hs, 1);
	CHECK(hs[0].connections == 2);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.nreq == 3);
	CHECK(strncmp(s.req[1], "POST /promote ", 14) == 0);
	CHECK(strncmp(s.req[2], "GET /3 ", 7) == 0);
}

/* One deadline for the request and its whole response: a server sending
 * one byte every 100 ms cannot stretch a 500 ms budget (the old per-read
 * timeout would have waited for all ~40 bytes, about 4 s). */
static void
http_drip_bounded_by_request_deadline(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_DRIP } };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	long t0, dt;
	char want[160];

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = tsrv_http_client(NULL, 500);
	t0 = tsrv_now_ms();
	CHECK(http_request(c, "GET", url(&s, "http", "/v1/sys/health"), NULL,
	    0, NULL, 0, &r) == -1);
	dt = tsrv_now_ms() - t0;
	CHECK(dt >= 490 && dt < 900);
	CHECK(r.fail == HTTP_E_TIMEOUT && r.sent == 1);
	snprintf(want, sizeof(want), "GET 127.0.0.1:%d /v1/sys/health: read "
	    "from 127.0.0.1:%d timed out after 0.5 s", s.port, s.port);
	CHECK_STREQ(err_get(), want);
	http_client_free(c);
	tsrv_stop(&s);
}

static void
http_https_keep_alive_and_bad_url(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP },
		{ OK_CL, TSRV_KEEP } };
	struct tls_config tcfg = { 0 };
	struct tls_client *tc;
	struct http_response r;
	struct http_client *c;
	struct http_stats hs[2];
	struct tsrv s;
	char u[128];

	tcfg.ca_file = tsrv_cert("ca.pem");
	tc = tls_client_new(&tcfg);
	CHECK(tc != NULL);
	CHECK(tsrv_start(&s, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    st, 2) == 0);
	c = tsrv_http_client(tc, 1000);
	snprintf(u, sizeof(u), "https://localhost:%d/v1/a", s.port);
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "hello", 5);
	http_response_free(&r);
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == 0);
	http_response_free(&r);
	CHECK(http_client_stats(c, hs, 2) == 1);
	CHECK(hs[0].connections == 1 && hs[0].requests == 2);
	snprintf(u, sizeof(u), "localhost:%d", s.port);
	CHECK_STREQ(hs[0].hostport, u);
	CHECK(http_request(c, "GET", "https://user@h/", NULL, 0, NULL, 0,
	    &r) == -1);
	CHECK(http_last_error(c) == CONN_E_CONFIG);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK_STREQ(s.sni[0], "localhost");
	/* https without a TLS client is refused. */
	c = tsrv_http_client(NULL, 1000);
	CHECK(http_request(c, "GET", "https://localhost:1/", NULL, 0, NULL, 0,
	    &r) == -1);
	CHECK(strstr(err_get(), "https is not configured") != NULL);
	http_client_free(c);
	tls_client_free(tc);
}

static void
http_https_errors_carry_tls_message(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP } };
	struct tls_config tcfg = { 0 };
	struct tls_client *tc;
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char u[128], want[256];

	tcfg.ca_file = tsrv_cert("ca.pem");
	tc = tls_client_new(&tcfg);
	CHECK(tsrv_start(&s, tsrv_cert("wronghost.pem"),
	    tsrv_cert("wronghost.key"), st, 1) == 0);
	c = tsrv_http_client(tc, 1000);
	snprintf(u, sizeof(u), "https://localhost:%d/v1/sys/health", s.port);
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == -1);
	CHECK(http_last_error(c) == CONN_E_TLS);
	CHECK(http_last_sent(c) == 0);
	CHECK(r.fail == HTTP_E_TLS && r.sent == 0);
	snprintf(want, sizeof(want), "GET localhost:%d /v1/sys/health: TLS: "
	    "certificate does not match host name localhost "
	    "(BR_ERR_X509_BAD_SERVER_NAME)", s.port);
	CHECK_STREQ(err_get(), want);
	http_client_free(c);
	tsrv_stop(&s);
	tls_client_free(tc);
}

static void
http_client_cert_via_openssl(void)
{
	static const char *extra[] = { "-tls1_2", "-Verify", "1", "-CAfile",
		NULL, NULL };
	static const char *const pairs[][2] = {
		{ "client.pem", "client.key" },
		{ "client-rsa.pem", "client-rsa.key" },
	};
	struct tls_config tcfg = { 0 };
	struct tls_client *tc;
	struct http_response r;
	struct http_client *c;
	char u[64], ca[512];
	int port = tsrv_free_port(), i;
	pid_t pid;

	snprintf(ca, sizeof(ca), "%s", tsrv_cert("ca.pem"));
	extra[4] = ca;
	pid = tsrv_openssl(port, tsrv_cert("server-rsa.pem"),
	    tsrv_cert("server-rsa.key"), extra);
	CHECK(pid > 0);
	snprintf(u, sizeof(u), "https://localhost:%d/", port);
	tcfg.ca_file = ca;
	for (i = 0; i < 2; i++) {
		tcfg.client_cert = tsrv_cert(pairs[i][0]);
		tcfg.client_key = tsrv_cert(pairs[i][1]);
		tc = tls_client_new(&tcfg);
		CHECK(tc != NULL);
		c = tsrv_http_client(tc, 2000);
		CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == 0);
		CHECK(r.status == 200);
		CHECK(r.keep_alive == 0); /* HTTP/1.0, read until close */
		CHECK(r.body_len > 0);
		http_response_free(&r);
		http_client_free(c);
		tls_client_free(tc);
	}
	tsrv_openssl_stop(pid);
}

static void
http_verbose_line_without_query(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP } };
	struct http_client_config cfg = { 0 };
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char out[512] = "", want[128];
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	CHECK(tmp != NULL);
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	cfg.connect_timeout_ms = cfg.io_timeout_ms = 1000;
	cfg.verbose = 1;
	c = http_client_new(&cfg);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	log_init(LOG_TEXT, 1);
	CHECK(http_request(c, "GET", url(&s, "http", "/v1/x?token=abc"), NULL,
	    0, NULL, 0, &r) == 0);
	log_init(LOG_TEXT, 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	snprintf(want, sizeof(want), "vaultdr: GET http://127.0.0.1:%d/v1/x -> "
	    "200\n", s.port);
	CHECK_STREQ(out, want);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
}

static void
http_rejects_header_injection(void)
{
	static const struct http_header h[] = { { "X-A", "b\r\nX-Evil: 1" } };
	struct http_response r;
	struct http_client *c = tsrv_http_client(NULL, 300);

	CHECK(http_request(c, "GET", "http://127.0.0.1:1/", h, 1, NULL, 0,
	    &r) == -1);
	CHECK(http_last_error(c) == CONN_E_CONFIG);
	CHECK(http_last_sent(c) == 0);
	CHECK(r.fail == HTTP_E_CONFIG && r.sent == 0);
	http_client_free(c);
	http_client_free(NULL);
	http_response_free(NULL);
}

/* ---- proxies ------------------------------------------------------------ */

static void
proxy_no_proxy_table(void)
{
	static const struct {
		const char *list, *host;
		int want;
	} t[] = {
		{ NULL, "vault.example.com", 0 },
		{ "", "vault.example.com", 0 },
		{ "*", "vault.example.com", 1 },
		{ "*", "10.1.2.3", 1 },
		{ "example.com", "example.com", 1 },
		{ "example.com", "vault.example.com", 1 },
		{ ".example.com", "vault.example.com", 1 },
		{ ".example.com", "example.com", 1 },
		{ "*.example.com", "a.b.example.com", 1 },
		{ "example.com", "badexample.com", 0 },
		{ "example.com", "example.com.evil.test", 0 },
		{ "EXAMPLE.com", "Vault.Example.COM.", 1 },
		{ "example.com.", "vault.example.com", 1 },
		{ "other.test, example.com", "vault.example.com", 1 },
		{ " other.test ,, example.com:443 ", "vault.example.com", 1 },
		{ "other.test", "vault.example.com", 0 },
		{ "10.1.2.3", "10.1.2.3", 1 },
		{ "10.1.2.3:8200", "10.1.2.3", 1 },
		{ "10.1.2.3", "10.1.2.33", 0 },
		{ "1.2.3", "10.1.2.3", 0 }, /* no suffix matching of addresses */
		{ "10.0.0.0/8", "10.200.3.4", 1 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "192.168.1.0/25", "192.168.1.127", 1 },
		{ "192.168.1.0/25", "192.168.1.128", 0 },
		{ "0.0.0.0/0", "8.8.8.8", 1 },
		{ "10.0.0.0/33", "10.0.0.1", 0 },
		{ "10.0.0.0/x", "10.0.0.1", 0 },
		{ "::1", "::1", 1 },
		{ "[::1]:8200", "::1", 1 },
		{ "::1", "0:0:0:0:0:0:0:1", 1 },
		{ "fd00::/8", "fd12::5", 1 },
		{ "fd00::/8", "fe80::1", 0 },
		{ "10.0.0.0/8", "::ffff:10.0.0.1", 0 },
		{ "localhost", "localhost", 1 },
		{ "localhost", "127.0.0.1", 0 }, /* names never match addresses */
		{ "127.0.0.1", "localhost", 0 },
		{ ".", "example.com", 0 },
		{ "example.com", "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!CHECK(proxy_no_proxy_match(t[i].list, t[i].host) ==
		    t[i].want))
			fprintf(stderr, "  NO_PROXY=%s host=%s want %d\n",
			    t[i].list ? t[i].list : "(null)", t[i].host,
			    t[i].want);
}

static void
proxy_url_parse_good(void)
{
	static const struct {
		const char *in, *host, *shown, *auth;
		int port;
	} t[] = {
		{ "http://proxy.corp:3128", "proxy.corp", "http://proxy.corp:3128",
		    NULL, 3128 },
		{ "http://proxy.corp", "proxy.corp", "http://proxy.corp:80", NULL,
		    80 },
		{ "proxy.corp:8080", "proxy.corp", "http://proxy.corp:8080", NULL,
		    8080 },
		{ "HTTP://10.0.0.1:3128/", "10.0.0.1", "http://10.0.0.1:3128",
		    NULL, 3128 },
		{ "http://[fd00::1]:3128", "fd00::1", "http://[fd00::1]:3128",
		    NULL, 3128 },
		{ "http://alice:p%40ss%3Aw%2Frd%25x@proxy.corp:3128",
		    "proxy.corp", "http://***@proxy.corp:3128",
		    "Basic YWxpY2U6cEBzczp3L3JkJXg=", 3128 },
		{ "http://alice:p@ss:w%2Frd%25x@proxy.corp:3128", "proxy.corp",
		    "http://***@proxy.corp:3128",
		    "Basic YWxpY2U6cEBzczp3L3JkJXg=", 3128 },
		{ "http://bob@proxy.corp", "proxy.corp",
		    "http://***@proxy.corp:80", "Basic Ym9iOg==", 80 },
	};
	struct proxy p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!CHECK(proxy_url_parse(t[i].in, "HTTPS_PROXY", &p) == 0)) {
			fprintf(stderr, "  %s: %s\n", t[i].in, err_get());
			continue;
		}
		CHECK(p.set == 1);
		CHECK_STREQ(p.host, t[i].host);
		CHECK(p.port == t[i].port);
		CHECK_STREQ(p.shown, t[i].shown);
		CHECK(p.has_auth == (t[i].auth != NULL));
		if (t[i].auth)
			CHECK_STREQ(p.auth.s, t[i].auth);
		proxy_free(&p);
	}
}

static void
proxy_url_parse_bad(void)
{
	static const struct {
		const char *in, *why;
	} t[] = {
		{ "https://proxy.corp:3128", "only http:// proxies" },
		{ "socks5://u:Sekr1tPw@proxy.corp:1080", "only http:// proxies" },
		{ "http://proxy.corp:0", "port out of range" },
		{ "http://proxy.corp:99999", "port out of range" },
		{ "http://proxy.corp:31x8", "bad port" },
		{ "http://:3128", "empty host" },
		{ "http://u:Sekr1tPw@", "empty host" },
		{ "http://proxy.corp:3128/path", "no path" },
		{ "http://proxy.corp:3128?q=1", "no path" },
		{ "http://u:Sekr1tPw%zz@proxy.corp", "percent-encoding" },
		{ "http://u:Sekr1tPw%00@proxy.corp", "percent-encoding" },
		{ "http://:Sekr1tPw@proxy.corp", "empty user name" },
		{ "http://prox y.corp", "space" },
		{ "", "empty" },
	};
	struct proxy p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!CHECK(proxy_url_parse(t[i].in, "HTTPS_PROXY", &p) == -1))
			continue;
		CHECK(p.set == 0 && p.auth.s == NULL);
		if (!CHECK(strstr(err_get(), t[i].why) != NULL) ||
		    !CHECK(strstr(err_get(), "HTTPS_PROXY") != NULL))
			fprintf(stderr, "  %s: %s\n", t[i].in, err_get());
		/* The password is never part of a message. */
		CHECK(strstr(err_get(), "Sekr1tPw") == NULL);
		proxy_free(&p);
	}
}

static void
proxy_for_scheme_and_bypass(void)
{
	struct proxy_env pe;

	CHECK(proxy_env_init(&pe, "http://sp:3128", "http://pp:3129",
	    "internal.test,10.9.0.0/16") == 0);
	CHECK(proxy_for(&pe, 1, "route53.amazonaws.com") == &pe.https);
	CHECK(proxy_for(&pe, 0, "route53.amazonaws.com") == &pe.http);
	CHECK(proxy_for(&pe, 1, "vault.internal.test") == NULL);
	CHECK(proxy_for(&pe, 1, "10.9.1.1") == NULL);
	/* Instance metadata is never asked through a proxy. */
	CHECK(proxy_for(&pe, 0, "169.254.169.254") == NULL);
	CHECK(proxy_for(&pe, 0, "169.254.170.2") == NULL);
	CHECK(proxy_for(&pe, 0, "fd00:ec2::254") == NULL);
	CHECK(proxy_for(&pe, 0, "fe80::1") == NULL);
	CHECK(proxy_for(NULL, 1, "x.test") == NULL);
	proxy_env_free(&pe);
	CHECK(proxy_env_init(&pe, "http://sp:3128", NULL, "*") == 0);
	CHECK(proxy_for(&pe, 1, "route53.amazonaws.com") == NULL);
	proxy_env_free(&pe);
	CHECK(proxy_env_init(&pe, NULL, "http://pp:3129", NULL) == 0);
	CHECK(proxy_for(&pe, 1, "route53.amazonaws.com") == NULL);
	proxy_env_free(&pe);
	CHECK(proxy_env_init(&pe, "ftp://x", NULL, NULL) == -1);
	CHECK(strstr(pe.error, "HTTPS_PROXY") != NULL);
	proxy_env_free(&pe);
}

/* A client whose plain-http requests go through the proxy at port. */
static struct http_client *
proxied_client(struct proxy_env *pe, int port, const char *userinfo,
    int io_ms)
{
	char u[256];

	snprintf(u, sizeof(u), "http://%s127.0.0.1:%d", userinfo, port);
	if (!CHECK(proxy_env_init(pe, u, u, NULL) == 0))
		return NULL;
	struct http_client *c = tsrv_http_client(NULL, io_ms);
	http_client_set_proxy(c, pe);
	return c;
}

static void
proxy_connect_framing(void)
{
	/* The scripted server is the proxy and, inside the tunnel, the
	 * target: a plain-http target keeps the test free of TLS. */
	static const struct tsrv_step st[] = {
		{ "HTTP/1.1 200 Connection established\r\n"
		  "Proxy-Agent: test\r\n\r\n", TSRV_KEEP },
		{ OK_CL, TSRV_KEEP }, { OK_CL, TSRV_KEEP } };
	struct proxy_env pe;
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	struct http_stats hs[2];
	char want[512];

	CHECK(tsrv_start(&s, NULL, NULL, st, 3) == 0);
	c = proxied_client(&pe, s.port, "alice:p%40ss:w%2Frd%25x@", 1000);
	CHECK(http_request(c, "GET", "http://vault.internal.test:8200/v1/x",
	    NULL, 0, NULL, 0, &r) == 0);
	CHECK(r.status == 200);
	CHECK_MEMEQ(r.body, r.body_len, "hello", 5);
	http_response_free(&r);
	/* Keep-alive: the second request rides the same tunnel. */
	CHECK(http_request(c, "GET", "http://vault.internal.test:8200/v1/y",
	    NULL, 0, NULL, 0, &r) == 0);
	http_response_free(&r);
	CHECK(http_client_stats(c, hs, 2) == 1 && hs[0].connections == 1);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(s.accepts == 1);
	CHECK_STREQ(s.req[0], "CONNECT vault.internal.test:8200 HTTP/1.1\r\n"
	    "Host: vault.internal.test:8200\r\nUser-Agent: vaultdr/"
	    VAULTDR_VERSION "\r\nProxy-Authorization: Basic "
	    "YWxpY2U6cEBzczp3L3JkJXg=\r\n\r\n");
	snprintf(want, sizeof(want), "GET /v1/x HTTP/1.1\r\n"
	    "Host: vault.internal.test:8200\r\nUser-Agent: vaultdr/%s\r\n"
	    "Connection: keep-alive\r\n\r\n", VAULTDR_VERSION);
	CHECK_STREQ(s.req[1], want);
	CHECK(strstr(s.req[2], "GET /v1/y ") == s.req[2]);
	proxy_env_free(&pe);
}

static void
proxy_407_and_403_reported(void)
{
	static const struct tsrv_step st407[] = {
		{ "HTTP/1.1 407 Proxy Authentication Required\r\n"
		  "Proxy-Authenticate: Basic realm=\"x\"\r\n"
		  "Content-Length: 0\r\n\r\n", TSRV_CLOSE } };
	static const struct tsrv_step st403[] = {
		{ "HTTP/1.0 403 Forbidden\r\n\r\n", TSRV_CLOSE } };
	static const struct tsrv_step st502[] = {
		{ "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
		  TSRV_CLOSE } };
	struct proxy_env pe;
	struct http_response r;
	struct http_client *c;
	struct tsrv s;

	CHECK(tsrv_start(&s, NULL, NULL, st407, 1) == 0);
	c = proxied_client(&pe, s.port, "alice:Sekr1tPassw0rd@", 1000);
	CHECK(http_request(c, "POST", "http://vault.test:8200/v1/sys/x", NULL,
	    0, "{}", 2, &r) == -1);
	CHECK(r.fail == HTTP_E_CONFIG && r.sent == 0);
	CHECK(http_last_error(c) == CONN_E_CONFIG);
	CHECK(strstr(err_get(), "HTTP 407 Proxy Authentication Required") !=
	    NULL);
	CHECK(strstr(err_get(), "refused the credentials") != NULL);
	CHECK(strstr(err_get(), "http://***@127.0.0.1:") != NULL);
	CHECK(strstr(err_get(), "CONNECT vault.test:8200") != NULL);
	CHECK(strstr(err_get(), "Sekr1tPassw0rd") == NULL);
	CHECK(strstr(err_get(), "alice") == NULL);
	http_client_free(c);
	tsrv_stop(&s);
	proxy_env_free(&pe);

	CHECK(tsrv_start(&s, NULL, NULL, st403, 1) == 0);
	c = proxied_client(&pe, s.port, "", 1000);
	CHECK(http_request(c, "GET", "http://vault.test:8200/v1/x", NULL, 0,
	    NULL, 0, &r) == -1);
	CHECK(r.fail == HTTP_E_CONFIG && r.sent == 0);
	CHECK(strstr(err_get(), "HTTP 403 Forbidden") != NULL);
	CHECK(strstr(err_get(), "NO_PROXY") != NULL);
	http_client_free(c);
	tsrv_stop(&s);
	proxy_env_free(&pe);

	/* 5xx: the proxy could not reach the target; retrying may help. */
	CHECK(tsrv_start(&s, NULL, NULL, st502, 1) == 0);
	c = proxied_client(&pe, s.port, "", 1000);
	CHECK(http_request(c, "GET", "http://vault.test:8200/v1/x", NULL, 0,
	    NULL, 0, &r) == -1);
	CHECK(r.fail == HTTP_E_CONNECT && r.sent == 0);
	CHECK(strstr(err_get(), "HTTP 502") != NULL);
	http_client_free(c);
	tsrv_stop(&s);
	proxy_env_free(&pe);
}

static void
proxy_silent_bounded_and_refused(void)
{
	static const struct tsrv_step st[] = { { "", TSRV_SILENT } };
	struct proxy_env pe;
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	long t0, dt;

	/* A proxy that never answers CONNECT: the request's deadline. */
	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = proxied_client(&pe, s.port, "", 400);
	t0 = tsrv_now_ms();
	CHECK(http_request(c, "GET", "http://vault.test:8200/v1/x", NULL, 0,
	    NULL, 0, &r) == -1);
	dt = tsrv_now_ms() - t0;
	CHECK(dt >= 390 && dt < 900);
	CHECK(r.fail == HTTP_E_CONNECT && r.sent == 0);
	CHECK(strstr(err_get(), "timed out") != NULL);
	CHECK(strstr(err_get(), "proxy http://127.0.0.1:") != NULL);
	http_client_free(c);
	tsrv_stop(&s);
	proxy_env_free(&pe);

	/* Nothing listens: a connect failure naming the proxy. */
	c = proxied_client(&pe, tsrv_free_port(), "", 400);
	CHECK(http_request(c, "GET", "http://vault.test:8200/v1/x", NULL, 0,
	    NULL, 0, &r) == -1);
	CHECK(r.fail == HTTP_E_CONNECT && r.sent == 0);
	CHECK(strstr(err_get(), "proxy http://127.0.0.1:") != NULL);
	http_client_free(c);
	proxy_env_free(&pe);
}

static void
proxy_no_proxy_goes_direct(void)
{
	static const struct tsrv_step st[] = { { OK_CL, TSRV_KEEP } };
	struct proxy_env pe;
	struct http_response r;
	struct http_client *c;
	struct tsrv s;
	char u[64];

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d", tsrv_free_port());
	CHECK(proxy_env_init(&pe, u, u, "localhost,127.0.0.1") == 0);
	c = tsrv_http_client(NULL, 1000);
	http_client_set_proxy(c, &pe);
	CHECK(http_request(c, "GET", url(&s, "http", "/v1/x"), NULL, 0, NULL,
	    0, &r) == 0);
	CHECK(r.status == 200);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&s);
	CHECK(strstr(s.req[0], "GET /v1/x ") == s.req[0]);
	proxy_env_free(&pe);
}

void
suite_http(void)
{
	T_RUN(http_content_length_and_request_headers);
	T_RUN(http_chunked_body);
	T_RUN(http_keep_alive_reuses_connection);
	T_RUN(http_reconnect_after_connection_close);
	T_RUN(http_reconnect_after_idle_close);
	T_RUN(http_retry_once_on_reused_connection);
	T_RUN(http_redirect_307_keeps_method_body_headers);
	T_RUN(http_redirect_limits);
	T_RUN(http_redirect_to_http_refused);
	T_RUN(http_redirect_not_followed_by_default);
	T_RUN(http_changing_request_never_resent);
	T_RUN(http_drip_bounded_by_request_deadline);
	T_RUN(http_read_timeout_bounded);
	T_RUN(http_refused_not_sent);
	T_RUN(http_malformed_reply_is_proto_error);
	T_RUN(http_truncated_reply_not_retried);
	T_RUN(http_https_keep_alive_and_bad_url);
	T_RUN(http_https_errors_carry_tls_message);
	T_RUN(http_client_cert_via_openssl);
	T_RUN(http_verbose_line_without_query);
	T_RUN(http_rejects_header_injection);
	T_RUN(proxy_no_proxy_table);
	T_RUN(proxy_url_parse_good);
	T_RUN(proxy_url_parse_bad);
	T_RUN(proxy_for_scheme_and_bypass);
	T_RUN(proxy_connect_framing);
	T_RUN(proxy_407_and_403_reported);
	T_RUN(proxy_silent_bounded_and_refused);
	T_RUN(proxy_no_proxy_goes_direct);
}
