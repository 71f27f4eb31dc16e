/* proxy.c - the proxy environment (read once), NO_PROXY matching and the
 * HTTP CONNECT tunnel. The CONNECT answer is read a byte at a time up to
 * the end of its header section, so that nothing of the tunnelled stream is
 * consumed here. */
#include <arpa/inet.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "buf.h"
#include "err.h"
#include "secret.h"
#include "url.h"
#include "log.h"
#include "proxy.h"

#ifndef VAULTDR_VERSION
#define VAULTDR_VERSION "dev"
#endif

#define CONNECT_MAX_HEADER 16384

/* ---- proxy URLs -------------------------------------------------------- */

static int
hexval(int ch)
{
	if (isdigit(ch))
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out (NUL-terminated). 0 / -1. */
static int
pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outsz)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

void
proxy_free(struct proxy *p)
{
	if (p == NULL)
		return;
	secret_wipe(&p->auth);
	secret_wipe(&p->pass);
	secret_wipe(&p->raw);
	memset(p, 0, sizeof(*p));
}

/* Builds "Basic base64(user:pass)" from the percent-encoded userinfo. */
static int
set_auth(struct proxy *p, const char *ui, size_t n)
{
	char user[256], pass[256], joined[520], enc[720];
	const char *colon = memchr(ui, ':', n);
	size_t ul = colon ? (size_t)(colon - ui) : n;
	int rc = -1;

	if (pct_decode(ui, ul, user, sizeof(user)) == -1 ||
	    pct_decode(colon ? colon + 1 : "", colon ? n - ul - 1 : 0, pass,
	    sizeof(pass)) == -1) {
		err_set("bad percent-encoding or too long");
		goto out;
	}
	if (user[0] == '\0') {
		err_set("empty user name before '@'");
		goto out;
	}
	if (strchr(user, ':') != NULL) {
		err_set("':' in the user name");
		goto out;
	}
	snprintf(joined, sizeof(joined), "%s:%s", user, pass);
	snprintf(enc, sizeof(enc), "Basic ");
	if (b64_encode((const unsigned char *)joined, strlen(joined), enc + 6,
	    sizeof(enc) - 6, 1) == -1) {
		err_set("credentials too long");
		goto out;
	}
	if (secret_set(&p->auth, enc, strlen(enc)) == -1 ||
	    secret_set(&p->pass, pass, strlen(pass)) == -1 ||
	    (colon && secret_set(&p->raw, colon + 1, n - ul - 1) == -1))
		goto out;
	p->has_auth = 1;
	rc = 0;
out:
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(joined, sizeof(joined));
	explicit_bzero(enc, sizeof(enc));
	return rc;
}

int
proxy_url_parse(const char *s, const char *var, struct proxy *p)
{
	const char *rest, *at, *end;
	struct url u = { 0 };
	struct buf b = { 0 };
	int rc = -1;

	memset(p, 0, sizeof(*p));
	snprintf(p->var, sizeof(p->var), "%s", var);
	if (s == NULL || *s == '\0') {
		err_set("%s is empty", var);
		return -1;
	}
	if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strstr(s, "://") != NULL) {
		/* Never echo the URL: it may hold a password. */
		err_set("%s: only http:// proxies are supported (the scheme "
		    "%.*s:// is not)", var, (int)strcspn(s, ":"), s);
		return -1;
	} else
		rest = s;
	end = rest + strcspn(rest, "/?#");
	at = NULL;
	for (const char *q = rest; q < end; q++)
		if (*q == '@')
			at = q; /* the last '@': a password may hold one */
	if (at != NULL && set_auth(p, rest, (size_t)(at - rest)) == -1) {
		err_prefix("%s: user info", var);
		goto out;
	}
	if (at != NULL)
		rest = at + 1;
	if (*end != '\0' && strcmp(end, "/") != 0) {
		err_set("%s: a proxy URL has no path, query or fragment", var);
		goto out;
	}
	if (buf_printf(&b, "http://%.*s", (int)(end - rest), rest) == -1)
		goto out;
	if (url_parse(b.data, &u) == -1) {
		/* url_parse's text names the URL, which now has no userinfo. */
		err_prefix("%s", var);
		goto out;
	}
	snprintf(p->host, sizeof(p->host), "%s", u.host);
	p->port = u.port;
	if (u.host_is_ip && strchr(u.host, ':'))
		snprintf(p->shown, sizeof(p->shown), "http://%s[%s]:%d",
		    p->has_auth ? "***@" : "", u.host, p->port);
	else
		snprintf(p->shown, sizeof(p->shown), "http://%s%s:%d",
		    p->has_auth ? "***@" : "", u.host, p->port);
	p->set = 1;
	rc = 0;
