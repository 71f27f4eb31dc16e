/* test_hrun.c - http_run: several requests driven by one poll() loop.
 * Requests to different servers overlap; each has its own deadline and
 * its own failure; requests to one server share its connection, the
 * replayable ones pipelined. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "http.h"
#include "net.h"
#include "t.h"
#include "tsrv.h"

#define OK_A "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalpha"
#define OK_B "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbeta"
#define SLOW_MS TSRV_SLOW_MS


static void
job(struct http_job *j, struct http_client *c, const char *method,
    const char *url)
{
	memset(j, 0, sizeof(*j));
	j->client = c;
	j->method = method;
	j->url = url;
}

static void
body_is(const struct http_job *j, const char *want)
{
	CHECK(j->rc == 0);
	CHECK(j->resp.status == 200);
	CHECK_MEMEQ(j->resp.body, j->resp.body_len, want, strlen(want));
}

/* Two TLS servers that each take SLOW_MS to answer: both answers arrive in
 * about SLOW_MS (their maximum), not twice that (their sum). */
static void
hrun_slow_servers_overlap(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_SLOW } };
	static const struct tsrv_step sb[] = { { OK_B, TSRV_SLOW } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 3000);
	struct tsrv a, b;
	struct http_job j[2];
	char ua[128], ub[128];
	long t0, el;

	CHECK(tsrv_start(&a, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sa, 1) == 0);
	CHECK(tsrv_start(&b, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sb, 1) == 0);
	snprintf(ua, sizeof(ua), "https://localhost:%d/a", a.port);
	snprintf(ub, sizeof(ub), "https://localhost:%d/b", b.port);
	job(&j[0], c, "GET", ua);
	job(&j[1], c, "GET", ub);
	t0 = tsrv_now_ms();
	CHECK(http_run(j, 2) == 0);
	el = tsrv_now_ms() - t0;
	body_is(&j[0], "alpha");
	body_is(&j[1], "beta");
	CHECK(el >= SLOW_MS);
	CHECK(el < 2 * SLOW_MS - 50);
	http_response_free(&j[0].resp);
	http_response_free(&j[1].resp);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&a);
	tsrv_stop(&b);
}

/* A peer that accepts TCP but never finishes the TLS handshake times out
 * on its own deadline; the other server's answer is there at once. */
static void
hrun_dead_peer_alone(void)
{
	static const struct tsrv_step sb[] = { { OK_B, TSRV_KEEP } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 600);
	struct tsrv b;
	struct http_job j[2];
	char ua[128], ub[128];
	int hole, port;
	long t0, el;

	hole = tsrv_blackhole(&port);
	CHECK(hole != -1);
	CHECK(tsrv_start(&b, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sb, 1) == 0);
	snprintf(ua, sizeof(ua), "https://127.0.0.1:%d/dead", port);
	snprintf(ub, sizeof(ub), "https://localhost:%d/b", b.port);
	job(&j[0], c, "GET", ua);
	job(&j[1], c, "GET", ub);
	t0 = tsrv_now_ms();
	CHECK(http_run(j, 2) == 1);
	el = tsrv_now_ms() - t0;
	body_is(&j[1], "beta");
	CHECK(j[1].done_ms - t0 < 400);
	CHECK(j[0].rc == -1);
	CHECK(j[0].resp.fail == HTTP_E_CONNECT && j[0].resp.sent == 0);
	CHECK(strstr(j[0].err, "TLS handshake with 127.0.0.1:") != NULL);
	CHECK(strstr(j[0].err, "timed out after 0.6 s") != NULL);
	CHECK(strncmp(j[0].err, "GET 127.0.0.1:", 14) == 0);
	CHECK(el >= 550 && el < 1500);
	http_response_free(&j[1].resp);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&b);
	close(hole);
}

/* Three reads of one black-holed server in one run: the first waits out
 * the handshake timeout, the others fail with its error at once (not
 * one timeout each), nothing sent. */
