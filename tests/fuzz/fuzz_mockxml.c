/* fuzz_mockxml.c - the strict XML reader (xml.c) shared by route53.c and
 * the mock, as the mock reads request bodies: xml_parse over the input, the
 * shape of the node tree it returns, xml_child / xml_leaf / xml_next_named
 * for every node and the Route 53 request element names, and xml_text
 * against the tree. */
#include "fuzz.h"
#include "xml.h"

static const char *names[] = {
	"ChangeBatch", "Comment", "Changes", "Change", "Action",
	"ResourceRecordSet", "Name", "Type", "TTL", "ResourceRecords",
	"ResourceRecord", "Value", "",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xml_doc d;
	char why[160];
	int i, c, k, depth, nchild;
	size_t j;

	memset(why, 'x', sizeof(why));
	memset(&d, 0xa5, sizeof(d)); /* xml_parse must not trust *d */
	if (xml_parse((const char *)data, size, &d, why, sizeof(why)) == -1) {
		char *t = NULL;

		FUZZ_ASSERT(xml_text((const char *)data, size, "Value", &t) == -1 &&
		    t == NULL);
		FUZZ_ASSERT(d.n == NULL && d.nn == 0);
		FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
		FUZZ_ASSERT(strncmp(why, "line ", 5) == 0);
		xml_free(&d);
		return 0;
	}
	FUZZ_ASSERT(d.n != NULL && d.nn >= 1 && d.nn <= XML_MAX_NODES);
	FUZZ_ASSERT(d.n[0].parent == -1 && d.n[0].next == -1);
	for (i = 0; i < d.nn; i++) {
		const struct xml_node *n = &d.n[i];

		FUZZ_ASSERT(n->name != NULL && n->text != NULL);
		FUZZ_ASSERT(n->name[0] != '\0' && strchr(n->name, ':') == NULL);
		FUZZ_ASSERT(n->parent >= -1 && n->parent < i);
		FUZZ_ASSERT(i == 0 || n->parent >= 0);
		/* children follow their parent, siblings follow each other */
		nchild = 0;
		for (c = n->first; c >= 0; c = d.n[c].next) {
			FUZZ_ASSERT(c > i && c < d.nn);
			FUZZ_ASSERT(d.n[c].parent == i);
			FUZZ_ASSERT(d.n[c].next == -1 || d.n[c].next > c);
			FUZZ_ASSERT(xml_child(&d, i, d.n[c].name) >= 0);
			FUZZ_ASSERT(++nchild <= d.nn);
		}
		/* an element with children has no text */
		if (n->first >= 0)
			FUZZ_ASSERT(n->text[0] == '\0');
		for (depth = 0, c = i; c > 0; c = d.n[c].parent)
			FUZZ_ASSERT(++depth <= XML_MAX_DEPTH + 1);
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			k = xml_child(&d, i, names[j]);
			FUZZ_ASSERT(k == -1 || (k > i && k < d.nn &&
			    d.n[k].parent == i &&
			    strcmp(d.n[k].name, names[j]) == 0));
			FUZZ_ASSERT((xml_leaf(&d, i, names[j]) != NULL) ==
			    (k >= 0 && d.n[k].first < 0));
			if (k >= 0) {
				c = xml_next_named(&d, k, names[j]);
				FUZZ_ASSERT(c == -1 || (c > k &&
				    d.n[c].parent == i));
			}
		}
	}
	/* xml_text: the first element of that name in document order. */
	for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
		char *t = NULL;
		int r = xml_text((const char *)data, size, names[j], &t);

		for (k = 0; k < d.nn && strcmp(d.n[k].name, names[j]); k++)
			;
		FUZZ_ASSERT(k < d.nn ? (d.n[k].first >= 0 ? r == -1 && !t :
		    r == 0 && t && strcmp(t, d.n[k].text) == 0) : r == 1 && !t);
		free(t);
	}
	FUZZ_ASSERT(xml_child(&d, -1, "ChangeBatch") == -1);
	FUZZ_ASSERT(xml_child(&d, d.nn, "ChangeBatch") == -1);
	xml_free(&d);
	xml_free(&d);
	return 0;
}
