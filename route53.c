/* route53.c - ListResourceRecordSets, ChangeResourceRecordSets, GetChange,
 * GetHostedZone and the run lock, over the strict XML reader (xml.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "retry.h"
#include "route53.h"
#include "sigv4.h"
#include "xml.h"

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define LIST_PAGE 20   /* maxitems per page: the sets at one name, and a
                        * small document (XML_MAX_NODES) whatever follows */
#define LIST_PAGES 50  /* pages followed at one name before giving up */
#define LOCK_TRIES 3   /* read-decide-change rounds of a lock operation */

static _Thread_local char aws_code[64]; /* see r53_aws_code() */

const char *
r53_aws_code(void)
{
	return aws_code;
}

/* ------------------------------------------------------------- names */

static const char *
bare_id(const char *id)
{
	const char *p = strrchr(id, '/');
	return p ? p + 1 : id;
}

/* A DNS name in canonical form into out: lower case, \ooo escapes decoded,
 * one trailing dot removed. -1 when it does not fit or an escape is bad. */
static int
name_norm(const char *in, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '\\' && isdigit((unsigned char)in[1]) &&
		    isdigit((unsigned char)in[2]) &&
		    isdigit((unsigned char)in[3])) {
			int v = (in[1] - '0') * 64 + (in[2] - '0') * 8 +
			    (in[3] - '0');
			if (v > 255)
				return -1;
			c = (unsigned char)v;
			in += 3;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)tolower(c);
	}
	if (o > 1 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
	return 0;
}

int
r53_name_eq(const char *a, const char *b)
{
	char na[1024], nb[1024];

	return name_norm(a, na, sizeof(na)) == 0 &&
	    name_norm(b, nb, sizeof(nb)) == 0 && strcmp(na, nb) == 0;
}

int
r53_name_in_zone(const char *name, const char *zone)
{
	char n[1024], z[1024];
	size_t ln, lz;

	if (name_norm(name, n, sizeof(n)) == -1 ||
	    name_norm(zone, z, sizeof(z)) == -1 || z[0] == '\0')
		return 0;
	ln = strlen(n);
	lz = strlen(z);
	if (strcmp(z, ".") == 0)
		return 1; /* the root zone holds every name */
	return strcmp(n, z) == 0 || (ln > lz + 1 && n[ln - lz - 1] == '.' &&
	    strcmp(n + ln - lz, z) == 0);
}

void
r53_strip_dot(char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

int
r53_valid_hostname(const char *s)
{
	size_t i, n = strlen(s), label = 0;

	if (n > 1 && s[n - 1] == '.')
		n--; /* a fully qualified name */
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	/* An all-numeric last label is an IPv4 literal, not a host name. */
	for (i = n; i > 0 && s[i - 1] != '.'; i--)
		if (!isdigit((unsigned char)s[i - 1]))
			return label > 0;
	return 0;
}

/* Appends s percent-encoded as a query value (SigV4's unreserved set). */
static int
query_enc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc = isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~' ? buf_append(b, s, 1) : buf_printf(b, "%%%02X", c);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- documents */

/* Parses doc and checks its root element (and namespace when given). */
static int
doc_open(const char *doc, size_t len, const char *root, struct xml_doc *d)
{
	char why[200];

	if (xml_parse(doc, len, d, why, sizeof(why)) == -1) {
		err_set("not valid XML (%s)", why);
		return -1;
	}
	if (strcmp(d->n[0].name, root) != 0) {
		err_set("expected a <%s> XML document, got <%.64s>", root,
		    d->n[0].name);
		goto bad;
	}
	if (d->n[0].ns && strcmp(d->n[0].ns, R53_NS) != 0) {
		err_set("<%s> is in namespace '%.100s', not " R53_NS, root,
		    d->n[0].ns);
		goto bad;
	}
	return 0;
bad:
	xml_free(d);
	return -1;
}

/* A required leaf child. */
static const char *
need_leaf(const struct xml_doc *d, int at, const char *name)
{
	const char *t = xml_leaf(d, at, name);

	if (t == NULL)
		err_set("<%s> has no <%s> element", d->n[at].name, name);
	return t;
}

/* Decimal integer in [min, max], the whole string. */
static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]) && s[0] != '-')
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

void
r53_rrsets_free(struct r53_rrset *s, size_t n)
{
	size_t i, k;

	if (s == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (k = 0; k < s[i].nvalues; k++)
			free(s[i].values[k]);
		free(s[i].values);
		free(s[i].name);
		free(s[i].set_id);
		free(s[i].failover);
		free(s[i].region);
		free(s[i].health_check);
		free(s[i].alias_zone);
		free(s[i].alias_dns);
	}
	free(s);
}

/* Optional leaf into *out (strdup), NULL when absent. -1 on allocation. */
static int
opt_str(const struct xml_doc *d, int at, const char *name, char **out)
{
	const char *t = xml_leaf(d, at, name);

	*out = NULL;
	if (t && (*out = strdup(t)) == NULL) {
		err_set("out of memory");
		return -1;
	}
	return 0;
}

/* The <ResourceRecords> values of the record set at node at into s. 0;
 * -1 out of memory; -2 malformed (err_set; the caller names the set). */
static int
rrset_values(const struct xml_doc *d, int at, struct r53_rrset *s)
{
	const char *t;
	int rr, k;

	if ((rr = xml_child(d, at, "ResourceRecords")) < 0) {
		err_set("no <ResourceRecords> element");
		return -2;
	}
	for (k = d->n[rr].first; k >= 0; k = d->n[k].next) {
		char **v;

		if (strcmp(d->n[k].name, "ResourceRecord") != 0 ||
		    (t = need_leaf(d, k, "Value")) == NULL) {
			err_set("<ResourceRecords> holds something other than "
			    "ResourceRecord/Value");
			return -2;
		}
		if ((v = realloc(s->values, (s->nvalues + 1) * sizeof(*v))) ==
		    NULL)
			return -1;
		s->values = v;
		if ((v[s->nvalues] = strdup(t)) == NULL)
			return -1;
		s->nvalues++;
	}
	if (s->nvalues == 0) {
		err_set("no values");
		return -2;
	}
	return 0;
}

