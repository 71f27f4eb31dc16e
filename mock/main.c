/* main.c - vaultdr-mock: options, scenario, listeners, ready file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mock/handler.h"
#include "mock/state.h"
#include "mock/srv.h"
#include "mproxy.h"
#include "tls.h"
#include "tlssrv.h"

/* The proxy reads its "proxy" section itself (mproxy_load, from the file);
 * as a scenario part it only declares its keys. */
static int
proxy_part_load(const struct json *j, char *why, size_t whysz)
{
	(void)j;
	(void)why;
	(void)whysz;
	return 0;
}

static const char usage[] =
"usage: vaultdr-mock [--cert FILE --key FILE | --plain] [options]\n"
"\n"
"Serves two Vault Enterprise DR clusters (A and B), Route 53 and EC2 instance\n"
"metadata (IMDSv2) on loopback listeners, with fault injection, so that a DR\n"
"failover/failback runbook (vaultdr or your own) can be rehearsed offline.\n"
"\n"
"Options:\n"
"  --cert FILE, --key FILE  TLS certificate chain and private key (PEM, RSA\n"
"                       or EC) for the Vault and Route 53 listeners\n"
"  --plain              plain HTTP instead of TLS\n"
"  --bind ADDR          listen address (default 127.0.0.1)\n"
"  --host NAME          host name used in the URLs of the ready file\n"
"                       (default localhost)\n"
"  --port-a N, --port-b N, --port-r53 N, --port-control N, --port-imds N\n"
"                       ports (0 or absent: ephemeral)\n"
"  --ready-file FILE    written atomically once every listener is bound\n"
"  --scenario FILE      JSON scenario (below); a bad file exits with 2\n"
"  --log FILE           JSON lines, one per Vault/Route 53/IMDS request\n"
"  --state-file FILE    state JSON, rewritten atomically after each change\n"
"  --latency-ms N       a wide-area network: every Vault, Route 53 and IMDS\n"
"                       request is answered N ms after it arrived (requests\n"
"                       pipelined together are answered together), and a new\n"
"                       connection costs 2N ms more before its first request\n"
"                       (TCP and TLS 1.2 handshakes); default 0\n"
"  -h, --help           this text\n"
"  -V, --version        print the version and commit\n"
"\n"
"Ready: stdout gets one line 'READY {\"pid\":N,\"vault_a\":\"https://localhost:PA\",\n"
"  \"vault_b\":...,\"route53\":...,\"control\":\"http://127.0.0.1:PC\",\n"
"  \"imds\":\"http://127.0.0.1:PI\"}' and the same JSON goes to --ready-file.\n"
"  SIGTERM/SIGINT stop the mock (exit 0).\n"
"\n"
"Scenario file (every key optional):\n"
"  {\"vault_tokens\": [\"mock-root-token\"],   accepted X-Vault-Token values\n"
"   \"generate_requires_token\": false,       Vault 2.x: generate-operation-token\n"
"                                            needs a valid X-Vault-Token\n"
"   \"recovery_keys\": [\"mock-recovery-key-1\", \"...-2\", \"...-3\"],\n"
"   \"recovery_threshold\": 2,\n"
"   \"batch_dr_tokens\": [],                  DR operation tokens valid on both\n"
"   \"cluster_id\": \"...\", \"cname\": \"vault.test.example.test\",\n"
"   \"clusters\": {\"a\": {\"mode\": \"primary\", \"otp\": \"modern\"|\"legacy\",\n"
"       \"otp_length\": 28, \"version\": \"1.15.2+ent\",\n"
"       \"dns_name\": \"vault-a.lb.example.test\", \"promote_delay_ms\": 0,\n"
"       \"demote_delay_ms\": 0, \"last_wal\": 1200},\n"
"     \"b\": {\"mode\": \"secondary\", \"dns_name\": \"vault-b.lb.example.test\"}},\n"
"   \"route53\": {\"access_key\": \"AKIDMOCKEXAMPLE\",\n"
"     \"secret_key\": \"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\",\n"
"     \"session_token\": null, \"zone_id\": \"Z0MOCK1234\",\n"
"     \"zone_name\": \"example.test.\", \"insync_delay_ms\": 600,\n"
"     \"region\": \"us-east-1\", \"records\": [{\"name\": \"vault.test.example.test.\",\n"
"       \"type\": \"CNAME\", \"ttl\": 60, \"value\": \"vault-a.lb.example.test\"}]},\n"
"   \"imds\": {\"role\": \"vaultdr-dr-role\", \"access_key\": ..., \"secret_key\": ...,\n"
"     \"token\": ..., \"expiration\": \"2030-01-01T00:00:00Z\", \"require_v2\": true},\n"
"   \"sts\": {\"source_access_key\", \"source_secret_key\", \"source_session_token\",\n"
"     \"region\", \"role_arn\", \"external_id\", \"web_identity_token\", \"access_key\",\n"
"     \"secret_key\", \"session_token\", \"expiration\"},\n"
"   \"sso\": {\"access_token\", \"account_id\", \"role_name\"},\n"
"   \"container\": {\"path\", \"authorization\", \"access_key\", \"secret_key\",\n"
"     \"token\", \"expiration\"},\n"
"   \"faults\": [RULE, ...],\n"
"   \"listeners\": {\"a\": \"up\"|\"down\"|\"blackhole\", \"b\": ..., \"route53\": ...,\n"
"     \"imds\": ...}}\n"
"  A secondary starts attached to the primary (state stream-wals, secondary_id\n"
"  \"initial-<name>\"). The default record points the cname at the primary.\n"
"  imds: the instance role's credentials default to route53's access_key,\n"
"  secret_key and session_token (token \"mock-imds-session-token\" when\n"
"  route53 has none; Route 53 then ignores it), so that a client whose only\n"
"  credential source is IMDS is accepted by Route 53; expiration defaults to\n"
"  LastUpdated + 6 h, LastUpdated moving to the present an hour before that\n"
"  (as EC2 rotates role credentials); require_v2 false also serves requests\n"
"  without a session token (IMDSv1). Unknown keys are errors.\n"
"\n"
"Fault RULE: {\"listener\": \"a\"|\"b\"|\"route53\"|\"imds\"|\"*\",\n"
"  \"method\": \"POST\"|\"*\",\n"
"  \"path\": \"/v1/sys/...\" (prefix of the path without query; \"/\" = all),\n"
"  \"action\": \"status\"|\"latency\"|\"hangup\"|\"blackhole\"|\"garbage\"|\n"
"  \"apply_status\"|\"apply_hangup\"|\"apply_delay\"|\"drip\",\n"
"  \"status\": 500, \"body\": \"...\", \"aws_code\": \"Throttling\" (Route 53 error\n"
"  code; status then defaults to 400), \"skip\": K (let K matching requests\n"
"  pass first), \"count\": N (then apply N times; 0 = forever),\n"
"  \"location\": \"https://...\" (Location header of a status answer),\n"
"  \"latency_ms\": 1000, \"interval_ms\": 1000}. Rules are checked in order;\n"
"  the first matching rule with budget left applies (a rule still skipping\n"
"  lets later rules look).\n"
"  latency: wait, then serve; hangup: close without an answer; blackhole:\n"
"  never answer; garbage: send non-HTTP bytes and close.\n"
"  apply_status: apply the request, then answer status (default 504) with\n"
"  body (default a load balancer's HTML page); apply_hangup: apply, then\n"
"  close without an answer; apply_delay: apply at once, answer after\n"
"  latency_ms; drip: apply and send the answer one byte every interval_ms.\n"
"\n"
"Instance metadata (plain HTTP, always on 127.0.0.1; logged and faultable):\n"
"  PUT /latest/api/token   header X-aws-ec2-metadata-token-ttl-seconds: 1..21600\n"
"                          (else 400); 200 with a new session token\n"
"  GET /latest/meta-data/iam/security-credentials/         the role name\n"
"  GET /latest/meta-data/iam/security-credentials/<role>   credentials JSON\n"
"                          {\"Code\":\"Success\",\"LastUpdated\",\"Type\":\"AWS-HMAC\",\n"
"                          \"AccessKeyId\",\"SecretAccessKey\",\"Token\",\n"
"                          \"Expiration\"}\n"
"  The GETs need header X-aws-ec2-metadata-token with a live session token\n"
"  (401 otherwise; without require_v2 a request with no token is served).\n"
"  Unknown role or path: 404; other methods: 405. Point an AWS SDK at it\n"
"  with AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PI/.\n"
"\n"
"STS (POST / AssumeRole, SigV4-checked, and AssumeRoleWithWebIdentity) and\n"
"SSO (GET /federation/credentials) are served on the Route 53 listener, the\n"
"container credentials endpoint (GET container.path, default\n"
"/v2/credentials/mock-task) on the IMDS listener; all hand out credentials\n"
"Route 53 accepts. Details and defaults: vaultdr-mock(1).\n"
"\n"
"Control API (plain HTTP on the control port; never logged or faulted):\n"
"  GET  /health      200 {\"ok\":true}\n"
"  GET  /state       clusters (mode, state, known_secondaries, primary,\n"
"                    secondary_id, attempt_active, dr_tokens, listener, ...),\n"
"                    route53 records and changes, max_primaries_up,\n"
"                    two_primaries_up, requests, listeners (a, b, route53,\n"
"                    control, imds: state and port)\n"
"  GET  /faults      the rules with their remaining budgets\n"
"  POST /faults      body: a JSON array of rules; replaces them\n"
"  POST /listener    body: {\"name\": \"a\"|\"b\"|\"route53\"|\"imds\",\n"
"                           \"state\": \"up\"|\"down\"|\"blackhole\"}\n"
"  down = listening socket closed (refused) and connections cut;\n"
"  blackhole = connections wait in the kernel backlog, never answered.\n"
"\n"
"Defaults: X-Vault-Token mock-root-token; recovery keys mock-recovery-key-1..3\n"
"(threshold 2); Route 53 key AKIDMOCKEXAMPLE with the AWS documentation\n"
"secret key above, zone Z0MOCK1234 (example.test.); instance role\n"
"vaultdr-dr-role.\n";

