/* mock/proxy.c - the mock's HTTP CONNECT proxy (see mproxy.h). One thread
 * per connection: read the request head, check credentials and the deny
 * list, connect to the target, answer 200 and relay bytes both ways until
 * either side closes. Only CONNECT is served (405 otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "net.h"
#include "mproxy.h"

#define HEAD_MAX 16384
#define IDLE_MS (5 * 60 * 1000)
#define CONNECT_MS 5000

static struct {
	char *username, *password; /* NULL: no credentials required */
	char **deny;               /* "host:port", lower case */
	size_t ndeny;
	FILE *log;
	pthread_mutex_t log_mu;
	int lfd;
} P = { .log_mu = PTHREAD_MUTEX_INITIALIZER, .lfd = -1 };

int
mproxy_key_allowed(const char *path)
{
	return strcmp(path, "proxy") == 0 ||
	    strcmp(path, "proxy.username") == 0 ||
	    strcmp(path, "proxy.password") == 0 ||
	    strcmp(path, "proxy.deny") == 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

int
mproxy_load(const char *path, char *why, size_t whysz)
{
	struct json j = { 0 };
	char *text = NULL;
	FILE *f = NULL;
	long n;
	int at, i, len, rc = -1;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)n + 1)) == NULL ||
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		snprintf(why, whysz, "cannot read the file");
		goto out;
	}
	text[n] = '\0';
	if (json_parse(&j, text, (size_t)n) == -1) {
		snprintf(why, whysz, "%s", err_get());
		goto out;
	}
	if ((at = json_find(&j, 0, "proxy")) < 0) {
		rc = 0;
		goto out;
	}
	if (json_type_at(&j, at) != JSON_OBJECT) {
		snprintf(why, whysz, "proxy: not an object");
		goto out;
	}
	if (json_get_str(&j, at, "username", &P.username) == -1 ||
	    json_get_str(&j, at, "password", &P.password) == -1) {
		snprintf(why, whysz, "proxy: %s", err_get());
		goto out;
	}
	if ((P.username == NULL) != (P.password == NULL)) {
		snprintf(why, whysz, "proxy: username and password go together");
		goto out;
	}
	if ((i = json_find(&j, at, "deny")) >= 0) {
		if ((len = json_array_len(&j, i)) < 0) {
			snprintf(why, whysz, "proxy.deny: not an array");
			goto out;
		}
		P.deny = calloc((size_t)len + 1, sizeof(*P.deny));
		for (int k = 0; k < len; k++) {
			if (json_tok_str(&j, json_array_elem(&j, i, k),
			    &P.deny[k]) == -1) {
				snprintf(why, whysz, "proxy.deny[%d]: not a "
				    "string", k);
				goto out;
			}
			lower(P.deny[k]);
			P.ndeny++;
		}
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	json_free(&j);
	free(text);
	return rc;
}

/* One JSON line per request; never the password. */
static void
log_line(const char *method, const char *target, const char *creds,
    const char *user, int status)
{
	struct buf b = { 0 };

	if (P.log == NULL)
		return;
	buf_puts(&b, "{\"seq\":0,\"listener\":\"proxy\",\"method\":");
	json_append_str(&b, method);
	buf_puts(&b, ",\"path\":");
	json_append_str(&b, target);
	buf_puts(&b, ",\"query\":\"\",\"headers\":{},\"body\":\"\","
	    "\"credentials\":");
	json_append_str(&b, creds);
	if (user) {
		buf_puts(&b, ",\"username\":");
		json_append_str(&b, user);
	}
	buf_printf(&b, ",\"status\":%d,\"action\":\"served\"}\n", status);
	pthread_mutex_lock(&P.log_mu);
	fwrite(b.data, 1, b.len, P.log);
	fflush(P.log);
	pthread_mutex_unlock(&P.log_mu);
	buf_free(&b);
}

/* Writes all n bytes to a non-blocking fd. 0 / -1. */
static int
put_all(int fd, const char *p, size_t n)
{
	struct pollfd pf = { fd, POLLOUT, 0 };
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(&pf, 1, IDLE_MS) <= 0)
			return -1;
	}
	return 0;
}

static void
answer(int fd, int status, const char *reason, const char *extra)
{
	char b[512];

	snprintf(b, sizeof(b), "HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", status, reason, extra ? extra : "");
	put_all(fd, b, strlen(b));
}

/* Reads the request head (up to the empty line). Length or -1. */
static long
read_head(int fd, char *h, size_t hsz)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < hsz) {
		r = read(fd, h + n, 1);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (poll(&pf, 1, IDLE_MS) <= 0)
				return -1;
			continue;
		}
		n++;
		h[n] = '\0';
		if (n >= 4 && memcmp(h + n - 4, "\r\n\r\n", 4) == 0)
			return (long)n;
	}
	return -1;
}

/* Value of header name in the head h (case-insensitive), copied. */
static int
header(const char *h, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = strstr(h, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, outsz, "%.*s", (int)(e - v), v);
			return 1;
		}
		p = strstr(p, "\r\n");
	}
	return 0;
}