/* One <ResourceRecordSet> node into s (zeroed by the caller). */
static int
parse_rrset(const struct xml_doc *d, int at, struct r53_rrset *s)
{
	const char *name, *type, *t;
	int a, k;

	s->ttl = -1;
	if ((name = need_leaf(d, at, "Name")) == NULL ||
	    (type = need_leaf(d, at, "Type")) == NULL)
		return -1;
	if (name[0] == '\0' || type[0] == '\0' ||
	    strlen(type) >= sizeof(s->type)) {
		err_set("record set with an empty Name or a bad Type '%.32s'",
		    type);
		return -1;
	}
	if ((s->name = strdup(name)) == NULL)
		return -1;
	snprintf(s->type, sizeof(s->type), "%s", type);
	if (opt_str(d, at, "SetIdentifier", &s->set_id) == -1 ||
	    opt_str(d, at, "Failover", &s->failover) == -1 ||
	    opt_str(d, at, "Region", &s->region) == -1 ||
	    opt_str(d, at, "HealthCheckId", &s->health_check) == -1)
		return -1;
	if ((t = xml_leaf(d, at, "Weight")) != NULL) {
		if (parse_num(t, 0, 255, &s->weight) == -1) {
			err_set("record set %s %s: bad Weight '%.32s'", name,
			    type, t);
			return -1;
		}
		s->has_weight = 1;
	}
	if ((a = xml_child(d, at, "AliasTarget")) >= 0) {
		const char *z, *dn, *ev;

		s->alias = 1;
		if ((z = need_leaf(d, a, "HostedZoneId")) == NULL ||
		    (dn = need_leaf(d, a, "DNSName")) == NULL ||
		    (ev = need_leaf(d, a, "EvaluateTargetHealth")) == NULL)
			goto bad_set;
		if (parse_bool(ev, &s->alias_eval) == -1) {
			err_set("bad EvaluateTargetHealth '%.16s'", ev);
			goto bad_set;
		}
		if ((s->alias_zone = strdup(z)) == NULL ||
		    (s->alias_dns = strdup(dn)) == NULL)
			return -1;
		return 0;
	}
	if ((t = need_leaf(d, at, "TTL")) == NULL)
		goto bad_set;
	if (parse_num(t, 0, 2147483647L, &s->ttl) == -1) {
		err_set("bad TTL '%.32s'", t);
		goto bad_set;
	}
	if ((k = rrset_values(d, at, s)) == -1)
		return -1;
	if (k == 0)
		return 0;
bad_set:
	err_prefix("record set %s %s", name, type);
	return -1;
}

void
r53_page_free(struct r53_page *p)
{
	if (p == NULL)
		return;
	r53_rrsets_free(p->sets, p->n);
	free(p->next_name);
	free(p->next_type);
	free(p->next_id);
	memset(p, 0, sizeof(*p));
}

int
r53_parse_list(const char *doc, size_t len, struct r53_page *p)
{
	struct xml_doc d = { 0 };
	const char *t;
	long mx;
	int sets, k;

	memset(p, 0, sizeof(*p));
	if (doc_open(doc, len, "ListResourceRecordSetsResponse", &d) == -1)
		return -1;
	if ((sets = xml_child(&d, 0, "ResourceRecordSets")) < 0) {
		err_set("no <ResourceRecordSets> element");
		goto bad;
	}
	if ((t = need_leaf(&d, 0, "IsTruncated")) == NULL)
		goto bad;
	if (parse_bool(t, &p->truncated) == -1) {
		err_set("bad IsTruncated '%.16s'", t);
		goto bad;
	}
	if ((t = need_leaf(&d, 0, "MaxItems")) == NULL)
		goto bad;
	if (parse_num(t, 0, 1000000, &mx) == -1) {
		err_set("bad MaxItems '%.16s'", t);
		goto bad;
	}
	for (k = d.n[sets].first; k >= 0; k = d.n[k].next) {
		struct r53_rrset *g;

		if (strcmp(d.n[k].name, "ResourceRecordSet") != 0) {
			err_set("unexpected <%.64s> in <ResourceRecordSets>",
			    d.n[k].name);
			goto bad;
		}
		if ((g = realloc(p->sets, (p->n + 1) * sizeof(*g))) == NULL)
			goto bad;
		p->sets = g;
		memset(&g[p->n], 0, sizeof(g[p->n]));
		p->n++;
		if (parse_rrset(&d, k, &g[p->n - 1]) == -1)
			goto bad;
	}
	if (p->truncated) {
		if ((t = need_leaf(&d, 0, "NextRecordName")) == NULL ||
		    (p->next_name = strdup(t)) == NULL ||
		    (t = need_leaf(&d, 0, "NextRecordType")) == NULL ||
		    (p->next_type = strdup(t)) == NULL ||
		    opt_str(&d, 0, "NextRecordIdentifier", &p->next_id) == -1)
			goto bad;
	}
	xml_free(&d);
	return 0;
bad:
	xml_free(&d);
	r53_page_free(p);
	return -1;
}

int
r53_parse_change_info(const char *doc, size_t len, const char *root,
    char **id, int *insync)
{
	struct xml_doc d = { 0 };
	const char *i, *st;
	int ci, rc = -1;

	*id = NULL;
	*insync = 0;
	if (doc_open(doc, len, root, &d) == -1)
		return -1;
	if ((ci = xml_child(&d, 0, "ChangeInfo")) < 0) {
		err_set("no <ChangeInfo> element");
		goto out;
	}
	if ((i = need_leaf(&d, ci, "Id")) == NULL ||
	    (st = need_leaf(&d, ci, "Status")) == NULL)
		goto out;
	if (*bare_id(i) == '\0') {
		err_set("empty change Id");
		goto out;
	}
	if (strcmp(st, "INSYNC") == 0)
		*insync = 1;
	else if (strcmp(st, "PENDING") != 0) {
		err_set("change Status '%.32s' is neither PENDING nor INSYNC",
		    st);
		goto out;
	}
	if ((*id = strdup(bare_id(i))) != NULL)
		rc = 0;
out:
	xml_free(&d);
	return rc;
}