static int
port_arg(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 0 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

static int
write_atomic(const char *file, const char *text)
{
	char tmp[4096];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, file) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static const char *
url_host(const char *bind)
{
	if (strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0)
		return "127.0.0.1";
	return bind;
}

int
main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *ready = NULL, *scen = NULL;
	const char *logfile = NULL;
	int ports[L_N] = { 0 }, i;
	struct tls_server *ts = NULL;
	struct buf rj = { 0 };
	char why[600];
	static const char *pflag[] = { "--port-a", "--port-b", "--port-r53",
		"--port-control", "--port-imds" };
	/* Scenario sections outside state.c, loaded after route53 and imds. */
	static const struct scenario_part parts[] = {
		{ msts_key_allowed, msts_load },
		{ mecs_key_allowed, mecs_load },
		{ mproxy_key_allowed, proxy_part_load },
		{ mperf_key_allowed, mperf_load },
	};

	M.bind = "127.0.0.1";
	M.host = "localhost";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k, matched = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("vaultdr-mock %s (commit %s)\n", VAULTDR_VERSION,
			    VAULTDR_COMMIT);
			return 0;
		}
		if (strcmp(a, "--plain") == 0) {
			M.plain = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "vaultdr-mock: %s: unknown option or "
			    "missing value (see --help)\n", a);
			return 2;
		}
		for (k = 0; k < L_N; k++)
			if (strcmp(a, pflag[k]) == 0) {
				if (port_arg(v, &ports[k]) == -1) {
					fprintf(stderr, "vaultdr-mock: %s: bad "
					    "port '%s'\n", a, v);
					return 2;
				}
				matched = 1;
			}
		if (matched)
			;
		else if (strcmp(a, "--cert") == 0)
			cert = v;
		else if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--bind") == 0)
			M.bind = v;
		else if (strcmp(a, "--host") == 0)
			M.host = v;
		else if (strcmp(a, "--ready-file") == 0)
			ready = v;
		else if (strcmp(a, "--scenario") == 0)
			scen = v;
		else if (strcmp(a, "--log") == 0)
			logfile = v;
		else if (strcmp(a, "--state-file") == 0)
			M.state_file = v;
		else if (strcmp(a, "--latency-ms") == 0) {
			char *end;

			M.latency_ms = strtol(v, &end, 10);
			if (*v == '\0' || *end || M.latency_ms < 0 ||
			    M.latency_ms > 600000) {
				fprintf(stderr, "vaultdr-mock: --latency-ms: "
				    "want 0 to 600000, not '%s'\n", v);
				return 2;
			}
		}
		else {
			fprintf(stderr, "vaultdr-mock: %s: unknown option (see "
			    "--help)\n", a);
			return 2;
		}
		i++;
	}
	if (M.plain == (cert != NULL) || (cert == NULL) != (key == NULL)) {
		fprintf(stderr, "vaultdr-mock: give --cert FILE and --key FILE, "
		    "or --plain (see --help)\n");
		return 2;
	}
	if (state_load(scen, parts, sizeof(parts) / sizeof(parts[0]), why,
	    sizeof(why)) == -1) {
		fprintf(stderr, "vaultdr-mock: scenario %s: %s\n",
		    scen ? scen : "", why);
		return 2;
	}
	if (mproxy_load(scen, why, sizeof(why)) == -1) { /* proxy hook 1/2 */
		fprintf(stderr, "vaultdr-mock: scenario %s: %s\n", scen, why);
		return 2;
	}
	if (!M.plain && (ts = tls_server_load(cert, key)) == NULL) {
		fprintf(stderr, "vaultdr-mock: %s\n", err_get());
		return 2;
	}
	for (i = 0; i < L_N; i++) {
		if (srv_listen(i, ports[i]) == -1) {
			fprintf(stderr, "vaultdr-mock: %s\n", err_get());
			return 1;
		}
		if (M.lst[i].st == LS_DOWN) {
			close(M.lst[i].fd);
			M.lst[i].fd = -1;
		}
	}
	pthread_mutex_lock(&M.mu);
	state_changed();
	state_save();
	pthread_mutex_unlock(&M.mu);
	{
		const char *sch = M.plain ? "http" : "https";
		const char *ch = url_host(M.bind);
		int v6 = strchr(ch, ':') != NULL;
		char h[300];

		/* An IPv6 literal --host goes in brackets in a URL. */
		snprintf(h, sizeof(h), strchr(M.host, ':') ? "[%s]" : "%s",
		    M.host);
		buf_printf(&rj, "{\"pid\":%ld,\"vault_a\":\"%s://%s:%d\","
		    "\"vault_b\":\"%s://%s:%d\",\"route53\":\"%s://%s:%d\","
		    "\"control\":\"http://%s%s%s:%d\","
		    "\"imds\":\"http://127.0.0.1:%d\"}", (long)getpid(), sch,
		    h, M.lst[L_A].port, sch, h, M.lst[L_B].port, sch,
		    h, M.lst[L_R53].port, v6 ? "[" : "", ch, v6 ? "]" : "",
		    M.lst[L_CONTROL].port, M.lst[L_IMDS].port);
	}
	{ /* proxy hook 2/2: the CONNECT proxy and its URL in the ready file */
		int pp = mproxy_start(0, logfile);
		if (pp == -1) {
			fprintf(stderr, "vaultdr-mock: %s\n", err_get());
			return 1;
		}
		rj.len--; /* the closing brace */
		buf_printf(&rj, ",\"proxy\":\"http://127.0.0.1:%d\"}", pp);
	}
	if (ready && write_atomic(ready, rj.data) == -1) {
		fprintf(stderr, "vaultdr-mock: ready file %s: %s\n", ready,
		    strerror(errno));
		return 1;
	}
	printf("READY %s\n", rj.data);
	fflush(stdout);
	buf_free(&rj);
	if (srv_run(ts, logfile) == -1) {
		fprintf(stderr, "vaultdr-mock: %s\n", err_get());
		return 1;
	}
	tls_server_free(ts);
	return 0;
}
