/* test_route53.c - the Route 53 XML reader and host name check. */
#include <stdlib.h>
#include <string.h>

#include "route53.h"
#include "t.h"

static const char list_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
    "<ResourceRecordSets><ResourceRecordSet><Name>vault.example.com.</Name>"
    "<Type>CNAME</Type><TTL>60</TTL><ResourceRecords><ResourceRecord>"
    "<Value>a&amp;b.example.net</Value></ResourceRecord></ResourceRecords>"
    "</ResourceRecordSet></ResourceRecordSets><IsTruncated>false</IsTruncated>"
    "<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";

static void
xml_reads_leaf_text(void)
{
	char *v = NULL;

	CHECK(xml_text(list_doc, strlen(list_doc), "Name", &v) == 0);
	CHECK_STREQ(v, "vault.example.com.");
	free(v);
	CHECK(xml_text(list_doc, strlen(list_doc), "Value", &v) == 0);
	CHECK_STREQ(v, "a&b.example.net");
	free(v);
	CHECK(xml_text(list_doc, strlen(list_doc), "IsTruncated", &v) == 0);
	CHECK_STREQ(v, "false");
	free(v);
}

static void
xml_absent_and_nested(void)
{
	char *v = NULL;
	size_t pos = 0, a, b;

	CHECK(xml_text(list_doc, strlen(list_doc), "NextRecordName", &v) == 1);
	CHECK(v == NULL);
	/* An element with children is not a leaf. */
	CHECK(xml_text(list_doc, strlen(list_doc), "ResourceRecords", &v) == -1);
	CHECK(xml_next(list_doc, strlen(list_doc), "ResourceRecordSet", &pos, &a,
	    &b) == 0);
	CHECK(a < b && memcmp(list_doc + a, "<Name>", 6) == 0);
	/* The element name must match exactly, not as a prefix. */
	pos = 0;
	CHECK(xml_next(list_doc, strlen(list_doc), "ResourceRecordSets", &pos,
	    &a, &b) == 0);
	CHECK(memcmp(list_doc + a, "<ResourceRecordSet>", 19) == 0);
}

static void
xml_malformed_is_error(void)
{
	static const char *bad[] = {
		"<Status>INSYNC", "<Status", "<Status>a&bogus;b</Status>",
		"<Status>a\001b</Status>",
	};
	size_t i;
	char *v;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = NULL;
		CHECK(xml_text(bad[i], strlen(bad[i]), "Status", &v) == -1);
		CHECK(v == NULL);
	}
	/* Length is respected: the closing tag beyond n is not seen. */
	v = NULL;
	CHECK(xml_text("<Id>x</Id>", 8, "Id", &v) == -1);
	free(v);
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

void
suite_route53(void)
{
	T_RUN(xml_reads_leaf_text);
	T_RUN(xml_absent_and_nested);
	T_RUN(xml_malformed_is_error);
	T_RUN(hostname_check);
}
