/* r53.c - Route 53 (REST-XML, 2013-04-01) for one hosted zone:
 * ChangeResourceRecordSets (atomic batches of CREATE/DELETE/UPSERT over
 * record sets of every type keyed by name, type and SetIdentifier),
 * GetChange, ListResourceRecordSets (Route 53 order, pages), GetHostedZone,
 * each SigV4-checked (mock/sigcheck.c).
 * Runs with M.mu held. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"
#include "mock/sigcheck.h"
#include "route53.h" /* r53_name_eq, r53_name_in_zone */
#include "sigv4.h"
#include "xml.h"

#define NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define XHDR "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static void
request_id(struct mresp *r, char id[37])
{
	rand_uuid(id);
	buf_printf(&r->hdrs, "x-amzn-RequestId: %s\r\n", id);
}

void
mr53_error(struct mresp *r, int status, const char *code, const char *msg)
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
	mr53_error(r, 400, "InvalidChangeBatch", m.data ? m.data : msg);
	buf_free(&m);
}

/* ---- records ---- */

/* The name lies in the hosted zone: route53.c's rule, the client's. */
static int
in_zone(const char *name)
{
	return r53_name_in_zone(name, M.r53_zone_name);
}

/* The listing key of a name: its labels reversed, each followed by a dot
 * ("www.example.com." -> "com.example.www."), compared in ASCII order as
 * Route 53 documents it (so "a-b" sorts before "a.x": '-' < '.'). */
static void
rev_key(const char *name, struct buf *k)
{
	const char *e = name + strlen(name), *l;

	if (e > name && e[-1] == '.')
		e--;
	while (e > name) {
		for (l = e; l > name && l[-1] != '.'; l--)
			;
		buf_append(k, l, (size_t)(e - l));
		buf_puts(k, ".");
		e = l > name ? l - 1 : name;
	}
}

static int
name_cmp(const char *a, const char *b)
{
	struct buf ka = { 0 }, kb = { 0 };
	int c;

	rev_key(a, &ka);
	rev_key(b, &kb);
	c = strcmp(ka.data ? ka.data : "", kb.data ? kb.data : "");
	buf_free(&ka);
	buf_free(&kb);
	return c;
}

/* Set identifiers: a simple record (NULL) sorts first. */
static int
id_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int
rr_cmp(const void *x, const void *y)
{
	const struct rrset *a = x, *b = y;
	int c = name_cmp(a->name, b->name);

	if (c == 0)
		c = strcmp(a->type, b->type);
	return c ? c : id_cmp(a->set_id, b->set_id);
}

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		abort();
	return d;
}

static void
rr_copy(struct rrset *d, const struct rrset *s)
{
	size_t k;

	*d = *s;
	memset(&d->values, 0, sizeof(d->values));
	d->name = dup_or_null(s->name);
	d->type = dup_or_null(s->type);
	d->set_id = dup_or_null(s->set_id);
	d->failover = dup_or_null(s->failover);
	d->region = dup_or_null(s->region);
	d->health_check = dup_or_null(s->health_check);
	d->alias_zone = dup_or_null(s->alias_zone);
	d->alias_dns = dup_or_null(s->alias_dns);
	for (k = 0; k < s->values.n; k++)
		if (strv_add(&d->values, s->values.v[k]) == -1)
			abort();
}

static int
rr_find(const struct rrset *rr, size_t n, const struct rrset *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r53_name_eq(rr[i].name, key->name) &&
		    strcmp(rr[i].type, key->type) == 0 &&
		    str_eq(rr[i].set_id, key->set_id))
			return (int)i;
	return -1;
}

/* What a DELETE must match exactly: TTL, every value, alias target,
 * routing fields, health check. */
