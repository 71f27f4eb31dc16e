/* test_tls.c - tls.c against real local servers: our own BearSSL server
 * thread, a socket that never answers, and `openssl s_server`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "t.h"
#include "tls.h"
#include "mock/tlssrv.h"
#include "tsrv.h"

#define CT 500 /* connect timeout, ms */
#define IOT 400 /* I/O timeout, ms */

static struct tls_client *
client_ca(const char *ca)
{
	struct tls_config cfg = { 0 };

	cfg.ca_file = tsrv_cert(ca);
	return tls_client_new(&cfg);
}

/* Handshake against a BearSSL server with cert/key, verifying host. 0 or -1
 * with *e set. */
static int
try_handshake(const char *cert, const char *key, struct tls_client *tc,
    const char *host, enum conn_err *e, char *sni, size_t snisz)
{
	struct tsrv s;
	struct conn *c;
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char b[16];
	int rc = -1;

	if (!CHECK(tsrv_start(&s, tsrv_cert(cert), tsrv_cert(key), NULL, 0) ==
	    0))
		return -1;
	c = conn_connect(host, s.port, tc, CT, IOT, e);
	if (c != NULL) {
		/* One request so that the server records the SNI. */
		CHECK(conn_write(c, req, sizeof(req) - 1) == 0);
		rc = 0;
		CHECK(conn_read(c, b, sizeof(b)) == 0); /* server closes */
		conn_close(c);
	}
	tsrv_stop(&s);
	if (sni)
		snprintf(sni, snisz, "%s", s.sni[0]);
	return rc;
}

static void
tls_trusted_localhost(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;
	char sni[256] = "?";

	CHECK(tc != NULL);
	CHECK(try_handshake("server.pem", "server.key", tc, "localhost", &e,
	    sni, sizeof(sni)) == 0);
	CHECK(e == CONN_OK);
	CHECK_STREQ(sni, "localhost");
	tls_client_free(tc);
}

static void
tls_trailing_dot_stripped(void)
{
	struct tls_config cfg = { 0 };
	struct tls_client *tc;
	enum conn_err e;
	char sni[256] = "?";

	cfg.ca_file = tsrv_cert("ca.pem");
	cfg.server_name = "localhost.";
	tc = tls_client_new(&cfg);
	CHECK(try_handshake("server.pem", "server.key", tc, "127.0.0.1", &e,
	    sni, sizeof(sni)) == 0);
	CHECK_STREQ(sni, "localhost");
	tls_client_free(tc);
}

static void
tls_trusted_rsa_server(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;

	CHECK(try_handshake("server-rsa.pem", "server-rsa.key", tc,
	    "localhost", &e, NULL, 0) == 0);
	tls_client_free(tc);
}

static void
tls_ip_literal_checks_ip_san_without_sni(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;
	char sni[256] = "?";

	CHECK(try_handshake("server.pem", "server.key", tc, "127.0.0.1", &e,
	    sni, sizeof(sni)) == 0);
	CHECK_STREQ(sni, ""); /* never an IP literal as SNI */
	/* wronghost has no IP SAN: refused. */
	CHECK(try_handshake("wronghost.pem", "wronghost.key", tc, "127.0.0.1",
	    &e, NULL, 0) == -1);
	CHECK(e == CONN_E_TLS);
	CHECK_STREQ(err_get(), "TLS: certificate does not match host name "
	    "127.0.0.1 (BR_ERR_X509_BAD_SERVER_NAME)");
	tls_client_free(tc);
}

static void
tls_unknown_ca(void)
{
	struct tls_client *tc = client_ca("other-ca.pem");
	enum conn_err e;

	CHECK(try_handshake("server.pem", "server.key", tc, "localhost", &e,
	    NULL, 0) == -1);
	CHECK(e == CONN_E_TLS);
	CHECK_STREQ(err_get(), "TLS: certificate for localhost not trusted "
	    "(BR_ERR_X509_NOT_TRUSTED)");
	tls_client_free(tc);
}

