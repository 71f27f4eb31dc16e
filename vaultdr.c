/* vaultdr.c - main: options, config and environment into a run, exit code. */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dr.h"
#include "multi.h"
#include "proxy.h"
#include "log.h"
#include "retry.h"
#include "secret.h"
#include "tls.h"

static const char usage_text[] =
"usage: vaultdr [options] failover ENV   secondary becomes DR primary\n"
"       vaultdr [options] failback ENV   primary becomes DR primary again\n"
"       vaultdr [options] status ENV     read-only report of both clusters and the record\n"
"       vaultdr [options] COMMAND ENV ENV... | --all   several environments at once\n"
"       vaultdr --help | --version\n"
"Options may come before or after the command and ENV; -- ends them.\n";

static const char help_text[] =
"\n"
"Moves the Vault Enterprise DR primary role between the two clusters of\n"
"[Vault-Cluster-<ENV>] and points the cluster's Route 53 CNAME at it. Every\n"
"run observes both clusters and the record first and does only the steps\n"
"still missing: a second run is a no-op, a run after an interruption\n"
"finishes the job.\n"
"\n"
"options:\n"
"  -c, --config FILE   config file (default $VAULTDR_CONFIG, else ./vault_dr.cfg)\n"
"  -n, --dry-run       observe and print the plan; send no changing request\n"
"      --primary-down  the current primary is confirmed down or fenced:\n"
"                      promote without it (exit 3 until it is re-attached)\n"
"  -y, --yes           no confirmation prompt on a terminal\n"
"  -v, --verbose       print each HTTP request line and status (never secrets)\n"
"      --json          one JSON object per line instead of text\n"
"      --log FILE      append an audit record of the run to FILE (JSON lines, mode 0600)\n"
"      --no-lock       do not take the Route 53 run lock (warned every run)\n"
"      --accept-data-loss  switch although the replication gate fails (the\n"
"                      secondary is not streaming, connected or caught up)\n"
"      --create-record the CNAME may be created when it does not exist yet\n"
"      --all           every [Vault-Cluster-<ENV>] section of the config file\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"environment:\n"
"  VAULT_TOKEN                 Vault token with DR policies (prompted on a terminal)\n"
"  VAULT_RECOVERY_KEY_1..N     recovery key shares (prompted on a terminal)\n"
"  VAULT_DR_OPERATION_TOKEN    batch DR operation token, used instead of keys\n"
"  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY), AWS_SESSION_TOKEN\n"
"  AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE   profile in ~/.aws files\n"
"  AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED  EC2 role (IMDSv2)\n"
"  AWS_ENDPOINT_URL_ROUTE_53, AWS_ENDPOINT_URL   Route 53 endpoint override\n"
"  VAULTDR_ROUTE53_REGION      Route 53 signing region (default: the partition's)\n"
"  VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY,\n"
"  VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY      Vault TLS, as the Vault CLI\n"
"  AWS_CA_BUNDLE               CA bundle for Route 53 (default: system bundle)\n"
"  DNS_PROPAGATION_DELAY       seconds to wait after INSYNC (default 0)\n"
"  VAULTDR_RETRY_BASE (30), VAULTDR_MAX_RETRIES (10)   backoff: base*2^(n-1)+jitter\n"
"  VAULTDR_CONNECT_TIMEOUT (10), VAULTDR_TIMEOUT (30)  seconds: connect; each whole request\n"
"  VAULTDR_POLL_INTERVAL (5), VAULTDR_INSYNC_TIMEOUT (300), VAULTDR_READY_TIMEOUT (120)\n"
"  VAULTDR_LOCK_TTL (900)      seconds a run lock is valid; the run renews it\n"
"  VAULTDR_CATCHUP_TIMEOUT (60), VAULTDR_MAX_LAG_WALS (0)  after the demote, wait\n"
"                              until the secondary is this close to the last WAL\n"
"  VAULTDR_ALLOW_HTTP (0)      1: accept http:// cluster URLs and Route 53 endpoint\n"
"  VAULTDR_HOOK_TIMEOUT (60)   seconds a pre-change, fence or post hook may run\n"
"  VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES   read when the VAULTDR_* names are unset\n"
"  VAULT_TOKEN unset: ~/.vault-token (as the Vault CLI) is read\n"
"  durations: decimal seconds (0.05) or with a unit s, m, h (30s, 5m); at most 86400 s\n"
"\n"
"exit codes:\n"
"  0  desired state reached (or was already there)\n"
"  1  failed; the report says what state was left (rolled back where possible)\n"
"  2  usage, config or missing-input error; nothing was changed\n"
"  3  switched, but the old primary is not re-attached yet: it is unreachable,\n"
"     or it runs an older Vault than the new primary (upgrade it, then re-run)\n"
"  4  refused for safety, nothing changed: the old primary is unreachable and\n"
"     --primary-down was not given, the replication gate failed and\n"
"     --accept-data-loss was not given, another run holds the lock, or the\n"
"     pre-change or fence hook refused\n"
"Several environments (ENV ENV... or --all) run concurrently, each with its\n"
"own lock, plan and summary, its lines prefixed \"[env] \"; one confirmation\n"
"on a terminal for the whole set; then one table. The run exits with the\n"
"most severe code of them: 1, then 3, then 4, then 2, then 0.\n"
"\n"
"SIGHUP, SIGINT and SIGTERM stop cleanly: the final state is read, DR\n"
"operation tokens are deleted where possible, the run lock is released, exit 1.\n"
"A second signal cuts that short.\n";

