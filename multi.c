/* multi.c - several environments in one run: one child per environment,
 * output relayed with the environment's name, one confirmation, one table,
 * one exit code (multi.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "buf.h"
#include "dr.h"
#include "ini.h"
#include "json.h"
#include "log.h"
#include "multi.h"
#include "retry.h"
#include "secret.h"

/* Severity by exit code (multi.h): failed > partial > refused > input
 * error > done. */
static const int severity_of[] = {
	[EXIT_DONE] = 0, [EXIT_USAGE] = 1, [EXIT_REFUSED] = 2,
	[EXIT_PARTIAL] = 3, [EXIT_FAILED] = 4,
};

int
multi_severity(int code)
{
	if (code < 0 || code >= (int)(sizeof(severity_of) /
	    sizeof(severity_of[0])))
		code = EXIT_FAILED;
	return severity_of[code];
}

int
multi_exit_code(const int *codes, size_t n)
{
	int worst = EXIT_DONE, c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = multi_severity(codes[i]) == multi_severity(EXIT_FAILED) ?
		    EXIT_FAILED : codes[i];
		if (multi_severity(c) > multi_severity(worst))
			worst = c;
	}
	return worst;
}

void
multi_envs_free(char **envs, size_t n)
{
	size_t i;

	if (envs == NULL)
		return;
	for (i = 0; i < n; i++)
		free(envs[i]);
	free(envs);
}

int
multi_config_envs(const char *path, char ***envs, size_t *n)
{
	static const char prefix[] = "Vault-Cluster-";
	struct ini ini;
	char **out = NULL;
	size_t i, j, k = 0;
	int rc = -1;

	*envs = NULL;
	*n = 0;
	memset(&ini, 0, sizeof(ini));
	if (path == NULL || *path == '\0')
		path = getenv("VAULTDR_CONFIG");
	if (path == NULL || *path == '\0')
		path = "vault_dr.cfg";
	if (ini_load(&ini, path) == -1) {
		err_prefix("--all");
		return -1;
	}
	if ((out = calloc(ini.nsections + 1, sizeof(*out))) == NULL) {
		err_set("out of memory");
		goto out;
	}
	for (i = 0; i < ini.nsections; i++) {
		const char *s = ini.sections[i];
		if (strncasecmp(s, prefix, sizeof(prefix) - 1) != 0 ||
		    s[sizeof(prefix) - 1] == '\0')
			continue;
		s += sizeof(prefix) - 1;
		for (j = 0; j < k && strcasecmp(out[j], s) != 0; j++)
			;
		if (j < k)
			continue;
		if ((out[k] = strdup(s)) == NULL) {
			err_set("out of memory");
			goto out;
		}
		k++;
	}
	if (k == 0) {
		err_set("--all: %s has no [Vault-Cluster-<ENV>] section", path);
		goto out;
	}
	*envs = out;
	*n = k;
	out = NULL;
	rc = 0;
out:
	multi_envs_free(out, k);
	ini_free(&ini);
	return rc;
}

/* ------------------------------------------------------------ the children */

enum { S_OUT, S_ERR, S_CTL, STREAMS };

struct child {
	const char *env;      /* borrowed */
	pid_t pid;            /* 0: not started */
	int fd[STREAMS];      /* read ends; -1 once at end of file */
	struct buf part[STREAMS]; /* a line not yet complete */
	int go_fd;            /* write end of the go/no-go pipe, or -1 */
	int ready;            /* waits for the confirmation */
	char *ask;            /* what its plan will do (one sentence) */
	int code;             /* exit code; -1 while running; 128+N killed */
	int killed;           /* signal number that killed it, or 0 */
	char *summary;        /* its last summary record (JSON), or NULL */
	char *error;          /* its last "vaultdr: error:" line, or NULL */
};

/* A longer line is relayed in pieces (it cannot be one of ours). */
#define LINE_MAX_RELAY (1024 * 1024)

static volatile sig_atomic_t parent_signals, parent_last_signal;

static void
parent_on_signal(int sig)
{
	parent_last_signal = sig;
	parent_signals++;
}

static void
child_on_signal(int sig)
{
	(void)sig;
	retry_stop_requested = 1;
}

