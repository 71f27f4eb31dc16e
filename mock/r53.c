/* r53.c - Route 53 (REST-XML, 2013-04-01) for one hosted zone:
 * ChangeResourceRecordSets, GetChange, ListResourceRecordSets, with SigV4
 * verification by recomputing the signature through sigv4.c.
 * Runs with M.mu held. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mock.h"
#include "sigv4.h"
#include "xml.h"

#define NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define XHDR "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define SKEW_MS (5 * 60 * 1000LL)

static void
request_id(struct mresp *r, char id[37])
{
	rand_uuid(id);
	buf_printf(&r->hdrs, "x-amzn-RequestId: %s\r\n", id);
}

void
r53_error(struct mresp *r, int status, const char *code, const char *msg)
{
	char id[37];

	r->status = status;
	r->ctype = "text/xml";
	buf_free(&r->body);
	request_id(r, id);
	buf_puts(&r->body, XHDR "<ErrorResponse xmlns=\"" NS "\"><Error>"
	    "<Type>Sender</Type><Code>");
	xml_escape(&r->body, code);
	buf_puts(&r->body, "</Code><Message>");
	xml_escape(&r->body, msg);
	buf_printf(&r->body, "</Message></Error><RequestId>%s</RequestId>"
	    "</ErrorResponse>\n", id);
}

/* InvalidChangeBatch as the service sends it today: an ErrorResponse whose
 * Message lists the problems in brackets (botocore and the AWS CLI parse
 * this shape; the older <InvalidChangeBatch><Messages> root is not used). */
static void
invalid_batch(struct mresp *r, const char *msg)
{
	struct buf m = { 0 };

	buf_printf(&m, "[%s]", msg);
	r53_error(r, 400, "InvalidChangeBatch", m.data ? m.data : msg);
	buf_free(&m);
}

char *
r53_norm_name(const char *s)
{
	size_t n = strlen(s), i;
	char *o = malloc(n + 2);

	if (o == NULL)
		abort();
	for (i = 0; i < n; i++)
		o[i] = (char)tolower((unsigned char)s[i]);
	if (n == 0 || o[n - 1] != '.')
		o[n++] = '.';
	o[n] = '\0';
	return o;
}

/* ---- SigV4 ---- */

/* Value of the n decimal digits at s (the caller checked they are). */
static int
dec(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* "20150830T123600Z" -> ms since the epoch, or -1. */
static long long
amz_time(const char *s)
{
	struct tm tm = { 0 };
	int i;

	if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return -1;
	tm.tm_year = dec(s, 4) - 1900;
	tm.tm_mon = dec(s + 4, 2) - 1;
	tm.tm_mday = dec(s + 6, 2);
	tm.tm_hour = dec(s + 9, 2);
	tm.tm_min = dec(s + 11, 2);
	tm.tm_sec = dec(s + 13, 2);
	return (long long)timegm(&tm) * 1000;
}

/* Value of "Key=" in the Authorization parameters, up to ',' (copied). */
static int
auth_param(const char *a, const char *key, char *out, size_t outsz)
{
	const char *p = a;
	size_t kl = strlen(key), n;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == a || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, ", ");
			if (n >= outsz)
				return -1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		p += kl;
	}
	return -1;
}