/* "none", "valid" or "wrong"; user gets the user name given, if any. */
static const char *
check_creds(const char *h, char *user, size_t usz)
{
	char v[1024], dec[768], want[768];
	size_t n;
	const char *res = "wrong";

	user[0] = '\0';
	if (!header(h, "Proxy-Authorization", v, sizeof(v)))
		return "none";
	if (strncasecmp(v, "Basic ", 6) != 0 ||
	    b64_decode(v + 6, strlen(v + 6), (unsigned char *)dec,
	    sizeof(dec) - 1, &n) == -1)
		goto out;
	dec[n] = '\0';
	snprintf(user, usz, "%.*s", (int)strcspn(dec, ":"), dec);
	if (P.username != NULL) {
		snprintf(want, sizeof(want), "%s:%s", P.username, P.password);
		if (strcmp(dec, want) == 0)
			res = "valid";
		explicit_bzero(want, sizeof(want));
	} else
		res = "valid"; /* none required: anything goes */
out:
	explicit_bzero(v, sizeof(v));
	explicit_bzero(dec, sizeof(dec));
	return res;
}

/* Splits "host:port" / "[v6]:port". 0 / -1. */
static int
split_target(const char *t, char *host, size_t hsz, int *port)
{
	const char *c;
	char *end;
	long p;

	if (t[0] == '[') {
		const char *rb = strchr(t, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		snprintf(host, hsz, "%.*s", (int)(rb - t - 1), t + 1);
		c = rb + 1;
	} else {
		if ((c = strrchr(t, ':')) == NULL || c == t)
			return -1;
		snprintf(host, hsz, "%.*s", (int)(c - t), t);
	}
	p = strtol(c + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

/* Copies bytes both ways until either side closes or goes idle. */
static void
relay(int a, int b)
{
	struct pollfd pf[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
	char buf[16384];
	ssize_t r;
	int k;

	for (;;) {
		if (poll(pf, 2, IDLE_MS) <= 0)
			return;
		for (k = 0; k < 2; k++) {
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pf[k].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || put_all(pf[1 - k].fd, buf, (size_t)r) ==
			    -1)
				return;
		}
	}
}

static void *
conn_thread(void *arg)
{
	int fd = *(int *)arg, port = 0;
	char *h = malloc(HEAD_MAX), method[16], target[300], host[256];
	char user[256], *sp, *sp2;
	const char *creds;
	struct sock up = { .fd = -1 };
	enum conn_err ce;
	size_t i;

	free(arg);

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (h == NULL || read_head(fd, h, HEAD_MAX) < 0)
		goto out;
	sp = strchr(h, ' ');
	sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	if (sp == NULL || sp2 == NULL || sp - h >= (long)sizeof(method) ||
	    sp2 - sp - 1 >= (long)sizeof(target)) {
		answer(fd, 400, "Bad Request", NULL);
		log_line("?", "", "none", NULL, 400);
		goto out;
	}
	snprintf(method, sizeof(method), "%.*s", (int)(sp - h), h);
	snprintf(target, sizeof(target), "%.*s", (int)(sp2 - sp - 1), sp + 1);
	creds = check_creds(h, user, sizeof(user));
	if (strcmp(method, "CONNECT") != 0) {
		answer(fd, 405, "Method Not Allowed", NULL);
		log_line(method, target, creds, user[0] ? user : NULL, 405);
		goto out;
	}
	if (P.username != NULL && strcmp(creds, "valid") != 0) {
		answer(fd, 407, "Proxy Authentication Required",
		    "Proxy-Authenticate: Basic realm=\"vaultdr-mock\"\r\n");
		log_line(method, target, creds, user[0] ? user : NULL, 407);
		goto out;
	}
	lower(target);
	for (i = 0; i < P.ndeny; i++)
		if (strcmp(P.deny[i], target) == 0) {
			answer(fd, 403, "Forbidden", NULL);
			log_line(method, target, creds, user[0] ? user : NULL,
			    403);
			goto out;
		}
	if (split_target(target, host, sizeof(host), &port) == -1) {
		answer(fd, 400, "Bad Request", NULL);
		log_line(method, target, creds, user[0] ? user : NULL, 400);
		goto out;
	}
	if (net_connect(&up, host, port, CONNECT_MS, IDLE_MS, &ce) == -1) {
		answer(fd, 502, "Bad Gateway", NULL);
		log_line(method, target, creds, user[0] ? user : NULL, 502);
		goto out;
	}
	log_line(method, target, creds, user[0] ? user : NULL, 200);
	if (put_all(fd, "HTTP/1.1 200 Connection established\r\n\r\n", 39) ==
	    0)
		relay(fd, up.fd);
out:
	if (h) {
		explicit_bzero(h, HEAD_MAX);
		free(h);
	}
	sock_close(&up);
	close(fd);
	return NULL;
}

static void *
accept_thread(void *arg)
{
	pthread_attr_t at;
	pthread_t th;
	int fd;

	(void)arg;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	for (;;) {
		fd = accept(P.lfd, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			break;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		int *fdp = malloc(sizeof(*fdp));
		if (fdp == NULL) {
			close(fd);
			continue;
		}
		*fdp = fd;
		if (pthread_create(&th, &at, conn_thread, fdp) != 0) {
			free(fdp);
			close(fd);
		}
	}
	pthread_attr_destroy(&at);
	return NULL;
}

int
mproxy_start(int port, const char *log_file)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	int one = 1;

	if (log_file && (P.log = fopen(log_file, "a")) == NULL) {
		err_set("proxy log %s: %s", log_file, strerror(errno));
		return -1;
	}
	if ((P.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		err_set("proxy socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(P.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(P.lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(P.lfd, 64) == -1 ||
	    getsockname(P.lfd, (struct sockaddr *)&sa, &sl) == -1) {
		err_set("proxy listener 127.0.0.1:%d: %s", port,
		    strerror(errno));
		return -1;
	}
	if (pthread_create(&th, NULL, accept_thread, NULL) != 0) {
		err_set("proxy thread: %s", strerror(errno));
		return -1;
	}
	pthread_detach(th);
	return ntohs(sa.sin_port);
}
