/* r53tool.c - a test driver for route53.c against vaultdr-mock (used by
 * tests/e2e/test_route53.py; not installed). It calls one route53.h
 * function and prints one JSON line with the outcome, so that the e2e
 * test can assert on the client's behaviour and the mock's state.
 *
 *   r53tool ENDPOINT ZONE_ID list NAME
 *   r53tool ENDPOINT ZONE_ID zone
 *   r53tool ENDPOINT ZONE_ID get-cname NAME
 *   r53tool ENDPOINT ZONE_ID change ACTION NAME TYPE TTL VALUE[,VALUE...] ...
 *           (TTL "alias": VALUE is ZONE_ID,DNS_NAME[,eval], an alias target)
 *   r53tool ENDPOINT ZONE_ID insync CHANGE_ID
 *   r53tool ENDPOINT ZONE_ID lock-read CNAME
 *   r53tool ENDPOINT ZONE_ID lock-take CNAME OWNER PID CMD ENV EXPIRES
 *   r53tool ENDPOINT ZONE_ID lock-renew CNAME OWNER PID CMD ENV EXPIRES NEW
 *   r53tool ENDPOINT ZONE_ID lock-release CNAME OWNER PID CMD ENV EXPIRES
 *
 * Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, CA bundle from AWS_CA_BUNDLE. Output: {"rc":N,
 * "fail":"...","aws_code":"...","error":"...", ...result fields}. Exit 0
 * when the call ran (whatever rc), 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "retry.h"
#include "route53.h"
#include "secret.h"
#include "tls.h"

static const char *const fail_names[] = { "none", "rejected", "server",
	"unreachable", "lost", "tls", "bad_reply", "stopped" };

static void
str_field(struct buf *b, const char *k, const char *v)
{
	buf_printf(b, ",\"%s\":", k);
	if (v)
		json_append_str(b, v);
	else
		buf_puts(b, "null");
}

static void
lock_json(struct buf *b, const char *k, const struct r53_lock *l)
{
	buf_printf(b, ",\"%s\":{\"value\":", k);
	json_append_str(b, l->value);
	buf_puts(b, ",\"owner\":");
	json_append_str(b, l->owner);
	buf_printf(b, ",\"pid\":%ld,\"cmd\":", l->pid);
	json_append_str(b, l->cmd);
	buf_puts(b, ",\"env\":");
	json_append_str(b, l->env);
	buf_printf(b, ",\"expires\":%lld}", l->expires);
}

static void
rrsets_json(struct buf *b, const struct r53_rrset *s, size_t n)
{
	size_t i, k;

	buf_puts(b, ",\"sets\":[");
	for (i = 0; i < n; i++) {
		buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		json_append_str(b, s[i].name);
		str_field(b, "type", s[i].type);
		buf_printf(b, ",\"ttl\":%ld,\"values\":[", s[i].ttl);
		for (k = 0; k < s[i].nvalues; k++) {
			if (k)
				buf_puts(b, ",");
			json_append_str(b, s[i].values[k]);
		}
		buf_puts(b, "]");
		str_field(b, "set_id", s[i].set_id);
		if (s[i].has_weight)
			buf_printf(b, ",\"weight\":%ld", s[i].weight);
		str_field(b, "failover", s[i].failover);
		str_field(b, "region", s[i].region);
		str_field(b, "health_check", s[i].health_check);
		buf_printf(b, ",\"alias\":%s", s[i].alias ? "true" : "false");
		str_field(b, "alias_zone", s[i].alias_zone);
		str_field(b, "alias_dns", s[i].alias_dns);
		buf_printf(b, ",\"alias_eval\":%s}", s[i].alias_eval ? "true" :
		    "false");
	}
	buf_puts(b, "]");
}

/* OWNER PID CMD ENV EXPIRES at av into l, formatted. */
static int
lock_args(char **av, struct r53_lock *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->owner, sizeof(l->owner), "%s", av[0]);
	l->pid = strtol(av[1], NULL, 10);
	snprintf(l->cmd, sizeof(l->cmd), "%s", av[2]);
	snprintf(l->env, sizeof(l->env), "%s", av[3]);
	l->expires = strtoll(av[4], NULL, 10);
	return r53_lock_format(l);
}

/* "a,b,c" split in place into at most max values. */
static size_t
split_values(char *s, const char **v, size_t max)
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, ",", &save); t && n < max;
	    t = strtok_r(NULL, ",", &save))
		v[n++] = t;
	return n;
}

