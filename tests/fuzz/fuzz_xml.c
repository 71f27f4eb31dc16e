/* fuzz_xml.c - the Route 53 XML reader (xml_text, xml_next) over the input
 * for the tags vaultdr reads, and r53_valid_hostname on the input and on
 * every text it extracts. */
#include "fuzz.h"
#include "route53.h"

static const char *tags[] = {
	"ResourceRecordSet", "Name", "Type", "TTL", "Value", "ResourceRecord",
	"Code", "Message", "Id", "Status", "ChangeInfo", "Error", "x",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t k, pos, last, a, b;
	char *t, *z;
	int rc, guard;

	for (k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		t = NULL;
		rc = xml_text(s, size, tags[k], &t);
		FUZZ_ASSERT(rc >= -1 && rc <= 1);
		FUZZ_ASSERT((rc == 0) == (t != NULL));
		if (t)
			(void)r53_valid_hostname(t);
		free(t);
		/* every element in turn, as r53_get_cname walks record sets */
		pos = 0;
		for (guard = 0; guard < 100000; guard++) {
			last = pos;
			rc = xml_next(s, size, tags[k], &pos, &a, &b);
			if (rc != 0)
				break;
			FUZZ_ASSERT(a <= b && b <= size && pos <= size);
			FUZZ_ASSERT(pos > last);
			t = NULL;
			if (xml_text(s + a, b - a, "Value", &t) == 0)
				(void)r53_valid_hostname(t);
			free(t);
		}
		FUZZ_ASSERT(guard < 100000);
	}
	z = fuzz_strndup(data, size, 1024);
	(void)r53_valid_hostname(z);
	free(z);
	return 0;
}
