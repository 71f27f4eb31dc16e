/* plan.h - the world as observed (both clusters, the record, the run lock)
 * and the pure decisions taken from it: which steps a command still needs
 * (plan_make) and whether a failed promotion may be rolled back
 * (plan_rollback). No I/O here; tests/unit/test_plan.c checks both as
 * tables of made-up worlds. */
#ifndef VAULTDR_PLAN_H
#define VAULTDR_PLAN_H
#include <stddef.h>

#include "dr.h"    /* enum dr_cmd, EXIT_* */
#include "vault.h" /* struct vault_status */
#include "route53.h" /* struct r53_rrset */

/* One cluster as last read. */
struct world_side {
	int role;               /* 0 configured primary, 1 configured secondary */
	const char *url;        /* borrowed */
	const char *target;     /* CNAME value naming this cluster (borrowed) */
	char label[320];        /* "primary cluster https://..." */
	struct vault_status st; /* owned (world_clear) */
};

/* The run lock (DESIGN.md Safety 6) as last read. */
enum lock_seen {
	LOCK_UNREAD = 0, /* not read (status without credentials, --no-lock) */
	LOCK_FREE,       /* no lock record */
	LOCK_HELD,       /* another run holds it and it has not expired */
	LOCK_EXPIRED,    /* a lock whose expiry has passed: may be taken over */
	LOCK_OURS,       /* this run holds it */
	LOCK_UNREADABLE, /* the read failed (lock_error) */
};

struct world {
	struct world_side side[2];
	int rec_ok;             /* the record was read */
	int rec_found;
	char *rec_value;        /* owned; host name without the trailing dot */
	long rec_ttl;
	char rec_error[512];
	int rec_rejected;       /* the read failed because Route 53 refused it
	                           (credentials, signature, zone): exit 2 */
	char rec_bad[512];      /* not "" when the name holds anything but one
	                           simple CNAME (plan_record_shape) */
	enum { ZONE_UNREAD = 0, ZONE_INSIDE, ZONE_OUTSIDE } zone;
	char zone_name[256];    /* GetHostedZone's Name, when read */
	enum lock_seen lock;
	char lock_owner[256];   /* "owner=... pid=... cmd=... env=..." */
	long long lock_expires; /* unix seconds, 0 unknown */
	char lock_error[512];
	/* Who serves the record, for refusals: its name ("DNS") and what to
	 * fix when it refuses vaultdr; set once by the engine, kept by
	 * world_clear. NULL: Route 53's words. */
	const char *dns_name, *dns_fix;
};

/* Steps, in the order they run (DESIGN.md "Step order"). */
enum {
	ST_DEMOTE = 1 << 0,   /* demote old */
	ST_PROMOTE = 1 << 1,  /* promote new */
	ST_READY = 1 << 2,    /* wait until new is an active DR primary */
	ST_CNAME = 1 << 3,    /* point the CNAME at new, wait INSYNC */
	ST_REATTACH = 1 << 4, /* revoke-secondary, secondary-token, update-primary */
	ST_STREAM = 1 << 5,   /* wait until old streams from new (no change) */
};
/* Steps that send a changing request. */
#define ST_CHANGING (ST_DEMOTE | ST_PROMOTE | ST_CNAME | ST_REATTACH)

struct plan_opts {
	int primary_down;  /* --primary-down */
	int no_lock;       /* --no-lock: the lock is not consulted */
	const char *cname; /* for messages */
	int accept_data_loss; /* --accept-data-loss: the gate may fail */
	int create_record;    /* --create-record: an absent CNAME is fine */
};

struct plan {
	unsigned steps;
	int verdict;   /* -1: run the steps; else refuse now with this code */
	int exit_code; /* verdict when refusing; else the code once the steps
	                  are done: EXIT_DONE, or EXIT_PARTIAL (old unreachable) */
	int partial;   /* old unreachable: it is left to a later run */
	char why[2048];/* reason for a refusal, or what is left for exit 3;
	                  from the world alone (the caller knows whether it
	                  changed anything) */
	int gate_failed;   /* a demote is planned although the replication
	                      gate failed (--accept-data-loss) */
	char gate_why[512];/* the gate's verdict in words */
	long long lag;     /* old's last WAL minus new's last_remote_wal at
	                      this read; -1 when not shown */
	int version_skew;  /* new runs a newer Vault than old: no re-attach */
};

