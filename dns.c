/* dns.c - DNS message reader and writer, UDP/TCP exchange with a deadline.
 * See dns.h for the contracts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "log.h"
#include "retry.h"
#include "net.h"
#include "tls.h"

#define NAME_WIRE_MAX 255
#define PTR_HOPS_MAX 64

struct code_name {
	int code;
	const char *name;
};

static const struct code_name rcodes[] = {
	{ DNS_R_NOERROR, "NOERROR" }, { DNS_R_FORMERR, "FORMERR" },
	{ DNS_R_SERVFAIL, "SERVFAIL" }, { DNS_R_NXDOMAIN, "NXDOMAIN" },
	{ DNS_R_NOTIMP, "NOTIMP" }, { DNS_R_REFUSED, "REFUSED" },
	{ DNS_R_YXDOMAIN, "YXDOMAIN" }, { DNS_R_YXRRSET, "YXRRSET" },
	{ DNS_R_NXRRSET, "NXRRSET" }, { DNS_R_NOTAUTH, "NOTAUTH" },
	{ DNS_R_NOTZONE, "NOTZONE" }, { DNS_R_BADSIG, "BADSIG" },
	{ DNS_R_BADKEY, "BADKEY" }, { DNS_R_BADTIME, "BADTIME" },
	{ DNS_R_BADMODE, "BADMODE" }, { DNS_R_BADNAME, "BADNAME" },
	{ DNS_R_BADALG, "BADALG" }, { DNS_R_BADTRUNC, "BADTRUNC" },
};

static const struct code_name types[] = {
	{ DNS_T_A, "A" }, { DNS_T_NS, "NS" }, { DNS_T_CNAME, "CNAME" },
	{ DNS_T_SOA, "SOA" }, { DNS_T_TXT, "TXT" }, { DNS_T_AAAA, "AAAA" },
	{ DNS_T_TSIG, "TSIG" }, { DNS_T_ANY, "ANY" },
};

static const char *
code_lookup(const struct code_name *t, size_t n, int code, const char *pfx)
{
	static _Thread_local char other[24];
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	snprintf(other, sizeof(other), "%s%d", pfx, code);
	return other;
}

const char *
dns_rcode_name(int rcode)
{
	return code_lookup(rcodes, sizeof(rcodes) / sizeof(rcodes[0]), rcode,
	    "RCODE");
}

const char *
dns_type_name(int type)
{
	return code_lookup(types, sizeof(types) / sizeof(types[0]), type,
	    "TYPE");
}

/* ---- reading -------------------------------------------------------- */

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Appends byte c of a label to out[*o], escaped as needed. 0 / -1. */
static int
text_byte(char *out, size_t cap, size_t *o, unsigned char c, int in_name)
{
	int esc = c < 0x21 || c > 0x7e || c == '\\' || (in_name && c == '.');

	if (!in_name && c == ' ')
		esc = 0;
	if (*o + (esc ? 4 : 1) >= cap)
		return -1;
	if (esc)
		*o += (size_t)snprintf(out + *o, cap - *o, "\\%03u", c);
	else
		out[(*o)++] = (char)c;
	out[*o] = '\0';
	return 0;
}

/* Pointers must point strictly backwards (before the label that holds them
 * and before any earlier target), which rules out loops. */
int
dns_read_name(const unsigned char *m, size_t n, size_t *pos, char *text,
    size_t cap)
{
	size_t p = *pos, o = 0, wire = 1, limit = *pos, end = 0;
	int hops = 0, jumped = 0;
	unsigned l, i;

	text[0] = '\0';
	for (;;) {
		if (p >= n) {
			err_set("DNS message: name at offset %zu runs past the "
			    "end", *pos);
			return -1;
		}
		l = m[p];
		if ((l & 0xc0) == 0xc0) {
			size_t to;
			if (p + 1 >= n) {
				err_set("DNS message: truncated pointer at "
				    "offset %zu", p);
				return -1;
			}
			to = (l & 0x3f) << 8 | m[p + 1];
			if (to >= limit || ++hops > PTR_HOPS_MAX) {
				err_set("DNS message: bad compression pointer "
				    "at offset %zu", p);
				return -1;
			}
			if (!jumped)
				end = p + 2;
			jumped = 1;
			limit = to;
			p = to;
			continue;
		}
		if (l & 0xc0) {
			err_set("DNS message: unknown label type 0x%02x at "
			    "offset %zu", l, p);
			return -1;
		}
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > n) {
			err_set("DNS message: label at offset %zu runs past "
			    "the end", p);
			return -1;
		}
		if ((wire += l + 1) > NAME_WIRE_MAX) {
			err_set("DNS message: name at offset %zu is longer "
			    "than 255 octets", *pos);
			return -1;
		}
		if (o > 0 && text_byte(text, cap, &o, '.', 0) == -1)
			goto toolong;
		for (i = 0; i < l; i++)
			if (text_byte(text, cap, &o, m[p + 1 + i], 1) == -1)
				goto toolong;
		p += 1 + l;
	}
	*pos = end;
	return 0;
