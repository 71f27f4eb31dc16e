/* tsrv.c - scripted local test servers (see tsrv.h). */
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "t.h"
#include "tsrv.h"

long
tsrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
tsrv_cert(const char *name)
{
	static char bufs[8][512];
	static int k;
	char *b = bufs[k++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", t_certs_dir(), name);
	return b;
}

struct tls_client *
tsrv_tls_client(void)
{
	struct tls_config tcfg = { 0 };

	tcfg.ca_file = tsrv_cert("ca.pem");
	return tls_client_new(&tcfg);
}

struct http_client *
tsrv_http_client(struct tls_client *tc, int io_ms)
{
	struct http_client_config cfg = { 0 };

	cfg.tls = tc;
	cfg.connect_timeout_ms = 500;
	cfg.io_timeout_ms = io_ms;
	return http_client_new(&cfg);
}

static int
listen_local(int *port, int backlog)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

int
tsrv_blackhole(int *port)
{
	return listen_local(port, 8);
}

int
tsrv_free_port(void)
{
	int port = 0, fd = listen_local(&port, 1);

	if (fd != -1)
		close(fd);
	return port;
}

/* The bytes a connection has read past the last request (a client that
 * pipelines), when the first of them arrived and when the last read
 * returned. */
struct pend {
	char b[4096];
	size_t n;
	long at, last;
};

/* Reads one request (headers + Content-Length body) into out (outsz >=
 * sizeof(p->b)), starting with p's bytes and leaving what follows it in p;
 * *at gets when it began to arrive. 1 got one, 0 EOF/error. */
static int
read_request(struct conn *c, char *out, size_t outsz, struct pend *p,
    long *at)
{
	size_t len = p->n, need = 0;
	char *eoh, *cl;
	ssize_t n;

	memcpy(out, p->b, len);
	out[len] = '\0';
	*at = len ? p->at : 0;
	p->n = 0;
	for (;;) {
		if ((eoh = strstr(out, "\r\n\r\n")) != NULL && need == 0) {
			need = (size_t)(eoh + 4 - out);
			for (cl = out; cl < eoh; cl++) {
				if (strncasecmp(cl, "\nContent-Length:", 16) ==
				    0) {
					need += strtoul(cl + 16, NULL, 10);
					break;
				}
			}
		}
		if (need > 0 && len >= need) {
			p->n = len - need;
			memcpy(p->b, out + need, p->n);
			p->at = p->last;
			out[need] = '\0';
			return 1;
		}
		if (len + 1 >= outsz)
			return 0;
		n = conn_read(c, out + len, outsz - 1 - len);
		if (n <= 0)
			return 0;
		p->last = tsrv_now_ms();
		if (*at == 0)
			*at = p->last;
		len += (size_t)n;
		out[len] = '\0';
	}
}

/* Waits until `until`, reading what arrives meanwhile into p (a slow
 * link: requests sent together arrive together). */
static void
read_ahead(struct conn *c, struct pend *p, long until)
{
	struct pollfd f = { conn_fd(c), POLLIN, 0 };
	long now;
	ssize_t n;

	while ((now = tsrv_now_ms()) < until) {
		if (poll(&f, 1, (int)(until - now)) <= 0)
			continue;
		if (p->n + 1 >= sizeof(p->b) || (n = conn_read(c, p->b + p->n,
		    sizeof(p->b) - 1 - p->n)) <= 0) {
			if ((now = tsrv_now_ms()) < until)
				usleep((useconds_t)(until - now) * 1000);
			return; /* full, EOF or error: read_request sees */
		}
		p->last = tsrv_now_ms();
		if (p->n == 0)
			p->at = p->last;
		p->n += (size_t)n;
	}
}

static void *
serve(void *arg)
{
	struct tsrv *s = arg;
	struct pend pd;
	struct pollfd pfd;
	struct conn *c;
	size_t step = 0;
	long at;
	int fd, i;

	while (!s->stop) {
		pfd.fd = s->lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if ((fd = accept(s->lfd, NULL, NULL)) == -1)
			continue;
		s->accepts++;
		if ((c = conn_accept(fd, s->ts, 1500)) == NULL)
			continue;
		pd.n = 0;
		for (;;) {
			char tmp[4096];
			int got;
			err_clear();
			if (!(got = read_request(c, tmp, sizeof(tmp), &pd, &at))) {
				if (strstr(err_get(), "TLS handshake"))
					s->handshake_failures++;
				conn_close(c);
				break;
			}
			if (s->nreq < TSRV_MAXREQ) {
				memcpy(s->req[s->nreq], tmp, sizeof(tmp));
				snprintf(s->sni[s->nreq], sizeof(s->sni[0]),
				    "%s", conn_server_name(c));
				s->at[s->nreq] = at;
			}
			s->nreq++;
			if (step >= s->nsteps) {
				conn_close(c);
				break;
			}
			if (s->steps[step].after == TSRV_SILENT) {
				while (!s->stop)
					usleep(10000);
				conn_abort(c);
				break;
			}
			i = s->steps[step].after;
			if (i == TSRV_SLOW)
				read_ahead(c, &pd, at + TSRV_SLOW_MS);
			if (i == TSRV_DRIP) {
				const char *p = s->steps[step].reply;
				while (*p && !s->stop &&
				    conn_write(c, p++, 1) == 0)
					usleep(100000);
			} else
				conn_write(c, s->steps[step].reply,
				    strlen(s->steps[step].reply));
			step++;
			if (i == TSRV_CLOSE) {
				conn_close(c);
				break;
			}
			if (i == TSRV_ABORT) {
				conn_abort(c);
				break;
			}
		}
	}
	return NULL;
}

int
tsrv_start(struct tsrv *s, const char *cert, const char *key,
    const struct tsrv_step *steps, size_t nsteps)
{
	memset(s, 0, sizeof(*s));
	if (cert && (s->ts = tls_server_load(cert, key)) == NULL)
		return -1;
	if ((s->lfd = listen_local(&s->port, 16)) == -1) {
		tls_server_free(s->ts);
		return -1;
	}
	s->steps = steps;
	s->nsteps = nsteps;
	if (pthread_create(&s->th, NULL, serve, s) != 0) {
		close(s->lfd);
		tls_server_free(s->ts);
		return -1;
	}
	return 0;
}

void
tsrv_stop(struct tsrv *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	tls_server_free(s->ts);
	s->ts = NULL;
}

pid_t
tsrv_openssl(int port, const char *cert, const char *key,
    const char *const *extra)
{
	const char *argv[32];
	char accept[64];
	struct sockaddr_in sin;
	long t0;
	pid_t pid;
	int n = 0, fd, devnull;

	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	argv[n++] = "openssl";
	argv[n++] = "s_server";
	argv[n++] = "-quiet";
	argv[n++] = "-www";
	argv[n++] = "-accept";
	argv[n++] = accept;
	argv[n++] = "-cert";
	argv[n++] = cert;
	argv[n++] = "-key";
	argv[n++] = key;
	while (extra && *extra && n < 30)
		argv[n++] = *extra++;
	argv[n] = NULL;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp("openssl", (char *const *)argv);
		_exit(127);
	}
	/* Wait until it accepts (a bare connect is harmless to s_server). */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	for (t0 = tsrv_now_ms(); tsrv_now_ms() - t0 < 5000;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			close(fd);
			return pid;
		}
		close(fd);
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	tsrv_openssl_stop(pid);
	return -1;
}

void
tsrv_openssl_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}
