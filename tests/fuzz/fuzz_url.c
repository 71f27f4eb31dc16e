/* fuzz_url.c - url_parse on the input as a C string; a parsed URL must be
 * consistent (port range, target form, Host value) and parse again to the
 * same fields from its own parts. */
#include <stdio.h>

#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url u, v;
	char *s, again[1024];
	int n;

	s = fuzz_strndup(data, size, 4096);
	if (url_parse(s, &u) == -1) {
		FUZZ_ASSERT(u.target == NULL);
		url_free(&u);
		free(s);
		return 0;
	}
	FUZZ_ASSERT(u.port >= 1 && u.port <= 65535);
	FUZZ_ASSERT(u.host[0] != '\0' && strlen(u.host) < sizeof(u.host));
	FUZZ_ASSERT(u.target != NULL && u.target[0] == '/');
	FUZZ_ASSERT(strchr(u.target, '#') == NULL);
	FUZZ_ASSERT(strstr(u.hostport, u.host) != NULL);
	n = snprintf(again, sizeof(again), "%s://%s%s", u.tls ? "https" : "http",
	    u.hostport, u.target);
	if (n > 0 && (size_t)n < sizeof(again)) {
		FUZZ_ASSERT(url_parse(again, &v) == 0);
		FUZZ_ASSERT(v.tls == u.tls && v.port == u.port &&
		    v.host_is_ip == u.host_is_ip);
		FUZZ_ASSERT(strcmp(v.host, u.host) == 0);
		FUZZ_ASSERT(strcmp(v.hostport, u.hostport) == 0);
		FUZZ_ASSERT(strcmp(v.target, u.target) == 0);
		url_free(&v);
	}
	url_free(&u);
	url_free(NULL);
	free(s);
	return 0;
}
