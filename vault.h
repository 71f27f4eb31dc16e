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
	VF_SERVER,      /* 5xx / 412 still failing after the retries */
	VF_UNREACHABLE, /* connection failures after the retries */
	VF_LOST,        /* a changing request was sent but its answer was lost */
	VF_TLS,         /* TLS failure: not retried */
	VF_BAD_REPLY,   /* malformed HTTP or JSON */
	VF_STOPPED,     /* interrupted by SIGINT/SIGTERM */
};

struct vault {
	const char *label;   /* "primary cluster", for messages */
	const char *url;     /* base URL without trailing slash (borrowed) */
	struct http_client *http; /* borrowed */
	const struct secret *token; /* VAULT_TOKEN (borrowed; may be unset) */
	int read_only;       /* dry run: any changing request is refused */
	enum vault_fail last_fail; /* how the last vault_call failed */
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
};
/* Reads sys/replication/dr/status and sys/health with the probe policy.
 * 0 when the cluster answered; -1 when not (st->reachable = 0, st->error). */
int vault_observe(struct vault *v, struct vault_status *st);
void vault_status_free(struct vault_status *st);
int vault_status_knows(const struct vault_status *st, const char *id);

/* Recovery key shares, collected before any change is made. */
struct vault_keys {
	struct secret k[16];
	int n;
};
/* GET .../generate-operation-token/attempt: required shares and otp_length. */
int vault_attempt_info(struct vault *v, int *required, int *otp_length,
    int *started);
/* Generates a DR operation token on a DR secondary: cancels a stale attempt,
 * starts one (server OTP, or a client OTP for the legacy scheme), submits key
 * shares until Vault reports completion, decodes. On failure the attempt is
 * cancelled. 0 / -1. */
int vault_generate_dr_token(struct vault *v, const struct vault_keys *keys,
    struct secret *out);

int vault_promote(struct vault *v, const struct secret *drtok);
int vault_demote(struct vault *v);
/* secondary-token: the response-wrapped activation token into out. */
int vault_secondary_token(struct vault *v, const char *id, const char *ttl,
    struct secret *out);
int vault_revoke_secondary(struct vault *v, const char *id);
int vault_update_primary(struct vault *v, const struct secret *drtok,
    const struct secret *activation, const char *primary_api_addr,
    enum vault_fail *fail);
int vault_delete_dr_token(struct vault *v, const struct secret *drtok);

#endif