/* The child's control pipe: records (the tap) and the confirmation. */
static int child_ctl = -1, child_go = -1;
/* The parent asks one question for the whole set (multi_run). */
static int ask_needed;

/* Reads the operator's answer from the terminal, in 100 ms slices so that a
 * signal is noticed even when it came before the read started (a Ctrl-C
 * typed as the question appears): bytes read, or 0 after a signal or at
 * end of input, -1 on error. */
static ssize_t
read_answer(int fd, char *line, size_t max)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int rc;

	for (;;) {
		if (parent_signals > 0)
			return 0;
		rc = poll(&p, 1, 100);
		if (rc == -1 && errno != EINTR)
			return -1;
		if (rc == 1)
			return read(fd, line, max);
	}
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* One tagged line on the control pipe: "R <record>" or "C <question>". */
static void
ctl_line(char tag, const char *text)
{
	struct buf b = { 0 };

	if (child_ctl == -1)
		return;
	if (buf_printf(&b, "%c ", tag) == 0 && buf_puts(&b, text) == 0 &&
	    buf_puts(&b, "\n") == 0)
		write_all(child_ctl, b.data, b.len);
	buf_free(&b);
}

/* Only the summary is of use to the parent (the table). */
static void
child_tap(const char *line)
{
	/* A record spans one line; a newline inside would be a second one. */
	if (strstr(line, "\"event\":\"summary\"") != NULL &&
	    strchr(line, '\n') == NULL)
		ctl_line('R', line);
}

/* The engine's question (dr_opts.confirm) in a child: sent to the parent,
 * which asks once for every environment; its answer byte comes back on
 * the go pipe. 1 to proceed. A signal or a parent gone means no. */
static int
child_confirm(void *arg, const char *what)
{
	char answer = 0;
	ssize_t r;

	(void)arg;
	ctl_line('C', what);
	do
		r = read(child_go, &answer, 1);
	while (r == -1 && errno == EINTR && !retry_stop_requested);
	return r == 1 && answer == 'y';
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static const int fwd_signals[] = { SIGHUP, SIGINT, SIGTERM };
#define NFWD (sizeof(fwd_signals) / sizeof(fwd_signals[0]))

static void
set_handlers(void (*fn)(int))
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn; /* no SA_RESTART: poll and read notice at once */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFWD; i++)
		sigaction(fwd_signals[i], &sa, NULL);
}

/* In the child: never returns. Its own session (no controlling terminal:
 * nothing is prompted for, and a terminal's Ctrl-C reaches it through the
 * parent, once), stdin /dev/null, stdout/stderr/control into the pipes. */
