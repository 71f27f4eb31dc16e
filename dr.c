/* dr.c - observe -> plan -> execute, for failover, failback and status.
 *
 * The desired state of `failover ENV`: the configured secondary is DR
 * primary, the configured primary is its DR secondary, and the CNAME names
 * the secondary's DNS target (failback: the roles swapped). Every run reads
 * both clusters and the record first and plans only the missing steps, so a
 * second run is a no-op and a run after an interruption finishes the job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awscreds.h"
#include "engine.h"
#include "log.h"
#include "retry.h"

/* Observe-plan-execute rounds before giving up on a world that keeps
 * changing under vaultdr. */
#define MAX_ROUNDS 7

/* The record names the new primary, but not through a change this run saw
 * INSYNC: an earlier run may have been stopped while its change was still
 * PENDING, and no run can know that change's id (issue 17, item 11). */
static int
unconfirmed_propagation(const struct exec *x)
{
	return x->run->o->cmd != DR_STATUS && !x->insync_confirmed &&
	    x->w != NULL && x->new != NULL && world_names(x->w, x->new);
}

/* After a promotion of new failed for certain: read again and roll back
 * only when the read shows new still a DR secondary and old demoted
 * (Safety 2). The caller's final read says what came of it. */
void
roll_back(struct exec *x)
{
	char why[1024], what[400];
	enum rollback rb;

	snprintf(x->promote_error, sizeof(x->promote_error), "%s", err_get());
	observe(x->run, x->w, 1);
	if (retry_stop_requested)
		return;
	rb = plan_rollback(x->w, x->run->o->cmd, x->new_in_doubt, why,
	    sizeof(why));
	snprintf(x->run->step, sizeof(x->run->step), "rollback");
	event(x->run, "plan", rb == RB_PROMOTE_OLD ? "planned" : "skipped",
	    "rollback: %s", why);
	if (rb != RB_PROMOTE_OLD) {
		err_set("%s; no rollback: %s", x->promote_error, why);
		return;
	}
	x->rollback = 1;
	snprintf(what, sizeof(what), "roll back: promote the %s again",
	    x->old->label);
	if (promote_side(x, x->old, "rollback", what) != EX_OK)
		err_set("%s; the rollback promotion of the %s failed: %s",
		    x->promote_error, x->old->label, err_get());
	else
		err_set("%s", x->promote_error);
}

/* The first stop request (SIGHUP, SIGINT, SIGTERM): notes it, keeps the
 * error it interrupted in saved, and clears the flag so that the final
 * read, token deletion and lock release still run (bounded by the request
 * deadlines). A second request sets the flag again and cuts them short.
 * 1 when a first stop request was taken now. */
static int
take_stop(int *stopped, char *saved, size_t savedsz)
{
	if (!retry_stop_requested || *stopped)
		return 0;
	*stopped = 1;
	snprintf(saved, savedsz, "%s", err_get());
	retry_stop_requested = 0;
	return 1;
}

