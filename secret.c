/* secret.c - secrets from the environment or the terminal, wiped when done,
 * and a registry of live secret values so that output can be redacted.
 *
 * Redaction is in place and keeps the length: each occurrence of a
 * registered value becomes as many '*' characters.  That never grows a
 * fixed-size log line and needs no allocation on the output path; the cost is
 * that the length of a secret shows, which is not itself a secret here
 * (token formats are public).
 *
 * The registry holds pointers, not copies: a value must stay registered only
 * while it is alive (secret_wipe unregisters first).  A mutex guards it
 * because log.c, which redacts, also runs in the threaded mock. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "err.h"
#include "secret.h"

#define SECRET_MIN_LEN 4
#define SECRET_LINE_MAX 8192

struct reg {
	const char *p;
	size_t n;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct reg *regs;
static size_t nregs, capregs;

/* Registers s[0..n) for redaction (n < 4: ignored).  Registering the same
 * pointer again updates its length.  Out of memory aborts: output could
 * otherwise carry the secret. */
void
secret_register(const char *s, size_t n)
{
	struct reg *nr;
	size_t i;

	if (s == NULL || n < SECRET_MIN_LEN)
		return;
	pthread_mutex_lock(&reg_mu);
	for (i = 0; i < nregs; i++)
		if (regs[i].p == s) {
			regs[i].n = n;
			goto out;
		}
	if (nregs == capregs) {
		capregs = capregs ? capregs * 2 : 16;
		if ((nr = realloc(regs, capregs * sizeof(*regs))) == NULL) {
			static const char m[] =
			    "vaultdr: out of memory registering a secret\n";
			if (write(2, m, sizeof(m) - 1) < 0)
				abort();
			abort();
		}
		regs = nr;
	}
	regs[nregs].p = s;
	regs[nregs].n = n;
	nregs++;
out:
	pthread_mutex_unlock(&reg_mu);
}

/* Forgets s (by pointer); unknown pointers are ignored. */
void
secret_unregister(const char *s)
{
	size_t i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&reg_mu);
	for (i = 0; i < nregs; i++)
		if (regs[i].p == s) {
			regs[i] = regs[--nregs];
			break;
		}
	if (nregs == 0) {
		free(regs);
		regs = NULL;
		capregs = 0;
	}
	pthread_mutex_unlock(&reg_mu);
}

/* Length of the longest prefix of r[0..rn) at p (at most avail bytes). */
static size_t
prefix_len(const char *p, size_t avail, const char *r, size_t rn)
{
	size_t m = 0, lim = avail < rn ? avail : rn;

	while (m < lim && p[m] == r[m])
		m++;
	return m;
}

/* Replaces every occurrence of every registered value in s, and every
 * SECRET_PREFIX_MIN-or-longer prefix of one, by '*'s of the same length.
 * Returns s (NULL-safe).
 *
 * Prefixes: text is cut in many places before it is printed (a 200-byte
 * body excerpt, a message buffer, a log line), and the cut can fall inside
 * an echoed secret. Where the cuts were is lost once the pieces are joined,
 * so a prefix is redacted wherever it stands; a longest match is taken so
 * that the whole visible part goes. The cost is that text which happens to
 * share 8 characters with the start of a live secret is starred too. */
char *
secret_redact(char *s)
{
	size_t i, m, best;
	char *p, *end;

	if (s == NULL)
		return s;
	pthread_mutex_lock(&reg_mu);
	end = s + strlen(s);
	/* At each position the longest match over all secrets: secrets that
	 * share a start (two shares, two tokens) go as a whole. */
	for (p = s; nregs > 0 && p < end;) {
		best = 0;
		for (i = 0; i < nregs; i++) {
			if (*p != regs[i].p[0])
				continue;
			m = prefix_len(p, (size_t)(end - p), regs[i].p,
			    regs[i].n);
			if ((m == regs[i].n || m >= SECRET_PREFIX_MIN) &&
			    m > best)
				best = m;
		}
		if (best > 0) {
			memset(p, '*', best);
			p += best;
		} else
			p++;
	}
	pthread_mutex_unlock(&reg_mu);
	return s;
}

/* Wipes, unregisters and frees the value. NULL-safe. */
void
secret_wipe(struct secret *sec)
{
	if (sec == NULL)
		return;
	if (sec->s) {
		secret_unregister(sec->s);
		explicit_bzero(sec->s, sec->len);
		free(sec->s);
	}
	sec->s = NULL;
	sec->len = 0;
}