static int
verify_sigv4(const struct mreq *q, struct mresp *r)
{
	const char *a = mreq_header(q, "authorization"), *date, *tok;
	char cred[512], sh[1024], sig[129], msg[400], ts[17], nowts[17];
	char *scope[5] = { 0 }, *p;
	struct http_header *hd = NULL;
	struct buf want = { 0 };
	struct sigv4_req sr = { 0 };
	struct sigv4_creds cr = { 0 };
	size_t nhd = 0, i, k;
	long long t, now = wall_ms();
	int rc = -1, n;

	if (a == NULL || *a == '\0') {
		r53_error(r, 403, "MissingAuthenticationToken",
		    "Missing Authentication Token");
		return -1;
	}
	if (strncmp(a, "AWS4-HMAC-SHA256 ", 17) != 0 ||
	    auth_param(a + 17, "Credential", cred, sizeof(cred)) == -1 ||
	    auth_param(a + 17, "SignedHeaders", sh, sizeof(sh)) == -1 ||
	    auth_param(a + 17, "Signature", sig, sizeof(sig)) == -1) {
		r53_error(r, 403, "IncompleteSignature", "Authorization header "
		    "requires 'Credential', 'Signature' and 'SignedHeaders' "
		    "parameters (AWS4-HMAC-SHA256).");
		return -1;
	}
	for (p = cred, n = 0; n < 5; n++) {
		scope[n] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 4 || p != NULL || strcmp(scope[4], "aws4_request") != 0) {
		r53_error(r, 403, "IncompleteSignature", "Credential must have "
		    "exactly 5 slash-delimited elements, e.g. keyid/date/region/"
		    "service/term");
		return -1;
	}
	if (strcmp(scope[0], M.r53_access_key) != 0) {
		r53_error(r, 403, "InvalidClientTokenId", "The security token "
		    "included in the request is invalid.");
		return -1;
	}
	if (strcmp(scope[3], "route53") != 0 ||
	    strcmp(scope[2], M.r53_region) != 0) {
		snprintf(msg, sizeof(msg), "Credential should be scoped to a "
		    "valid region and service: expected %s/route53, got %.60s/"
		    "%.60s", M.r53_region, scope[2], scope[3]);
		r53_error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	date = mreq_header(q, "x-amz-date");
	if ((t = amz_time(date)) < 0) {
		r53_error(r, 403, "IncompleteSignature", "Authorization header "
		    "requires existence of either a 'X-Amz-Date' or a 'Date' "
		    "header.");
		return -1;
	}
	sigv4_amz_date(now / 1000, nowts);
	if (t < now - SKEW_MS) {
		sigv4_amz_date((now - SKEW_MS) / 1000, ts);
		snprintf(msg, sizeof(msg), "Signature expired: %s is now "
		    "earlier than %s (%s - 5 min.)", date, ts, nowts);
		r53_error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	if (t > now + SKEW_MS) {
		sigv4_amz_date((now + SKEW_MS) / 1000, ts);
		snprintf(msg, sizeof(msg), "Signature not yet current: %s is "
		    "still later than %s (%s + 5 min.)", date, ts, nowts);
		r53_error(r, 403, "SignatureDoesNotMatch", msg);
		return -1;
	}
	tok = mreq_header(q, "x-amz-security-token");
	if (M.r53_session_token) {
		char look[1100];

		snprintf(look, sizeof(look), ";%s;", sh);
		if (tok == NULL || strcmp(tok, M.r53_session_token) != 0 ||
		    strstr(look, ";x-amz-security-token;") == NULL) {
			r53_error(r, 403, "InvalidClientTokenId", "The security "
			    "token included in the request is invalid.");
			return -1;
		}
	}
	/* Exactly the signed headers, values as received, arrival order. */
	if ((hd = calloc(q->nhdrs + 1, sizeof(*hd))) == NULL)
		goto mismatch;
	{
		char names[1024], *save = NULL, *nm;
		int has_host = 0;

		snprintf(names, sizeof(names), "%s", sh);
		for (nm = strtok_r(names, ";", &save); nm;
		    nm = strtok_r(NULL, ";", &save)) {
			int found = 0;

			for (k = 0; nm[k]; k++)
				if (isupper((unsigned char)nm[k]))
					goto mismatch;
			if (strcmp(nm, "host") == 0)
				has_host = 1;
			for (i = 0; i < q->nhdrs; i++)
				if (strcasecmp(q->hdrs[i].name, nm) == 0) {
					hd[nhd++] = q->hdrs[i];
					found = 1;
				}
			if (!found) {
				snprintf(msg, sizeof(msg), "The request signature "
				    "we calculated does not match the signature "
				    "you provided. Signed header '%.100s' is not "
				    "present.", nm);
				r53_error(r, 403, "SignatureDoesNotMatch", msg);
				goto out;
			}
		}
		if (!has_host) {
			r53_error(r, 403, "IncompleteSignature", "'Host' or "
			    "':authority' must be a 'SignedHeader' in the AWS "
			    "Authorization.");
			goto out;
		}
	}
	sr.method = q->method;
	sr.target = q->target;
	sr.hdrs = hd;
	sr.nhdrs = nhd;
	sr.body = (const unsigned char *)(q->body.data ? q->body.data : "");
	sr.body_len = q->body.len;
	sr.amz_date = date;
	sr.region = scope[2];
	sr.service = scope[3];
	cr.access_key = M.r53_access_key;
	cr.secret_key = M.r53_secret_key;
	cr.session_token = M.r53_session_token;
	if (sigv4_authorization(&sr, &cr, &want, NULL, NULL) == -1)
		goto mismatch;
	{
		const char *ws = strstr(want.data, "Signature=");

		if (ws && strcmp(ws + 10, sig) == 0 &&
		    strncmp(date, scope[1], 8) == 0) {
			rc = 0;
			goto out;
		}
	}
mismatch:
	r53_error(r, 403, "SignatureDoesNotMatch", "The request signature we "
	    "calculated does not match the signature you provided. Check "
	    "your AWS Secret Access Key and signing method. Consult the "
	    "service documentation for details.");
out:
	free(hd);
	buf_free(&want);
	return rc;
}

/* ---- records ---- */

static int
valid_type(const char *t)
{
	static const char *types[] = { "A", "AAAA", "CAA", "CNAME", "DS", "MX",
		"NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT", NULL };
	int i;

	for (i = 0; types[i]; i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

static int
in_zone(const char *name)
{
	size_t n = strlen(name), z = strlen(M.r53_zone_name);

	if (strcmp(name, M.r53_zone_name) == 0)
		return 1;
	return n > z && name[n - z - 1] == '.' &&
	    strcmp(name + n - z, M.r53_zone_name) == 0;
}

static int
host_name_ok(const char *v)
{
	size_t i;

	if (*v == '\0' || strstr(v, "://") != NULL || strlen(v) > 255)
		return 0;
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c == '*'))
			return 0;
	}
	return 1;
}

/* Compares two names with labels reversed ("www.example.com." sorts as
 * "com.example.www"). */
static int
name_cmp(const char *a, const char *b)
{
	const char *ea = a + strlen(a), *eb = b + strlen(b);

	if (ea > a && ea[-1] == '.')
		ea--;
	if (eb > b && eb[-1] == '.')
		eb--;
	for (;;) {
		const char *la = ea, *lb = eb;
		size_t na, nb;
		int c;

		while (la > a && la[-1] != '.')
			la--;
		while (lb > b && lb[-1] != '.')
			lb--;
		na = (size_t)(ea - la);
		nb = (size_t)(eb - lb);
		c = memcmp(la, lb, na < nb ? na : nb);
		if (c == 0 && na != nb)
			c = na < nb ? -1 : 1;
		if (c != 0)
			return c;
		if (la == a || lb == b)
			return (la == a) == (lb == b) ? 0 : la == a ? -1 : 1;
		ea = la - 1;
		eb = lb - 1;
	}
}

static int
rr_cmp(const void *x, const void *y)
{
	const struct rrset *a = x, *b = y;
	int c = name_cmp(a->name, b->name);

	return c ? c : strcmp(a->type, b->type);
}

static void
rr_free(struct rrset *r)
{
	free(r->name);
	free(r->type);
	strv_free(&r->values);
}

static int
rr_find(const struct rrset *rr, size_t n, const char *name, const char *type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rr[i].name, name) == 0 && strcmp(rr[i].type, type) == 0)
			return (int)i;
	return -1;
}