toolong:
	err_set("DNS message: name at offset %zu is too long in text form",
	    *pos);
	return -1;
}

/* Decodes the RDATA of rr (types we know); checks that it fills rdlen. */
static int
read_rdata(const unsigned char *m, size_t n, struct dns_rr *rr)
{
	size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen, o = 0;
	char tmp[DNS_TEXT_MAX];

	rr->value[0] = '\0';
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rr->rdlen != (rr->type == DNS_T_A ? 4u : 16u))
			goto bad;
		inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6, m + p,
		    rr->value, sizeof(rr->value));
		return 0;
	case DNS_T_CNAME:
	case DNS_T_NS:
		if (dns_read_name(m, end, &p, rr->value, sizeof(rr->value)) == -1)
			return -1;
		break;
	case DNS_T_SOA:
		if (dns_read_name(m, end, &p, rr->value, sizeof(rr->value)) == -1 ||
		    dns_read_name(m, end, &p, tmp, sizeof(tmp)) == -1)
			return -1;
		if (end - p != 20)
			goto bad;
		rr->serial = get32(m + p);
		p += 20;
		break;
	case DNS_T_TXT:
		while (p < end) {
			size_t l = m[p++], i;
			if (l > end - p)
				goto bad;
			for (i = 0; i < l; i++)
				if (text_byte(rr->value, sizeof(rr->value), &o,
				    m[p + i], 0) == -1) {
					err_set("DNS message: TXT record at "
					    "offset %zu is too long", rr->off);
					return -1;
				}
			p += l;
		}
		break;
	default:
		return 0;
	}
	(void)n;
	if (p != end)
		goto bad;
	return 0;
bad:
	err_set("DNS message: malformed %s RDATA at offset %zu",
	    dns_type_name(rr->type), rr->rdoff);
	return -1;
}

int
dns_parse(const unsigned char *m, size_t n, struct dns_msg *out)
{
	size_t p = 12, total, i;
	int s;

	memset(out, 0, offsetof(struct dns_msg, rr));
	if (n < 12) {
		err_set("DNS message: %zu bytes, shorter than a header", n);
		return -1;
	}
	out->id = (uint16_t)get16(m);
	out->flags = (uint16_t)get16(m + 2);
	out->opcode = out->flags >> 11 & 0xf;
	out->rcode = out->flags & 0xf;
	for (s = 0; s < 4; s++)
		out->count[s] = (uint16_t)get16(m + 4 + 2 * s);
	if (out->count[DNS_S_QD] > 1) {
		err_set("DNS message: %u questions", out->count[DNS_S_QD]);
		return -1;
	}
	total = (size_t)out->count[1] + out->count[2] + out->count[3];
	if (total > DNS_MAX_RR) {
		err_set("DNS message: %zu records, more than the %d read",
		    total, DNS_MAX_RR);
		return -1;
	}
	if (out->count[DNS_S_QD] == 1) {
		if (dns_read_name(m, n, &p, out->qname, sizeof(out->qname)) == -1)
			return -1;
		if (n - p < 4) {
			err_set("DNS message: truncated question");
			return -1;
		}
		out->qtype = (uint16_t)get16(m + p);
		out->qclass = (uint16_t)get16(m + p + 2);
		p += 4;
	}
	for (i = 0; i < total; i++) {
		struct dns_rr *rr = &out->rr[i];
		s = i < out->count[1] ? DNS_S_AN :
		    i < (size_t)out->count[1] + out->count[2] ? DNS_S_NS :
		    DNS_S_AR;
		memset(rr, 0, sizeof(*rr));
		rr->section = s;
		rr->off = p;
		if (dns_read_name(m, n, &p, rr->name, sizeof(rr->name)) == -1)
			return -1;
		if (n - p < 10) {
			err_set("DNS message: truncated record at offset %zu",
			    rr->off);
			return -1;
		}
		rr->type = (uint16_t)get16(m + p);
		rr->rclass = (uint16_t)get16(m + p + 2);
		rr->ttl = get32(m + p + 4);
		rr->rdlen = get16(m + p + 8);
		rr->rdoff = p += 10;
		if (rr->rdlen > n - p) {
			err_set("DNS message: RDATA at offset %zu runs past "
			    "the end", p);
			return -1;
		}
		p += rr->rdlen;
		if (rr->type == DNS_T_TSIG &&
		    (i + 1 != total || s != DNS_S_AR)) {
			err_set("DNS message: TSIG record at offset %zu is not "
			    "the last one", rr->off);
			return -1;
		}
		if (read_rdata(m, n, rr) == -1)
			return -1;
		out->nrr++;
	}
	if (p != n) {
		err_set("DNS message: %zu bytes after the last record", n - p);
		return -1;
	}
	return 0;
}

