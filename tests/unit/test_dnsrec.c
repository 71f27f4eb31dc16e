/* test_dnsrec.c - the DNS backend seam: <env>_dns_provider and the rfc2136
 * keys in config.c (checked at load, errors naming file:line and key), the
 * TSIG key from a BIND key file or VAULTDR_TSIG_SECRET (never shown), and
 * dnsrec.c's backends: rfc2136 set up from a config, Route 53 against a
 * scripted server (the record set's shapes, the zone check, outcomes). The
 * rfc2136 wire behaviour is tested against a real BIND 9
 * (tests/e2e/test_dns_engine.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dnsrec.h"
#include "log.h"
#include "t.h"
#include "tsig.h"
#include "tsrv.h"

#define SECRET_B64 "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM="

#define BASE \
	"[Vault-Cluster-Lab]\n" \
	"lab_primary_vault_cluster_domain=https://a.example\n" \
	"lab_secondary_vault_cluster_domain=https://b.example\n" \
	"lab_cluster_cname=vault.lab.example\n"

static char warned[4096];

static void
capture_warning(const char *msg)
{
	size_t n = strlen(warned);

	snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

/* Writes text to a temporary file; path gets its name. */
static int
tmpfile_with(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	return 0;
}

/* Loads text as the config file of environment "lab". */
static int
load(const char *text, struct dr_config *c)
{
	char path[] = "/tmp/vaultdr-dnsrec-XXXXXX";
	int rc;

	memset(c, 0, sizeof(*c));
	if (tmpfile_with(path, text) == -1)
		return -2;
	warned[0] = '\0';
	log_set_warn_hook(capture_warning);
	rc = config_load(path, "lab", c);
	log_set_warn_hook(NULL);
	unlink(path);
	return rc;
}

static void
provider_defaults_to_route53(void)
{
	struct dr_config c;

	CHECK(load(BASE "[AWS-Route-53]\nHostedZoneID=Z1\n", &c) == 0);
	CHECK(c.dns_provider == CONFIG_DNS_ROUTE53);
	CHECK(c.tsig_key == NULL && c.dns_server == NULL);
	CHECK_STREQ(config_dns_provider_name(c.dns_provider), "route53");
	config_free(&c);
	/* rfc2136 keys under route53 are warned about, not used */
	CHECK(load(BASE "lab_dns_server=127.0.0.1\n[AWS-Route-53]\n"
	    "HostedZoneID=Z1\n", &c) == 0);
	CHECK(strstr(warned, "lab_dns_server ignored") != NULL);
	CHECK(c.dns_server == NULL);
	config_free(&c);
	CHECK(load(BASE "lab_dns_provider=bind\n", &c) == -1);
	CHECK(strstr(err_get(), ":5: lab_dns_provider: 'bind'") != NULL);
	CHECK(strstr(err_get(), "route53 or rfc2136") != NULL);
	config_free(&c);
}

static void
rfc2136_keys_read(void)
{
	struct dr_config c;
	struct dnsrec d;

	setenv("VAULTDR_TSIG_SECRET", SECRET_B64, 1);
	/* no hosted zone needed; known keys are not warned about */
	CHECK(load(BASE "lab_dns_provider=RFC2136\n"
	    "lab_dns_server=192.0.2.53:5353\nlab_dns_zone=lab.example.\n"
	    "lab_tsig_key_name=vaultdr-key\nlab_tsig_algorithm=hmac-sha512\n"
	    "lab_dns_check_servers=192.0.2.1, 192.0.2.2:53 [2001:db8::1]:54\n",
	    &c) == 0);
	CHECK(warned[0] == '\0');
	CHECK(c.dns_provider == CONFIG_DNS_RFC2136 && c.zone_id == NULL);
	CHECK_STREQ(c.dns_server, "192.0.2.53:5353");
	CHECK_STREQ(c.dns_zone, "lab.example");
	CHECK(c.dns_check_servers && c.dns_check_servers[2] &&
	    !c.dns_check_servers[3]);
	CHECK_STREQ(c.dns_check_servers[2], "[2001:db8::1]:54");
	CHECK(c.tsig_key != NULL);
	CHECK_STREQ(c.tsig_key->name, "vaultdr-key");
	CHECK(c.tsig_key->alg == TSIG_HMAC_SHA512);
	CHECK(dnsrec_rfc2136(&d, &c, 1) == 0);
	CHECK(dnsrec_usable(&d));
	CHECK_STREQ(d.where, "zone lab.example at 192.0.2.53 port 5353");
	CHECK(d.dns.timeout_ms == 30000 && d.read_only == 1);
	CHECK_STREQ(d.words->change, "UPDATE");
	CHECK(d.check_servers == (const char *const *)c.dns_check_servers);
	config_free(&c);
	CHECK(c.tsig_key == NULL);
	unsetenv("VAULTDR_TSIG_SECRET");
}

