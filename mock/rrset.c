/* rrset.c - the mock's Route 53 record sets (rrset.h): canonical names,
 * Route 53's validation of a record set, its JSON for the state dump. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mock/rrset.h"

static int
octal(char c)
{
	return c >= '0' && c <= '7';
}

char *
mr53_norm_name(const char *s)
{
	size_t n = strlen(s), i, k = 0;
	char *o = malloc(n + 2);

	if (o == NULL)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Route 53 writes bytes outside a-z 0-9 - _ as \ooo ('*' is
		 * \052); a request may too. */
		if (c == '\\' && octal(s[i + 1]) && octal(s[i + 2]) &&
		    octal(s[i + 3]) && s[i + 1] <= '3') {
			c = (unsigned char)((s[i + 1] - '0') * 64 +
			    (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		o[k++] = (char)tolower(c);
	}
	if (k == 0 || o[k - 1] != '.')
		o[k++] = '.';
	o[k] = '\0';
	return o;
}

int
mr53_valid_type(const char *t)
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

void
mr53_rrset_free(struct rrset *r)
{
	free(r->name);
	free(r->type);
	free(r->set_id);
	strv_free(&r->values);
	free(r->failover);
	free(r->region);
	free(r->health_check);
	free(r->alias_zone);
	free(r->alias_dns);
	memset(r, 0, sizeof(*r));
}

/* "key": v, only when v is set. */
static void
opt_str(struct json_writer *w, const char *key, const char *v)
{
	if (v == NULL)
		return;
	json_key(w, key);
	json_str(w, v);
}

void
mr53_rrset_json(struct json_writer *w, const struct rrset *r)
{
	size_t k;

	json_obj_begin(w);
	json_key(w, "name");
	json_str(w, r->name);
	json_key(w, "type");
	json_str(w, r->type);
	json_key(w, "ttl");
	if (r->alias_dns)
		json_null(w);
	else
		json_int(w, r->ttl);
	/* "value": the first value, or an alias's target name. */
	json_key(w, "value");
	json_str(w, r->alias_dns ? r->alias_dns : r->values.n ?
	    r->values.v[0] : "");
	if (r->values.n > 1) {
		json_key(w, "values");
		json_arr_begin(w);
		for (k = 0; k < r->values.n; k++)
			json_str(w, r->values.v[k]);
		json_arr_end(w);
	}
	opt_str(w, "set_identifier", r->set_id);
	if (r->has_weight) {
		json_key(w, "weight");
		json_int(w, r->weight);
	}
	opt_str(w, "failover", r->failover);
	opt_str(w, "region", r->region);
	opt_str(w, "health_check_id", r->health_check);
	if (r->alias_dns) {
		json_key(w, "alias_target");
		json_obj_begin(w);
		json_key(w, "hosted_zone_id");
		json_str(w, r->alias_zone);
		json_key(w, "dns_name");
		json_str(w, r->alias_dns);
		json_key(w, "evaluate_target_health");
		json_bool(w, r->alias_eval);
		json_obj_end(w);
	}
	json_obj_end(w);
}

int
mr53_rrset_check(const struct rrset *r, char *msg, size_t msgsz)
{
	size_t i, k;
	int routing = (r->has_weight != 0) + (r->failover != NULL) +
	    (r->region != NULL);

	if (!mr53_valid_type(r->type)) {
		snprintf(msg, msgsz, "Invalid type '%.32s'", r->type);
		return -1;
	}
	if (r->set_id && (r->set_id[0] == '\0' || strlen(r->set_id) > 128)) {
		snprintf(msg, msgsz, "SetIdentifier must be 1 to 128 "
		    "characters");
		return -1;
	}
	if (r->set_id ? routing != 1 : routing != 0) {
		snprintf(msg, msgsz, "RRSet with DNS name %.256s, type %s: a "
		    "SetIdentifier goes with exactly one of Weight, Region and "
		    "Failover, and they need a SetIdentifier", r->name, r->type);
		return -1;
	}
	if (r->has_weight && (r->weight < 0 || r->weight > 255)) {
		snprintf(msg, msgsz, "Weight must be from 0 to 255");
		return -1;
	}
	if (r->failover && strcmp(r->failover, "PRIMARY") &&
	    strcmp(r->failover, "SECONDARY")) {
		snprintf(msg, msgsz, "Failover must be PRIMARY or SECONDARY");
		return -1;
	}
	if (r->alias_dns) {
		if (r->values.n || r->ttl != -1 || r->alias_zone == NULL ||
		    r->alias_zone[0] == '\0' || r->alias_dns[0] == '\0') {
			snprintf(msg, msgsz, "RRSet with DNS name %.256s: an alias "
			    "has a HostedZoneId and a DNSName and no TTL or "
			    "ResourceRecords", r->name);
			return -1;
		}
		return 0;
	}
	if (r->ttl < 0 || r->ttl > 2147483647LL || r->values.n == 0) {
		snprintf(msg, msgsz, "RRSet with DNS name %.256s: needs a TTL "
		    "from 0 to 2147483647 and at least one value", r->name);
		return -1;
	}
	for (i = 0; i < r->values.n; i++) {
		const char *v = r->values.v[i];
		unsigned char ip[16];
		size_t vl = strlen(v);
		const char *why = NULL;

		for (k = 0; k < i; k++)
			if (strcmp(r->values.v[k], v) == 0)
				why = "Duplicate Resource Record";
		if (strcmp(r->type, "A") == 0 && inet_pton(AF_INET, v, ip) != 1)
			why = "ARRDATAIllegalIPv4Address (Value is not a valid "
			    "IPv4 address)";
		if (strcmp(r->type, "AAAA") == 0 &&
		    inet_pton(AF_INET6, v, ip) != 1)
			why = "AAAARRDATAIllegalIPv6Address (Value is not a valid "
			    "IPv6 address)";
		if ((strcmp(r->type, "TXT") == 0 || strcmp(r->type, "SPF") == 0) &&
		    (vl < 2 || v[0] != '"' || v[vl - 1] != '"'))
			why = "InvalidCharacterString (Value should be enclosed "
			    "in quotation marks)";
		if (strcmp(r->type, "CNAME") == 0 && !host_name_ok(v))
			why = "DomainLabelContainsIllegalCharacter (Value is not "
			    "a host name)";
		if (why) {
			snprintf(msg, msgsz, "Invalid Resource Record: 'FATAL "
			    "problem: %s encountered with '%.200s''", why, v);
			return -1;
		}
	}
	if (strcmp(r->type, "CNAME") == 0 && r->values.n != 1) {
		snprintf(msg, msgsz, "RRSet of type CNAME with DNS name %.256s "
		    "must have exactly one value", r->name);
		return -1;
	}
	return 0;
}
