/* config.c - vault_dr.cfg and the environment's settings, read once.
 *
 * Every configuration value is checked here, where the file, line and key
 * (or the variable) are known, so that a bad value is exit 2 before any
 * request is sent. Numbers are decimal only and bounded: a duration above a
 * day is a typo, and a bound keeps every timeout inside an int of
 * milliseconds. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "awscreds.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "hook.h"
#include "http.h"
#include "ini.h"
#include "log.h"
#include "route53.h"
#include "secret.h"
#include "tsig.h"

#define MAX_NUMBER_CHARS 32

/* ---------------------------------------------------------------- numbers */

static const struct unit {
	char suffix;
	double seconds;
} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 } };

/* Decimal digits with an optional fraction and unit, bounded. */
int
config_parse_seconds(const char *name, const char *s, double min, double max,
    double *out)
{
	const char *p = s;
	double v = 0, scale = 1;
	size_t i, digits = 0;

	if (s == NULL || strlen(s) > MAX_NUMBER_CHARS)
		goto bad;
	for (; isdigit((unsigned char)*p); p++, digits++)
		v = v * 10 + (*p - '0');
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			scale /= 10;
			v += (*p - '0') * scale;
		}
	if (digits == 0)
		goto bad;
	for (i = 0; *p && i < sizeof(units) / sizeof(units[0]); i++)
		if (*p == units[i].suffix) {
			v *= units[i].seconds;
			p++;
			break;
		}
	if (*p != '\0' || !(v >= min && v <= max))
		goto bad;
	*out = v;
	return 0;
bad:
	err_set("%s: '%.40s' is not a number of seconds from %g to %g "
	    "(decimal digits, optionally with a fraction like 0.05 and a unit "
	    "s, m or h)", name, s ? s : "", min, max);
	return -1;
}

int
config_parse_whole(const char *name, const char *s, long min, long max,
    long *out)
{
	const char *p;
	long v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 18)
		goto bad;
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	err_set("%s: '%.40s' is not a whole number from %ld to %ld (decimal "
	    "digits only)", name, s ? s : "", min, max);
	return -1;
}

enum num_kind { NUM_SECONDS, NUM_WHOLE };

/* The numeric environment: name, default, accepted range, field. */
static const struct num_var {
	const char *name;
	enum num_kind kind;
	double def, min, max;
	size_t off;
	const char *alias; /* the Vault CLI's name, read when name is unset */
} num_vars[] = {
	{ "VAULTDR_RETRY_BASE", NUM_SECONDS, 30, 0, CONFIG_MAX_RETRY_BASE,
	  offsetof(struct dr_config, retry_base), NULL },
	{ "VAULTDR_MAX_RETRIES", NUM_WHOLE, 10, 0, CONFIG_MAX_RETRIES,
	  offsetof(struct dr_config, max_retries), "VAULT_MAX_RETRIES" },
	{ "VAULTDR_CONNECT_TIMEOUT", NUM_SECONDS, 10, 0.001, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, connect_timeout), NULL },
	{ "VAULTDR_TIMEOUT", NUM_SECONDS, 30, 0.001, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, io_timeout), "VAULT_CLIENT_TIMEOUT" },
	{ "VAULTDR_POLL_INTERVAL", NUM_SECONDS, 5, 0, CONFIG_MAX_POLL,
	  offsetof(struct dr_config, poll_interval), NULL },
	{ "VAULTDR_INSYNC_TIMEOUT", NUM_SECONDS, 300, 0, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, insync_timeout), NULL },
	{ "VAULTDR_READY_TIMEOUT", NUM_SECONDS, 120, 0, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, ready_timeout), NULL },
	{ "DNS_PROPAGATION_DELAY", NUM_SECONDS, 0, 0, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, dns_delay), NULL },
	{ "VAULTDR_LOCK_TTL", NUM_SECONDS, 900, 1, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, lock_ttl), NULL },
	{ "VAULTDR_CATCHUP_TIMEOUT", NUM_SECONDS, 60, 0, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, catchup_timeout), NULL },
	{ "VAULTDR_MAX_LAG_WALS", NUM_WHOLE, 0, 0, CONFIG_MAX_LAG_WALS,
	  offsetof(struct dr_config, max_lag_wals), NULL },
	{ "VAULTDR_ALLOW_HTTP", NUM_WHOLE, 0, 0, 1,
	  offsetof(struct dr_config, allow_http), NULL },
	{ "VAULTDR_HOOK_TIMEOUT", NUM_SECONDS, 60, 0.001, CONFIG_MAX_SECONDS,
	  offsetof(struct dr_config, hook_timeout), NULL },
};