/* 1 if sec holds a value, else 0. NULL-safe. */
int
secret_is_set(const struct secret *sec)
{
	return sec != NULL && sec->s != NULL;
}

/* Copies s[0..n) (plus a NUL) into sec, wiping any old value, and registers
 * it. 0 / -1 (err_set). */
int
secret_set(struct secret *sec, const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL) {
		err_set("out of memory");
		return -1;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	secret_wipe(sec);
	sec->s = p;
	sec->len = n;
	secret_register(p, n);
	return 0;
}

/* The environment's secrets, taken out of it at start (secret_stash_env):
 * the variables named here and every one whose name starts with a listed
 * prefix, whether or not the run will use them. */
static const char *const stash_names[] = {
	"VAULT_TOKEN", "VAULT_DR_OPERATION_TOKEN", "AWS_SECRET_ACCESS_KEY",
	"AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"VAULTDR_TSIG_SECRET", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"VAULTDR_AWS_MFA_CODE", NULL,
};
static const char *const stash_prefixes[] = { "VAULT_RECOVERY_KEY_", NULL };

struct stashed {
	char *name;
	struct secret val;
};
static struct stashed *stash;
static size_t nstash;

int
secret_env_is_secret(const char *name, size_t n)
{
	size_t i, l;

	for (i = 0; stash_names[i]; i++)
		if (strlen(stash_names[i]) == n &&
		    memcmp(stash_names[i], name, n) == 0)
			return 1;
	for (i = 0; stash_prefixes[i]; i++) {
		l = strlen(stash_prefixes[i]);
		if (n > l && memcmp(stash_prefixes[i], name, l) == 0)
			return 1;
	}
	return 0;
}

static struct stashed *
stash_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nstash; i++)
		if (strlen(stash[i].name) == n &&
		    memcmp(stash[i].name, name, n) == 0)
			return &stash[i];
	return NULL;
}

/* Copies every secret variable of environ into the stash and overwrites the
 * environment's copy with NUL bytes (the first of duplicate names is kept,
 * as getenv would). 0 / -1 (err_set). */
int
secret_stash_env(void)
{
	extern char **environ;
	struct stashed *ns;
	char **e, *eq;
	size_t n;

	for (e = environ; e && *e; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		n = (size_t)(eq - *e);
		if (!secret_env_is_secret(*e, n))
			continue;
		if (eq[1] != '\0' && stash_find(*e, n) == NULL) {
			if ((ns = realloc(stash, (nstash + 1) *
			    sizeof(*stash))) == NULL)
				goto nomem;
			stash = ns;
			memset(&stash[nstash], 0, sizeof(*stash));
			if ((stash[nstash].name = strndup(*e, n)) == NULL)
				goto nomem;
			nstash++;
			if (secret_set(&stash[nstash - 1].val, eq + 1,
			    strlen(eq + 1)) == -1)
				goto nomem;
		}
		explicit_bzero(eq + 1, strlen(eq + 1));
	}
	return 0;
nomem:
	for (; e && *e; e++)
		if ((eq = strchr(*e, '=')) != NULL &&
		    secret_env_is_secret(*e, (size_t)(eq - *e)))
			explicit_bzero(eq + 1, strlen(eq + 1));
	err_set("out of memory keeping the environment's secrets");
	return -1;
}

void
secret_stash_wipe(void)
{
	size_t i;

	for (i = 0; i < nstash; i++) {
		secret_wipe(&stash[i].val);
		free(stash[i].name);
	}
	free(stash);
	stash = NULL;
	nstash = 0;
}

/* 1 = found and non-empty (copied into sec), 0 = unset or empty, -1 = error.
 * The stash first: the environment's copy is gone once stashed. */
int
secret_from_env(struct secret *sec, const char *var)
{
	const struct stashed *st = stash_find(var, strlen(var));
	const char *v = getenv(var);

	if (st != NULL && secret_is_set(&st->val)) {
		if (secret_set(sec, st->val.s, st->val.len) == -1) {
			err_prefix("%s", var);
			return -1;
		}
		return 1;
	}

	if (v == NULL || v[0] == '\0')
		return 0;
	if (secret_set(sec, v, strlen(v)) == -1) {
		err_prefix("%s", var);
		return -1;
	}
	return 1;
}

