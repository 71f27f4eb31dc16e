/* vault.h - the Vault Enterprise DR endpoints vaultdr uses, with the retry
 * policy applied, Vault's error messages, and DR operation token generation
 * (OTP start, key shares, decode). */
#ifndef VAULTDR_VAULT_H
#define VAULTDR_VAULT_H
#include "http.h"
#include "json.h"
#include "secret.h"

/* How a call failed. */
enum vault_fail {
	VF_NONE = 0,
	VF_REJECTED,    /* HTTP 4xx (not 412): never retried */
	VF_SERVER,      /* 5xx / 412 still failing after the retries (requests
	                   that are safe to repeat) */
	VF_UNREACHABLE, /* connection failures after the retries */
	VF_LOST,        /* a changing request's outcome is unknown (retry.c's
	                   table: answer lost, any 5xx, "already done" 4xx):
	                   re-read the state, never re-send */
	VF_TLS,         /* TLS failure: not retried */
	VF_BAD_REPLY,   /* malformed HTTP or JSON */
	VF_STOPPED,     /* interrupted by SIGHUP/SIGINT/SIGTERM */
};

struct vault {
	const char *label;   /* "primary cluster", for messages */
	const char *url;     /* base URL without trailing slash (borrowed) */
	struct http_client *http; /* borrowed */
	const struct secret *token; /* VAULT_TOKEN (borrowed; may be unset) */
	int read_only;       /* dry run: any changing request is refused */
	enum vault_fail last_fail; /* how the last vault_call failed */
	/* The last vault_attempt_info answer: token generation uses it
	 * instead of reading the attempt again after its cancel. */
	int otp_length_known;
	int otp_length;
	int required;
	int attempt_started; /* that read, or our own start since, left an
	                        attempt in progress: cancel it first */
};


struct vault_reply {
	int status;
	char *body;       /* owned */
	size_t body_len;
	struct json j;    /* parsed body when it is JSON (j.ntok == 0 otherwise) */
	enum vault_fail fail;
};

#define VC_PROBE 0x1      /* read-only probe: retry_probe policy */
#define VC_ONCE 0x2       /* no retry at all */
#define VC_IDEMPOTENT 0x4 /* safe to resend after a lost answer */
#define VC_ANY_STATUS 0x8 /* any status is an answer (sys/health) */
#define VC_READ_POST 0x10 /* a POST that changes nothing (capabilities-self):
			   * allowed in a dry run */

/* One Vault request with the retry policy. body is JSON or NULL. Returns 0 on
 * a 2xx answer (or any answer with VC_ANY_STATUS), -1 otherwise with r->fail
 * set and err_set("<host> <path> HTTP <code>: <Vault's errors>" or the
 * transport error). r is always initialized; free with vault_reply_free. */
int vault_call(struct vault *v, const char *method, const char *path,
    const char *body, size_t body_len, int flags, struct vault_reply *r);
void vault_reply_free(struct vault_reply *r);

struct vault_status {
	int reachable;
	int health_code;     /* sys/health status, 0 if not read */
	char mode[24];       /* DR mode: primary, secondary, disabled, bootstrapping */
	char state[32];
	char cluster_id[96];
	char secondary_id[128];
	char primary_addr[256]; /* primary_cluster_addr on a secondary */
	char version[64];
	int sealed;
	long long last_wal;        /* -1 unknown */
	long long last_remote_wal; /* -1 unknown */
	char **known_secondaries;  /* owned */
	int nknown;
	char error[512];     /* why it is unreachable */
	enum vault_fail fail;
	/* Replication detail. A field this Vault does not show is "" (strings)
	 * or -1 (numbers, flags): report it as "not checked", never guess. */
	char connection_state[32]; /* secondary: ready, connecting, ... */
	char primary_conn[32];     /* secondary: primaries[0].connection_status */
	int corrupted_merkle_tree; /* -1, 0, 1 */
	long long last_dr_wal;     /* primary: last_dr_wal alone */
	char merkle_root[96];
	/* sys/health of the node that answered: the cluster's own identity
	 * (dr/status cluster_id is the DR set's, shared by both clusters). */
	char health_cluster_name[128];
	char health_cluster_id[96];
	char health_dr_mode[24];   /* replication_dr_mode */
	int standby;               /* -1, 0, 1 */
	int perf_standby;          /* performance_standby: -1, 0, 1 */
};
/* Reads sys/replication/dr/status and sys/health with the probe policy.
 * 0 when the cluster answered; -1 when not (st->reachable = 0, st->error). */