static void
hrun_dead_server_once(void)
{
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 600);
	struct http_job j[3];
	char u[128];
	int hole, port, i;
	long t0, el;

	hole = tsrv_blackhole(&port);
	CHECK(hole != -1);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/dead", port);
	for (i = 0; i < 3; i++)
		job(&j[i], c, "GET", u);
	t0 = tsrv_now_ms();
	CHECK(http_run(j, 3) == 3);
	el = tsrv_now_ms() - t0;
	CHECK(el >= 550 && el < 1100);
	for (i = 0; i < 3; i++) {
		CHECK(j[i].rc == -1 && j[i].resp.fail == HTTP_E_CONNECT &&
		    j[i].resp.sent == 0);
		CHECK(strstr(j[i].err, "timed out after 0.6 s") != NULL);
	}
	http_client_free(c);
	tls_client_free(tc);
	close(hole);
}

/* A server that reads the request and never answers: a read timeout on
 * that job only, after sending (a changing request's outcome unknown). */
static void
hrun_silent_server_read_timeout(void)
{
	static const struct tsrv_step sa[] = { { "", TSRV_SILENT } };
	static const struct tsrv_step sb[] = { { OK_B, TSRV_KEEP } };
	struct http_client *c = tsrv_http_client(NULL, 500);
	struct tsrv a, b;
	struct http_job j[2];
	char ua[128], ub[128];

	CHECK(tsrv_start(&a, NULL, NULL, sa, 1) == 0);
	CHECK(tsrv_start(&b, NULL, NULL, sb, 1) == 0);
	snprintf(ua, sizeof(ua), "http://127.0.0.1:%d/x", a.port);
	snprintf(ub, sizeof(ub), "http://127.0.0.1:%d/b", b.port);
	job(&j[0], c, "POST", ua);
	j[0].body = "{}";
	j[0].body_len = 2;
	job(&j[1], c, "GET", ub);
	CHECK(http_run(j, 2) == 1);
	body_is(&j[1], "beta");
	CHECK(j[0].rc == -1 && j[0].resp.fail == HTTP_E_TIMEOUT &&
	    j[0].resp.sent == 1);
	CHECK(strstr(j[0].err, "read from 127.0.0.1:") != NULL);
	CHECK(strstr(j[0].err, "timed out after 0.5 s") != NULL);
	http_response_free(&j[1].resp);
	http_client_free(c);
	tsrv_stop(&a);
	tsrv_stop(&b);
	CHECK(a.nreq == 1); /* never re-sent */
}

/* A malformed reply fails its own job; the other job's bytes are intact,
 * chunked framing included. */
static void
hrun_framing_error_isolated(void)
{
	static const struct tsrv_step sa[] = { {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		"Content-Length: 2\r\n\r\nok", TSRV_KEEP } };
	static const struct tsrv_step sb[] = { {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"2\r\nbe\r\n2\r\nta\r\n0\r\n\r\n", TSRV_SLOW } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 2000);
	struct tsrv a, b;
	struct http_job j[2];
	char ua[128], ub[128];

	CHECK(tsrv_start(&a, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sa, 1) == 0);
	CHECK(tsrv_start(&b, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sb, 1) == 0);
	snprintf(ua, sizeof(ua), "https://localhost:%d/a", a.port);
	snprintf(ub, sizeof(ub), "https://localhost:%d/b", b.port);
	job(&j[0], c, "GET", ua);
	job(&j[1], c, "GET", ub);
	CHECK(http_run(j, 2) == 1);
	CHECK(j[0].rc == -1 && j[0].resp.fail == HTTP_E_PROTO);
	CHECK(strstr(j[0].err, "duplicate Content-Length") != NULL);
	body_is(&j[1], "beta");
	http_response_free(&j[1].resp);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&a);
	tsrv_stop(&b);
}

/* Jobs for one server take its one connection in turn, in order; a job
 * for another server runs beside them. */
