/* dr.h - observe both clusters and the record, plan the missing steps,
 * execute them (DESIGN.md "Step order"), reconcile and roll back. */
#ifndef VAULTDR_DR_H
#define VAULTDR_DR_H

#include "config.h"

enum dr_cmd { DR_FAILOVER, DR_FAILBACK, DR_STATUS };

/* Exit codes (DESIGN.md). */
#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_PARTIAL 3
#define EXIT_REFUSED 4

struct dr_opts {
	enum dr_cmd cmd;
	const char *env;
	const char *config_path; /* NULL: $VAULTDR_CONFIG, else ./vault_dr.cfg */
	int dry_run, primary_down, yes, verbose, json;
	int no_lock; /* --no-lock: no Route 53 run lock (warned every run) */
	int accept_data_loss; /* --accept-data-loss: switch although the
	                       * replication gate fails; no catch-up wait */
	int create_record;    /* --create-record: an absent CNAME is created */
	const char *audit_path; /* --log FILE: append-only JSON lines, mode 0600 */
	int argc;               /* the command line, for the audit record */
	char *const *argv;
	/* Several environments (multi.c): when set (and without -y), the
	 * confirmation is asked through it instead of on the terminal. what:
	 * "Failover of <env> (CNAME <name>) will: <steps>". Returns 1 to
	 * proceed; anything else cancels (exit 2, nothing changed). */
	int (*confirm)(void *arg, const char *what);
	void *confirm_arg;
};

/* Runs the command; returns the exit code. */
int dr_run(const struct dr_opts *o, const struct dr_config *c);

#endif
