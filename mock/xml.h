/* xml.h - tiny strict XML reader for Route 53 request bodies: elements,
 * attributes (only xmlns is kept), character data with the five predefined
 * entities and character references, CDATA, comments. No DTDs, no mixed
 * content. The tree is an array of nodes linked by index. */
#ifndef VAULTDR_MOCK_XML_H
#define VAULTDR_MOCK_XML_H
#include <stddef.h>

#define XML_MAX_NODES 4096
#define XML_MAX_DEPTH 32

struct xnode {
	char *name;   /* local name (prefix dropped), owned */
	char *ns;     /* value of an xmlns attribute on this element, or NULL */
	char *text;   /* character data, owned, never NULL */
	int parent, first, next; /* indices, -1 none */
};

struct xdoc {
	struct xnode *n; /* n[0] is the root element */
	int nn;
};

/* Parses len bytes. 0 / -1 with a message ("line 3: ...") in why. */
int xml_parse(const char *s, size_t len, struct xdoc *d, char *why,
    size_t whysz);
void xml_free(struct xdoc *d);
/* First child of node `at` named name, or -1. */
int xml_child(const struct xdoc *d, int at, const char *name);

#endif
