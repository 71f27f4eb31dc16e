/* dr.h - observe both clusters and the record, plan the missing steps,
 * execute them (DESIGN.md "Step order"), reconcile and roll back. */
#ifndef VAULTDR_DR_H
#define VAULTDR_DR_H

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
	const char *audit_path; /* --log FILE: append-only JSON lines, mode 0600 */
};

struct dr_config {
	char *path;
	char *env;              /* lower case, the key prefix */
	char *section;          /* as written in the file */
	char *url[2];           /* [0] configured primary, [1] configured secondary */
	char *dns_target[2];
	char *cname;
	char *zone_id;
	long ttl;
	char *r53_endpoint;
	double retry_base;
	int max_retries;
	double connect_timeout, io_timeout, poll_interval, insync_timeout,
	    ready_timeout, dns_delay;
	double lock_ttl; /* VAULTDR_LOCK_TTL seconds; 0: dr_run reads it */
};

/* Reads the config file and the numeric environment. 0 / -1 (err_set,
 * exit 2). */
int dr_load_config(const struct dr_opts *o, struct dr_config *c);
void dr_config_free(struct dr_config *c);
/* Runs the command; returns the exit code. */
int dr_run(const struct dr_opts *o, const struct dr_config *c);

#endif
