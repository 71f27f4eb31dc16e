/* dns.h - DNS messages (RFC 1035, RFC 2136 sections) and their transport.
 *
 * Writing never compresses names; reading follows compression pointers
 * (backwards only, so a loop cannot exist), bounds-checks every field and
 * limits names to 255 octets on the wire.  Names in text form have no
 * trailing dot; a label byte that is '.', '\\' or not printable ASCII is
 * written as \DDD.  Names compare case-insensitively (dns_name_eq).
 *
 * Transport: UDP, retried over TCP when the answer is truncated, or TCP only
 * (UPDATE).  One absolute deadline (retry_now_ms() clock) bounds the whole
 * exchange, connect included; a stop request (retry_stop_requested) ends it. */
#ifndef VAULTDR_DNS_H
#define VAULTDR_DNS_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DNS_TEXT_MAX 256 /* a name or value in text form, NUL included */
#define DNS_MAX_RR 48    /* records read from one message */
#define DNS_WIRE_MAX 4096 /* largest message we write */

enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6,
	DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_TSIG = 250, DNS_T_ANY = 255,
};
enum dns_class { DNS_C_IN = 1, DNS_C_NONE = 254, DNS_C_ANY = 255 };
enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_UPDATE = 5 };
/* Sections by their RFC 1035 names; RFC 2136 calls them zone, prerequisite,
 * update and additional. */
enum dns_section { DNS_S_QD, DNS_S_AN, DNS_S_NS, DNS_S_AR };
enum dns_rcode {
	DNS_R_NOERROR = 0, DNS_R_FORMERR, DNS_R_SERVFAIL, DNS_R_NXDOMAIN,
	DNS_R_NOTIMP, DNS_R_REFUSED, DNS_R_YXDOMAIN, DNS_R_YXRRSET,
	DNS_R_NXRRSET, DNS_R_NOTAUTH, DNS_R_NOTZONE,
	/* TSIG error field only (RFC 8945) */
	DNS_R_BADSIG = 16, DNS_R_BADKEY, DNS_R_BADTIME, DNS_R_BADMODE,
	DNS_R_BADNAME, DNS_R_BADALG, DNS_R_BADTRUNC,
};
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100

/* "NOERROR", "YXRRSET", "BADSIG", ...; "RCODE<n>" for others (static or
 * thread-local storage; valid until the next call). */
const char *dns_rcode_name(int rcode);
/* "CNAME", "TXT", ...; "TYPE<n>" for others (same storage rule). */
const char *dns_type_name(int type);

/* One resource record read from a message. */
struct dns_rr {
	int section;               /* enum dns_section */
	size_t off;                /* where the record starts in the message */
	char name[DNS_TEXT_MAX];
	uint16_t type, rclass;
	uint32_t ttl;
	size_t rdoff, rdlen;       /* RDATA within the message */
	/* Decoded RDATA: CNAME/NS target, SOA primary server, A/AAAA address,
	 * TXT character-strings concatenated (non-printable bytes and '\\' as
	 * \DDD); "" for other types. */
	char value[DNS_TEXT_MAX];
	uint32_t serial;           /* SOA only */
};

struct dns_msg {
	uint16_t id, flags;        /* flags: QR, opcode, AA, TC, RD, RA, Z, RCODE */
	int opcode, rcode;         /* from the header (4 bits each) */
	uint16_t count[4];         /* by enum dns_section */
	char qname[DNS_TEXT_MAX];  /* the question (UPDATE: the zone), if any */
	uint16_t qtype, qclass;
	size_t nrr;                /* answer + authority + additional */
	struct dns_rr rr[DNS_MAX_RR];
};

/* Parses n bytes of m into out (which is large: keep it off small stacks).
 * Rejects: short or trailing data, more than one question, more than
 * DNS_MAX_RR records, bad names, RDATA that does not match its type, a TSIG
 * record anywhere but last. 0 / -1 (err_set says what and at which offset). */
int dns_parse(const unsigned char *m, size_t n, struct dns_msg *out);

/* Reads the (possibly compressed) name at *pos of m[0..n) into text
 * (cap bytes); *pos moves past the name's bytes at that place. 0 / -1
 * (err_set). */
int dns_read_name(const unsigned char *m, size_t n, size_t *pos, char *text,
    size_t cap);
/* Text name -> uncompressed wire form in out (cap >= 255 is enough).
 * Returns the length, or -1 (err_set) for an empty label, a label over 63
 * octets, a name over 255 octets or a bad \ escape. */
int dns_name_to_wire(const char *text, unsigned char *out, size_t cap);
/* Case-insensitive comparison of two text names, ignoring a trailing dot. */
int dns_name_eq(const char *a, const char *b);

/* A message being written: fixed buffer, sections in order, counts patched
 * as records are added.  The first failure sticks in err (checked once by
 * dns_w_end). */
struct dns_w {
	unsigned char b[DNS_WIRE_MAX];
	size_t len;
	int section;
	int err;
};
/* Starts a message with ID id, opcode and flags (DNS_F_RD, ...). */
void dns_w_begin(struct dns_w *w, uint16_t id, int opcode, uint16_t flags);
void dns_w_question(struct dns_w *w, const char *name, int type, int rclass);
/* A record in section sec (>= the current one). value is the RDATA in text
 * form for CNAME/NS (a name), TXT (one character-string of at most 255
 * bytes, written as is), A/AAAA (an address); NULL means empty RDATA (the
 * RFC 2136 "any value" forms). */
void dns_w_rr(struct dns_w *w, int sec, const char *name, int type,
    int rclass, uint32_t ttl, const char *value);
/* 0, or -1 with err_set naming the first failure. */
int dns_w_end(struct dns_w *w);

/* Where to send: host (name or address) and port. */
struct dns_server {
	char host[256];
	char port[8];
};
/* "host", "host:port", "[v6addr]:port" or a bare IPv6 address; port 53
 * when omitted. 0 / -1 (err_set). */
int dns_server_parse(struct dns_server *s, const char *spec);

/* Sends the request q[0..qlen) and reads its answer into resp (replacing its
 * contents). tcp = 0: UDP, repeated over TCP when the answer has TC set;
 * tcp = 1: TCP only. deadline_ms is absolute (retry_now_ms()). Answers whose
 * ID or question differ from the request's are ignored (UDP) or fail (TCP).
 * 0, or -1 with err_set and *sent = 1 when the request may have reached the
 * server (its outcome is then unknown), 0 when it surely did not. */
int dns_exchange(const struct dns_server *s, const unsigned char *q,
    size_t qlen, int tcp, long long deadline_ms, struct buf *resp, int *sent);

/* A random message ID. */
uint16_t dns_random_id(void);

#endif
