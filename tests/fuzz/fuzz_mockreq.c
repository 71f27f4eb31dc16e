/* fuzz_mockreq.c - the mock's request reader (mock/hreq.c) as a keep-alive
 * connection: hreq_read until EOF or an error, over a memory reader that
 * hands the bytes over in pieces of varying size. Byte 0 seeds the piece
 * sizes; byte 1 picks the options (bit 0: no writer for "100 Continue",
 * bit 1: the writer fails, bit 2: '+' is a space, bits 3-7: size of the
 * query parameter buffer). The rest is the byte stream. */
#include "fuzz.h"
#include "mock/handler.h"

struct mem {
	struct fuzz_pieces in; /* first: the read callback's context */
	int wr_fail;
	size_t continues;
};

static int
mem_write(void *ctx, const void *buf, size_t n)
{
	struct mem *m = ctx;

	FUZZ_ASSERT(n > 0 && memcmp(buf, "HTTP/1.1 100 ", 13) == 0);
	m->continues++;
	return m->wr_fail ? -1 : 0;
}

/* Every parameter name of the query must be found again. */
static void
check_query(const struct mreq *q, size_t outsz, int plus_space)
{
	char out[40], name[64];
	const char *p = q->query;
	size_t k, nl;

	for (k = 0; k < 32 && *p; k++) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));

		nl = (size_t)((eq ? eq : end) - p);
		if (nl < sizeof(name)) {
			memcpy(name, p, nl);
			name[nl] = '\0';
			memset(out, 'x', sizeof(out));
			FUZZ_ASSERT(mreq_query_param(q, name, out, outsz,
			    plus_space) == 1);
			FUZZ_ASSERT(memchr(out, '\0', outsz) != NULL);
		}
		p = amp ? amp + 1 : end;
	}
	(void)mreq_query_param(q, "list", out, outsz, plus_space);
	(void)mreq_query_param(q, "X-Amz-Date", out, outsz, plus_space);
	FUZZ_ASSERT(mreq_query_param(q, "no\x01such", out, outsz,
	    plus_space) == 0);
}

static void
check_request(const struct mreq *q, size_t outsz, int plus_space)
{
	const char *qm;
	size_t i, ml;

	FUZZ_ASSERT(q->method && q->target && q->path && q->query);
	FUZZ_ASSERT(q->raw != NULL);
	ml = strlen(q->method);
	FUZZ_ASSERT(ml >= 1 && ml <= 15);
	FUZZ_ASSERT(q->target[0] == '/' || strcmp(q->target, "*") == 0);
	/* target = path ["?" query] */
	qm = strchr(q->target, '?');
	if (qm) {
		FUZZ_ASSERT(strlen(q->path) == (size_t)(qm - q->target));
		FUZZ_ASSERT(strncmp(q->path, q->target, strlen(q->path)) == 0);
		FUZZ_ASSERT(strcmp(q->query, qm + 1) == 0);
	} else {
		FUZZ_ASSERT(strcmp(q->path, q->target) == 0);
		FUZZ_ASSERT(q->query[0] == '\0');
	}
	FUZZ_ASSERT(q->minor == 0 || q->minor == 1);
	FUZZ_ASSERT(q->keep_alive == 0 || q->keep_alive == 1);
	FUZZ_ASSERT(q->body.len <= 8 * 1024 * 1024);
	if (q->body.data == NULL)
		FUZZ_ASSERT(q->body.len == 0);
	else
		FUZZ_ASSERT(q->body.data[q->body.len] == '\0');
	FUZZ_ASSERT(q->nhdrs <= 256);
	for (i = 0; i < q->nhdrs; i++) {
		FUZZ_ASSERT(q->hdrs[i].name && q->hdrs[i].value);
		FUZZ_ASSERT(q->hdrs[i].name[0] != '\0');
		FUZZ_ASSERT(mreq_header(q, q->hdrs[i].name) != NULL);
	}
	(void)mreq_header(q, "authorization");
	check_query(q, outsz, plus_space);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m;
	struct hreader r = { 0 };
	struct mreq q;
	char why[128];
	int rc, status, k, plus_space;
	size_t outsz;

	if (size < 2)
		return 0;
	memset(&m, 0, sizeof(m));
	m.in.p = data + 2;
	m.in.n = size - 2;
	m.in.rng = 0x9e3779b9u ^ data[0];
	m.wr_fail = (data[1] & 2) != 0;
	plus_space = (data[1] & 4) != 0;
	outsz = 1 + (data[1] >> 3); /* 1..32 */
	r.rd = fuzz_pieces_read;
	r.wr = (data[1] & 1) ? NULL : mem_write;
	r.ctx = &m;
	for (k = 0; k < 10000; k++) {
		status = 0;
		memset(why, 'x', sizeof(why));
		rc = hreq_read(&r, &q, &status, why, sizeof(why));
		FUZZ_ASSERT(rc >= -2 && rc <= 1);
		FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
		FUZZ_ASSERT(r.off <= r.len && r.len <= r.cap);
		if (rc == 1)
			check_request(&q, outsz, plus_space);
		else if (rc == 0)
			FUZZ_ASSERT(q.method == NULL && m.in.off == m.in.n);
		else if (rc == -1)
			FUZZ_ASSERT(why[0] != '\0' && status >= 400 &&
			    status <= 505);
		mreq_free(&q);
		if (rc != 1)
			break;
	}
	hreader_free(&r);
	return 0;
}