int
r53_parse_zone(const char *doc, size_t len, char **name)
{
	struct xml_doc d = { 0 };
	const char *n;
	int hz, rc = -1;
	size_t l;

	*name = NULL;
	if (doc_open(doc, len, "GetHostedZoneResponse", &d) == -1)
		return -1;
	if ((hz = xml_child(&d, 0, "HostedZone")) < 0) {
		err_set("no <HostedZone> element");
		goto out;
	}
	if (need_leaf(&d, hz, "Id") == NULL ||
	    (n = need_leaf(&d, hz, "Name")) == NULL)
		goto out;
	if (n[0] == '\0') {
		err_set("empty hosted zone Name");
		goto out;
	}
	l = strlen(n);
	if ((*name = malloc(l + 2)) == NULL)
		goto out;
	for (size_t k = 0; k < l; k++)
		(*name)[k] = (char)tolower((unsigned char)n[k]);
	if (n[l - 1] != '.')
		(*name)[l++] = '.';
	(*name)[l] = '\0';
	rc = 0;
out:
	xml_free(&d);
	return rc;
}

int
r53_parse_error(const char *doc, size_t len, char *code, size_t codesz,
    char *msg, size_t msgsz)
{
	struct xml_doc d = { 0 };
	const char *c = NULL, *m = NULL;
	int e, rc = -1;

	code[0] = msg[0] = '\0';
	if (xml_parse(doc, len, &d, msg, msgsz) == -1) {
		msg[0] = '\0';
		return -1;
	}
	if (strcmp(d.n[0].name, "ErrorResponse") == 0) {
		if ((e = xml_child(&d, 0, "Error")) >= 0) {
			c = xml_leaf(&d, e, "Code");
			m = xml_leaf(&d, e, "Message");
		}
	} else if (strcmp(d.n[0].name, "InvalidChangeBatch") == 0) {
		struct buf all = { 0 };
		int ms = xml_child(&d, 0, "Messages"), k;

		c = "InvalidChangeBatch";
		for (k = ms >= 0 ? d.n[ms].first : -1; k >= 0; k = d.n[k].next)
			buf_printf(&all, "%s%s", all.len ? "; " : "",
			    d.n[k].text);
		if (all.data == NULL)
			m = xml_leaf(&d, 0, "Message");
		else
			snprintf(msg, msgsz, "%s", all.data);
		buf_free(&all);
	} else if (d.n[0].first >= 0 && xml_leaf(&d, 0, "Message")) {
		c = d.n[0].name; /* <InvalidSignatureException> */
		m = xml_leaf(&d, 0, "Message");
	}
	if (c && *c) {
		snprintf(code, codesz, "%s", c);
		if (m)
			snprintf(msg, msgsz, "%s", m);
		rc = 0;
	}
	xml_free(&d);
	return rc;
}

/* ---------------------------------------------------------- transport */

static int
is_throttle(const char *code)
{
	return strcmp(code, "Throttling") == 0 ||
	    strcmp(code, "PriorRequestNotComplete") == 0;
}

/* Signs method u body as of now: h gets Authorization, X-Amz-Date and the
 * session token header (their values live in authz, date and r). Returns
 * how many headers (h has room for 3), 0 on failure (err_set). */
static size_t
r53_sign(struct r53 *r, const char *method, const struct url *u,
    const char *body, char date[17], struct buf *authz,
    struct http_header *h)
{
	struct sigv4_creds cr = { r->access_key->s, r->secret_key->s,
		secret_is_set(r->session_token) ? r->session_token->s : NULL };
	struct sigv4_req sr;
	size_t nh = 0;

	sigv4_amz_date((long long)time(NULL), date);
	h[nh++] = (struct http_header){ "Host", (char *)u->hostport };
	h[nh++] = (struct http_header){ "X-Amz-Date", date };
	if (cr.session_token)
		h[nh++] = (struct http_header){ "X-Amz-Security-Token",
			(char *)cr.session_token };
	sr = (struct sigv4_req){ method, u->target, h, nh,
		(const unsigned char *)body, body ? strlen(body) : 0, date,
		r->region, "route53" };
	buf_free(authz);
	if (sigv4_authorization(&sr, &cr, authz, NULL, NULL) == -1)
		return 0;
	/* Host is added by the HTTP client; send the rest. */
	h[0] = (struct http_header){ "Authorization", authz->data };
	return nh;
}

/* The endpoint (without trailing slashes) and target, as r53_call sends
 * them. 0 / -1. */
static int
r53_url(const struct r53 *r, const char *target, struct buf *url)
{
	if (buf_puts(url, r->endpoint) == -1)
		return -1;
	while (url->len && url->data[url->len - 1] == '/')
		url->data[--url->len] = '\0';
	return buf_puts(url, target);
}

/* After a request of op that got no answer (resp->fail, resp->sent): a
 * TLS or configuration failure, or a changing request whose answer was
 * lost, ends the call (-1, r->fail set); anything else may be tried again
 * (0, why and *kind set). */
static int
r53_unsent(struct r53 *r, const char *op, const char *method,
    const char *target, int changing, const struct http_response *resp,
    char *why, size_t whysz, enum vault_fail *kind)
{
	if (resp->fail == HTTP_E_TLS || resp->fail == HTTP_E_CONFIG) {
		r->fail = VF_TLS; /* retrying cannot help */
		return -1;
	}
	if (changing && resp->sent) {
		err_prefix("Route 53 %s: the answer to %s %s was lost, the "
		    "outcome is unknown", op, method, target);
		r->fail = VF_LOST;
		return -1;
	}
	*kind = resp->fail == HTTP_E_PROTO ? VF_BAD_REPLY : VF_UNREACHABLE;
	snprintf(why, whysz, "Route 53 %s: %s", op, err_get());
	return 0;
}

