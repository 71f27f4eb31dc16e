/* hook.h - site commands run at fixed points of a switch (the pre-change,
 * fence and post hooks of vault_dr.cfg), without a shell, with a deadline,
 * the run's summary JSON on stdin and an environment free of secrets. */
#ifndef VAULTDR_HOOK_H
#define VAULTDR_HOOK_H
#include <stddef.h>

/* What the hook is told through VAULTDR_* variables. NULL fields are left
 * out; exit_code < 0 is left out. */
struct hook_env {
	const char *cmd;          /* VAULTDR_CMD: failover | failback */
	const char *env;          /* VAULTDR_ENV */
	const char *phase;        /* VAULTDR_PHASE: pre_change | fence | post */
	const char *new_primary;  /* VAULTDR_NEW_PRIMARY: URL */
	const char *old_primary;  /* VAULTDR_OLD_PRIMARY: URL */
	int exit_code;            /* VAULTDR_EXIT_CODE */
};

/* Splits a command line into argv without a shell: words separated by
 * blanks; '...' quotes literally; "..." quotes with \" \\ escapes; a
 * backslash outside quotes escapes the next character. *argv_out is a
 * NULL-terminated malloc'd array (free with hook_argv_free). Returns the
 * number of words (>= 1), or -1 (err_set: empty, unterminated quote). */
int hook_split(const char *cmdline, char ***argv_out);
void hook_argv_free(char **argv);

/* Environment names that never reach a hook (secrets and credentials),
 * also matched as prefixes when they end in '_' (VAULT_RECOVERY_KEY_). */
int hook_env_is_secret(const char *name);

/* Runs cmdline as the `name` hook: argv[0] must be a path to an executable
 * (no PATH search). stdin_json (may be NULL) is written to its standard
 * input; every line it prints on stdout or stderr goes to our stderr as
 * "vaultdr: hook <name>: <line>" (redacted). The environment is ours minus
 * every secret variable and every value holding a registered secret, plus
 * the VAULTDR_* variables of e. After timeout seconds (or a stop request)
 * the hook's process group gets SIGTERM, then SIGKILL 2 s later.
 * Returns 0 when it ran to its end, with *status its exit status (128+N
 * when killed by signal N); -1 when it could not be started, timed out or
 * was stopped (err_set names the hook and why). */
int hook_run(const char *name, const char *cmdline, const struct hook_env *e,
    const char *stdin_json, double timeout, int *status);

#endif
