/* fuzz_sigv4.c - SigV4 canonicalization and signing of a request built
 * from the input: line 1 method, line 2 target, then "Name: value" header
 * lines up to an empty line, then the body. */
#include "buf.h"
#include "fuzz.h"
#include "sigv4.h"

#define MAXH 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_header h[MAXH];
	struct sigv4_creds cr = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_req r;
	struct buf creq = { 0 }, sh = { 0 }, authz = { 0 };
	char *text, *p, *nl, *colon;
	const char *lines[2] = { "", "" };
	size_t nh = 0, nl_count = 0;

	text = fuzz_strndup(data, size, 8192);
	memset(&r, 0, sizeof(r));
	p = text;
	while (p && *p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (nl_count < 2) {
			lines[nl_count++] = p;
		} else if (*p == '\0') {
			p = nl ? nl + 1 : NULL;
			break; /* body follows */
		} else if (nh < MAXH && (colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			h[nh].name = p;
			h[nh].value = colon + 1;
			nh++;
		}
		p = nl ? nl + 1 : NULL;
	}
	r.method = lines[0];
	r.target = lines[1];
	r.hdrs = h;
	r.nhdrs = nh;
	r.body = (const unsigned char *)(p ? p : "");
	r.body_len = p ? strlen(p) : 0;
	r.amz_date = "20150830T123600Z";
	r.region = "us-east-1";
	r.service = "route53";
	if (sigv4_canonical_request(&r, &creq, &sh) == 0)
		FUZZ_ASSERT(creq.data != NULL && strlen(creq.data) == creq.len);
	if (sigv4_authorization(&r, &cr, &authz, NULL, NULL) == 0)
		FUZZ_ASSERT(strncmp(authz.data, "AWS4-HMAC-SHA256 Credential=",
		    28) == 0);
	buf_free(&creq);
	buf_free(&sh);
	buf_free(&authz);
	free(text);
	return 0;
}