/* The cluster that gives up / takes the primary role for cmd. */
const struct world_side *world_old(const struct world *w, enum dr_cmd cmd);
const struct world_side *world_new(const struct world *w, enum dr_cmd cmd);
/* Status read fine. */
int world_readable(const struct world_side *s);
/* Readable and in DR mode m ("primary", "secondary"). */
int world_is_mode(const struct world_side *s, const char *m);
/* Cannot be used at all: connection failures, 5xx that did not clear. */
int world_down(const struct world_side *s);
/* The record was read and names s's target. */
int world_names(const struct world *w, const struct world_side *s);
/* old is a DR secondary of new whose id new knows, and not idle. */
int world_attached(const struct world_side *old, const struct world_side *new);
/* ... and streaming (state stream-wals, connected where Vault shows it):
 * the desired end state. */
int world_streaming(const struct world_side *old, const struct world_side *new);
/* Frees what the last read holds; keeps roles, urls and labels. */
void world_clear(struct world *w);
/* The state in words, from this read: "primary cluster DR primary,
 * secondary cluster DR secondary (streaming), CNAME x -> y". */
void world_describe(const struct world *w, const char *cname, char *out,
    size_t outsz);

/* Plans cmd from w. Pure. p->steps == 0 with p->verdict == -1 and
 * p->exit_code == EXIT_DONE means w shows the desired state. */
void plan_make(const struct world *w, enum dr_cmd cmd,
    const struct plan_opts *o, struct plan *p);

/* The replication gate (DESIGN.md Safety 5) for moving the primary role
 * from old to new, from this read: new is a DR secondary in stream-wals,
 * connected where Vault shows it, without a corrupted merkle tree, and old
 * (DR primary) lists new's secondary_id. 1 safe, 0 not. why gets the
 * reasons (or what was "not checked"); *lag old's last_dr_wal (else
 * last_wal) minus new's last_remote_wal, -1 when either is not shown. */
int plan_gate(const struct world *w, enum dr_cmd cmd, char *why,
    size_t whysz, long long *lag);
/* The last WAL index old has written: last_dr_wal, else last_wal; -1. */
long long plan_old_wal(const struct vault_status *st);
/* 1 when the cluster becoming primary (n) runs a newer Vault than the one
 * becoming its secondary (o): replication from newer to older is not
 * supported (Safety 4). 0 otherwise, or when a version is not shown. */
int plan_version_skew(const struct world_side *n, const struct world_side *o);
/* Classifies what ListResourceRecordSets shows at cname (every type): 0
 * with *found 0 (nothing there) or 1 (exactly one simple CNAME: *value
 * malloc'd without the trailing dot, *ttl), bad = ""; 0 with bad set when
 * anything else is there (another type, an alias, SetIdentifier, weight,
 * failover, region, health check, several values): the record check fails.
 * -1 only on allocation failure. Pure. */
int plan_record_shape(const struct r53_rrset *sets, size_t n,
    const char *cname, int *found, char **value, long *ttl, char *bad,
    size_t badsz);

/* After a promotion of new failed (a definite failure, not an unknown
 * outcome), from a FRESH read (DESIGN.md Safety 2). */
enum rollback {
	RB_PROMOTE_OLD,     /* new is still a DR secondary, old is demoted:
	                       promote old again */
	RB_NEW_UNREADABLE,  /* new cannot be read: change nothing more */
	RB_NEW_PRIMARY,     /* new is DR primary: change nothing more */
	RB_NEW_OTHER,       /* new is in another mode: change nothing more */
	RB_OLD_NOT_DEMOTED, /* old is not a readable DR secondary (still
	                       primary, unreachable, other): nothing to undo */
	RB_NEW_IN_DOUBT,    /* an earlier promote of new in this run had an
	                       unknown outcome: it may still take effect, so
	                       promoting old could make two primaries */
};
/* new_in_doubt: this run sent new a promote whose outcome is unknown. why
 * gets the reason in words. Pure. */
enum rollback plan_rollback(const struct world *fresh, enum dr_cmd cmd,
    int new_in_doubt, char *why, size_t whysz);

#endif