int
dr_run(const struct dr_opts *o, const struct dr_config *c)
{
	struct run run;
	struct tls_config vt, at;
	struct tls_client *vtls = NULL, *atls = NULL;
	struct http_client *vh = NULL, *ah = NULL;
	struct secret token = { 0 };
	struct aws_creds ac;
	struct world w;
	struct r53 r53;
	struct exec x;
	struct plan p;
	struct plan_opts po = { o->primary_down, o->no_lock, c->cname,
		o->accept_data_loss, o->create_record };
	char state[1024] = "nothing changed", saved[2048] = "";
	int code = EXIT_FAILED, k, round, changing = o->cmd != DR_STATUS, rc;
	int fresh = 0, stopped = 0, dry = 0, summarised = 0;
	unsigned printed = ~0u; /* steps of the plan printed last round */

	memset(&run, 0, sizeof(run));
	run.o = o;
	run.c = c;
	run.t0 = retry_now_ms();
	memset(&w, 0, sizeof(w));
	memset(&x, 0, sizeof(x));
	memset(&r53, 0, sizeof(r53));
	memset(&ac, 0, sizeof(ac));
	retry_init(c->retry_base, c->max_retries);
	run.lock_ttl = c->lock_ttl > 0 ? c->lock_ttl : 900;
	if (o->audit_path) {
		if (log_audit_open(o->audit_path) == -1) {
			code = EXIT_USAGE;
			goto out;
		}
		/* The opening record, on disk before anything is sent: a
		 * run that cannot leave an audit trail changes nothing. */
		if (audit_open_record(&run) == -1) {
			err_set("--log %s: the opening audit record could not be "
			    "written (%s); nothing was changed", o->audit_path,
			    log_audit_error());
			code = EXIT_USAGE;
			goto out;
		}
	}

	/* Inputs first: a missing one is exit 2 before anything is sent. As
	 * the Vault CLI: VAULT_TOKEN, else ~/.vault-token, else (changing
	 * commands, on a terminal) a prompt. */
	if ((rc = secret_from_env(&token, "VAULT_TOKEN")) == 0) {
		char tpath[1024];
		if ((rc = secret_from_vault_token_file(&token, tpath,
		    sizeof(tpath))) == -1) {
			err_prefix("VAULT_TOKEN is not set and the Vault CLI's "
			    "token file cannot be read");
			code = EXIT_USAGE;
			goto out;
		}
		if (rc == 1)
			log_verbose("Vault token from %s", tpath);
	}
	if (changing && rc != 1 &&
	    secret_get(&token, "VAULT_TOKEN", "Vault token") == -1) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", err_get());
		err_set("%s (nor is there a ~/.vault-token from `vault login`)",
		    why);
		code = EXIT_USAGE;
		goto out;
	}
	/* AWS credentials as the SDKs find them: environment, shared files,
	 * instance metadata. status goes on without them. */
	if (awscreds_resolve(&ac) == -1) {
		if (changing) {
			code = EXIT_USAGE;
			goto out;
		}
		snprintf(run.aws_error, sizeof(run.aws_error), "%s", err_get());
		log_warn("%s", err_get());
	} else {
		log_verbose("AWS credentials from %s", ac.source);
		if (ac.expiration > 0 && ac.expiration - (long long)time(NULL) <
		    15 * 60)
			log_warn("the AWS credentials from %s expire in %lld s",
			    ac.source, ac.expiration - (long long)time(NULL));
	}
	if (changing)
		secret_from_env(&x.batch, "VAULT_DR_OPERATION_TOKEN");
	/* Copied into wiped buffers: nothing else needs the environment's
	 * copies, which /proc/PID/environ would show for the whole run. */
	{
		static const char *const vars[] = { "VAULT_TOKEN",
			"VAULT_DR_OPERATION_TOKEN", "AWS_SECRET_ACCESS_KEY",
			"AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
			"AWS_SECURITY_TOKEN", NULL };
		for (k = 0; vars[k]; k++)
			if (changing || strcmp(vars[k], "VAULT_DR_OPERATION_TOKEN"))
				secret_scrub_env(vars[k]);
	}

	tls_from_env(&vt, 1);
	tls_from_env(&at, 0);
	if (vt.skip_verify)
		log_warn("VAULT_SKIP_VERIFY is set: Vault's TLS certificates are "
		    "NOT verified; anyone on the path can read the Vault token "
		    "and recovery keys");
	if ((vtls = tls_client_new(&vt)) == NULL ||
	    (atls = tls_client_new(&at)) == NULL) {
		tls_file_var(vtls == NULL ? &vt : &at, vtls == NULL);
		code = EXIT_USAGE;
		goto out;
	}
	{
		struct http_client_config hc = { vtls,
			(int)(c->connect_timeout * 1000),
			(int)(c->io_timeout * 1000), o->verbose };
		vh = http_client_new(&hc);
		hc.tls = atls;
		ah = http_client_new(&hc);
		if (vh == NULL || ah == NULL)
			goto out;
		/* Vault standbys redirect to the active node (https only);
		 * a signed AWS request never follows a redirect (the default). */
		http_client_follow_redirects(vh, 1);
	}
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w.side[k];
		s->role = k;
		s->url = c->url[k];
		s->target = c->dns_target[k];
		snprintf(s->label, sizeof(s->label), "%s cluster %s",
		    k ? "secondary" : "primary", s->url);
		run.v[k] = (struct vault){ s->label, s->url, vh, &token,
			o->dry_run || !changing, VF_NONE };
	}
	r53 = (struct r53){ c->r53_endpoint, ah, &ac.access_key,
		&ac.secret_key, &ac.session_token,
		c->zone_id, c->r53_region, o->dry_run || !changing, VF_NONE };
	run.r53 = &r53;
	x.run = &run;
	x.w = &w;
	x.r53 = &r53;
	x.old = &w.side[o->cmd == DR_FAILBACK ? 1 : 0];
	x.new = &w.side[o->cmd == DR_FAILBACK ? 0 : 1];
	if (c->allow_http)
		log_warn("VAULTDR_ALLOW_HTTP=1: http:// cluster URLs and AWS "
		    "endpoints are accepted; tokens, recovery keys and AWS "
		    "signatures may cross the network in clear");
	if (changing && o->no_lock)
		log_warn("--no-lock: no run lock is taken; nothing stops another "
		    "vaultdr run from changing the same clusters at the same "
		    "time");

	if (o->cmd == DR_STATUS) {
		observe(&run, &w, 1);
		run.state_read = 1;
		code = do_status(&run, &w);
		/* The report is the last stdout object; the audit file
		 * still closes with the summary. */
		if (log_audit_on()) {
			struct buf b = { 0 };
			summary_json(&run, &x, code, "status report", NULL, &b);
			json_emit(&b, 0);
		}
		summarised = 1;
		goto out;
	}

	err_clear();
	for (round = 0;; round++) {
		if (retry_stop_requested)
			goto finish;
		if (round == MAX_ROUNDS) {
			snprintf(saved, sizeof(saved), "%s", err_get());
			err_set("the clusters kept changing while vaultdr worked "
			    "(%d rounds); the last error: %s", MAX_ROUNDS,
			    saved[0] ? saved : "none");
			saved[0] = '\0';
			code = EXIT_FAILED;
			goto finish;
		}
		if (lock_keep(&run) == -1) {
			code = EXIT_FAILED;
			goto finish;
		}
		snprintf(run.step, sizeof(run.step), "observe");
		run.cluster[0] = '\0';
		run.step_t0 = retry_now_ms();
		event(&run, "begin", "started", "About to read both clusters and "
		    "the CNAME %s", c->cname);
		observe(&run, &w, 1);
		if (retry_stop_requested)
			goto finish;
		fresh = 1;
		run.state_read = 1;
		report_observation(&run, &w);
		/* --primary-down speaks of a cluster that cannot be reached;
		 * once this run has read it, it no longer applies. */
		if (world_readable(x.old))
			po.primary_down = 0;
		plan_make(&w, o->cmd, &po, &p);
		if (p.verdict >= 0) {
			/* "nothing was changed" only when it is true. */
			err_set("%s%s", p.why, x.attempted ? "" :
			    "; nothing was changed");
			code = x.attempted ? EXIT_FAILED : p.verdict;
			goto finish;
		}
		if (p.steps != printed || round == 0)
			print_plan(&run, &w, &p, o->dry_run ? "dry run: would " :
			    "plan: ", secret_is_set(&x.batch) && !x.batch_refused);
		printed = ~0u;
		if (p.steps == 0) {
			/* Safety 3: this read shows the desired state (or, exit
			 * 3, all of it the unreachable old primary allows). */
			code = p.exit_code;
			if (p.partial)
				err_set("%s", p.why);
			else
				err_clear();
			goto finish;
		}
		/* Safety 4: the Vault checks before the lock and before any
		 * DR operation token; the dry run runs them too. */
		if (!x.preflight_done && (p.steps & ST_CHANGING) &&
		    (rc = preflight(&x, &p, secret_is_set(&x.batch) &&
		    !x.batch_refused)) >= 0) {
			code = x.attempted ? EXIT_FAILED : rc;
			dry = o->dry_run;
			goto finish;
		}
		if (o->dry_run) {
			code = EXIT_DONE;
			dry = 1;
			goto finish;
		}
		if (round == 0 && !confirm(&run, &p)) {
			err_set("not confirmed (the environment name was not "
			    "typed); nothing was changed");
			code = EXIT_USAGE;
			goto finish;
		}
		/* Inputs before the lock: missing key shares are exit 2 with
		 * nothing sent that changes anything. */
		if (!secret_is_set(&x.batch) && (rc = p.steps & ST_PROMOTE ?
		    load_keys(&x, x.new) : (p.steps & ST_REATTACH) &&
		    world_is_mode(x.old, "secondary") ? load_keys(&x, x.old) :
		    0) < 0) {
			code = x.attempted || rc == -2 ? EXIT_FAILED :
			    EXIT_USAGE;
			goto finish;
		}
		/* Hooks: the site's checks and fencing, before the first
		 * changing request, the lock included (and the fence before
		 * the promote). */
		if ((rc = pre_change_hooks(&x, &p)) >= 0) {
			if (!x.attempted) {
				snprintf(saved, sizeof(saved), "%s", err_get());
				err_set("%s; nothing was changed", saved);
				saved[0] = '\0';
			}
			code = x.attempted ? EXIT_FAILED : rc;
			goto finish;
		}
		/* Safety 6: the lock before the first changing request. */
		if (!run.lock_taken && !o->no_lock) {
			rc = lock_take(&run);
			if (rc != EXIT_DONE) {
				code = x.attempted ? EXIT_FAILED : rc;
				goto finish;
			}
			/* What was read before the lock may be stale (another
			 * run may just have finished): read and plan again. */
			printed = p.steps;
			continue;
		}
		fresh = 0;
		rc = execute(&x, &p);
		if (retry_stop_requested)
			goto finish;
		if (rc == EX_REPLAN) {
			log_warn("%s; reading the clusters again", err_get());
			continue;
		}
		if (rc == EX_INPUT) {
			code = x.attempted ? EXIT_FAILED : EXIT_USAGE;
			goto finish;
		}
		if (rc == EX_FAIL) {
			code = EXIT_FAILED;
			goto finish;
		}
		/* EX_OK: the next read decides whether the desired state is
		 * there (Safety 3). */
	}

