/* hook.c - see hook.h. fork + execve with two pipes, one poll() loop that
 * feeds stdin, relays output lines and keeps the deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "hook.h"
#include "log.h"
#include "retry.h"
#include "secret.h"

extern char **environ;

#define HOOK_MAX_WORDS 64
#define HOOK_LINE_MAX 4096

void
hook_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int
hook_split(const char *cmdline, char ***argv_out)
{
	char **argv = calloc(HOOK_MAX_WORDS + 1, sizeof(*argv));
	struct buf w = { 0 };
	const char *p = cmdline;
	int n = 0, in_word = 0;

	*argv_out = NULL;
	if (argv == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (;;) {
		char c = *p;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				if (n == HOOK_MAX_WORDS) {
					err_set("more than %d words", HOOK_MAX_WORDS);
					goto fail;
				}
				argv[n++] = buf_take(&w);
				in_word = 0;
			}
			if (c == '\0')
				break;
			p++;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (e == NULL) {
				err_set("unterminated ' quote");
				goto fail;
			}
			buf_append(&w, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (c == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					err_set("unterminated \" quote");
					goto fail;
				}
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf_append(&w, p, 1);
			}
			p++;
		} else if (c == '\\' && p[1] != '\0') {
			buf_append(&w, p + 1, 1);
			p += 2;
		} else {
			buf_append(&w, p, 1);
			p++;
		}
	}
	buf_free(&w);
	if (n == 0) {
		err_set("empty command");
		free(argv);
		return -1;
	}
	*argv_out = argv;
	return n;
fail:
	buf_free(&w);
	hook_argv_free(argv);
	return -1;
}

int
hook_env_is_secret(const char *name)
{
	return secret_env_is_secret(name, strlen(name));
}

/* A value that redaction would change holds a registered secret; proxy
 * URLs with user:password are credentials too. */
static int
value_is_secret(const char *name, const char *value)
{
	char *copy = strdup(value);
	int secret;

	if (copy == NULL)
		return 1;
	secret = strcmp(secret_redact(copy), value) != 0;
	secret_free_str(copy);
	if (strcasecmp(name, "https_proxy") == 0 ||
	    strcasecmp(name, "http_proxy") == 0 ||
	    strcasecmp(name, "all_proxy") == 0)
		secret |= strchr(value, '@') != NULL;
	return secret;
}

static int
env_add(struct buf *store, size_t *offs, size_t *n, size_t max,
    const char *name, const char *value)
{
	if (*n == max)
		return -1;
	offs[(*n)++] = store->len;
	buf_printf(store, "%s=%s", name, value);
	buf_append(store, "", 1);
	return 0;
}

