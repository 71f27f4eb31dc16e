/* runenv.c - a run's surroundings: TLS settings from the environment, the
 * confirmation prompt, the site's hooks, the opening audit record and the
 * --verbose connection figures. */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "hook.h"
#include "json.h"
#include "log.h"

/* On a terminal (and without -y): shows what the plan will do and asks
 * the operator to type the environment's name, as destructive commands
 * elsewhere do; anything else cancels. With dr_opts.confirm set (several
 * environments, multi.c) the same sentence goes to it instead, which asks
 * once for the whole set. 1 to proceed. */
int
confirm(const struct run *run, const struct plan *p)
{
	char line[128], words[1200], what[1600];
	int fd, ok = 0;
	ssize_t n;

	if (run->o->yes)
		return 1;
	if (run->o->confirm) {
		plan_words(p, words, sizeof(words));
		snprintf(what, sizeof(what), "%s of %s (CNAME %s) will: %s",
		    run->o->cmd == DR_FAILOVER ? "Failover" : "Failback",
		    run->c->env, run->c->cname, words);
		return run->o->confirm(run->o->confirm_arg, what) == 1;
	}
	/* The prompt goes to the terminal, so --json output stays clean. */
	if (!isatty(STDIN_FILENO))
		return 1;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) == -1)
		return 1;
	plan_words(p, words, sizeof(words));
	dprintf(fd, "\n%s of %s (CNAME %s) will: %s.\n",
	    run->o->cmd == DR_FAILOVER ? "Failover" : "Failback", run->c->env,
	    run->c->cname, words);
	dprintf(fd, "Type the environment name '%s' to proceed (-y skips "
	    "this question; anything else cancels): ", run->c->env);
	n = read(fd, line, sizeof(line) - 1);
	if (n > 0) {
		line[n] = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		ok = strcasecmp(line, run->c->env) == 0;
	}
	close(fd);
	return ok;
}

/* Runs the hook of phase `which` (config_hook_phase) when one is set, with
 * the run's summary so far on its standard input. 1 when none is set; 0
 * when it ran and exited 0; -1 otherwise (err_set says why: it could not
 * start, timed out, or exited non-zero). */
int
run_hook(struct exec *x, int which, int code, const char *state)
{
	struct run *run = x->run;
	const char *cmdline = run->c->hook[which];
	const char *phase = config_hook_phase[which];
	struct hook_env he;
	struct buf in = { 0 };
	char name[32];
	int status = -1, rc;

	if (cmdline == NULL)
		return 1;
	snprintf(name, sizeof(name), "%s", phase);
	summary_json(run, x, code, state, phase, &in);
	buf_puts(&in, "}\n");
	if (in.data)
		secret_redact(in.data); /* stdin too is output */
	he = (struct hook_env){ cmd_name(run->o->cmd), run->c->env, phase,
		x->new->url, x->old->url, code };
	step_begin(run, "hook", NULL, "run the %s hook: %s", phase, cmdline);
	rc = hook_run(name, cmdline, &he, in.data, run->c->hook_timeout,
	    &status);
	buf_free(&in);
	if (rc == 0 && status == 0) {
		step_end(run, "ok", "the %s hook exited 0", phase);
		return 0;
	}
	if (rc == 0)
		err_set("the %s hook (%s) exited %d", phase, cmdline, status);
	step_end(run, "failed", "%s", err_get());
	return -1;
}

/* The pre-change hook (once, before the first changing request) and the
 * fence hook (--primary-down, before the promote). -1 to go on, else the
 * exit code (err_set). */
int
pre_change_hooks(struct exec *x, const struct plan *p)
{
	if (!x->pre_hooks_done && (p->steps & ST_CHANGING)) {
		x->pre_hooks_done = 1;
		if (run_hook(x, CONFIG_HOOK_PRE_CHANGE, -1, "about to change "
		    "the clusters") == -1) {
			err_prefix("refused by the pre-change hook");
			return EXIT_REFUSED;
		}
	}
	if (!x->fence_done && (p->steps & ST_PROMOTE) &&
	    !world_readable(x->old) && x->run->c->hook[CONFIG_HOOK_FENCE]) {
		if (run_hook(x, CONFIG_HOOK_FENCE, -1, "about to promote "
		    "without the unreachable primary") == -1) {
			err_prefix("refused: the fence hook did not confirm "
			    "that the %s is fenced", x->old->label);
			return EXIT_REFUSED;
		}
		x->fence_done = 1;
	}
	return -1;
}

