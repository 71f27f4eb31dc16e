/* mock.h - vaultdr-mock: two Vault Enterprise DR clusters, Route 53 and EC2
 * instance metadata in one process. Shared state lives in `M` and is guarded
 * by M.mu; every handler (mvault_handle, r53_handle, imds_handle, control)
 * runs with M.mu held and never sleeps. Connection threads read and write
 * outside the lock. */
#ifndef VAULTDR_MOCK_H
#define VAULTDR_MOCK_H
#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"

enum mlistener { L_A = 0, L_B = 1, L_R53 = 2, L_CONTROL = 3, L_IMDS = 4,
	L_N = 5 };
enum lstate { LS_UP, LS_DOWN, LS_BLACKHOLE };

/* A list of owned strings. */
struct strv {
	char **v;
	size_t n;
};
int strv_add(struct strv *s, const char *str); /* copies; 0 / -1 */
int strv_has(const struct strv *s, const char *str);
int strv_del(struct strv *s, const char *str); /* 1 removed, 0 absent */
void strv_free(struct strv *s);

/* One parsed request (mock/hreq.c). Strings point into `raw` or are owned. */
struct mreq {
	char *raw;        /* owned copy of the header section */
	char *method;     /* "GET" ... */
	char *target;     /* raw request target, e.g. "/v1/x?y=1" (owned) */
	char *path;       /* target up to '?' (owned) */
	char *query;      /* after '?', "" if none (owned) */
	struct http_header *hdrs; /* owned array; names/values point into raw */
	size_t nhdrs;
	struct buf body;  /* NUL-terminated; data may be NULL when empty */
	int minor;        /* HTTP/1.<minor> */
	int keep_alive;
};
const char *mreq_header(const struct mreq *q, const char *name);
/* First query parameter `name`, percent-decoded into out (truncated to
 * outsz); plus_space: '+' means ' ' (Go form decoding, as Vault does) rather
 * than itself (AWS). 1 found, 0 absent. */
int mreq_query_param(const struct mreq *q, const char *name, char *out,
    size_t outsz, int plus_space);
void mreq_free(struct mreq *q);

/* Buffered reader over a connection (or any byte source, for fuzzing). */
typedef long (*hreq_read_fn)(void *ctx, void *buf, size_t n);
typedef int (*hreq_write_fn)(void *ctx, const void *buf, size_t n);
struct hreader {
	hreq_read_fn rd;
	hreq_write_fn wr; /* for "100 Continue"; may be NULL */
	void *ctx;
	char *buf;
	size_t len, off, cap;
};
/* Reads one request. 1 = request in q; 0 = clean EOF before a request;
 * -1 = bad request (*status = 400/413/431/501/505, why filled);
 * -2 = I/O error or EOF mid-request. q is always left freeable. */
int hreq_read(struct hreader *r, struct mreq *q, int *status, char *why,
    size_t whysz);
void hreader_free(struct hreader *r);

/* A response being built by a handler. */
struct mresp {
	int status;
	const char *ctype; /* NULL = none */
	struct buf hdrs;   /* extra "Name: value\r\n" lines */
	struct buf body;
};
void mresp_free(struct mresp *r);
/* Vault style error body {"errors":[msg]} (msg NULL = empty list). */
void mresp_vault_error(struct mresp *r, int status, const char *msg);
/* Vault logical envelope around data_json ("null" or an object). */
void mresp_vault_ok(struct mresp *r, const char *data_json,
    const char *wrap_json, const char *warning);

/* --- state (mock/state.c) --- */
struct wraptok {
	char *token, *id;
	int issuer;            /* cluster index */
	long long expires_ms;  /* wall clock */
	int used, revoked;
};

