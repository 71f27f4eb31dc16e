/* net.c - TCP with deadlines (see net.h).
 *
 * Every socket operation polls against an absolute CLOCK_MONOTONIC deadline:
 * by default one per call (sock_arm), or one shared by every call of an
 * exchange (sock_set_deadline), so that a peer dripping bytes cannot
 * stretch it. */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

int64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
net_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
net_secs(int ms, char *out, size_t outsz)
{
	if (ms % 1000 == 0)
		snprintf(out, outsz, "%d", ms / 1000);
	else
		snprintf(out, outsz, "%g", ms / 1000.0);
	return out;
}

void
net_where(char *out, size_t outsz, const char *host, int port)
{
	if (strchr(host, ':'))
		snprintf(out, outsz, "[%s]:%d", host, port);
	else
		snprintf(out, outsz, "%s:%d", host, port);
}

static volatile sig_atomic_t *intr_flag;

void
net_set_interrupt(volatile sig_atomic_t *flag)
{
	intr_flag = flag;
}

static int
interrupted(void)
{
	return intr_flag != NULL && *intr_flag != 0;
}

int
net_stop_requested(void)
{
	return interrupted();
}

/* Milliseconds left before the deadline, at least 0. */
static int
remaining(const struct sock *s)
{
	int64_t left = s->deadline - net_now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

void
sock_arm(struct sock *s)
{
	s->timed_out = s->eof = s->err_no = 0;
	if (s->fixed > 0)
		s->deadline = s->fixed;
	else
		s->deadline = net_now_ms() +
		    (s->timeout_ms > 0 ? s->timeout_ms : 0);
}

void
sock_set_deadline(struct sock *s, int ms)
{
	if (ms < 0) {
		s->fixed = 0;
		s->fixed_ms = 0;
		return;
	}
	s->fixed = net_now_ms() + ms;
	if (s->fixed <= 0)
		s->fixed = 1; /* keep "set" distinct from "none" */
	s->fixed_ms = ms;
}

/* Waits for events on the fd until the call's deadline: 1 ready, 0
 * timeout, -1 error (errno; EINTR when a stop was requested). */
static int
wait_fd(const struct sock *s, short events)
{
	struct pollfd pfd;
	int r;

	for (;;) {
		int left = remaining(s);
		/* A signal that lands between the check and poll() would not
		 * interrupt it: check first and wait in slices of 100 ms. */
		if (interrupted()) {
			errno = EINTR;
			return -1;
		}
		pfd.fd = s->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, left > 100 ? 100 : left);
		if (r < 0 && errno == EINTR && interrupted())
			return -1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 && remaining(s) > 0)
			continue; /* early wake-up, rounding */
		return r > 0;
	}
}

ssize_t
sock_read(struct sock *s, void *buf, size_t n)
{
	ssize_t r;
	int w;

	for (;;) {
		r = recv(s->fd, buf, n, 0);
		if (r >= 0) {
			if (r == 0)
				s->eof = 1;
			return r;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			s->err_no = errno;
			return -1;
		}
		if ((w = wait_fd(s, POLLIN)) == 0) {
			s->timed_out = 1;
			return -1;
		}
		if (w < 0) {
			s->err_no = errno;
			return -1;
		}
	}
}

ssize_t
sock_write(struct sock *s, const void *buf, size_t n)
{
	ssize_t r;
	int w;

	for (;;) {
		r = send(s->fd, buf, n, MSG_NOSIGNAL);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			s->err_no = errno;
			return -1;
		}
		if ((w = wait_fd(s, POLLOUT)) == 0) {
			s->timed_out = 1;
			return -1;
		}
		if (w < 0) {
			s->err_no = errno;
			return -1;
		}
	}
}

enum conn_err
sock_fail(const struct sock *s, const char *op)
{
	char t[32];

	if (s->timed_out) {
		err_set("%s %s timed out after %s s", op, s->where,
		    net_secs(s->fixed > 0 ? s->fixed_ms : s->timeout_ms, t,
		    sizeof(t)));
		return CONN_E_TIMEOUT;
	}
	if (s->eof)
		err_set("%s %s: connection closed by peer", op, s->where);
	else
		err_set("%s %s: %s", op, s->where,
		    strerror(s->err_no ? s->err_no : EIO));
	return CONN_E_IO;
}

