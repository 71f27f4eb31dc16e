/* xml.c - see xml.h. Recursive descent over a length-bounded buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "xml.h"

struct xp {
	const char *s, *e, *p;
	struct xml_doc *d;
	char *why;
	size_t whysz;
};

static int
xfail(struct xp *x, const char *msg)
{
	int line = 1;
	const char *q;

	for (q = x->s; q < x->p && q < x->e; q++)
		if (*q == '\n')
			line++;
	snprintf(x->why, x->whysz, "line %d: %s", line, msg);
	return -1;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_ws(struct xp *x)
{
	while (x->p < x->e && is_ws(*x->p))
		x->p++;
}

static int
starts(struct xp *x, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(x->e - x->p) >= n && memcmp(x->p, lit, n) == 0;
}

/* Skips past the next occurrence of lit; -1 if none. */
static int
skip_past(struct xp *x, const char *lit)
{
	size_t n = strlen(lit);

	for (; x->e - x->p >= (long)n; x->p++)
		if (memcmp(x->p, lit, n) == 0) {
			x->p += n;
			return 0;
		}
	x->p = x->e;
	return -1;
}

static int
name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    c == ':' || c >= 0x80;
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
read_name(struct xp *x, const char **start, size_t *len)
{
	*start = x->p;
	*len = 0;
	if (x->p >= x->e || !name_start((unsigned char)*x->p))
		return xfail(x, "expected a name");
	while (x->p < x->e && name_char((unsigned char)*x->p))
		x->p++;
	*len = (size_t)(x->p - *start);
	return 0;
}

static void
put_utf8(struct buf *b, unsigned long c)
{
	char u[4];
	size_t n;

	if (c < 0x80)
		u[0] = (char)c, n = 1;
	else if (c < 0x800)
		u[0] = (char)(0xc0 | (c >> 6)), u[1] = (char)(0x80 | (c & 63)),
		n = 2;
	else if (c < 0x10000)
		u[0] = (char)(0xe0 | (c >> 12)),
		u[1] = (char)(0x80 | ((c >> 6) & 63)),
		u[2] = (char)(0x80 | (c & 63)), n = 3;
	else
		u[0] = (char)(0xf0 | (c >> 18)),
		u[1] = (char)(0x80 | ((c >> 12) & 63)),
		u[2] = (char)(0x80 | ((c >> 6) & 63)),
		u[3] = (char)(0x80 | (c & 63)), n = 4;
	buf_append(b, u, n);
}

