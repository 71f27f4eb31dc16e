/* rfc2136.c - read, compare-and-set and wait-until-served over DNS UPDATE
 * with TSIG. See rfc2136.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "retry.h"
#include "rfc2136.h"

static _Thread_local int refused; /* see rfc2136_refused() */

int
rfc2136_refused(void)
{
	return refused;
}

const char *
rfc2136_outcome_name(int outcome)
{
	switch (outcome) {
	case RFC2136_OK: return "OK";
	case RFC2136_CONFLICT: return "CONFLICT";
	case RFC2136_UNKNOWN: return "UNKNOWN";
	default: return "FAILED";
	}
}

/* Does name lie in zone (or equal it)? */
static int
in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (z && zone[z - 1] == '.')
		z--;
	if (n && name[n - 1] == '.')
		n--;
	if (z == 0)
		return 1;
	if (n < z)
		return 0;
	if (n > z && name[n - z - 1] != '.')
		return 0;
	return strncasecmp(name + n - z, zone, z) == 0;
}

/* One exchange: signs m (when key != NULL), sends it to srv, parses the
 * answer into out and verifies its signature. Returns enum rfc2136_outcome:
 * UNKNOWN when the request may have been received but no authenticated
 * answer came (an unsigned BADSIG/BADKEY answer included: it is most likely
 * genuine, and then nothing changed, but a re-read is what proves it);
 * FAILED when it surely was not received or the server refused it in a
 * signed answer. */
static int
exchange(const struct rfc2136 *c, const struct dns_server *srv,
    const struct tsig_key *key, struct dns_w *w, int tcp, struct dns_msg *out)
{
	unsigned char mac[TSIG_MAC_MAX];
	struct buf resp = { 0 };
	size_t maclen = 0;
	int sent = 0, rc = RFC2136_UNKNOWN, v;

	refused = 0;
	if (dns_w_end(w) == -1)
		return RFC2136_FAILED;
	if (key && tsig_sign(key, w->b, &w->len, sizeof(w->b),
	    (uint64_t)time(NULL), mac, &maclen) == -1)
		return RFC2136_FAILED;
	if (dns_exchange(srv, w->b, w->len, tcp,
	    retry_now_ms() + c->timeout_ms, &resp, &sent) == -1) {
		rc = sent ? RFC2136_UNKNOWN : RFC2136_FAILED;
		goto out;
	}
	if (dns_parse((unsigned char *)resp.data, resp.len, out) == -1) {
		err_prefix("answer from %s", srv->host);
		goto out;
	}
	if (key) {
		v = tsig_verify(key, (unsigned char *)resp.data, resp.len,
		    out, mac, maclen, (uint64_t)time(NULL));
		if (v != TSIG_OK) {
			err_prefix("%s port %s", srv->host, srv->port);
			refused = v != TSIG_INVALID;
			rc = v == TSIG_REJECTED ? RFC2136_FAILED :
			    RFC2136_UNKNOWN;
			goto out;
		}
	}
	rc = RFC2136_OK;
out:
	explicit_bzero(mac, sizeof(mac));
	buf_free(&resp);
	return rc;
}

/* Queries name/type at srv; fills set from the authoritative answer. */
static int
query(const struct rfc2136 *c, const struct dns_server *srv,
    const struct tsig_key *key, const char *name, int type,
    struct rfc2136_rrset *set)
{
	struct dns_msg *m;
	struct dns_w *w;
	size_t i;
	int rc = -1;