void
secret_scrub_env(const char *var)
{
	char *v = getenv(var);

	if (v != NULL)
		explicit_bzero(v, strlen(v));
}

/* The terminal whose echo is off, for the signal handler. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;

static void
tty_restore_signal(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one line (without its '\n' or "\r\n") from fd into line (of
 * SECRET_LINE_MAX bytes); *n its length. 0 / -1 (err_set names var). */
static int
tty_read_line(int fd, const char *var, char *line, size_t *n)
{
	ssize_t r;
	char c;

	*n = 0;
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set("%s: cannot read from the terminal: %s", var,
			    strerror(errno));
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (*n + 1 >= SECRET_LINE_MAX) {
			explicit_bzero(&c, sizeof(c));
			err_set("%s: input longer than %d bytes", var,
			    SECRET_LINE_MAX - 1);
			return -1;
		}
		line[(*n)++] = c;
	}
	explicit_bzero(&c, sizeof(c));
	if (*n > 0 && line[*n - 1] == '\r')
		(*n)--;
	return 0;
}

/* Environment first; else prompts "<prompt>: " on /dev/tty with echo off
 * (the terminal is restored on return and on SIGINT/SIGTERM/SIGHUP/SIGQUIT).
 * 0 = sec holds a value; -1 = no value and no terminal, empty answer, or
 * error (err_set names var, never the value). */
int
secret_get(struct secret *sec, const char *var, const char *prompt)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	struct termios t;
	char *line = NULL;
	size_t n = 0, i;
	int fd, rc = -1, echo_off = 0;

	if ((rc = secret_from_env(sec, var)) != 0)
		return rc == 1 ? 0 : -1;
	rc = -1;
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		err_set("%s is not set and there is no terminal to ask for it",
		    var);
		return -1;
	}
	if ((line = malloc(SECRET_LINE_MAX)) == NULL) {
		err_set("out of memory");
		goto out;
	}
	if (tcgetattr(fd, &t) == -1) {
		err_set("%s is not set and the terminal cannot be set up: %s",
		    var, strerror(errno));
		goto out;
	}
	tty_saved = t;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	tty_fd = fd;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &t) == -1) {
		err_set("%s: cannot turn off terminal echo: %s", var,
		    strerror(errno));
		goto restore;
	}
	echo_off = 1;
	if (write_all(fd, prompt, strlen(prompt)) == -1 ||
	    write_all(fd, ": ", 2) == -1) {
		err_set("%s: cannot write the prompt: %s", var,
		    strerror(errno));
		goto restore;
	}
	if (tty_read_line(fd, var, line, &n) == -1)
		goto restore;
	if (n == 0) {
		err_set("%s is not set and nothing was entered", var);
		goto restore;
	}
	if (secret_set(sec, line, n) == -1)
		goto restore;
	rc = 0;
restore:
	if (echo_off) {
		tcsetattr(fd, TCSAFLUSH, &tty_saved);
		(void)write_all(fd, "\n", 1);
	}
	tty_fd = -1;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	explicit_bzero(&tty_saved, sizeof(tty_saved));
out:
	if (line) {
		explicit_bzero(line, SECRET_LINE_MAX);
		free(line);
	}
	close(fd);
	return rc;
}

/* Wipes and frees a heap string. NULL-safe. */
void
secret_free_str(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* No core dumps, no ptrace attach by other users' tools, no /proc/PID/mem
 * reads: a core would hold the tokens. */
void
secret_harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The Vault CLI's token file (`vault login` writes it when no token helper
 * is configured): $HOME/.vault-token, one token, trailing white space
 * ignored. Read through a fixed buffer that is wiped. */
int
secret_from_vault_token_file(struct secret *sec, char *path, size_t pathsz)
{
	const char *home = getenv("HOME");
	char buf[4096];
	struct stat sb;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	if (home == NULL || *home == '\0')
		return 0;
	snprintf(path, pathsz, "%s/.vault-token", home);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 0;
		err_set("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		err_set("%s: not a regular file", path);
		goto out;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_set("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(buf) - 1) {
		err_set("%s: longer than a Vault token can be", path);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0) {
		rc = 0;
		goto out;
	}
	rc = secret_set(sec, buf, len) == 0 ? 1 : -1;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