static void
tls_wrong_host(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;

	CHECK(try_handshake("wronghost.pem", "wronghost.key", tc, "localhost",
	    &e, NULL, 0) == -1);
	CHECK(e == CONN_E_TLS);
	CHECK_STREQ(err_get(), "TLS: certificate does not match host name "
	    "localhost (BR_ERR_X509_BAD_SERVER_NAME)");
	tls_client_free(tc);
}

static void
tls_server_name_override(void)
{
	struct tls_config cfg = { 0 };
	struct tls_client *tc;
	enum conn_err e;
	char sni[256];

	cfg.ca_file = tsrv_cert("ca.pem");
	cfg.server_name = "wrong.example.test";
	tc = tls_client_new(&cfg);
	CHECK(tc != NULL);
	CHECK(try_handshake("wronghost.pem", "wronghost.key", tc, "127.0.0.1",
	    &e, sni, sizeof(sni)) == 0);
	CHECK_STREQ(sni, "wrong.example.test");
	tls_client_free(tc);
}

static void
tls_expired(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;

	CHECK(try_handshake("expired.pem", "expired.key", tc, "localhost", &e,
	    NULL, 0) == -1);
	CHECK(e == CONN_E_TLS);
	CHECK_STREQ(err_get(), "TLS: certificate for localhost has expired or "
	    "is not yet valid (BR_ERR_X509_EXPIRED)");
	tls_client_free(tc);
}

static void
tls_self_signed_refused_then_skip_verify(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	struct tls_config cfg = { 0 };
	enum conn_err e;

	CHECK(try_handshake("selfsigned.pem", "selfsigned.key", tc,
	    "localhost", &e, NULL, 0) == -1);
	CHECK(e == CONN_E_TLS);
	CHECK(strstr(err_get(), "not trusted") != NULL);
	tls_client_free(tc);

	cfg.ca_file = tsrv_cert("ca.pem");
	cfg.skip_verify = 1;
	tc = tls_client_new(&cfg);
	CHECK(try_handshake("selfsigned.pem", "selfsigned.key", tc,
	    "localhost", &e, NULL, 0) == 0);
	/* skip_verify also accepts wrong names and expired certificates. */
	CHECK(try_handshake("wronghost.pem", "wronghost.key", tc, "127.0.0.1",
	    &e, NULL, 0) == 0);
	CHECK(try_handshake("expired.pem", "expired.key", tc, "localhost", &e,
	    NULL, 0) == 0);
	CHECK(try_handshake("server-rsa.pem", "server-rsa.key", tc,
	    "localhost", &e, NULL, 0) == 0);
	tls_client_free(tc);
}

static void
tls_ca_dir(void)
{
	struct tls_config cfg = { 0 };
	struct tls_client *tc;
	enum conn_err e;
	char dir[] = "/tmp/vaultdr-cadir-XXXXXX", path[600];
	char *pem;
	size_t len;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/mine.crt", dir);
	pem = t_read_file(tsrv_cert("ca.pem"), &len);
	CHECK(pem != NULL);
	if ((f = fopen(path, "w")) != NULL) {
		/* Without the final newline: the decoder must still finish. */
		fwrite(pem, 1, len - 1, f);
		fclose(f);
	}
	free(pem);
	cfg.ca_dir = dir;
	tc = tls_client_new(&cfg);
	CHECK(tc != NULL);
	CHECK(try_handshake("server.pem", "server.key", tc, "localhost", &e,
	    NULL, 0) == 0);
	tls_client_free(tc);
	unlink(path);
	/* An empty directory is a configuration error. */
	CHECK(tls_client_new(&cfg) == NULL);
	CHECK(strstr(err_get(), "no PEM certificates found") != NULL);
	rmdir(dir);
}

