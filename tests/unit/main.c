/* main.c - runs every unit suite linked in and prints "N passed, N failed". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "t.h"

static int passed, failed, case_failed;
static const char *only;

int
t_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		case_failed = 1;
		fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
		if (err_get()[0])
			fprintf(stderr, "  (last error: %s)\n", err_get());
	}
	return ok;
}

int
t_check_streq(const char *got, const char *want, const char *expr,
    const char *file, int line)
{
	int ok = got && want && strcmp(got, want) == 0;
	if (!ok) {
		case_failed = 1;
		fprintf(stderr, "  %s:%d: %s\n    got:  %s\n    want: %s\n", file,
		    line, expr, got ? got : "(null)", want ? want : "(null)");
	}
	return ok;
}

int
t_check_memeq(const void *got, size_t gotlen, const void *want, size_t wantlen,
    const char *expr, const char *file, int line)
{
	int ok = got && want && gotlen == wantlen && memcmp(got, want, gotlen) == 0;
	if (!ok) {
		case_failed = 1;
		fprintf(stderr, "  %s:%d: %s: got %zu bytes:\n%.*s\n  want %zu bytes:\n%.*s\n",
		    file, line, expr, gotlen, got ? (int)gotlen : 0,
		    got ? (const char *)got : "", wantlen, want ? (int)wantlen : 0,
		    want ? (const char *)want : "");
	}
	return ok;
}

void
t_run(const char *name, void (*fn)(void))
{
	if (only && !strstr(name, only))
		return;
	case_failed = 0;
	err_clear();
	fn();
	if (case_failed) {
		failed++;
		printf("FAIL %s\n", name);
	} else {
		passed++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}

const char *
t_vectors_dir(void)
{
	const char *d = getenv("VAULTDR_VECTORS");
	return d ? d : "tests/vectors";
}

const char *
t_certs_dir(void)
{
	const char *d = getenv("VAULTDR_CERTS");
	return d ? d : "build/certs";
}

char *
t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4097 > cap) {
			char *q = realloc(p, cap = cap * 2 + 8192);
			if (!q) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		size_t r = fread(p + n, 1, 4096, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

/* Every suite listed here must exist: the declarations are ordinary
 * (not weak) symbols, so a listed suite that is missing fails the link of
 * build/unit-tests with "undefined reference to suite_<name>". */
#define SUITES(X) X(secret) X(b64) X(otp) X(json) X(ini) X(sigv4) X(url) \
	X(http_parse) X(tls) X(http) X(route53) X(dr) X(awscreds) X(hook) \
	X(vault) X(config) X(dns) X(retry) X(plan) X(jsonw) X(dnsrec) X(where) X(multi)
#define DECL(n) void suite_##n(void);
SUITES(DECL)

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		only = argv[1];
#define CALL(n) suite_##n();
	SUITES(CALL)
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