static void
hrun_same_server_in_order(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_KEEP },
		{ OK_A, TSRV_KEEP }, { OK_A, TSRV_KEEP } };
	static const struct tsrv_step sb[] = { { OK_B, TSRV_KEEP } };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 2000);
	struct http_stats hs[2];
	struct tsrv a, b;
	struct http_job j[4];
	char u[4][128];
	size_t i;

	CHECK(tsrv_start(&a, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sa, 3) == 0);
	CHECK(tsrv_start(&b, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sb, 1) == 0);
	for (i = 0; i < 3; i++) {
		snprintf(u[i], sizeof(u[i]), "https://localhost:%d/%zu",
		    a.port, i + 1);
		job(&j[i], c, i == 1 ? "POST" : "GET", u[i]);
	}
	snprintf(u[3], sizeof(u[3]), "https://localhost:%d/b", b.port);
	job(&j[3], c, "GET", u[3]);
	CHECK(http_run(j, 4) == 0);
	for (i = 0; i < 3; i++) {
		body_is(&j[i], "alpha");
		http_response_free(&j[i].resp);
	}
	body_is(&j[3], "beta");
	http_response_free(&j[3].resp);
	CHECK(j[0].done_ms <= j[1].done_ms && j[1].done_ms <= j[2].done_ms);
	CHECK(http_client_stats(c, hs, 2) == 2);
	CHECK(hs[0].connections == 1 && hs[0].requests == 3);
	CHECK(hs[1].connections == 1 && hs[1].requests == 1);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&a);
	tsrv_stop(&b);
	CHECK(a.nreq == 3);
	CHECK(strncmp(a.req[0], "GET /1 ", 7) == 0);
	CHECK(strncmp(a.req[1], "POST /2 ", 8) == 0);
	CHECK(strncmp(a.req[2], "GET /3 ", 7) == 0);
}

/* A stop request ends every unfinished job within a slice of the loop. */
static void
hrun_stop_ends_jobs(void)
{
	static const struct tsrv_step sa[] = { { "", TSRV_SILENT } };
	static volatile sig_atomic_t flag;
	struct http_client *c = tsrv_http_client(NULL, 5000);
	struct http_job j[2];
	char ua[128], ub[128];
	struct tsrv a;
	int hole, port;
	long t0;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 1) == 0);
	hole = tsrv_blackhole(&port);
	snprintf(ua, sizeof(ua), "http://127.0.0.1:%d/x", a.port);
	snprintf(ub, sizeof(ub), "http://127.0.0.1:%d/y", port);
	job(&j[0], c, "GET", ua);
	job(&j[1], c, "GET", ub);
	flag = 1;
	net_set_interrupt(&flag);
	t0 = tsrv_now_ms();
	CHECK(http_run(j, 2) == 2);
	CHECK(tsrv_now_ms() - t0 < 1000);
	CHECK(strstr(j[0].err, strerror(EINTR)) != NULL);
	CHECK(j[0].resp.sent == 0 && j[1].resp.sent == 0);
	net_set_interrupt(NULL);
	http_client_free(c);
	tsrv_stop(&a);
	close(hole);
}

/* Answers fetched ahead serve the http_request calls that follow, once,
 * without a second exchange; a call the prefetch did not foresee drops the
 * rest; a changing request is never fetched ahead. */
