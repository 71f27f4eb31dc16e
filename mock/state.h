/* state.h - the mock's world: two Vault DR clusters, the Route 53 zone and
 * its changes, the instance metadata, fault rules and listeners, in one
 * struct `M` guarded by M.mu, with the scenario loader and the state
 * dump. Handlers (handler.h) read and change it with M.mu held and never
 * sleep; connection threads read and write outside the lock. */
#ifndef VAULTDR_MOCK_STATE_H
#define VAULTDR_MOCK_STATE_H
#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "mock/rrset.h"
#include "mock/strv.h"

enum mlistener { L_A = 0, L_B = 1, L_R53 = 2, L_CONTROL = 3, L_IMDS = 4,
	L_N = 5 };
enum lstate { LS_UP, LS_DOWN, LS_BLACKHOLE };
/* "a", "b", "route53", "control", "imds" (indexed by enum mlistener). */
extern const char *const listener_names[L_N];

struct wraptok {
	char *token, *id;
	int issuer;            /* cluster index */
	long long expires_ms;  /* wall clock */
	int used, revoked;
	char *pubkey;          /* public-key activation: the key it was
	                          encrypted to; NULL for a wrapped token */
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
	/* Public-key activation (issue 12). */
	char *pubkey;          /* last generate-public-key answer, NULL none */
	int peer_ca_untrusted; /* knob: unwrapping a wrapped activation token
	                          through the primary's API fails (private CA) */
};

/* A restricted token's capabilities on a path (a trailing * matches a prefix). */
struct tokcap {
	char *token, *path;
	struct strv caps;
};

/* A Route 53 record set, keyed by (name, type, set_id). */
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
	struct strv alias_targets; /* "<zone id> <name.>" an alias may name;
	                           empty: any */
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

/* A scenario section another file owns (STS and SSO: sts.c; container
 * credentials: ecs.c): the keys that are its ("sts.role_arn": 1), and its
 * loader (j NULL = defaults only), run after route53 and imds. */
struct json;
struct scenario_part {
	int (*key_allowed)(const char *path);
	int (*load)(const struct json *j, char *why, size_t whysz);
};
/* Loads the scenario (path NULL = defaults), then parts[0..nparts) (kept
 * for the key checks). 0 / -1 with a message naming the key in why. Called
 * once, before threads start. */
int state_load(const char *path, const struct scenario_part *parts,
    size_t nparts, char *why, size_t whysz);
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
/* Value the cluster CNAME resolves to through the INSYNC record, or NULL. */
const char *state_resolved(void);
/* Parses a fault rule array (JSON text) into *out. 0 / -1 (why). */
int faults_parse(const char *js, size_t len, struct fault **out, size_t *n,
    char *why, size_t whysz);
struct json;
/* Same, from the array at token idx of a parsed document. */
int faults_parse_at(const struct json *j, int idx, struct fault **out,
    size_t *n, char *why, size_t whysz);
void faults_free(struct fault *f, size_t n);

#endif
