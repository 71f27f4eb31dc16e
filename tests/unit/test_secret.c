/* test_secret.c - secrets: set/wipe, environment, terminal prompt (on a
 * pseudo-terminal), redaction (also from several threads), hardening. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"
#include "t.h"

static void
secret_set_wipe(void)
{
	struct secret s = { 0 };

	CHECK(!secret_is_set(&s));
	CHECK(!secret_is_set(NULL));
	CHECK(secret_set(&s, "first-value", 11) == 0);
	CHECK(secret_is_set(&s) && s.len == 11);
	CHECK_STREQ(s.s, "first-value");
	CHECK(secret_set(&s, "second-value-xyz", 6) == 0); /* n bytes only */
	CHECK_STREQ(s.s, "second");
	secret_wipe(&s);
	CHECK(s.s == NULL && s.len == 0 && !secret_is_set(&s));
	secret_wipe(&s);
	secret_wipe(NULL);
	secret_free_str(NULL);
	secret_free_str(strdup("heap"));
}

static void
secret_env(void)
{
	struct secret s = { 0 };

	setenv("VAULTDR_T_SECRET", "env-secret-1", 1);
	CHECK(secret_from_env(&s, "VAULTDR_T_SECRET") == 1);
	CHECK_STREQ(s.s, "env-secret-1");
	secret_wipe(&s);
	setenv("VAULTDR_T_SECRET", "", 1);
	CHECK(secret_from_env(&s, "VAULTDR_T_SECRET") == 0);
	unsetenv("VAULTDR_T_SECRET");
	CHECK(secret_from_env(&s, "VAULTDR_T_SECRET") == 0);
	CHECK(!secret_is_set(&s));
	/* secret_get takes the environment first, without touching a tty */
	setenv("VAULTDR_T_SECRET", "env-secret-2", 1);
	CHECK(secret_get(&s, "VAULTDR_T_SECRET", "Token") == 0);
	CHECK_STREQ(s.s, "env-secret-2");
	secret_wipe(&s);
	unsetenv("VAULTDR_T_SECRET");
}