/* After an answer of op outside 2xx (resp, freed here): its AWS error code
 * noted (r53_aws_code); a refusal (4xx, not throttling) or a changing
 * request's 5xx (outcome unknown) ends the call (-1, r->fail and err_set);
 * throttling and a reading request's 5xx may be tried again (0, why and
 * *kind set). */
static int
r53_refused(struct r53 *r, const char *op, const char *method,
    const char *hostport, const char *target, int changing,
    struct http_response *resp, char *why, size_t whysz,
    enum vault_fail *kind)
{
	char code[64], msg[512];
	int st = resp->status;

	if (r53_parse_error(resp->body, resp->body_len, code, sizeof(code),
	    msg, sizeof(msg)) == -1) {
		snprintf(code, sizeof(code), "HTTP%d", st);
		snprintf(msg, sizeof(msg), "not a Route 53 error document");
	}
	err_clear();
	snprintf(aws_code, sizeof(aws_code), "%s", code);
	http_response_free(resp);
	if (st < 500 && !is_throttle(code)) {
		err_set("Route 53 refused %s (%s %s %s HTTP %d %s: %s)", op,
		    method, hostport, target, st, code, msg);
		r->fail = VF_REJECTED;
		return -1;
	}
	if (changing && st >= 500) {
		err_set("Route 53 %s: the outcome is unknown (%s %s %s HTTP %d "
		    "%s: %s)", op, method, hostport, target, st, code, msg);
		r->fail = VF_LOST;
		return -1;
	}
	snprintf(why, whysz, "Route 53 could not complete %s (%s %s %s HTTP "
	    "%d %s: %s)", op, method, hostport, target, st, code, msg);
	*kind = st >= 500 ? VF_SERVER : VF_REJECTED;
	return 0;
}

/* One signed Route 53 request (op names it in messages) with the retry
 * policy of route53.h. 0 on 2xx (resp filled, caller frees); -1 otherwise
 * (err_set, r->fail, r->aws_code). */
static int
r53_call(struct r53 *r, const char *op, const char *method, const char *target,
    const char *body, struct http_response *resp)
{
	int changing = strcmp(method, "GET") != 0;
	struct buf url = { 0 }, authz = { 0 };
	struct http_header h[4];
	struct url u;
	char date[17], why[1024];
	int attempt, rc = -1;
	size_t nh, blen = body ? strlen(body) : 0;

	memset(&u, 0, sizeof(u));
	memset(resp, 0, sizeof(*resp));
	r->fail = VF_NONE;
	aws_code[0] = '\0';
	if (changing && r->read_only) {
		err_set("dry run: refusing to send %s %s", method, target);
		r->fail = VF_REJECTED;
		return -1;
	}
	if (r53_url(r, target, &url) == -1 || url_parse(url.data, &u) == -1)
		goto out;
	for (attempt = 0;; attempt++) {
		enum vault_fail kind;

		if (retry_stop_requested) {
			err_set("stopped by signal before %s %s", method, target);
			r->fail = VF_STOPPED;
			goto out;
		}
		if ((nh = r53_sign(r, method, &u, body, date, &authz, h)) == 0)
			goto out;
		memset(resp, 0, sizeof(*resp));
		if (http_request(r->http, method, url.data, h, nh, body, blen,
		    resp) == -1) {
			if (r53_unsent(r, op, method, target, changing, resp,
			    why, sizeof(why), &kind) == -1)
				goto out;
		} else if (resp->status >= 200 && resp->status < 300) {
			rc = 0;
			goto out;
		} else if (r53_refused(r, op, method, u.hostport, target,
		    changing, resp, why, sizeof(why), &kind) == -1)
			goto out;
		if (attempt >= retry_r53.max_retries) {
			err_set("%s", why);
			err_prefix("gave up after %d attempts", attempt + 1);
			r->fail = kind;
			goto out;
		}
		double dl = retry_delay(&retry_r53, attempt + 1);
		log_warn("%s; retry %d of %d in %.1f s", why, attempt + 1,
		    retry_r53.max_retries, dl);
		if (retry_sleep(dl) == -1) {
			err_set("stopped by signal while retrying %s %s", method,
			    target);
			r->fail = VF_STOPPED;
			goto out;
		}
	}
out:
	buf_free(&authz);
	buf_free(&url);
	url_free(&u);
	return rc;
}

/* A 2xx reply that does not parse: an error naming the server and why. A
 * changing request's outcome is then unknown. */
static void
bad_reply(struct r53 *r, const char *op, const char *method,
    const char *target)
{
	struct url u;
	const char *host = r->endpoint;

	memset(&u, 0, sizeof(u));
	if (url_parse(r->endpoint, &u) == 0)
		host = u.hostport;
	err_prefix("Route 53 %s answered %s %s (%s) with a reply that cannot "
	    "be read%s", host, method, target, op, strcmp(method, "GET") ?
	    ", the outcome is unknown" : "");
	url_free(&u);
	r->fail = strcmp(method, "GET") ? VF_LOST : VF_BAD_REPLY;
}

/* ------------------------------------------------------------ calls */

/* A ListResourceRecordSets page's target, starting at name (type and
 * identifier when not NULL). 0 / -1. */
static int
list_target(const struct r53 *r, struct buf *t, const char *name,
    const char *type, const char *id)
{
	if (buf_printf(t, "/2013-04-01/hostedzone/%s/rrset?name=",
	    bare_id(r->zone_id)) == -1 || query_enc(t, name) == -1 ||
	    (type && (buf_puts(t, "&type=") == -1 ||
	    query_enc(t, type) == -1)) ||
	    (id && (buf_puts(t, "&identifier=") == -1 ||
	    query_enc(t, id) == -1)) ||
	    buf_printf(t, "&maxitems=%d", LIST_PAGE) == -1)
		return -1;
	return 0;
}

