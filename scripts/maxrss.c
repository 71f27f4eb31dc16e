/* maxrss.c - `maxrss OUTFILE PROG [ARG...]`: runs PROG, writes its peak
 * resident set size ("N\n", KiB, from wait4) to OUTFILE and exits with its
 * status. make bench runs vaultdr through it: a child forked by Python
 * inherits Python's high-water mark across exec, one forked by this small
 * static program does not. */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int st;

	if (argc < 3) {
		fputs("usage: maxrss OUTFILE PROG [ARG...]\n", stderr);
		return 2;
	}
	if ((pid = fork()) == -1) {
		perror("maxrss: fork");
		return 2;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		perror("maxrss: exec");
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("maxrss: wait4");
			return 2;
		}
	}
	if ((f = fopen(argv[1], "w")) == NULL ||
	    fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
		perror("maxrss: result file");
		return 2;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
