/* dnstool.c - a test driver for rfc2136.c (built as build/dnstool; used by
 * tests/e2e/test_rfc2136.py against a real BIND 9). Not installed.
 *
 * dnstool -s host[:port] -z zone (-k keyfile [-n keyname] |
 *         -n keyname [-a alg], secret in $VAULTDR_TSIG_SECRET) [-t ms] CMD
 *   read NAME TYPE                  prints exists=, n=, serial=, value=
 *   replace NAME TYPE OLD|- NEW|- TTL
 *   lock-take NAME VALUE TTL | lock-renew NAME OLD NEW TTL |
 *   lock-release NAME VALUE
 *   wait NAME TYPE VALUE|- SINCE_SERIAL TIMEOUT_MS [SERVER...]
 * Exit: 0 OK, 1 FAILED, 2 CONFLICT, 3 UNKNOWN, 64 usage. The outcome's
 * name goes to stdout, the error to stderr. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "rfc2136.h"
#include "secret.h"

static int
usage(void)
{
	fprintf(stderr, "usage: dnstool -s server -z zone (-k keyfile | -n "
	    "keyname [-a alg]) [-t ms] read|replace|lock-take|lock-renew|"
	    "lock-release|wait ...\n");
	return 64;
}

static int
type_of(const char *s)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_CNAME,
	    DNS_T_TXT, DNS_T_NS, DNS_T_SOA };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, dns_type_name(types[i])) == 0)
			return types[i];
	return -1;
}

/* A whole non-negative decimal number, else exit 64. */
static long
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "dnstool: '%s' is not a number\n", s);
		exit(64);
	}
	return v;
}

static const char *
opt(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static int
finish(int outcome)
{
	static const int codes[] = { 0, 1, 2, 3 };

	printf("%s\n", rfc2136_outcome_name(outcome));
	if (outcome != RFC2136_OK)
		fprintf(stderr, "dnstool: %s\n", err_get());
	return codes[-outcome];
}

int
main(int argc, char **argv)
{
	struct tsig_key key;
	struct rfc2136 c;
	struct rfc2136_rrset set;
	const char *keyfile = NULL, *keyname = NULL, *alg = NULL, *cmd;
	struct secret sec = { 0 };
	int ch, rc = 1, i, type;

	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_TEXT, getenv("DNSTOOL_VERBOSE") != NULL);
	memset(&key, 0, sizeof(key));
	memset(&c, 0, sizeof(c));
	c.timeout_ms = 5000;
	while ((ch = getopt(argc, argv, "s:z:k:n:a:t:")) != -1) {
		switch (ch) {
		case 's':
			if (dns_server_parse(&c.server, optarg) == -1) {
				fprintf(stderr, "dnstool: %s\n", err_get());
				return 64;
			}
			break;
		case 'z':
			snprintf(c.zone, sizeof(c.zone), "%s", optarg);
			break;
		case 'k': keyfile = optarg; break;
		case 'n': keyname = optarg; break;
		case 'a': alg = optarg; break;
		case 't': c.timeout_ms = (int)num(optarg); break;
		default: return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || !c.server.host[0] || !c.zone[0])
		return usage();
	if (keyfile) {
		if (tsig_key_file(&key, keyfile, keyname) == -1)
			goto err;
	} else if (keyname) {
		if (secret_from_env(&sec, "VAULTDR_TSIG_SECRET") != 1) {
			err_set("VAULTDR_TSIG_SECRET is not set");
			goto err;
		}
		if (tsig_key_init(&key, keyname, alg, sec.s, sec.len) == -1)
			goto err;
		secret_wipe(&sec);
	} else {
		return usage();
	}
	c.key = &key;
	cmd = argv[0];
	if (strcmp(cmd, "read") == 0 && argc == 3 &&
	    (type = type_of(argv[2])) != -1) {
		if (rfc2136_read(&c, argv[1], type, &set) != RFC2136_OK)
			goto err;
		printf("exists=%d n=%d serial=%u\n", set.exists, set.n,
		    set.soa_serial);
		for (i = 0; i < set.n; i++)
			printf("value=%s\n", set.value[i]);
		rc = 0;
	} else if (strcmp(cmd, "replace") == 0 && argc == 6 &&
	    (type = type_of(argv[2])) != -1) {
		rc = finish(rfc2136_replace(&c, argv[1], type, opt(argv[3]),
		    opt(argv[4]), (uint32_t)num(argv[5])));
	} else if (strcmp(cmd, "lock-take") == 0 && argc == 4) {
		rc = finish(rfc2136_lock_take(&c, argv[1], argv[2],
		    (uint32_t)num(argv[3])));
	} else if (strcmp(cmd, "lock-renew") == 0 && argc == 5) {
		rc = finish(rfc2136_lock_renew(&c, argv[1], argv[2], argv[3],
		    (uint32_t)num(argv[4])));
	} else if (strcmp(cmd, "lock-release") == 0 && argc == 3) {
		rc = finish(rfc2136_lock_release(&c, argv[1], argv[2]));
	} else if (strcmp(cmd, "wait") == 0 && argc >= 6 &&
	    (type = type_of(argv[2])) != -1) {
		if (rfc2136_wait_served(&c, argv[1], type, opt(argv[3]),
		    (uint32_t)num(argv[4]),
		    argc > 6 ? (const char *const *)argv + 6 : NULL,
		    (int)num(argv[5]), 200) == -1)
			goto err;
		printf("served\n");
		rc = 0;
	} else {
		tsig_key_wipe(&key);
		return usage();
	}
	tsig_key_wipe(&key);
	return rc;
err:
	fprintf(stderr, "dnstool: %s\n", err_get());
	tsig_key_wipe(&key);
	secret_wipe(&sec);
	return 1;
}