static void
hrun_prefetch_serves_once(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_KEEP },
		{ OK_B, TSRV_KEEP }, { OK_A, TSRV_KEEP }, { OK_B, TSRV_KEEP } };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_response r;
	struct http_job j[2];
	char u1[128], u2[128];
	struct tsrv a;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 4) == 0);
	snprintf(u1, sizeof(u1), "http://127.0.0.1:%d/1", a.port);
	snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/2", a.port);
	job(&j[0], c, "GET", u1);
	job(&j[1], c, "GET", u2);
	CHECK(http_prefetch(j, 2) == 0);
	CHECK(j[0].resp.body == NULL); /* moved into the client */
	CHECK(http_request(c, "GET", u1, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "alpha", 5);
	http_response_free(&r);
	CHECK(a.nreq == 2);
	/* u1 again: not kept any more; it goes out and drops u2's answer. */
	CHECK(http_request(c, "GET", u1, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "alpha", 5);
	http_response_free(&r);
	CHECK(http_request(c, "GET", u2, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "beta", 4);
	http_response_free(&r);
	job(&j[0], c, "POST", u1);
	CHECK(http_prefetch(j, 1) == -1);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.nreq == 4);
}

/* A call the prefetch did not foresee drops only its own server's kept
 * answers: another server's still serve. */
static void
hrun_prefetch_drop_per_server(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_KEEP },
		{ OK_A, TSRV_KEEP }, { OK_A, TSRV_KEEP } };
	static const struct tsrv_step sb[] = { { OK_B, TSRV_KEEP } };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_response r;
	struct http_job j[3];
	char a1[128], a2[128], a3[128], b1[128];
	struct tsrv a, b;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 3) == 0);
	CHECK(tsrv_start(&b, NULL, NULL, sb, 1) == 0);
	snprintf(a1, sizeof(a1), "http://127.0.0.1:%d/1", a.port);
	snprintf(a2, sizeof(a2), "http://127.0.0.1:%d/2", a.port);
	snprintf(a3, sizeof(a3), "http://127.0.0.1:%d/3", a.port);
	snprintf(b1, sizeof(b1), "http://127.0.0.1:%d/1", b.port);
	job(&j[0], c, "GET", a1);
	job(&j[1], c, "GET", a2);
	job(&j[2], c, "GET", b1);
	CHECK(http_prefetch(j, 3) == 0);
	/* a3 was not fetched ahead: a's kept /2 is dropped, b's stays. */
	CHECK(http_request(c, "POST", a3, NULL, 0, "{}", 2, &r) == 0);
	http_response_free(&r);
	CHECK(http_request(c, "GET", b1, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "beta", 4);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&a);
	tsrv_stop(&b);
	CHECK(a.nreq == 3 && b.nreq == 1);
}

/* A kept answer no call took (the first cluster's read failed, so the
 * second one's was never asked for) is replaced by the next fetch: the
 * call gets the newer answer, never the older. */
static void
hrun_prefetch_newer_answer_wins(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_KEEP },
		{ OK_B, TSRV_KEEP } };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_response r;
	struct http_job j[1];
	char u[128];
	struct tsrv a;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 2) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/status", a.port);
	job(&j[0], c, "GET", u);
	CHECK(http_prefetch(j, 1) == 0); /* "alpha", not taken */
	job(&j[0], c, "GET", u);
	CHECK(http_prefetch(j, 1) == 0); /* "beta" */
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "beta", 4);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.nreq == 2);
}

/* A failure fetched ahead comes back as the failure of the call. */
static void
hrun_prefetch_keeps_failures(void)
{
	struct http_client *c = tsrv_http_client(NULL, 500);
	struct http_response r;
	struct http_job j[1];
	char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x", tsrv_free_port());
	job(&j[0], c, "GET", u);
	CHECK(http_prefetch(j, 1) == 1);
	err_clear();
	CHECK(http_request(c, "GET", u, NULL, 0, NULL, 0, &r) == -1);
	CHECK(r.fail == HTTP_E_CONNECT && r.sent == 0);
	CHECK(http_last_error(c) == CONN_E_CONNECT);
	CHECK(strncmp(err_get(), "GET 127.0.0.1:", 14) == 0);
	CHECK(strstr(err_get(), "Connection refused") != NULL);
	http_client_free(c);
}

/* n jobs for server a (TLS when it has a certificate): path /1 .. /n,
 * methods as given. */
static void
jobs_to(struct http_job *j, struct http_client *c, const struct tsrv *a,
    char (*u)[128], const char *const *methods, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(u[i], sizeof(u[i]), "%s://localhost:%d/%zu",
		    a->ts ? "https" : "http", a->port, i + 1);
		job(&j[i], c, methods[i], u[i]);
	}
}