static void
rr_xml(struct buf *b, const struct rrset *r)
{
	size_t k;

	buf_puts(b, "<ResourceRecordSet><Name>");
	xml_escape(b, r->name);
	buf_puts(b, "</Name><Type>");
	xml_escape(b, r->type);
	buf_printf(b, "</Type><TTL>%lld</TTL><ResourceRecords>", r->ttl);
	for (k = 0; k < r->values.n; k++) {
		buf_puts(b, "<ResourceRecord><Value>");
		xml_escape(b, r->values.v[k]);
		buf_puts(b, "</Value></ResourceRecord>");
	}
	buf_puts(b, "</ResourceRecords></ResourceRecordSet>");
}

static void
change_info(struct buf *b, const struct change *c, const char *comment)
{
	char ts[40];

	iso8601_ms(c->submitted_ms, ts, sizeof(ts));
	buf_printf(b, "<ChangeInfo><Id>/change/%s</Id><Status>%s</Status>"
	    "<SubmittedAt>%s</SubmittedAt>", c->id,
	    c->insync ? "INSYNC" : "PENDING", ts);
	if (comment) {
		buf_puts(b, "<Comment>");
		xml_escape(b, comment);
		buf_puts(b, "</Comment>");
	}
	buf_puts(b, "</ChangeInfo>");
}