void
sock_close(struct sock *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* A connect that waits: net_dial_* polled until connected, every address
 * failed, the deadline passed (it covers all addresses) or a stop was
 * requested. */
int
net_connect(struct sock *s, const char *host, int port, int timeout_ms,
    int io_timeout_ms, enum conn_err *err)
{
	struct net_dial d;
	int64_t deadline = net_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int r = -1;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (net_dial_start(&d, host, port, timeout_ms, err) == -1)
		return -1;
	for (;;) {
		struct pollfd pfd = { d.fd, POLLOUT, 0 };
		int64_t left = deadline - net_now_ms();

		if (left <= 0) {
			net_dial_timeout(&d, err);
			break;
		}
		if (interrupted()) {
			*err = CONN_E_CONNECT;
			err_set("connect to %s: %s", d.where, strerror(EINTR));
			break;
		}
		/* Slices of 100 ms: see wait_fd. */
		if (poll(&pfd, 1, left > 100 ? 100 : (int)left) <= 0)
			continue;
		if ((r = net_dial_check(&d, s, io_timeout_ms, err)) != 0)
			break;
	}
	net_dial_free(&d);
	return r == 1 ? 0 : -1;
}

void
net_adopt(struct sock *s, int fd, int io_timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "client";
	int fl, port = 0, one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->timeout_ms = io_timeout_ms;
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	/* As on our connects (and in Go's net/http, which Vault runs): a
	 * handshake flight written as several records must not wait for the
	 * peer's delayed ACK (Nagle), some 40 ms per new connection. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	net_where(s->where, sizeof(s->where), host, port);
}

/* ---- non-blocking connects for poll() loops ----------------------------- */

/* Starts a connect to d->ai or a later address: 0 (d->fd connecting or
 * connected), -1 when none is left (d->err_no). */
static int
dial_next(struct net_dial *d)
{
	for (; d->ai != NULL; d->ai = d->ai->ai_next) {
		int fd = socket(d->ai->ai_family, d->ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, d->ai->ai_protocol);
		if (fd == -1) {
			d->err_no = errno;
			continue;
		}
		if (connect(fd, d->ai->ai_addr, d->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS || errno == EINTR) {
			d->fd = fd;
			return 0;
		}
		d->err_no = errno;
		close(fd);
	}
	return -1;
}

int
net_dial_start(struct net_dial *d, const char *host, int port,
    int timeout_ms, enum conn_err *err)
{
	struct addrinfo hints;
	char portstr[16];
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->timeout_ms = timeout_ms;
	net_where(d->where, sizeof(d->where), host, port);
	*err = CONN_E_CONFIG;
	if (port < 1 || port > 65535) {
		err_set("connect to %s: bad port", d->where);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &d->res)) != 0) {
		d->res = NULL;
		*err = CONN_E_RESOLVE;
		err_set("cannot resolve %s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	d->ai = d->res;
	if (dial_next(d) == -1) {
		*err = CONN_E_CONNECT;
		err_set("connect to %s: %s", d->where, strerror(d->err_no));
		return -1;
	}
	*err = CONN_OK;
	return 0;
}

int
net_dial_check(struct net_dial *d, struct sock *s, int io_timeout_ms,
    enum conn_err *err)
{
	socklen_t sl = sizeof(int);
	int soerr = 0, one = 1;

	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		soerr = errno;
	if (soerr == 0) {
		struct pollfd pfd = { d->fd, POLLOUT, 0 };
		/* Still connecting (an early wake-up): poll again. */
		if (poll(&pfd, 1, 0) == 0)
			return 0;
		memset(s, 0, sizeof(*s));
		s->fd = d->fd;
		s->timeout_ms = io_timeout_ms;
		memcpy(s->where, d->where, sizeof(s->where));
		setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		d->fd = -1;
		*err = CONN_OK;
		return 1;
	}
	d->err_no = soerr;
	close(d->fd);
	d->fd = -1;
	d->ai = d->ai->ai_next;
	if (dial_next(d) == 0)
		return 0;
	*err = CONN_E_CONNECT;
	err_set("connect to %s: %s", d->where, strerror(d->err_no));
	return -1;
}

void
net_dial_timeout(const struct net_dial *d, enum conn_err *err)
{
	char t[32];

	*err = CONN_E_TIMEOUT;
	err_set("connect to %s timed out after %s s", d->where,
	    net_secs(d->timeout_ms, t, sizeof(t)));
}

void
net_dial_free(struct net_dial *d)
{
	if (d == NULL)
		return;
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	if (d->res != NULL)
		freeaddrinfo(d->res);
	d->res = d->ai = NULL;
}