/* Three GETs to a server SLOW_MS away go out together (pipelined) on one
 * connection: all answered in about SLOW_MS, not three times that. */
static void
hrun_pipeline_gets(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_SLOW },
		{ OK_B, TSRV_SLOW }, { OK_A, TSRV_SLOW } };
	static const char *const m[] = { "GET", "GET", "GET" };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 2000);
	struct http_stats hs[1];
	struct http_job j[3];
	char u[3][128];
	struct tsrv a;
	long t0, el;
	size_t i;

	CHECK(tsrv_start(&a, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sa, 3) == 0);
	jobs_to(j, c, &a, u, m, 3);
	t0 = tsrv_now_ms();
	CHECK(http_run(j, 3) == 0);
	el = tsrv_now_ms() - t0;
	body_is(&j[0], "alpha");
	body_is(&j[1], "beta");
	body_is(&j[2], "alpha");
	CHECK(el >= SLOW_MS && el < 2 * SLOW_MS - 50);
	CHECK(http_client_stats(c, hs, 1) == 1);
	CHECK(hs[0].connections == 1 && hs[0].requests == 3);
	for (i = 0; i < 3; i++)
		http_response_free(&j[i].resp);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&a);
	CHECK(a.nreq == 3 && a.accepts == 1);
	CHECK(a.at[2] - a.at[0] < 100);
	CHECK(strncmp(a.req[2], "GET /3 ", 7) == 0);
}

/* The server answers the first of three pipelined GETs and closes: the
 * other two go again on a second connection (once each, no longer
 * pipelined) and succeed. */
static void
hrun_pipeline_server_closes(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_CLOSE },
		{ OK_B, TSRV_SLOW }, { OK_A, TSRV_SLOW } };
	static const char *const m[] = { "GET", "GET", "GET" };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_stats hs[1];
	struct http_job j[3];
	char u[3][128];
	struct tsrv a;
	size_t i;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 3) == 0);
	jobs_to(j, c, &a, u, m, 3);
	CHECK(http_run(j, 3) == 0);
	body_is(&j[0], "alpha");
	body_is(&j[1], "beta");
	body_is(&j[2], "alpha");
	CHECK(http_client_stats(c, hs, 1) == 1);
	CHECK(hs[0].connections == 2 && hs[0].requests == 3);
	for (i = 0; i < 3; i++)
		http_response_free(&j[i].resp);
	http_client_free(c);
	tsrv_stop(&a);
	/* The server read /1 on the first connection, /2 and /3 on the
	 * second (it dropped the copies that came with /1). */
	CHECK(a.accepts == 2 && a.nreq == 3);
	CHECK(strncmp(a.req[1], "GET /2 ", 7) == 0);
	CHECK(strncmp(a.req[2], "GET /3 ", 7) == 0);
	CHECK(a.at[2] - a.at[1] >= SLOW_MS - 20); /* /3 after /2's answer */
}

/* A changing POST behind GETs waits for their answers, and the GET after
 * it waits for the POST's: only replayable requests are pipelined. A
 * readonly POST is pipelined like a GET. */