/* Checks that node `at` has exactly the children in `order` (a NULL-
 * terminated list; names marked optional with a leading '?'), in that order. */
static int
children_in_order(const struct xml_doc *d, int at, const char *const *order,
    char *msg, size_t msgsz)
{
	int c = d->n[at].first, k = 0;

	for (; c >= 0; c = d->n[c].next) {
		while (order[k] && strcmp(order[k] + (order[k][0] == '?'),
		    d->n[c].name) != 0) {
			if (order[k][0] != '?') {
				snprintf(msg, msgsz, "Invalid XML ; expected "
				    "element %s in %s, found %.64s", order[k],
				    d->n[at].name, d->n[c].name);
				return -1;
			}
			k++;
		}
		if (order[k] == NULL) {
			snprintf(msg, msgsz, "Invalid XML ; unexpected element "
			    "%.64s in %s", d->n[c].name, d->n[at].name);
			return -1;
		}
		k++;
	}
	for (; order[k]; k++)
		if (order[k][0] != '?') {
			snprintf(msg, msgsz, "Invalid XML ; missing element %s "
			    "in %s", order[k], d->n[at].name);
			return -1;
		}
	return 0;
}

static void
change_rrsets(const struct mreq *q, struct mresp *r)
{
	static const char *const o_root[] = { "ChangeBatch", NULL };
	static const char *const o_batch[] = { "?Comment", "Changes", NULL };
	static const char *const o_change[] = { "Action", "ResourceRecordSet",
		NULL };
	static const char *const o_rrs[] = { "Name", "Type", "TTL",
		"ResourceRecords", NULL };
	struct xml_doc d = { 0 };
	struct rrset *rr = NULL;
	size_t nrr = 0, i;
	char msg[600], why[300];
	int batch, changes, c, cname_effect = 0;
	char *cname = r53_norm_name(M.cname), *cname_value = NULL;
	const char *comment = NULL;
	struct change *nc;

	if (xml_parse(q->body.data ? q->body.data : "", q->body.len, &d, why,
	    sizeof(why)) == -1) {
		snprintf(msg, sizeof(msg), "Invalid XML ; %s", why);
		r53_error(r, 400, "InvalidInput", msg);
		goto out;
	}
	if (strcmp(d.n[0].name, "ChangeResourceRecordSetsRequest") != 0 ||
	    (d.n[0].ns && strcmp(d.n[0].ns, NS) != 0)) {
		r53_error(r, 400, "InvalidInput", "Invalid XML ; root element "
		    "must be ChangeResourceRecordSetsRequest in namespace " NS);
		goto out;
	}
	if (children_in_order(&d, 0, o_root, msg, sizeof(msg)) == -1)
		goto bad_input;
	batch = xml_child(&d, 0, "ChangeBatch");
	if (children_in_order(&d, batch, o_batch, msg, sizeof(msg)) == -1)
		goto bad_input;
	if ((c = xml_child(&d, batch, "Comment")) >= 0)
		comment = d.n[c].text;
	changes = xml_child(&d, batch, "Changes");
	if (d.n[changes].first < 0) {
		snprintf(msg, sizeof(msg), "Invalid XML ; Changes must contain "
		    "at least one Change");
		goto bad_input;
	}
	/* Work on a copy: the batch is all or nothing. */
	if ((rr = calloc(M.nrr + 1, sizeof(*rr))) == NULL)
		goto out;
	for (i = 0; i < M.nrr; i++) {
		rr[i].name = strdup(M.rr[i].name);
		rr[i].type = strdup(M.rr[i].type);
		rr[i].ttl = M.rr[i].ttl;
		for (size_t k = 0; k < M.rr[i].values.n; k++)
			strv_add(&rr[i].values, M.rr[i].values.v[k]);
	}
	nrr = M.nrr;
	for (c = d.n[changes].first; c >= 0; c = d.n[c].next) {
		const char *act, *type;
		char *name, *end;
		int set, recs, k, at;
		long long ttl;
		struct strv vals = { 0 };
		struct rrset *grown;

		if (strcmp(d.n[c].name, "Change") != 0) {
			snprintf(msg, sizeof(msg), "Invalid XML ; unexpected "
			    "element %.64s in Changes", d.n[c].name);
			goto bad_input;
		}
		if (children_in_order(&d, c, o_change, msg, sizeof(msg)) == -1)
			goto bad_input;
		act = d.n[xml_child(&d, c, "Action")].text;
		if (strcmp(act, "CREATE") && strcmp(act, "DELETE") &&
		    strcmp(act, "UPSERT")) {
			snprintf(msg, sizeof(msg), "Invalid XML ; value '%.64s' "
			    "at 'Action' failed to satisfy constraint: Member "
			    "must satisfy enum value set: [CREATE, DELETE, "
			    "UPSERT]", act);
			goto bad_input;
		}
		set = xml_child(&d, c, "ResourceRecordSet");
		if (children_in_order(&d, set, o_rrs, msg, sizeof(msg)) == -1)
			goto bad_input;
		type = d.n[xml_child(&d, set, "Type")].text;
		if (!valid_type(type)) {
			snprintf(msg, sizeof(msg), "Invalid XML ; value '%.64s' "
			    "at 'Type' failed to satisfy constraint", type);
			goto bad_input;
		}
		ttl = strtoll(d.n[xml_child(&d, set, "TTL")].text, &end, 10);
		if (*d.n[xml_child(&d, set, "TTL")].text == '\0' || *end ||
		    ttl < 0 || ttl > 2147483647) {
			snprintf(msg, sizeof(msg), "Invalid XML ; TTL must be an "
			    "integer from 0 to 2147483647");
			goto bad_input;
		}
		recs = xml_child(&d, set, "ResourceRecords");
		for (k = d.n[recs].first; k >= 0; k = d.n[k].next) {
			int v = xml_child(&d, k, "Value");

			if (strcmp(d.n[k].name, "ResourceRecord") != 0 || v < 0) {
				strv_free(&vals);
				snprintf(msg, sizeof(msg), "Invalid XML ; "
				    "ResourceRecords must hold ResourceRecord/"
				    "Value elements");
				goto bad_input;
			}
			strv_add(&vals, d.n[v].text);
		}
		if (vals.n == 0) {
			snprintf(msg, sizeof(msg), "Invalid XML ; "
			    "ResourceRecords must not be empty");
			goto bad_input;
		}
		name = r53_norm_name(d.n[xml_child(&d, set, "Name")].text);
		if (!in_zone(name)) {
			snprintf(msg, sizeof(msg), "RRSet with DNS name %.256s is "
			    "not permitted in zone %s", name, M.r53_zone_name);
			goto bad_batch_named;
		}
		if (strcmp(type, "CNAME") == 0) {
			if (strcmp(name, M.r53_zone_name) == 0) {
				snprintf(msg, sizeof(msg), "RRSet of type CNAME "
				    "with DNS name %.256s is not permitted at "
				    "apex in zone %s", name, M.r53_zone_name);
				goto bad_batch_named;
			}
			if (vals.n != 1) {
				snprintf(msg, sizeof(msg), "RRSet of type CNAME "
				    "with DNS name %.256s must have exactly one "
				    "value", name);
				goto bad_batch_named;
			}
			if (!host_name_ok(vals.v[0])) {
				snprintf(msg, sizeof(msg), "Invalid Resource "
				    "Record: 'FATAL problem: DomainLabel"
				    "ContainsIllegalCharacter (Value is not a "
				    "host name) encountered with '%.200s''",
				    vals.v[0]);
				goto bad_batch_named;
			}
		}
		at = rr_find(rr, nrr, name, type);
		if (strcmp(act, "CREATE") == 0 && at >= 0) {
			snprintf(msg, sizeof(msg), "Tried to create resource "
			    "record set [name='%.256s', type='%s'] but it "
			    "already exists", name, type);
			goto bad_batch_named;
		}
		if (strcmp(act, "DELETE") == 0) {
			int same = at >= 0 && rr[at].ttl == ttl &&
			    rr[at].values.n == vals.n;

			for (i = 0; same && i < vals.n; i++)
				same = strv_has(&rr[at].values, vals.v[i]);
			if (at < 0) {
				snprintf(msg, sizeof(msg), "Tried to delete "
				    "resource record set [name='%.256s', "
				    "type='%s'] but it was not found", name,
				    type);
				goto bad_batch_named;
			}
			if (!same) {
				snprintf(msg, sizeof(msg), "Tried to delete "
				    "resource record set [name='%.256s', "
				    "type='%s'] but the values provided do not "
				    "match the current values", name, type);
				goto bad_batch_named;
			}
			rr_free(&rr[at]);
			rr[at] = rr[--nrr];
			if (strcmp(name, cname) == 0 &&
			    strcmp(type, "CNAME") == 0)
				cname_effect = 2;
			free(name);
			strv_free(&vals);
			continue;
		}
		/* CNAME may not coexist with other types at the same name. */
		for (i = 0; i < nrr; i++)
			if (strcmp(rr[i].name, name) == 0 &&
			    strcmp(rr[i].type, type) != 0 &&
			    (strcmp(type, "CNAME") == 0 ||
			    strcmp(rr[i].type, "CNAME") == 0)) {
				snprintf(msg, sizeof(msg), "RRSet of type %s with "
				    "DNS name %.256s is not permitted because a "
				    "conflicting RRSet of type %s with the same "
				    "DNS name already exists in zone %s", type,
				    name, rr[i].type, M.r53_zone_name);
				goto bad_batch_named;
			}
		if (at < 0) {
			if ((grown = realloc(rr, (nrr + 1) * sizeof(*rr))) ==
			    NULL) {
				free(name);
				strv_free(&vals);
				goto out;
			}
			rr = grown;
			at = (int)nrr++;
			memset(&rr[at], 0, sizeof(rr[at]));
			rr[at].name = name;
			rr[at].type = strdup(type);
		} else {
			free(name);
			strv_free(&rr[at].values);
		}
		rr[at].ttl = ttl;
		rr[at].values = vals;
		if (strcmp(rr[at].name, cname) == 0 &&
		    strcmp(type, "CNAME") == 0) {
			cname_effect = 1;
			free(cname_value);
			cname_value = strdup(vals.v[0]);
		}
		continue;
bad_batch_named:
		free(name);
		strv_free(&vals);
		invalid_batch(r, msg);
		goto out;
	}
	/* Commit. */
	for (i = 0; i < M.nrr; i++)
		rr_free(&M.rr[i]);
	free(M.rr);
	M.rr = rr;
	M.nrr = nrr;
	rr = NULL;
	nrr = 0;
	if ((nc = realloc(M.ch, (M.nch + 1) * sizeof(*M.ch))) == NULL)
		goto out;
	M.ch = nc;
	nc = &M.ch[M.nch++];
	memset(nc, 0, sizeof(*nc));
	nc->id[0] = 'C';
	rand_base62(nc->id + 1, 13);
	for (i = 1; nc->id[i]; i++)
		nc->id[i] = (char)toupper((unsigned char)nc->id[i]);
	nc->submitted_ms = wall_ms();
	nc->insync_at = mono_ms() + M.r53_insync_delay_ms;
	nc->insync = M.r53_insync_delay_ms == 0;
	nc->cname_effect = cname_effect;
	nc->cname_value = cname_value;
	cname_value = NULL;
	state_changed();
	r->status = 200;
	r->ctype = "text/xml";
	{
		char id[37];

		request_id(r, id);
	}
	buf_puts(&r->body, XHDR "<ChangeResourceRecordSetsResponse xmlns=\""
	    NS "\">");
	change_info(&r->body, nc, comment);
	buf_puts(&r->body, "</ChangeResourceRecordSetsResponse>\n");
	goto out;
bad_input:
	r53_error(r, 400, "InvalidInput", msg);
out:
	for (i = 0; i < nrr; i++)
		rr_free(&rr[i]);
	free(rr);
	free(cname);
	free(cname_value);
	xml_free(&d);
}

