/* err.h - the error slot: the one place the current error lives.
 *
 * Convention (STYLE.md habit 2): the function that fails calls err_set()
 * with the full context once; callers may err_prefix() one line of step
 * context; main prints err_get() once as "vaultdr: error: ...".  The slot is
 * per thread (the mock is threaded); the last err_set() wins.  Nothing here
 * prints: output goes through log.c, which redacts. */
#ifndef VAULTDR_ERR_H
#define VAULTDR_ERR_H

/* Replaces the current error (cut at 2047 bytes). */
void err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prepends "<ctx>: " to the current error (or sets it when there is none). */
void err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The current error; "" when none. Valid until the next err_* call. */
const char *err_get(void);
void err_clear(void);

#endif