static int
rr_same(const struct rrset *a, const struct rrset *b)
{
	size_t i;

	if (a->ttl != b->ttl || a->values.n != b->values.n ||
	    a->has_weight != b->has_weight ||
	    (a->has_weight && a->weight != b->weight) ||
	    !str_eq(a->failover, b->failover) || !str_eq(a->region, b->region) ||
	    !str_eq(a->health_check, b->health_check) ||
	    !str_eq(a->alias_dns, b->alias_dns) ||
	    !str_eq(a->alias_zone, b->alias_zone) ||
	    a->alias_eval != b->alias_eval)
		return 0;
	for (i = 0; i < a->values.n; i++)
		if (!strv_has(&b->values, a->values.v[i]))
			return 0;
	return 1;
}

/* A name as Route 53 shows it: bytes other than a-z 0-9 - _ . as \ooo. */
static void
name_out(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (islower(c) || isdigit(c) || c == '-' || c == '_' || c == '.')
			buf_append(b, s, 1);
		else
			buf_printf(b, "\\%03o", c);
	}
}

static void
rr_xml(struct buf *b, const struct rrset *r)
{
	size_t k;
	struct buf n = { 0 };

	name_out(&n, r->name);
	buf_puts(b, "<ResourceRecordSet><Name>");
	xml_escape(b, n.data ? n.data : "");
	buf_puts(b, "</Name><Type>");
	xml_escape(b, r->type);
	buf_puts(b, "</Type>");
	buf_free(&n);
	if (r->set_id) {
		buf_puts(b, "<SetIdentifier>");
		xml_escape(b, r->set_id);
		buf_puts(b, "</SetIdentifier>");
	}
	if (r->has_weight)
		buf_printf(b, "<Weight>%ld</Weight>", r->weight);
	if (r->region) {
		buf_puts(b, "<Region>");
		xml_escape(b, r->region);
		buf_puts(b, "</Region>");
	}
	if (r->failover)
		buf_printf(b, "<Failover>%s</Failover>", r->failover);
	if (r->alias_dns) {
		buf_puts(b, "<AliasTarget><HostedZoneId>");
		xml_escape(b, r->alias_zone);
		buf_puts(b, "</HostedZoneId><DNSName>");
		xml_escape(b, r->alias_dns);
		buf_printf(b, "</DNSName><EvaluateTargetHealth>%s"
		    "</EvaluateTargetHealth></AliasTarget>", r->alias_eval ?
		    "true" : "false");
	} else {
		buf_printf(b, "<TTL>%lld</TTL><ResourceRecords>", r->ttl);
		for (k = 0; k < r->values.n; k++) {
			buf_puts(b, "<ResourceRecord><Value>");
			xml_escape(b, r->values.v[k]);
			buf_puts(b, "</Value></ResourceRecord>");
		}
		buf_puts(b, "</ResourceRecords>");
	}
	if (r->health_check) {
		buf_puts(b, "<HealthCheckId>");
		xml_escape(b, r->health_check);
		buf_puts(b, "</HealthCheckId>");
	}
	buf_puts(b, "</ResourceRecordSet>");
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

/* Whole-string decimal in [lo, hi]. */
static int
num_ok(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out >= lo && *out <= hi;
}

/* A <ResourceRecordSet> of a change into o (members owned). 0, or -1 with
 * an InvalidInput message. */
static int
parse_set(const struct xml_doc *d, int set, struct rrset *o, char *msg,
    size_t msgsz)
{
	static const char *const order[] = { "Name", "Type", "?SetIdentifier",
		"?Weight", "?Region", "?Failover", "?TTL", "?ResourceRecords",
		"?AliasTarget", "?HealthCheckId", NULL };
	static const char *const o_alias[] = { "HostedZoneId", "DNSName",
		"EvaluateTargetHealth", NULL };
	const char *t;
	long long v;
	int a, recs, k;

	memset(o, 0, sizeof(*o));
	o->ttl = -1;
	if (children_in_order(d, set, order, msg, msgsz) == -1)
		return -1;
	o->name = mr53_norm_name(xml_leaf(d, set, "Name") ?
	    xml_leaf(d, set, "Name") : "");
	o->type = dup_or_null(xml_leaf(d, set, "Type") ?
	    xml_leaf(d, set, "Type") : "");
	if (!mr53_valid_type(o->type)) {
		snprintf(msg, msgsz, "Invalid XML ; value '%.64s' at 'Type' "
		    "failed to satisfy constraint", o->type);
		return -1;
	}
	o->set_id = dup_or_null(xml_leaf(d, set, "SetIdentifier"));
	o->failover = dup_or_null(xml_leaf(d, set, "Failover"));
	o->region = dup_or_null(xml_leaf(d, set, "Region"));
	o->health_check = dup_or_null(xml_leaf(d, set, "HealthCheckId"));
	if ((t = xml_leaf(d, set, "Weight")) != NULL) {
		if (!num_ok(t, 0, 255, &v)) {
			snprintf(msg, msgsz, "Invalid XML ; Weight must be an "
			    "integer from 0 to 255");
			return -1;
		}
		o->has_weight = 1;
		o->weight = (long)v;
	}
	if ((a = xml_child(d, set, "AliasTarget")) >= 0) {
		if (children_in_order(d, a, o_alias, msg, msgsz) == -1)
			return -1;
		if (xml_child(d, set, "TTL") >= 0 ||
		    xml_child(d, set, "ResourceRecords") >= 0) {
			snprintf(msg, msgsz, "Invalid XML ; an alias record set "
			    "has no TTL and no ResourceRecords");
			return -1;
		}
		t = xml_leaf(d, a, "EvaluateTargetHealth");
		if (t == NULL || (strcmp(t, "true") && strcmp(t, "false"))) {
			snprintf(msg, msgsz, "Invalid XML ; EvaluateTargetHealth "
			    "must be true or false");
			return -1;
		}
		o->alias_eval = strcmp(t, "true") == 0;
		o->alias_zone = dup_or_null(xml_leaf(d, a, "HostedZoneId") ?
		    xml_leaf(d, a, "HostedZoneId") : "");
		o->alias_dns = mr53_norm_name(xml_leaf(d, a, "DNSName") ?
		    xml_leaf(d, a, "DNSName") : "");
		return 0;
	}
	if ((t = xml_leaf(d, set, "TTL")) == NULL ||
	    (recs = xml_child(d, set, "ResourceRecords")) < 0) {
		snprintf(msg, msgsz, "Invalid XML ; a record set needs TTL and "
		    "ResourceRecords, or an AliasTarget");
		return -1;
	}
	if (!num_ok(t, 0, 2147483647LL, &v)) {
		snprintf(msg, msgsz, "Invalid XML ; TTL must be an integer from "
		    "0 to 2147483647");
		return -1;
	}
	o->ttl = v;
	for (k = d->n[recs].first; k >= 0; k = d->n[k].next) {
		const char *val = xml_leaf(d, k, "Value");

		if (strcmp(d->n[k].name, "ResourceRecord") != 0 || val == NULL) {
			snprintf(msg, msgsz, "Invalid XML ; ResourceRecords must "
			    "hold ResourceRecord/Value elements");
			return -1;
		}
		if (strv_add(&o->values, val) == -1)
			abort();
	}
	if (o->values.n == 0) {
		snprintf(msg, msgsz, "Invalid XML ; ResourceRecords must not be "
		    "empty");
		return -1;
	}
	return 0;
}

/* "[name='x.', type='TXT']" or with the set identifier. */
static void
set_label(char *out, size_t outsz, const struct rrset *s)
{
	if (s->set_id)
		snprintf(out, outsz, "[name='%.256s', type='%s', "
		    "set-identifier='%.128s']", s->name, s->type, s->set_id);
	else
		snprintf(out, outsz, "[name='%.256s', type='%s']", s->name,
		    s->type);
}

/* The cluster record is the simple CNAME, or a simple A/AAAA alias, at
 * the scenario's cname. */
static int
is_cluster_record(const struct rrset *s, const char *cname)
{
	return s->set_id == NULL && r53_name_eq(s->name, cname) &&
	    (strcmp(s->type, "CNAME") == 0 || (s->alias_dns &&
	    (strcmp(s->type, "A") == 0 || strcmp(s->type, "AAAA") == 0)));
}

static void
change_rrsets(const struct mreq *q, struct mresp *r)
{
	static const char *const o_root[] = { "ChangeBatch", NULL };
	static const char *const o_batch[] = { "?Comment", "Changes", NULL };
	static const char *const o_change[] = { "Action", "ResourceRecordSet",
		NULL };
	struct xml_doc d = { 0 };
	struct rrset *rr = NULL, ns;
	size_t nrr = 0, i;
	char msg[700], why[300], label[420];
	int batch, changes, c, cname_effect = 0;
	char *cname = mr53_norm_name(M.cname), *cname_value = NULL;
	const char *comment = NULL;
	struct change *nc;

	memset(&ns, 0, sizeof(ns));
	if (xml_parse(q->body.data ? q->body.data : "", q->body.len, &d, why,
	    sizeof(why)) == -1) {
		snprintf(msg, sizeof(msg), "Invalid XML ; %s", why);
		mr53_error(r, 400, "InvalidInput", msg);
		goto out;
	}
	if (strcmp(d.n[0].name, "ChangeResourceRecordSetsRequest") != 0 ||
	    (d.n[0].ns && strcmp(d.n[0].ns, NS) != 0)) {
		mr53_error(r, 400, "InvalidInput", "Invalid XML ; root element "
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
	/* Work on a copy: the batch is all or nothing. The changes apply in
	 * order, so DELETE old + CREATE new replaces a record atomically. */
	if ((rr = calloc(M.nrr + 1, sizeof(*rr))) == NULL)
		abort();
	for (i = 0; i < M.nrr; i++)
		rr_copy(&rr[i], &M.rr[i]);
	nrr = M.nrr;
	for (c = d.n[changes].first; c >= 0; c = d.n[c].next) {
		const char *act;
		int at;

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
		mr53_rrset_free(&ns);
		if (parse_set(&d, xml_child(&d, c, "ResourceRecordSet"), &ns, msg,
		    sizeof(msg)) == -1)
			goto bad_input;
		set_label(label, sizeof(label), &ns);
		if (!in_zone(ns.name)) {
			snprintf(msg, sizeof(msg), "RRSet with DNS name %.256s is "
			    "not permitted in zone %s", ns.name,
			    M.r53_zone_name);
			goto bad_batch;
		}
		if (strcmp(ns.type, "CNAME") == 0 &&
		    r53_name_eq(ns.name, M.r53_zone_name)) {
			snprintf(msg, sizeof(msg), "RRSet of type CNAME with DNS "
			    "name %.256s is not permitted at apex in zone %s",
			    ns.name, M.r53_zone_name);
			goto bad_batch;
		}
		if (mr53_rrset_check(&ns, msg, sizeof(msg)) == -1)
			goto bad_batch;
		at = rr_find(rr, nrr, &ns);
		if (strcmp(act, "CREATE") == 0 && at >= 0) {
			snprintf(msg, sizeof(msg), "Tried to create resource "
			    "record set %s but it already exists", label);
			goto bad_batch;
		}
		if (strcmp(act, "DELETE") == 0) {
			if (at < 0) {
				snprintf(msg, sizeof(msg), "Tried to delete "
				    "resource record set %s but it was not "
				    "found", label);
				goto bad_batch;
			}
			if (!rr_same(&rr[at], &ns)) {
				snprintf(msg, sizeof(msg), "Tried to delete "
				    "resource record set %s but the values "
				    "provided do not match the current values",
				    label);
				goto bad_batch;
			}
			if (is_cluster_record(&rr[at], cname))
				cname_effect = 2;
			mr53_rrset_free(&rr[at]);
			rr[at] = rr[--nrr];
			continue;
		}
		for (i = 0; i < nrr; i++) {
			if ((int)i == at || !r53_name_eq(rr[i].name, ns.name))
				continue;
			/* CNAME may not coexist with other types. */
			if (strcmp(rr[i].type, ns.type) != 0 &&
			    (strcmp(ns.type, "CNAME") == 0 ||
			    strcmp(rr[i].type, "CNAME") == 0)) {
				snprintf(msg, sizeof(msg), "RRSet of type %s with "
				    "DNS name %.256s is not permitted because a "
				    "conflicting RRSet of type %s with the same "
				    "DNS name already exists in zone %s",
				    ns.type, ns.name, rr[i].type,
				    M.r53_zone_name);
				goto bad_batch;
			}
			/* A simple record set excludes routed ones. */
			if (strcmp(rr[i].type, ns.type) == 0 &&
			    (rr[i].set_id == NULL) != (ns.set_id == NULL)) {
				snprintf(msg, sizeof(msg), "RRSet with DNS name "
				    "%.256s, type %s%s%.128s cannot be created "
				    "as a %s set exists with the same name and "
				    "type.", ns.name, ns.type, ns.set_id ?
				    ", SetIdentifier " : "", ns.set_id ?
				    ns.set_id : "", rr[i].set_id ? "routed" :
				    "non-routed");
				goto bad_batch;
			}
		}
		if (at < 0) {
			struct rrset *grown = realloc(rr, (nrr + 1) *
			    sizeof(*rr));

			if (grown == NULL)
				abort();
			rr = grown;
			at = (int)nrr++;
		} else
			mr53_rrset_free(&rr[at]);
		rr[at] = ns;
		memset(&ns, 0, sizeof(ns));
		if (is_cluster_record(&rr[at], cname)) {
			cname_effect = 1;
			free(cname_value);
			cname_value = dup_or_null(rr[at].alias_dns ?
			    rr[at].alias_dns : rr[at].values.v[0]);
		}
	}
	/* Commit. */
	for (i = 0; i < M.nrr; i++)
		mr53_rrset_free(&M.rr[i]);
	free(M.rr);
	M.rr = rr;
	M.nrr = nrr;
	rr = NULL;
	nrr = 0;
	if ((nc = realloc(M.ch, (M.nch + 1) * sizeof(*M.ch))) == NULL)
		abort();
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
bad_batch:
	invalid_batch(r, msg);
	goto out;
bad_input:
	mr53_error(r, 400, "InvalidInput", msg);
out:
	mr53_rrset_free(&ns);
	for (i = 0; i < nrr; i++)
		mr53_rrset_free(&rr[i]);
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
	mr53_error(r, 404, "NoSuchChange", msg);
}

static void
get_zone(struct mresp *r)
{
	char rid[37];

	r->status = 200;
	r->ctype = "text/xml";
	request_id(r, rid);
	buf_puts(&r->body, XHDR "<GetHostedZoneResponse xmlns=\"" NS "\">"
	    "<HostedZone><Id>/hostedzone/");
	xml_escape(&r->body, M.r53_zone_id);
	buf_puts(&r->body, "</Id><Name>");
	name_out(&r->body, M.r53_zone_name);
	buf_printf(&r->body, "</Name><CallerReference>vaultdr-mock-%s"
	    "</CallerReference><Config><Comment>vaultdr-mock</Comment>"
	    "<PrivateZone>false</PrivateZone></Config>"
	    "<ResourceRecordSetCount>%zu</ResourceRecordSetCount>"
	    "</HostedZone><DelegationSet><NameServers>"
	    "<NameServer>ns-1.awsdns-mock.test</NameServer>"
	    "<NameServer>ns-2.awsdns-mock.test</NameServer>"
	    "</NameServers></DelegationSet></GetHostedZoneResponse>\n",
	    M.r53_zone_id, M.nrr);
}

static void
list_rrsets(const struct mreq *q, struct mresp *r)
{
	char name[512], type[32], ident[256], mx[32], rid[37], *nn = NULL;
	char *end;
	int has_name, has_type, has_id, trunc;
	long max = 300, shown = 0;
	size_t i;

	has_name = mreq_query_param(q, "name", name, sizeof(name), 0);
	has_type = mreq_query_param(q, "type", type, sizeof(type), 0);
	has_id = mreq_query_param(q, "identifier", ident, sizeof(ident), 0);
	if (has_type && !has_name) {
		mr53_error(r, 400, "InvalidInput", "The input is not valid: "
		    "type requires name");
		return;
	}
	if (has_id && !has_type) {
		mr53_error(r, 400, "InvalidInput", "The input is not valid: "
		    "identifier requires name and type");
		return;
	}
	if (has_type && !mr53_valid_type(type)) {
		mr53_error(r, 400, "InvalidInput", "Invalid type");
		return;
	}
	if (mreq_query_param(q, "maxitems", mx, sizeof(mx), 0)) {
		max = strtol(mx, &end, 10);
		if (mx[0] == '\0' || *end || max < 1 || max > 300) {
			mr53_error(r, 400, "InvalidInput", "maxitems must be an "
			    "integer from 1 to 300");
			return;
		}
	}
	qsort(M.rr, M.nrr, sizeof(*M.rr), rr_cmp);
	if (has_name)
		nn = mr53_norm_name(name);
	r->status = 200;
	r->ctype = "text/xml";
	request_id(r, rid);
	buf_puts(&r->body, XHDR "<ListResourceRecordSetsResponse xmlns=\"" NS
	    "\"><ResourceRecordSets>");
	for (i = 0; i < M.nrr; i++) {
		if (nn) {
			int c = name_cmp(M.rr[i].name, nn);

			if (c == 0 && has_type)
				c = strcmp(M.rr[i].type, type);
			if (c == 0 && has_id)
				c = id_cmp(M.rr[i].set_id, ident);
			if (c < 0)
				continue;
		}
		if (shown == max || shown == M.r53_page_size)
			break;
		rr_xml(&r->body, &M.rr[i]);
		shown++;
	}
	trunc = i < M.nrr;
	buf_printf(&r->body, "</ResourceRecordSets><IsTruncated>%s"
	    "</IsTruncated>", trunc ? "true" : "false");
	if (trunc) {
		struct buf n = { 0 };

		name_out(&n, M.rr[i].name);
		buf_puts(&r->body, "<NextRecordName>");
		xml_escape(&r->body, n.data ? n.data : "");
		buf_printf(&r->body, "</NextRecordName><NextRecordType>%s"
		    "</NextRecordType>", M.rr[i].type);
		buf_free(&n);
		if (M.rr[i].set_id) {
			buf_puts(&r->body, "<NextRecordIdentifier>");
			xml_escape(&r->body, M.rr[i].set_id);
			buf_puts(&r->body, "</NextRecordIdentifier>");
		}
	}
	buf_printf(&r->body, "<MaxItems>%ld</MaxItems>"
	    "</ListResourceRecordSetsResponse>\n", max);
	free(nn);
}

void
mr53_handle(const struct mreq *q, struct mresp *r)
{
	const char *p = q->path, *zone = "/2013-04-01/hostedzone/";
	size_t zl = strlen(zone);
	struct msig_keys k = { M.r53_access_key, M.r53_secret_key,
		M.r53_session_token, "route53", M.r53_region, mr53_error };

	if (msig_verify(q, r, &k) == -1)
		return;
	if (strncmp(p, zone, zl) == 0) {
		const char *id = p + zl, *slash = strchr(id, '/');
		size_t n = slash ? (size_t)(slash - id) : strlen(id);
		char msg[200];

		if (n != strlen(M.r53_zone_id) ||
		    strncmp(id, M.r53_zone_id, n) != 0) {
			snprintf(msg, sizeof(msg), "No hosted zone found with "
			    "ID: %.*s", (int)(n > 64 ? 64 : n), id);
			mr53_error(r, 404, "NoSuchHostedZone", msg);
			return;
		}
		if (slash == NULL && strcmp(q->method, "GET") == 0) {
			get_zone(r);
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
	mr53_error(r, 404, "UnknownOperationException", "The operation is not "
	    "modeled by vaultdr-mock");
}