static void
get_change(const char *id, struct mresp *r)
{
	char msg[200], rid[37];
	size_t i;

	for (i = 0; i < M.nch; i++)
		if (strcmp(M.ch[i].id, id) == 0) {
			r->status = 200;
			r->ctype = "text/xml";
			request_id(r, rid);
			buf_puts(&r->body, XHDR "<GetChangeResponse xmlns=\"" NS
			    "\">");
			change_info(&r->body, &M.ch[i], NULL);
			buf_puts(&r->body, "</GetChangeResponse>\n");
			return;
		}
	snprintf(msg, sizeof(msg), "A change with the specified change ID "
	    "does not exist: %.64s", id);
	r53_error(r, 404, "NoSuchChange", msg);
}

static void
list_rrsets(const struct mreq *q, struct mresp *r)
{
	char name[512], type[32], mx[32], rid[37], *nn = NULL, *end;
	int has_name, has_type, trunc;
	long max = 300, shown = 0;
	size_t i;

	has_name = mreq_query_param(q, "name", name, sizeof(name), 0);
	has_type = mreq_query_param(q, "type", type, sizeof(type), 0);
	if (has_type && !has_name) {
		r53_error(r, 400, "InvalidInput", "The input is not valid: "
		    "type requires name");
		return;
	}
	if (has_type && !valid_type(type)) {
		r53_error(r, 400, "InvalidInput", "Invalid type");
		return;
	}
	if (mreq_query_param(q, "maxitems", mx, sizeof(mx), 0)) {
		max = strtol(mx, &end, 10);
		if (mx[0] == '\0' || *end || max < 1 || max > 300) {
			r53_error(r, 400, "InvalidInput", "maxitems must be an "
			    "integer from 1 to 300");
			return;
		}
	}
	qsort(M.rr, M.nrr, sizeof(*M.rr), rr_cmp);
	if (has_name)
		nn = r53_norm_name(name);
	r->status = 200;
	r->ctype = "text/xml";
	request_id(r, rid);
	buf_puts(&r->body, XHDR "<ListResourceRecordSetsResponse xmlns=\"" NS
	    "\"><ResourceRecordSets>");
	for (i = 0; i < M.nrr; i++) {
		if (nn) {
			int c = name_cmp(M.rr[i].name, nn);
			if (c < 0 || (c == 0 && has_type &&
			    strcmp(M.rr[i].type, type) < 0))
				continue;
		}
		if (shown == max)
			break;
		rr_xml(&r->body, &M.rr[i]);
		shown++;
	}
	trunc = i < M.nrr;
	buf_printf(&r->body, "</ResourceRecordSets><IsTruncated>%s"
	    "</IsTruncated>", trunc ? "true" : "false");
	if (trunc) {
		buf_puts(&r->body, "<NextRecordName>");
		xml_escape(&r->body, M.rr[i].name);
		buf_printf(&r->body, "</NextRecordName><NextRecordType>%s"
		    "</NextRecordType>", M.rr[i].type);
	}
	buf_printf(&r->body, "<MaxItems>%ld</MaxItems>"
	    "</ListResourceRecordSetsResponse>\n", max);
	free(nn);
}