/* Settings that are file names or names, copied as given. */
static const struct str_var {
	const char *name;
	size_t off;
} str_vars[] = {
	{ "VAULT_CACERT", offsetof(struct dr_config, vault_cacert) },
	{ "VAULT_CAPATH", offsetof(struct dr_config, vault_capath) },
	{ "VAULT_CLIENT_CERT", offsetof(struct dr_config, vault_client_cert) },
	{ "VAULT_CLIENT_KEY", offsetof(struct dr_config, vault_client_key) },
	{ "VAULT_TLS_SERVER_NAME",
	  offsetof(struct dr_config, vault_tls_server_name) },
	{ "AWS_CA_BUNDLE", offsetof(struct dr_config, aws_ca_bundle) },
};

/* Unset: the default. Set (even to ""): must parse. 0 / -1. */
static int
num_from_env(const struct num_var *nv, struct dr_config *c)
{
	const char *name = nv->name, *s = getenv(name);
	char *field = (char *)c + nv->off;
	double d = nv->def;
	long l = (long)nv->def;

	/* The Vault CLI's variable, as users set it for `vault`, when ours
	 * is not set; a malformed value is an error naming it. */
	if (s == NULL && nv->alias && (s = getenv(nv->alias)) != NULL)
		name = nv->alias;
	if (nv->kind == NUM_WHOLE) {
		if (s && config_parse_whole(name, s, (long)nv->min,
		    (long)nv->max, &l) == -1)
			return -1;
		*(int *)(void *)field = (int)l;
		return 0;
	}
	if (s && config_parse_seconds(name, s, nv->min, nv->max, &d) == -1)
		return -1;
	*(double *)(void *)field = d;
	return 0;
}