static void
child_main(struct child *all, size_t n, size_t me, int out[2], int errp[2],
    int ctl[2], int go[2], struct dr_opts o, int (*one)(struct dr_opts *),
    pid_t parent, const sigset_t *old_mask)
{
	size_t i;
	int k, code, fd;

	set_handlers(child_on_signal);
	(void)setsid();
#ifdef __linux__
	/* The parent gone (killed) is a stop request, as a signal is. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
#endif
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (getppid() != parent)
		retry_stop_requested = 1;
	for (i = 0; i < n; i++) {
		if (i == me)
			continue;
		for (k = 0; k < STREAMS; k++)
			close_fd(&all[i].fd[k]);
		close_fd(&all[i].go_fd);
	}
	close(out[0]);
	close(errp[0]);
	close(ctl[0]);
	close(go[1]);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 || dup2(out[1], STDOUT_FILENO) == -1 ||
	    dup2(errp[1], STDERR_FILENO) == -1)
		_exit(EXIT_FAILED);
	if (fd > STDERR_FILENO)
		close(fd);
	close(out[1]);
	close(errp[1]);
	child_ctl = ctl[1];
	child_go = go[0];
	log_set_record_tap(child_tap);
	o.env = all[me].env;
	if (ask_needed) {
		o.confirm = child_confirm;
		o.confirm_arg = NULL;
	}
	code = one(&o);
	log_set_record_tap(NULL);
	fflush(NULL);
	_exit(code);
}

static int
child_start(struct child *all, size_t n, size_t me, const struct dr_opts *o,
    int (*one)(struct dr_opts *))
{
	struct child *c = &all[me];
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ctl[2] = { -1, -1 },
	    go[2] = { -1, -1 };
	sigset_t block, old;
	size_t i;
	pid_t pid, self = getpid();

	if (pipe(out) == -1 || pipe(errp) == -1 || pipe(ctl) == -1 ||
	    pipe(go) == -1) {
		err_set("%s: cannot create a pipe: %s", c->env, strerror(errno));
		goto fail;
	}
	sigemptyset(&block);
	for (i = 0; i < NFWD; i++)
		sigaddset(&block, fwd_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid == 0)
		child_main(all, n, me, out, errp, ctl, go, *o, one, self,
		    &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		err_set("%s: cannot start a process: %s", c->env,
		    strerror(errno));
		goto fail;
	}
	c->pid = pid;
	close(out[1]);
	close(errp[1]);
	close(ctl[1]);
	close(go[0]);
	c->fd[S_OUT] = out[0];
	c->fd[S_ERR] = errp[0];
	c->fd[S_CTL] = ctl[0];
	c->go_fd = go[1];
	for (i = 0; i < STREAMS; i++)
		(void)fcntl(c->fd[i], F_SETFD, FD_CLOEXEC);
	(void)fcntl(c->go_fd, F_SETFD, FD_CLOEXEC);
	return 0;
fail:
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&ctl[0]);
	close_fd(&ctl[1]);
	close_fd(&go[0]);
	close_fd(&go[1]);
	return -1;
}

/* --------------------------------------------------------------- relaying */

static int json_mode;

/* A stdout line of child c: "[env] line" in text; with --json an object
 * without an "env" field gets one (the last field). */
static void
relay_out(struct child *c, const char *line, size_t len)
{
	struct json j;
	struct buf b = { 0 };

	if (json_mode && len > 1 && line[0] == '{' && line[len - 1] == '}' &&
	    json_parse(&j, line, len) == 0) {
		int has = json_find(&j, 0, "env") >= 0;
		json_free(&j);
		if (has)
			log_out("%s", line);
		else if (buf_append(&b, line, len - 1) == 0 &&
		    buf_puts(&b, ",\"env\":") == 0 &&
		    json_append_str(&b, c->env) == 0 &&
		    buf_puts(&b, "}") == 0)
			log_out("%s", b.data);
		buf_free(&b);
		err_clear();
		return;
	}
	log_out("[%s] %s", c->env, line);
}

static void
replace(char **dst, const char *src)
{
	free(*dst);
	*dst = strdup(src);
}

/* A control line: a record (the last summary is kept) or a question. */
static void
relay_ctl(struct child *c, const char *line, size_t len)
{
	struct json j;
	char *ev = NULL;

	if (len > 2 && line[0] == 'C' && line[1] == ' ') {
		replace(&c->ask, line + 2);
		c->ready = 1;
		return;
	}
	if (len < 2 || line[0] != 'R' || line[1] != ' ' ||
	    json_parse(&j, line + 2, len - 2) != 0) {
		err_clear();
		return;
	}
	if (json_get_str(&j, 0, "event", &ev) == 0 &&
	    strcmp(ev, "summary") == 0)
		replace(&c->summary, line + 2);
	free(ev);
	json_free(&j);
	err_clear();
}

static void
relay_line(struct child *c, int s, char *line, size_t len)
{
	static const char *const err_pre[] = { "vaultdr: error: ",
		"vaultdr: incomplete: " };
	size_t k;

	line[len] = '\0';
	if (s == S_OUT)
		relay_out(c, line, len);
	else if (s == S_ERR) {
		log_err_out("[%s] %s", c->env, line);
		for (k = 0; k < sizeof(err_pre) / sizeof(err_pre[0]); k++)
			if (strncmp(line, err_pre[k], strlen(err_pre[k])) == 0)
				replace(&c->error, line + strlen(err_pre[k]));
	} else
		relay_ctl(c, line, len);
}

/* Reads what stream s of c has; relays every complete line (and the rest
 * at end of file). */
static void
drain(struct child *c, int s)
{
	char chunk[16384];
	struct buf *p = &c->part[s];
	ssize_t r;
	size_t start, i;

	r = read(c->fd[s], chunk, sizeof(chunk));
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0 && buf_append(p, chunk, (size_t)r) == -1)
		r = -1;
	start = 0;
	for (i = 0; p->data != NULL && i < p->len; i++)
		if (p->data[i] == '\n') {
			relay_line(c, s, p->data + start, i - start);
			start = i + 1;
		}
	if (r <= 0 || p->len - start > LINE_MAX_RELAY) {
		if (p->data && p->len > start)
			relay_line(c, s, p->data + start, p->len - start);
		start = p->len;
	}
	if (start > 0 && p->data != NULL) {
		memmove(p->data, p->data + start, p->len - start);
		p->len -= start;
		p->data[p->len] = '\0';
	}
	if (r <= 0)
		close_fd(&c->fd[s]);
}

