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

int
hook_run(const char *name, const char *cmdline, const struct hook_env *e,
    const char *stdin_json, double timeout, int *status)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ex[2] = { -1, -1 };
	char **argv = NULL, **envp = NULL;
	struct buf store = { 0 }, obuf = { 0 };
	size_t in_len = stdin_json ? strlen(stdin_json) : 0, in_off = 0;
	long long deadline = retry_now_ms() + (long long)(timeout * 1000.0);
	int rc = -1, wstatus = 0, exec_errno = 0, out_open = 1, done = 0;
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
	if ((envp = hook_environment(e, &store)) == NULL ||
	    pipe_cloexec(in) == -1 || pipe_cloexec(out) == -1 ||
	    pipe_cloexec(ex) == -1) {
		err_set("%s hook: cannot set up: %s", name, strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		err_set("%s hook: fork: %s", name, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, envp, in[0], out[1], ex[1]);
	setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	in[0] = out[1] = ex[1] = -1;
	if (read(ex[0], &exec_errno, sizeof(exec_errno)) ==
	    (ssize_t)sizeof(exec_errno)) {
		waitpid(pid, &wstatus, 0);
		err_set("%s hook: cannot run %s: %s", name, argv[0],
		    strerror(exec_errno));
		goto out;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (in_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (!done) {
		struct pollfd pf[2];
		nfds_t np = 0;
		long long left = deadline - retry_now_ms();
		char chunk[4096];

		if (left <= 0 || retry_stop_requested) {
			relay_lines(name, &obuf, 1);
			hook_kill(pid, &wstatus);
			if (left <= 0)
				err_set("%s hook %s timed out after %g s "
				    "(VAULTDR_HOOK_TIMEOUT) and was killed", name,
				    argv[0], timeout);
			else
				err_set("%s hook %s stopped by signal", name,
				    argv[0]);
			pid = -1;
			goto out;
		}
		if (out_open)
			pf[np++] = (struct pollfd){ out[0], POLLIN, 0 };
		if (in[1] != -1)
			pf[np++] = (struct pollfd){ in[1], POLLOUT, 0 };
		if (np == 0) {
			/* Output closed: wait for the exit. */
			pid_t w = waitpid(pid, &wstatus, WNOHANG);
			if (w == pid)
				done = 1;
			else
				usleep(10000);
			continue;
		}
		if (poll(pf, np, left > 100 ? 100 : (int)left) <= 0)
			continue;
		for (nfds_t i = 0; i < np; i++) {
			if (pf[i].fd == out[0] && pf[i].revents) {
				ssize_t r = read(out[0], chunk, sizeof(chunk));
				if (r > 0) {
					buf_append(&obuf, chunk, (size_t)r);
					relay_lines(name, &obuf, 0);
				} else if (r == 0 || errno != EINTR) {
					relay_lines(name, &obuf, 1);
					out_open = 0;
				}
			} else if (pf[i].fd == in[1] && pf[i].revents) {
				ssize_t r = write(in[1], stdin_json + in_off,
				    in_len - in_off);
				if (r > 0)
					in_off += (size_t)r;
				if ((r == -1 && errno != EAGAIN && errno != EINTR) ||
				    in_off == in_len) {
					close(in[1]); /* EPIPE: it reads no input */
					in[1] = -1;
				}
			}
		}
	}
	pid = -1;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
	    WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 1;
	rc = 0;
out:
	if (pid > 0)
		hook_kill(pid, &wstatus);
	for (int i = 0; i < 2; i++) {
		if (in[i] != -1)
			close(in[i]);
		if (out[i] != -1)
			close(out[i]);
		if (ex[i] != -1)
			close(ex[i]);
	}
	hook_argv_free(argv);
	free(envp);
	buf_free(&store);
	buf_free(&obuf);
	return rc;
}