static void
rfc2136_keys_checked(void)
{
	static const struct {
		const char *extra, *want;
	} bad[] = {
		{ "lab_dns_zone=lab.example\n", "needs lab_dns_server" },
		{ "lab_dns_server=192.0.2.1\n", "needs lab_dns_zone" },
		{ "lab_dns_server=192.0.2.1:99999\nlab_dns_zone=lab.example\n",
		  ":6: lab_dns_server" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab..example\n",
		  ":7: lab_dns_zone" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=other.example\n"
		  "lab_tsig_key_name=k\n",
		  "vault.lab.example is not in lab_dns_zone other.example" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n",
		  "needs a TSIG key" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n"
		  "lab_tsig_key_name=k\nlab_tsig_algorithm=hmac-md5\n",
		  ":9: lab_tsig_algorithm" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n"
		  "lab_tsig_key_name=k\nlab_dns_check_servers=a:1 b:x\n",
		  ":9: lab_dns_check_servers" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n"
		  "lab_tsig_key_name=k\nlab_dns_check_servers=1,2,3,4,5,6,7,8,9\n",
		  "more than 8 servers" },
		{ "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n"
		  "lab_tsig_key_name=k\n", "VAULTDR_TSIG_SECRET is not set" },
	};
	char text[1024];
	struct dr_config c;
	size_t i;

	unsetenv("VAULTDR_TSIG_SECRET");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%slab_dns_provider=rfc2136\n%s",
		    BASE, bad[i].extra);
		CHECK(load(text, &c) == -1);
		if (!CHECK(strstr(err_get(), bad[i].want) != NULL))
			fprintf(stderr, "    case %zu: %s\n", i, err_get());
		CHECK(c.tsig_key == NULL);
		config_free(&c);
	}
	/* a secret that is not base64 is refused without being shown */
	setenv("VAULTDR_TSIG_SECRET", "not*base64*at*all", 1);
	snprintf(text, sizeof(text), "%slab_dns_provider=rfc2136\n"
	    "lab_dns_server=192.0.2.1\nlab_dns_zone=lab.example\n"
	    "lab_tsig_key_name=k\n", BASE);
	CHECK(load(text, &c) == -1);
	CHECK(strstr(err_get(), "VAULTDR_TSIG_SECRET") != NULL);
	CHECK(strstr(err_get(), "not*base64") == NULL);
	config_free(&c);
	unsetenv("VAULTDR_TSIG_SECRET");
}

