/* log.c - the seed's progress format, warnings, reports and the audit file.
 * Everything printed or appended passes through secret_redact(). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "secret.h"

static enum log_mode mode = LOG_TEXT;
static void (*warn_hook)(const char *);
static void (*record_tap)(const char *);
static int audit_fd = -1;
static int audit_failed, audit_errno;
static char audit_path[512];

static void fd_warn_audit(void);
static int verbose;

void
log_init(enum log_mode m, int v)
{
	mode = m;
	verbose = v;
}

int
log_verbose_on(void)
{
	return verbose;
}

/* strftime's C-locale day and month abbreviations, without strftime
 * (what it links costs the size-bounded client a few KB). */
static const char wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

void
log_timestamp(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;
	int n;

	/* strftime "%a, %d %b %Y %H:%M:%S" */
	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    (n = snprintf(out, outsz, "%s, %02d %s %d %02d:%02d:%02d",
	    wday_names[tm.tm_wday], tm.tm_mday, mon_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)) < 0 ||
	    (size_t)n >= outsz)
		snprintf(out, outsz, "?");
}

static void vemit(FILE *f, const char *pre, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vemit(FILE *f, const char *pre, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	secret_redact(line);
	fprintf(f, "%s%s\n", pre, line);
	fflush(f);
}

void
log_step(const char *fmt, ...)
{
	char ts[64], pre[96];
	va_list ap;

	if (mode != LOG_TEXT)
		return;
	log_timestamp(ts, sizeof(ts));
	snprintf(pre, sizeof(pre), "[%s] *** ", ts);
	va_start(ap, fmt);
	vemit(stdout, pre, fmt, ap);
	va_end(ap);
}

void
log_set_warn_hook(void (*hook)(const char *msg))
{
	warn_hook = hook;
}

void
log_warn(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	secret_redact(line);
	if (mode == LOG_JSON) {
		/* --json: a "warning" event on stdout, for machines. */
		struct buf j = { 0 };
		char ts[32];

		log_utc_time(ts, sizeof(ts));
		buf_printf(&j, "{\"schema_version\":%d,\"time\":\"%s\","
		    "\"step\":\"warning\",\"event\":\"warning\","
		    "\"message\":", LOG_SCHEMA_VERSION, ts);
		json_append_str(&j, line);
		buf_puts(&j, "}");
		if (j.data) {
			fprintf(stdout, "%s\n", j.data);
			fflush(stdout);
		}
		buf_free(&j);
	} else {
		fprintf(stderr, "vaultdr: warning: %s\n", line);
		fflush(stderr);
	}
	if (warn_hook)
		warn_hook(line);
	if (audit_fd != -1) {
		struct buf b = { 0 };
		char ts[32];

		log_utc_time(ts, sizeof(ts));
		buf_printf(&b, "{\"schema_version\":%d,\"time\":\"%s\","
		    "\"step\":\"warning\",\"event\":\"warning\",\"message\":",
		    LOG_SCHEMA_VERSION, ts);
		json_append_str(&b, line);
		buf_puts(&b, "}");
		if (b.data)
			log_audit_write(b.data);
		buf_free(&b);
	}
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vemit(stderr, "vaultdr: ", fmt, ap);
	va_end(ap);
}

static void out_line(FILE *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Any length (a status JSON line can be long): a cut line would be broken
 * JSON, and a cut is where a secret's prefix could show. */
static void
out_line(FILE *f, const char *fmt, va_list ap)
{
	char small[1024], *line = small;
	va_list aq;
	int n;

	va_copy(aq, ap);
	if ((n = vsnprintf(small, sizeof(small), fmt, ap)) < 0)
		small[0] = '\0';
	if (n >= (int)sizeof(small) && (line = malloc((size_t)n + 1)) != NULL)
		vsnprintf(line, (size_t)n + 1, fmt, aq);
	else
		line = small;
	va_end(aq);
	secret_redact(line);
	fprintf(f, "%s\n", line);
	fflush(f);
	if (line != small)
		free(line);
}

void
log_out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_line(stdout, fmt, ap);
	va_end(ap);
}

void
log_err_out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_line(stderr, fmt, ap);
	va_end(ap);
}

void
log_error(const char *label, const char *msg)
{
	char line[4096];

	snprintf(line, sizeof(line), "%s", msg);
	secret_redact(line);
	fprintf(stderr, "vaultdr: %s: %s\n", label, line);
	fflush(stderr);
}

void
log_utc_time(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;
	int n;

	/* strftime "%Y-%m-%dT%H:%M:%SZ" */
	if (gmtime_r(&t, &tm) == NULL ||
	    (n = snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec)) < 0 || (size_t)n >= outsz)
		snprintf(out, outsz, "?");
}

