/* test_hook.c - hooks: command-line splitting, the secret-free
 * environment, stdin, exit status, timeout. Hooks are small sh scripts
 * written to a temp dir and run by path (hook_run itself uses no shell). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "retry.h"
#include "secret.h"
#include "t.h"

static void
split_words(void)
{
	char **v = NULL;

	CHECK(hook_split("/bin/x  a 'b c' \"d \\\"e\\\"\" f\\ g", &v) == 5);
	if (v) {
		CHECK_STREQ(v[0], "/bin/x");
		CHECK_STREQ(v[1], "a");
		CHECK_STREQ(v[2], "b c");
		CHECK_STREQ(v[3], "d \"e\"");
		CHECK_STREQ(v[4], "f g");
		CHECK(v[5] == NULL);
	}
	hook_argv_free(v);
	CHECK(hook_split("   ", &v) == -1 && v == NULL);
	CHECK(strstr(err_get(), "empty") != NULL);
	CHECK(hook_split("/bin/x 'open", &v) == -1);
	CHECK(strstr(err_get(), "unterminated") != NULL);
	CHECK(hook_split("/bin/x \"open", &v) == -1);
}

static void
secret_names(void)
{
	CHECK(hook_env_is_secret("VAULT_TOKEN"));
	CHECK(hook_env_is_secret("VAULT_RECOVERY_KEY_1"));
	CHECK(hook_env_is_secret("VAULT_RECOVERY_KEY_12"));
	CHECK(hook_env_is_secret("AWS_SECRET_ACCESS_KEY"));
	CHECK(hook_env_is_secret("AWS_SESSION_TOKEN"));
	CHECK(hook_env_is_secret("VAULT_DR_OPERATION_TOKEN"));
	CHECK(!hook_env_is_secret("VAULT_TOKENS"));
	CHECK(!hook_env_is_secret("VAULT_ADDR"));
	CHECK(!hook_env_is_secret("PATH"));
}

/* Writes an executable sh script into a fresh temp dir; returns its path. */
static char *
script(const char *body)
{
	static char path[256];
	char dir[] = "/tmp/vaultdr-hook-XXXXXX";
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/hook.sh", dir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0700);
	return path;
}

static char *
slurp(const char *path)
{
	return t_read_file(path, NULL);
}

static void
environment_and_stdin(void)
{
	struct hook_env e = { "failover", "prod", "pre_change",
		"https://b.example", "https://a.example", -1 };
	struct secret s = { 0 };
	char *p, out[300], cmd[700], *txt;
	int st = -1;

	setenv("VAULT_TOKEN", "hvs.HookSecret-Token-123", 1);
	setenv("VAULT_RECOVERY_KEY_3", "rk-HookSecret-Share", 1);
	setenv("SOME_OTHER", "carries-hvs.Registered-Secret-99 inside", 1);
	setenv("HTTPS_PROXY", "http://user:pw@proxy:3128", 1);
	setenv("VAULTDR_PHASE", "forged", 1);
	secret_set(&s, "hvs.Registered-Secret-99", 24);
	p = script("env > \"$(dirname \"$0\")/env.txt\"; "
	    "cat > \"$(dirname \"$0\")/stdin.txt\"; exit 7");
	if (!CHECK(p != NULL))
		return;
	snprintf(out, sizeof(out), "%s", p);
	*strrchr(out, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "%s arg1", p);
	CHECK(hook_run("pre_change", cmd, &e, "{\"step\":\"summary\"}", 10,
	    &st) == 0);
	CHECK(st == 7);
	snprintf(cmd, sizeof(cmd), "%s/env.txt", out);
	txt = slurp(cmd);
	CHECK(txt != NULL);
	if (txt != NULL) {
		CHECK(strstr(txt, "VAULTDR_CMD=failover\n") != NULL);
		CHECK(strstr(txt, "VAULTDR_ENV=prod\n") != NULL);
		CHECK(strstr(txt, "VAULTDR_PHASE=pre_change\n") != NULL);
		CHECK(strstr(txt, "VAULTDR_NEW_PRIMARY=https://b.example\n"));
		CHECK(strstr(txt, "VAULTDR_OLD_PRIMARY=https://a.example\n"));
		CHECK(strstr(txt, "VAULTDR_EXIT_CODE") == NULL);
		CHECK(strstr(txt, "forged") == NULL);
		CHECK(strstr(txt, "HookSecret") == NULL);
		CHECK(strstr(txt, "Registered-Secret") == NULL);
		CHECK(strstr(txt, "user:pw") == NULL);
		CHECK(strstr(txt, "PATH=") != NULL);
	}
	free(txt);
	snprintf(cmd, sizeof(cmd), "%s/stdin.txt", out);
	txt = slurp(cmd);
	CHECK(txt && strcmp(txt, "{\"step\":\"summary\"}") == 0);
	free(txt);
	secret_wipe(&s);
	unsetenv("VAULT_TOKEN");
	unsetenv("VAULT_RECOVERY_KEY_3");
	unsetenv("SOME_OTHER");
	unsetenv("HTTPS_PROXY");
	unsetenv("VAULTDR_PHASE");
}

static void
timeout_kills(void)
{
	struct hook_env e = { "failover", "prod", "post", NULL, NULL, 0 };
	long long t0 = retry_now_ms();
	char *p = script("sleep 30 & sleep 30");
	int st = -1;

	if (!CHECK(p != NULL))
		return;
	CHECK(hook_run("post", p, &e, NULL, 0.5, &st) == -1);
	CHECK(strstr(err_get(), "timed out") != NULL);
	CHECK(retry_now_ms() - t0 < 5000);
}

static void
not_a_path_or_missing(void)
{
	struct hook_env e = { 0 };
	int st = -1;

	e.exit_code = -1;
	CHECK(hook_run("fence", "true", &e, NULL, 5, &st) == -1);
	CHECK(strstr(err_get(), "not a path") != NULL);
	CHECK(hook_run("fence", "/nonexistent/hook --x", &e, NULL, 5, &st) == -1);
	CHECK(strstr(err_get(), "cannot run /nonexistent/hook") != NULL);
}

static void
output_passes_through(void)
{
	struct hook_env e = { 0 };
	char *p = script("echo fenced; echo oops >&2; exit 0");
	int st = -1;

	e.exit_code = -1;
	if (!CHECK(p != NULL))
		return;
	CHECK(hook_run("fence", p, &e, NULL, 5, &st) == 0 && st == 0);
}

void
suite_hook(void)
{
	T_RUN(split_words);
	T_RUN(secret_names);
	T_RUN(environment_and_stdin);
	T_RUN(timeout_kills);
	T_RUN(not_a_path_or_missing);
	T_RUN(output_passes_through);
}