static void
tls_config_errors(void)
{
	struct tls_config cfg = { 0 };

	cfg.ca_file = "/nonexistent/ca.pem";
	CHECK(tls_client_new(&cfg) == NULL);
	CHECK_STREQ(err_get(), "CA file /nonexistent/ca.pem: No such file or "
	    "directory");
	cfg.ca_file = tsrv_cert("server.key"); /* a key, no certificate */
	CHECK(tls_client_new(&cfg) == NULL);
	CHECK(strstr(err_get(), "no PEM certificates found") != NULL);
	cfg.ca_file = tsrv_cert("ca.pem");
	cfg.client_cert = tsrv_cert("client.pem");
	CHECK(tls_client_new(&cfg) == NULL);
	CHECK(strstr(err_get(), "together") != NULL);
	cfg.client_key = tsrv_cert("ca.pem");
	CHECK(tls_client_new(&cfg) == NULL);
	CHECK(strstr(err_get(), "no private key found") != NULL);
	CHECK(tls_server_load(tsrv_cert("server.pem"), "/nonexistent") ==
	    NULL);
	CHECK(strstr(err_get(), "/nonexistent") != NULL);
}

static void
tls_system_bundle_loads(void)
{
	struct tls_config cfg = { 0 };
	struct tls_client *tc;

	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) != 0 &&
	    getenv("SSL_CERT_FILE") == NULL)
		return;
	tc = tls_client_new(&cfg);
	CHECK(tc != NULL);
	tls_client_free(tc);
}

static void
tls_client_keys_all_formats_load(void)
{
	static const char *const pairs[][2] = {
		{ "client.pem", "client.key" },         /* EC SEC1 */
		{ "client-rsa.pem", "client-rsa.key" }, /* RSA PKCS#8 */
		{ "server-rsa.pem", "server-rsa.key" }, /* RSA PKCS#1 */
		{ "server.pem", "server.key" },         /* EC PKCS#8 */
	};
	struct tls_config cfg = { 0 };
	struct tls_client *tc;
	char ca[512];
	size_t i;

	snprintf(ca, sizeof(ca), "%s", tsrv_cert("ca.pem"));
	cfg.ca_file = ca;
	for (i = 0; i < 4; i++) {
		cfg.client_cert = tsrv_cert(pairs[i][0]);
		cfg.client_key = tsrv_cert(pairs[i][1]);
		tc = tls_client_new(&cfg);
		CHECK(tc != NULL);
		tls_client_free(tc);
	}
}

/* A certificate with somebody else's key fails at load, naming both files
 * (EC point, RSA modulus, and key type differences). */
static void
tls_client_key_mismatch_named(void)
{
	static const char *const pairs[][3] = {
		{ "client.pem", "server.key", "do not match" },
		{ "client-rsa.pem", "server-rsa.key", "do not match" },
		{ "client.pem", "client-rsa.key",
		    "holds an EC public key but key file" },
		{ "client-rsa.pem", "client.key",
		    "holds an RSA public key but key file" },
	};
	struct tls_config cfg = { 0 };
	char ca[512], cert[512], key[512], want[1600];
	size_t i;

	snprintf(ca, sizeof(ca), "%s", tsrv_cert("ca.pem"));
	cfg.ca_file = ca;
	for (i = 0; i < 4; i++) {
		snprintf(cert, sizeof(cert), "%s", tsrv_cert(pairs[i][0]));
		snprintf(key, sizeof(key), "%s", tsrv_cert(pairs[i][1]));
		cfg.client_cert = cert;
		cfg.client_key = key;
		CHECK(tls_client_new(&cfg) == NULL);
		snprintf(want, sizeof(want), "client certificate %s ", cert);
		CHECK(strncmp(err_get(), want, strlen(want)) == 0);
		CHECK(strstr(err_get(), key) != NULL);
		CHECK(strstr(err_get(), pairs[i][2]) != NULL);
	}
	/* The mock's server pair is checked the same way. */
	CHECK(tls_server_load(tsrv_cert("server.pem"),
	    tsrv_cert("wronghost.key")) == NULL);
	CHECK(strstr(err_get(), "do not match") != NULL);
}