struct cluster {
	char name[2];          /* "a" / "b" */
	int primary;           /* mode: 1 primary, 0 secondary */
	int upstream;          /* cluster replicated from, -1 none */
	char *secondary_id;    /* NULL when none */
	struct strv known;     /* known_secondaries (primary) */
	long long last_wal, last_remote_wal;
	int legacy, otp_length;
	char *version, *dns_name;
	long promote_delay_ms, demote_delay_ms;
	int transition;        /* 0, 1 promoting, 2 demoting */
	long long transition_until; /* monotonic ms */
	/* generate-operation-token attempt */
	int attempt;
	char nonce[40];
	char *otp;             /* as supplied/generated */
	struct strv given;     /* keys submitted so far */
	struct strv dr_tokens; /* live generated DR operation tokens */
	/* Replication model (scenario knobs, see vaultdr-mock.1). */
	long long wal_rate;    /* WALs per second while primary and up */
	long long wal_mark;    /* monotonic ms the growth counts from; 0 unset */
	long long lag_wals;    /* a streaming secondary trails by this many */
	int connected;         /* 0: its replication link is down */
	char *forced_state;    /* initial attachment's state, NULL stream-wals */
	int corrupted;         /* corrupted_merkle_tree */
	long catchup_delay_ms; /* after its primary's demote */
	long long catchup_at;  /* monotonic ms the catch-up lands; 0 none */
	long long catchup_wal;
	long attach_delay_ms;  /* connecting after update-primary */
	long long attach_until;/* monotonic ms; 0 none */
	char *attach_stuck;    /* NULL, or the state a re-attach stays in */
	int reattached;        /* attached through update-primary */
	long long wals_lost;   /* at its promotion; -1 not promoted from a set */
	/* Nodes behind the load balancer: active, standbys, perf standbys. */
	int standbys, perf_standbys, next_node;
	char *cluster_name, *health_cluster_id; /* sys/health: its own */
	int generate_forbidden; /* Vault 2.x: 403 on starting generation */
	long long taken_over_after; /* shares before another attempt takes over */
	int taken_over;        /* that has happened */
};

/* A restricted token's capabilities on a path (a trailing * matches a prefix). */
struct tokcap {
	char *token, *path;
	struct strv caps;
};

/* A Route 53 record set, keyed by (name, type, set_id). */
struct rrset {
	char *name, *type; /* name lower case with trailing dot */
	char *set_id;      /* SetIdentifier; NULL for a simple record */
	long long ttl;     /* -1 for an alias */
	struct strv values;
	int has_weight;
	long weight;
	char *failover;    /* "PRIMARY" / "SECONDARY" or NULL */
	char *region;      /* latency routing, or NULL */
	char *health_check;/* HealthCheckId, or NULL */
	char *alias_zone, *alias_dns; /* AliasTarget when alias_dns != NULL */
	int alias_eval;    /* EvaluateTargetHealth */
};

struct change {
	char id[16];            /* "C..." */
	long long submitted_ms; /* wall clock */
	long long insync_at;    /* monotonic ms */
	int insync;
	int cname_effect;       /* 0 none, 1 set to cname_value, 2 deleted */
	char *cname_value;
};

/* Fault actions; the apply_* ones and drip run the real handler first (the
 * change happens), then misbehave with its answer. Same order as
 * fault_action_names. */
enum fault_action { FA_STATUS, FA_LATENCY, FA_HANGUP, FA_BLACKHOLE,
	FA_GARBAGE, FA_APPLY_STATUS, FA_APPLY_HANGUP, FA_APPLY_DELAY, FA_DRIP,
	FA_SERVED };
/* "status", "latency", ..., "drip", "served" (indexed by the enum). */
extern const char *const fault_action_names[];

struct fault {
	int listener;   /* L_A/L_B/L_R53, -1 = any */
	char method[16];/* "*" = any */
	char *path;     /* prefix */
	enum fault_action action;
	int status;
	char *body;     /* NULL = default */
	char *aws_code; /* NULL = none */
	char *location; /* status/apply_status: Location header, NULL = none */
	long skip, count; /* remaining; count -1 = forever */
	long latency_ms;
	long interval_ms; /* drip: between two bytes */
};

/* An IMDSv2 session token handed out by PUT /latest/api/token. */
struct imdstok {
	char tok[57];
	long long until; /* monotonic ms */
};

struct listener {
	int fd;          /* -1 when closed */
	int port;
	enum lstate st;
};

struct mock {
	pthread_mutex_t mu;
	/* options */
	int plain;
	const char *host, *bind, *state_file;
	long latency_ms;        /* --latency-ms: per request; 2x more per new
	                           connection (not on the control API) */
	/* scenario */
	struct strv vault_tokens, recovery_keys, batch_tokens;
	int generate_requires_token;
	struct tokcap *tcaps;   /* token_capabilities */
	size_t ntcaps;
	long recovery_threshold;
	char *cluster_id, *cname;
	struct cluster cl[2];
	char *r53_access_key, *r53_secret_key, *r53_session_token;
	char *r53_zone_id, *r53_zone_name, *r53_region;
	long r53_insync_delay_ms;
	long r53_page_size;     /* most record sets per listing page */
	struct rrset *rr;
	size_t nrr;
	char *dns_initial;      /* cname value at start (NULL: none) */
	struct change *ch;
	size_t nch;
	struct fault *faults;
	size_t nfaults;
	struct wraptok *wt;
	size_t nwt;
	/* EC2 instance metadata (mock/imds.c) */
	char *imds_role, *imds_access_key, *imds_secret_key, *imds_token;
	char *imds_expiration;  /* ISO 8601; NULL = now + 6 h per answer */
	int imds_require_v2;
	long long imds_updated_ms; /* wall clock, LastUpdated */
	struct imdstok *itok;
	size_t nitok;
	struct listener lst[L_N];
	/* evidence */
	long long requests;
	int max_primaries_up;
	int dirty;              /* state file needs rewriting */
	long long start_mono;
};
extern struct mock M;