/* Fills p with GET target as r53_call would send it now (signed). */
static int
prefetch_job(struct r53 *r, const char *target, struct r53_prefetch *p)
{
	struct url u;
	size_t nh;

	memset(&u, 0, sizeof(u));
	if (r53_url(r, target, &p->url) == -1 ||
	    url_parse(p->url.data, &u) == -1)
		return -1;
	nh = r53_sign(r, "GET", &u, NULL, p->date, &p->authz, p->h);
	url_free(&u);
	if (nh == 0)
		return -1;
	p->job.client = r->http;
	p->job.method = "GET";
	p->job.url = p->url.data;
	p->job.hdrs = p->h;
	p->job.nhdrs = nh;
	return 0;
}

int
r53_list_job(struct r53 *r, const char *name, struct r53_prefetch *p)
{
	struct buf t = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = list_target(r, &t, name, NULL, NULL) == -1 ? -1 :
	    prefetch_job(r, t.data, p);
	buf_free(&t);
	return rc;
}

/* GET /2013-04-01/<what>/<id> as a job. */
static int
id_job(struct r53 *r, const char *what, const char *id,
    struct r53_prefetch *p)
{
	struct buf t = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = buf_printf(&t, "/2013-04-01/%s/%s", what, bare_id(id)) == -1 ?
	    -1 : prefetch_job(r, t.data, p);
	buf_free(&t);
	return rc;
}

int
r53_zone_job(struct r53 *r, struct r53_prefetch *p)
{
	return id_job(r, "hostedzone", r->zone_id, p);
}

int
r53_change_job(struct r53 *r, const char *change_id, struct r53_prefetch *p)
{
	return id_job(r, "change", change_id, p);
}

void
r53_prefetch_free(struct r53_prefetch *p)
{
	buf_free(&p->url);
	buf_free(&p->authz);
	memset(p, 0, sizeof(*p));
}

/* Moves the record sets of page p at name onto *all (*nall of them); one
 * at another name means the listing moved past it (*more = 0). 0 / -1
 * out of memory. */
static int
take_sets(struct r53_page *p, const char *name, struct r53_rrset **all,
    size_t *nall, int *more)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (!r53_name_eq(p->sets[i].name, name)) {
			*more = 0; /* the listing moved past the name */
			continue;
		}
		struct r53_rrset *g = realloc(*all, (*nall + 1) * sizeof(*g));
		if (g == NULL)
			return -1;
		*all = g;
		(*all)[(*nall)++] = p->sets[i];
		memset(&p->sets[i], 0, sizeof(p->sets[i]));
	}
	return 0;
}

int
r53_list_at(struct r53 *r, const char *name, struct r53_rrset **sets,
    size_t *n)
{
	struct buf t = { 0 };
	struct r53_page p;
	struct r53_rrset *all = NULL;
	size_t nall = 0;
	char *sname = NULL, *stype = NULL, *sid = NULL;
	int page, rc = -1, more = 1;

	*sets = NULL;
	*n = 0;
	memset(&p, 0, sizeof(p));
	for (page = 0; more; page++) {
		struct http_response resp;

		if (page == LIST_PAGES) {
			err_set("Route 53 ListResourceRecordSets: more than %d "
			    "pages at %s", LIST_PAGES, name);
			r->fail = VF_BAD_REPLY;
			goto out;
		}
		t.len = 0;
		if (list_target(r, &t, sname ? sname : name, stype, sid) == -1)
			goto out;
		if (r53_call(r, "ListResourceRecordSets", "GET", t.data, NULL,
		    &resp) == -1) {
			err_prefix("reading the records at %s", name);
			goto out;
		}
		if (r53_parse_list(resp.body, resp.body_len, &p) == -1) {
			http_response_free(&resp);
			bad_reply(r, "ListResourceRecordSets", "GET", t.data);
			err_prefix("reading the records at %s", name);
			goto out;
		}
		http_response_free(&resp);
		more = p.truncated && r53_name_eq(p.next_name, name);
		if (take_sets(&p, name, &all, &nall, &more) == -1)
			goto out;
		if (more) {
			/* The next page must start after this one. */
			if (sname && stype && strcmp(stype, p.next_type) == 0 &&
			    ((sid == NULL && p.next_id == NULL) ||
			    (sid && p.next_id && strcmp(sid, p.next_id) == 0))) {
				err_set("Route 53 ListResourceRecordSets at %s "
				    "does not advance (next record %s %s)", name,
				    p.next_name, p.next_type);
				r->fail = VF_BAD_REPLY;
				goto out;
			}
			free(sname);
			free(stype);
			free(sid);
			sname = p.next_name;
			stype = p.next_type;
			sid = p.next_id;
			p.next_name = p.next_type = p.next_id = NULL;
		}
		r53_page_free(&p);
	}
	*sets = all;
	*n = nall;
	all = NULL;
	nall = 0;
	rc = 0;
out:
	r53_page_free(&p);
	r53_rrsets_free(all, nall);
	free(sname);
	free(stype);
	free(sid);
	buf_free(&t);
	return rc;
}

static int
valid_action(const char *a)
{
	return a && (strcmp(a, "CREATE") == 0 || strcmp(a, "DELETE") == 0 ||
	    strcmp(a, "UPSERT") == 0);
}

/* The <Change> of one item. */
static int
change_xml(struct buf *b, const struct r53_change_item *it)
{
	size_t k;

	if (buf_printf(b, "<Change><Action>%s</Action><ResourceRecordSet>"
	    "<Name>", it->action) == -1 || xml_escape(b, it->name) == -1 ||
	    buf_puts(b, "</Name><Type>") == -1 ||
	    xml_escape(b, it->type) == -1 || buf_puts(b, "</Type>") == -1)
		return -1;
	if (it->set_id && (buf_puts(b, "<SetIdentifier>") == -1 ||
	    xml_escape(b, it->set_id) == -1 ||
	    buf_puts(b, "</SetIdentifier>") == -1))
		return -1;
	if (it->alias_dns) {
		if (buf_puts(b, "<AliasTarget><HostedZoneId>") == -1 ||
		    xml_escape(b, it->alias_zone ? it->alias_zone : "") == -1 ||
		    buf_puts(b, "</HostedZoneId><DNSName>") == -1 ||
		    xml_escape(b, it->alias_dns) == -1 ||
		    buf_printf(b, "</DNSName><EvaluateTargetHealth>%s"
		    "</EvaluateTargetHealth></AliasTarget>", it->alias_eval ?
		    "true" : "false") == -1)
			return -1;
	} else {
		if (buf_printf(b, "<TTL>%ld</TTL><ResourceRecords>", it->ttl) ==
		    -1)
			return -1;
		for (k = 0; k < it->nvalues; k++)
			if (buf_puts(b, "<ResourceRecord><Value>") == -1 ||
			    xml_escape(b, it->values[k]) == -1 ||
			    buf_puts(b, "</Value></ResourceRecord>") == -1)
				return -1;
		if (buf_puts(b, "</ResourceRecords>") == -1)
			return -1;
	}
	return buf_puts(b, "</ResourceRecordSet></Change>");
}