static void
tls_from_env(struct tls_config *t, int vault)
{
	const char *s;

	memset(t, 0, sizeof(*t));
	if (vault) {
		t->ca_file = getenv("VAULT_CACERT");
		t->ca_dir = getenv("VAULT_CAPATH");
		t->client_cert = getenv("VAULT_CLIENT_CERT");
		t->client_key = getenv("VAULT_CLIENT_KEY");
		t->server_name = getenv("VAULT_TLS_SERVER_NAME");
		s = getenv("VAULT_SKIP_VERIFY");
		t->skip_verify = s && *s && strcmp(s, "0") != 0 &&
		    strcasecmp(s, "false") != 0;
	} else
		t->ca_file = getenv("AWS_CA_BUNDLE");
	if (t->ca_file && !*t->ca_file)
		t->ca_file = NULL;
	if (t->ca_dir && !*t->ca_dir)
		t->ca_dir = NULL;
	if (t->client_cert && !*t->client_cert)
		t->client_cert = NULL;
	if (t->client_key && !*t->client_key)
		t->client_key = NULL;
	if (t->server_name && !*t->server_name)
		t->server_name = NULL;
}

/* A TLS file that could not be loaded: the error names the variable that
 * gave it (VAULT_CACERT, AWS_CA_BUNDLE, ...) and what it must hold. */
static void
tls_file_var(const struct tls_config *t, int vault)
{
	const struct {
		const char *var, *path, *what;
	} files[] = {
		{ vault ? "VAULT_CACERT" : "AWS_CA_BUNDLE", t->ca_file,
		  "a PEM bundle of the CA certificates to trust" },
		{ "VAULT_CAPATH", t->ca_dir, "a directory of PEM CA certificates" },
		{ "VAULT_CLIENT_CERT", t->client_cert,
		  "the PEM client certificate chain" },
		{ "VAULT_CLIENT_KEY", t->client_key, "the PEM client key" },
	};
	char why[1024];
	size_t i;

	snprintf(why, sizeof(why), "%s", err_get());
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].path && strstr(why, files[i].path)) {
			err_set("%s: %s; it must name %s", files[i].var, why,
			    files[i].what);
			return;
		}
}

/* --verbose: connections and requests per server (make bench reads these). */
static void
print_stats(struct http_client *vh, struct http_client *ah)
{
	struct http_stats st[8];
	struct http_client *hc[2] = { vh, ah };
	size_t n, i, k;

	for (k = 0; k < 2; k++) {
		if (hc[k] == NULL)
			continue;
		n = http_client_stats(hc[k], st, 8);
		for (i = 0; i < n && i < 8; i++)
			log_verbose("stats %s connections %d requests %d",
			    st[i].hostport, st[i].connections, st[i].requests);
	}
}

/* The opening audit record: command, who, where, which build, which config
 * and the command line (options and ENV only: secrets never come through
 * argv). 0 / -1 (not on disk). */
static int
audit_open_record(struct run *run)
{
	const struct dr_opts *o = run->o;
	char user[128], host[256];
	struct buf b = { 0 };
	int i, rc;

	who_runs(user, sizeof(user), host, sizeof(host));
	if (user[0] == '\0')
		snprintf(user, sizeof(user), "?");
	if (host[0] == '\0')
		snprintf(host, sizeof(host), "?");
	json_line_begin(&b);
	json_field(&b, "step", "run");
	json_field(&b, "event", "run");
	json_field(&b, "command", cmd_name(o->cmd));
	json_field(&b, "env", run->c->env);
	json_field(&b, "config", run->c->path);
	json_field(&b, "version", VAULTDR_VERSION);
	json_field(&b, "commit", VAULTDR_COMMIT);
	json_field(&b, "user", user);
	json_field(&b, "host", host);
	buf_puts(&b, ",\"argv\":[");
	for (i = 0; i < o->argc && o->argv; i++) {
		if (i)
			buf_puts(&b, ",");
		json_append_str(&b, o->argv[i]);
	}
	buf_printf(&b, "],\"dry_run\":%s,\"primary_down\":%s,\"pid\":%ld}",
	    o->dry_run ? "true" : "false", o->primary_down ? "true" : "false",
	    (long)getpid());
	if (b.data == NULL)
		return -1;
	secret_redact(b.data);
	rc = log_audit_write(b.data);
	buf_free(&b);
	return rc;
}

