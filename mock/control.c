/* control.c - the mock's control API (plain HTTP on the control port; never
 * logged or faulted): an endpoint table, one function per endpoint. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "mock/control.h"

static void
ctl_health(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	(void)set_listener;
	(void)q;
	buf_puts(&r->body, "{\"ok\":true}");
}

static void
ctl_state(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	(void)set_listener;
	(void)q;
	pthread_mutex_lock(&M.mu);
	state_tick();
	state_json(&r->body);
	state_save();
	pthread_mutex_unlock(&M.mu);
}

static void
ctl_faults_get(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	struct json_writer w;
	size_t i;

	(void)set_listener;
	(void)q;
	json_w_init(&w, &r->body);
	pthread_mutex_lock(&M.mu);
	json_arr_begin(&w);
	for (i = 0; i < M.nfaults; i++) {
		const struct fault *f = &M.faults[i];

		json_obj_begin(&w);
		json_key(&w, "listener");
		json_str(&w, f->listener < 0 ? "*" :
		    listener_names[f->listener]);
		json_key(&w, "method");
		json_str(&w, f->method);
		json_key(&w, "path");
		json_str(&w, f->path);
		json_key(&w, "action");
		json_str(&w, fault_action_names[f->action]);
		json_key(&w, "status");
		json_int(&w, f->status);
		json_key(&w, "skip_left");
		json_int(&w, f->skip);
		json_key(&w, "count_left");
		json_int(&w, f->count);
		json_obj_end(&w);
	}
	json_arr_end(&w);
	pthread_mutex_unlock(&M.mu);
}

static void
ctl_faults_set(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	char why[512];
	struct fault *f;
	size_t n;

	(void)set_listener;
	if (faults_parse(q->body.data ? q->body.data : "", q->body.len,
	    &f, &n, why, sizeof(why)) == -1) {
		r->status = 400;
		buf_puts(&r->body, "{\"error\":");
		json_append_str(&r->body, why);
		buf_puts(&r->body, "}");
		return;
	}
	pthread_mutex_lock(&M.mu);
	faults_free(M.faults, M.nfaults);
	M.faults = f;
	M.nfaults = n;
	pthread_mutex_unlock(&M.mu);
	buf_printf(&r->body, "{\"ok\":true,\"rules\":%zu}", n);
}

/* Listeners the control API may switch, and the states it may set. */
static const struct {
	const char *name;
	int which;
} switchable[] = {
	{ "a", L_A }, { "b", L_B }, { "route53", L_R53 }, { "imds", L_IMDS },
};
static const struct {
	const char *name;
	enum lstate st;
} lstates[] = {
	{ "up", LS_UP }, { "down", LS_DOWN }, { "blackhole", LS_BLACKHOLE },
};

static void
ctl_listener(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	struct json j = { 0 };
	char *name = NULL, *st = NULL;
	int which = -1, rc, known_st = 0;
	enum lstate ls = LS_UP;
	size_t k;

	if (json_parse(&j, q->body.data ? q->body.data : "",
	    q->body.len) == 0) {
		json_get_str(&j, 0, "name", &name);
		json_get_str(&j, 0, "state", &st);
	}
	json_free(&j);
	for (k = 0; name && k < sizeof(switchable) / sizeof(switchable[0]); k++)
		if (strcmp(name, switchable[k].name) == 0)
			which = switchable[k].which;
	for (k = 0; st && k < sizeof(lstates) / sizeof(lstates[0]); k++)
		if (strcmp(st, lstates[k].name) == 0) {
			ls = lstates[k].st;
			known_st = 1;
		}
	free(name);
	free(st);
	if (which < 0 || !known_st) {
		r->status = 400;
		buf_puts(&r->body, "{\"error\":\"want {\\\"name\\\":"
		    "\\\"a|b|route53|imds\\\",\\\"state\\\":"
		    "\\\"up|down|blackhole\\\"}\"}");
		return;
	}
	pthread_mutex_lock(&M.mu);
	rc = set_listener(which, ls);
	state_save();
	pthread_mutex_unlock(&M.mu);
	if (rc == -1) {
		r->status = 500;
		buf_puts(&r->body, "{\"error\":");
		json_append_str(&r->body, err_get());
		buf_puts(&r->body, "}");
		return;
	}
	buf_puts(&r->body, "{\"ok\":true}");
}

static const struct {
	const char *path;
	const char *methods; /* space separated */
	void (*fn)(const struct mreq *q, struct mresp *r,
	    control_set_listener_fn set_listener);
} endpoints[] = {
	{ "/health", "GET", ctl_health },
	{ "/state", "GET", ctl_state },
	{ "/faults", "GET", ctl_faults_get },
	{ "/faults", "POST PUT", ctl_faults_set },
	{ "/listener", "POST PUT", ctl_listener },
};

/* 1 when method is one of the space-separated list. */
static int
method_in(const char *list, const char *method)
{
	size_t n = strlen(method);

	while (*list) {
		size_t k = strcspn(list, " ");

		if (k == n && strncmp(list, method, n) == 0)
			return 1;
		list += k;
		list += strspn(list, " ");
	}
	return 0;
}

void
control_handle(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener)
{
	size_t i;

	r->ctype = "application/json";
	r->status = 200;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(q->path, endpoints[i].path) == 0 &&
		    method_in(endpoints[i].methods, q->method)) {
			endpoints[i].fn(q, r, set_listener);
			return;
		}
	r->status = 404;
	buf_puts(&r->body, "{\"error\":\"control API: GET /health, GET /state, "
	    "GET|POST /faults, POST /listener\"}");
}
