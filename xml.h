/* xml.h - the one strict XML reader (and escaper) of the tree, shared by the
 * Route 53 client (route53.c) and the mock (mock/r53.c): elements, attributes
 * (only xmlns is kept), character data with the five predefined entities and
 * character references, CDATA, comments, processing instructions. No DTDs,
 * no mixed content, one root, nothing but whitespace/comments after it. A
 * document that is truncated or not XML fails as a whole: there is no
 * "partial" result. The tree is an array of nodes linked by index, in
 * document order; xml_free wipes the text it held. */
#ifndef VAULTDR_XML_H
#define VAULTDR_XML_H
#include <stddef.h>

#include "buf.h"

#define XML_MAX_NODES 4096
#define XML_MAX_DEPTH 32

struct xml_node {
	char *name;   /* local name (prefix dropped), owned */
	char *ns;     /* value of an xmlns attribute on this element, or NULL */
	char *text;   /* character data, owned, never NULL ("" with children) */
	int parent, first, next; /* indices, -1 none */
};

struct xml_doc {
	struct xml_node *n; /* n[0] is the root element */
	int nn;
};

/* Parses len bytes (no terminator needed). 0 / -1 with a message ("line 3:
 * ...") in why; on -1 *d is empty (xml_free is still safe). */
int xml_parse(const char *s, size_t len, struct xml_doc *d, char *why,
    size_t whysz);
/* Frees the tree; NULL-safe, idempotent. */
void xml_free(struct xml_doc *d);
/* First child of node `at` named name, or -1 (also for a bad `at`). */
int xml_child(const struct xml_doc *d, int at, const char *name);
/* Next sibling after node `after` named name, or -1. */
int xml_next_named(const struct xml_doc *d, int after, const char *name);
/* Text of the child `name` of `at` when that child exists and has no child
 * elements (a leaf); NULL otherwise. Borrowed from d. */
const char *xml_leaf(const struct xml_doc *d, int at, const char *name);
/* Parses the whole document and copies the text of its first element named
 * tag (document order) into *out (malloc'd; the caller wipes it if secret).
 * 0 found, 1 no such element, -1 the document is not valid XML or that
 * element has child elements (err_set). For one-value answers (STS). */
int xml_text(const char *s, size_t n, const char *tag, char **out);
/* Appends s with & < > " ' escaped (text and attribute values). 0 / -1. */
int xml_escape(struct buf *b, const char *s);

#endif