/* ---- names ---------------------------------------------------------- */

int
dns_name_to_wire(const char *text, unsigned char *out, size_t cap)
{
	size_t o = 0, lab = 0;
	const char *s = text;
	unsigned c;

	if (cap < 1)
		goto toolong;
	if (strcmp(s, ".") == 0 || *s == '\0') {
		out[0] = 0;
		return 1;
	}
	if (cap < 2)
		goto toolong;
	out[0] = 0; /* length of the current label, patched */
	o = 1;
	while (*s) {
		if (*s == '.') {
			if (out[lab] == 0) {
				err_set("DNS name '%.80s': empty label", text);
				return -1;
			}
			s++;
			if (*s == '\0')
				break;
			lab = o;
			if (o + 1 >= cap)
				goto toolong;
			out[o++] = 0;
			continue;
		}
		c = (unsigned char)*s++;
		if (c == '\\') {
			if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' &&
			    s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
				c = (unsigned)(s[0] - '0') * 100 +
				    (unsigned)(s[1] - '0') * 10 +
				    (unsigned)(s[2] - '0');
				s += 3;
				if (c > 255)
					goto badesc;
			} else if (*s) {
				c = (unsigned char)*s++;
			} else {
				goto badesc;
			}
		}
		if (out[lab] == 63) {
			err_set("DNS name '%.80s': a label is longer than 63 "
			    "octets", text);
			return -1;
		}
		if (o + 1 >= cap)
			goto toolong;
		out[o++] = (unsigned char)c;
		out[lab]++;
	}
	if (out[lab] == 0) {
		err_set("DNS name '%.80s': empty label", text);
		return -1;
	}
	if (o + 1 > cap || o + 1 > NAME_WIRE_MAX)
		goto toolong;
	out[o++] = 0;
	return (int)o;
badesc:
	err_set("DNS name '%.80s': bad \\ escape", text);
	return -1;
toolong:
	err_set("DNS name '%.80s' is longer than 255 octets", text);
	return -1;
}

int
dns_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.' && (la < 2 || a[la - 2] != '\\'))
		la--;
	if (lb && b[lb - 1] == '.' && (lb < 2 || b[lb - 2] != '\\'))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* ---- writing -------------------------------------------------------- */

static void
put(struct dns_w *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > sizeof(w->b) - w->len) {
		w->err = 1;
		err_set("DNS message: longer than %d bytes", DNS_WIRE_MAX);
		return;
	}
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void
put16(struct dns_w *w, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	put(w, b, 2);
}