static void
tls_connect_refused_is_fast(void)
{
	int port = tsrv_free_port();
	enum conn_err e;
	char want[128];
	long t0 = tsrv_now_ms();

	CHECK(conn_connect("127.0.0.1", port, NULL, CT, IOT, &e) == NULL);
	CHECK(e == CONN_E_CONNECT);
	CHECK(tsrv_now_ms() - t0 < 200);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d: Connection "
	    "refused", port);
	CHECK_STREQ(err_get(), want);
	/* IPv6 literal: bracketed in messages (refused, or no IPv6 here). */
	CHECK(conn_connect("::1", port, NULL, CT, IOT, &e) == NULL);
	CHECK(e == CONN_E_CONNECT);
	snprintf(want, sizeof(want), "connect to [::1]:%d: ", port);
	CHECK(strncmp(err_get(), want, strlen(want)) == 0);
}

static void
tls_connect_timeout_is_bounded(void)
{
	enum conn_err e;
	long t0, dt;

	/* A non-routable address (TEST-NET-1 blackholes in most setups);
	 * some sandboxes answer at once with "unreachable": accept both,
	 * but never a wait beyond the bound. */
	t0 = tsrv_now_ms();
	CHECK(conn_connect("192.0.2.1", 9, NULL, 300, IOT, &e) == NULL);
	dt = tsrv_now_ms() - t0;
	CHECK(dt < 600);
	if (e == CONN_E_TIMEOUT) {
		CHECK(dt >= 290);
		CHECK_STREQ(err_get(), "connect to 192.0.2.1:9 timed out after "
		    "0.3 s");
	} else {
		CHECK(e == CONN_E_CONNECT);
	}
}

static void
tls_resolve_error(void)
{
	enum conn_err e;

	CHECK(conn_connect("no-such-host.invalid", 443, NULL, CT, IOT, &e) ==
	    NULL);
	CHECK(e == CONN_E_RESOLVE);
	CHECK(strstr(err_get(), "cannot resolve no-such-host.invalid") !=
	    NULL);
}

static void
tls_handshake_timeout_on_silent_server(void)
{
	struct tls_client *tc = client_ca("ca.pem");
	enum conn_err e;
	char want[128];
	int port, fd = tsrv_blackhole(&port);
	long t0 = tsrv_now_ms(), dt;

	CHECK(conn_connect("localhost", port, tc, CT, 300, &e) == NULL);
	dt = tsrv_now_ms() - t0;
	CHECK(e == CONN_E_TIMEOUT);
	CHECK(dt >= 290 && dt < 700);
	snprintf(want, sizeof(want), "TLS handshake with localhost:%d timed "
	    "out after 0.3 s", port);
	CHECK_STREQ(err_get(), want);
	close(fd);
	tls_client_free(tc);
}

static void
tls_read_timeout_plain_and_tls(void)
{
	static const struct tsrv_step silent[] = { { "", TSRV_SILENT } };
	static const char req[] = "GET / HTTP/1.1\r\n\r\n";
	struct tls_client *tc = client_ca("ca.pem");
	struct tsrv s;
	struct conn *c;
	enum conn_err e;
	char b[64], want[128];
	long t0, dt;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		CHECK(tsrv_start(&s, pass ? tsrv_cert("server.pem") : NULL,
		    tsrv_cert("server.key"), silent, 1) == 0);
		c = conn_connect("127.0.0.1", s.port, pass ? tc : NULL, CT,
		    300, &e);
		CHECK(c != NULL);
		if (c != NULL) {
			CHECK(conn_write(c, req, sizeof(req) - 1) == 0);
			t0 = tsrv_now_ms();
			CHECK(conn_read(c, b, sizeof(b)) == -1);
			dt = tsrv_now_ms() - t0;
			CHECK(conn_error(c) == CONN_E_TIMEOUT);
			CHECK(dt >= 290 && dt < 700);
			snprintf(want, sizeof(want), "read from 127.0.0.1:%d "
			    "timed out after 0.3 s", s.port);
			CHECK_STREQ(err_get(), want);
			conn_close(c);
		}
		tsrv_stop(&s);
	}
	tls_client_free(tc);
}