static void
rfc2136_key_file(void)
{
	char key[] = "/tmp/vaultdr-key-XXXXXX", text[1024];
	struct dr_config c;

	CHECK(tmpfile_with(key, "# the key BIND has too\n"
	    "key \"other\" { algorithm hmac-sha1; secret \"" SECRET_B64
	    "\"; };\n"
	    "key \"vaultdr-key\" {\n\talgorithm hmac-sha256;\n\tsecret \""
	    SECRET_B64 "\";\n};\n") == 0);
	/* the named key, its algorithm from the file */
	snprintf(text, sizeof(text), "%slab_dns_provider=rfc2136\n"
	    "lab_dns_server=ns1.lab.example\nlab_dns_zone=lab.example\n"
	    "lab_tsig_key_file=%s\nlab_tsig_key_name=vaultdr-key\n", BASE,
	    key);
	CHECK(load(text, &c) == 0);
	CHECK(c.tsig_key && c.tsig_key->alg == TSIG_HMAC_SHA256);
	CHECK_STREQ(c.tsig_key->name, "vaultdr-key");
	config_free(&c);
	/* a configured algorithm must agree with the file's */
	snprintf(text, sizeof(text), "%slab_dns_provider=rfc2136\n"
	    "lab_dns_server=ns1.lab.example\nlab_dns_zone=lab.example\n"
	    "lab_tsig_key_file=%s\nlab_tsig_algorithm=hmac-sha512\n", BASE,
	    key);
	CHECK(load(text, &c) == -1);
	CHECK(strstr(err_get(), "differs") != NULL);
	CHECK(strstr(err_get(), SECRET_B64) == NULL);
	config_free(&c);
	unlink(key);
	/* a broken key file: the error names the file and line */
	strcpy(key, "/tmp/vaultdr-key-XXXXXX");
	CHECK(tmpfile_with(key, "key \"k\" {\n\talgorithm hmac-sha256;\n"
	    "\tsecret \"" SECRET_B64 "\"\n};\n") == 0);
	snprintf(text, sizeof(text), "%slab_dns_provider=rfc2136\n"
	    "lab_dns_server=ns1.lab.example\nlab_dns_zone=lab.example\n"
	    "lab_tsig_key_file=%s\n", BASE, key);
	CHECK(load(text, &c) == -1);
	CHECK(strstr(err_get(), key) != NULL);
	CHECK(strstr(err_get(), "line 4") != NULL);
	CHECK(strstr(err_get(), SECRET_B64) == NULL);
	config_free(&c);
	unlink(key);
	/* a missing file */
	CHECK(load(text, &c) == -1);
	CHECK(strstr(err_get(), "lab_tsig_key_file") != NULL);
	config_free(&c);
}

/* ---- the Route 53 backend against a scripted server ---- */

#define R53NS "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""
#define LIST(sets) "<ListResourceRecordSetsResponse " R53NS \
	"><ResourceRecordSets>" sets "</ResourceRecordSets><IsTruncated>false" \
	"</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>"
#define ZONE_DOC "<GetHostedZoneResponse " R53NS "><HostedZone><Id>" \
	"/hostedzone/Z1</Id><Name>lab.example.</Name><CallerReference>x" \
	"</CallerReference><Config><PrivateZone>false</PrivateZone></Config>" \
	"<ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone>" \
	"<DelegationSet><NameServers><NameServer>ns.example</NameServer>" \
	"</NameServers></DelegationSet></GetHostedZoneResponse>"

static char rbuf[8][2048];

static const char *
xml_reply(int i, int status, const char *body)
{
	snprintf(rbuf[i], sizeof(rbuf[i]), "HTTP/1.1 %d X\r\nContent-Type: "
	    "text/xml\r\nContent-Length: %zu\r\n\r\n%s", status,
	    strlen(body), body);
	return rbuf[i];
}

/* Runs dnsrec_read over Route 53 answering steps; 0 / -1 as it returned. */
static int
r53_read_with(const struct tsrv_step *st, size_t n, struct dnsrec_set *set,
    struct dnsrec *d)
{
	struct http_client_config cfg = { 0 };
	struct secret ak = { 0 }, sk = { 0 }, tok = { 0 };
	struct http_client *http;
	struct tsrv s;
	struct r53 r;
	char ep[64];
	int rc;

	if (tsrv_start(&s, NULL, NULL, st, n) == -1)
		return -2;
	cfg.connect_timeout_ms = 1000;
	cfg.io_timeout_ms = 2000;
	http = http_client_new(&cfg);
	secret_set(&ak, "AKIDUNIT", 8);
	secret_set(&sk, "unit-secret-key", 15);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", s.port);
	memset(&r, 0, sizeof(r));
	r.endpoint = ep;
	r.http = http;
	r.access_key = &ak;
	r.secret_key = &sk;
	r.session_token = &tok;
	r.zone_id = "Z1";
	r.region = "us-east-1";
	dnsrec_route53(d, &r, "vault.lab.example");
	CHECK(dnsrec_usable(d));
	rc = dnsrec_read(d, set);
	http_client_free(http);
	tsrv_stop(&s);
	secret_wipe(&ak);
	secret_wipe(&sk);
	return rc;
}