static void
secret_no_terminal(void)
{
	char msg[512] = "";
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	if (!CHECK(pipe(fds) == 0))
		return;
	if ((pid = fork()) == 0) {
		struct secret s = { 0 };
		int rc;

		close(fds[0]);
		setsid(); /* no controlling terminal: /dev/tty cannot open */
		unsetenv("VAULTDR_T_TOKEN");
		rc = secret_get(&s, "VAULTDR_T_TOKEN", "Vault token");
		if (write(fds[1], err_get(), strlen(err_get())) < 0)
			_exit(3);
		_exit(rc == -1 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	CHECK_STREQ(msg, "VAULTDR_T_TOKEN is not set and there is no terminal "
	    "to ask for it");
}

/* Reads from fd for up to ms milliseconds, appending to out. */
static void
drain(int fd, char *out, size_t outsz, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t len = strlen(out);
	ssize_t n;

	while (poll(&p, 1, ms) == 1 && len + 1 < outsz) {
		n = read(fd, out + len, outsz - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
	}
}

static void
secret_prompt_on_pty(void)
{
	char seen[1024] = "", *slave;
	int master, st, fds[2];
	pid_t pid;

	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(master) == -1 || unlockpt(master) == -1 ||
	    (slave = ptsname(master)) == NULL) {
		fprintf(stderr, "  no pseudo-terminal available; prompt test "
		    "not run\n");
		return;
	}
	if (!CHECK(pipe(fds) == 0))
		return;
	if ((pid = fork()) == 0) {
		struct secret s = { 0 };
		struct termios t;
		int sfd, rc;
		char ok = 'n';

		close(fds[0]);
		setsid();
		if ((sfd = open(slave, O_RDWR)) == -1)
			_exit(2);
		ioctl(sfd, TIOCSCTTY, 0);
		unsetenv("VAULTDR_T_TOKEN");
		rc = secret_get(&s, "VAULTDR_T_TOKEN", "Vault token");
		/* echo is back on afterwards */
		if (rc == 0 && strcmp(s.s, "typed-secret-42") == 0 &&
		    tcgetattr(sfd, &t) == 0 && (t.c_lflag & ECHO))
			ok = 'y';
		if (write(fds[1], &ok, 1) < 0)
			_exit(3);
		secret_wipe(&s);
		_exit(0);
	}
	close(fds[1]);
	/* wait for the prompt, then type */
	drain(master, seen, sizeof(seen), 2000);
	if (CHECK(strstr(seen, "Vault token: ") != NULL)) {
		if (write(master, "typed-secret-42\r\n", 17) != 17)
			CHECK(0);
	}
	{
		char ok = 'n';
		struct pollfd p = { fds[0], POLLIN, 0 };

		if (poll(&p, 1, 5000) == 1 && read(fds[0], &ok, 1) == 1)
			CHECK(ok == 'y');
		else
			CHECK(!"child answered");
	}
	drain(master, seen, sizeof(seen), 100);
	CHECK(strstr(seen, "typed-secret") == NULL); /* not echoed */
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	close(fds[0]);
	close(master);
}

static void
secret_redaction(void)
{
	struct secret s = { 0 };
	char line[128];
	char buf[] = "abc-token-1234";

	CHECK(secret_set(&s, "hvs.SECRET99", 12) == 0);
	snprintf(line, sizeof(line), "token hvs.SECRET99 and hvs.SECRET99!");
	CHECK_STREQ(secret_redact(line),
	    "token ************ and ************!");
	/* values shorter than 4 bytes are never registered */
	secret_register("abc", 3);
	snprintf(line, sizeof(line), "abc");
	CHECK_STREQ(secret_redact(line), "abc");
	/* extra buffers */
	secret_register(buf, strlen(buf));
	snprintf(line, sizeof(line), "x abc-token-1234 y");
	CHECK_STREQ(secret_redact(line), "x ************** y");
	secret_unregister(buf);
	snprintf(line, sizeof(line), "x abc-token-1234 y");
	CHECK_STREQ(secret_redact(line), "x abc-token-1234 y");
	/* wiping unregisters */
	secret_wipe(&s);
	snprintf(line, sizeof(line), "hvs.SECRET99");
	CHECK_STREQ(secret_redact(line), "hvs.SECRET99");
	CHECK(secret_redact(NULL) == NULL);
	secret_unregister("never registered");
	/* a secret at the very end, and a partial match */
	CHECK(secret_set(&s, "tail", 4) == 0);
	snprintf(line, sizeof(line), "tai-tail");
	CHECK_STREQ(secret_redact(line), "tai-****");
	secret_wipe(&s);
}

/* 1 if text holds the whole of sec or SECRET_PREFIX_MIN+ bytes of its start. */
static int
holds_prefix(const char *text, const char *sec)
{
	size_t n = strlen(sec), m;
	const char *p;

	for (p = text; *p; p++) {
		for (m = 0; m < n && p[m] == sec[m]; m++)
			;
		if (m == n || m >= SECRET_PREFIX_MIN)
			return 1;
	}
	return 0;
}

/* Every kind of secret, cut at every length from 8 to its whole length,
 * inside random text (and at the very end of it, and followed by the "..."
 * of an excerpt): nothing of 8 or more of its first bytes is left. */
static void
secret_redaction_prefixes(void)
{
	static const char *const kinds[] = {
		"hvs.CAESIJ3q9wQx0kq2bWc8mF1X7tZQkVYxGh4KHGh2cy5BRFZzZWNyZXQ",
		"hvb.AAAAAQJx9c2Yq8Wm3kQ1ZrT0bVJmN2lQ",            /* batch DR token */
		"aGVsbG8tcmVjb3Zlcnkta2V5LXNoYXJlLTE=",          /* recovery share */
		"Zx8Qm2cV4kR7tLp0WnY3sJ6dHbF9aGe1uIo5",          /* DR operation token */
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",      /* AWS secret key */
		"FwoGZXIvYXdzEBYaDHqa0AP1/Cz9Kw8E1SLAAd/session+token=",
	};
	static const char *const tails[] = { "", "...", "\"}", " (truncated)" };
	struct secret s[sizeof(kinds) / sizeof(kinds[0])];
	char text[512], cut[128], before[64], after[64];
	size_t i, n, k, t, j;
	unsigned seed = 12345;

	memset(s, 0, sizeof(s));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		CHECK(secret_set(&s[i], kinds[i], strlen(kinds[i])) == 0);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (n = SECRET_PREFIX_MIN; n <= strlen(kinds[i]); n++) {
			for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
				/* random printable text around the cut */
				k = (seed = seed * 1103515245 + 12345) % 40;
				for (j = 0; j < k; j++)
					before[j] = (char)(' ' + (seed = seed *
					    1103515245 + 12345) % 94);
				before[k] = '\0';
				k = t ? (seed = seed * 1103515245 + 12345) % 40 :
				    0;
				for (j = 0; j < k; j++)
					after[j] = (char)('a' + (seed = seed *
					    1103515245 + 12345) % 26);
				after[k] = '\0';
				snprintf(cut, sizeof(cut), "%.*s", (int)n,
				    kinds[i]);
				snprintf(text, sizeof(text), "%sX-Vault-Token: "
				    "%s%s%s", before, cut, tails[t], after);
				secret_redact(text);
				if (!CHECK(!holds_prefix(text, kinds[i])))
					fprintf(stderr, "    left: %s\n", text);
			}
		}
	}
	/* Shorter than 8 bytes of a secret: left alone (too common). */
	snprintf(text, sizeof(text), "id hvs.CAE!");
	CHECK_STREQ(secret_redact(text), "id hvs.CAE!");
	/* Whole and cut copies in one line, and a cut through a buffer. */
	snprintf(text, sizeof(text), "a %s b %.12s", kinds[4], kinds[4]);
	secret_redact(text);
	CHECK(strchr(text, 'w') == NULL && strstr(text, "a *") == text);
	snprintf(cut, 20, "token=%s", kinds[0]); /* cut by the buffer */
	CHECK_STREQ(secret_redact(cut), "token=*************");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		secret_wipe(&s[i]);
}