finish:
	/* Safety 10: the first stop request ends the run cleanly (final read,
	 * tokens, lock, summary); a second one cuts that short. */
	if (take_stop(&stopped, saved, sizeof(saved))) {
		code = EXIT_FAILED;
		fresh = 0;
	}
	if ((x.attempted || stopped) && !fresh) {
		char before[2048];
		int tries;
		snprintf(before, sizeof(before), "%s", err_get());
		for (tries = 0; tries < 2 && !fresh; tries++) {
			snprintf(run.step, sizeof(run.step), "final-read");
			run.cluster[0] = '\0';
			run.step_t0 = retry_now_ms();
			event(&run, "begin", "started", "About to read both "
			    "clusters and the CNAME %s for the final state",
			    c->cname);
			observe(&run, &w, !stopped);
			fresh = !retry_stop_requested;
			if (fresh)
				report_observation(&run, &w);
			else if (take_stop(&stopped, saved, sizeof(saved)))
				code = EXIT_FAILED; /* first signal: read again */
			else
				break;
		}
		err_set("%s", before);
	}
	if (!dry) {
		char keep[2048];
		snprintf(keep, sizeof(keep), "%s", err_get());
		cleanup_tokens(&x);
		if (take_stop(&stopped, saved, sizeof(saved)))
			code = EXIT_FAILED;
		lock_release(&run);
		if (take_stop(&stopped, saved, sizeof(saved)))
			code = EXIT_FAILED;
		if (keep[0])
			err_set("%s", keep);
		else
			err_clear();
	}
	if (dry)
		snprintf(state, sizeof(state), "dry run: nothing was changed");
	else if ((x.attempted || stopped) && !fresh)
		snprintf(state, sizeof(state), "interrupted; the final state "
		    "was not read");
	else if (fresh) {
		char d[900];
		world_describe(&w, c->cname, d, sizeof(d));
		snprintf(state, sizeof(state), "%s%s%s", x.attempted ? "" :
		    "nothing changed; ", d, unconfirmed_propagation(&x) ?
		    "; the CNAME already named the new primary when this run "
		    "read it: its propagation (Route 53 INSYNC, "
		    "DNS_PROPAGATION_DELAY) was not confirmed by this run" : "");
	}
	if (x.rollback && fresh) {
		/* Every claim from the final read (Safety 3). */
		if (world_is_mode(x.old, "primary") &&
		    world_is_mode(x.new, "secondary"))
			err_set("%s; rolled back: the %s is DR primary again%s",
			    x.promote_error, x.old->label, world_names(&w,
			    x.old) ? " and the CNAME still names it" : "");
		else if (world_is_mode(x.old, "secondary") &&
		    world_is_mode(x.new, "secondary"))
			err_set("%s; ROLLBACK FAILED: both clusters are DR "
			    "secondaries now: promote one of them by hand",
			    x.promote_error);
		else
			err_set("%s; after the rollback attempt: %s",
			    x.promote_error, state);
	} else if (x.rollback)
		err_set("%s; a rollback was attempted; its outcome is unknown",
		    x.promote_error);
	if (stopped && strncmp(saved, "stopped by signal", 17) == 0)
		err_set("%s; vaultdr is safe to re-run: it continues from the "
		    "state it finds", saved);
	else if (stopped && saved[0])
		err_set("stopped by signal (while: %s); vaultdr is safe to "
		    "re-run: it continues from the state it finds", saved);
	else if (stopped)
		err_set("stopped by signal; vaultdr is safe to re-run: it "
		    "continues from the state it finds");
	if (retry_stop_requested)
		code = EXIT_FAILED;
	if (x.token_note[0]) {
		size_t l = strlen(state);
		snprintf(state + l, sizeof(state) - l, "; %s", x.token_note);
	}
	/* The post hook: after the final read, whatever the outcome; its
	 * failure is a warning (the switch is what it is). */
	if (run.state_read && !dry && changing) {
		char keep[2048];
		snprintf(keep, sizeof(keep), "%s", err_get());
		if (run_hook(&x, CONFIG_HOOK_POST, code, state) == -1)
			log_warn("%s", err_get());
		err_set("%s", keep);
		if (!keep[0])
			err_clear();
	}
	summary(&run, &x, code, state);
	summarised = 1;
out:
	/* Every exit path ends with one summary object (--json) and record
	 * (--log), the early input and config errors too. */
	if (!summarised && (o->json || log_audit_on()))
		summary(&run, x.new ? &x : NULL, code, "nothing was changed");
	if (o->verbose)
		print_stats(vh, ah);
	for (k = 0; k < 2; k++)
		secret_wipe(&x.tok[k]);
	for (k = 0; k < x.keys.n; k++)
		secret_wipe(&x.keys.k[k]);
	secret_wipe(&x.batch);
	free(x.change_id);
	world_clear(&w);
	http_client_free(vh);
	http_client_free(ah);
	tls_client_free(vtls);
	tls_client_free(atls);
	secret_wipe(&token);
	awscreds_free(&ac);
	log_audit_close();
	return code;
}
