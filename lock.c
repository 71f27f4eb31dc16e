/* lock.c - the run lock (DESIGN.md Safety 6): a TXT record
 * _vaultdr-lock.<cname>, taken before the first changing request, renewed
 * while the run lasts, released on every exit after it was taken. */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

/* The run lock (DESIGN.md Safety 6): a TXT record _vaultdr-lock.<cname>,
 * taken before the first changing request, renewed while the run lasts,
 * released on every exit after it was taken. */

/* Characters a lock field may hold: the rest become '_'. */
static void
lock_field(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < dstsz; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = isalnum(ch) || ch == '.' || ch == '-' || ch == '_' ?
		    (char)ch : '_';
	}
	dst[i] = '\0';
	if (i == 0 && dstsz > 1)
		snprintf(dst, dstsz, "unknown");
}

static long long
lock_expiry_from_now(const struct run *run)
{
	double t = run->lock_ttl;

	return (long long)time(NULL) + (long long)(t < 1 ? 1 : t + 0.999);
}

void
lock_observe(struct run *run, struct world *w)
{
	struct r53_lock l;
	int held = 0;

	w->lock = LOCK_UNREAD;
	w->lock_owner[0] = w->lock_error[0] = '\0';
	w->lock_expires = 0;
	if (run->o->no_lock || !dnsrec_usable(run->rec))
		return;
	run->rec->lock_seen_free = 0;
	if (run->lock_taken) {
		w->lock = LOCK_OURS;
		return;
	}
	memset(&l, 0, sizeof(l));
	if (dnsrec_lock_read(run->rec, &held, &l) == -1) {
		w->lock = LOCK_UNREADABLE;
		snprintf(w->lock_error, sizeof(w->lock_error), "%s", err_get());
		return;
	}
	if (!held) {
		w->lock = LOCK_FREE;
		run->rec->lock_seen_free = 1;
		return;
	}
	snprintf(w->lock_owner, sizeof(w->lock_owner), "owner=%s pid=%ld "
	    "cmd=%s env=%s", l.owner, l.pid, l.cmd, l.env);
	w->lock_expires = l.expires;
	w->lock = l.expires <= (long long)time(NULL) ? LOCK_EXPIRED : LOCK_HELD;
}

void
who_runs(char *user, size_t usersz, char *host, size_t hostsz)
{
	const char *u = getenv("USER");

	if (u == NULL || *u == '\0')
		u = getenv("LOGNAME");
	if (u == NULL || *u == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		u = pw ? pw->pw_name : "";
	}
	snprintf(user, usersz, "%s", u);
	if (gethostname(host, hostsz) == -1)
		host[0] = '\0';
	host[hostsz - 1] = '\0';
}

/* Takes the lock. EXIT_DONE when taken; EXIT_REFUSED when another run holds
 * it; EXIT_USAGE when the credentials may not create it; EXIT_FAILED
 * otherwise. err_set on failure. */
int
lock_take(struct run *run)
{
	struct r53_lock other;
	char user[64], host[128], uname[128], name[256];
	int rc;

	memset(&run->lock, 0, sizeof(run->lock));
	memset(&other, 0, sizeof(other));
	who_runs(uname, sizeof(uname), name, sizeof(name));
	lock_field(user, sizeof(user), uname);
	lock_field(host, sizeof(host), name);
	snprintf(run->lock.owner, sizeof(run->lock.owner), "%s@%s", user, host);
	run->lock.pid = (long)getpid();
	snprintf(run->lock.cmd, sizeof(run->lock.cmd), "%s",
	    run->o->cmd == DR_FAILOVER ? "failover" : "failback");
	lock_field(run->lock.env, sizeof(run->lock.env), run->c->env);
	run->lock.expires = lock_expiry_from_now(run);
	if (r53_lock_format(&run->lock) == -1)
		return EXIT_FAILED;
	step_begin(run, "lock", NULL, "take the run lock %s%s (expires at unix "
	    "time %lld)", R53_LOCK_PREFIX, run->c->cname,
	    run->lock.expires);
	rc = dnsrec_lock_take(run->rec, &run->lock, &other);
	if (rc == 0) {
		run->lock_taken = 1;
		run->lock_renewed_ms = retry_now_ms();
		step_end(run, "ok", "took the run lock");
		return EXIT_DONE;
	}
	if (rc == 1) {
		err_set("another vaultdr run holds the lock %s%s (owner=%s "
		    "pid=%ld cmd=%s env=%s, expires at unix time %lld); nothing "
		    "was changed. Wait for it to finish, or for the lock to "
		    "expire", R53_LOCK_PREFIX, run->c->cname, other.owner,
		    other.pid, other.cmd, other.env, other.expires);
		step_end(run, "refused", "the lock is held by another run");
		return EXIT_REFUSED;
	}
	if (run->rec->denied) {
		err_prefix("%s refused to create the run lock %s%s: %s, or run "
		    "with --no-lock (no protection against a concurrent run)",
		    run->rec->words->provider, R53_LOCK_PREFIX, run->c->cname,
		    run->rec->words->lock_fix);
		step_end(run, "failed", "no run lock");
		return EXIT_USAGE;
	}
	err_prefix("cannot take the run lock %s%s", R53_LOCK_PREFIX,
	    run->c->cname);
	step_end(run, "failed", "no run lock");
	/* Our CREATE may have been applied with its answer lost: the exit
	 * path deletes our exact value, harmless when it is absent. */
	run->lock_maybe = 1;
	return EXIT_FAILED;
}

/* Renews the lock once more than a third of its TTL has passed since the
 * last renewal. -1 (err_set) only when the lock could not be renewed and has
 * expired: the run must not change anything more. */
int
lock_keep(struct run *run)
{
	long long now = retry_now_ms();

	if (!run->lock_taken || retry_stop_requested ||
	    (double)(now - run->lock_renewed_ms) < run->lock_ttl * 1000 / 3)
		return 0;
	if (dnsrec_lock_renew(run->rec, &run->lock,
	    lock_expiry_from_now(run)) == 0) {
		run->lock_renewed_ms = now;
		log_verbose("renewed the run lock until unix time %lld",
		    run->lock.expires);
		return 0;
	}
	if ((long long)time(NULL) < run->lock.expires) {
		log_warn("could not renew the run lock (%s); retrying before "
		    "it expires at unix time %lld", err_get(), run->lock.expires);
		return 0;
	}
	err_prefix("the run lock expired and could not be renewed; stopping "
	    "before another run can take it");
	return -1;
}

/* Deletes the lock if this run holds it (every exit path). */
void
lock_release(struct run *run)
{
	if (!run->lock_taken && !run->lock_maybe)
		return;
	step_begin(run, "unlock", NULL, "release the run lock %s%s",
	    R53_LOCK_PREFIX, run->c->cname);
	if (dnsrec_lock_release(run->rec, &run->lock) == 0) {
		run->lock_taken = run->lock_maybe = 0;
		step_end(run, "ok", "released the run lock");
		return;
	}
	log_warn("the run lock %s%s could not be deleted (%s); it expires at "
	    "unix time %lld, when another run may take it over",
	    R53_LOCK_PREFIX, run->c->cname, err_get(), run->lock.expires);
	step_end(run, "warning", "the run lock is left until it expires");
}
