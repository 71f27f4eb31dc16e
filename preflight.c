/* preflight.c - the Vault half of the checks before anything is changed
 * (Safety 4): the token and its capabilities, and enough recovery key
 * shares or a batch DR operation token. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

/* The DR primary a token check can ask (the token store lives there). */
static struct world_side *
current_primary(struct exec *x)
{
	if (world_is_mode(x->old, "primary"))
		return x->old;
	if (world_is_mode(x->new, "primary"))
		return x->new;
	return NULL;
}

/* Names the first capability of need (space separated) that caps lacks. */
static void
missing_cap(const char *caps, const char *need, char *out, size_t outsz)
{
	char words[64], *w, *save = NULL;

	snprintf(words, sizeof(words), "%s", need);
	snprintf(out, outsz, "%s", need);
	for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!vault_caps_allow(caps, w)) {
			snprintf(out, outsz, "%s", w);
			return;
		}
}

const char *const preflight_cap_paths[3] = {
	"sys/replication/dr/primary/demote",
	"sys/replication/dr/primary/secondary-token",
	"sys/replication/dr/primary/revoke-secondary",
};

/* Token and capability checks (Safety 4). -1 passed, else the exit code
 * (err_set). */
static int
preflight_token(struct exec *x, const struct plan *p)
{
	/* All three are asked, whatever the plan needs (one request, the same
	 * each run, so the first observation can fetch it ahead). */
	static const unsigned need[3] = { ST_DEMOTE, ST_REATTACH, ST_REATTACH };
	struct world_side *pr = current_primary(x);
	struct vault_cap caps[3] = {
		{ preflight_cap_paths[0], "update", 0, "" },
		{ preflight_cap_paths[1], "update sudo", 0, "" },
		{ preflight_cap_paths[2], "update", 0, "" } };
	char pol[256] = "", miss[32];
	long long ttl = 0;
	size_t i;
	int valid = 0;

	if (pr == NULL) {
		event(x->run, "end", "skipped", "preflight: token check not "
		    "done: no DR primary to ask");
		return -1;
	}
	if (vault_lookup_self(V(x->run, pr), &valid, pol, sizeof(pol),
	    &ttl) == -1) {
		err_prefix("token check on the %s", pr->label);
		return EXIT_FAILED;
	}
	if (!valid) {
		err_set("token check: VAULT_TOKEN is not valid on the %s "
		    "(auth/token/lookup-self answered 403: an unknown or "
		    "expired token, or one without the default policy); set "
		    "VAULT_TOKEN to a token with the DR policies; "
		    "nothing was changed", pr->label);
		return EXIT_USAGE;
	}
	if ((p->steps & (ST_DEMOTE | ST_REATTACH)) &&
	    vault_capabilities(V(x->run, pr), caps, 3) == -1) {
		err_prefix("capability check on the %s", pr->label);
		return EXIT_FAILED;
	}
	for (i = 0; i < 3; i++)
		if ((p->steps & need[i]) && !caps[i].allowed) {
			missing_cap(caps[i].caps, caps[i].need, miss,
			    sizeof(miss));
			err_set("capability check: VAULT_TOKEN lacks the '%s' "
			    "capability on %s (sys/capabilities-self on the %s "
			    "lists: %s); add it to the token's policy; nothing "
			    "was changed", miss, caps[i].path, pr->label,
			    caps[i].caps[0] ? caps[i].caps : "none");
			return EXIT_USAGE;
		}
	event(x->run, "end", "ok", "preflight: VAULT_TOKEN is valid on the %s "
	    "(policies %s) with the capabilities the plan needs", pr->label,
	    pol[0] ? pol : "-");
	return -1;
}

/* Enough recovery key shares for Vault's `required`, or a batch token
 * (Safety 4). -1 passed, else the exit code (err_set). */
static int
preflight_keys(struct exec *x, const struct plan *p, int batch)
{
	struct world_side *s = NULL;
	int required = 0, otp_len = 0, started = 0, have = 0, i, fd;
	char missing[64] = "";

	if (batch) {
		event(x->run, "end", "ok", "preflight: the batch DR operation "
		    "token (VAULT_DR_OPERATION_TOKEN) is given");
		return -1;
	}
	if (!(p->steps & (ST_PROMOTE | ST_REATTACH)))
		return -1;
	if (world_is_mode(x->new, "secondary"))
		s = x->new;
	else if (world_is_mode(x->old, "secondary"))
		s = x->old;
	if (s == NULL)
		return -1;
	if (vault_attempt_info(V(x->run, s), &required, &otp_len,
	    &started) == -1) {
		/* A server failure, not an input error (exit 1). */
		err_prefix("key share check: reading the operation token "
		    "status on the %s", s->label);
		return EXIT_FAILED;
	}
	for (i = 0; i < required && i < 16; i++) {
		struct secret k = { 0 };
		char var[64];
		snprintf(var, sizeof(var), "VAULT_RECOVERY_KEY_%d", i + 1);
		if (secret_from_env(&k, var) == 1)
			have++;
		else if (!missing[0])
			snprintf(missing, sizeof(missing), "%s", var);
		secret_wipe(&k);
	}
	if (have < required) {
		if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY)) != -1) {
			close(fd);
			return -1; /* the rest is asked for on the terminal */
		}
		err_set("key share check: the %s needs %d recovery key shares; "
		    "%d are set (%s is missing) and there is no terminal to "
		    "ask for the rest. Set VAULT_RECOVERY_KEY_1..%d, or give a "
		    "batch DR operation token in VAULT_DR_OPERATION_TOKEN; "
		    "nothing was changed", s->label, required, have, missing,
		    required);
		return EXIT_USAGE;
	}
	event(x->run, "end", "ok", "preflight: %d recovery key shares at hand "
	    "(the %s needs %d)", have, s->label, required);
	return -1;
}

/* The Vault half of preflight (Safety 4), once per run, before the lock
 * and before any DR operation token is generated; the dry run too. The
 * config, record, zone, gate and version checks are in plan_make. */
int
preflight(struct exec *x, const struct plan *p, int batch)
{
	int rc;

	x->run->prefetch_token = 0; /* once: its answers are taken now */
	snprintf(x->run->step, sizeof(x->run->step), "preflight");
	x->run->cluster[0] = '\0';
	x->run->step_t0 = retry_now_ms();
	if ((rc = preflight_token(x, p)) >= 0 ||
	    (rc = preflight_keys(x, p, batch)) >= 0)
		return rc;
	if (p->version_skew)
		event(x->run, "end", "ok", "preflight: version rule: %s", p->why);
	if (p->steps & ST_DEMOTE)
		event(x->run, "end", p->gate_failed ? "accepted" : "ok",
		    "preflight: replication gate %s: %s", p->gate_failed ?
		    "FAILED, accepted with --accept-data-loss" : "passed",
		    p->gate_why);
	x->preflight_done = 1;
	return -1;
}