static void
tls_plain_echo_and_eof(void)
{
	static const struct tsrv_step st[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", TSRV_CLOSE },
	};
	static const char req[] = "GET / HTTP/1.1\r\n\r\n";
	struct tsrv s;
	struct conn *c;
	enum conn_err e;
	char b[256];
	size_t got = 0;
	ssize_t n;

	CHECK(tsrv_start(&s, NULL, NULL, st, 1) == 0);
	c = conn_connect("localhost", s.port, NULL, CT, IOT, &e);
	CHECK(c != NULL && conn_fd(c) >= 0);
	if (c) {
		CHECK(conn_write(c, req, sizeof(req) - 1) == 0);
		while ((n = conn_read(c, b + got, sizeof(b) - 1 - got)) > 0)
			got += (size_t)n;
		CHECK(n == 0);
		CHECK(got == 40);
		conn_close(c);
	}
	tsrv_stop(&s);
	CHECK(s.nreq == 1);
	CHECK(strncmp(s.req[0], req, sizeof(req) - 1) == 0);
}

static void
tls_13_only_server_clear_message(void)
{
	static const char *const extra[] = { "-tls1_3", NULL };
	struct tls_client *tc = client_ca("ca.pem");
	int port = tsrv_free_port();
	pid_t pid = tsrv_openssl(port, tsrv_cert("server.pem"),
	    tsrv_cert("server.key"), extra);
	enum conn_err e;
	char want[200];

	CHECK(pid > 0);
	CHECK(conn_connect("localhost", port, tc, CT, 2000, &e) == NULL);
	CHECK(e == CONN_E_TLS);
	snprintf(want, sizeof(want), "TLS handshake with localhost:%d failed: "
	    "server requires TLS 1.3 (BearSSL supports TLS 1.2 only) (alert 70 "
	    "received)", port);
	CHECK_STREQ(err_get(), want);
	tsrv_openssl_stop(pid);
	tls_client_free(tc);
}

/* Only forward-secret AEAD suites are offered: a server that has nothing
 * but CBC with static RSA key exchange is refused at the handshake, and a
 * server that also has ECDHE-GCM gets that. */
static void
tls_only_ecdhe_aead_suites(void)
{
	static const char *const cbc[] = { "-tls1_2", "-cipher", "AES128-SHA",
		NULL };
	static const char *const gcm[] = { "-tls1_2", "-cipher",
		"AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
		NULL };
	struct tls_client *tc = client_ca("ca.pem");
	int port = tsrv_free_port();
	pid_t pid = tsrv_openssl(port, tsrv_cert("server.pem"),
	    tsrv_cert("server.key"), cbc);
	struct conn *c;
	enum conn_err e;

	CHECK(pid > 0);
	CHECK(conn_connect("localhost", port, tc, CT, 2000, &e) == NULL);
	CHECK(e == CONN_E_TLS);
	CHECK(strstr(err_get(), "TLS handshake with localhost") != NULL);
	tsrv_openssl_stop(pid);
	port = tsrv_free_port();
	pid = tsrv_openssl(port, tsrv_cert("server.pem"),
	    tsrv_cert("server.key"), gcm);
	CHECK(pid > 0);
	c = conn_connect("localhost", port, tc, CT, 2000, &e);
	CHECK(c != NULL);
	conn_close(c);
	tsrv_openssl_stop(pid);
	tls_client_free(tc);
}