static void
on_signal(int sig)
{
	(void)sig;
	retry_stop_requested = 1;
}

/* A closed standard descriptor would be reused by the next open(): progress
 * lines would land in the audit file or a TLS socket. Park /dev/null there. */
static void
std_fds_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) == -1)
			_exit(EXIT_USAGE);
}

/* --json is known before the options are parsed, so that a usage error
 * too ends with a summary object on stdout. */
static int json_mode;

static int
wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	}
	return 0;
}

/* The command word as given (the summary of a config error names it). */
static const char *cmd_arg;

/* One environment, as main runs it: config, the run, the final error line.
 * Also what each child of a run of several environments does (multi.c). */
static int
run_one(struct dr_opts *o)
{
	struct dr_config c;
	int code;

	if (config_load(o->config_path, o->env, &c) == -1) {
		log_error("error", err_get());
		if (o->json)
			log_json_summary(cmd_arg, o->env,
			    EXIT_USAGE, "config error", err_get());
		config_free(&c);
		secret_stash_wipe();
		return EXIT_USAGE;
	}
	code = dr_run(o, &c);
	if (code != EXIT_DONE && err_get()[0])
		log_error(code == EXIT_PARTIAL ? "incomplete" : "error",
		    err_get());
	config_free(&c);
	secret_stash_wipe();
	return code;
}

static int
usage_error(const char *msg)
{
	if (msg)
		fprintf(stderr, "vaultdr: %s\n", msg);
	fputs(usage_text, stderr);
	fputs("Try 'vaultdr --help'.\n", stderr);
	if (json_mode)
		log_json_summary(NULL, NULL, EXIT_USAGE, "usage error",
		    msg ? msg : "usage error");
	return EXIT_USAGE;
}

/* Several environments (multi.c): the names given (n of them), or with
 * none every [Vault-Cluster-*] section of the config (--all). Names are
 * checked (after --, "-x" is an argument, not a name; each once, matched
 * in lower case as sections are) before anything runs. The run's code. */
static int
run_several(struct dr_opts *o, char *const *names, size_t n)
{
	char **envs = NULL, msg[160];
	size_t nenvs = n, i, j;
	int code;

	for (i = 0; i < n; i++)
		if (names[i][0] == '-' || names[i][0] == '\0') {
			snprintf(msg, sizeof(msg), "too many arguments: '%.100s' "
			    "is not an environment name", names[i]);
			return usage_error(msg);
		}
	if (n == 0 && multi_config_envs(o->config_path, &envs, &nenvs) == -1) {
		log_error("error", err_get());
		if (o->json)
			log_json_summary(cmd_arg, NULL, EXIT_USAGE,
			    "config error", err_get());
		secret_stash_wipe();
		return EXIT_USAGE;
	}
	if (n > 0 && (envs = calloc(n, sizeof(*envs))) == NULL)
		return EXIT_FAILED;
	for (i = 0; i < n; i++)
		if ((envs[i] = strdup(names[i])) == NULL) {
			multi_envs_free(envs, n);
			return EXIT_FAILED;
		}
	for (i = 0; i < nenvs; i++) {
		for (j = 0; envs[i][j]; j++)
			envs[i][j] = (char)tolower((unsigned char)envs[i][j]);
		for (j = 0; j < i; j++)
			if (strcmp(envs[i], envs[j]) == 0) {
				/* Two runs of one pair would race. */
				snprintf(msg, sizeof(msg), "environment '%.100s' "
				    "is named twice", envs[i]);
				multi_envs_free(envs, nenvs);
				return usage_error(msg);
			}
	}
	code = multi_run(o, envs, nenvs, run_one);
	if (code != EXIT_DONE && err_get()[0])
		log_error("error", err_get());
	multi_envs_free(envs, nenvs);
	secret_stash_wipe();
	return code;
}

