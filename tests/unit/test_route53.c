/* test_route53.c - the Route 53 documents (over the strict XML reader), DNS
 * name helpers, host name check and the run lock value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "route53.h"
#include "t.h"
#include "xml.h"

#define NS "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""

static const char list_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListResourceRecordSetsResponse " NS ">"
    "<ResourceRecordSets><ResourceRecordSet><Name>vault.example.com.</Name>"
    "<Type>CNAME</Type><TTL>60</TTL><ResourceRecords><ResourceRecord>"
    "<Value>a&amp;b.example.net</Value></ResourceRecord></ResourceRecords>"
    "</ResourceRecordSet>"
    "<ResourceRecordSet><Name>vault.example.com.</Name><Type>TXT</Type>"
    "<SetIdentifier>one</SetIdentifier><Weight>10</Weight><TTL>300</TTL>"
    "<ResourceRecords><ResourceRecord><Value>\"x\"</Value></ResourceRecord>"
    "<ResourceRecord><Value>\"y\"</Value></ResourceRecord></ResourceRecords>"
    "<HealthCheckId>hc-1</HealthCheckId></ResourceRecordSet>"
    "<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type>"
    "<AliasTarget><HostedZoneId>Z2FDTNDATAQYW2</HostedZoneId>"
    "<DNSName>d111.cloudfront.net.</DNSName>"
    "<EvaluateTargetHealth>true</EvaluateTargetHealth></AliasTarget>"
    "</ResourceRecordSet>"
    "</ResourceRecordSets><IsTruncated>true</IsTruncated>"
    "<NextRecordName>xyz.example.com.</NextRecordName>"
    "<NextRecordType>MX</NextRecordType>"
    "<MaxItems>3</MaxItems></ListResourceRecordSetsResponse>";

static void
xml_reader_tree(void)
{
	struct xml_doc d = { 0 };
	char why[128];
	int sets, s;

	CHECK(xml_parse(list_doc, strlen(list_doc), &d, why, sizeof(why)) == 0);
	CHECK_STREQ(d.n[0].name, "ListResourceRecordSetsResponse");
	sets = xml_child(&d, 0, "ResourceRecordSets");
	CHECK(sets > 0);
	s = xml_child(&d, sets, "ResourceRecordSet");
	CHECK_STREQ(xml_leaf(&d, s, "Name"), "vault.example.com.");
	CHECK(xml_leaf(&d, s, "ResourceRecords") == NULL); /* not a leaf */
	CHECK(xml_leaf(&d, s, "Nope") == NULL);
	s = xml_next_named(&d, s, "ResourceRecordSet");
	CHECK_STREQ(xml_leaf(&d, s, "SetIdentifier"), "one");
	CHECK(xml_next_named(&d, xml_next_named(&d, s, "ResourceRecordSet"),
	    "ResourceRecordSet") == -1);
	xml_free(&d);
	xml_free(&d);
}

static void
xml_text_first_element(void)
{
	static const char sts[] = "<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SessionToken>a&amp;b"
	    "</SessionToken></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>";
	char *v = NULL;

	CHECK(xml_text(sts, strlen(sts), "AccessKeyId", &v) == 0);
	CHECK_STREQ(v, "ASIAX");
	free(v);
	CHECK(xml_text(sts, strlen(sts), "SessionToken", &v) == 0);
	CHECK_STREQ(v, "a&b");
	free(v);
	CHECK(xml_text(sts, strlen(sts), "Expiration", &v) == 1 && v == NULL);
	CHECK(xml_text(sts, strlen(sts), "Credentials", &v) == -1 && v == NULL);
	/* The whole document must be XML: no partial answers. */
	CHECK(xml_text(sts, strlen(sts) - 3, "AccessKeyId", &v) == -1 &&
	    v == NULL);
	CHECK(strstr(err_get(), "not valid XML") != NULL);
}

static void
xml_escape_round_trip(void)
{
	struct buf b = { 0 };
	struct xml_doc d = { 0 };
	char why[128];

	CHECK(buf_puts(&b, "<V>") == 0 && xml_escape(&b, "a&<>\"'z") == 0 &&
	    buf_puts(&b, "</V>") == 0);
	CHECK_STREQ(b.data, "<V>a&amp;&lt;&gt;&quot;&apos;z</V>");
	CHECK(xml_parse(b.data, b.len, &d, why, sizeof(why)) == 0);
	CHECK_STREQ(d.n[0].text, "a&<>\"'z");
	xml_free(&d);
	buf_free(&b);
}

