/* engine.h - the failover engine's shared state, internal to the engine
 * files below dr.c (event.c, lock.c, observe.c, report.c, steps.c,
 * preflight.c, runenv.c) and dr.c itself. Not an interface for anything
 * else: vaultdr.c and the tests use dr.h.
 *
 * One `struct run` lives for a whole dr_run(): the options, the config, the
 * Vault handles and the DNS backend (dnsrec.h), the current step (for
 * events) and the run lock. One `struct exec` holds what the executors share across rounds:
 * the DR operation tokens, the key shares, and what was (maybe) changed. */
#ifndef VAULTDR_ENGINE_H
#define VAULTDR_ENGINE_H

#include <stddef.h>

#include "awscreds.h"
#include "buf.h"
#include "config.h"
#include "dr.h"
#include "http.h"
#include "dnsrec.h"
#include "plan.h"
#include "route53.h"
#include "secret.h"
#include "tls.h"
#include "vault.h"

struct run {
	const struct dr_opts *o;
	const struct dr_config *c;
	long long t0;
	long long step_t0;
	char step[32];
	char cluster[256];
	struct vault v[2];        /* per side: [0] configured primary */
	struct dnsrec *rec;       /* the record and the lock (dnsrec.h) */
	char aws_error[512];      /* why there are no AWS credentials */
	double lock_ttl;          /* seconds (VAULTDR_LOCK_TTL) */
	int lock_taken;           /* this run holds the lock: release it */
	int lock_maybe;           /* a failed take may have created it */
	long long lock_renewed_ms;
	struct r53_lock lock;     /* ours, while lock_taken */
	int state_read;           /* the world was read at least once */
	int prefetch_token;       /* 1 + the side whose token check
	                             (preflight) goes out with the next
	                             observation; 0 none */
	const char *prefetch_change; /* a Route 53 change whose GetChange
	                             goes out with the next observation */
	int observed_ahead;       /* the next observe() takes answers
	                             fetched already (an INSYNC poll's) */
	int prefetch_perf;        /* 1 + the side whose performance status
	                             (perf.c, after a change) goes out with
	                             the next observation; 0 none */
	char change_id[128];      /* Route 53 change of the current step */
	/* Performance replication as the DR primary reported it (perf.c). */
	int perf_read;            /* perf holds a read (maybe failed) */
	int perf_role;            /* whose: run->v[perf_role] */
	struct vault_perf perf;
};

struct wait_progress {
	const char *what;   /* "INSYNC wait" */
	const char *kind;   /* "insync": the JSON "wait" field */
	double timeout;     /* seconds */
	long long t0, last; /* ms */
	long long poll_ms;  /* when the current poll began */
	char state[160];    /* the last state seen */
};

/* The Vault handle of a side. */
static inline struct vault *
V(struct run *run, const struct world_side *s)
{
	return &run->v[s->role];
}

/* Reads riding along with the engine's requests (ride.c). */
struct ride {
	struct http_rider hr;
	int kind;                /* none, INSYNC polls, the last WAL */
	long long next_ms;       /* INSYNC: when the next poll is due */
	int seen;                /* INSYNC: a poll saw the change INSYNC */
	int left;                /* WAL: key-share updates still to send */
	struct r53_prefetch p;   /* INSYNC: GetChange, as a job */
	struct vault_job vj[2];  /* WAL: old's dr/status, as a job */
};

struct exec {
	struct run *run;
	struct world *w;
	struct world_side *old, *new;
	struct secret batch;     /* VAULT_DR_OPERATION_TOKEN */
	struct vault_keys keys;  /* collected once, used for both clusters */
	int keys_loaded;
	struct secret tok[2];    /* generated DR operation token per side */
	int batch_refused;       /* Vault refused the batch token: use keys */
	struct dnsrec_change ch; /* the record change awaiting INSYNC */
	int change_pending;      /* ch was made and is not yet seen served */
	int attempted;           /* a changing request was (maybe) sent */
	int rollback;            /* a rollback promotion was attempted */
	int new_in_doubt;        /* a promote of new had an unknown outcome */
	char promote_error[1024];/* why the promotion failed (rollback case) */
	int preflight_done;      /* the Vault checks of Safety 4 passed */
	int promoted_token_noted;/* the summary notes an undeletable token */
	char token_note[400];
	int pre_hooks_done;      /* the pre-change hook ran (or none is set) */
	int fence_done;          /* the fence hook ran and exited 0 */
	char last_change_id[128];/* the Route 53 change of this run */
	int insync_confirmed;    /* this run saw its change INSYNC */
	int rollback_due;        /* a promote or catch-up of new failed for
	                          * certain: the caller rolls back */
	struct ride ride;
};