static int
child_open(const struct child *c)
{
	int s;

	for (s = 0; s < STREAMS; s++)
		if (c->fd[s] != -1)
			return 1;
	return 0;
}

/* Reaps c once its pipes are closed. 1 when it is over. */
static int
child_reap(struct child *c)
{
	int st;
	pid_t r;

	if (c->code >= 0 || c->pid <= 0)
		return 1;
	if (child_open(c))
		return 0;
	while ((r = waitpid(c->pid, &st, 0)) == -1 && errno == EINTR)
		;
	if (r != c->pid)
		c->code = EXIT_FAILED;
	else if (WIFEXITED(st))
		c->code = WEXITSTATUS(st);
	else {
		c->killed = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		c->code = 128 + c->killed;
	}
	close_fd(&c->go_fd);
	c->ready = 0;
	return 1;
}

/* Passes each signal the parent got on to every running child, once. */
static void
forward_signals(struct child *all, size_t n)
{
	static sig_atomic_t forwarded;
	size_t i;

	if (parent_signals == forwarded)
		return;
	forwarded = parent_signals;
	for (i = 0; i < n; i++)
		if (all[i].pid > 0 && all[i].code < 0)
			(void)kill(all[i].pid, parent_last_signal);
}

static int child_code(const struct child *c);
static const char *cmd_word(enum dr_cmd cmd);

/* --------------------------------------------------------- confirmation */

/* Relays what is still in the pipes (the plans of the environments that
 * wait for the answer), so that it is on the screen before the question. */
static void
drain_ready(struct child *all, size_t n)
{
	struct pollfd p;
	size_t i;
	int s, more = 1;

	while (more) {
		more = 0;
		for (i = 0; i < n; i++)
			for (s = 0; s < STREAMS; s++) {
				if (all[i].fd[s] == -1)
					continue;
				p.fd = all[i].fd[s];
				p.events = POLLIN;
				if (poll(&p, 1, 0) == 1) {
					drain(&all[i], s);
					more = 1;
				}
			}
	}
}

/* 1 when every environment still running waits for the answer, and one
 * does at least. */
static int
all_waiting(const struct child *all, size_t n)
{
	size_t i, ready = 0;

	for (i = 0; i < n; i++) {
		if (all[i].code >= 0 || all[i].pid <= 0)
			continue;
		if (!all[i].ready)
			return 0;
		ready++;
	}
	return ready > 0;
}

/* One question on the terminal for every environment that waits: what
 * each plan will do, and the command with their number to be typed
 * ("failover 3"); anything else cancels. The answer goes to each of them. */
static void
ask_once(const struct dr_opts *o, struct child *all, size_t n)
{
	char line[128], want[64];
	size_t i, k = 0;
	ssize_t r;
	int fd, ok = 0;

	for (i = 0; i < n; i++)
		if (all[i].ready)
			k++;
	snprintf(want, sizeof(want), "%s %zu", cmd_word(o->cmd), k);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) != -1) {
		dprintf(fd, "\n");
		for (i = 0; i < n; i++) {
			if (all[i].ready) {
				secret_redact(all[i].ask);
				dprintf(fd, "[%s] %s.\n", all[i].env, all[i].ask);
			} else if (all[i].code >= 0)
				dprintf(fd, "[%s] finished: exit %d\n",
				    all[i].env, child_code(&all[i]));
		}
		dprintf(fd, "Type '%s' to proceed with these %zu environments "
		    "(-y skips this question; anything else cancels): ", want,
		    k);
		r = read_answer(fd, line, sizeof(line) - 1);
		if (r > 0) {
			line[r] = '\0';
			line[strcspn(line, "\r\n")] = '\0';
			ok = strcasecmp(line, want) == 0;
		}
		close(fd);
	}
	/* A signal while asking: the children hear it before the answer,
	 * so that each stops as a signalled run does. */
	forward_signals(all, n);
	for (i = 0; i < n; i++)
		if (all[i].ready) {
			write_all(all[i].go_fd, ok ? "y" : "n", 1);
			all[i].ready = 0;
		}
}

