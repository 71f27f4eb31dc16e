/* route53.c - ListResourceRecordSets, ChangeResourceRecordSets, GetChange. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "retry.h"
#include "route53.h"
#include "sigv4.h"

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"

int
xml_next(const char *s, size_t n, const char *tag, size_t *pos, size_t *start,
    size_t *end)
{
	size_t tl = strlen(tag), i, depth;

	for (i = *pos; i + tl + 1 <= n; i++) {
		if (s[i] != '<' || memcmp(s + i + 1, tag, tl) != 0)
			continue;
		if (i + tl + 1 == n) {
			err_set("XML: unterminated <%s> tag at byte %zu", tag, i);
			return -1;
		}
		char c = s[i + 1 + tl];
		if (c != '>' && c != ' ' && c != '/')
			continue;
		size_t j = i + 1 + tl;
		while (j < n && s[j] != '>')
			j++;
		if (j >= n) {
			err_set("XML: unterminated <%s> tag at byte %zu", tag, i);
			return -1;
		}
		if (s[j - 1] == '/') { /* <tag/> */
			*start = *end = j + 1;
			*pos = j + 1;
			return 0;
		}
		*start = j + 1;
		/* Find the matching close tag, counting nested same-name tags. */
		depth = 1;
		for (j = *start; j + tl + 2 < n + 1; j++) {
			if (s[j] != '<')
				continue;
			if (j + 2 + tl < n && s[j + 1] == '/' &&
			    memcmp(s + j + 2, tag, tl) == 0 &&
			    s[j + 2 + tl] == '>') {
				if (--depth == 0) {
					*end = j;
					*pos = j + 3 + tl;
					return 0;
				}
			} else if (j + 1 + tl < n &&
			    memcmp(s + j + 1, tag, tl) == 0 &&
			    (s[j + 1 + tl] == '>' || s[j + 1 + tl] == ' '))
				depth++;
		}
		err_set("XML: <%s> at byte %zu is never closed", tag, i);
		return -1;
	}
	return 1;
}

int
xml_text(const char *s, size_t n, const char *tag, char **out)
{
	size_t pos = 0, a, b, i;
	struct buf t = { 0 };
	int rc;

	*out = NULL;
	if ((rc = xml_next(s, n, tag, &pos, &a, &b)) != 0)
		return rc;
	for (i = a; i < b; i++) {
		char c = s[i];
		if (c == '<') {
			err_set("XML: <%s> has child elements", tag);
			goto bad;
		}
		if (c == '&') {
			static const struct { const char *e; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&apos;", '\'' },
			};
			size_t k, el;
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				el = strlen(ents[k].e);
				if (b - i >= el && memcmp(s + i, ents[k].e, el) == 0)
					break;
			}
			if (k == sizeof(ents) / sizeof(ents[0])) {
				err_set("XML: unknown entity in <%s>", tag);
				goto bad;
			}
			c = ents[k].c;
			i += strlen(ents[k].e) - 1;
		} else if ((unsigned char)c < 0x20 && c != '\n' && c != '\t' &&
		    c != '\r') {
			err_set("XML: control character in <%s>", tag);
			goto bad;
		}
		if (buf_append(&t, &c, 1) == -1)
			goto bad;
	}
	if ((*out = buf_take(&t)) == NULL)
		return -1;
	return 0;
bad:
	buf_free(&t);
	return -1;
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

static const char *
bare_id(const char *id)
{
	const char *p = strrchr(id, '/');
	return p ? p + 1 : id;
}

/* Route 53 error: code and message from any of the three error shapes. */
static void
r53_error(const struct http_response *resp, char *code, size_t codesz,
    char *msg, size_t msgsz)
{
	char *c = NULL, *m = NULL;

	snprintf(code, codesz, "HTTP%d", resp->status);
	msg[0] = '\0';
	if (xml_text(resp->body, resp->body_len, "Code", &c) == 0)
		snprintf(code, codesz, "%s", c);
	else if (resp->body_len > 0 && strstr(resp->body, "<InvalidChangeBatch"))
		snprintf(code, codesz, "InvalidChangeBatch");
	if (xml_text(resp->body, resp->body_len, "Message", &m) == 0)
		snprintf(msg, msgsz, "%s", m);
	free(c);
	free(m);
	err_clear();
}

/* One signed Route 53 request with the retry policy. 0 on 2xx (resp filled);
 * -1 otherwise (err_set, r->fail). */