out:
	url_free(&u);
	buf_free(&b);
	if (rc == -1) {
		char v[16];

		snprintf(v, sizeof(v), "%s", p->var);
		proxy_free(p);
		snprintf(p->var, sizeof(p->var), "%s", v);
	}
	return rc;
}

/* ---- NO_PROXY -------------------------------------------------------------- */

/* Address family and bytes of an IP literal (brackets allowed), or 0. */
static int
parse_ip(const char *s, unsigned char out[16])
{
	char tmp[64];
	size_t n = strlen(s);

	if (n > 1 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, tmp, out) == 1)
		return AF_INET6;
	return 0;
}

/* 1 when the first bits bits of a and b agree. */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int i;

	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != b[i])
			return 0;
	return bits == 0 ||
	    ((a[i] ^ b[i]) & (unsigned char)(0xff << (8 - bits))) == 0;
}

/* One NO_PROXY entry e (trimmed, non-empty) against host. */
static int
entry_match(const char *e, const char *host, size_t hl, int hfam,
    const unsigned char *hip)
{
	char ent[300], *slash, *colon;
	unsigned char eip[16];
	size_t el;
	int fam, bits;

	if (strlen(e) >= sizeof(ent))
		return 0;
	snprintf(ent, sizeof(ent), "%s", e);
	/* CIDR block. */
	if ((slash = strchr(ent, '/')) != NULL) {
		char *end;
		long v;

		*slash = '\0';
		fam = parse_ip(ent, eip);
		v = strtol(slash + 1, &end, 10);
		if (fam == 0 || fam != hfam || *end != '\0' || end ==
		    slash + 1 || v < 0 || v > (fam == AF_INET ? 32 : 128))
			return 0;
		bits = (int)v;
		return prefix_eq(eip, hip, bits);
	}
	/* An IP address, maybe "[v6]:port" or "v4:port". */
	if (ent[0] == '[') {
		char *rb = strchr(ent, ']');
		if (rb == NULL)
			return 0;
		rb[1] = '\0';
	} else if ((colon = strchr(ent, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL)
		*colon = '\0'; /* "name:port" or "v4:port": port ignored */
	if ((fam = parse_ip(ent, eip)) != 0)
		return fam == hfam &&
		    memcmp(eip, hip, fam == AF_INET ? 4 : 16) == 0;
	if (hfam != 0)
		return 0; /* names never match an address */
	/* A name: "*.x", ".x" and "x" all match x and its subdomains. */
	e = ent;
	if (e[0] == '*' && e[1] == '.')
		e += 2;
	while (*e == '.')
		e++;
	el = strlen(e);
	while (el > 0 && e[el - 1] == '.')
		el--;
	if (el == 0 || el > hl)
		return 0;
	if (strncasecmp(host + hl - el, e, el) != 0)
		return 0;
	return el == hl || host[hl - el - 1] == '.';
}

int
proxy_no_proxy_match(const char *list, const char *host)
{
	unsigned char hip[16] = { 0 };
	char e[300];
	size_t hl, n;
	int hfam;

	if (list == NULL || host == NULL || *host == '\0')
		return 0;
	hl = strlen(host);
	while (hl > 0 && host[hl - 1] == '.')
		hl--;
	hfam = parse_ip(host, hip);
	while (*list) {
		while (*list == ',' || isspace((unsigned char)*list))
			list++;
		n = strcspn(list, ",");
		while (n > 0 && isspace((unsigned char)list[n - 1]))
			n--;
		if (n > 0 && n < sizeof(e)) {
			memcpy(e, list, n);
			e[n] = '\0';
			if (strcmp(e, "*") == 0)
				return 1;
			if (entry_match(e, host, hl, hfam, hip))
				return 1;
		}
		list += strcspn(list, ",");
	}
	return 0;
}

/* ---- the run's settings ------------------------------------------------ */

/* proxy_env_init with the variable names used in messages. */
static int
env_init_named(struct proxy_env *pe, const char *https_proxy,
    const char *https_var, const char *http_proxy, const char *http_var,
    const char *no_proxy)
{
	memset(pe, 0, sizeof(*pe));
	snprintf(pe->no_proxy, sizeof(pe->no_proxy), "%s",
	    no_proxy ? no_proxy : "");
	if (https_proxy && *https_proxy &&
	    proxy_url_parse(https_proxy, https_var, &pe->https) == -1)
		goto fail;
	if (http_proxy && *http_proxy &&
	    proxy_url_parse(http_proxy, http_var, &pe->http) == -1)
		goto fail;
	return 0;
fail:
	snprintf(pe->error, sizeof(pe->error), "%s", err_get());
	proxy_free(&pe->https);
	proxy_free(&pe->http);
	return -1;
}

int
proxy_env_init(struct proxy_env *pe, const char *https_proxy,
    const char *http_proxy, const char *no_proxy)
{
	return env_init_named(pe, https_proxy, "HTTPS_PROXY", http_proxy,
	    "HTTP_PROXY", no_proxy);
}

void
proxy_env_free(struct proxy_env *pe)
{
	if (pe == NULL)
		return;
	proxy_free(&pe->https);
	proxy_free(&pe->http);
	memset(pe, 0, sizeof(*pe));
}

static struct proxy_env env_proxy;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* Lowercase first, as curl and Python's urllib (the AWS CLI) do; *name
 * gets the variable the value came from. */
static const char *
env2(const char *lower, const char *upper, const char **name)
{
	const char *v = getenv(lower);

	*name = lower;
	if (v && *v)
		return v;
	*name = upper;
	return getenv(upper);
}

static void
env_load(void)
{
	/* TODO(lead): move these getenv calls into config.c with the other
	 * variables and hand the values to proxy_env_init(). */
	const char *hs, *hsn, *hp, *hpn, *np, *npn;
	char saved[1024];

	snprintf(saved, sizeof(saved), "%s", err_get());
	hs = env2("https_proxy", "HTTPS_PROXY", &hsn);
	hp = env2("http_proxy", "HTTP_PROXY", &hpn);
	np = env2("no_proxy", "NO_PROXY", &npn);
	if (env_init_named(&env_proxy, hs, hsn, hp, hpn, np) == -1)
		err_set("%s", saved); /* reported by each request instead */
	/* user:password in a proxy URL is a credential: parsed (and registered
	 * for redaction) above, it leaves /proc/PID/environ now. */
	{
		static const char *const names[] = { "https_proxy",
			"HTTPS_PROXY", "http_proxy", "HTTP_PROXY", NULL };
		int i;
		for (i = 0; names[i]; i++) {
			const char *v = getenv(names[i]);
			if (v && strchr(v, '@'))
				secret_scrub_env(names[i]);
		}
	}
}

const struct proxy_env *
proxy_env_default(void)
{
	pthread_once(&env_once, env_load);
	return &env_proxy;
}

/* Instance metadata lives on link-local addresses: never via a proxy (the
 * proxy would reach its own host's metadata). */
static int
is_link_local(const char *host)
{
	static const unsigned char ec2v6[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe };
	unsigned char ip[16];
	int fam = parse_ip(host, ip);

	if (fam == AF_INET)
		return ip[0] == 169 && ip[1] == 254;
	if (fam == AF_INET6)
		return (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) ||
		    prefix_eq(ip, ec2v6, 64);
	return 0;
}

const struct proxy *
proxy_for(const struct proxy_env *pe, int tls, const char *host)
{
	const struct proxy *p;

	if (pe == NULL)
		return NULL;
	p = tls ? &pe->https : &pe->http;
	if (!p->set || is_link_local(host) ||
	    proxy_no_proxy_match(pe->no_proxy, host))
		return NULL;
	return p;
}

/* ---- CONNECT ------------------------------------------------------------- */

/* Printable excerpt of a reason phrase, for messages. */
static void
clean_reason(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s && o + 1 < outsz && o < 80; s++)
		out[o++] = isprint((unsigned char)*s) ? *s : '?';
	out[o] = '\0';
}

/* Reads the header section byte by byte. Returns its length, -1 on error. */
static long
read_head(struct conn *c, char *h, size_t hsz, enum conn_err *err)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n + 1 >= hsz) {
			err_set("answer header larger than %zu bytes", hsz);
			*err = CONN_E_IO;
			return -1;
		}
		if ((r = conn_read(c, h + n, 1)) <= 0) {
			if (r == 0) {
				err_set(n == 0 ? "connection closed before "
				    "any answer" : "connection closed in the "
				    "middle of the answer");
				*err = CONN_E_IO;
			} else
				*err = conn_error(c);
			return -1;
		}
		n++;
		h[n] = '\0';
		if ((n >= 4 && memcmp(h + n - 4, "\r\n\r\n", 4) == 0) ||
		    (n >= 2 && memcmp(h + n - 2, "\n\n", 2) == 0))
			return (long)n;
	}
}