/* What run_open() sets up for a run and run_close() frees. */
struct run_res {
	struct tls_client *vtls, *atls;
	struct http_client *vh, *ah;
	struct secret token;     /* VAULT_TOKEN */
	struct aws_creds ac;
	struct r53 r53;
	struct dnsrec rec;       /* over r53, or RFC 2136 (dnsrec.h) */
};

/* Execution outcomes: done; failed; outcome unknown, read and plan again;
 * missing input. */
enum { EX_OK, EX_FAIL, EX_REPLAN, EX_INPUT };

/* ---------------------------------------------------------------- event.c */

/* Starts a JSON line in b: {"schema_version":N,"time":"..." (no closing
 * brace). json_field appends ,"k":"v" (v NULL: null). json_emit closes
 * the object, redacts it, prints it to stdout when to_stdout, writes it to
 * the audit file, and frees b. */
void json_line_begin(struct buf *b);
void json_field(struct buf *b, const char *k, const char *v);
void json_emit(struct buf *b, int to_stdout);

/* One progress event of the current step (run->step, run->cluster):
 * action "begin", "end" or "plan"; result "ok", "failed", ... Text mode
 * prints the message; --json and the audit file get one JSON object. */
void event(struct run *run, const char *action, const char *result,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Starts step `step` (about cluster, or NULL): "About to <msg>". */
void step_begin(struct run *run, const char *step, const char *cluster,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Ends the current step with result and "<msg> (N.N s)". */
void step_end(struct run *run, const char *result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A wait's progress: wait_begin starts it; wait_progress notes the state of
 * the latest poll and prints a line when due (force: the longer interval);
 * wait_sleep sleeps secs in slices with a line at least every 30 s, 0 /
 * -1 (stop request). */
void wait_begin(struct wait_progress *wp, const char *what, const char *kind,
    double timeout);
void wait_progress(struct run *run, struct wait_progress *wp,
    const char *state, int force);
int wait_sleep(struct run *run, struct wait_progress *wp, double secs);

/* ----------------------------------------------------------------- ride.c */

/* After the record change (Route 53): its GetChange rides along with the
 * requests of other servers every poll interval; x->ride.seen once one saw
 * it INSYNC. */
void ride_insync(struct exec *x);
/* Before new's token generation from `shares` key shares: old's dr/status
 * rides along with the last share's update and is kept for read_last_wal. */
void ride_wal(struct exec *x, int shares);
/* No more riders (every path out of execute). */
void ride_stop(struct exec *x);

/* ----------------------------------------------------------------- lock.c */

/* The run lock (DESIGN.md Safety 6). lock_observe fills w's lock fields
 * (LOCK_OURS while this run holds it). lock_take: EXIT_DONE when taken,
 * EXIT_REFUSED when another run holds it, EXIT_USAGE when the credentials
 * may not create it, EXIT_FAILED otherwise (err_set). lock_keep renews it
 * when a third of its TTL has passed: -1 (err_set) only when it has
 * expired unrenewed. lock_release deletes it if this run (maybe) holds it. */
void lock_observe(struct run *run, struct world *w);
/* Who runs this, as the lock and the audit record name them: the user
 * ($USER, $LOGNAME, else the password database) and the host name; ""
 * when not known. */
void who_runs(char *user, size_t usersz, char *host, size_t hostsz);
int lock_take(struct run *run);
int lock_keep(struct run *run);
void lock_release(struct run *run);

/* -------------------------------------------------------------- observe.c */

/* Reads both clusters, the record and (unless this run holds it) the run
 * lock into w. settle: re-read a cluster answering 5xx until
 * ready_timeout. */
void observe(struct run *run, struct world *w, int settle);
/* Sends an observation's reads together (http_prefetch: one poll() loop,
 * one request at a time per server): the clusters' dr/status and
 * sys/health (sides: bit 0 the configured primary, bit 1 the secondary)
 * and, with record, the record's listing, the zone (until read once) and
 * the lock's listing (unless this run holds it or --no-lock), and with
 * run->prefetch_token the token check's reads, with run->prefetch_perf
 * the performance status. The sequential reads that
 * follow (vault_observe, observe_record, lock_observe, preflight) take the
 * answers; an answer not taken is dropped at the next request to its
 * server that differs, or by observe_forget. */
void observe_prefetch(struct run *run, int sides, int record);
/* Drops every answer fetched ahead and not taken (all three servers). */
void observe_forget(struct run *run);

/* --------------------------------------------------------------- report.c */

/* Progress lines for one observation. */
void report_observation(struct run *run, const struct world *w);

/* The plan as numbered "plan" events, each line prefixed (batch: the batch
 * DR operation token is used). */
void print_plan(struct run *run, const struct world *w, const struct plan *p,
    const char *prefix, int batch);

/* The plan in a few words into out ("demote, promote, move CNAME"). */
void plan_words(const struct plan *p, char *out, size_t outsz);

/* The status report (text, or one JSON object); returns the exit code. */
int do_status(struct run *run, struct world *w);

/* "failover", "failback" or "status". */
const char *cmd_name(enum dr_cmd cmd);

/* The run's summary as one JSON object without its closing brace into b
 * (phase: a hook's phase, NULL for the summary; code < 0: not over yet). */
void summary_json(struct run *run, const struct exec *x, int code,
    const char *state, const char *phase, struct buf *b);

/* The closing summary: a line, or a JSON object (and the audit record). */
void summary(struct run *run, const struct exec *x, int code,
    const char *state);

/* ---------------------------------------------------------------- steps.c */

/* The key shares: 0; -1 missing input; -2 Vault could not say how many are
 * required (err_set). */
int load_keys(struct exec *x, struct world_side *s);

/* Promotes s as step `step` (falls back once from a refused batch token to
 * recovery keys). EX_*; err_set. */
int promote_side(struct exec *x, struct world_side *s, const char *step,
    const char *what);

/* Deletes the DR operation tokens this run generated where the last read
 * shows a DR secondary (Safety 9). */
void cleanup_tokens(struct exec *x);

/* Executes plan p's steps in DESIGN.md order. EX_*; err_set. A promote of
 * new, or new's catch-up after the demote, that failed for certain sets
 * x->rollback_due: the caller reads again and rolls back (Safety 2). */
int execute(struct exec *x, const struct plan *p);

/* ----------------------------------------------------------------- perf.c */

/* Performance replication (issue 12), reported, never changed. perf_read:
 * the one DR primary's performance status in w into run->perf (nothing
 * when no cluster or both are DR primary). perf_print: its lines in the
 * status report; nothing when performance replication is disabled. perf_json: ,"performance":{...}
 * when read. perf_words: "performance primary with N secondaries (M
 * disconnected)" for the summary. perf_wait: after a switch, waits
 * up to VAULTDR_READY_TIMEOUT until new's performance secondaries are
 * connected, then warns about each one that is not, with the command to
 * run on it; leaves the last read in run->perf. perf_final: at the end of
 * a failover or failback whose final read shows new the one DR primary,
 * perf_wait after a switch that reached exit 0 or 3, else perf_read (the
 * error slot is kept). */
void perf_read(struct run *run, const struct world *w);
void perf_print(const struct run *run);
void perf_json(const struct run *run, struct buf *b);
/* Appends "; performance primary with N secondaries (M disconnected)" (or
 * why it was not read) to the summary's state, when there is a report. */
void perf_words(const struct run *run, char *state, size_t statesz);
void perf_wait(struct exec *x);
void perf_final(struct exec *x, int code);

/* ------------------------------------------------------------ preflight.c */

/* The capabilities the token check asks for (sys/capabilities-self), in
 * its order: demote, secondary-token, revoke-secondary. */
extern const char *const preflight_cap_paths[3];
/* The Vault half of preflight (Safety 4): token, capabilities, key shares.
 * -1 passed, else the exit code (err_set). */
int preflight(struct exec *x, const struct plan *p, int batch);

/* --------------------------------------------------------------- runenv.c */

/* On a terminal without -y: asks for the environment's name. 1 to go on. */
int confirm(const struct run *run, const struct plan *p);

/* Runs the hook of phase `which` with the summary so far on its stdin: 1
 * none set, 0 it exited 0, -1 otherwise (err_set). */
int run_hook(struct exec *x, int which, int code, const char *state);

/* The pre-change and fence hooks: -1 to go on, else the exit code. */
int pre_change_hooks(struct exec *x, const struct plan *p);

/* Sets a run up, in this order: the audit file and its opening record
 * (--log), the Vault token, the AWS credentials, the batch DR operation
 * token, the TLS and HTTP clients, both sides of w and x (run, w, x and rs
 * zeroed, run->o and run->c set). -1 when the run may go on, else the
 * exit code (err_set). run_close() frees all of it, whatever came of it. */
int run_open(struct run *run, struct run_res *rs, struct exec *x,
    struct world *w);
void run_close(struct run *run, struct run_res *rs, struct exec *x,
    struct world *w);

#endif
