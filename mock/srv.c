/* srv.c - the mock's server side: listening sockets (re-bindable), one
 * thread per connection, fault rules, the JSON-lines request log, the
 * control API, response framing. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mock/control.h"
#include "mock/handler.h"
#include "mock/srv.h"
#include "mock/state.h"
#include "tls.h"
#include "tlssrv.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* Linux */
#endif

#define IO_TIMEOUT_MS (5 * 60 * 1000)
#define MAX_CONNS 512

static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stopping;
static FILE *reqlog;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_server *tls;

/* Live connections, so that "down" and shutdown can cut them. */
static struct {
	int fd;
	int which;
} conns[MAX_CONNS];
static int nconns;
static pthread_cond_t conns_cv = PTHREAD_COND_INITIALIZER;

struct cx {
	struct conn *c;
	int fd;
	int which;
	long long id;      /* connection number, for the request log */
	long long recv_ms; /* wall clock the current request arrived */
	long long next_ms; /* when the unread bytes after it arrived (0:
	                      none yet) */
	long long fill_ms; /* when the last read ahead brought bytes */
	struct hreader *rd;
	int first;         /* the current request is the connection's first */
};
static long long next_conn_id;

void
srv_wake(void)
{
	char b = 1;

	if (wake_pipe[1] >= 0 && write(wake_pipe[1], &b, 1) == -1) {
		/* pipe full: the loop is already awake */
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	srv_wake();
}

int
srv_listen(int which, int port)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	/* Instance metadata is link-local on EC2: always loopback here. */
	const char *addr = which == L_IMDS ? "127.0.0.1" : M.bind;
	char ps[16];
	int fd, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(addr, ps, &hints, &ai)) != 0) {
		err_set("bind address %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd == -1) {
		err_set("socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1) {
		err_set("listen on %s port %d: %s", addr, port,
		    strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		M.lst[which].port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	M.lst[which].fd = fd;
	return 0;
}

/* Lock held. */
int
srv_set_listener(int which, enum lstate st)
{
	struct listener *l = &M.lst[which];
	int k;

	if (st != LS_DOWN && l->fd < 0 && srv_listen(which, l->port) == -1)
		return -1;
	if (st == LS_DOWN && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	if (st == LS_DOWN)
		for (k = 0; k < nconns; k++)
			if (conns[k].which == which)
				shutdown(conns[k].fd, SHUT_RDWR);
	l->st = st;
	state_changed();
	srv_wake();
	return 0;
}

/* ---- logging ---- */

/* Appends s as a JSON string, replacing invalid UTF-8 with U+FFFD so that
 * the log stays valid JSON whatever a client sent. */
/* s as a JSON string, invalid UTF-8 replaced by U+FFFD (the log is read
 * by JSON parsers that insist on UTF-8). */
static void
write_utf8_str(struct json_writer *w, const char *s, size_t n)
{
	struct buf clean = { 0 };
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ?
		    3 : (c >> 3) == 30 ? 4 : 0, k;
		int ok = len > 0 && i + len <= n;

		for (k = 1; ok && k < len; k++)
			if (((unsigned char)s[i + k] >> 6) != 2)
				ok = 0;
		if (ok && len == 2 && c < 0xc2)
			ok = 0;
		if (ok) {
			buf_append(&clean, s + i, len);
			i += len;
		} else {
			buf_puts(&clean, "\xef\xbf\xbd");
			i++;
		}
	}
	json_strn(w, clean.data ? clean.data : "", clean.len);
	buf_free(&clean);
}

/* The request's headers as one object: lower-case names, repeated fields
 * joined with commas, in first-seen order. */
static void
write_headers(struct json_writer *w, const struct mreq *q)
{
	size_t i, k;

	json_obj_begin(w);
	for (i = 0; i < q->nhdrs; i++) {
		struct buf v = { 0 };
		char name[256];
		int dup = 0, first = 1;

		for (k = 0; k < i; k++)
			if (strcasecmp(q->hdrs[k].name, q->hdrs[i].name) == 0)
				dup = 1;
		if (dup)
			continue;
		snprintf(name, sizeof(name), "%s", q->hdrs[i].name);
		for (k = 0; name[k]; k++)
			if (name[k] >= 'A' && name[k] <= 'Z')
				name[k] = (char)(name[k] + 32);
		json_key(w, name);
		for (k = i; k < q->nhdrs; k++)
			if (strcasecmp(q->hdrs[k].name, name) == 0) {
				if (!first)
					buf_puts(&v, ",");
				buf_puts(&v, q->hdrs[k].value);
				first = 0;
			}
		write_utf8_str(w, v.data ? v.data : "", v.len);
		buf_free(&v);
	}
	json_obj_end(w);
}

/* One JSON line per request: status is what was sent (0: nothing),
 * applied the status of the real handler's answer when an apply_* or drip
 * fault replaced or withheld it (0: not applicable). */
static void
log_request(long long seq, const struct cx *x, const struct mreq *q,
    int status, enum fault_action act, int applied)
{
	struct buf b = { 0 };
	struct json_writer w;

	if (reqlog == NULL)
		return;
	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "seq");
	json_int(&w, seq);
	json_key(&w, "time_ms");
	json_int(&w, wall_ms());
	json_key(&w, "recv_ms");
	json_int(&w, x->recv_ms);
	json_key(&w, "conn");
	json_int(&w, x->id);
	json_key(&w, "new_conn");
	json_bool(&w, x->first);
	json_key(&w, "listener");
	json_str(&w, listener_names[x->which]);
	json_key(&w, "method");
	write_utf8_str(&w, q->method, strlen(q->method));
	json_key(&w, "path");
	write_utf8_str(&w, q->path, strlen(q->path));
	json_key(&w, "query");
	write_utf8_str(&w, q->query, strlen(q->query));
	json_key(&w, "headers");
	write_headers(&w, q);
	json_key(&w, "body");
	write_utf8_str(&w, q->body.data ? q->body.data : "", q->body.len);
	json_key(&w, "status");
	if (status > 0)
		json_int(&w, status);
	else
		json_null(&w);
	if (applied > 0) {
		json_key(&w, "applied_status");
		json_int(&w, applied);
	}
	json_key(&w, "action");
	json_str(&w, fault_action_names[act]);
	json_obj_end(&w);
	buf_puts(&b, "\n");
	pthread_mutex_lock(&log_mu);
	fwrite(b.data, 1, b.len, reqlog);
	fflush(reqlog);
	pthread_mutex_unlock(&log_mu);
	buf_free(&b);
}

/* ---- responses ---- */

void
mresp_free(struct mresp *r)
{
	buf_free(&r->hdrs);
	buf_free(&r->body);
}

static const char *
reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

/* Appends the framed response (status line, headers, body) to b. */
static void
frame_response(struct buf *b, const struct mresp *r, int head, int keep)
{
	char date[64];
	time_t t = (time_t)(wall_ms() / 1000);
	struct tm tm;
	int bodyless = r->status == 204 || r->status == 304 ||
	    r->status < 200;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", r->status,
	    reason(r->status), date);
	if (r->ctype && !bodyless)
		buf_printf(b, "Content-Type: %s\r\n", r->ctype);
	if (!bodyless)
		buf_printf(b, "Content-Length: %zu\r\n", r->body.len);
	if (!keep)
		buf_puts(b, "Connection: close\r\n");
	if (r->hdrs.len)
		buf_append(b, r->hdrs.data, r->hdrs.len);
	buf_puts(b, "\r\n");
	if (!head && !bodyless && r->body.len)
		buf_append(b, r->body.data, r->body.len);
}

static int
send_response(struct conn *c, const struct mresp *r, int head, int keep)
{
	struct buf b = { 0 };
	int rc;

	frame_response(&b, r, head, keep);
	rc = b.data ? conn_write(c, b.data, b.len) : -1;
	buf_free(&b);
	return rc;
}

/* ---- faults ---- */

/* Finds the rule for this request and consumes its budget. Lock held.
 * Copies what the connection needs; returns FA_SERVED when none applies. */
static enum fault_action
fault_match(int which, const struct mreq *q, struct fault *out)
{
	size_t i;

	for (i = 0; i < M.nfaults; i++) {
		struct fault *f = &M.faults[i];

		if (f->listener >= 0 && f->listener != which)
			continue;
		if (strcmp(f->method, "*") != 0 && strcmp(f->method, q->method))
			continue;
		if (strncmp(q->path, f->path, strlen(f->path)) != 0)
			continue;
		if (f->count == 0)
			continue; /* budget spent */
		if (f->skip > 0) {
			f->skip--;
			continue; /* this one passes; later rules may apply */
		}
		if (f->count > 0)
			f->count--;
		*out = *f;
		out->path = NULL;
		out->body = f->body ? strdup(f->body) : NULL;
		out->aws_code = f->aws_code ? strdup(f->aws_code) : NULL;
		out->location = f->location ? strdup(f->location) : NULL;
		return f->action;
	}
	return FA_SERVED;
}

static void
fault_response(int which, const struct fault *f, struct mresp *r)
{
	if (f->location)
		buf_printf(&r->hdrs, "Location: %s\r\n", f->location);
	r->status = f->status;
	if (which == L_R53) {
		if (f->body) {
			r->ctype = "text/xml";
			buf_puts(&r->body, f->body);
		} else
			mr53_error(r, f->status, f->aws_code ? f->aws_code :
			    f->status >= 500 ? "InternalFailure" : "InvalidInput",
			    f->aws_code && strcmp(f->aws_code, "Throttling") == 0 ?
			    "Rate exceeded" : "injected fault");
		r->status = f->status;
		return;
	}
	if (which == L_IMDS) {
		mimds_error(r, f->status);
		if (f->body) {
			buf_free(&r->body);
			buf_puts(&r->body, f->body);
		}
		return;
	}
	if (f->body) {
		r->ctype = "application/json";
		buf_puts(&r->body, f->body);
	} else
		mresp_vault_error(r, f->status, "injected fault");
}

/* Sleeps ms, waking early when the mock stops. */
static void
nap(long ms)
{
	while (ms > 0 && !stopping) {
		struct timespec ts = { 0, 0 };
		long step = ms < 50 ? ms : 50;

		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* --latency-ms: a request's answer leaves latency_ms after the request
 * arrived. Meanwhile the bytes the client sends on are read as they come
 * (the requests a pipelining client sent behind it), so that a request's
 * arrival is when its bytes came, not when this thread got to it. */
static void
await_answer(struct cx *x)
{
	long long now, until = x->recv_ms + M.latency_ms;
	struct pollfd p = { x->fd, POLLIN, 0 };
	int ahead = 1, had;

	while (!stopping && (now = wall_ms()) < until) {
		int step = until - now < 50 ? (int)(until - now) : 50;

		if (!ahead) {
			nap(step);
			continue;
		}
		if (poll(&p, 1, step) <= 0)
			continue;
		had = x->rd->off < x->rd->len;
		if (hreq_fill(x->rd) <= 0)
			ahead = 0; /* EOF or trouble: hreq_read will see */
		else if ((x->fill_ms = wall_ms()) && !had)
			x->next_ms = x->fill_ms;
	}
}

/* Holds the connection unanswered until the peer goes away or we stop. */
static void
hold(int fd)
{
	while (!stopping) {
		struct pollfd p = { fd, POLLRDHUP, 0 };

		if (poll(&p, 1, 200) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			return;
	}
}

/* ---- connections ---- */

static long
cx_read(void *ctx, void *b, size_t n)
{
	return (long)conn_read(((struct cx *)ctx)->c, b, n);
}

static int
cx_write(void *ctx, const void *b, size_t n)
{
	return conn_write(((struct cx *)ctx)->c, b, n);
}

static void
bad_request(struct cx *x, int status, const char *why)
{
	struct mresp r = { 0 };

	if (x->which == L_R53)
		mr53_error(&r, status, "InvalidInput", why);
	else if (x->which == L_IMDS)
		mimds_error(&r, status);
	else
		mresp_vault_error(&r, status, why);
	r.status = status;
	send_response(x->c, &r, 0, 0);
	mresp_free(&r);
}

/* A load balancer's own error page, as it answers when the backend is
 * slow (apply_status without a body). */
static void
lb_page(struct mresp *r, int status)
{
	r->status = status;
	r->ctype = "text/html";
	buf_printf(&r->body, "<html>\r\n<head><title>%d %s</title></head>\r\n"
	    "<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n"
	    "</html>\r\n", status, reason(status), status, reason(status));
}

/* Sends the framed response one byte every interval_ms; stops early when
 * the peer goes away or the mock stops. 0 / -1. */
static int
drip_response(struct conn *c, const struct mresp *r, int head, int keep,
    long interval_ms)
{
	struct buf b = { 0 };
	size_t i;
	int rc = 0;

	frame_response(&b, r, head, keep);
	for (i = 0; i < b.len && rc == 0; i++) {
		if (i > 0)
			nap(interval_ms);
		if (stopping || conn_write(c, b.data + i, 1) == -1)
			rc = -1;
	}
	buf_free(&b);
	return rc;
}

/* Runs the real handler for the request (the change happens). Returns 0,
 * or -1 when the listener went down meanwhile. */
static int
apply(struct cx *x, const struct mreq *q, struct mresp *r)
{
	pthread_mutex_lock(&M.mu);
	state_tick();
	if (M.lst[x->which].st == LS_DOWN) {
		pthread_mutex_unlock(&M.mu);
		return -1;
	}
	if (x->which == L_R53) {
		if (!msts_handle(q, r))
			mr53_handle(q, r);
	} else if (x->which == L_IMDS) {
		if (!mecs_handle(q, r))
			mimds_handle(q, r);
	} else
		mv_handle(x->which, q, r);
	state_save();
	pthread_mutex_unlock(&M.mu);
	return 0;
}

/* Serves one request; returns 1 to keep the connection, 0 to close it
 * (orderly), -1 to abort it without close_notify. */
static int
serve(struct cx *x, struct mreq *q)
{
	struct mresp r = { 0 };
	struct fault f = { 0 };
	enum fault_action act;
	enum lstate ls;
	long long seq;
	int keep = q->keep_alive && !stopping, rc = keep, applied;
	int head = strcmp(q->method, "HEAD") == 0;

	if (x->which == L_CONTROL) {
		control_handle(q, &r, srv_set_listener);
		send_response(x->c, &r, head, keep);
		mresp_free(&r);
		return keep;
	}
	await_answer(x);
	pthread_mutex_lock(&M.mu);
	seq = ++M.requests;
	M.dirty = 1;
	ls = M.lst[x->which].st;
	act = ls == LS_UP ? fault_match(x->which, q, &f) : FA_SERVED;
	pthread_mutex_unlock(&M.mu);
	if (ls == LS_DOWN)
		return -1;
	if (ls == LS_BLACKHOLE)
		act = FA_BLACKHOLE;
	switch (act) {
	case FA_HANGUP:
		log_request(seq, x, q, 0, act, 0);
		rc = -1;
		goto out;
	case FA_BLACKHOLE:
		log_request(seq, x, q, 0, act, 0);
		hold(x->fd);
		rc = -1;
		goto out;
	case FA_GARBAGE: {
		static const char junk[] = "\x16\x03\x01garbage\x00\xff\xfe"
		    "SSH-2.0-not-http\r\n\r\n\x01\x02";
		log_request(seq, x, q, 0, act, 0);
		conn_write(x->c, junk, sizeof(junk) - 1);
		rc = 0;
		goto out;
	}
	case FA_STATUS:
		fault_response(x->which, &f, &r);
		break;
	case FA_LATENCY:
		nap(f.latency_ms);
		/* FALLTHROUGH */
	case FA_SERVED:
		if (apply(x, q, &r) == -1) {
			rc = -1;
			goto out;
		}
		break;
	case FA_APPLY_STATUS:
	case FA_APPLY_HANGUP:
	case FA_APPLY_DELAY:
	case FA_DRIP:
		/* The change happens now; only the answer misbehaves. Logged
		 * at once, so the log shows the request even while the
		 * answer is still withheld. */
		if (apply(x, q, &r) == -1) {
			rc = -1;
			goto out;
		}
		applied = r.status;
		if (act == FA_APPLY_HANGUP) {
			log_request(seq, x, q, 0, act, applied);
			rc = -1;
			goto out;
		}
		if (act == FA_APPLY_STATUS) {
			mresp_free(&r);
			memset(&r, 0, sizeof(r));
			if (f.body || f.aws_code)
				fault_response(x->which, &f, &r);
			else {
				lb_page(&r, f.status);
				if (f.location)
					buf_printf(&r.hdrs, "Location: %s\r\n",
					    f.location);
			}
		}
		log_request(seq, x, q, r.status, act, applied);
		if (act == FA_APPLY_DELAY)
			nap(f.latency_ms);
		if (act == FA_DRIP) {
			if (drip_response(x->c, &r, head, keep,
			    f.interval_ms) == -1)
				rc = -1;
		} else if (send_response(x->c, &r, head, keep) == -1)
			rc = -1;
		goto out;
	}
	/* Logged before the answer leaves: a client that has its answer (and
	 * a test that then reads the log) always finds the request there. */
	log_request(seq, x, q, r.status, act, 0);
	if (send_response(x->c, &r, head, keep) == -1)
		rc = -1;
out:
	free(f.body);
	free(f.aws_code);
	free(f.location);
	mresp_free(&r);
	return rc;
}

static void *
conn_thread(void *arg)
{
	struct cx *x = arg;
	struct hreader rd = { cx_read, cx_write, x, NULL, 0, 0, 0 };
	int k, how = 0;

	x->rd = &rd;
	/* --latency-ms: a new connection's TCP and TLS 1.2 handshakes take
	 * two more round trips (the TLS handshake runs on the first read). */
	if (x->which != L_CONTROL)
		nap(2 * M.latency_ms);
	for (;;) {
		struct mreq q;
		char why[200];
		int status, rc;

		rc = hreq_read(&rd, &q, &status, why, sizeof(why));
		if (rc == 1) {
			/* Bytes already read past it came with it, or with
			 * the last read ahead. */
			x->recv_ms = x->next_ms ? x->next_ms : wall_ms();
			x->next_ms = rd.off == rd.len ? 0 :
			    x->fill_ms > x->recv_ms ? x->fill_ms : x->recv_ms;
			how = serve(x, &q);
			x->first = 0;
			mreq_free(&q);
			if (how != 1)
				break;
			continue;
		}
		if (rc == -1 && !stopping)
			bad_request(x, status, why);
		mreq_free(&q);
		how = rc == -1 ? 0 : -1;
		break;
	}
	pthread_mutex_lock(&M.mu);
	for (k = 0; k < nconns; k++)
		if (conns[k].fd == x->fd) {
			conns[k] = conns[--nconns];
			break;
		}
	pthread_cond_broadcast(&conns_cv);
	pthread_mutex_unlock(&M.mu);
	if (how == 0)
		conn_close(x->c);
	else
		conn_abort(x->c);
	hreader_free(&rd);
	free(x);
	return NULL;
}

static void
accept_one(int which)
{
	pthread_attr_t at;
	pthread_t th;
	struct cx *x;
	int fd;

	fd = accept(M.lst[which].fd, NULL, NULL);
	if (fd == -1)
		return;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (nconns >= MAX_CONNS || (x = calloc(1, sizeof(*x))) == NULL) {
		close(fd);
		return;
	}
	x->fd = fd;
	x->which = which;
	x->id = ++next_conn_id;
	x->first = 1;
	x->c = conn_accept(fd, which == L_CONTROL || which == L_IMDS ? NULL :
	    tls, IO_TIMEOUT_MS);
	if (x->c == NULL) { /* conn_accept closed fd */
		free(x);
		return;
	}
	conns[nconns].fd = fd;
	conns[nconns].which = which;
	nconns++;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 512 * 1024);
	if (pthread_create(&th, &at, conn_thread, x) != 0) {
		nconns--;
		conn_abort(x->c);
		free(x);
	}
	pthread_attr_destroy(&at);
}

int
srv_run(void *tls_server, const char *log_file)
{
	struct sigaction sa;
	int k;

	tls = tls_server;
	if (log_file && (reqlog = fopen(log_file, "a")) == NULL) {
		err_set("log file %s: %s", log_file, strerror(errno));
		return -1;
	}
	if (pipe(wake_pipe) == -1) {
		err_set("pipe: %s", strerror(errno));
		return -1;
	}
	for (k = 0; k < 2; k++) {
		fcntl(wake_pipe[k], F_SETFD, FD_CLOEXEC);
		fcntl(wake_pipe[k], F_SETFL, O_NONBLOCK);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	while (!stopping) {
		struct pollfd p[L_N + 1];
		int map[L_N + 1], np = 0;

		pthread_mutex_lock(&M.mu);
		if (state_tick())
			state_save();
		for (k = 0; k < L_N; k++)
			if (M.lst[k].fd >= 0 && M.lst[k].st == LS_UP) {
				p[np].fd = M.lst[k].fd;
				p[np].events = POLLIN;
				map[np++] = k;
			}
		pthread_mutex_unlock(&M.mu);
		p[np].fd = wake_pipe[0];
		p[np].events = POLLIN;
		map[np++] = -1;
		if (poll(p, (nfds_t)np, 50) <= 0)
			continue;
		for (k = 0; k < np; k++) {
			if (!(p[k].revents & POLLIN))
				continue;
			if (map[k] < 0) {
				char drain[64];
				while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
					;
				continue;
			}
			pthread_mutex_lock(&M.mu);
			if (M.lst[map[k]].fd == p[k].fd &&
			    M.lst[map[k]].st == LS_UP)
				accept_one(map[k]);
			pthread_mutex_unlock(&M.mu);
		}
	}
	/* Stop: close listeners, cut connections, wait for the threads. */
	pthread_mutex_lock(&M.mu);
	for (k = 0; k < L_N; k++)
		if (M.lst[k].fd >= 0) {
			close(M.lst[k].fd);
			M.lst[k].fd = -1;
		}
	for (k = 0; k < nconns; k++)
		shutdown(conns[k].fd, SHUT_RDWR);
	{
		/* pthread_cond_timedwait takes a CLOCK_REALTIME time. */
		long long until = wall_ms() + 3000;
		struct timespec dl = { (time_t)(until / 1000),
			(long)(until % 1000) * 1000000L };

		while (nconns > 0 &&
		    pthread_cond_timedwait(&conns_cv, &M.mu, &dl) == 0)
			;
	}
	M.dirty = 1;
	state_save();
	pthread_mutex_unlock(&M.mu);
	if (reqlog)
		fflush(reqlog);
	return 0;
}