static void
list_parses_every_kind(void)
{
	struct r53_page p;

	CHECK(r53_parse_list(list_doc, strlen(list_doc), &p) == 0);
	CHECK(p.n == 3);
	if (p.n != 3)
		return;
	CHECK_STREQ(p.sets[0].name, "vault.example.com.");
	CHECK_STREQ(p.sets[0].type, "CNAME");
	CHECK(p.sets[0].ttl == 60 && p.sets[0].nvalues == 1);
	CHECK_STREQ(p.sets[0].values[0], "a&b.example.net");
	CHECK(p.sets[0].set_id == NULL && !p.sets[0].has_weight);
	CHECK_STREQ(p.sets[1].set_id, "one");
	CHECK(p.sets[1].has_weight && p.sets[1].weight == 10);
	CHECK(p.sets[1].nvalues == 2);
	CHECK_STREQ(p.sets[1].values[1], "\"y\"");
	CHECK_STREQ(p.sets[1].health_check, "hc-1");
	CHECK(p.sets[2].alias && p.sets[2].alias_eval && p.sets[2].ttl == -1);
	CHECK_STREQ(p.sets[2].alias_zone, "Z2FDTNDATAQYW2");
	CHECK_STREQ(p.sets[2].alias_dns, "d111.cloudfront.net.");
	CHECK(p.truncated);
	CHECK_STREQ(p.next_name, "xyz.example.com.");
	CHECK_STREQ(p.next_type, "MX");
	CHECK(p.next_id == NULL);
	r53_page_free(&p);
	r53_page_free(&p);
}

/* Every malformed listing is an error, never an empty result. */
static void
list_malformed_is_error(void)
{
	static const char *const bad[] = {
		"", "garbage", "<html><body>504 Gateway Time-out</body></html>",
		/* truncated */
		"<ListResourceRecordSetsResponse><ResourceRecordSets>"
		"<ResourceRecordSet><Name>x",
		/* missing required members */
		"<ListResourceRecordSetsResponse><IsTruncated>false</IsTruncated>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets/>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets/>"
		"<IsTruncated>maybe</IsTruncated><MaxItems>1</MaxItems>"
		"</ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets/>"
		"<IsTruncated>true</IsTruncated><MaxItems>1</MaxItems>"
		"</ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets>"
		"<ResourceRecordSet><Name>a.</Name><Type>A</Type>"
		"<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value>"
		"</ResourceRecord></ResourceRecords></ResourceRecordSet>"
		"</ResourceRecordSets><IsTruncated>false</IsTruncated>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets>"
		"<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>6x</TTL>"
		"<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value>"
		"</ResourceRecord></ResourceRecords></ResourceRecordSet>"
		"</ResourceRecordSets><IsTruncated>false</IsTruncated>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
		"<ListResourceRecordSetsResponse><ResourceRecordSets>"
		"<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>6</TTL>"
		"<ResourceRecords></ResourceRecords></ResourceRecordSet>"
		"</ResourceRecordSets><IsTruncated>false</IsTruncated>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
		/* another document */
		"<GetChangeResponse><ChangeInfo><Id>C1</Id><Status>INSYNC"
		"</Status></ChangeInfo></GetChangeResponse>",
		/* wrong namespace */
		"<ListResourceRecordSetsResponse xmlns=\"urn:x\">"
		"<ResourceRecordSets/><IsTruncated>false</IsTruncated>"
		"<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
	};
	struct r53_page p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		if (!CHECK(r53_parse_list(bad[i], strlen(bad[i]), &p) == -1))
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(p.sets == NULL && p.n == 0);
		CHECK(err_get()[0] != '\0');
	}
	/* The length is respected: a complete document cut short fails. */
	CHECK(r53_parse_list(list_doc, strlen(list_doc) - 1, &p) == -1);
	/* Empty is fine when the document says so. */
	static const char empty[] = "<ListResourceRecordSetsResponse " NS ">"
	    "<ResourceRecordSets/><IsTruncated>false</IsTruncated>"
	    "<MaxItems>100</MaxItems></ListResourceRecordSetsResponse>";
	CHECK(r53_parse_list(empty, strlen(empty), &p) == 0 && p.n == 0);
	r53_page_free(&p);
}