/* The options (anywhere on the line; -- ends them) into o and *all.
 * -1 to go on with argv[optind...]; else the exit code (help, version, a
 * usage error, already reported). */
static int
parse_options(int argc, char **argv, struct dr_opts *o, int *all)
{
	enum { OPT_PRIMARY_DOWN = 256, OPT_JSON, OPT_LOG, OPT_NO_LOCK,
		OPT_ACCEPT_LOSS, OPT_CREATE_RECORD, OPT_ALL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "primary-down", no_argument, NULL, OPT_PRIMARY_DOWN },
		{ "yes", no_argument, NULL, 'y' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "no-lock", no_argument, NULL, OPT_NO_LOCK },
		{ "accept-data-loss", no_argument, NULL, OPT_ACCEPT_LOSS },
		{ "create-record", no_argument, NULL, OPT_CREATE_RECORD },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char msg[128];
	int ch;

	memset(o, 0, sizeof(*o));
	*all = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:nyvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config_path = optarg; break;
		case 'n': o->dry_run = 1; break;
		case OPT_PRIMARY_DOWN: o->primary_down = 1; break;
		case 'y': o->yes = 1; break;
		case 'v': o->verbose = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_LOG: o->audit_path = optarg; break;
		case OPT_NO_LOCK: o->no_lock = 1; break;
		case OPT_ACCEPT_LOSS: o->accept_data_loss = 1; break;
		case OPT_CREATE_RECORD: o->create_record = 1; break;
		case OPT_ALL: *all = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return 0;
		case 'V':
			printf("vaultdr %s (commit %s)\n", VAULTDR_VERSION,
			    VAULTDR_COMMIT);
			return 0;
		default:
			if (optopt && optopt < 256)
				snprintf(msg, sizeof(msg), "unknown or incomplete "
				    "option '-%c'", optopt);
			else
				snprintf(msg, sizeof(msg), "unknown or incomplete "
				    "option '%s'", argv[optind - 1]);
			return usage_error(msg);
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct dr_opts o;
	struct sigaction sa;
	int all, rc;

	std_fds_open();
	json_mode = wants_json(argc, argv);
	log_init(json_mode ? LOG_JSON : LOG_TEXT, 0);
	secret_harden_process();
	/* Before anything else: no secret stays in /proc/PID/environ, whether
	 * or not this run uses it. */
	/* Reads the proxy settings once; a proxy password leaves the
	 * environment with the other secrets. */
	(void)proxy_env_default();
	if (secret_stash_env() == -1) {
		log_error("error", err_get());
		if (json_mode)
			log_json_summary(NULL, NULL, EXIT_USAGE, "input error",
			    err_get());
		return EXIT_USAGE;
	}
	if ((rc = parse_options(argc, argv, &o, &all)) >= 0)
		return rc;
	if (argc - optind < 1 || (argc - optind < 2 && !all))
		return usage_error("a command and an environment are required");
	if (all && argc - optind > 1)
		return usage_error("--all and an environment name exclude each "
		    "other");
	if (strcmp(argv[optind], "failover") == 0)
		o.cmd = DR_FAILOVER;
	else if (strcmp(argv[optind], "failback") == 0)
		o.cmd = DR_FAILBACK;
	else if (strcmp(argv[optind], "status") == 0)
		o.cmd = DR_STATUS;
	else {
		char msg[160];
		snprintf(msg, sizeof(msg), "unknown command '%.100s'",
		    argv[optind]);
		return usage_error(msg);
	}
	cmd_arg = argv[optind];
	o.env = all ? NULL : argv[optind + 1];
	o.argc = argc;
	o.argv = argv;
	log_init(o.json ? LOG_JSON : LOG_TEXT, o.verbose);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits notice at once */
	/* SIGHUP too: the operator's SSH session dropping must not leave the
	 * lock, tokens and an unreported state behind (Safety 10). */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	conn_set_interrupt(&retry_stop_requested);

	if (!all && argc - optind == 2)
		return run_one(&o);

	return run_several(&o, argv + optind + 1, (size_t)(argc - optind - 1));
}