	m = malloc(sizeof(*m));
	w = malloc(sizeof(*w));
	if (m == NULL || w == NULL) {
		err_set("out of memory");
		goto out;
	}
	dns_w_begin(w, dns_random_id(), DNS_OP_QUERY, 0);
	dns_w_question(w, name, type, DNS_C_IN);
	if (exchange(c, srv, key, w, 0, m) != RFC2136_OK) {
		err_prefix("reading %s %s", dns_type_name(type), name);
		goto out;
	}
	if (m->rcode != DNS_R_NOERROR && m->rcode != DNS_R_NXDOMAIN) {
		refused = m->rcode == DNS_R_REFUSED || m->rcode == DNS_R_NOTAUTH;
		err_set("reading %s %s from %s port %s: the server answered %s",
		    dns_type_name(type), name, srv->host, srv->port,
		    dns_rcode_name(m->rcode));
		goto out;
	}
	if (!(m->flags & DNS_F_AA)) {
		refused = 1;
		err_set("reading %s %s from %s port %s: the answer is not "
		    "authoritative (is it the zone's server?)",
		    dns_type_name(type), name, srv->host, srv->port);
		goto out;
	}
	memset(set, 0, sizeof(*set));
	set->exists = m->rcode == DNS_R_NOERROR;
	for (i = 0; i < m->nrr; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->section != DNS_S_AN || (rr->type != type &&
		    type != DNS_T_ANY) || rr->rclass != DNS_C_IN ||
		    !dns_name_eq(rr->name, name))
			continue;
		if (set->n == RFC2136_MAX_VALUES) {
			err_set("%s %s: more than %d records",
			    dns_type_name(type), name, RFC2136_MAX_VALUES);
			goto out;
		}
		if (set->n == 0)
			set->ttl = rr->ttl;
		if (type == DNS_T_SOA)
			set->soa_serial = rr->serial;
		if (type == DNS_T_ANY)
			snprintf(set->value[set->n++], sizeof(set->value[0]),
			    "%s%s%s", dns_type_name(rr->type), rr->value[0] ?
			    " " : "", rr->value);
		else
			memcpy(set->value[set->n++], rr->value,
			    sizeof(rr->value));
	}
	rc = 0;
out:
	free(m);
	free(w);
	return rc;
}

int
rfc2136_read(const struct rfc2136 *c, const char *name, int type,
    struct rfc2136_rrset *out)
{
	struct rfc2136_rrset soa;

	if (!in_zone(name, c->zone)) {
		err_set("%s is not in zone %s", name, c->zone);
		return RFC2136_FAILED;
	}
	if (query(c, &c->server, c->key, c->zone, DNS_T_SOA, &soa) == -1)
		return RFC2136_FAILED;
	if (soa.n != 1) {
		err_set("%s port %s serves no SOA for zone %s (is it the "
		    "zone's primary?)", c->server.host, c->server.port,
		    c->zone);
		return RFC2136_FAILED;
	}
	if (query(c, &c->server, c->key, name, type, out) == -1)
		return RFC2136_FAILED;
	out->soa_serial = soa.soa_serial;
	return RFC2136_OK;
}