/* Every secret variable leaves the environment at start, used or not; the
 * copies are what secret_from_env() returns. */
static void
secret_env_stashed(void)
{
	static const char *const vars[] = { "VAULT_TOKEN",
		"VAULT_RECOVERY_KEY_1", "VAULT_RECOVERY_KEY_7",
		"VAULT_DR_OPERATION_TOKEN", "AWS_SECRET_ACCESS_KEY",
		"AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "VAULTDR_TSIG_SECRET" };
	struct secret s = { 0 };
	char val[64];
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		snprintf(val, sizeof(val), "stash-secret-value-%zu", i);
		setenv(vars[i], val, 1);
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIDNOTSECRET", 1);
	setenv("VAULT_RECOVERY_KEY_", "x", 1); /* no number: not a share */
	CHECK(secret_stash_env() == 0);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *e = getenv(vars[i]);
		CHECK(e == NULL || e[0] == '\0');
		snprintf(val, sizeof(val), "stash-secret-value-%zu", i);
		CHECK(secret_from_env(&s, vars[i]) == 1);
		CHECK_STREQ(s.s, val);
		secret_wipe(&s);
	}
	CHECK_STREQ(getenv("AWS_ACCESS_KEY_ID"), "AKIDNOTSECRET");
	CHECK_STREQ(getenv("VAULT_RECOVERY_KEY_"), "x");
	/* The stashed values are redacted while they live. */
	snprintf(val, sizeof(val), "k=stash-secret-value-3");
	CHECK_STREQ(secret_redact(val), "k=********************");
	secret_stash_wipe();
	CHECK(secret_from_env(&s, "VAULT_TOKEN") == 0);
	CHECK(secret_env_is_secret("VAULT_RECOVERY_KEY_12", 21));
	CHECK(!secret_env_is_secret("VAULT_TOKENX", 12));
	CHECK(!secret_env_is_secret("VAULT_ADDR", 10));
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("VAULT_RECOVERY_KEY_");
}