static void
change_info_and_zone(void)
{
	static const char ch[] = "<ChangeResourceRecordSetsResponse " NS ">"
	    "<ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING"
	    "</Status><SubmittedAt>2017-03-10T01:36:41.958Z</SubmittedAt>"
	    "</ChangeInfo></ChangeResourceRecordSetsResponse>";
	static const char gc[] = "<GetChangeResponse><ChangeInfo><Id>C1</Id>"
	    "<Status>INSYNC</Status></ChangeInfo></GetChangeResponse>";
	static const char gcbad[] = "<GetChangeResponse><ChangeInfo><Id>C1"
	    "</Id><Status>DONE</Status></ChangeInfo></GetChangeResponse>";
	static const char hz[] = "<GetHostedZoneResponse " NS "><HostedZone>"
	    "<Id>/hostedzone/Z1</Id><Name>Example.COM.</Name><CallerReference>"
	    "r</CallerReference><ResourceRecordSetCount>2"
	    "</ResourceRecordSetCount></HostedZone></GetHostedZoneResponse>";
	char *id = NULL, *zn = NULL;
	int insync = -1;

	CHECK(r53_parse_change_info(ch, strlen(ch),
	    "ChangeResourceRecordSetsResponse", &id, &insync) == 0);
	CHECK_STREQ(id, "C2682N5HXP0BZ4");
	CHECK(insync == 0);
	free(id);
	CHECK(r53_parse_change_info(gc, strlen(gc), "GetChangeResponse", &id,
	    &insync) == 0 && insync == 1);
	free(id);
	CHECK(r53_parse_change_info(gcbad, strlen(gcbad), "GetChangeResponse",
	    &id, &insync) == -1 && id == NULL);
	CHECK(r53_parse_change_info(gc, strlen(gc),
	    "ChangeResourceRecordSetsResponse", &id, &insync) == -1);
	CHECK(r53_parse_zone(hz, strlen(hz), &zn) == 0);
	CHECK_STREQ(zn, "example.com.");
	free(zn);
	CHECK(r53_parse_zone(hz, 40, &zn) == -1 && zn == NULL);
}

static void
error_documents(void)
{
	static const char e1[] = "<?xml version=\"1.0\"?><ErrorResponse " NS
	    "><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
	    "exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>";
	static const char e2[] = "<InvalidChangeBatch " NS "><Messages>"
	    "<Message>Tried to create resource record set [name='a.', "
	    "type='TXT'] but it already exists</Message><Message>two</Message>"
	    "</Messages><RequestId>r</RequestId></InvalidChangeBatch>";
	static const char e3[] = "<InvalidSignatureException><Message>bad sig"
	    "</Message></InvalidSignatureException>";
	char code[64], msg[256];

	CHECK(r53_parse_error(e1, strlen(e1), code, sizeof(code), msg,
	    sizeof(msg)) == 0);
	CHECK_STREQ(code, "Throttling");
	CHECK_STREQ(msg, "Rate exceeded");
	CHECK(r53_parse_error(e2, strlen(e2), code, sizeof(code), msg,
	    sizeof(msg)) == 0);
	CHECK_STREQ(code, "InvalidChangeBatch");
	CHECK(strstr(msg, "already exists; two") != NULL);
	CHECK(r53_parse_error(e3, strlen(e3), code, sizeof(code), msg,
	    sizeof(msg)) == 0);
	CHECK_STREQ(code, "InvalidSignatureException");
	CHECK_STREQ(msg, "bad sig");
	CHECK(r53_parse_error("<html>504</html>", 16, code, sizeof(code), msg,
	    sizeof(msg)) == -1 && code[0] == '\0');
	CHECK(r53_parse_error("<ErrorResponse><Error>", 22, code, sizeof(code),
	    msg, sizeof(msg)) == -1);
}

static void
names(void)
{
	CHECK(r53_name_eq("Vault.Example.com", "vault.example.com."));
	CHECK(r53_name_eq("\\052.example.com.", "*.example.com"));
	CHECK(!r53_name_eq("vault.example.com", "vault.example.co"));
	CHECK(r53_name_in_zone("vault.prod.example.com", "example.com."));
	CHECK(r53_name_in_zone("EXAMPLE.com.", "example.com"));
	CHECK(!r53_name_in_zone("vault.example.org", "example.com."));
	CHECK(!r53_name_in_zone("badexample.com", "example.com."));
	CHECK(!r53_name_in_zone("com", "example.com."));
}

