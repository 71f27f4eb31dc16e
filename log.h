/* log.h - progress lines in the seed's format and warnings.
 *
 * The error slot lives in err.h (included here for the callers that use both).
 * Every string that reaches stdout/stderr passes through secret_redact()
 * first (see secret.h). */
#ifndef VAULTDR_LOG_H
#define VAULTDR_LOG_H
#include <stdio.h>

#include "err.h"

/* The version of every --json and audit object ("schema_version"); raised
 * when a field changes meaning or goes away (new fields do not raise it). */
#define LOG_SCHEMA_VERSION 1

enum log_mode { LOG_TEXT, LOG_JSON };

void log_init(enum log_mode mode, int verbose);
int log_verbose_on(void);
/* "[Wed, 18 Sep 2019 17:02:15] *** <msg>" on stdout (text mode). */
void log_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "vaultdr: warning: <msg>" on stderr. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called with every warning after redaction (the audit log mirrors them). */
void log_set_warn_hook(void (*hook)(const char *msg));
/* With --json (LOG_JSON) warnings are {"event":"warning"} objects on stdout
 * instead. */
/* "vaultdr: <msg>" on stderr, only with --verbose. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line of any length on stdout (a newline is added), redacted, in any
 * mode: reports such as `status` and --json lines. Server-supplied text
 * reaches the terminal only through this file. */
void log_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line of any length on stderr (a newline is added), redacted: a
 * child's stderr line relayed by multi.c. */
void log_err_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "vaultdr: <label>: <msg>" on stderr, redacted (main's final error). */
void log_error(const char *label, const char *msg);
/* The summary object of a run that ended before it began (a usage or
 * config error): on stdout, redacted. command, env may be NULL. */
void log_json_summary(const char *command, const char *env, int code,
    const char *result, const char *error);
/* The audit file (--log FILE): JSON lines appended to a regular file of
 * mode 0600. Opening refuses a symlink, a FIFO, a device or a directory
 * with an error naming the file, and never blocks. 0 / -1 (err_set). While
 * it is open every log_warn() is also appended as {"step":"warning"}. */
int log_audit_open(const char *path);
/* 1 while records are wanted: the audit file is open or a record tap is
 * set (the engine builds its JSON records only then). */
int log_audit_on(void);
/* A record tap: every line log_audit_write() is given (redacted, without
 * the newline) is also handed to tap, whether or not the audit file is
 * open; NULL removes it. multi.c's children pass their records (the
 * summary above all) to the parent this way. */
void log_set_record_tap(void (*tap)(const char *line));
/* Appends one JSON line (redacted; a newline is added) with a single
 * write(2) and an fsync(2). 0 (also when closed) / -1: the record is not
 * on disk; the first failure is warned about (log_warn, not audited). */
int log_audit_write(const char *line);
/* 1 when a record could not be written since log_audit_open; and why. */
int log_audit_failed(void);
const char *log_audit_error(void);
void log_audit_close(void);
/* "2019-09-18T17:02:15Z", UTC, as the JSON lines carry it. */
void log_utc_time(char *out, size_t outsz);
/* Formats the seed's timestamp "Wed, 18 Sep 2019 17:02:15" (local time) into out. */
void log_timestamp(char *out, size_t outsz);

#endif