static void
put32(struct dns_w *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static void
put_name(struct dns_w *w, const char *name)
{
	unsigned char wire[NAME_WIRE_MAX];
	int l;

	if (w->err)
		return;
	if ((l = dns_name_to_wire(name, wire, sizeof(wire))) == -1) {
		w->err = 1;
		return;
	}
	put(w, wire, (size_t)l);
}

static void
count_one(struct dns_w *w, int sec)
{
	unsigned c;

	if (w->err)
		return;
	if (sec < w->section) {
		w->err = 1;
		err_set("DNS message: records out of section order");
		return;
	}
	w->section = sec;
	c = get16(w->b + 4 + 2 * sec) + 1;
	w->b[4 + 2 * sec] = (unsigned char)(c >> 8);
	w->b[5 + 2 * sec] = (unsigned char)c;
}

void
dns_w_begin(struct dns_w *w, uint16_t id, int opcode, uint16_t flags)
{
	w->len = 0;
	w->err = 0;
	w->section = DNS_S_QD;
	put16(w, id);
	put16(w, (unsigned)(opcode & 0xf) << 11 | (flags & ~0x7800u));
	put32(w, 0);
	put32(w, 0);
}

void
dns_w_question(struct dns_w *w, const char *name, int type, int rclass)
{
	count_one(w, DNS_S_QD);
	put_name(w, name);
	put16(w, (unsigned)type);
	put16(w, (unsigned)rclass);
}

void
dns_w_rr(struct dns_w *w, int sec, const char *name, int type, int rclass,
    uint32_t ttl, const char *value)
{
	unsigned char addr[16];
	size_t lenpos, l;

	count_one(w, sec);
	put_name(w, name);
	put16(w, (unsigned)type);
	put16(w, (unsigned)rclass);
	put32(w, ttl);
	lenpos = w->len;
	put16(w, 0);
	if (value == NULL || w->err)
		return;
	switch (type) {
	case DNS_T_CNAME:
	case DNS_T_NS:
		put_name(w, value);
		break;
	case DNS_T_TXT:
		if ((l = strlen(value)) > 255) {
			w->err = 1;
			err_set("TXT value is longer than 255 bytes");
			return;
		}
		addr[0] = (unsigned char)l;
		put(w, addr, 1);
		put(w, value, l);
		break;
	case DNS_T_A:
	case DNS_T_AAAA:
		if (inet_pton(type == DNS_T_A ? AF_INET : AF_INET6, value,
		    addr) != 1) {
			w->err = 1;
			err_set("'%.80s' is not an %s address", value,
			    dns_type_name(type));
			return;
		}
		put(w, addr, type == DNS_T_A ? 4 : 16);
		break;
	default:
		w->err = 1;
		err_set("DNS message: cannot write %s RDATA",
		    dns_type_name(type));
		return;
	}
	if (w->err)
		return;
	l = w->len - lenpos - 2;
	w->b[lenpos] = (unsigned char)(l >> 8);
	w->b[lenpos + 1] = (unsigned char)l;
}

int
dns_w_end(struct dns_w *w)
{
	return w->err ? -1 : 0;
}

/* ---- transport ------------------------------------------------------ */

int
dns_server_parse(struct dns_server *s, const char *spec)
{
	const char *host = spec, *port = "53", *colon;
	size_t hl;
	char *end;
	long pn;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			goto bad;
		host = spec + 1;
		hl = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - spec);
		port = colon + 1;
	} else {
		hl = strlen(spec);
	}
	if (hl == 0 || hl >= sizeof(s->host))
		goto bad;
	errno = 0;
	pn = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || pn < 1 || pn > 65535 || errno)
		goto bad;
	memcpy(s->host, host, hl);
	s->host[hl] = '\0';
	snprintf(s->port, sizeof(s->port), "%ld", pn);
	return 0;
bad:
	err_set("DNS server '%.80s': expected host, host:port or "
	    "[address]:port", spec);
	return -1;
}