void
r53_handle(const struct mreq *q, struct mresp *r)
{
	const char *p = q->path, *zone = "/2013-04-01/hostedzone/";
	size_t zl = strlen(zone);

	if (verify_sigv4(q, r) == -1)
		return;
	if (strncmp(p, zone, zl) == 0) {
		const char *id = p + zl, *slash = strchr(id, '/');
		size_t n = slash ? (size_t)(slash - id) : strlen(id);
		char msg[200];

		if (n != strlen(M.r53_zone_id) ||
		    strncmp(id, M.r53_zone_id, n) != 0) {
			snprintf(msg, sizeof(msg), "No hosted zone found with "
			    "ID: %.*s", (int)(n > 64 ? 64 : n), id);
			r53_error(r, 404, "NoSuchHostedZone", msg);
			return;
		}
		if (slash && strcmp(slash, "/rrset/") == 0 &&
		    strcmp(q->method, "POST") == 0) {
			change_rrsets(q, r);
			return;
		}
		if (slash && (strcmp(slash, "/rrset") == 0 ||
		    strcmp(slash, "/rrset/") == 0) &&
		    strcmp(q->method, "GET") == 0) {
			list_rrsets(q, r);
			return;
		}
	} else if (strncmp(p, "/2013-04-01/change/", 19) == 0 &&
	    strcmp(q->method, "GET") == 0 && strchr(p + 19, '/') == NULL) {
		get_change(p + 19, r);
		return;
	}
	r53_error(r, 404, "UnknownOperationException", "The operation is not "
	    "modeled by vaultdr-mock");
}