int vault_observe(struct vault *v, struct vault_status *st);
void vault_status_free(struct vault_status *st);
/* vault_observe without sys/health (one round trip): for reads that need
 * only the DR status (the last WAL, the catch-up); the health fields stay
 * unset (health_code 0). */
int vault_observe_dr(struct vault *v, struct vault_status *st);
/* Reads fetched ahead (http_prefetch), so that several clusters (and the
 * record) are read together: a job is the GET the named call makes first,
 * with vault_call's headers (it borrows v's token); the call that follows
 * takes its answer. Keep j until http_prefetch returns. */
struct vault_job {
	char url[600];
	struct http_header h[3];
	struct http_job job;
	struct buf body;   /* vault_job_free */
};
/* vault_observe's two reads: DR status, sys/health. */
void vault_observe_jobs(struct vault *v, struct vault_job j[2]);
/* The token check's reads as vault_lookup_self and vault_capabilities
 * (over paths) send them, to fetch ahead. 0 / -1 (out of memory). */
int vault_preflight_jobs(struct vault *v, const char *const *paths,
    size_t n, struct vault_job j[2]);
void vault_job_free(struct vault_job *j);
/* vault_perf_observe's read, to fetch ahead. */
void vault_perf_job(struct vault *v, struct vault_job *j);

int vault_status_knows(const struct vault_status *st, const char *id);
/* Is a DR secondary connected to its primary? 1 yes, 0 no (a shown field
 * says otherwise: primaries[0].connection_status not "connected", or
 * connection_state not "ready"), -1 not shown (older Vault). */
int vault_status_connected(const struct vault_status *st);

/* One readiness poll of a new DR primary (DESIGN Safety 7): sys/health with
 * standbyok=true&perfstandbyok=true answers 200, replication_dr_mode
 * primary, not sealed; and dr/status shows mode primary, state running
 * (a Vault that shows no state passes on the mode). Each poll may reach
 * another node behind the load balancer, so the caller loops until its
 * deadline. Returns 0 after a poll (*ready 0/1; why says what was seen when
 * not ready, e.g. "sys/health answered 429"); -1 only when polling cannot
 * go on (TLS or configuration error, stop signal; err_set). */
int vault_ready(struct vault *v, int *ready, char *why, size_t whysz);
/* One poll of a re-attached DR secondary `old` (Safety 3, 7): old is a DR
 * secondary in stream-wals, connected where shown, and its secondary_id is
 * among new's known_secondaries. 0 after a poll (*attached 0/1, why), -1 as
 * for vault_ready. */
int vault_attached(struct vault *old, struct vault *newp, int *attached,
    char *why, size_t whysz);

/* GET auth/token/lookup-self with the token. 0 when Vault answered:
 * *valid 1 (policies, comma separated, and ttl in seconds filled; ttl 0 =
 * no expiry) or 0 (403: unknown or expired token). -1 on any other failure
 * (server, network, 400 such as "path disabled in replication DR secondary
 * mode": ask the primary); err_set. */
int vault_lookup_self(struct vault *v, int *valid, char *policies,
    size_t polsz, long long *ttl);

/* One path's check for sys/capabilities-self. */
struct vault_cap {
	const char *path;  /* e.g. "sys/replication/dr/primary/demote" */
	const char *need;  /* space separated: "update", "update sudo" */
	int allowed;       /* out: root, or every needed one and no deny */
	char caps[128];    /* out: what Vault listed, comma separated */
};
/* POST sys/capabilities-self {"paths": [...]}: read-only (VC_READ_POST, so
 * also in a dry run). 0 with every c[i].allowed/caps filled; -1 (err_set)
 * when Vault did not answer or the reply lacks a path. */
int vault_capabilities(struct vault *v, struct vault_cap *c, size_t n);
/* Pure: do the capabilities (comma separated) allow need (space
 * separated)? "root" allows all, "deny" none. */
int vault_caps_allow(const char *caps, const char *need);

/* Pure: compares Vault versions such as "1.15.2+ent", "v1.16.0-rc1+ent.hsm":
 * numeric parts (missing = 0), then a pre-release sorts before the release
 * (identifiers compared as semver does); build metadata after '+' ignored.
 * <0, 0, >0. Either one not a version: 0 (check vault_version_valid). */
int vault_version_cmp(const char *a, const char *b);
int vault_version_valid(const char *v);

/* Recovery key shares, collected before any change is made. */
struct vault_keys {
	struct secret k[16];
	int n;
};
/* GET .../generate-operation-token/attempt: required shares and otp_length.
 * -1 is always a server failure (a 403, 400, or 5xx after the retries,
 * v->last_fail says which), never an input error: exit 1, not 2. */