uint16_t
dns_random_id(void)
{
	unsigned char b[2] = { 0, 0 };

	if (tls_random(b, 2) == -1)
		return (uint16_t)(retry_now_ms() * 40503u);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Does the answer a[0..an) belong to the request q[0..qn)? Same ID, QR set,
 * same opcode, and the same question (case-insensitive) when it has one;
 * only an error answer may omit it. */
static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
answers(const unsigned char *q, size_t qn, const unsigned char *a, size_t an)
{
	size_t qe, ae, l = 0, i;

	if (an < 12 || get16(a) != get16(q) || !(a[2] & 0x80) ||
	    (a[2] & 0x78) != (q[2] & 0x78))
		return 0;
	if (get16(a + 4) == 0)
		return (a[3] & 0xf) != 0;
	if (get16(a + 4) != 1)
		return 0;
	/* the request's question is uncompressed; so must the echo be */
	for (qe = 12, ae = 12;; qe += l + 1, ae += l + 1) {
		if (qe >= qn || ae >= an || q[qe] != a[ae] || q[qe] > 63)
			return 0;
		if ((l = q[qe]) == 0)
			break;
		if (qe + 1 + l > qn || ae + 1 + l > an)
			return 0;
		for (i = 1; i <= l; i++)
			if (lower(q[qe + i]) != lower(a[ae + i]))
				return 0;
	}
	return qe + 5 <= qn && ae + 5 <= an &&
	    memcmp(q + qe + 1, a + ae + 1, 4) == 0;
}

static int
remaining_ms(long long deadline)
{
	long long r = deadline - retry_now_ms();

	return r <= 0 ? 0 : r > 3600000 ? 3600000 : (int)r;
}

static int
exchange_udp(const struct dns_server *s, const unsigned char *q, size_t qn,
    long long deadline, struct buf *resp, int *sent)
{
	struct addrinfo hints, *res = NULL;
	unsigned char *a = NULL;
	int fd = -1, rc = -1, gai;
	ssize_t r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((gai = getaddrinfo(s->host, s->port, &hints, &res)) != 0) {
		err_set("DNS server %s: %s", s->host, gai_strerror(gai));
		return -1;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    0)) == -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		err_set("DNS server %s port %s: %s", s->host, s->port,
		    strerror(errno));
		goto out;
	}
	if ((a = malloc(65535)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	*sent = 1;
	if (send(fd, q, qn, 0) != (ssize_t)qn) {
		err_set("DNS server %s port %s: send: %s", s->host, s->port,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int t = remaining_ms(deadline), pr;
		if (retry_stop_requested) {
			err_set("DNS server %s port %s: interrupted", s->host,
			    s->port);
			goto out;
		}
		if (t == 0) {
			err_set("DNS server %s port %s: no answer over UDP "
			    "before the deadline", s->host, s->port);
			goto out;
		}
		/* in slices: a stop request landing just before poll() */
		if ((pr = poll(&pfd, 1, t > 100 ? 100 : t)) == 0)
			continue;
		if (pr == -1) {
			if (errno == EINTR)
				continue;
			err_set("poll: %s", strerror(errno));
			goto out;
		}
		if ((r = recv(fd, a, 65535, 0)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err_set("DNS server %s port %s: %s", s->host, s->port,
			    strerror(errno));
			goto out;
		}
		if (!answers(q, qn, a, (size_t)r)) {
			log_verbose("DNS: ignored an answer from %s that does "
			    "not match the request", s->host);
			continue;
		}
		resp->len = 0;
		if (buf_append(resp, a, (size_t)r) == -1)
			goto out;
		rc = 0;
		break;
	}
out:
	free(a);
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

/* Reads (rd) or writes exactly n bytes; the socket's shared deadline bounds
 * the whole exchange. 0 / -1 (err_set). */
static int
io_all(struct sock *sk, unsigned char *p, size_t n, int rd)
{
	ssize_t r;

	while (n > 0) {
		sock_arm(sk);
		r = rd ? sock_read(sk, p, n) : sock_write(sk, p, n);
		if (r <= 0) {
			if (r == 0)
				err_set("%s: connection closed by the server "
				    "before the answer", sk->where);
			else
				sock_fail(sk, rd ? "read from" : "write to");
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
exchange_tcp(const struct dns_server *s, const unsigned char *q, size_t qn,
    long long deadline, struct buf *resp, int *sent)
{
	struct sock sk = { .fd = -1 };
	enum conn_err ce;
	unsigned char hdr[2], *a = NULL, *out = NULL;
	size_t an;
	int t = remaining_ms(deadline), rc = -1;
	int port = (int)strtol(s->port, NULL, 10); /* checked by the parser */

	if (t == 0) {
		err_set("DNS server %s port %s: deadline passed before "
		    "connecting", s->host, s->port);
		return -1;
	}
	if (net_connect(&sk, s->host, port, t, t, &ce) == -1)
		return -1;
	if ((out = malloc(qn + 2)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	out[0] = (unsigned char)(qn >> 8);
	out[1] = (unsigned char)qn;
	memcpy(out + 2, q, qn);
	t = remaining_ms(deadline);
	sock_set_deadline(&sk, t ? t : 1);
	*sent = 1;
	if (io_all(&sk, out, qn + 2, 0) == -1 || io_all(&sk, hdr, 2, 1) == -1)
		goto out;
	an = get16(hdr);
	if ((a = malloc(an ? an : 1)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	if (io_all(&sk, a, an, 1) == -1)
		goto out;
	if (!answers(q, qn, a, an)) {
		err_set("DNS server %s port %s: the answer over TCP does not "
		    "match the request (ID or question)", s->host, s->port);
		goto out;
	}
	resp->len = 0;
	if (buf_append(resp, a, an) == -1)
		goto out;
	rc = 0;
out:
	free(out);
	free(a);
	sock_close(&sk);
	return rc;
}

int
dns_exchange(const struct dns_server *s, const unsigned char *q, size_t qn,
    int tcp, long long deadline, struct buf *resp, int *sent)
{
	*sent = 0;
	if (qn < 12 || qn > 65535) {
		err_set("DNS request of %zu bytes", qn);
		return -1;
	}
	if (!tcp) {
		if (exchange_udp(s, q, qn, deadline, resp, sent) == -1)
			return -1;
		if (!(get16((unsigned char *)resp->data + 2) & DNS_F_TC))
			return 0;
		log_verbose("DNS: answer from %s truncated, asking again over "
		    "TCP", s->host);
	}
	return exchange_tcp(s, q, qn, deadline, resp, sent);
}