/* What a file that is not a regular file is, in words. */
static const char *
file_kind(mode_t m)
{
	static const struct {
		mode_t type;
		const char *words;
	} kinds[] = {
		{ S_IFIFO, "a FIFO (named pipe)" },
		{ S_IFCHR, "a character device" },
		{ S_IFBLK, "a block device" },
		{ S_IFDIR, "a directory" },
		{ S_IFSOCK, "a socket" },
		{ S_IFLNK, "a symbolic link" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((m & S_IFMT) == kinds[i].type)
			return kinds[i].words;
	return "not a regular file";
}

/* Append-only, created 0600, never through a symlink, never blocking on a
 * FIFO or a device: lstat first (no open of a device at all), then an
 * O_NONBLOCK open and fstat of what was really opened. */
int
log_audit_open(const char *path)
{
	struct stat sb;
	int fd, fl;

	if (audit_fd != -1)
		log_audit_close();
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		err_set("--log %s: is %s; the audit log must be a regular file",
		    path, file_kind(sb.st_mode));
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == ELOOP || errno == ENXIO)
			err_set("--log %s: is %s; the audit log must be a "
			    "regular file", path, errno == ELOOP ?
			    "a symbolic link" : "a FIFO (named pipe)");
		else
			err_set("--log %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		err_set("--log %s: is %s; the audit log must be a regular file",
		    path, file_kind(sb.st_mode));
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		err_set("--log %s: must be readable only by its owner (mode "
		    "0600)", path);
		close(fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	audit_fd = fd;
	audit_failed = 0;
	snprintf(audit_path, sizeof(audit_path), "%s", path);
	return 0;
}

/* The warning of a failed audit write, once, without another audit write. */
static void
fd_warn_audit(void)
{
	int fd = audit_fd;

	audit_fd = -1;
	log_warn("--log %s: an audit record could not be written (%s); the "
	    "audit trail of this run is incomplete", audit_path,
	    strerror(audit_errno));
	audit_fd = fd;
}

int
log_audit_on(void)
{
	return audit_fd != -1 || record_tap != NULL;
}

void
log_set_record_tap(void (*tap)(const char *line))
{
	record_tap = tap;
}

/* Appends line and a newline, redacted, in one write(2), then fsync(2):
 * a record is on disk whole or not at all before the run goes on. A
 * failure is remembered (log_audit_failed) and warned about once; the
 * caller decides what it means (the opening record: stop; later: the
 * summary says the trail is incomplete). 0 / -1. */
int
log_audit_write(const char *line)
{
	char *copy;
	size_t n;
	ssize_t w;
	off_t end;
	int saved;

	if (audit_fd == -1 && record_tap == NULL)
		return 0;
	n = strlen(line);
	if ((copy = malloc(n + 2)) == NULL) {
		if (audit_fd == -1)
			return -1;
		audit_errno = ENOMEM;
		goto fail;
	}
	memcpy(copy, line, n + 1);
	secret_redact(copy);
	if (record_tap)
		record_tap(copy);
	if (audit_fd == -1) {
		free(copy);
		return 0;
	}
	n = strlen(copy);
	copy[n++] = '\n';
	end = lseek(audit_fd, 0, SEEK_END);
	do
		w = write(audit_fd, copy, n);
	while (w == -1 && errno == EINTR);
	saved = errno;
	free(copy);
	if (w != (ssize_t)n) {
		/* A short write (disk full): cut the torn record off, so that
		 * every line on disk stays one whole JSON object. */
		if (w > 0 && end != (off_t)-1)
			(void)!ftruncate(audit_fd, end);
		audit_errno = w == -1 ? saved : ENOSPC;
		goto fail;
	}
	if (fsync(audit_fd) == -1 && errno != EINVAL) {
		audit_errno = errno;
		goto fail;
	}
	return 0;
fail:
	if (!audit_failed) {
		audit_failed = 1;
		/* Not through log_warn: it would append to the audit file. */
		fd_warn_audit();
	}
	return -1;
}

int
log_audit_failed(void)
{
	return audit_failed;
}

const char *
log_audit_error(void)
{
	return audit_failed ? strerror(audit_errno) : "";
}

void
log_audit_close(void)
{
	if (audit_fd != -1)
		close(audit_fd);
	audit_fd = -1;
}

void
log_json_summary(const char *command, const char *env, int code,
    const char *result, const char *error)
{
	struct buf b = { 0 };
	char ts[32];

	log_utc_time(ts, sizeof(ts));
	buf_printf(&b, "{\"schema_version\":%d,\"time\":\"%s\","
	    "\"step\":\"summary\",\"event\":\"summary\",\"command\":",
	    LOG_SCHEMA_VERSION, ts);
	if (command)
		json_append_str(&b, command);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"env\":");
	if (env)
		json_append_str(&b, env);
	else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"exit_code\":%d,\"result\":", code);
	json_append_str(&b, result);
	buf_puts(&b, ",\"changed\":false,\"dry_run\":false,\"message\":");
	json_append_str(&b, "nothing was changed");
	buf_puts(&b, ",\"change_id\":null,\"state\":null,\"error\":");
	json_append_str(&b, error ? error : "");
	buf_puts(&b, ",\"elapsed_ms\":0}");
	if (b.data)
		log_out("%s", b.data);
	buf_free(&b);
}