/* ------------------------------------------------------------------ table */

static const char *const code_meaning[] = {
	"desired state reached", "failed", "usage, config or input error",
	"switched; old primary not re-attached", "refused for safety",
};

/* The run's result in words (status: a healthy set or not). */
static const char *
run_words(enum dr_cmd cmd, int code)
{
	if (cmd == DR_STATUS && code <= 1)
		return code ? "not healthy" : "healthy";
	return code_meaning[code];
}

static const char *
cmd_word(enum dr_cmd cmd)
{
	return cmd == DR_FAILOVER ? "failover" : cmd == DR_FAILBACK ?
	    "failback" : "status";
}

/* A status summary's structured state in words: each cluster's DR mode
 * and state (or "unreachable"), what the CNAME names, the lock. */
static void
state_words(const struct json *j, struct buf *b)
{
	static const char *const side[] = { "primary", "secondary" };
	char path[64], *mode = NULL, *st = NULL, *names = NULL, *lock = NULL;
	int k, reach = 0;

	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "state.clusters.%d.reachable", k);
		if (json_get_bool(j, 0, path, &reach) != 0)
			return;
		snprintf(path, sizeof(path), "state.clusters.%d.mode", k);
		(void)json_get_str(j, 0, path, &mode);
		snprintf(path, sizeof(path), "state.clusters.%d.state", k);
		(void)json_get_str(j, 0, path, &st);
		if (!reach)
			buf_printf(b, "%s cluster unreachable, ", side[k]);
		else
			buf_printf(b, "%s cluster DR %s (%s), ", side[k],
			    mode ? mode : "?", st ? st : "?");
		free(mode);
		free(st);
		mode = st = NULL;
	}
	(void)json_get_str(j, 0, "state.record.names", &names);
	(void)json_get_str(j, 0, "state.lock.state", &lock);
	buf_printf(b, "CNAME names %s, lock %s", names ? names : "?",
	    lock ? lock : "?");
	free(names);
	free(lock);
}

/* What the table says of c: result, and what was observed (status: the
 * state in words; else the summary's message; then its error, else the
 * last error line). Strings are malloc'd. */
static void
child_words(const struct child *c, enum dr_cmd cmd, char **result,
    char **observed)
{
	struct json j;
	char *msg = NULL, *err = NULL;
	struct buf b = { 0 };
	int parsed = 0;

	if (c->killed)
		(void)buf_printf(&b, "killed by signal %d", c->killed);
	else if (cmd == DR_STATUS && c->code >= 0 && c->code <= 1)
		(void)buf_puts(&b, c->code ? "not healthy" : "healthy");
	else if (c->code >= 0 && c->code <= 4)
		(void)buf_puts(&b, code_meaning[c->code]);
	else
		(void)buf_printf(&b, "exit %d", c->code);
	*result = buf_take(&b);
	if (c->summary && json_parse(&j, c->summary, strlen(c->summary)) ==
	    0) {
		parsed = 1;
		(void)json_get_str(&j, 0, "message", &msg);
		(void)json_get_str(&j, 0, "error", &err);
	}
	if (parsed && cmd == DR_STATUS)
		state_words(&j, &b);
	else if (msg && *msg)
		(void)buf_puts(&b, msg);
	if (parsed)
		json_free(&j);
	err_clear();
	if (c->code != EXIT_DONE && ((err && *err) || c->error)) {
		if (b.len)
			(void)buf_puts(&b, "; ");
		(void)buf_puts(&b, err && *err ? err : c->error);
	}
	if (b.len == 0)
		(void)buf_puts(&b, c->pid > 0 ? "no report" : "not started");
	*observed = buf_take(&b);
	free(msg);
	free(err);
}

static int
child_code(const struct child *c)
{
	return c->killed ? EXIT_FAILED : c->code;
}