static void
hrun_pipeline_post_alone(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_SLOW },
		{ OK_A, TSRV_SLOW }, { OK_B, TSRV_SLOW }, { OK_A, TSRV_SLOW },
		{ OK_A, TSRV_SLOW }, { OK_B, TSRV_SLOW } };
	static const char *const m[] = { "GET", "GET", "POST", "GET", "GET",
		"POST" };
	struct http_client *c = tsrv_http_client(NULL, 3000);
	struct http_job j[6];
	char u[6][128];
	struct tsrv a;
	size_t i;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 6) == 0);
	jobs_to(j, c, &a, u, m, 6);
	j[2].body = j[5].body = "{}";
	j[2].body_len = j[5].body_len = 2;
	j[5].readonly = 1; /* /6 is pipelined behind /5 */
	CHECK(http_run(j, 6) == 0);
	body_is(&j[2], "beta");
	body_is(&j[5], "beta");
	for (i = 0; i < 6; i++)
		http_response_free(&j[i].resp);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.nreq == 6 && a.accepts == 1);
	CHECK(a.at[1] - a.at[0] < 100);              /* /1 /2 together */
	CHECK(a.at[2] - a.at[0] >= SLOW_MS - 20);    /* POST after answers */
	CHECK(a.at[3] - a.at[2] >= SLOW_MS - 20);    /* GET after the POST */
	CHECK(a.at[4] - a.at[3] < 100 && a.at[5] - a.at[3] < 100);
	CHECK(strncmp(a.req[2], "POST /3 ", 8) == 0);
	CHECK(strncmp(a.req[5], "POST /6 ", 8) == 0);
}

/* Answers that arrive together or split across reads: the bytes past one
 * answer begin the next (also when nothing more arrives for it). */
static void
hrun_pipeline_carry_over(void)
{
	/* The first answer waits (TSRV_SLOW) until all three requests are
	 * in: a server never answers a request before it was sent. */
	static const struct tsrv_step sa[] = {
		{ OK_A OK_B "HTTP/1.1 200 OK\r\nContent-Le", TSRV_SLOW },
		{ "", TSRV_KEEP }, { "ngth: 5\r\n\r\nalpha", TSRV_SLOW },
		{ OK_B, TSRV_KEEP } };
	static const char *const m[] = { "GET", "GET", "GET", "GET" };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_stats hs[1];
	struct http_job j[4];
	char u[4][128];
	struct tsrv a;
	size_t i;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 4) == 0);
	jobs_to(j, c, &a, u, m, 3);
	CHECK(http_run(j, 3) == 0);
	body_is(&j[0], "alpha");
	body_is(&j[1], "beta");
	body_is(&j[2], "alpha");
	for (i = 0; i < 3; i++)
		http_response_free(&j[i].resp);
	/* The connection is still in step: the next request reuses it. */
	jobs_to(j, c, &a, u, m, 4);
	CHECK(http_run(&j[3], 1) == 0);
	body_is(&j[3], "beta");
	http_response_free(&j[3].resp);
	CHECK(http_client_stats(c, hs, 1) == 1);
	CHECK(hs[0].connections == 1 && hs[0].requests == 4);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.nreq == 4 && a.accepts == 1);
}

/* A malformed answer to the head fails it alone; the GETs pipelined
 * behind it go again on a fresh connection. */
static void
hrun_pipeline_bad_head(void)
{
	static const struct tsrv_step sa[] = { {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		"Content-Length: 2\r\n\r\nok", TSRV_CLOSE },
		{ OK_B, TSRV_KEEP }, { OK_A, TSRV_KEEP } };
	static const char *const m[] = { "GET", "GET", "GET" };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_job j[3];
	char u[3][128];
	struct tsrv a;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 3) == 0);
	jobs_to(j, c, &a, u, m, 3);
	CHECK(http_run(j, 3) == 1);
	CHECK(j[0].rc == -1 && j[0].resp.fail == HTTP_E_PROTO);
	body_is(&j[1], "beta");
	body_is(&j[2], "alpha");
	http_response_free(&j[1].resp);
	http_response_free(&j[2].resp);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.accepts == 2 && a.nreq == 3);
}

/* A pipelined GET redirected to its own server goes out again behind the
 * request pipelined after it, and each answer reaches its own job. */