int
config_from_env(struct dr_config *c)
{
	const char *ep = getenv("AWS_ENDPOINT_URL_ROUTE_53");
	const char *rr = getenv("VAULTDR_ROUTE53_REGION"), *region = rr;
	struct url u;
	size_t i;

	if (rr && *rr && (strlen(rr) > 32 ||
	    strspn(rr, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(rr))) {
		err_set("VAULTDR_ROUTE53_REGION: '%.40s' is not an AWS region "
		    "name (e.g. us-east-1, cn-northwest-1, us-gov-west-1)", rr);
		return -1;
	}
	if (region == NULL || *region == '\0')
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (ep == NULL || *ep == '\0')
		ep = getenv("AWS_ENDPOINT_URL");
	/* No endpoint given: the Route 53 endpoint of the region's partition
	 * (aws, aws-cn, aws-us-gov). */
	if (ep == NULL || *ep == '\0')
		ep = awscreds_route53_endpoint(region);
	if (url_parse(ep, &u) == -1) {
		err_prefix("Route 53 endpoint");
		return -1;
	}
	free(c->r53_region);
	c->r53_region = strdup(awscreds_route53_region(u.host, rr));
	url_free(&u);
	free(c->r53_endpoint);
	if ((c->r53_endpoint = strdup(ep)) == NULL || c->r53_region == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(num_vars) / sizeof(num_vars[0]); i++)
		if (num_from_env(&num_vars[i], c) == -1)
			return -1;
	for (i = 0; i < sizeof(str_vars) / sizeof(str_vars[0]); i++) {
		char **field = (char **)(void *)((char *)c + str_vars[i].off);
		const char *v = getenv(str_vars[i].name);

		free(*field);
		*field = NULL;
		if (v && *v && (*field = strdup(v)) == NULL) {
			err_set("out of memory");
			return -1;
		}
	}
	ep = getenv("VAULT_SKIP_VERIFY");
	c->vault_skip_verify = ep && *ep && strcmp(ep, "0") != 0 &&
	    strcasecmp(ep, "false") != 0;
	if (c->poll_interval < 0.01)
		c->poll_interval = 0.01;
	return 0;
}

/* ------------------------------------------------------------------ URLs */

int
config_check_schemes(const struct dr_config *c)
{
	/* Every AWS API endpoint a run may call: STS and SSO sign or carry
	 * credentials too. (Instance metadata and container credentials are
	 * plain HTTP by design, limited to local addresses in awscreds.c.) */
	const char *what[6] = { "the primary cluster URL",
		"the secondary cluster URL", "the Route 53 endpoint",
		"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
		"AWS_ENDPOINT_URL" };
	const char *url[6] = { c->url[0], c->url[1],
		c->dns_provider == CONFIG_DNS_RFC2136 ? NULL : c->r53_endpoint,
		getenv("AWS_ENDPOINT_URL_STS"), getenv("AWS_ENDPOINT_URL_SSO"),
		getenv("AWS_ENDPOINT_URL") };
	int i;

	if (c->allow_http)
		return 0;
	for (i = 0; i < 6; i++)
		if (url[i] && *url[i] &&
		    strncasecmp(url[i], "https://", 8) != 0) {
			err_set("config check: %s %s is not https://: the Vault "
			    "token, recovery keys and AWS signatures would cross "
			    "the network in clear. Use https://, or set "
			    "VAULTDR_ALLOW_HTTP=1 for a test setup", what[i],
			    url[i]);
			return -1;
		}
	return 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static const struct scheme {
	const char *name;
	long port;
} schemes[] = { { "https", 443 }, { "http", 80 } };

/* The host (lower case, one trailing dot removed) and port (0: none) of the
 * authority hs[0..aend) of URL in. 0 / -1 (err_set). */
static int
host_port(const char *in, const char *hs, const char *aend, char *host,
    size_t hostsz, long *port)
{
	const char *he, *p;
	size_t hl;

	if (*hs == '[') {
		if ((he = memchr(hs, ']', (size_t)(aend - hs))) == NULL) {
			err_set("%s: missing ']' after the IPv6 address", in);
			return -1;
		}
		he++;
	} else if ((he = memchr(hs, ':', (size_t)(aend - hs))) == NULL)
		he = aend;
	hl = (size_t)(he - hs);
	if (hl > 0 && *hs != '[' && hs[hl - 1] == '.')
		hl--;
	if (hl == 0 || hl >= hostsz || hs[hl - 1] == '.') {
		err_set("%s: the host is empty, too long or ends in '..'", in);
		return -1;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	lower(host);
	*port = 0;
	if (he == aend)
		return 0;
	if (*he != ':') {
		err_set("%s: unexpected text after the host", in);
		return -1;
	}
	for (p = he + 1; p < aend && *port >= 0; p++)
		*port = isdigit((unsigned char)*p) && *port <= 65535 ?
		    *port * 10 + (*p - '0') : -1;
	if (*port < 1 || *port > 65535) {
		err_set("%s: bad port (1-65535)", in);
		return -1;
	}
	return 0;
}

int
config_url_normalise(const char *in, char *out, size_t outsz)
{
	const struct scheme *sc = NULL;
	const char *auth, *aend;
	char host[256];
	long port;
	size_t i;
	int n;

	if (outsz > 0)
		out[0] = '\0';
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(in, schemes[i].name, strlen(schemes[i].name))
		    == 0 && strncmp(in + strlen(schemes[i].name), "://", 3) == 0)
			sc = &schemes[i];
	if (sc == NULL) {
		err_set("%s: the scheme must be https:// (or http://)", in);
		return -1;
	}
	if (strchr(in, '#') != NULL) {
		err_set("%s: a cluster address has no #fragment", in);
		return -1;
	}
	if (strchr(in, '?') != NULL) {
		err_set("%s: a cluster address has no ?query", in);
		return -1;
	}
	auth = in + strlen(sc->name) + 3;
	aend = auth + strcspn(auth, "/");
	if (memchr(auth, '@', (size_t)(aend - auth)) != NULL) {
		err_set("%s: a cluster address has no user@ part", in);
		return -1;
	}
	if (strcmp(aend, "") != 0 && strcmp(aend, "/") != 0) {
		err_set("%s: give the cluster address without a path", in);
		return -1;
	}
	if (host_port(in, auth, aend, host, sizeof(host), &port) == -1)
		return -1;
	if (port == 0 || port == sc->port)
		n = snprintf(out, outsz, "%s://%s", sc->name, host);
	else
		n = snprintf(out, outsz, "%s://%s:%ld", sc->name, host, port);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		err_set("%s: address too long", in);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ file */

static const char *const known_suffixes[] = {
	"primary_vault_cluster_domain", "secondary_vault_cluster_domain",
	"cluster_cname", "primary_dns_target", "secondary_dns_target",
	"hosted_zone_id", "record_ttl", "pre_change_hook", "fence_hook",
	"post_hook", "dns_provider", "dns_server", "dns_zone", "tsig_key_name",
	"tsig_algorithm", "tsig_key_file", "dns_check_servers",
	/* issue 12: record kind and activation flow (cfg_where) */
	"record_type", "primary_alias_zone_id", "secondary_alias_zone_id",
	"evaluate_target_health", "activation",
	NULL,
};

const char *const config_hook_phase[CONFIG_HOOKS] = { "pre_change", "fence",
	"post" };


static const char *const known_r53_keys[] = { "HostedZoneID", NULL };

/* The seed's rule (as Python's configparser by default): a '#' after a value
 * is part of the value. Said whenever a refused value holds one. */
static const char *
hash_hint(const char *v)
{
	return strchr(v, '#') ? "; a '#' inside a value is part of the value "
	    "(inline comments are not supported: put a comment on its own "
	    "line)" : "";
}

/* Value of "<env>_<suffix>" in the environment's section, or NULL. */
static const struct ini_entry *
cfg_entry(const struct ini *ini, const struct dr_config *c, const char *suffix)
{
	char key[256];

	snprintf(key, sizeof(key), "%s_%s", c->env, suffix);
	return ini_find(ini, c->section, key);
}

/* A cluster URL: *out the value without trailing '/', *host its host,
 * norm its normalised form (config_url_normalise), *ep its entry. */
static int
cfg_url(const struct ini *ini, struct dr_config *c, const char *suffix,
    char **out, char **host, char *norm, size_t normsz,
    const struct ini_entry **ep)
{
	const struct ini_entry *e = cfg_entry(ini, c, suffix);
	struct url u;
	size_t n;

	*ep = e;
	if (e == NULL || e->value[0] == '\0') {
		err_set("%s: [%s] has no %s_%s", c->path, c->section, c->env,
		    suffix);
		return -1;
	}
	if (config_url_normalise(e->value, norm, normsz) == -1) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", err_get());
		err_set("%s:%d: %s: %s%s", c->path, e->line, e->key, why,
		    hash_hint(e->value));
		return -1;
	}
	if (url_parse(e->value, &u) == -1) {
		err_prefix("%s:%d: %s", c->path, e->line, e->key);
		return -1;
	}
	*host = strdup(u.host);
	url_free(&u);
	*out = strdup(e->value);
	if (*out == NULL || *host == NULL)
		return -1;
	n = strlen(*out);
	while (n > 0 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	return 0;
}

/* Warns about every key of section that is not known (keys "<env>_<x>" when
 * env is given, else keys of the list). */
static void
warn_unknown(const struct ini *ini, const char *path, const char *section,
    const char *env, const char *const *known)
{
	size_t i, k, pl = env ? strlen(env) : 0;

	for (i = 0; i < ini->n; i++) {
		const struct ini_entry *x = &ini->e[i];
		const char *rest = x->key;
		int ok = 0;

		if (strcasecmp(x->section, section) != 0)
			continue;
		if (env) {
			if (strncasecmp(x->key, env, pl) != 0 ||
			    x->key[pl] != '_')
				rest = NULL;
			else
				rest = x->key + pl + 1;
		}
		for (k = 0; rest && known[k]; k++)
			if (strcasecmp(rest, known[k]) == 0)
				ok = 1;
		if (!ok)
			log_warn("%s:%d: unknown key '%s' in [%s] ignored", path,
			    x->line, x->key, x->section);
	}
}

/* The section [Vault-Cluster-<env>] (case-insensitive) into c->section. */
static int
find_section(const struct ini *ini, const char *path, const char *env,
    struct dr_config *c)
{
	struct buf have = { 0 };
	char sect[256];
	size_t i;

	snprintf(sect, sizeof(sect), "Vault-Cluster-%s", env);
	for (i = 0; i < ini->nsections; i++)
		if (strcasecmp(ini->sections[i], sect) == 0) {
			if ((c->section = strdup(ini->sections[i])) == NULL)
				return -1;
			return 0;
		}
	for (i = 0; i < ini->nsections; i++)
		if (strncasecmp(ini->sections[i], "Vault-Cluster-", 14) == 0)
			buf_printf(&have, "%s%s", have.len ? ", " : "",
			    ini->sections[i] + 14);
	err_set("unknown environment '%s': %s has no [%s] section "
	    "(environments: %s)", env, path, sect,
	    have.len ? have.data : "none");
	buf_free(&have);
	return -1;
}

/* Both clusters, their DNS targets, and the checks between them. */
static int
cfg_clusters(const struct ini *ini, const char *path, struct dr_config *c)
{
	static const char *const role[2] = { "primary", "secondary" };
	const struct ini_entry *ue[2] = { NULL, NULL }, *te[2] = { NULL, NULL };
	char *host[2] = { NULL, NULL }, norm[2][300], suffix[64];
	char tkey[2][300];
	int k, rc = -1;

	for (k = 0; k < 2; k++) {
		snprintf(suffix, sizeof(suffix), "%s_vault_cluster_domain",
		    role[k]);
		if (cfg_url(ini, c, suffix, &c->url[k], &host[k], norm[k],
		    sizeof(norm[k]), &ue[k]) == -1)
			goto out;
		snprintf(suffix, sizeof(suffix), "%s_dns_target", role[k]);
		te[k] = cfg_entry(ini, c, suffix);
		c->dns_target[k] = strdup(te[k] ? te[k]->value : host[k]);
		if (c->dns_target[k] == NULL)
			goto out;
		r53_strip_dot(c->dns_target[k]);
		if (te[k])
			snprintf(tkey[k], sizeof(tkey[k]), "%s", te[k]->key);
		else
			snprintf(tkey[k], sizeof(tkey[k]), "the host of %s",
			    ue[k]->key);
		if (r53_valid_hostname(c->dns_target[k]))
			continue;
		if (te[k])
			err_set("%s:%d: %s: '%s' is not a host name (a CNAME "
			    "value names a host, not a URL)%s", path,
			    te[k]->line, te[k]->key, te[k]->value,
			    hash_hint(te[k]->value));
		else
			err_set("%s: [%s]: the %s cluster's address host '%s' "
			    "cannot be a CNAME value; set %s_%s_dns_target",
			    path, c->section, role[k], host[k], c->env,
			    role[k]);
		goto out;
	}
	if (strcmp(norm[0], norm[1]) == 0) {
		err_set("%s: [%s]: %s (line %d) and %s (line %d) name the same "
		    "cluster %s; give the two clusters' own addresses", path,
		    c->section, ue[0]->key, ue[0]->line, ue[1]->key,
		    ue[1]->line, norm[0]);
		goto out;
	}
	if (strcasecmp(c->dns_target[0], c->dns_target[1]) == 0) {
		err_set("%s: [%s]: both clusters have the DNS target '%s' (%s "
		    "and %s): the CNAME could not tell them apart", path,
		    c->section, c->dns_target[0], tkey[0], tkey[1]);
		goto out;
	}
	rc = 0;
out:
	free(host[0]);
	free(host[1]);
	return rc;
}

/* cname, hosted zone and TTL. */
static int
cfg_record(const struct ini *ini, const char *path, struct dr_config *c)
{
	const struct ini_entry *e;
	const char *z;
	size_t i;

	if ((e = cfg_entry(ini, c, "cluster_cname")) == NULL ||
	    e->value[0] == '\0') {
		err_set("%s: [%s] has no %s_cluster_cname", path, c->section,
		    c->env);
		return -1;
	}
	if (!r53_valid_hostname(e->value)) {
		err_set("%s:%d: %s: '%s' is not a DNS name%s", path, e->line,
		    e->key, e->value, hash_hint(e->value));
		return -1;
	}
	if ((c->cname = strdup(e->value)) == NULL)
		return -1;
	c->ttl = 60;
	if (c->dns_provider == CONFIG_DNS_RFC2136)
		goto ttl; /* no hosted zone: the zone is <env>_dns_zone */
	if ((e = cfg_entry(ini, c, "hosted_zone_id")) != NULL)
		z = e->value;
	else
		z = ini_get(ini, "AWS-Route-53", "HostedZoneID");
	if (z == NULL || z[0] == '\0') {
		err_set("%s: no hosted zone: set HostedZoneID in [AWS-Route-53] "
		    "or %s_hosted_zone_id in [%s]", path, c->env, c->section);
		return -1;
	}
	for (i = 0; z[i]; i++)
		if (!isalnum((unsigned char)z[i]) && z[i] != '/') {
			err_set("%s: hosted zone id '%s' is malformed%s", path, z,
			    hash_hint(z));
			return -1;
		}
	if ((c->zone_id = strdup(z)) == NULL)
		return -1;
ttl:
	if ((e = cfg_entry(ini, c, "record_ttl")) != NULL &&
	    config_parse_whole(e->key, e->value, 0, CONFIG_MAX_TTL,
	    &c->ttl) == -1) {
		err_prefix("%s:%d", path, e->line);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------- DNS */

static const char *const dns_providers[] = { "route53", "rfc2136" };

const char *
config_dns_provider_name(int provider)
{
	return dns_providers[provider == CONFIG_DNS_RFC2136];
}

/* The rfc2136 keys, each copied when set (value "" counts as unset). */
static const struct dns_key {
	const char *suffix;
	size_t off;
} dns_keys[] = {
	{ "dns_server", offsetof(struct dr_config, dns_server) },
	{ "dns_zone", offsetof(struct dr_config, dns_zone) },
	{ "tsig_key_name", offsetof(struct dr_config, tsig_key_name) },
	{ "tsig_algorithm", offsetof(struct dr_config, tsig_algorithm) },
	{ "tsig_key_file", offsetof(struct dr_config, tsig_key_file) },
};

/* "host[:port]" items separated by commas or blanks into a NULL-terminated
 * array. 0 / -1 (err_set: a bad item, too many). */
static int
cfg_check_servers(const struct ini_entry *e, const char *path,
    struct dr_config *c)
{
	const char *p = e->value;
	struct dns_server srv;
	char item[300];
	size_t n = 0, l;

	c->dns_check_servers = calloc(CONFIG_MAX_CHECK_SERVERS + 1,
	    sizeof(char *));
	if (c->dns_check_servers == NULL)
		return -1;
	for (;;) {
		p += strspn(p, ", \t\n");
		if ((l = strcspn(p, ", \t\n")) == 0)
			break;
		if (n == CONFIG_MAX_CHECK_SERVERS || l >= sizeof(item)) {
			err_set("%s:%d: %s: %s", path, e->line, e->key, n ==
			    CONFIG_MAX_CHECK_SERVERS ? "more than 8 servers" :
			    "a server name is too long");
			return -1;
		}
		memcpy(item, p, l);
		item[l] = '\0';
		if (dns_server_parse(&srv, item) == -1) {
			err_prefix("%s:%d: %s", path, e->line, e->key);
			return -1;
		}
		if ((c->dns_check_servers[n++] = strdup(item)) == NULL)
			return -1;
		p += l;
	}
	if (n == 0) {
		err_set("%s:%d: %s is empty (leave it out to check the zone's "
		    "NS set)", path, e->line, e->key);
		return -1;
	}
	return 0;
}

/* <env>_dns_provider and, for rfc2136, the server, zone and TSIG key names,
 * checked now (exit 2 before anything is sent). */
static int
cfg_dns(const struct ini *ini, const char *path, struct dr_config *c)
{
	const struct ini_entry *e, *ke[sizeof(dns_keys) / sizeof(dns_keys[0])];
	struct dns_server srv;
	unsigned char wire[256];
	size_t i;
	int alg;

	c->dns_provider = CONFIG_DNS_ROUTE53;
	if ((e = cfg_entry(ini, c, "dns_provider")) != NULL) {
		for (i = 0; i < 2 && strcasecmp(e->value, dns_providers[i]); i++)
			;
		if (i == 2) {
			err_set("%s:%d: %s: '%s' is not a DNS provider (route53 "
			    "or rfc2136)%s", path, e->line, e->key, e->value,
			    hash_hint(e->value));
			return -1;
		}
		c->dns_provider = (int)i;
	}
	for (i = 0; i < sizeof(dns_keys) / sizeof(dns_keys[0]); i++) {
		char **field = (char **)(void *)((char *)c + dns_keys[i].off);
		if ((ke[i] = cfg_entry(ini, c, dns_keys[i].suffix)) == NULL ||
		    ke[i]->value[0] == '\0') {
			ke[i] = NULL;
			continue;
		}
		if (c->dns_provider != CONFIG_DNS_RFC2136)
			log_warn("%s:%d: %s ignored: %s_dns_provider is not "
			    "rfc2136", path, ke[i]->line, ke[i]->key, c->env);
		else if ((*field = strdup(ke[i]->value)) == NULL)
			return -1;
	}
	e = cfg_entry(ini, c, "dns_check_servers");
	if (c->dns_provider != CONFIG_DNS_RFC2136) {
		if (e)
			log_warn("%s:%d: %s ignored: %s_dns_provider is not "
			    "rfc2136", path, e->line, e->key, c->env);
		return 0;
	}
	if (e && cfg_check_servers(e, path, c) == -1)
		return -1;
	if (c->dns_server == NULL || c->dns_zone == NULL) {
		err_set("%s: [%s]: %s_dns_provider=rfc2136 needs %s_%s (%s)",
		    path, c->section, c->env, c->env, c->dns_server ?
		    "dns_zone" : "dns_server", c->dns_server ? "the zone that "
		    "holds the CNAME" : "the zone's primary server, host[:port]");
		return -1;
	}
	if (dns_server_parse(&srv, c->dns_server) == -1) {
		err_prefix("%s:%d: %s", path, ke[0]->line, ke[0]->key);
		return -1;
	}
	r53_strip_dot(c->dns_zone);
	if (dns_name_to_wire(c->dns_zone, wire, sizeof(wire)) == -1 ||
	    !r53_valid_hostname(c->dns_zone)) {
		err_set("%s:%d: %s: '%s' is not a DNS name%s", path,
		    ke[1]->line, ke[1]->key, c->dns_zone,
		    hash_hint(c->dns_zone));
		return -1;
	}
	if (c->tsig_algorithm && tsig_alg_parse(c->tsig_algorithm, &alg) ==
	    -1) {
		err_prefix("%s:%d: %s", path, ke[3]->line, ke[3]->key);
		return -1;
	}
	if (c->tsig_key_name && dns_name_to_wire(c->tsig_key_name, wire,
	    sizeof(wire)) == -1) {
		err_prefix("%s:%d: %s", path, ke[2]->line, ke[2]->key);
		return -1;
	}
	if (c->tsig_key_name == NULL && c->tsig_key_file == NULL) {
		err_set("%s: [%s]: %s_dns_provider=rfc2136 needs a TSIG key: "
		    "%s_tsig_key_file (a BIND key file), or %s_tsig_key_name "
		    "with the secret in VAULTDR_TSIG_SECRET", path, c->section,
		    c->env, c->env, c->env);
		return -1;
	}
	return 0;
}

/* After cfg_record: the CNAME must lie in the rfc2136 zone. */
static int
cfg_dns_zone_holds(const char *path, struct dr_config *c)
{
	if (c->dns_provider != CONFIG_DNS_RFC2136 ||
	    r53_name_in_zone(c->cname, c->dns_zone))
		return 0;
	err_set("%s: [%s]: %s_cluster_cname %s is not in %s_dns_zone %s", path,
	    c->section, c->env, c->cname, c->env, c->dns_zone);
	return -1;
}

int
config_tsig_key(struct dr_config *c)
{
	struct secret sec = { 0 };
	int alg, rc = -1;

	if (c->dns_provider != CONFIG_DNS_RFC2136 || c->tsig_key)
		return 0;
	if ((c->tsig_key = calloc(1, sizeof(*c->tsig_key))) == NULL) {
		err_set("out of memory");
		return -1;
	}
	if (c->tsig_key_file) {
		if (tsig_key_file(c->tsig_key, c->tsig_key_file,
		    c->tsig_key_name) == -1) {
			err_prefix("%s_tsig_key_file", c->env);
			goto out;
		}
		if (c->tsig_algorithm && (tsig_alg_parse(c->tsig_algorithm,
		    &alg) == -1 || alg != c->tsig_key->alg)) {
			err_set("%s_tsig_algorithm %s differs from the algorithm "
			    "%s of key %s in %s", c->env, c->tsig_algorithm,
			    tsig_alg_name(c->tsig_key->alg), c->tsig_key->name,
			    c->tsig_key_file);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (secret_from_env(&sec, "VAULTDR_TSIG_SECRET") != 1) {
		err_set("VAULTDR_TSIG_SECRET is not set: %s_tsig_key_name %s "
		    "needs its secret (base64, as in BIND's key file), or set "
		    "%s_tsig_key_file", c->env, c->tsig_key_name, c->env);
		goto out;
	}
	if (tsig_key_init(c->tsig_key, c->tsig_key_name, c->tsig_algorithm,
	    sec.s, sec.len) == -1) {
		err_prefix("VAULTDR_TSIG_SECRET");
		goto out;
	}
	rc = 0;
out:
	secret_wipe(&sec);
	if (rc == -1) {
		tsig_key_wipe(c->tsig_key);
		free(c->tsig_key);
		c->tsig_key = NULL;
	}
	return rc;
}

/* The hooks: each an executable path with optional arguments (hook.h's
 * word rules), checked now so that a typo is exit 2 before anything runs. */
static int
cfg_hooks(const struct ini *ini, const char *path, struct dr_config *c)
{
	const struct ini_entry *e;
	char suffix[32], **argv = NULL;
	int i;

	for (i = 0; i < CONFIG_HOOKS; i++) {
		snprintf(suffix, sizeof(suffix), "%s_hook", config_hook_phase[i]);
		if ((e = cfg_entry(ini, c, suffix)) == NULL || e->value[0] == '\0')
			continue;
		if (hook_split(e->value, &argv) == -1) {
			err_prefix("%s:%d: %s", path, e->line, e->key);
			return -1;
		}
		if (strchr(argv[0], '/') == NULL || access(argv[0], X_OK) == -1) {
			err_set("%s:%d: %s: '%s' is not %s (a hook is the path "
			    "of an executable, run without a shell)", path,
			    e->line, e->key, argv[0], strchr(argv[0], '/') ?
			    "an executable file" : "a path");
			hook_argv_free(argv);
			return -1;
		}
		hook_argv_free(argv);
		if ((c->hook[i] = strdup(e->value)) == NULL)
			return -1;
	}
	return 0;
}

/* A yes/no value: true/false, yes/no, 1/0 (case ignored). 0 / -1. */
static int
cfg_bool(const char *v, int *out)
{
	static const char *const t[] = { "true", "yes", "1" },
	    *const f[] = { "false", "no", "0" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(v, t[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, f[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* A key for alias records with record type CNAME: -1 (err_set). */
static int
alias_only(const char *path, const struct ini_entry *e,
    const struct dr_config *c)
{
	err_set("%s:%d: %s is for alias records only: set %s_record_type = "
	    "A-alias or AAAA-alias, or remove it", path, e->line, e->key,
	    c->env);
	return -1;
}

/* Issue 12: <env>_record_type with the alias keys, and <env>_activation. */
static int
cfg_where(const struct ini *ini, const char *path, struct dr_config *c)
{
	static const char *const role[2] = { "primary", "secondary" };
	const struct ini_entry *e, *z[2];
	enum r53_kind k = R53_CNAME;
	char suffix[40];
	size_t i;
	int j;

	if ((e = cfg_entry(ini, c, "record_type")) != NULL &&
	    r53_kind_parse(e->value, &k) == -1) {
		err_set("%s:%d: %s: '%s' is not a record type: use CNAME, "
		    "A-alias or AAAA-alias%s", path, e->line, e->key, e->value,
		    hash_hint(e->value));
		return -1;
	}
	c->record_kind = (int)k;
	if (k != R53_CNAME && c->dns_provider == CONFIG_DNS_RFC2136) {
		err_set("%s:%d: %s: with rfc2136 the record is a CNAME", path,
		    e->line, e->key);
		return -1;
	}
	for (j = 0; j < 2; j++) {
		snprintf(suffix, sizeof(suffix), "%s_alias_zone_id", role[j]);
		z[j] = cfg_entry(ini, c, suffix);
		if (z[j] && k == R53_CNAME)
			return alias_only(path, z[j], c);
		if (k == R53_CNAME)
			continue;
		if (z[j] == NULL || z[j]->value[0] == '\0') {
			err_set("%s: [%s]: %s_record_type is %s: set %s_%s (the "
			    "hosted zone id of that load balancer)", path,
			    c->section, c->env, r53_kind_name(k), c->env,
			    suffix);
			return -1;
		}
		for (i = 0; z[j]->value[i]; i++)
			if (!isalnum((unsigned char)z[j]->value[i])) {
				err_set("%s:%d: %s: hosted zone id '%s' is "
				    "malformed%s", path, z[j]->line, z[j]->key,
				    z[j]->value, hash_hint(z[j]->value));
				return -1;
			}
		if ((c->alias_zone[j] = strdup(z[j]->value)) == NULL)
			return -1;
	}
	if ((e = cfg_entry(ini, c, "evaluate_target_health")) != NULL) {
		if (cfg_bool(e->value, &c->evaluate_target_health) == -1) {
			err_set("%s:%d: %s: '%s' is not true or false%s", path,
			    e->line, e->key, e->value, hash_hint(e->value));
			return -1;
		}
		if (k == R53_CNAME)
			return alias_only(path, e, c);
	}
	if ((e = cfg_entry(ini, c, "activation")) != NULL) {
		if (strcasecmp(e->value, "wrapped") == 0)
			c->activation = CONFIG_ACT_WRAPPED;
		else if (strcasecmp(e->value, "public-key") == 0)
			c->activation = CONFIG_ACT_PUBLIC_KEY;
		else {
			err_set("%s:%d: %s: '%s' is not an activation flow: use "
			    "wrapped or public-key%s", path, e->line, e->key,
			    e->value, hash_hint(e->value));
			return -1;
		}
	}
	return 0;
}

int
config_from_ini(const struct ini *ini, const char *path, const char *env,
    struct dr_config *c)
{
	size_t i;

	if ((c->path = strdup(path)) == NULL || (c->env = strdup(env)) == NULL)
		goto nomem;
	for (i = 0; c->env[i]; i++) {
		unsigned char ch = (unsigned char)c->env[i];
		if (!isalnum(ch) && ch != '-' && ch != '_') {
			err_set("environment name '%s' may hold only letters, "
			    "digits, '-' and '_'", env);
			return -1;
		}
		c->env[i] = (char)tolower(ch);
	}
	if (c->env[0] == '\0') {
		err_set("the environment name is empty");
		return -1;
	}
	if (find_section(ini, path, env, c) == -1 ||
	    cfg_clusters(ini, path, c) == -1 || cfg_dns(ini, path, c) == -1 ||
	    cfg_record(ini, path, c) == -1 ||
	    cfg_dns_zone_holds(path, c) == -1 || cfg_hooks(ini, path, c) == -1 ||
	    cfg_where(ini, path, c) == -1)
		goto fail;
	/* Unknown keys are warned about, not silently ignored. */
	warn_unknown(ini, path, c->section, c->env, known_suffixes);
	warn_unknown(ini, path, "AWS-Route-53", NULL, known_r53_keys);
	return 0;
nomem:
	err_set("out of memory");
	return -1;
fail:
	if (err_get()[0] == '\0')
		err_set("out of memory");
	return -1;
}

int
config_load(const char *path, const char *env, struct dr_config *c)
{
	struct ini ini;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	memset(&ini, 0, sizeof(ini));
	err_clear();
	if (path == NULL || *path == '\0')
		path = getenv("VAULTDR_CONFIG");
	if (path == NULL || *path == '\0')
		path = "vault_dr.cfg";
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		err_set("no config file: %s does not exist. Name one with -c "
		    "FILE or VAULTDR_CONFIG=FILE, or start from the sample "
		    "vault_dr.cfg.example (in the source tree, or "
		    "share/doc/vaultdr/ where vaultdr is installed)", path);
		goto out;
	}
	if (ini_load(&ini, path) == -1)
		goto out;
	if (config_from_ini(&ini, path, env, c) == -1 ||
	    config_from_env(c) == -1 || config_check_schemes(c) == -1 ||
	    config_tsig_key(c) == -1)
		goto out;
	rc = 0;
out:
	ini_free(&ini);
	return rc;
}

void
config_free(struct dr_config *c)
{
	int k;

	if (c == NULL)
		return;
	free(c->path);
	free(c->env);
	free(c->section);
	for (k = 0; k < 2; k++) {
		free(c->url[k]);
		free(c->dns_target[k]);
		free(c->alias_zone[k]);
	}
	free(c->cname);
	free(c->zone_id);
	free(c->r53_region);
	free(c->r53_endpoint);
	free(c->vault_cacert);
	free(c->vault_capath);
	free(c->vault_client_cert);
	free(c->vault_client_key);
	free(c->vault_tls_server_name);
	free(c->aws_ca_bundle);
	for (k = 0; k < CONFIG_HOOKS; k++)
		free(c->hook[k]);
	free(c->dns_server);
	free(c->dns_zone);
	free(c->tsig_key_name);
	free(c->tsig_algorithm);
	free(c->tsig_key_file);
	for (k = 0; c->dns_check_servers && c->dns_check_servers[k]; k++)
		free(c->dns_check_servers[k]);
	free(c->dns_check_servers);
	tsig_key_wipe(c->tsig_key);
	free(c->tsig_key);
	memset(c, 0, sizeof(*c));
}

void
dr_config_free(struct dr_config *c)
{
	config_free(c);
}
