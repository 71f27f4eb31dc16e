/* multi.h - several environments in one run ("region evacuation", issue 13):
 * `vaultdr failover ENV...` and `--all`.
 *
 * One child process per environment runs the single-environment command
 * (its own config, lock, plan, steps and summary; global state such as the
 * error slot stays per process). The parent relays each child's output
 * line by line, prefixed "[env] " (text) or with an "env" field added to
 * JSON lines that lack one, asks one confirmation for the whole set on a
 * terminal, forwards SIGHUP/SIGINT/SIGTERM to every child, waits for all,
 * then prints one table and returns one exit code (multi_exit_code). */
#ifndef VAULTDR_MULTI_H
#define VAULTDR_MULTI_H
#include <stddef.h>

struct dr_opts;

/* The severity of an exit code in a run of several environments, higher
 * is more severe: 1 failed (4) > 3 switched, not re-attached (3) > 4
 * refused (2) > 2 usage/config/input error (1) > 0 done (0). A code
 * outside 0..4 (a child killed by a signal) counts as 1, failed. */
int multi_severity(int code);

/* The run's exit code: the most severe of codes[0..n) by multi_severity
 * (a code outside 0..4 becomes 1); 0 when n is 0. */
int multi_exit_code(const int *codes, size_t n);

/* Every environment of the config file (path; NULL or "": $VAULTDR_CONFIG,
 * else ./vault_dr.cfg, as config_load): the <Env> of each
 * [Vault-Cluster-<Env>] section, in file order, into *envs (malloc'd array
 * of malloc'd strings; free with multi_envs_free). 0 / -1 (err_set: the
 * file cannot be read or parsed, or it has no such section). */
int multi_config_envs(const char *path, char ***envs, size_t *n);
void multi_envs_free(char **envs, size_t n);

/* Runs o->cmd for envs[0..n) concurrently: one child per environment,
 * which sets o->env and calls one(o) and exits with its result (one is
 * what main does for a single environment: config, run, final error line).
 * A confirmation is asked once for every environment whose plan changes
 * something when o is a changing command without --dry-run or -y and
 * standard input is a terminal. Returns the run's exit code
 * (multi_exit_code over the children's). o->json selects the JSON form of
 * the table. Secrets are never prompted for in a child (it has no
 * controlling terminal): they come from the environment. */
int multi_run(const struct dr_opts *o, char *const *envs, size_t n,
    int (*one)(struct dr_opts *o));

#endif