/* The child's environment in one buffer; envp points into it. */
static char **
hook_environment(const struct hook_env *e, struct buf *store)
{
	enum { MAX = 4096 };
	static size_t offs[MAX];
	size_t n = 0, i;
	char **envp, num[16];

	for (i = 0; environ && environ[i]; i++) {
		const char *eq = strchr(environ[i], '=');
		char name[256];
		if (eq == NULL || (size_t)(eq - environ[i]) >= sizeof(name))
			continue;
		memcpy(name, environ[i], (size_t)(eq - environ[i]));
		name[eq - environ[i]] = '\0';
		if (hook_env_is_secret(name) || strncmp(name, "VAULTDR_", 8) == 0 ||
		    value_is_secret(name, eq + 1))
			continue;
		if (env_add(store, offs, &n, MAX - 8, name, eq + 1) == -1)
			break;
	}
	if (e->cmd)
		env_add(store, offs, &n, MAX, "VAULTDR_CMD", e->cmd);
	if (e->env)
		env_add(store, offs, &n, MAX, "VAULTDR_ENV", e->env);
	if (e->phase)
		env_add(store, offs, &n, MAX, "VAULTDR_PHASE", e->phase);
	if (e->new_primary)
		env_add(store, offs, &n, MAX, "VAULTDR_NEW_PRIMARY",
		    e->new_primary);
	if (e->old_primary)
		env_add(store, offs, &n, MAX, "VAULTDR_OLD_PRIMARY",
		    e->old_primary);
	if (e->exit_code >= 0) {
		snprintf(num, sizeof(num), "%d", e->exit_code);
		env_add(store, offs, &n, MAX, "VAULTDR_EXIT_CODE", num);
	}
	if ((envp = calloc(n + 1, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		envp[i] = store->data + offs[i];
	return envp;
}

/* Prints every complete line of the output buffer (all of it at EOF). */
static void
relay_lines(const char *name, struct buf *out, int eof)
{
	size_t start = 0, i;
	char line[HOOK_LINE_MAX + 1];

	for (i = 0; i < out->len; i++) {
		size_t len = i - start;
		if (out->data[i] != '\n' && len < HOOK_LINE_MAX)
			continue;
		memcpy(line, out->data + start, len);
		line[len] = '\0';
		fprintf(stderr, "vaultdr: hook %s: %s\n", name,
		    secret_redact(line));
		start = out->data[i] == '\n' ? i + 1 : i;
	}
	if (eof && start < out->len) {
		size_t len = out->len - start;
		memcpy(line, out->data + start, len);
		line[len] = '\0';
		fprintf(stderr, "vaultdr: hook %s: %s\n", name,
		    secret_redact(line));
		start = out->len;
	}
	if (start > 0) {
		memmove(out->data, out->data + start, out->len - start);
		out->len -= start;
	}
	fflush(stderr);
}

static int
pipe_cloexec(int fd[2])
{
	if (pipe(fd) == -1)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static void
child_exec(char **argv, char **envp, int in_fd, int out_fd, int err_fd)
{
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (dup2(in_fd, 0) == -1 || dup2(out_fd, 1) == -1 ||
	    dup2(out_fd, 2) == -1)
		_exit(127);
	execve(argv[0], argv, envp);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		_exit(127);
	_exit(127);
}

/* Ends the hook's process group: SIGTERM, then SIGKILL after 2 s. */
static void
hook_kill(pid_t pid, int *wstatus)
{
	long long end = retry_now_ms() + 2000;

	kill(-pid, SIGTERM);
	while (waitpid(pid, wstatus, WNOHANG) == 0) {
		if (retry_now_ms() > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, wstatus, 0);
			break;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL); /* whatever it left behind */
}

/* A running hook's pipes (-1: closed), its output not yet relayed and
 * what is left of its standard input. */
struct hook_io {
	int in[2], out[2], ex[2];
	int out_open;
	const char *data;
	size_t len, off;
	struct buf obuf;
};

/* Forks and runs argv; *pid is the child, its own process group. 0; -1
 * (err_set) when it could not be started (*pid -1, or reaped). */
static int
hook_start(const char *name, char **argv, char **envp, struct hook_io *io,
    pid_t *pid, int *wstatus)
{
	int exec_errno = 0;

	if (pipe_cloexec(io->in) == -1 || pipe_cloexec(io->out) == -1 ||
	    pipe_cloexec(io->ex) == -1) {
		err_set("%s hook: cannot set up: %s", name, strerror(errno));
		return -1;
	}
	if ((*pid = fork()) == -1) {
		err_set("%s hook: fork: %s", name, strerror(errno));
		return -1;
	}
	if (*pid == 0)
		child_exec(argv, envp, io->in[0], io->out[1], io->ex[1]);
	setpgid(*pid, *pid); /* also in the parent: no race with kill(-pid) */
	close(io->in[0]);
	close(io->out[1]);
	close(io->ex[1]);
	io->in[0] = io->out[1] = io->ex[1] = -1;
	if (read(io->ex[0], &exec_errno, sizeof(exec_errno)) ==
	    (ssize_t)sizeof(exec_errno)) {
		waitpid(*pid, wstatus, 0);
		*pid = -1;
		err_set("%s hook: cannot run %s: %s", name, argv[0],
		    strerror(exec_errno));
		return -1;
	}
	fcntl(io->in[1], F_SETFL, O_NONBLOCK);
	if (io->len == 0) {
		close(io->in[1]);
		io->in[1] = -1;
	}
	return 0;
}

/* Serves the ready descriptors of one poll: relays output lines, writes
 * input (closing it when all is written or the hook stopped reading). */
static void
hook_pump(const char *name, struct hook_io *io, const struct pollfd *pf,
    nfds_t np)
{
	char chunk[4096];

	for (nfds_t i = 0; i < np; i++) {
		if (pf[i].fd == io->out[0] && pf[i].revents) {
			ssize_t r = read(io->out[0], chunk, sizeof(chunk));
			if (r > 0) {
				buf_append(&io->obuf, chunk, (size_t)r);
				relay_lines(name, &io->obuf, 0);
			} else if (r == 0 || errno != EINTR) {
				relay_lines(name, &io->obuf, 1);
				io->out_open = 0;
			}
		} else if (pf[i].fd == io->in[1] && pf[i].revents) {
			ssize_t r = write(io->in[1], io->data + io->off,
			    io->len - io->off);
			if (r > 0)
				io->off += (size_t)r;
			if ((r == -1 && errno != EAGAIN && errno != EINTR) ||
			    io->off == io->len) {
				close(io->in[1]); /* EPIPE: it reads no input */
				io->in[1] = -1;
			}
		}
	}
}

/* Feeds the hook and relays its output until it exits, bounded by
 * deadline and the stop flag. 0 (*wstatus set); -1 (err_set) when it was
 * killed for the timeout or a stop request. */
static int
hook_wait(const char *name, const char *argv0, double timeout,
    long long deadline, struct hook_io *io, pid_t pid, int *wstatus)
{
	for (;;) {
		struct pollfd pf[2];
		nfds_t np = 0;
		long long left = deadline - retry_now_ms();

		if (left <= 0 || retry_stop_requested) {
			relay_lines(name, &io->obuf, 1);
			hook_kill(pid, wstatus);
			if (left <= 0)
				err_set("%s hook %s timed out after %g s "
				    "(VAULTDR_HOOK_TIMEOUT) and was killed", name,
				    argv0, timeout);
			else
				err_set("%s hook %s stopped by signal", name,
				    argv0);
			return -1;
		}
		if (io->out_open)
			pf[np++] = (struct pollfd){ io->out[0], POLLIN, 0 };
		if (io->in[1] != -1)
			pf[np++] = (struct pollfd){ io->in[1], POLLOUT, 0 };
		if (np == 0) {
			/* Output closed: wait for the exit. */
			if (waitpid(pid, wstatus, WNOHANG) == pid)
				return 0;
			usleep(10000);
			continue;
		}
		if (poll(pf, np, left > 100 ? 100 : (int)left) > 0)
			hook_pump(name, io, pf, np);
	}
}

int
hook_run(const char *name, const char *cmdline, const struct hook_env *e,
    const char *stdin_json, double timeout, int *status)
{
	struct hook_io io = { { -1, -1 }, { -1, -1 }, { -1, -1 }, 1,
		stdin_json, stdin_json ? strlen(stdin_json) : 0, 0, { 0 } };
	char **argv = NULL, **envp = NULL;
	struct buf store = { 0 };
	long long deadline = retry_now_ms() + (long long)(timeout * 1000.0);
	int rc = -1, wstatus = 0;
	pid_t pid = -1;

	if (hook_split(cmdline, &argv) == -1) {
		err_prefix("%s hook '%s'", name, cmdline);
		return -1;
	}
	if (argv[0][0] != '/' && strchr(argv[0], '/') == NULL) {
		err_set("%s hook: '%s' is not a path (hooks run without a "
		    "shell and without a PATH search: give the executable's "
		    "path)", name, argv[0]);
		goto out;
	}
	if ((envp = hook_environment(e, &store)) == NULL) {
		err_set("%s hook: cannot set up: %s", name, strerror(errno));
		goto out;
	}
	if (hook_start(name, argv, envp, &io, &pid, &wstatus) == -1)
		goto out;
	rc = hook_wait(name, argv[0], timeout, deadline, &io, pid, &wstatus);
	pid = -1;
	if (rc == 0)
		*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
		    WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 1;
out:
	if (pid > 0)
		hook_kill(pid, &wstatus);
	for (int i = 0; i < 2; i++) {
		if (io.in[i] != -1)
			close(io.in[i]);
		if (io.out[i] != -1)
			close(io.out[i]);
		if (io.ex[i] != -1)
			close(io.ex[i]);
	}
	hook_argv_free(argv);
	free(envp);
	buf_free(&store);
	buf_free(&io.obuf);
	return rc;
}