static void
hrun_pipeline_redirect(void)
{
	static const struct tsrv_step sa[] = { {
		"HTTP/1.1 307 Temporary Redirect\r\nLocation: /x\r\n"
		"Content-Length: 0\r\n\r\n", TSRV_KEEP },
		{ OK_B, TSRV_KEEP }, { OK_A, TSRV_KEEP } };
	static const char *const m[] = { "GET", "GET" };
	struct tls_client *tc = tsrv_tls_client();
	struct http_client *c = tsrv_http_client(tc, 2000);
	struct http_job j[2];
	char u[2][128];
	struct tsrv a;
	int x_first;

	CHECK(tsrv_start(&a, tsrv_cert("server.pem"), tsrv_cert("server.key"),
	    sa, 3) == 0);
	http_client_follow_redirects(c, 1);
	jobs_to(j, c, &a, u, m, 2);
	CHECK(http_run(j, 2) == 0);
	http_client_free(c);
	tls_client_free(tc);
	tsrv_stop(&a);
	/* /x went out behind /2 (answered OK_A) or, when /2 was not sent
	 * yet, before it (OK_B): the answers follow the requests. */
	CHECK(a.nreq == 3 && a.accepts == 1);
	x_first = strncmp(a.req[1], "GET /x ", 7) == 0;
	CHECK(strncmp(a.req[x_first ? 2 : 1], "GET /2 ", 7) == 0);
	body_is(&j[0], x_first ? "beta" : "alpha");
	body_is(&j[1], x_first ? "alpha" : "beta");
	http_response_free(&j[0].resp);
	http_response_free(&j[1].resp);
}

/* A readonly POST fetched ahead serves the call with the same body, not
 * one with another body (which goes out). */
static void
hrun_prefetch_readonly_post(void)
{
	static const struct tsrv_step sa[] = { { OK_A, TSRV_KEEP },
		{ OK_B, TSRV_KEEP }, { OK_A, TSRV_KEEP } };
	struct http_client *c = tsrv_http_client(NULL, 2000);
	struct http_response r;
	struct http_job j[1];
	char u[128];
	struct tsrv a;

	CHECK(tsrv_start(&a, NULL, NULL, sa, 3) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/caps", a.port);
	job(&j[0], c, "POST", u);
	j[0].body = "{\"paths\":[\"x\"]}";
	j[0].body_len = strlen(j[0].body);
	j[0].readonly = 1;
	CHECK(http_prefetch(j, 1) == 0);
	CHECK(http_request(c, "POST", u, NULL, 0, "{\"paths\":[\"x\"]}", 15,
	    &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "alpha", 5);
	http_response_free(&r);
	CHECK(a.nreq == 1);
	job(&j[0], c, "POST", u);
	j[0].body = "{\"paths\":[\"x\"]}";
	j[0].body_len = strlen(j[0].body);
	j[0].readonly = 1;
	CHECK(http_prefetch(j, 1) == 0); /* beta, kept */
	CHECK(http_request(c, "POST", u, NULL, 0, "{\"paths\":[\"y\"]}", 15,
	    &r) == 0);
	CHECK_MEMEQ(r.body, r.body_len, "alpha", 5);
	http_response_free(&r);
	http_client_free(c);
	tsrv_stop(&a);
	CHECK(a.nreq == 3);
	CHECK(strstr(a.req[2], "{\"paths\":[\"y\"]}") != NULL);
}

void
suite_hrun(void)
{
	T_RUN(hrun_slow_servers_overlap);
	T_RUN(hrun_dead_peer_alone);
	T_RUN(hrun_dead_server_once);
	T_RUN(hrun_silent_server_read_timeout);
	T_RUN(hrun_framing_error_isolated);
	T_RUN(hrun_same_server_in_order);
	T_RUN(hrun_stop_ends_jobs);
	T_RUN(hrun_prefetch_serves_once);
	T_RUN(hrun_prefetch_drop_per_server);
	T_RUN(hrun_prefetch_newer_answer_wins);
	T_RUN(hrun_prefetch_keeps_failures);
	T_RUN(hrun_pipeline_gets);
	T_RUN(hrun_pipeline_server_closes);
	T_RUN(hrun_pipeline_post_alone);
	T_RUN(hrun_pipeline_carry_over);
	T_RUN(hrun_pipeline_bad_head);
	T_RUN(hrun_pipeline_redirect);
	T_RUN(hrun_prefetch_readonly_post);
}