int
rfc2136_replace(const struct rfc2136 *c, const char *name, int type,
    const char *old_value, const char *new_value, uint32_t ttl)
{
	struct dns_msg *m;
	struct dns_w *w;
	int rc = RFC2136_FAILED;

	if (!in_zone(name, c->zone)) {
		err_set("%s is not in zone %s", name, c->zone);
		return RFC2136_FAILED;
	}
	if (c->key == NULL) {
		err_set("DNS UPDATE needs a TSIG key");
		return RFC2136_FAILED;
	}
	m = malloc(sizeof(*m));
	w = malloc(sizeof(*w));
	if (m == NULL || w == NULL) {
		err_set("out of memory");
		goto out;
	}
	dns_w_begin(w, dns_random_id(), DNS_OP_UPDATE, 0);
	dns_w_question(w, c->zone, DNS_T_SOA, DNS_C_IN);
	if (old_value)
		dns_w_rr(w, DNS_S_AN, name, type, DNS_C_IN, 0, old_value);
	else
		dns_w_rr(w, DNS_S_AN, name, DNS_T_ANY, DNS_C_NONE, 0, NULL);
	if (old_value)
		dns_w_rr(w, DNS_S_NS, name, type, DNS_C_NONE, 0, old_value);
	if (new_value)
		dns_w_rr(w, DNS_S_NS, name, type, DNS_C_IN, ttl, new_value);
	rc = exchange(c, &c->server, c->key, w, 1, m);
	if (rc == RFC2136_FAILED) {
		/* never received, or refused for its signature */
		char why[512];
		snprintf(why, sizeof(why), "%s", err_get());
		err_set("UPDATE %s %s: %s; nothing changed",
		    dns_type_name(type), name, why);
		goto out;
	}
	if (rc == RFC2136_UNKNOWN) {
		err_prefix("UPDATE %s %s: outcome unknown", dns_type_name(type),
		    name);
		goto out;
	}
	switch (m->rcode) {
	case DNS_R_NOERROR:
		rc = RFC2136_OK;
		break;
	case DNS_R_YXDOMAIN:
	case DNS_R_YXRRSET:
	case DNS_R_NXDOMAIN:
	case DNS_R_NXRRSET:
		err_set("UPDATE %s %s: prerequisite failed (%s): %s; nothing "
		    "changed", dns_type_name(type), name,
		    dns_rcode_name(m->rcode), old_value ?
		    "the record no longer has the value read" :
		    "the name is already in use");
		rc = RFC2136_CONFLICT;
		break;
	case DNS_R_SERVFAIL:
		err_set("UPDATE %s %s: the server answered SERVFAIL; outcome "
		    "unknown", dns_type_name(type), name);
		rc = RFC2136_UNKNOWN;
		break;
	default:
		refused = m->rcode == DNS_R_REFUSED || m->rcode == DNS_R_NOTAUTH;
		err_set("UPDATE %s %s: the server answered %s%s",
		    dns_type_name(type), name, dns_rcode_name(m->rcode),
		    m->rcode == DNS_R_REFUSED ? " (does update-policy grant "
		    "the key this name and type?)" :
		    m->rcode == DNS_R_NOTAUTH ? " (not the zone's primary, or "
		    "the key is not accepted)" : "");
		rc = RFC2136_FAILED;
	}
out:
	free(m);
	free(w);
	return rc;
}

int
rfc2136_replace_cname(const struct rfc2136 *c, const char *name,
    const char *old_value, const char *new_value, uint32_t ttl)
{
	if (new_value == NULL) {
		err_set("CNAME %s: no new value", name);
		return RFC2136_FAILED;
	}
	return rfc2136_replace(c, name, DNS_T_CNAME, old_value, new_value,
	    ttl);
}

int
rfc2136_lock_take(const struct rfc2136 *c, const char *lock_name,
    const char *value, uint32_t ttl)
{
	return rfc2136_replace(c, lock_name, DNS_T_TXT, NULL, value, ttl);
}

int
rfc2136_lock_renew(const struct rfc2136 *c, const char *lock_name,
    const char *old_value, const char *new_value, uint32_t ttl)
{
	return rfc2136_replace(c, lock_name, DNS_T_TXT, old_value, new_value,
	    ttl);
}

int
rfc2136_lock_release(const struct rfc2136 *c, const char *lock_name,
    const char *value)
{
	return rfc2136_replace(c, lock_name, DNS_T_TXT, value, NULL, 0);
}

/* RFC 1982: is a after b? */
static int
serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* c with its per-exchange timeout cut to what is left before deadline, so
 * that a wait ends on time even when a server does not answer. */
static const struct rfc2136 *
bounded(struct rfc2136 *cc, const struct rfc2136 *c, long long deadline)
{
	long long left = deadline - retry_now_ms();

	*cc = *c;
	if (left < cc->timeout_ms)
		cc->timeout_ms = left > 1 ? (int)left : 1;
	return cc;
}

/* Names compare case-insensitively, other values byte for byte. */
static int
same_value(int type, const char *a, const char *b)
{
	if (type == DNS_T_CNAME || type == DNS_T_NS)
		return dns_name_eq(a, b);
	return strcmp(a, b) == 0;
}

/* Does srv serve serial >= min and exactly {value}? 1 yes, 0 not yet
 * (why in note), -1 error. */
