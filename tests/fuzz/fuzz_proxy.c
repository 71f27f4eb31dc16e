/* fuzz_proxy.c - the proxy settings readers: byte 0 even: proxy_url_parse
 * on the rest (a parsed proxy has a port in range, a shown URL with "***@"
 * exactly when it has credentials and no other '@', a "Basic " credential);
 * odd: proxy_no_proxy_match with the rest split at the first NUL into the
 * NO_PROXY list and the host ("*" matches everything; a list that matches
 * still matches with entries added after it). */
#include "fuzz.h"
#include "proxy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy p;
	char *s, *host, *more;
	size_t n;
	int m;

	if (size < 1)
		return 0;
	s = fuzz_strndup(data + 1, size - 1, 4096);
	if ((data[0] & 1) == 0) {
		if (proxy_url_parse(s, "HTTPS_PROXY", &p) == 0) {
			FUZZ_ASSERT(p.set && p.port >= 1 && p.port <= 65535);
			FUZZ_ASSERT(strncmp(p.shown, "http://", 7) == 0);
			FUZZ_ASSERT((strstr(p.shown, "***@") != NULL) ==
			    p.has_auth);
			FUZZ_ASSERT(strchr(p.shown, '@') == NULL ||
			    strchr(p.shown, '@') == strstr(p.shown, "***@") + 3);
			FUZZ_ASSERT(!p.has_auth ||
			    strncmp(p.auth.s, "Basic ", 6) == 0);
		} else
			FUZZ_ASSERT(!p.set && p.auth.s == NULL);
		proxy_free(&p);
		free(s);
		return 0;
	}
	/* s holds the list up to the first NUL; the host follows it. */
	n = strlen(s);
	if (n + 1 < size - 1)
		host = fuzz_strndup(data + 1 + n + 1, size - 1 - n - 1, 300);
	else
		host = fuzz_strndup(data, 0, 0);
	m = proxy_no_proxy_match(s, host);
	FUZZ_ASSERT(m == 0 || m == 1);
	if (host[0] != '\0')
		FUZZ_ASSERT(proxy_no_proxy_match("*", host) == 1);
	if (m && (more = malloc(n + 16)) != NULL) {
		snprintf(more, n + 16, "%s,zz.invalid", s);
		FUZZ_ASSERT(proxy_no_proxy_match(more, host) == 1);
		free(more);
	}
	free(host);
	free(s);
	return 0;
}
