/* fuzz_dns.c - the DNS message reader (dns_parse) and the TSIG verifier
 * (tsig_verify, as a request and as an answer to a fixed request MAC) with
 * the key of tests/vectors/dns/key.conf at the time of those captures, so
 * that seeds reach the MAC-verified paths; and the BIND key-file reader.
 * Byte 0 picks the mode: even = a message (the seeds are messages captured
 * from BIND), odd = a key file. Properties: every name the reader returns is
 * accepted by the writer; counts and offsets stay inside the message. */
#include "dns.h"
#include "fuzz.h"
#include "log.h"
#include "tsig.h"

static struct tsig_key key;
static struct dns_msg msg;

static void
check_name(const char *text)
{
	unsigned char w[256];

	FUZZ_ASSERT(strlen(text) < DNS_TEXT_MAX);
	FUZZ_ASSERT(dns_name_to_wire(text, w, sizeof(w)) > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char req_mac[32] = { 1, 2, 3 };
	struct tsig_key k;
	size_t i;
	int v;

	if (size < 1)
		return 0;
	if (!secret_is_set(&key.secret) &&
	    tsig_key_init(&key, "vaultdr-key", "hmac-sha256",
	    "jMtfDonBZpQR6mrx8GJhfiFNHdruVQ42Kr69MfYQLa4=", 44) != 0)
		abort();
	if (data[0] & 1) {
		memset(&k, 0, sizeof(k));
		if (tsig_key_parse(&k, (const char *)data + 1, size - 1, "fuzz",
		    (data[0] & 2) ? "vaultdr-key" : NULL) == 0) {
			FUZZ_ASSERT(secret_is_set(&k.secret));
			check_name(k.name);
		}
		tsig_key_wipe(&k);
		return 0;
	}
	data++;
	size--;
	if (dns_parse(data, size, &msg) != 0)
		return 0;
	FUZZ_ASSERT(msg.nrr <= DNS_MAX_RR);
	FUZZ_ASSERT(msg.nrr == (size_t)msg.count[1] + msg.count[2] +
	    msg.count[3]);
	if (msg.count[DNS_S_QD])
		check_name(msg.qname);
	for (i = 0; i < msg.nrr; i++) {
		const struct dns_rr *rr = &msg.rr[i];
		check_name(rr->name);
		FUZZ_ASSERT(rr->off < rr->rdoff && rr->rdoff + rr->rdlen <= size);
		if (rr->type == DNS_T_CNAME || rr->type == DNS_T_NS ||
		    rr->type == DNS_T_SOA)
			check_name(rr->value);
		FUZZ_ASSERT(strlen(rr->value) < DNS_TEXT_MAX);
	}
	v = tsig_verify(&key, data, size, &msg, NULL, 0, 1796035488);
	FUZZ_ASSERT(v == TSIG_OK || v == TSIG_INVALID || v == TSIG_REJECTED ||
	    v == TSIG_UNVERIFIABLE);
	v = tsig_verify(&key, data, size, &msg, req_mac, sizeof(req_mac),
	    1796035488);
	FUZZ_ASSERT(v == TSIG_OK || v == TSIG_INVALID || v == TSIG_REJECTED ||
	    v == TSIG_UNVERIFIABLE);
	return 0;
}