int
proxy_tunnel(struct conn *c, const struct proxy *p, const char *host,
    int port, enum conn_err *err)
{
	struct buf req = { 0 };
	char *h = NULL, reason[96], where[300];
	const char *hint;
	int status, rc = -1;

	net_where(where, sizeof(where), host, port);
	*err = CONN_E_IO;
	if (buf_printf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: vaultdr/%s\r\n", where, where, VAULTDR_VERSION) == -1)
		goto out;
	/* The credential goes in with buf_append only: never a format. */
	if (p->has_auth && (buf_puts(&req, "Proxy-Authorization: ") == -1 ||
	    buf_append(&req, p->auth.s, p->auth.len) == -1 ||
	    buf_puts(&req, "\r\n") == -1))
		goto out;
	if (buf_puts(&req, "\r\n") == -1)
		goto out;
	if (conn_write(c, req.data, req.len) == -1) {
		*err = conn_error(c);
		err_prefix("proxy %s: CONNECT %s", p->shown, where);
		goto out;
	}
	if ((h = malloc(CONNECT_MAX_HEADER)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	if (read_head(c, h, CONNECT_MAX_HEADER, err) == -1) {
		err_prefix("proxy %s: CONNECT %s", p->shown, where);
		goto out;
	}
	if (strncmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') ||
	    h[8] != ' ' || !isdigit((unsigned char)h[9]) ||
	    !isdigit((unsigned char)h[10]) || !isdigit((unsigned char)h[11]) ||
	    (h[12] != ' ' && h[12] != '\r' && h[12] != '\n')) {
		err_set("proxy %s: CONNECT %s: the answer is not HTTP",
		    p->shown, where);
		*err = CONN_E_IO;
		goto out;
	}
	status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	h[strcspn(h, "\r\n")] = '\0';
	clean_reason(h[12] == ' ' ? h + 13 : "", reason, sizeof(reason));
	if (status >= 200 && status < 300) {
		*err = CONN_OK;
		rc = 0;
		goto out;
	}
	if (status == 407)
		hint = p->has_auth ? "the proxy refused the credentials in "
		    "the proxy URL" : "the proxy wants credentials: give them "
		    "in the proxy URL, http://user:password@host:port";
	else if (status == 403)
		hint = "the proxy does not allow this target (add the host to "
		    "its allow list, or to NO_PROXY if it is reachable "
		    "directly)";
	else if (status >= 500)
		hint = "the proxy could not reach the target";
	else
		hint = "the proxy refused the tunnel";
	err_set("proxy %s (%s) refused CONNECT %s: HTTP %d%s%s: %s",
	    p->shown, p->var, where, status, reason[0] ? " " : "", reason,
	    hint);
	*err = status >= 500 ? CONN_E_CONNECT : CONN_E_CONFIG;
out:
	buf_free(&req);
	if (h) {
		explicit_bzero(h, CONNECT_MAX_HEADER);
		free(h);
	}
	return rc;
}
