/* secret.h - secrets: read from the environment or the terminal, never argv;
 * wiped with explicit_bzero; registered so that output can be redacted. */
#ifndef VAULTDR_SECRET_H
#define VAULTDR_SECRET_H
#include <stddef.h>

struct secret {
	char *s;    /* NUL-terminated, owned; NULL when unset */
	size_t len;
};

/* Copies n bytes into sec (replacing and wiping any old value) and registers
 * the value for redaction. 0 / -1. */
int secret_set(struct secret *sec, const char *s, size_t n);
/* Reads environment variable var. 1 = found and non-empty, 0 = unset or empty,
 * -1 = error (err_set). */
int secret_from_env(struct secret *sec, const char *var);
/* Environment first; else, if a terminal is available (/dev/tty opens), prompts
 * "<prompt>: " with echo off. 0 = have value; -1 = missing and no terminal, or
 * error (err_set names var). */
int secret_get(struct secret *sec, const char *var, const char *prompt);
/* Overwrites the value of environment variable var in place with NUL bytes,
 * so /proc/PID/environ no longer shows it once it has been copied into a
 * struct secret; getenv(var) then returns "". No-op when unset. */
void secret_scrub_env(const char *var);
/* Wipes, unregisters and frees. NULL-safe; safe on an unset secret. */
void secret_wipe(struct secret *sec);
int secret_is_set(const struct secret *sec);

/* Registers/unregisters an extra buffer whose contents must never be printed
 * (e.g. a decoded token living in a struct buf). Values shorter than 4 bytes
 * are ignored. */
void secret_register(const char *s, size_t n);
void secret_unregister(const char *s);
/* Replaces, in place, every occurrence of every registered secret in the
 * NUL-terminated string s with '*' characters. Returns s. */
char *secret_redact(char *s);
/* Wipes and frees an ordinary heap string. NULL-safe. */
void secret_free_str(char *s);
/* Process hardening: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. */
void secret_harden_process(void);

#endif