static void
hostname_check(void)
{
	CHECK(r53_valid_hostname("internal-use1-prod-vault.elb.amazonaws.com"));
	CHECK(r53_valid_hostname("vault-b.lb.example.test"));
	CHECK(!r53_valid_hostname("https://internal-use1-prod-vault.elb.amazonaws.com"));
	CHECK(!r53_valid_hostname("vault.example.com:8200"));
	CHECK(!r53_valid_hostname("vault.example.com/path"));
	CHECK(!r53_valid_hostname(""));
	CHECK(!r53_valid_hostname("a..b"));
	CHECK(!r53_valid_hostname("has space.example"));
	CHECK(!r53_valid_hostname("10.0.0.5"));
	CHECK(r53_valid_hostname("vault.example."));
	CHECK(!r53_valid_hostname("vault.example.."));
	CHECK(r53_valid_hostname("vault1.example2"));
}

static void
lock_value_format_and_parse(void)
{
	struct r53_lock l, p;
	char *n;

	memset(&l, 0, sizeof(l));
	snprintf(l.owner, sizeof(l.owner), "ops@bastion-1");
	l.pid = 4242;
	snprintf(l.cmd, sizeof(l.cmd), "failover");
	snprintf(l.env, sizeof(l.env), "prod");
	l.expires = 1767225600;
	CHECK(r53_lock_format(&l) == 0);
	CHECK_STREQ(l.value, "\"owner=ops@bastion-1 pid=4242 cmd=failover "
	    "env=prod expires=1767225600\"");
	CHECK(r53_lock_parse(l.value, &p) == 0);
	CHECK_STREQ(p.owner, "ops@bastion-1");
	CHECK(p.pid == 4242 && p.expires == 1767225600);
	CHECK_STREQ(p.cmd, "failover");
	CHECK_STREQ(p.env, "prod");
	CHECK_STREQ(p.value, l.value);
	/* Re-parsing a lock's own value (the input aliases the output). */
	CHECK(r53_lock_parse(p.value, &p) == 0 && p.pid == 4242);
	CHECK_STREQ(p.value, l.value);
	/* Fields in another order are the same lock. */
	CHECK(r53_lock_parse("\"expires=5 env=e cmd=failback pid=1 owner=u@h\"",
	    &p) == 0 && p.expires == 5 && p.pid == 1);
	/* Field values that would break the format are refused. */
	snprintf(l.owner, sizeof(l.owner), "ops team@host");
	CHECK(r53_lock_format(&l) == -1);
	snprintf(l.owner, sizeof(l.owner), "ops\"@host");
	CHECK(r53_lock_format(&l) == -1);
	snprintf(l.owner, sizeof(l.owner), "%s", "");
	CHECK(r53_lock_format(&l) == -1);
	memset(l.owner, 'u', 250);
	l.owner[250] = '\0';
	CHECK(r53_lock_format(&l) == -1); /* > 255 characters */
	n = r53_lock_name("vault.prod.example.com");
	CHECK_STREQ(n, "_vaultdr-lock.vault.prod.example.com");
	free(n);
}

static void
lock_value_malformed(void)
{
	static const char *const bad[] = {
		"", "\"\"", "owner=u@h pid=1 cmd=failover env=e expires=5",
		"\"owner=u@h pid=1 cmd=failover env=e\"",
		"\"owner=u@h pid=1 cmd=failover env=e expires=5 extra=1\"",
		"\"owner=u@h pid=x cmd=failover env=e expires=5\"",
		"\"owner=u@h pid=1 cmd=failover env=e expires=-5\"",
		"\"owner=u@h pid=1 pid=2 cmd=failover env=e expires=5\"",
		"\"owner= pid=1 cmd=failover env=e expires=5\"",
		"\"owner=u@h pid=1 cmd=failover env=e expires=5\" \"x\"",
		"\"locked by someone\"",
	};
	struct r53_lock l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		if (!CHECK(r53_lock_parse(bad[i], &l) == -1))
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(strstr(err_get(), "run lock value") != NULL);
		CHECK(l.value[0] == '\0' && l.expires == 0);
	}
}

void
suite_route53(void)
{
	T_RUN(xml_reader_tree);
	T_RUN(xml_text_first_element);
	T_RUN(xml_escape_round_trip);
	T_RUN(list_parses_every_kind);
	T_RUN(list_malformed_is_error);
	T_RUN(change_info_and_zone);
	T_RUN(error_documents);
	T_RUN(names);
	T_RUN(hostname_check);
	T_RUN(lock_value_format_and_parse);
	T_RUN(lock_value_malformed);
}
