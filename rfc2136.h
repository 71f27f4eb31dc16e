/* rfc2136.h - the record operations the engine needs, done with DNS UPDATE
 * (RFC 2136) signed with TSIG (RFC 8945) against the zone's primary master.
 *
 * Every exchange with the primary is TSIG-signed and every answer verified.
 * Reads are queries (UDP, TCP when truncated) that must come back
 * authoritative (AA). Changes are one UPDATE over TCP with a prerequisite, so
 * they are atomic and compare-and-set:
 *   old_value != NULL: "RRset exists (value dependent)": the RRset at name is
 *                      exactly { old_value } (RFC 2136 2.4.2);
 *   old_value == NULL: "name is not in use" (2.4.5).
 * then "delete an RR from an RRset" (old_value) and "add to an RRset"
 * (new_value). A concurrent change makes the prerequisite fail (the server
 * answers NXRRSET/YXRRSET/YXDOMAIN): RFC2136_CONFLICT, nothing changed.
 *
 * Outcome unknown: once an UPDATE may have reached the server, a lost,
 * late, unauthenticated or SERVFAIL answer gives RFC2136_UNKNOWN. That
 * includes the unsigned BADSIG/BADKEY answer a server gives to a wrong key:
 * the error says so in words, and the re-read fails the same way. The
 * caller must then re-read (rfc2136_read) and decide from what it sees; it
 * must never send the UPDATE again blindly. */
#ifndef VAULTDR_RFC2136_H
#define VAULTDR_RFC2136_H
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "tsig.h"

#define RFC2136_MAX_VALUES 8

/* One zone on one primary master. Fields are filled by the caller; key is
 * borrowed and must outlive every call. */
struct rfc2136 {
	struct dns_server server;   /* primary master (dns_server_parse) */
	char zone[DNS_TEXT_MAX];    /* e.g. "example.com" */
	const struct tsig_key *key; /* required */
	int timeout_ms;             /* bounds each exchange, connect included */
};

enum rfc2136_outcome {
	RFC2136_OK = 0,
	RFC2136_FAILED = -1,   /* not applied, or could not read (err_set) */
	RFC2136_CONFLICT = -2, /* prerequisite failed: the record is no longer
	                          what was read; nothing changed (err_set names
	                          the RCODE) */
	RFC2136_UNKNOWN = -3,  /* the UPDATE was sent and no authenticated
	                          answer came back: re-read, never re-send */
};

/* What the primary serves at one name for one type. */
struct rfc2136_rrset {
	int exists;          /* the name exists (with this type or others) */
	int n;               /* records of the type asked (at most
	                        RFC2136_MAX_VALUES; more is an error) */
	char value[RFC2136_MAX_VALUES][DNS_TEXT_MAX]; /* text form (dns.h) */
	uint32_t ttl;        /* of the first record */
	uint32_t soa_serial; /* the zone's serial, read just before */
};

/* Reads the zone's SOA serial, then the records of type (DNS_T_CNAME,
 * DNS_T_TXT, ...) at name, from the primary. name must lie in the zone.
 * DNS_T_ANY reads every record at name, each value as "<TYPE> <text>"
 * (an empty non-terminal, a name that only has names below it, has none).
 * RFC2136_OK or RFC2136_FAILED (err_set: transport, TSIG, RCODE in words,
 * "not authoritative"). */
int rfc2136_read(const struct rfc2136 *c, const char *name, int type,
    struct rfc2136_rrset *out);

/* Compare-and-set of the RRset at name (see the top of this file):
 * old_value NULL = create (name not in use), new_value NULL = delete.
 * ttl applies to new_value. Returns enum rfc2136_outcome. */
int rfc2136_replace(const struct rfc2136 *c, const char *name, int type,
    const char *old_value, const char *new_value, uint32_t ttl);

/* The CNAME: replace old_value (NULL: create where nothing exists) by
 * new_value. enum rfc2136_outcome. */
int rfc2136_replace_cname(const struct rfc2136 *c, const char *name,
    const char *old_value, const char *new_value, uint32_t ttl);

/* The run lock, a TXT record holding one string (<= 255 bytes):
 * take = create with "name is not in use" (RFC2136_CONFLICT: someone holds
 * it; rfc2136_read(..., DNS_T_TXT) tells who); renew/take over = replace
 * the exact old value; release = delete the exact value. Values are
 * written as given and read back with '\\' and non-printable bytes as \DDD:
 * keep lock values printable ASCII without '\\' so they compare equal. */
int rfc2136_lock_take(const struct rfc2136 *c, const char *lock_name,
    const char *value, uint32_t ttl);
int rfc2136_lock_renew(const struct rfc2136 *c, const char *lock_name,
    const char *old_value, const char *new_value, uint32_t ttl);
int rfc2136_lock_release(const struct rfc2136 *c, const char *lock_name,
    const char *value);

/* Waits until the change is served: the primary's SOA serial is past
 * since_serial (RFC 1982 arithmetic; pass the soa_serial of the
 * rfc2136_read made before the change), and every check server answers
 * authoritatively with a serial at least the primary's and exactly
 * { value } of type at name (value NULL: no record of that type).
 * check_servers: NULL-terminated "host[:port]" list, or NULL for the zone's
 * NS set (each on port 53). Polls every poll_ms until timeout_ms has passed
 * or a stop is requested. 0, or -1 (err_set names the first server that
 * lags and what it answered). Check servers are asked without TSIG (a
 * secondary need not hold the key). */
int rfc2136_wait_served(const struct rfc2136 *c, const char *name, int type,
    const char *value, uint32_t since_serial, const char *const *check_servers,
    int timeout_ms, int poll_ms);

/* One poll of the same check, for a caller that runs its own wait loop
 * (progress lines, lock renewal): every exchange ends by deadline (absolute,
 * retry_now_ms()). 1 served; 0 not yet (note says what lags or what failed);
 * -1 when the check cannot be made (a bad check server, the NS set
 * unreadable; err_set). */
int rfc2136_served(const struct rfc2136 *c, const char *name, int type,
    const char *value, uint32_t since_serial, const char *const *check_servers,
    long long deadline, char *note, size_t notesz);

/* 1 when this thread's last failed read or change failed because the
 * server refused us: a TSIG error (BADSIG, BADKEY, BADTIME), REFUSED,
 * NOTAUTH, or a server that is not authoritative for the zone. That is a
 * matter of configuration (key, update-policy, server), not of the
 * network. 0 otherwise. */
int rfc2136_refused(void);

/* "OK", "FAILED", "CONFLICT", "UNKNOWN". */
const char *rfc2136_outcome_name(int outcome);

#endif