static int
usage(void)
{
	fprintf(stderr, "usage: r53tool ENDPOINT ZONE_ID COMMAND ARGS... "
	    "(see tests/r53tool.c)\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct secret ak = { 0 }, sk = { 0 }, st = { 0 };
	struct tls_config tc = { 0 };
	struct tls_client *tls = NULL;
	struct http_client *h = NULL;
	struct r53 r;
	struct buf out = { 0 };
	const char *cmd;
	int rc = -1, ac;
	char **av;

	if (argc < 4)
		return usage();
	cmd = argv[3];
	av = argv + 4;
	ac = argc - 4;
	retry_init(0.05, 3);
	secret_from_env(&ak, "AWS_ACCESS_KEY_ID");
	secret_from_env(&sk, "AWS_SECRET_ACCESS_KEY");
	secret_from_env(&st, "AWS_SESSION_TOKEN");
	tc.ca_file = getenv("AWS_CA_BUNDLE");
	if ((tls = tls_client_new(&tc)) == NULL) {
		fprintf(stderr, "r53tool: %s\n", err_get());
		return 2;
	}
	{
		struct http_client_config hc = { tls, 2000, 2000, 0 };
		h = http_client_new(&hc);
	}
	r = (struct r53){ .endpoint = argv[1], .http = h, .access_key = &ak,
		.secret_key = &sk, .session_token = &st, .zone_id = argv[2],
		.region = "us-east-1" };
	err_clear();
	if (strcmp(cmd, "list") == 0 && ac == 1) {
		struct r53_rrset *s = NULL;
		size_t n = 0;

		rc = r53_list_at(&r, av[0], &s, &n);
		if (rc == 0)
			rrsets_json(&out, s, n);
		r53_rrsets_free(s, n);
	} else if (strcmp(cmd, "zone") == 0 && ac == 0) {
		char *z = NULL;

		rc = r53_get_zone(&r, &z);
		str_field(&out, "zone", z);
		free(z);
	} else if (strcmp(cmd, "get-cname") == 0 && ac == 1) {
		char *v = NULL;
		long ttl = 0;
		int found = 0;

		rc = r53_get_cname(&r, av[0], &found, &v, &ttl);
		buf_printf(&out, ",\"found\":%d,\"ttl\":%ld", found, ttl);
		str_field(&out, "value", v);
		free(v);
	} else if (strcmp(cmd, "change") == 0 && ac > 0 && ac % 5 == 0) {
		struct r53_change_item it[8];
		const char *vals[8][8];
		size_t n = 0;
		char *id = NULL;

		memset(it, 0, sizeof(it));
		for (int i = 0; i + 5 <= ac && n < 8; i += 5, n++) {
			it[n].action = av[i];
			it[n].name = av[i + 1];
			it[n].type = av[i + 2];
			if (strcmp(av[i + 3], "alias") == 0) {
				/* VALUE is ZONE_ID,DNS_NAME[,eval] */
				it[n].nvalues = split_values(av[i + 4], vals[n], 8);
				it[n].alias_zone = it[n].nvalues > 0 ? vals[n][0] : "";
				it[n].alias_dns = it[n].nvalues > 1 ? vals[n][1] : "";
				it[n].alias_eval = it[n].nvalues > 2;
				it[n].nvalues = 0;
				continue;
			}
			it[n].ttl = strtol(av[i + 3], NULL, 10);
			it[n].nvalues = split_values(av[i + 4], vals[n], 8);
			it[n].values = vals[n];
		}
		rc = r53_change(&r, it, n, &id);
		str_field(&out, "change_id", id);
		free(id);
	} else if (strcmp(cmd, "insync") == 0 && ac == 1) {
		int insync = 0;

		rc = r53_change_insync(&r, av[0], &insync);
		buf_printf(&out, ",\"insync\":%d", insync);
	} else if (strcmp(cmd, "lock-read") == 0 && ac == 1) {
		struct r53_lock l;
		int held = 0;

		rc = r53_lock_read(&r, av[0], &held, &l);
		buf_printf(&out, ",\"held\":%d", held);
		if (rc == 0 && held)
			lock_json(&out, "lock", &l);
	} else if (strcmp(cmd, "lock-take") == 0 && ac == 6) {
		struct r53_lock mine, other;

		if (lock_args(av + 1, &mine) == 0) {
			rc = r53_lock_take(&r, av[0], &mine, &other, 0);
			if (rc == 1)
				lock_json(&out, "other", &other);
		}
	} else if (strcmp(cmd, "lock-renew") == 0 && ac == 7) {
		struct r53_lock mine;

		if (lock_args(av + 1, &mine) == 0) {
			rc = r53_lock_renew(&r, av[0], &mine,
			    strtoll(av[6], NULL, 10));
			lock_json(&out, "mine", &mine);
		}
	} else if (strcmp(cmd, "lock-release") == 0 && ac == 6) {
		struct r53_lock mine;

		if (lock_args(av + 1, &mine) == 0)
			rc = r53_lock_release(&r, av[0], &mine);
	} else {
		http_client_free(h);
		tls_client_free(tls);
		return usage();
	}
	printf("{\"rc\":%d,\"fail\":\"%s\"", rc, rc == -1 &&
	    (size_t)r.fail < sizeof(fail_names) / sizeof(fail_names[0]) ?
	    fail_names[r.fail] : "none");
	{
		struct buf head = { 0 };

		str_field(&head, "aws_code", r53_aws_code());
		str_field(&head, "error", rc == -1 ? err_get() : NULL);
		fputs(head.data, stdout);
		buf_free(&head);
	}
	printf("%s}\n", out.data ? out.data : "");
	buf_free(&out);
	http_client_free(h);
	tls_client_free(tls);
	secret_wipe(&ak);
	secret_wipe(&sk);
	secret_wipe(&st);
	return 0;
}