/* At '&': decodes one reference into b. */
static int
entity(struct xp *x, struct buf *b)
{
	static const struct { const char *n; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' } };
	size_t i;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (starts(x, ents[i].n)) {
			buf_append(b, &ents[i].c, 1);
			x->p += strlen(ents[i].n);
			return 0;
		}
	if (starts(x, "&#")) {
		unsigned long c = 0;
		int hex = 0, nd = 0;

		x->p += 2;
		if (x->p < x->e && *x->p == 'x')
			hex = 1, x->p++;
		for (; x->p < x->e && *x->p != ';'; x->p++, nd++) {
			char ch = *x->p;
			int v = ch >= '0' && ch <= '9' ? ch - '0' :
			    hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			    hex && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
			if (v < 0 || nd > 7)
				return xfail(x, "bad character reference");
			c = c * (hex ? 16 : 10) + (unsigned long)v;
		}
		if (x->p >= x->e || nd == 0 || c == 0 || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return xfail(x, "bad character reference");
		x->p++;
		put_utf8(b, c);
		return 0;
	}
	return xfail(x, "unknown entity");
}

static int
new_node(struct xp *x, int parent)
{
	struct xml_node *n;
	int i;

	if (x->d->nn >= XML_MAX_NODES)
		return xfail(x, "too many elements"), -1;
	n = realloc(x->d->n, (size_t)(x->d->nn + 1) * sizeof(*n));
	if (n == NULL)
		return xfail(x, "out of memory"), -1;
	x->d->n = n;
	i = x->d->nn++;
	memset(&n[i], 0, sizeof(n[i]));
	n[i].parent = parent;
	n[i].first = n[i].next = -1;
	if (parent >= 0) {
		int *link = &n[parent].first;
		while (*link >= 0)
			link = &n[*link].next;
		*link = i;
	}
	return i;
}

static int element(struct xp *x, int parent, int depth);

/* Comments, processing instructions and whitespace between markup. */
static int
misc(struct xp *x)
{
	for (;;) {
		skip_ws(x);
		if (starts(x, "<!--")) {
			if (skip_past(x, "-->") == -1)
				return xfail(x, "unterminated comment");
		} else if (starts(x, "<?")) {
			if (skip_past(x, "?>") == -1)
				return xfail(x, "unterminated processing "
				    "instruction");
		} else
			return 0;
	}
}

static int
content(struct xp *x, int me, int depth)
{
	struct buf text = { 0 };
	int has_child = 0, rc = -1;
	size_t k;

	for (;;) {
		if (x->p >= x->e) {
			xfail(x, "unexpected end of document");
			goto out;
		}
		if (starts(x, "</"))
			break;
		if (starts(x, "<!--")) {
			if (skip_past(x, "-->") == -1) {
				xfail(x, "unterminated comment");
				goto out;
			}
		} else if (starts(x, "<![CDATA[")) {
			const char *st = x->p + 9;
			x->p = st;
			if (skip_past(x, "]]>") == -1) {
				xfail(x, "unterminated CDATA");
				goto out;
			}
			buf_append(&text, st, (size_t)(x->p - 3 - st));
		} else if (starts(x, "<?")) {
			if (skip_past(x, "?>") == -1) {
				xfail(x, "unterminated processing instruction");
				goto out;
			}
		} else if (starts(x, "<!")) {
			xfail(x, "declarations are not allowed here");
			goto out;
		} else if (*x->p == '<') {
			if (element(x, me, depth + 1) == -1)
				goto out;
			has_child = 1;
		} else if (*x->p == '&') {
			if (entity(x, &text) == -1)
				goto out;
		} else {
			if (*x->p == '\0') {
				xfail(x, "NUL byte");
				goto out;
			}
			if (starts(x, "]]>")) {
				xfail(x, "']]>' in text");
				goto out;
			}
			buf_append(&text, x->p++, 1);
		}
	}
	if (has_child) {
		for (k = 0; k < text.len; k++)
			if (!is_ws(text.data[k])) {
				xfail(x, "text mixed with elements");
				goto out;
			}
		buf_free(&text);
	}
	x->d->n[me].text = buf_take(&text);
	rc = x->d->n[me].text ? 0 : -1;
out:
	buf_free(&text);
	return rc;
}

/* The attributes of the start tag at x->p, up to its '>' or "/>" (not
 * consumed); an xmlns attribute sets node me's namespace. 0; -1 (xfail). */
static int
attributes(struct xp *x, int me)
{
	for (;;) {
		const char *an;
		size_t al;
		char q;
		struct buf v = { 0 };

		int had_ws = x->p < x->e && is_ws(*x->p);
		skip_ws(x);
		if (x->p >= x->e)
			return xfail(x, "unexpected end in a tag");
		if (*x->p == '>' || starts(x, "/>"))
			return 0;
		if (!had_ws)
			return xfail(x, "expected whitespace before attribute");
		if (read_name(x, &an, &al) == -1)
			return -1;
		skip_ws(x);
		if (x->p >= x->e || *x->p != '=')
			return xfail(x, "expected '=' after attribute name");
		x->p++;
		skip_ws(x);
		if (x->p >= x->e || (*x->p != '"' && *x->p != '\''))
			return xfail(x, "attribute value must be quoted");
		q = *x->p++;
		while (x->p < x->e && *x->p != q) {
			if (*x->p == '<' || *x->p == '\0') {
				buf_free(&v);
				return xfail(x, "bad character in attribute");
			}
			if (*x->p == '&') {
				if (entity(x, &v) == -1) {
					buf_free(&v);
					return -1;
				}
			} else
				buf_append(&v, x->p++, 1);
		}
		if (x->p >= x->e) {
			buf_free(&v);
			return xfail(x, "unterminated attribute value");
		}
		x->p++;
		if (al == 5 && memcmp(an, "xmlns", 5) == 0 &&
		    x->d->n[me].ns == NULL)
			x->d->n[me].ns = buf_take(&v);
		buf_free(&v);
	}
}

static int
element(struct xp *x, int parent, int depth)
{
	const char *nm, *cn, *local;
	size_t nl, cl;
	int me;

	if (depth > XML_MAX_DEPTH)
		return xfail(x, "elements nested too deeply");
	x->p++; /* '<' */
	if (read_name(x, &nm, &nl) == -1)
		return -1;
	/* A name is "local" or "prefix:local", both parts non-empty. */
	local = memchr(nm, ':', nl);
	local = local ? local + 1 : nm;
	if (local != nm && (local == nm + 1 || local == nm + nl ||
	    memchr(local, ':', nl - (size_t)(local - nm)) != NULL))
		return xfail(x, "bad element name");
	if ((me = new_node(x, parent)) < 0)
		return -1;
	x->d->n[me].name = strndup(local, nl - (size_t)(local - nm));
	if (x->d->n[me].name == NULL)
		return xfail(x, "out of memory");
	if (attributes(x, me) == -1)
		return -1;
	if (*x->p == '/') {
		x->p += 2;
		x->d->n[me].text = strdup("");
		return x->d->n[me].text ? 0 : xfail(x, "out of memory");
	}
	x->p++;
	if (content(x, me, depth) == -1)
		return -1;
	x->p += 2; /* "</" */
	if (read_name(x, &cn, &cl) == -1)
		return -1;
	if (cl != nl || memcmp(cn, nm, nl) != 0)
		return xfail(x, "mismatched end tag");
	skip_ws(x);
	if (x->p >= x->e || *x->p != '>')
		return xfail(x, "expected '>'");
	x->p++;
	return 0;
}

int
xml_parse(const char *s, size_t len, struct xml_doc *d, char *why, size_t whysz)
{
	struct xp x = { s, s + len, s, d, why, whysz };

	memset(d, 0, sizeof(*d));
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		x.p += 3;
	if (memchr(s, '\0', len) != NULL)
		return xfail(&x, "NUL byte in document");
	if (misc(&x) == -1)
		goto bad;
	if (starts(&x, "<!")) {
		xfail(&x, "DOCTYPE is not allowed");
		goto bad;
	}
	if (x.p >= x.e || *x.p != '<') {
		xfail(&x, "expected the root element");
		goto bad;
	}
	if (element(&x, -1, 0) == -1 || misc(&x) == -1)
		goto bad;
	if (x.p != x.e) {
		xfail(&x, "content after the root element");
		goto bad;
	}
	return 0;
bad:
	xml_free(d);
	return -1;
}

void
xml_free(struct xml_doc *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nn; i++) {
		free(d->n[i].name);
		free(d->n[i].ns);
		/* Documents may carry credentials (STS answers). */
		if (d->n[i].text)
			explicit_bzero(d->n[i].text, strlen(d->n[i].text));
		free(d->n[i].text);
	}
	free(d->n);
	d->n = NULL;
	d->nn = 0;
}

int
xml_child(const struct xml_doc *d, int at, const char *name)
{
	int c;

	if (at < 0 || at >= d->nn)
		return -1;
	for (c = d->n[at].first; c >= 0; c = d->n[c].next)
		if (d->n[c].name && strcmp(d->n[c].name, name) == 0)
			return c;
	return -1;
}

int
xml_next_named(const struct xml_doc *d, int after, const char *name)
{
	int c;

	if (after < 0 || after >= d->nn)
		return -1;
	for (c = d->n[after].next; c >= 0; c = d->n[c].next)
		if (d->n[c].name && strcmp(d->n[c].name, name) == 0)
			return c;
	return -1;
}

const char *
xml_leaf(const struct xml_doc *d, int at, const char *name)
{
	int c = xml_child(d, at, name);

	return c >= 0 && d->n[c].first < 0 ? d->n[c].text : NULL;
}

int
xml_escape(struct buf *b, const char *s)
{
	static const struct { char c; const char *e; } esc[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" },
		{ '"', "&quot;" }, { '\'', "&apos;" } };
	size_t k;

	for (; *s; s++) {
		for (k = 0; k < sizeof(esc) / sizeof(esc[0]); k++)
			if (*s == esc[k].c)
				break;
		if ((k < sizeof(esc) / sizeof(esc[0]) ? buf_puts(b, esc[k].e) :
		    buf_append(b, s, 1)) == -1)
			return -1;
	}
	return 0;
}

int
xml_text(const char *s, size_t n, const char *tag, char **out)
{
	struct xml_doc d = { 0 };
	char why[200];
	int i, rc = 1;

	*out = NULL;
	if (xml_parse(s, n, &d, why, sizeof(why)) == -1) {
		err_set("not valid XML (%s)", why);
		return -1;
	}
	for (i = 0; i < d.nn; i++) /* nodes are in document order */
		if (strcmp(d.n[i].name, tag) == 0)
			break;
	if (i < d.nn) {
		if (d.n[i].first >= 0) {
			err_set("XML: <%s> has child elements", tag);
			rc = -1;
		} else if ((*out = strdup(d.n[i].text)) == NULL) {
			err_set("out of memory");
			rc = -1;
		} else
			rc = 0;
	}
	xml_free(&d);
	return rc;
}