static void
table_text(const struct dr_opts *o, struct child *all, size_t n, int code,
    long long ms)
{
	char **res, **obs;
	size_t i, we = 3, wr = 6, l;
	const char *cw = cmd_word(o->cmd);

	res = calloc(n ? n : 1, sizeof(*res));
	obs = calloc(n ? n : 1, sizeof(*obs));
	if (res == NULL || obs == NULL) {
		free(res);
		free(obs);
		return;
	}
	for (i = 0; i < n; i++) {
		child_words(&all[i], o->cmd, &res[i], &obs[i]);
		if ((l = strlen(all[i].env)) > we)
			we = l;
		if (res[i] && (l = strlen(res[i])) > wr)
			wr = l;
	}
	log_step("%c%s of %zu environments%s: %s (exit %d, %.1f s)",
	    cw[0] - 'a' + 'A', cw + 1, n, o->dry_run ? " (dry run)" : "",
	    run_words(o->cmd, code), code, (double)ms / 1000.0);
	log_out("%-*s  %-8s  %-4s  %-*s  %s", (int)we, "ENV", "COMMAND", "EXIT",
	    (int)wr, "RESULT", "OBSERVED");
	for (i = 0; i < n; i++) {
		char ex[16];
		snprintf(ex, sizeof(ex), "%d", child_code(&all[i]));
		log_out("%-*s  %-8s  %-4s  %-*s  %s", (int)we, all[i].env, cw,
		    ex, (int)wr, res[i] ? res[i] : "", obs[i] ? obs[i] : "");
		free(res[i]);
		free(obs[i]);
	}
	free(res);
	free(obs);
}

/* The table as one JSON object (event "multi_summary"), no newline. */
static void
table_json(const struct dr_opts *o, struct child *all, size_t n, int code,
    long long ms, struct buf *b)
{
	char ts[32];
	size_t i;

	log_utc_time(ts, sizeof(ts));
	buf_printf(b, "{\"schema_version\":%d,\"time\":\"%s\",\"step\":"
	    "\"summary\",\"event\":\"multi_summary\",\"command\":\"%s\","
	    "\"exit_code\":%d,\"result\":", LOG_SCHEMA_VERSION, ts,
	    cmd_word(o->cmd), code);
	json_append_str(b, run_words(o->cmd, code));
	buf_printf(b, ",\"dry_run\":%s,\"environments\":[",
	    o->dry_run ? "true" : "false");
	for (i = 0; i < n; i++) {
		char *res = NULL, *obs = NULL;
		child_words(&all[i], o->cmd, &res, &obs);
		buf_puts(b, i ? ",{\"env\":" : "{\"env\":");
		json_append_str(b, all[i].env);
		buf_printf(b, ",\"command\":\"%s\",\"exit_code\":%d,\"result\":",
		    cmd_word(o->cmd), child_code(&all[i]));
		json_append_str(b, res ? res : "");
		buf_puts(b, ",\"observed\":");
		json_append_str(b, obs ? obs : "");
		buf_puts(b, "}");
		free(res);
		free(obs);
	}
	buf_printf(b, "],\"elapsed_ms\":%lld}", ms);
}

/* ------------------------------------------------------------------ driver */

/* The children of a run and the poll set over their pipes. */
struct set {
	struct child *all;
	size_t n;
	struct pollfd *pfd;  /* STREAMS per child */
	size_t *who;         /* child index of pfd[k] */
	int *whos;           /* stream of pfd[k] */
};

static void
set_free(struct set *st)
{
	size_t i;
	int s;

	for (i = 0; st->all && i < st->n; i++) {
		for (s = 0; s < STREAMS; s++) {
			close_fd(&st->all[i].fd[s]);
			buf_free(&st->all[i].part[s]);
		}
		close_fd(&st->all[i].go_fd);
		free(st->all[i].ask);
		free(st->all[i].summary);
		free(st->all[i].error);
	}
	free(st->all);
	free(st->pfd);
	free(st->who);
	free(st->whos);
}

