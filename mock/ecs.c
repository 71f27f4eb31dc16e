/* ecs.c - the mock's container credentials endpoint (what ECS tasks and EKS
 * Pod Identity read through AWS_CONTAINER_CREDENTIALS_FULL_URI), served on
 * the instance metadata listener (plain HTTP, 127.0.0.1) at a path outside
 * /latest/, optionally requiring an Authorization header. It hands out
 * credentials that the mock's Route 53 accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mock/state.h"
#include "mock/handler.h"
#include "mock/strset.h"

/* Scenario "container" (read-only once loaded). */
static struct {
	char *path, *auth, *ak, *sk, *tok, *expiration;
} E;

static const struct strset keys[] = {
	{ "container.path", &E.path, 0 },
	{ "container.authorization", &E.auth, 0 },
	{ "container.access_key", &E.ak, 0 },
	{ "container.secret_key", &E.sk, 0 },
	{ "container.token", &E.tok, 0 },
	{ "container.expiration", &E.expiration, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int
mecs_key_allowed(const char *path)
{
	return strcmp(path, "container") == 0 ||
	    strset_has(keys, NKEYS, path);
}

int
mecs_load(const struct json *j, char *why, size_t whysz)
{
	if (strset_load(keys, NKEYS, j, why, whysz) == -1)
		return -1;
	if (E.path && (E.path[0] != '/' || strncmp(E.path, "/latest/", 8) ==
	    0)) {
		snprintf(why, whysz, "container.path: must start with '/' and "
		    "not be under /latest/ (instance metadata)");
		return -1;
	}
	if (strset_default(&E.path, "/v2/credentials/mock-task") == -1 ||
	    strset_default(&E.ak, M.r53_access_key) == -1 ||
	    strset_default(&E.sk, M.r53_secret_key) == -1 ||
	    strset_default(&E.tok, M.r53_session_token ? M.r53_session_token :
	    "mock-container-session-token") == -1) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	return 0;
}

int
mecs_handle(const struct mreq *q, struct mresp *r)
{
	const char *auth = mreq_header(q, "authorization");
	char exp[40];
	time_t t = (time_t)(wall_ms() / 1000 + 6 * 3600);
	struct tm tm;

	if (strcmp(q->path, E.path) != 0)
		return 0;
	if (strcmp(q->method, "GET") != 0) {
		mimds_error(r, 405);
		return 1;
	}
	if (E.auth && (auth == NULL || strcmp(auth, E.auth) != 0)) {
		r->status = 401;
		r->ctype = "application/json";
		buf_puts(&r->body, "{\"code\":\"InvalidToken\",\"message\":"
		    "\"Authorization token is missing or invalid\"}");
		return 1;
	}
	if (E.expiration)
		snprintf(exp, sizeof(exp), "%s", E.expiration);
	else {
		gmtime_r(&t, &tm);
		strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	r->status = 200;
	r->ctype = "application/json";
	buf_puts(&r->body, "{\"RoleArn\":\"arn:aws:iam::123456789012:role/"
	    "vaultdr-task\",\"AccessKeyId\":");
	json_append_str(&r->body, E.ak);
	buf_puts(&r->body, ",\"SecretAccessKey\":");
	json_append_str(&r->body, E.sk);
	buf_puts(&r->body, ",\"Token\":");
	json_append_str(&r->body, E.tok);
	buf_puts(&r->body, ",\"Expiration\":");
	json_append_str(&r->body, exp);
	buf_puts(&r->body, "}");
	return 1;
}
