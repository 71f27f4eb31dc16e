/* fuzz_urlnorm.c - config_url_normalise on the input as a C string. A
 * normalised address has the "scheme://host[:port]" shape, no upper case,
 * no query, fragment, userinfo or path, and normalises to itself. */
#include <ctype.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, out[300], again[300];
	const char *host;
	size_t i;

	s = fuzz_strndup(data, size, 1024);
	if (config_url_normalise(s, out, sizeof(out)) == -1) {
		FUZZ_ASSERT(out[0] == '\0');
		free(s);
		return 0;
	}
	FUZZ_ASSERT(strncmp(out, "https://", 8) == 0 ||
	    strncmp(out, "http://", 7) == 0);
	host = strstr(out, "://") + 3;
	FUZZ_ASSERT(*host != '\0' && strpbrk(host, "/?#@") == NULL);
	for (i = 0; out[i]; i++)
		FUZZ_ASSERT(!isupper((unsigned char)out[i]));
	FUZZ_ASSERT(config_url_normalise(out, again, sizeof(again)) == 0);
	FUZZ_ASSERT(strcmp(out, again) == 0);
	/* a trailing slash changes nothing */
	if (strlen(s) < 1000 && strchr(s, '/') == strstr(s, "//") &&
	    s[strlen(s) - 1] != '/' && s[strlen(s) - 1] != '.') {
		char slash[1024];
		snprintf(slash, sizeof(slash), "%s/", s);
		if (strstr(slash, "://") && strchr(strstr(slash, "://") + 3, '/')
		    == slash + strlen(slash) - 1) {
			FUZZ_ASSERT(config_url_normalise(slash, again,
			    sizeof(again)) == 0);
			FUZZ_ASSERT(strcmp(out, again) == 0);
		}
	}
	free(s);
	return 0;
}