int
r53_change(struct r53 *r, const struct r53_change_item *items, size_t n,
    char **change_id)
{
	struct http_response resp;
	struct buf body = { 0 }, t = { 0 };
	size_t i;
	int rc = -1, insync;

	*change_id = NULL;
	r->fail = VF_NONE;
	aws_code[0] = '\0';
	if (n == 0) {
		err_set("Route 53 change batch is empty");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!valid_action(items[i].action) || items[i].name == NULL ||
		    items[i].type == NULL || (items[i].alias_dns == NULL &&
		    items[i].nvalues == 0)) {
			err_set("Route 53 change %zu: needs an action "
			    "(CREATE|DELETE|UPSERT), a name, a type and values "
			    "or an alias target", i + 1);
			return -1;
		}
	if (buf_puts(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS "\">"
	    "<ChangeBatch><Comment>vaultdr</Comment><Changes>") == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (change_xml(&body, &items[i]) == -1)
			goto out;
	if (buf_puts(&body, "</Changes></ChangeBatch>"
	    "</ChangeResourceRecordSetsRequest>") == -1 ||
	    buf_printf(&t, "/2013-04-01/hostedzone/%s/rrset/",
	    bare_id(r->zone_id)) == -1)
		goto out;
	if (r53_call(r, "ChangeResourceRecordSets", "POST", t.data, body.data,
	    &resp) == -1)
		goto out;
	if (r53_parse_change_info(resp.body, resp.body_len,
	    "ChangeResourceRecordSetsResponse", change_id, &insync) == -1)
		bad_reply(r, "ChangeResourceRecordSets", "POST", t.data);
	else
		rc = 0;
	http_response_free(&resp);
out:
	buf_free(&body);
	buf_free(&t);
	return rc;
}

int
r53_change_insync(struct r53 *r, const char *change_id, int *insync)
{
	struct http_response resp;
	struct buf t = { 0 };
	char *id = NULL;
	int rc = -1;

	*insync = 0;
	if (buf_printf(&t, "/2013-04-01/change/%s", bare_id(change_id)) == -1)
		return -1;
	if (r53_call(r, "GetChange", "GET", t.data, NULL, &resp) == -1) {
		err_prefix("GetChange %s", change_id);
		goto out;
	}
	if (r53_parse_change_info(resp.body, resp.body_len,
	    "GetChangeResponse", &id, insync) == -1)
		bad_reply(r, "GetChange", "GET", t.data);
	else
		rc = 0;
	http_response_free(&resp);
out:
	free(id);
	buf_free(&t);
	return rc;
}

int
r53_get_zone(struct r53 *r, char **zone_name)
{
	struct http_response resp;
	struct buf t = { 0 };
	int rc = -1;

	*zone_name = NULL;
	if (buf_printf(&t, "/2013-04-01/hostedzone/%s", bare_id(r->zone_id)) ==
	    -1)
		return -1;
	if (r53_call(r, "GetHostedZone", "GET", t.data, NULL, &resp) == -1) {
		err_prefix("reading hosted zone %s", r->zone_id);
		goto out;
	}
	if (r53_parse_zone(resp.body, resp.body_len, zone_name) == -1)
		bad_reply(r, "GetHostedZone", "GET", t.data);
	else
		rc = 0;
	http_response_free(&resp);
out:
	buf_free(&t);
	return rc;
}

/* ------------------------------------------------ the old CNAME calls */

int
r53_get_cname(struct r53 *r, const char *name, int *found, char **value,
    long *ttl)
{
	struct r53_rrset *s = NULL;
	size_t n = 0, i;
	int rc = -1;

	*found = 0;
	*value = NULL;
	*ttl = 0;
	if (r53_list_at(r, name, &s, &n) == -1)
		return -1; /* "reading the records at NAME: ..." */
	for (i = 0; i < n; i++) {
		if (strcmp(s[i].type, "CNAME") != 0)
			continue;
		if (s[i].alias || s[i].nvalues != 1) {
			err_set("reading the CNAME %s: Route 53 shows it as %s",
			    name, s[i].alias ? "an alias" :
			    "a CNAME with several values");
			r->fail = VF_BAD_REPLY;
			goto out;
		}
		if ((*value = strdup(s[i].values[0])) == NULL)
			goto out;
		r53_strip_dot(*value);
		*ttl = s[i].ttl;
		*found = 1;
		break;
	}
	rc = 0;
out:
	r53_rrsets_free(s, n);
	return rc;
}

int
r53_upsert_cname(struct r53 *r, const char *name, const char *value, long ttl,
    char **change_id)
{
	const char *vals[1] = { value };
	struct r53_change_item it = { "UPSERT", name, "CNAME", ttl, vals, 1,
		NULL, NULL, NULL, 0 };

	*change_id = NULL;
	if (!r53_valid_hostname(value)) {
		err_set("CNAME value '%s' is not a host name", value);
		return -1;
	}
	if (r53_change(r, &it, 1, change_id) == -1) {
		err_prefix("UPSERT %s CNAME %s", name, value);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- record kinds */

static const struct {
	const char *name, *type;
} kinds[] = {
	[R53_CNAME] = { "CNAME", "CNAME" },
	[R53_A_ALIAS] = { "A-alias", "A" },
	[R53_AAAA_ALIAS] = { "AAAA-alias", "AAAA" },
};

const char *
r53_kind_name(enum r53_kind k)
{
	return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) ?
	    kinds[k].name : "?";
}

const char *
r53_kind_type(enum r53_kind k)
{
	return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) ?
	    kinds[k].type : "?";
}

int
r53_kind_parse(const char *s, enum r53_kind *k)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(s, kinds[i].name) == 0) {
			*k = (enum r53_kind)i;
			return 0;
		}
	return -1;
}