long long mono_ms(void);
long long wall_ms(void);
void iso8601_ms(long long wall, char *out, size_t outsz); /* ...T..:..:..sssZ */
/* Random [0-9A-Za-z] string of n chars into out (n+1 bytes). */
void rand_base62(char *out, size_t n);
void rand_uuid(char out[37]);
void rand_bytes(void *p, size_t n);

/* Loads the scenario (path NULL = defaults). 0 / -1 with a message naming
 * the key in why. Called once, before threads start. */
int state_load(const char *path, char *why, size_t whysz);
/* Completes due promote/demote transitions and Route 53 changes; updates
 * max_primaries_up. Lock held. Returns 1 if anything changed. */
int state_tick(void);
/* Recomputes max_primaries_up and marks the state dirty. Lock held. */
void state_changed(void);
/* The state JSON. Lock held. */
void state_json(struct buf *b);
/* Rewrites --state-file atomically if dirty. Lock held. */
void state_save(void);
/* Replication state string of cluster i: running/stream-wals/idle/connecting
 * or a knob's merkle-sync/merkle-diff. */
const char *cluster_state(int i);
/* Cluster i is a DR secondary whose link to its primary is up (connected,
 * not in the connecting phase of a re-attach). */
int cluster_connected(int i);
/* Connected and in stream-wals: its last_remote_wal follows its primary. */
int cluster_streaming(int i);
/* Lower-cased DNS name with a trailing dot, \ooo escapes decoded
 * (malloc'd; never NULL). */
char *r53_norm_name(const char *s);
/* Checks one record set as Route 53 validates a change (type, TTL, values
 * per type, alias, routing fields). 0 / -1 with the reason in msg. */
int r53_rrset_check(const struct rrset *r, char *msg, size_t msgsz);
void r53_rrset_free(struct rrset *r); /* frees the members */
/* The record set's JSON object (state file and control API). */
void r53_rrset_json(struct buf *b, const struct rrset *r);
/* Value the cluster CNAME resolves to through the INSYNC record, or NULL. */
const char *dns_resolved(void);
/* Parses a fault rule array (JSON text) into *out. 0 / -1 (why). */
int faults_parse(const char *js, size_t len, struct fault **out, size_t *n,
    char *why, size_t whysz);
struct json;
/* Same, from the array at token idx of a parsed document. */
int faults_parse_at(const struct json *j, int idx, struct fault **out,
    size_t *n, char *why, size_t whysz);
void faults_free(struct fault *f, size_t n);

/* --- handlers, lock held --- */
void mvault_handle(int cluster, const struct mreq *q, struct mresp *r);
void r53_handle(const struct mreq *q, struct mresp *r);
void imds_handle(const struct mreq *q, struct mresp *r);
/* Plain text IMDS error body for status. */
void imds_error(struct mresp *r, int status);
/* Route 53 error XML (ErrorResponse shape). */
void r53_error(struct mresp *r, int status, const char *code, const char *msg);

/* --- STS + SSO portal (mock/sts.c, on the Route 53 listener) and container
 * credentials (mock/ecs.c, on the IMDS listener) --- */
/* Scenario keys they own ("sts.role_arn", ...): 1 allowed. */
int sts_key_allowed(const char *path);
int ecs_key_allowed(const char *path);
/* Reads their scenario sections (j NULL = defaults only), after route53.
 * 0 / -1 (why). */
int sts_load(const struct json *j, char *why, size_t whysz);
int ecs_load(const struct json *j, char *why, size_t whysz);
/* 1 = the request was theirs and r holds the answer; 0 = not theirs. Lock
 * held. */
int sts_handle(const struct mreq *q, struct mresp *r);
int ecs_handle(const struct mreq *q, struct mresp *r);

/* --- server (mock/srv.c) --- */
int srv_listen(int which, int port); /* binds M.lst[which]; 0 / -1 (err_set) */
int srv_set_listener(int which, enum lstate st); /* 0 / -1 */
/* Runs the accept loop until SIGTERM/SIGINT; returns 0 after a clean stop. */
int srv_run(void *tls_server, const char *log_file);
void srv_wake(void);

#endif