static void
tls_client_cert_required(void)
{
	static const char *extra[] = { "-tls1_2", "-Verify", "1", "-CAfile",
		NULL, NULL };
	static const char *const pairs[][2] = {
		{ "client.pem", "client.key" },
		{ "client-rsa.pem", "client-rsa.key" },
	};
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct tls_config cfg = { 0 };
	struct tls_client *tc;
	struct conn *c;
	enum conn_err e;
	char b[64];
	int port = tsrv_free_port(), i;
	pid_t pid;

	extra[4] = tsrv_cert("ca.pem");
	pid = tsrv_openssl(port, tsrv_cert("server.pem"),
	    tsrv_cert("server.key"), extra);
	CHECK(pid > 0);
	cfg.ca_file = tsrv_cert("ca.pem");
	/* Without a certificate the server refuses. */
	tc = tls_client_new(&cfg);
	CHECK(conn_connect("localhost", port, tc, CT, 2000, &e) == NULL);
	CHECK(e == CONN_E_TLS);
	CHECK(strstr(err_get(), "failed: handshake_failure (alert 40 received)"
	    "; the server may require a client certificate") != NULL);
	tls_client_free(tc);
	for (i = 0; i < 2; i++) {
		cfg.client_cert = tsrv_cert(pairs[i][0]);
		cfg.client_key = tsrv_cert(pairs[i][1]);
		tc = tls_client_new(&cfg);
		CHECK(tc != NULL);
		c = conn_connect("localhost", port, tc, CT, 2000, &e);
		CHECK(c != NULL);
		if (c != NULL) {
			CHECK(conn_write(c, req, sizeof(req) - 1) == 0);
			CHECK(conn_read(c, b, sizeof(b)) > 0);
			CHECK(strncmp(b, "HTTP/1.0 200", 12) == 0);
			conn_close(c);
		}
		tls_client_free(tc);
	}
	tsrv_openssl_stop(pid);
}

static void
tls_error_names(void)
{
	CHECK_STREQ(tls_error_name(0), "BR_ERR_OK");
	CHECK_STREQ(tls_error_name(1), "BR_ERR_BAD_PARAM");
	CHECK_STREQ(tls_error_name(29), "BR_ERR_NO_CLIENT_AUTH");
	CHECK_STREQ(tls_error_name(31), "BR_ERR_IO");
	CHECK_STREQ(tls_error_name(32), "BR_ERR_X509_OK");
	CHECK_STREQ(tls_error_name(54), "BR_ERR_X509_EXPIRED");
	CHECK_STREQ(tls_error_name(56), "BR_ERR_X509_BAD_SERVER_NAME");
	CHECK_STREQ(tls_error_name(62), "BR_ERR_X509_NOT_TRUSTED");
	CHECK_STREQ(tls_error_name(326), "BR_ERR_RECV_FATAL_ALERT+70");
	CHECK_STREQ(tls_error_name(512 + 40), "BR_ERR_SEND_FATAL_ALERT+40");
	CHECK(strstr(tls_error_name(11), "UNKNOWN") != NULL);
}

static void
tls_random_fills(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };

	CHECK(tls_random(a, sizeof(a)) == 0);
	CHECK(tls_random(b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

void
suite_tls(void)
{
	T_RUN(tls_error_names);
	T_RUN(tls_random_fills);
	T_RUN(tls_config_errors);
	T_RUN(tls_system_bundle_loads);
	T_RUN(tls_client_keys_all_formats_load);
	T_RUN(tls_client_key_mismatch_named);
	T_RUN(tls_connect_refused_is_fast);
	T_RUN(tls_connect_timeout_is_bounded);
	T_RUN(tls_resolve_error);
	T_RUN(tls_plain_echo_and_eof);
	T_RUN(tls_trusted_localhost);
	T_RUN(tls_trailing_dot_stripped);
	T_RUN(tls_trusted_rsa_server);
	T_RUN(tls_ip_literal_checks_ip_san_without_sni);
	T_RUN(tls_unknown_ca);
	T_RUN(tls_wrong_host);
	T_RUN(tls_server_name_override);
	T_RUN(tls_only_ecdhe_aead_suites);
	T_RUN(tls_expired);
	T_RUN(tls_self_signed_refused_then_skip_verify);
	T_RUN(tls_ca_dir);
	T_RUN(tls_handshake_timeout_on_silent_server);
	T_RUN(tls_read_timeout_plain_and_tls);
	T_RUN(tls_13_only_server_clear_message);
	T_RUN(tls_client_cert_required);
}
