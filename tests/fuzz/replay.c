/* replay.c - main() for running a fuzz target's inputs without libFuzzer:
 * each argument is a file or a directory of files, fed once each to
 * LLVMFuzzerTestOneInput. Used by make asan to replay the regression
 * inputs under plain -fsanitize=address,undefined. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL, *q;
	size_t n = 0, cap = 0, r;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap * 2 + 4096;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
		if ((r = fread(p + n, 1, 4096, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	/* An exact-size heap copy, so that ASan sees reads past the end. */
	if ((q = malloc(n ? n : 1)) == NULL) {
		free(p);
		return -1;
	}
	if (n)
		memcpy(q, p, n);
	free(p);
	LLVMFuzzerTestOneInput(q, n);
	free(q);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char path[4096];
	int i, count = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) == -1;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			bad |= run_file(path) == -1;
			count++;
		}
		closedir(d);
	}
	printf("%s: %d inputs replayed\n", argv[0], count);
	return bad;
}