static int
r53_call(struct r53 *r, const char *method, const char *target,
    const char *body, struct http_response *resp)
{
	int changing = strcmp(method, "GET") != 0;
	struct buf url = { 0 }, authz = { 0 };
	struct http_header h[4];
	struct url u;
	char date[17], why[1024], code[64], msg[512];
	int attempt, rc = -1;
	size_t nh, blen = body ? strlen(body) : 0;

	memset(&u, 0, sizeof(u));
	r->fail = VF_NONE;
	if (changing && r->read_only) {
		err_set("dry run: refusing to send %s %s", method, target);
		r->fail = VF_REJECTED;
		return -1;
	}
	if (buf_puts(&url, r->endpoint) == -1)
		return -1;
	while (url.len && url.data[url.len - 1] == '/')
		url.data[--url.len] = '\0';
	if (buf_puts(&url, target) == -1 || url_parse(url.data, &u) == -1)
		goto out;
	for (attempt = 0;; attempt++) {
		enum vault_fail kind;
		struct sigv4_creds cr = { r->access_key->s, r->secret_key->s,
			secret_is_set(r->session_token) ? r->session_token->s :
			    NULL };
		struct sigv4_req sr;

		if (retry_stop_requested) {
			err_set("stopped by signal before %s %s", method, target);
			r->fail = VF_STOPPED;
			goto out;
		}
		sigv4_amz_date((long long)time(NULL), date);
		nh = 0;
		h[nh++] = (struct http_header){ "Host", u.hostport };
		h[nh++] = (struct http_header){ "X-Amz-Date", date };
		if (cr.session_token)
			h[nh++] = (struct http_header){ "X-Amz-Security-Token",
				(char *)cr.session_token };
		sr = (struct sigv4_req){ method, u.target, h, nh,
			(const unsigned char *)body, blen, date, r->region,
			"route53" };
		buf_free(&authz);
		if (sigv4_authorization(&sr, &cr, &authz, NULL, NULL) == -1)
			goto out;
		/* Host is added by the HTTP client; send the rest. */
		h[0] = (struct http_header){ "Authorization", authz.data };
		memset(resp, 0, sizeof(*resp));
		if (http_request(r->http, method, url.data, h, nh, body, blen,
		    resp) == -1) {
			enum conn_err e = http_last_error(r->http);
			if (e == CONN_E_TLS || e == CONN_E_CONFIG) {
				r->fail = VF_TLS;
				goto out;
			}
			if (changing && http_last_sent(r->http)) {
				err_prefix("the answer to %s %s was lost", method,
				    target);
				r->fail = VF_LOST;
				goto out;
			}
			kind = http_last_proto_error(r->http) ? VF_BAD_REPLY :
			    VF_UNREACHABLE;
			snprintf(why, sizeof(why), "%s", err_get());
		} else if (resp->status >= 200 && resp->status < 300) {
			rc = 0;
			goto out;
		} else {
			int st = resp->status;
			r53_error(resp, code, sizeof(code), msg, sizeof(msg));
			snprintf(why, sizeof(why), "Route 53 %s (%s %s HTTP %d "
			    "%s: %s)", st < 500 && strcmp(code, "Throttling") &&
			    strcmp(code, "PriorRequestNotComplete") ?
			    "refused the request" : "could not complete the "
			    "request", method, target, st, code, msg);
			http_response_free(resp);
			if (st < 500 && strcmp(code, "Throttling") &&
			    strcmp(code, "PriorRequestNotComplete")) {
				err_set("%s", why);
				r->fail = VF_REJECTED;
				goto out;
			}
			kind = VF_SERVER;
		}
		if (attempt >= retry_r53.max_retries) {
			err_set("%s", why);
			err_prefix("gave up after %d attempts", attempt + 1);
			r->fail = kind;
			goto out;
		}
		double d = retry_delay(&retry_r53, attempt + 1);
		log_warn("%s; retry %d of %d in %.1f s", why, attempt + 1,
		    retry_r53.max_retries, d);
		if (retry_sleep(d) == -1) {
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

void
r53_strip_dot(char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

static int
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

int
r53_get_cname(struct r53 *r, const char *name, int *found, char **value,
    long *ttl)
{
	struct http_response resp;
	struct buf t = { 0 };
	char *rname = NULL, *rtype = NULL, *rttl = NULL;
	size_t pos = 0, a, b, i;
	int rc = -1, x;

	*found = 0;
	*value = NULL;
	*ttl = 0;
	if (buf_printf(&t, "/2013-04-01/hostedzone/%s/rrset?name=",
	    bare_id(r->zone_id)) == -1)
		return -1;
	for (i = 0; name[i]; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			buf_append(&t, &name[i], 1);
		else
			buf_printf(&t, "%%%02X", c);
	}
	if (buf_puts(&t, "&type=CNAME&maxitems=1") == -1)
		goto out;
	if (r53_call(r, "GET", t.data, NULL, &resp) == -1) {
		err_prefix("reading the CNAME %s", name);
		goto out;
	}
	x = xml_next(resp.body, resp.body_len, "ResourceRecordSet", &pos, &a, &b);
	if (x == -1)
		goto bad;
	if (x == 1) {
		if (!strstr(resp.body, "<ListResourceRecordSetsResponse")) {
			err_set("Route 53 answered ListResourceRecordSets with "
			    "an unexpected document");
			goto bad;
		}
		rc = 0;
		goto done;
	}
	if (xml_text(resp.body + a, b - a, "Name", &rname) != 0 ||
	    xml_text(resp.body + a, b - a, "Type", &rtype) != 0) {
		err_set("Route 53 record set without Name or Type");
		goto bad;
	}
	if (!same_name(rname, name) || strcmp(rtype, "CNAME") != 0) {
		rc = 0; /* the listing starts at the next record: not found */
		goto done;
	}
	if (xml_text(resp.body + a, b - a, "TTL", &rttl) == 0)
		*ttl = strtol(rttl, NULL, 10);
	if (xml_text(resp.body + a, b - a, "Value", value) != 0) {
		err_set("Route 53 CNAME %s has no value (alias record?)", name);
		goto bad;
	}
	r53_strip_dot(*value);
	*found = 1;
	rc = 0;
	goto done;
bad:
	err_prefix("reading the CNAME %s", name);
	r->fail = VF_BAD_REPLY;
done:
	http_response_free(&resp);
out:
	free(rname);
	free(rtype);
	free(rttl);
	buf_free(&t);
	return rc;
}

static int
xml_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		const char *e = NULL;
		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&apos;"; break;
		}
		if ((e ? buf_puts(b, e) : buf_append(b, s, 1)) == -1)
			return -1;
	}
	return 0;
}

int
r53_upsert_cname(struct r53 *r, const char *name, const char *value, long ttl,
    char **change_id)
{
	struct http_response resp;
	struct buf body = { 0 }, t = { 0 };
	char *id = NULL;
	int rc = -1;

	*change_id = NULL;
	if (!r53_valid_hostname(value)) {
		err_set("CNAME value '%s' is not a host name", value);
		return -1;
	}
	if (buf_puts(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS "\">"
	    "<ChangeBatch><Comment>vaultdr</Comment><Changes><Change>"
	    "<Action>UPSERT</Action><ResourceRecordSet><Name>") == -1 ||
	    xml_escape(&body, name) == -1 ||
	    buf_printf(&body, "</Name><Type>CNAME</Type><TTL>%ld</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>", ttl) == -1 ||
	    xml_escape(&body, value) == -1 ||
	    buf_puts(&body, "</Value></ResourceRecord></ResourceRecords>"
	    "</ResourceRecordSet></Change></Changes></ChangeBatch>"
	    "</ChangeResourceRecordSetsRequest>") == -1 ||
	    buf_printf(&t, "/2013-04-01/hostedzone/%s/rrset/",
	    bare_id(r->zone_id)) == -1)
		goto out;
	if (r53_call(r, "POST", t.data, body.data, &resp) == -1) {
		err_prefix("UPSERT %s CNAME %s", name, value);
		goto out;
	}
	if (xml_text(resp.body, resp.body_len, "Id", &id) != 0 || !id[0]) {
		err_set("UPSERT %s: Route 53 reply has no ChangeInfo Id", name);
		r->fail = VF_BAD_REPLY;
	} else if ((*change_id = strdup(bare_id(id))) != NULL)
		rc = 0;
	http_response_free(&resp);
out:
	free(id);
	buf_free(&body);
	buf_free(&t);
	return rc;
}

int
r53_change_insync(struct r53 *r, const char *change_id, int *insync)
{
	struct http_response resp;
	struct buf t = { 0 };
	char *status = NULL;
	int rc = -1;

	*insync = 0;
	if (buf_printf(&t, "/2013-04-01/change/%s", bare_id(change_id)) == -1)
		return -1;
	if (r53_call(r, "GET", t.data, NULL, &resp) == -1) {
		err_prefix("GetChange %s", change_id);
		goto out;
	}
	if (xml_text(resp.body, resp.body_len, "Status", &status) != 0) {
		err_set("GetChange %s: reply has no Status", change_id);
		r->fail = VF_BAD_REPLY;
	} else {
		*insync = strcmp(status, "INSYNC") == 0;
		rc = 0;
	}
	http_response_free(&resp);
out:
	free(status);
	buf_free(&t);
	return rc;
}