/* --log: the audit file and its opening record, on disk before anything
 * is sent: a run that cannot leave an audit trail changes nothing. -1 to
 * go on, else the exit code. */
static int
open_audit(struct run *run)
{
	const struct dr_opts *o = run->o;

	if (o->audit_path == NULL)
		return -1;
	if (log_audit_open(o->audit_path) == -1)
		return EXIT_USAGE;
	if (audit_open_record(run) == -1) {
		err_set("--log %s: the opening audit record could not be "
		    "written (%s); nothing was changed", o->audit_path,
		    log_audit_error());
		return EXIT_USAGE;
	}
	return -1;
}

/* The Vault token as the Vault CLI finds it: VAULT_TOKEN, else
 * ~/.vault-token, else (changing commands, on a terminal) a prompt. -1 to
 * go on, else the exit code. */
static int
read_vault_token(struct secret *token, int changing)
{
	int rc;

	if ((rc = secret_from_env(token, "VAULT_TOKEN")) == 0) {
		char tpath[1024];
		if ((rc = secret_from_vault_token_file(token, tpath,
		    sizeof(tpath))) == -1) {
			err_prefix("VAULT_TOKEN is not set and the Vault CLI's "
			    "token file cannot be read");
			return EXIT_USAGE;
		}
		if (rc == 1)
			log_verbose("Vault token from %s", tpath);
	}
	if (changing && rc != 1 &&
	    secret_get(token, "VAULT_TOKEN", "Vault token") == -1) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", err_get());
		err_set("%s (nor is there a ~/.vault-token from `vault login`)",
		    why);
		return EXIT_USAGE;
	}
	return -1;
}

/* Inputs first: a missing one is exit 2 before anything is sent. The
 * secrets are copied into wiped buffers and scrubbed from the environment,
 * which /proc/PID/environ would show for the whole run. -1 to go on, else
 * the exit code. */