static void
route53_record_shapes(void)
{
	static const char *const cname = LIST("<ResourceRecordSet><Name>"
	    "vault.lab.example.</Name><Type>CNAME</Type><TTL>60</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>a.lb.example.</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet>");
	static const char *const alias = LIST("<ResourceRecordSet><Name>"
	    "vault.lab.example.</Name><Type>A</Type><AliasTarget><HostedZoneId>"
	    "Z2ELB</HostedZoneId><DNSName>dualstack.lb-1.example.</DNSName>"
	    "<EvaluateTargetHealth>true</EvaluateTargetHealth></AliasTarget>"
	    "</ResourceRecordSet>");
	static const char *const other = LIST("<ResourceRecordSet><Name>"
	    "vault.lab.example.</Name><Type>TXT</Type><TTL>60</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>\"x\"</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet>");
	struct tsrv_step st[2];
	struct dnsrec_set set;
	struct dnsrec d;

	st[0] = (struct tsrv_step){ xml_reply(0, 200, cname), TSRV_KEEP };
	st[1] = (struct tsrv_step){ xml_reply(1, 200, ZONE_DOC), TSRV_KEEP };
	CHECK(r53_read_with(st, 2, &set, &d) == 0);
	CHECK(set.shape == DNSREC_ONE && set.value.kind == DNSREC_CNAME);
	CHECK_STREQ(set.value.target, "a.lb.example");
	CHECK(set.ttl == 60 && set.in_zone == 1);
	CHECK_STREQ(set.zone, "lab.example.");
	CHECK_STREQ(d.where, "zone Z1");
	CHECK_STREQ(d.words->change, "UPSERT");
	/* one simple alias: its kind, target and zone (the engine decides
	 * whether that kind is the one configured) */
	st[0].reply = xml_reply(0, 200, alias);
	CHECK(r53_read_with(st, 2, &set, &d) == 0);
	CHECK(set.shape == DNSREC_ONE && set.value.kind == DNSREC_A_ALIAS);
	CHECK_STREQ(set.value.target, "dualstack.lb-1.example");
	CHECK_STREQ(set.value.alias_zone, "Z2ELB");
	CHECK(set.value.evaluate == 1 && set.ttl == -1);
	CHECK(strstr(set.other, "alias A") != NULL);
	st[0].reply = xml_reply(0, 200, other);
	CHECK(r53_read_with(st, 2, &set, &d) == 0);
	CHECK(set.shape == DNSREC_OTHER && strstr(set.other, "TXT") != NULL);
	st[0].reply = xml_reply(0, 200, LIST(""));
	CHECK(r53_read_with(st, 2, &set, &d) == 0);
	CHECK(set.shape == DNSREC_ABSENT && set.in_zone == 1);
	/* refusals are "rejected" (exit 2), the zone's too */
	st[0].reply = xml_reply(0, 403, "<ErrorResponse " R53NS "><Error>"
	    "<Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message>"
	    "</Error><RequestId>1</RequestId></ErrorResponse>");
	CHECK(r53_read_with(st, 1, &set, &d) == -1 && d.rejected == 1);
	st[0].reply = xml_reply(0, 200, cname);
	st[1].reply = xml_reply(1, 404, "<ErrorResponse " R53NS "><Error>"
	    "<Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>no"
	    "</Message></Error><RequestId>1</RequestId></ErrorResponse>");
	CHECK(r53_read_with(st, 2, &set, &d) == -1 && d.rejected == 1);
	CHECK(strstr(err_get(), "zone check: GetHostedZone Z1") != NULL);
}

static void
kind_names(void)
{
	CHECK_STREQ(dnsrec_kind_name(DNSREC_CNAME), "CNAME");
	CHECK_STREQ(dnsrec_kind_name(DNSREC_A_ALIAS), "A-alias");
	CHECK_STREQ(dnsrec_kind_name(DNSREC_AAAA_ALIAS), "AAAA-alias");
	CHECK_STREQ(dnsrec_kind_name(7), "?");
}

void
suite_dnsrec(void)
{
	T_RUN(provider_defaults_to_route53);
	T_RUN(rfc2136_keys_read);
	T_RUN(rfc2136_keys_checked);
	T_RUN(rfc2136_key_file);
	T_RUN(route53_record_shapes);
	T_RUN(kind_names);
}
