/* fuzz_config.c - the config loader on a file and a numeric environment.
 *
 * Input: lines of "NAME=value" for the numeric variables up to a line
 * "--", then a vault_dr.cfg for environment "prod". Whatever loads must keep
 * config.h's promises: every duration inside its documented range (so that
 * every timeout fits an int of milliseconds), two different clusters
 * (normalised) and two different DNS targets. */
#include <limits.h>
#include <strings.h>

#include "config.h"
#include "fuzz.h"
#include "ini.h"
#include "log.h"

static const char *const vars[] = {
	"VAULTDR_RETRY_BASE", "VAULTDR_MAX_RETRIES", "VAULTDR_CONNECT_TIMEOUT",
	"VAULTDR_TIMEOUT", "VAULTDR_POLL_INTERVAL", "VAULTDR_INSYNC_TIMEOUT",
	"VAULTDR_READY_TIMEOUT", "DNS_PROPAGATION_DELAY",
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static void
ignore_warning(const char *msg)
{
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dr_config c;
	struct ini ini;
	char *in, *p, *nl, *eq, n0[300], n1[300];
	size_t i;
	double d;

	in = fuzz_strndup(data, size, 64 * 1024);
	for (i = 0; i < NVARS; i++)
		unsetenv(vars[i]);
	/* the environment part */
	for (p = in; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (strcmp(p, "--") == 0) {
			p = nl + 1;
			break;
		}
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		for (i = 0; i < NVARS; i++)
			if (strcmp(p, vars[i]) == 0)
				setenv(vars[i], eq + 1, 1);
		/* the parser alone on the value */
		if (config_parse_seconds("X", eq + 1, 0, CONFIG_MAX_SECONDS,
		    &d) == 0)
			FUZZ_ASSERT(d >= 0 && d <= CONFIG_MAX_SECONDS &&
			    strspn(eq + 1, "0123456789.smh") == strlen(eq + 1));
	}
	log_set_warn_hook(ignore_warning);
	memset(&c, 0, sizeof(c));
	if (ini_parse(&ini, "fuzz.cfg", p, strlen(p)) == 0) {
		if (config_from_ini(&ini, "fuzz.cfg", "prod", &c) == 0) {
			FUZZ_ASSERT(c.url[0] && c.url[1] && c.cname &&
			    c.zone_id && c.dns_target[0] && c.dns_target[1]);
			FUZZ_ASSERT(config_url_normalise(c.url[0], n0,
			    sizeof(n0)) == 0);
			FUZZ_ASSERT(config_url_normalise(c.url[1], n1,
			    sizeof(n1)) == 0);
			FUZZ_ASSERT(strcmp(n0, n1) != 0);
			FUZZ_ASSERT(strcasecmp(c.dns_target[0],
			    c.dns_target[1]) != 0);
			FUZZ_ASSERT(c.ttl >= 0 && c.ttl <= CONFIG_MAX_TTL);
		}
		ini_free(&ini);
	}
	if (config_from_env(&c) == 0) {
		double *durs[] = { &c.connect_timeout, &c.io_timeout,
			&c.insync_timeout, &c.ready_timeout, &c.dns_delay,
			&c.poll_interval, &c.retry_base, &c.lock_ttl };
		for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
			FUZZ_ASSERT(*durs[i] >= 0 && *durs[i] <=
			    CONFIG_MAX_SECONDS);
			FUZZ_ASSERT(*durs[i] * 1000 < INT_MAX);
		}
		FUZZ_ASSERT(c.connect_timeout > 0 && c.io_timeout > 0);
		FUZZ_ASSERT(c.max_retries >= 0 &&
		    c.max_retries <= CONFIG_MAX_RETRIES);
	}
	log_set_warn_hook(NULL);
	config_free(&c);
	for (i = 0; i < NVARS; i++)
		unsetenv(vars[i]);
	free(in);
	return 0;
}