static int
read_inputs(struct run *run, struct run_res *rs, struct exec *x)
{
	static const char *const vars[] = { "VAULT_TOKEN",
		"VAULT_DR_OPERATION_TOKEN", "AWS_SECRET_ACCESS_KEY",
		"AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		NULL };
	int changing = run->o->cmd != DR_STATUS, k, rc;

	if ((rc = read_vault_token(&rs->token, changing)) >= 0)
		return rc;
	/* AWS credentials as the SDKs find them: environment, shared files,
	 * instance metadata. status goes on without them. An rfc2136
	 * environment needs none. */
	if (run->c->dns_provider == CONFIG_DNS_RFC2136)
		;
	else if (awscreds_resolve(&rs->ac) == -1) {
		if (changing)
			return EXIT_USAGE;
		snprintf(run->aws_error, sizeof(run->aws_error), "%s",
		    err_get());
		log_warn("%s", err_get());
	} else {
		log_verbose("AWS credentials from %s", rs->ac.source);
		if (rs->ac.expiration > 0 && rs->ac.expiration -
		    (long long)time(NULL) < 15 * 60)
			log_warn("the AWS credentials from %s expire in %lld s",
			    rs->ac.source, rs->ac.expiration -
			    (long long)time(NULL));
	}
	if (changing)
		secret_from_env(&x->batch, "VAULT_DR_OPERATION_TOKEN");
	for (k = 0; vars[k]; k++)
		if (changing || strcmp(vars[k], "VAULT_DR_OPERATION_TOKEN"))
			secret_scrub_env(vars[k]);
	return -1;
}

/* The TLS clients (Vault; Route 53 and the other AWS endpoints) and an
 * HTTP client over each. -1 to go on, else the exit code. */
static int
open_clients(struct run *run, struct run_res *rs)
{
	const struct dr_config *c = run->c;
	struct tls_config vt, at;

	tls_from_env(&vt, 1);
	tls_from_env(&at, 0);
	if (vt.skip_verify)
		log_warn("VAULT_SKIP_VERIFY is set: Vault's TLS certificates are "
		    "NOT verified; anyone on the path can read the Vault token "
		    "and recovery keys");
	if ((rs->vtls = tls_client_new(&vt)) == NULL ||
	    (rs->atls = tls_client_new(&at)) == NULL) {
		tls_file_var(rs->vtls == NULL ? &vt : &at, rs->vtls == NULL);
		return EXIT_USAGE;
	}
	struct http_client_config hc = { rs->vtls,
		(int)(c->connect_timeout * 1000),
		(int)(c->io_timeout * 1000), run->o->verbose };
	rs->vh = http_client_new(&hc);
	hc.tls = rs->atls;
	rs->ah = http_client_new(&hc);
	if (rs->vh == NULL || rs->ah == NULL)
		return EXIT_FAILED;
	/* Vault standbys redirect to the active node (https only); a
	 * signed AWS request never follows a redirect (the default). */
	http_client_follow_redirects(rs->vh, 1);
	return -1;
}

/* Both sides of w, their Vault handles, the DNS backend (Route 53 or
 * RFC 2136), and x's view of them (old: the primary the command moves away
 * from). -1 to go on, else the exit code. */
static int
wire(struct run *run, struct run_res *rs, struct exec *x, struct world *w)
{
	const struct dr_opts *o = run->o;
	const struct dr_config *c = run->c;
	int k, read_only = o->dry_run || o->cmd == DR_STATUS;

	for (k = 0; k < 2; k++) {
		struct world_side *s = &w->side[k];
		s->role = k;
		s->url = c->url[k];
		s->target = c->dns_target[k];
		snprintf(s->label, sizeof(s->label), "%s cluster %s",
		    k ? "secondary" : "primary", s->url);
		run->v[k] = (struct vault){ s->label, s->url, rs->vh,
			&rs->token, read_only, VF_NONE, 0, 0, 0, 0 };
	}
	rs->r53 = (struct r53){ c->r53_endpoint, rs->ah, &rs->ac.access_key,
		&rs->ac.secret_key, &rs->ac.session_token,
		c->zone_id, c->r53_region, read_only, VF_NONE };
	if (c->dns_provider == CONFIG_DNS_RFC2136) {
		if (dnsrec_rfc2136(&rs->rec, c, read_only) == -1)
			return EXIT_USAGE;
	} else
		dnsrec_route53(&rs->rec, &rs->r53, c->cname);
	run->rec = &rs->rec;
	/* the record's refusals name its backend (plan.c) */
	w->dns_name = rs->rec.words->check;
	w->dns_fix = rs->rec.words->fix;
	x->run = run;
	x->w = w;
	x->old = &w->side[o->cmd == DR_FAILBACK ? 1 : 0];
	x->new = &w->side[o->cmd == DR_FAILBACK ? 0 : 1];
	return -1;
}

int
run_open(struct run *run, struct run_res *rs, struct exec *x,
    struct world *w)
{
	int rc;

	if ((rc = open_audit(run)) >= 0 ||
	    (rc = read_inputs(run, rs, x)) >= 0 ||
	    (rc = open_clients(run, rs)) >= 0 ||
	    (rc = wire(run, rs, x, w)) >= 0)
		return rc;
	if (run->c->allow_http)
		log_warn("VAULTDR_ALLOW_HTTP=1: http:// cluster URLs and AWS "
		    "endpoints are accepted; tokens, recovery keys and AWS "
		    "signatures may cross the network in clear");
	if (run->o->cmd != DR_STATUS && run->o->no_lock)
		log_warn("--no-lock: no run lock is taken; nothing stops another "
		    "vaultdr run from changing the same clusters at the same "
		    "time");
	return -1;
}

void
run_close(struct run *run, struct run_res *rs, struct exec *x,
    struct world *w)
{
	int k;

	if (run->o->verbose)
		print_stats(rs->vh, rs->ah);
	for (k = 0; k < 2; k++)
		secret_wipe(&x->tok[k]);
	for (k = 0; k < x->keys.n; k++)
		secret_wipe(&x->keys.k[k]);
	secret_wipe(&x->batch);
	world_clear(w);
	vault_perf_free(&run->perf);
	http_client_free(rs->vh);
	http_client_free(rs->ah);
	tls_client_free(rs->vtls);
	tls_client_free(rs->atls);
	secret_wipe(&rs->token);
	awscreds_free(&rs->ac);
	log_audit_close();
}
