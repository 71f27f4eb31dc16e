/* config.h - vault_dr.cfg and the environment's settings, read once into
 * one struct (DESIGN.md "Configuration", "Environment").
 *
 * The secrets of the environment are not here: secret.c takes them out of
 * the environment at start (secret_stash_env) and hands them out on demand. */
#ifndef VAULTDR_CONFIG_H
#define VAULTDR_CONFIG_H
#include <stddef.h>

struct ini;
struct tsig_key;

/* Bounds of the numeric environment (documented in README and vaultdr.1). */
#define CONFIG_MAX_SECONDS 86400.0 /* one day: any duration */
#define CONFIG_MAX_RETRY_BASE 3600.0
#define CONFIG_MAX_POLL 3600.0
#define CONFIG_MAX_RETRIES 100
#define CONFIG_MAX_LAG_WALS 1000000000L
#define CONFIG_MAX_TTL 2147483647L /* Route 53's own maximum */

/* <env>_dns_provider: who serves the record (DESIGN.md "Configuration"). */
enum { CONFIG_DNS_ROUTE53, CONFIG_DNS_RFC2136 };
#define CONFIG_MAX_CHECK_SERVERS 8

enum { CONFIG_HOOK_PRE_CHANGE, CONFIG_HOOK_FENCE, CONFIG_HOOK_POST,
	CONFIG_HOOKS };

struct dr_config {
	char *path;
	char *env;              /* lower case, the key prefix */
	char *section;          /* as written in the file */
	char *url[2];           /* [0] configured primary, [1] configured secondary */
	char *dns_target[2];
	char *cname;
	char *zone_id;
	long ttl;
	char *r53_endpoint;
	char *r53_region;       /* SigV4 region: VAULTDR_ROUTE53_REGION, else the endpoint's partition */
	double retry_base;
	int max_retries;
	double connect_timeout, io_timeout, poll_interval, insync_timeout,
	    ready_timeout, dns_delay;
	double lock_ttl;        /* VAULTDR_LOCK_TTL seconds (default 900) */
	double catchup_timeout; /* VAULTDR_CATCHUP_TIMEOUT seconds (60): after
	                         * the demote, how long the secondary may take to
	                         * receive the old primary's last WAL */
	int max_lag_wals;       /* VAULTDR_MAX_LAG_WALS (0): WALs behind that
	                         * still count as caught up */
	int allow_http;         /* VAULTDR_ALLOW_HTTP=1: http:// cluster URLs
	                         * and Route 53 endpoint accepted (warned) */
	/* TLS settings as the Vault CLI and the AWS SDKs name them; NULL when
	 * unset or empty (SSL_CERT_FILE stays tls.c's own default). */
	char *vault_cacert, *vault_capath, *vault_client_cert,
	    *vault_client_key, *vault_tls_server_name, *aws_ca_bundle;
	int vault_skip_verify;  /* VAULT_SKIP_VERIFY set, not "0"/"false" */
	/* Hooks (<env>_pre_change_hook, <env>_fence_hook, <env>_post_hook):
	 * command lines as written, NULL when not configured; checked at load
	 * (split into words, argv[0] an executable path). */
	char *hook[CONFIG_HOOKS];
	double hook_timeout;    /* VAULTDR_HOOK_TIMEOUT seconds (60) */
	/* The DNS backend. route53 (default): zone_id and the AWS settings
	 * above. rfc2136 (zone_id unused, may be NULL): */
	int dns_provider;       /* CONFIG_DNS_ROUTE53 | CONFIG_DNS_RFC2136 */
	char *dns_server;       /* the zone's primary master, "host[:port]" */
	char *dns_zone;         /* the zone (no trailing dot); holds cname */
	char *tsig_key_name;    /* NULL: the key file's first key */
	char *tsig_algorithm;   /* NULL: hmac-sha256, or the key file's */
	char *tsig_key_file;    /* BIND key file; NULL: VAULTDR_TSIG_SECRET */
	char **dns_check_servers; /* NULL-terminated "host[:port]" list, or
	                           * NULL: the zone's NS set */
	struct tsig_key *tsig_key; /* rfc2136: loaded by config_load (owned,
	                           * wiped by config_free); NULL otherwise */
};

/* The phase names of the hooks, indexed like dr_config.hook[]:
 * "pre_change", "fence", "post". */
extern const char *const config_hook_phase[CONFIG_HOOKS];

/* Reads the config file (path; NULL or "": $VAULTDR_CONFIG, else
 * ./vault_dr.cfg), the section of environment env and the environment's
 * settings into c. 0 / -1 (err_set naming the file, line and key or the
 * variable; the caller exits 2). c is always safe to config_free(). */
int config_load(const char *path, const char *env, struct dr_config *c);
/* The file half of config_load on an already parsed file (path is only for
 * messages). Warns (log_warn) about unknown keys. 0 / -1 (err_set). */
int config_from_ini(const struct ini *ini, const char *path, const char *env,
    struct dr_config *c);
/* The environment half: Route 53 endpoint, TLS files and every number.
 * 0 / -1 (err_set). */
int config_from_env(struct dr_config *c);
/* DESIGN.md Safety 4: the cluster URLs and the Route 53 endpoint are
 * https:// unless c->allow_http (VAULTDR_ALLOW_HTTP=1), which the caller
 * warns about on every run. 0 / -1 (err_set naming the key or variable and
 * the fix). config_load calls it. */
int config_check_schemes(const struct dr_config *c);
void config_free(struct dr_config *c); /* NULL-safe, idempotent */

/* rfc2136: loads c->tsig_key from c->tsig_key_file (the key named
 * tsig_key_name, else the first; its algorithm must match tsig_algorithm
 * when both are given), else from VAULTDR_TSIG_SECRET (base64) with
 * tsig_key_name and tsig_algorithm. No-op for route53. config_load calls
 * it. 0 / -1 (err_set naming the file and line, the key or the variable;
 * never the secret). */
int config_tsig_key(struct dr_config *c);
/* "route53" / "rfc2136". */
const char *config_dns_provider_name(int provider);

/* A duration in seconds: decimal digits with an optional fraction ("30",
 * "0.05") and an optional unit suffix s, m or h ("30s", "5m", "1.5h");
 * nothing else (no sign, exponent, hex, inf, nan, spaces, empty). The value
 * must lie in [min, max]. 0 / -1 (err_set naming `name` and the range). */
int config_parse_seconds(const char *name, const char *s, double min,
    double max, double *out);
/* A whole decimal number in [min, max] (digits only). 0 / -1 (err_set). */
int config_parse_whole(const char *name, const char *s, long min, long max,
    long *out);

/* Normalises a cluster URL for comparison: "scheme://host[:port]" with the
 * scheme and host in lower case, the host's trailing dot removed, the
 * scheme's default port (443, 80) left out, a path of "/" (or none)
 * dropped. A URL with userinfo, a query, a #fragment or any other path is
 * refused. 0 / -1 (err_set saying why; out holds "" then). */
int config_url_normalise(const char *in, char *out, size_t outsz);

/* Transitional: the old name, for tests/unit/test_dr.c. */
void dr_config_free(struct dr_config *c);

#endif