/* ------------------------------------------------------------ the lock */

/* A lock field: printable, no space, quote, backslash or '='. */
static int
lock_word_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\' || *s == '=')
			return 0;
	return 1;
}

int
r53_lock_format(struct r53_lock *l)
{
	int n;

	if (!lock_word_ok(l->owner) || !lock_word_ok(l->cmd) ||
	    !lock_word_ok(l->env) || l->pid <= 0 || l->expires <= 0) {
		err_set("run lock: owner, cmd and env must be non-empty words "
		    "without spaces, quotes, backslashes or '='; pid and "
		    "expires positive");
		return -1;
	}
	n = snprintf(l->value, sizeof(l->value), "\"owner=%s pid=%ld cmd=%s "
	    "env=%s expires=%lld\"", l->owner, l->pid, l->cmd, l->env,
	    l->expires);
	if (n < 0 || n - 2 > 255) {
		l->value[0] = '\0';
		err_set("run lock: the TXT string would exceed 255 characters");
		return -1;
	}
	return 0;
}

/* Field k of a lock value (0 owner, 1 pid, 2 cmd, 3 env, 4 expires) from
 * its text v into l. NULL, or what is wrong with it. */
static const char *
lock_field_set(struct r53_lock *l, size_t k, const char *v)
{
	char *end;

	switch (k) {
	case 0:
	case 2:
	case 3: {
		char *dst = k == 0 ? l->owner : k == 2 ? l->cmd : l->env;
		size_t dsz = k == 0 ? sizeof(l->owner) : k == 2 ?
		    sizeof(l->cmd) : sizeof(l->env);
		if (strlen(v) >= dsz)
			return "a field too long";
		memcpy(dst, v, strlen(v) + 1);
		return NULL;
	}
	case 1:
		l->pid = strtol(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || l->pid <= 0)
			return "a bad pid";
		return NULL;
	default:
		l->expires = strtoll(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || l->expires <= 0)
			return "a bad expires";
		return NULL;
	}
}

int
r53_lock_parse(const char *value, struct r53_lock *l)
{
	static const char *const keys[] = { "owner", "pid", "cmd", "env",
		"expires" };
	char src[512], tmp[512], *p, *save = NULL, *w;
	size_t len = strlen(value), k;
	int seen[5] = { 0 };
	const char *why = NULL;

	/* value may point into l (re-parsing l->value). */
	snprintf(src, sizeof(src), "%s", value);
	value = src;
	memset(l, 0, sizeof(*l));
	if (len < 2 || len >= sizeof(tmp) || value[0] != '"' ||
	    value[len - 1] != '"') {
		why = "not one quoted string";
		goto bad;
	}
	memcpy(tmp, value + 1, len - 2);
	tmp[len - 2] = '\0';
	if (strpbrk(tmp, "\"\\\t") != NULL) {
		why = "quotes or backslashes inside";
		goto bad;
	}
	for (p = tmp; (w = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		char *eq = strchr(w, '='), *v;

		if (eq == NULL) {
			why = "a word without '='";
			goto bad;
		}
		*eq = '\0';
		v = eq + 1;
		for (k = 0; k < 5; k++)
			if (strcmp(w, keys[k]) == 0)
				break;
		if (k == 5 || seen[k]++) {
			why = k == 5 ? "an unknown field" : "a repeated field";
			goto bad;
		}
		if (!lock_word_ok(v)) {
			why = "an empty or bad field value";
			goto bad;
		}
		if ((why = lock_field_set(l, k, v)) != NULL)
			goto bad;
	}
	for (k = 0; k < 5; k++)
		if (!seen[k]) {
			err_set("run lock value %.300s has no %s field", value,
			    keys[k]);
			memset(l, 0, sizeof(*l));
			return -1;
		}
	snprintf(l->value, sizeof(l->value), "%s", value);
	return 0;
bad:
	err_set("run lock value %.300s is not \"owner=USER@HOST pid=N cmd=CMD "
	    "env=ENV expires=UNIXTIME\": %s", value, why);
	memset(l, 0, sizeof(*l));
	return -1;
}

char *
r53_lock_name(const char *cname)
{
	struct buf b = { 0 };

	if (buf_printf(&b, R53_LOCK_PREFIX "%s", cname) == -1)
		return NULL;
	return buf_take(&b);
}

/* Reads the lock record: *held, l, and the record's TTL for an exact
 * DELETE. */
static int
lock_read(struct r53 *r, const char *lname, int *held, struct r53_lock *l,
    long *ttl)
{
	struct r53_rrset *s = NULL;
	size_t n = 0, i;
	int rc = -1, txt = -1;

	*held = 0;
	*ttl = 0;
	memset(l, 0, sizeof(*l));
	if (r53_list_at(r, lname, &s, &n) == -1) {
		err_prefix("reading the run lock %s", lname);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(s[i].type, "TXT") != 0 || txt >= 0 || s[i].alias ||
		    s[i].set_id || s[i].nvalues != 1) {
			err_set("the run lock name %s holds a record that is "
			    "not one simple TXT record with one value (%s%s): "
			    "remove it by hand", lname, s[i].type, s[i].set_id ?
			    ", SetIdentifier" : "");
			r->fail = VF_BAD_REPLY;
			goto out;
		}
		txt = (int)i;
	}
	if (txt >= 0) {
		if (r53_lock_parse(s[txt].values[0], l) == -1) {
			err_prefix("the TXT record %s", lname);
			r->fail = VF_BAD_REPLY;
			goto out;
		}
		*held = 1;
		*ttl = s[txt].ttl;
	}
	rc = 0;
out:
	r53_rrsets_free(s, n);
	return rc;
}