static int
served_by(const struct rfc2136 *c, const struct dns_server *srv,
    const char *name, int type, const char *value, uint32_t min,
    long long deadline, char *note, size_t notesz)
{
	struct rfc2136_rrset soa, set;
	struct rfc2136 cc;

	if (query(bounded(&cc, c, deadline), srv, NULL, c->zone, DNS_T_SOA,
	    &soa) == -1 || query(bounded(&cc, c, deadline), srv, NULL, name,
	    type, &set) == -1) {
		snprintf(note, notesz, "%s", err_get());
		return 0;
	}
	if (soa.n != 1 || serial_gt(min, soa.soa_serial)) {
		snprintf(note, notesz, "%s port %s serves serial %u, not yet "
		    "%u", srv->host, srv->port, soa.n ? soa.soa_serial : 0,
		    min);
		return 0;
	}
	if (value ? set.n != 1 || !same_value(type, set.value[0], value) :
	    set.n != 0) {
		snprintf(note, notesz, "%s port %s answers %s %s with %s", srv->host,
		    srv->port, dns_type_name(type), name,
		    set.n ? set.value[0] : "nothing");
		return 0;
	}
	return 1;
}

/* The servers that must serve a change: check_servers, else the zone's NS
 * set (each on port 53). 0 / -1 (err_set). */
static int
check_set(const struct rfc2136 *c, const char *const *check_servers,
    long long deadline, struct dns_server *srv, size_t *nsrv)
{
	struct rfc2136_rrset set;
	struct rfc2136 cc;
	size_t i;

	*nsrv = 0;
	if (check_servers) {
		for (; check_servers[*nsrv]; (*nsrv)++) {
			if (*nsrv == RFC2136_MAX_VALUES) {
				err_set("more than %d check servers",
				    RFC2136_MAX_VALUES);
				return -1;
			}
			if (dns_server_parse(&srv[*nsrv], check_servers[*nsrv])
			    == -1)
				return -1;
		}
		return 0;
	}
	if (query(bounded(&cc, c, deadline), &c->server, c->key, c->zone,
	    DNS_T_NS, &set) == -1)
		return -1;
	memset(srv, 0, sizeof(*srv) * RFC2136_MAX_VALUES);
	for (i = 0; i < (size_t)set.n; i++, (*nsrv)++) {
		snprintf(srv[i].host, sizeof(srv[i].host), "%s", set.value[i]);
		memcpy(srv[i].port, "53", 3);
	}
	if (*nsrv == 0) {
		err_set("zone %s has no NS records", c->zone);
		return -1;
	}
	return 0;
}

int
rfc2136_served(const struct rfc2136 *c, const char *name, int type,
    const char *value, uint32_t since_serial, const char *const *check_servers,
    long long deadline, char *note, size_t notesz)
{
	struct dns_server srv[RFC2136_MAX_VALUES];
	struct rfc2136_rrset set;
	struct rfc2136 cc;
	size_t nsrv, i;
	int ok;

	/* the primary first: its serial must have moved past since_serial */
	ok = query(bounded(&cc, c, deadline), &c->server, c->key, c->zone,
	    DNS_T_SOA, &set) == 0;
	if (!ok || set.n != 1 || !serial_gt(set.soa_serial, since_serial)) {
		snprintf(note, notesz, "%s", !ok ? err_get() : set.n == 1 ?
		    "the primary's serial has not advanced" :
		    "the primary serves no SOA");
		return 0;
	}
	if (check_set(c, check_servers, deadline, srv, &nsrv) == -1)
		return -1;
	for (i = 0; i < nsrv; i++)
		if (!served_by(c, &srv[i], name, type, value, set.soa_serial,
		    deadline, note, notesz))
			return 0;
	return 1;
}

int
rfc2136_wait_served(const struct rfc2136 *c, const char *name, int type,
    const char *value, uint32_t since_serial, const char *const *check_servers,
    int timeout_ms, int poll_ms)
{
	long long deadline = retry_now_ms() + timeout_ms;
	char note[512] = "";
	int rc;

	while ((rc = rfc2136_served(c, name, type, value, since_serial,
	    check_servers, deadline, note, sizeof(note))) == 0) {
		if (retry_now_ms() + poll_ms > deadline ||
		    retry_sleep(poll_ms / 1000.0) == -1) {
			err_set("%s %s not served after %d s%s: %s",
			    dns_type_name(type), name, timeout_ms / 1000,
			    retry_stop_requested ? " (stopped)" : "", note);
			return -1;
		}
	}
	return rc == 1 ? 0 : -1;
}
