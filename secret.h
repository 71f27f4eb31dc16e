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
/* Reads environment variable var (its stashed copy when secret_stash_env()
 * took it). 1 = found and non-empty, 0 = unset or empty, -1 = error
 * (err_set). */
int secret_from_env(struct secret *sec, const char *var);
/* Environment first; else, if a terminal is available (/dev/tty opens), prompts
 * "<prompt>: " with echo off. 0 = have value; -1 = missing and no terminal, or
 * error (err_set names var). */
int secret_get(struct secret *sec, const char *var, const char *prompt);
/* The Vault CLI's token file, $HOME/.vault-token (written by `vault login`
 * without a token helper), into sec; path gets its name. 1 = read, 0 = no
 * HOME, no file or an empty one, -1 = unreadable (err_set naming it). The
 * token is never printed; the read buffer is wiped. */
int secret_from_vault_token_file(struct secret *sec, char *path,
    size_t pathsz);
/* Takes every secret variable out of the environment, whether or not the
 * run will use it (VAULT_TOKEN, VAULT_DR_OPERATION_TOKEN, VAULT_RECOVERY_KEY_*,
 * AWS_SECRET_ACCESS_KEY, AWS_SECRET_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN,
 * VAULTDR_TSIG_SECRET): each value is copied into a registered, wiped-on-exit
 * buffer and overwritten with NULs in place, so /proc/PID/environ shows none
 * of them. secret_from_env() and secret_get() then read the copies. Call
 * first thing in main, single-threaded. 0 / -1 (err_set; the environment is
 * scrubbed even then). */
int secret_stash_env(void);
/* Wipes and frees the copies (end of main). */
void secret_stash_wipe(void);
/* 1 if the variable name[0..n) is one secret_stash_env() takes. */
int secret_env_is_secret(const char *name, size_t n);
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
/* Shortest prefix of a secret that redaction removes on its own. */
#define SECRET_PREFIX_MIN 8
/* Replaces, in place, every occurrence of every registered secret in the
 * NUL-terminated string s, and every prefix of one that is
 * SECRET_PREFIX_MIN or more bytes long (a secret cut by an excerpt or a
 * buffer), with as many '*' characters. Returns s. */
char *secret_redact(char *s);
/* Wipes and frees an ordinary heap string. NULL-safe. */
void secret_free_str(char *s);
/* Process hardening: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. */
void secret_harden_process(void);

#endif