int
r53_lock_read(struct r53 *r, const char *cname, int *held, struct r53_lock *l)
{
	char *lname = r53_lock_name(cname);
	long ttl;
	int rc;

	if (lname == NULL)
		return -1;
	rc = lock_read(r, lname, held, l, &ttl);
	free(lname);
	return rc;
}

/* Sends one lock batch: DELETE old (when given, with its TTL) then CREATE
 * new (when given). 0 / -1 (r->fail, r->aws_code). */
static int
lock_batch(struct r53 *r, const char *lname, const char *old, long old_ttl,
    const char *new)
{
	const char *ov[1] = { old }, *nv[1] = { new };
	struct r53_change_item it[2];
	size_t n = 0;
	char *id = NULL;
	int rc;

	memset(it, 0, sizeof(it));
	if (old)
		it[n++] = (struct r53_change_item){ "DELETE", lname, "TXT",
			old_ttl, ov, 1, NULL, NULL, NULL, 0 };
	if (new)
		it[n++] = (struct r53_change_item){ "CREATE", lname, "TXT",
			R53_LOCK_RECORD_TTL, nv, 1, NULL, NULL, NULL, 0 };
	rc = r53_change(r, it, n, &id);
	free(id);
	return rc;
}

/* After a failed batch: is it worth re-reading (lost answer, or a race
 * that Route 53 refused as InvalidChangeBatch)? */
static int
reread_after(const struct r53 *r)
{
	return r->fail == VF_LOST || (r->fail == VF_REJECTED &&
	    strcmp(aws_code, "InvalidChangeBatch") == 0);
}

int
r53_lock_take(struct r53 *r, const char *cname, const struct r53_lock *mine,
    struct r53_lock *other, int seen_free)
{
	char *lname = r53_lock_name(cname);
	struct r53_lock cur;
	long ttl;
	int held, tries, rc = -1;

	memset(other, 0, sizeof(*other));
	memset(&cur, 0, sizeof(cur));
	if (mine->value[0] != '"') {
		err_set("run lock: value not formatted (r53_lock_format)");
		free(lname);
		return -1;
	}
	if (lname == NULL)
		return -1;
	for (tries = 0;; tries++) {
		/* Seen free a moment ago: CREATE at once. It is atomic; if
		 * another run took the lock since, Route 53 refuses it
		 * (InvalidChangeBatch) and the loop reads. */
		held = 0;
		ttl = 0;
		if ((tries > 0 || !seen_free) &&
		    lock_read(r, lname, &held, &cur, &ttl) == -1)
			goto out;
		if (held && strcmp(cur.value, mine->value) == 0) {
			rc = 0; /* ours: our CREATE was applied */
			goto out;
		}
		if (held && cur.expires > (long long)time(NULL)) {
			*other = cur;
			rc = 1;
			goto out;
		}
		if (tries == LOCK_TRIES) {
			err_set("could not take the run lock %s after %d "
			    "attempts: it keeps changing", lname, tries);
			goto out;
		}
		if (lock_batch(r, lname, held ? cur.value : NULL, ttl,
		    mine->value) == 0) {
			rc = 0;
			goto out;
		}
		if (!reread_after(r)) {
			err_prefix("taking the run lock %s", lname);
			goto out;
		}
		log_verbose("run lock %s: %s; reading it again", lname,
		    err_get());
	}
out:
	free(lname);
	return rc;
}

int
r53_lock_renew(struct r53 *r, const char *cname, struct r53_lock *mine,
    long long new_expires)
{
	char *lname = r53_lock_name(cname);
	struct r53_lock next = *mine, cur;
	long ttl;
	int held, tries, rc = -1;

	if (lname == NULL)
		return -1;
	next.expires = new_expires;
	if (r53_lock_format(&next) == -1)
		goto out;
	for (tries = 0;; tries++) {
		if (tries > 0 || strcmp(next.value, mine->value) == 0) {
			if (lock_read(r, lname, &held, &cur, &ttl) == -1)
				goto out;
			if (held && strcmp(cur.value, next.value) == 0)
				break; /* renewed */
			if (!held || strcmp(cur.value, mine->value) != 0) {
				if (held)
					err_set("the run lock %s is no longer "
					    "ours: held by %s (pid %ld, %s %s) "
					    "until %lld", lname, cur.owner,
					    cur.pid, cur.cmd, cur.env,
					    cur.expires);
				else
					err_set("the run lock %s is gone",
					    lname);
				r->fail = VF_REJECTED;
				goto out;
			}
		}
		if (tries == LOCK_TRIES) {
			err_set("could not renew the run lock %s after %d "
			    "attempts", lname, tries);
			goto out;
		}
		if (lock_batch(r, lname, mine->value, R53_LOCK_RECORD_TTL,
		    next.value) == 0)
			break;
		if (!reread_after(r)) {
			err_prefix("renewing the run lock %s", lname);
			goto out;
		}
	}
	*mine = next;
	rc = 0;
out:
	free(lname);
	return rc;
}

int
r53_lock_release(struct r53 *r, const char *cname,
    const struct r53_lock *mine)
{
	char *lname = r53_lock_name(cname);
	struct r53_lock cur;
	long ttl;
	int held, tries, rc = -1;

	if (lname == NULL)
		return -1;
	for (tries = 0;; tries++) {
		if (lock_batch(r, lname, mine->value, R53_LOCK_RECORD_TTL,
		    NULL) == 0)
			break;
		if (!reread_after(r)) {
			err_prefix("releasing the run lock %s", lname);
			goto out;
		}
		if (lock_read(r, lname, &held, &cur, &ttl) == -1)
			goto out;
		if (!held || strcmp(cur.value, mine->value) != 0)
			break; /* gone, or another run's: nothing of ours */
		if (tries + 1 == LOCK_TRIES) {
			err_set("could not delete the run lock %s after %d "
			    "attempts", lname, tries + 1);
			goto out;
		}
	}
	rc = 0;
out:
	free(lname);
	return rc;
}