/* Everything log.c prints or appends is redacted, cut secrets included; a
 * long log_out() line is printed whole. (In a child: stdout and stderr go to
 * a pipe.) */
static void
log_output_redacted(void)
{
	static const char tok[] = "hvs.LogPathSecret-0123456789abcdef";
	char path[] = "/tmp/vaultdr-audit-XXXXXX", out[16384];
	size_t got = 0;
	ssize_t r;
	int fds[2], st, fd;
	pid_t pid;

	if (!CHECK(pipe(fds) == 0) || !CHECK((fd = mkstemp(path)) != -1))
		return;
	close(fd);
	unlink(path);
	if ((pid = fork()) == 0) {
		struct secret s = { 0 };
		char big[6000];

		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		secret_set(&s, tok, strlen(tok));
		if (log_audit_open(path) == -1)
			_exit(3);
		log_init(LOG_TEXT, 1);
		log_out("out %.10s", tok);
		log_step("step %.12s|", tok);
		log_warn("warn %.20s", tok);
		log_verbose("verbose %.33s", tok);
		log_error("error", "err hvs.LogPathSecret-0");
		log_audit_write("{\"m\":\"hvs.LogPathSecret-01\"}");
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		log_out("%s|end", big);
		log_audit_close();
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 &&
	    (r = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	CHECK(!holds_prefix(out, tok));
	CHECK(strstr(out, "out **********\n") != NULL);
	CHECK(strstr(out, "vaultdr: warning: warn ********************\n") !=
	    NULL);
	CHECK(strstr(out, "vaultdr: error: err *******************\n") !=
	    NULL);
	CHECK(strstr(out, "xxxxxxxx|end\n") != NULL);
	{
		size_t n;
		char *audit = t_read_file(path, &n);

		if (CHECK(audit != NULL)) {
			CHECK(!holds_prefix(audit, tok));
			CHECK(strstr(audit, "\"step\":\"warning\"") != NULL);
			CHECK(strstr(audit, "{\"m\":\"********************\"}\n")
			    != NULL);
			free(audit);
		}
	}
	unlink(path);
}

static _Atomic int stop_threads;

static void *
redact_loop(void *arg)
{
	char line[64];
	long n = 0;

	(void)arg;
	while (!stop_threads) {
		snprintf(line, sizeof(line), "x concurrent-secret y");
		secret_redact(line);
		if (strcmp(line, "x concurrent-secret y") != 0 &&
		    strcmp(line, "x ***************** y") != 0)
			return (void *)1;
		n++;
	}
	return NULL;
}

static void
secret_redaction_threads(void)
{
	pthread_t th[4];
	struct secret s = { 0 };
	void *rv;
	int i, k, bad = 0;

	stop_threads = 0;
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, redact_loop, NULL) == 0);
	for (k = 0; k < 2000; k++) {
		secret_set(&s, "concurrent-secret", 17);
		secret_wipe(&s);
	}
	stop_threads = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], &rv);
		bad |= rv != NULL;
	}
	CHECK(!bad);
}

static void
secret_hardening(void)
{
	int st;
	pid_t pid;

	if ((pid = fork()) == 0) {
		struct rlimit rl;

		secret_harden_process();
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(1);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(2);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
}

void
suite_secret(void)
{
	T_RUN(secret_set_wipe);
	T_RUN(secret_env);
	T_RUN(secret_no_terminal);
	T_RUN(secret_prompt_on_pty);
	T_RUN(secret_redaction);
	T_RUN(secret_redaction_prefixes);
	T_RUN(secret_env_stashed);
	T_RUN(log_output_redacted);
	T_RUN(secret_redaction_threads);
	T_RUN(secret_hardening);
}