int vault_attempt_info(struct vault *v, int *required, int *otp_length,
    int *started);
/* The last vault_attempt_info answer of this run, without a request: 1
 * (required, otp_length filled) or 0 when none was read. */
int vault_attempt_known(const struct vault *v, int *required,
    int *otp_length);

/* Why a DR operation token could not be generated. */
enum vault_gen_fail {
	VG_NONE = 0,
	VG_SERVER,     /* Vault or the network failed (any step but a share
			* refusal): exit 1 */
	VG_INPUT,      /* a key share was refused, or too few were given:
			* exit 2 */
	VG_FORBIDDEN,  /* 403 on starting (or feeding) the attempt: Vault 2.x
			* wants a privileged token; the message says to use
			* a batch DR operation token, VAULT_DR_OPERATION_TOKEN */
	VG_TAKEN_OVER, /* another client cancelled our attempt or started its
			* own (nonce changed); nothing was submitted to it and
			* it is left alone */
};
/* Generates a DR operation token on a DR secondary: cancels a stale attempt,
 * starts one (server OTP, or a client OTP for the legacy scheme), submits key
 * shares until Vault reports completion, decodes. On failure our own attempt
 * is cancelled (never another client's). 0, or -1 with *why set (may be
 * NULL) and err_set. A wrong share is reported as "one of the N key shares
 * was not accepted": Vault checks them only when all are in. */
int vault_generate_dr_token_ex(struct vault *v, const struct vault_keys *keys,
    struct secret *out, enum vault_gen_fail *why);
/* The same without the reason. */
int vault_generate_dr_token(struct vault *v, const struct vault_keys *keys,
    struct secret *out);

int vault_promote(struct vault *v, const struct secret *drtok);
int vault_demote(struct vault *v);
/* secondary-token: the response-wrapped activation token into out. */
int vault_secondary_token(struct vault *v, const char *id, const char *ttl,
    struct secret *out);
int vault_revoke_secondary(struct vault *v, const char *id);

/* ---- public-key activation (issue 12; Vault 1.3+) ---- */
/* POST dr/secondary/generate-public-key on the cluster to be re-attached:
 * data.secondary_public_key into *key (malloc'd; not a secret, the new
 * primary encrypts the activation credentials to it). Safe to repeat: a
 * new key replaces the last, and only the last one is used. 0 / -1. */
int vault_generate_public_key(struct vault *v, char **key);
/* The activation token re-attaching `old` to `newp` under secondary id
 * `id`: public_key 0, secondary-token on newp (wrap_info.token); 1,
 * generate-public-key on old, then secondary-token on newp with that key
 * (data.token), so old never calls newp's API to unwrap it. 0 / -1
 * (err_set naming the call and the cluster; *failed the vault whose call
 * failed, for its last_fail). */
int vault_activation_token(struct vault *newp, struct vault *old,
    const char *id, const char *ttl, int public_key, struct secret *out,
    struct vault **failed);

/* ---- performance replication (issue 12): reported, never changed ---- */
struct vault_perf_secondary {
	char id[128];              /* node_id */
	char api_address[256];
	char conn[32];             /* connection_status; "" when not shown */
};
struct vault_perf {
	int read;                  /* performance/status answered */
	char mode[24];             /* primary, secondary, disabled, ... */
	char state[32];
	struct vault_perf_secondary *sec; /* owned: secondaries[] */
	int nsec;
	char error[512];           /* why it was not read */
};
/* GET sys/replication/performance/status (probe policy). 0 with p filled
 * (mode "disabled" when performance replication is off); -1 (p->error,
 * err_set) when it could not be read. p is always safe to free. */
int vault_perf_observe(struct vault *v, struct vault_perf *p);
void vault_perf_free(struct vault_perf *p); /* NULL-safe */
/* 1 connected, 0 shown otherwise, -1 not shown. */
int vault_perf_connected(const struct vault_perf_secondary *s);
/* Pure: the command that re-points performance secondary s at the new
 * performance primary, whose cluster address is cluster_addr (NULL or ""
 * when not known: a placeholder): update-primary with
 * update_primary_addrs (Vault 1.13.3+). */
void vault_perf_fix(const struct vault_perf_secondary *s,
    const char *cluster_addr, char *out, size_t outsz);
int vault_update_primary(struct vault *v, const struct secret *drtok,
    const struct secret *activation, const char *primary_api_addr,
    enum vault_fail *fail);
int vault_delete_dr_token(struct vault *v, const struct secret *drtok);

#endif
