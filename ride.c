/* ride.c - reads that ride along with the engine's own requests (issue 13;
 * http_set_rider): while the old cluster is re-attached, the Route 53
 * change's INSYNC poll goes out with its requests every poll interval
 * instead of waiting for the re-attach to end; and the old primary's last
 * WAL (Safety 5) is read together with the last key share of the new
 * cluster's DR operation token, in the same round trip, just before the
 * demote. Riders only read, and only other servers than the request's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

enum { RIDE_NONE, RIDE_INSYNC, RIDE_WAL };

static size_t
ride_add(void *ctx, const struct http_client *c, const char *method,
    const char *url, struct http_job *out)
{
	struct exec *x = ctx;
	struct ride *r = &x->ride;
	struct r53 *r53 = x->run->rec->r53;
	static const char upd[] = "/generate-operation-token/update";
	size_t n = strlen(url);
	long long now = retry_now_ms(),
	    every = (long long)(x->run->c->poll_interval * 1000);

	if (r->kind == RIDE_INSYNC) {
		/* Every poll interval from the change: a slot that passed
		 * with no request to ride on is skipped. */
		if (c == r53->http || now < r->next_ms)
			return 0;
		r53_prefetch_free(&r->p);
		if (r53_change_job(r53, x->ch.id, &r->p) == -1)
			return 0;
		while (r->next_ms <= now)
			r->next_ms += every > 0 ? every : 1;
		out[0] = r->p.job;
		return 1;
	}
	/* The WAL read goes with the last key share sent to new. */
	if (r->kind != RIDE_WAL || strcmp(method, "POST") != 0 ||
	    n < sizeof(upd) - 1 || strcmp(url + n - (sizeof(upd) - 1), upd) ||
	    r->left-- > 1)
		return 0;
	r->kind = RIDE_NONE;
	vault_observe_jobs(V(x->run, x->old), r->vj);
	out[0] = r->vj[0].job; /* dr/status, as vault_observe_dr sends it */
	return 1;
}

static void
ride_done(void *ctx, struct http_job *jobs, size_t n)
{
	struct exec *x = ctx;
	struct ride *r = &x->ride;
	char *id = NULL;
	int insync = 0, stop = 1; /* no answer: the INSYNC wait polls */

	if (n == 0)
		return;
	if (r->kind != RIDE_INSYNC) {
		http_keep(jobs, n); /* read_last_wal takes it */
		return;
	}
	if (jobs[0].rc == 0 && jobs[0].resp.status == 200 &&
	    r53_parse_change_info(jobs[0].resp.body, jobs[0].resp.body_len,
	    "GetChangeResponse", &id, &insync) == 0) {
		log_verbose("Route 53 change %s: %s (polled during the "
		    "re-attach)", x->ch.id, insync ? "INSYNC" : "PENDING");
		r->seen = insync;
		stop = insync;
	}
	if (stop)
		r->kind = RIDE_NONE;
	free(id);
	http_response_free(&jobs[0].resp);
}

static void
ride_start(struct exec *x, int kind)
{
	struct ride *r = &x->ride;

	r53_prefetch_free(&r->p);
	r->kind = kind;
	r->seen = 0;
	r->hr = (struct http_rider){ ride_add, ride_done, x };
	http_set_rider(&r->hr);
}

void
ride_insync(struct exec *x)
{
	if (x->run->rec == NULL || x->run->rec->r53 == NULL || !x->ch.id[0])
		return;
	ride_start(x, RIDE_INSYNC);
	x->ride.next_ms = retry_now_ms() +
	    (long long)(x->run->c->poll_interval * 1000);
}

void
ride_wal(struct exec *x, int shares)
{
	if (shares <= 0)
		return;
	ride_start(x, RIDE_WAL);
	x->ride.left = shares;
}

void
ride_stop(struct exec *x)
{
	http_set_rider(NULL);
	x->ride.kind = RIDE_NONE;
	r53_prefetch_free(&x->ride.p);
}