/* 0 / -1 (err_set). */
static int
set_init(struct set *st, char *const *envs, size_t n)
{
	size_t i;
	int s;

	memset(st, 0, sizeof(*st));
	st->n = n;
	if (n == 0)
		n = 1; /* calloc(0) may be NULL */
	st->all = calloc(n, sizeof(*st->all));
	st->pfd = calloc(n * STREAMS, sizeof(*st->pfd));
	st->who = calloc(n * STREAMS, sizeof(*st->who));
	st->whos = calloc(n * STREAMS, sizeof(*st->whos));
	if (st->all == NULL || st->pfd == NULL || st->who == NULL ||
	    st->whos == NULL) {
		err_set("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		st->all[i].env = envs[i];
		st->all[i].code = -1;
		st->all[i].go_fd = -1;
		for (s = 0; s < STREAMS; s++)
			st->all[i].fd[s] = -1;
	}
	return 0;
}

/* One child per environment; one that cannot start (or a signal before
 * it did) is a failed row. */
static void
start_all(struct set *st, const struct dr_opts *o,
    int (*one)(struct dr_opts *))
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		struct child *c = &st->all[i];
		if (parent_signals)
			replace(&c->error, "not started: stopped by signal");
		else if (child_start(st->all, st->n, i, o, one) == -1) {
			log_error("error", err_get());
			replace(&c->error, err_get());
		} else
			continue;
		c->code = EXIT_FAILED;
	}
}

/* The poll set over every open pipe; 1 while a child is not reaped. */
static int
poll_set(struct set *st, size_t *np)
{
	size_t i;
	int s, live = 0;

	*np = 0;
	for (i = 0; i < st->n; i++) {
		if (!child_reap(&st->all[i]))
			live = 1;
		for (s = 0; s < STREAMS; s++)
			if (st->all[i].fd[s] != -1) {
				st->pfd[*np].fd = st->all[i].fd[s];
				st->pfd[*np].events = POLLIN;
				st->who[*np] = i;
				st->whos[*np] = s;
				(*np)++;
			}
	}
	return live;
}

/* Relays every child's lines, passes signals on, asks the one question,
 * until every child is reaped. */
static void
wait_all(struct set *st, const struct dr_opts *o)
{
	size_t i, np;
	int asked = 0;

	while (poll_set(st, &np)) {
		forward_signals(st->all, st->n);
		if (ask_needed && !asked && all_waiting(st->all, st->n)) {
			drain_ready(st->all, st->n);
			ask_once(o, st->all, st->n);
			asked = 1;
			continue;
		}
		for (i = 0; asked && i < st->n; i++)
			if (st->all[i].ready) { /* asked once only */
				write_all(st->all[i].go_fd, "n", 1);
				st->all[i].ready = 0;
			}
		if (poll(st->pfd, np, 100) <= 0)
			continue;
		for (i = 0; i < np; i++)
			if (st->pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				drain(&st->all[st->who[i]], st->whos[i]);
	}
}

/* The table (text, or one JSON object), and its audit record. */
static void
report_set(const struct dr_opts *o, struct set *st, int code, long long ms)
{
	struct buf b = { 0 };

	table_json(o, st->all, st->n, code, ms, &b);
	if (o->json && b.data)
		log_out("%s", b.data);
	else
		table_text(o, st->all, st->n, code, ms);
	if (o->audit_path && b.data) {
		if (log_audit_open(o->audit_path) == -1)
			log_warn("%s", err_get());
		else {
			(void)log_audit_write(b.data);
			log_audit_close();
		}
	}
	buf_free(&b);
}

int
multi_run(const struct dr_opts *o, char *const *envs, size_t n,
    int (*one)(struct dr_opts *))
{
	struct set st;
	long long t0 = retry_now_ms();
	int *codes, code = EXIT_FAILED;
	size_t i;

	json_mode = o->json;
	/* As the engine asks for one environment: a changing run on a
	 * terminal, without -y. */
	ask_needed = o->cmd != DR_STATUS && !o->dry_run && !o->yes &&
	    isatty(STDIN_FILENO);
	codes = calloc(n ? n : 1, sizeof(*codes));
	if (set_init(&st, envs, n) == -1 || codes == NULL) {
		err_set("out of memory");
		goto out;
	}
	set_handlers(parent_on_signal);
	start_all(&st, o, one);
	wait_all(&st, o);
	for (i = 0; i < n; i++)
		codes[i] = child_code(&st.all[i]);
	code = multi_exit_code(codes, n);
	report_set(o, &st, code, retry_now_ms() - t0);
	err_clear();
out:
	set_free(&st);
	free(codes);
	return code;
}
