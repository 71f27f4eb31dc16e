/* observe.c - one read of the world: both clusters (re-read while a
 * promote or demote settles), the record set at the CNAME with the hosted
 * zone's name, and the run lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "retry.h"

/* An untrusted certificate names the variable that fixes it. */
static void
tls_hint(char *msg, size_t msgsz, int vault)
{
	size_t n = strlen(msg);

	if (strstr(msg, "not trusted") == NULL || strstr(msg, "_CA") != NULL)
		return;
	snprintf(msg + n, msgsz - n, "; %s", vault ? "set VAULT_CACERT (or "
	    "VAULT_CAPATH) to the CA that signed the Vault cluster's "
	    "certificate" : "set AWS_CA_BUNDLE to the CA bundle that signed "
	    "the Route 53 endpoint's certificate");
}

/* The record set at the CNAME, read without a type filter (Safety 4), and
 * (Route 53) the hosted zone's name, through the DNS backend (dnsrec.h). */
static void
observe_record(struct run *run, struct world *w)
{
	struct dnsrec_set set;

	w->rec_kind = run->c->record_kind; /* what Safety 4 checks for */
	if (dnsrec_read(run->rec, &set) == -1) {
		w->rec_rejected = run->rec->rejected;
		snprintf(w->rec_error, sizeof(w->rec_error), "%s", err_get());
		tls_hint(w->rec_error, sizeof(w->rec_error), 0);
		return;
	}
	w->rec_ttl = set.shape == DNSREC_ONE ? set.ttl : 0;
	if (set.shape == DNSREC_ONE && set.value.kind == w->rec_kind) {
		if ((w->rec_value = strdup(set.value.target)) == NULL) {
			snprintf(w->rec_error, sizeof(w->rec_error), "out of "
			    "memory");
			return;
		}
		w->rec_found = 1;
	} else if (set.shape != DNSREC_ABSENT) {
		size_t n;

		if (set.other[0])
			snprintf(w->rec_bad, sizeof(w->rec_bad), "%s",
			    set.other);
		else
			snprintf(w->rec_bad, sizeof(w->rec_bad), "%s holds %s",
			    run->c->cname, dnsrec_kind_name(set.value.kind));
		n = strlen(w->rec_bad);
		if (w->rec_kind != DNSREC_CNAME)
			snprintf(w->rec_bad + n, sizeof(w->rec_bad) - n,
			    " (declared %s)", dnsrec_kind_name(w->rec_kind));
	}
	w->rec_ok = 1;
	if (set.in_zone >= 0) {
		snprintf(w->zone_name, sizeof(w->zone_name), "%s", set.zone);
		w->zone = set.in_zone ? ZONE_INSIDE : ZONE_OUTSIDE;
	}
}

void
observe_prefetch(struct run *run, int sides, int record)
{
	struct vault_job vj[2][2], tj[2], pj;
	struct r53_prefetch rp[4];
	struct http_job jobs[12];
	struct r53 *r53 = run->rec ? run->rec->r53 : NULL;
	size_t n = 0, nr = 0, k;
	char *lname;

	for (k = 0; k < 2; k++) {
		if (!(sides & (1 << k)))
			continue;
		vault_observe_jobs(&run->v[k], vj[k]);
		jobs[n++] = vj[k][0].job;
		jobs[n++] = vj[k][1].job;
	}
	/* The token check (preflight) asks the DR primary, which is the side
	 * the command moves away from unless an earlier run moved it: its
	 * reads go with this round's (a wrong guess only wastes them). */
	memset(tj, 0, sizeof(tj));
	if (record && run->prefetch_token > 0 &&
	    vault_preflight_jobs(&run->v[run->prefetch_token - 1],
	    preflight_cap_paths, 3, tj) == 0) {
		jobs[n++] = tj[0].job;
		jobs[n++] = tj[1].job;
	}
	if (record && run->prefetch_perf > 0) {
		vault_perf_job(&run->v[run->prefetch_perf - 1], &pj);
		jobs[n++] = pj.job;
	}
	/* The Route 53 backend's reads (dnsrec.c's r53_read and lock read);
	 * the rfc2136 backend's go out after, as before. */
	if (record && r53 != NULL && dnsrec_usable(run->rec)) {
		if (r53_list_job(r53, run->rec->name, &rp[nr]) == 0)
			jobs[n++] = rp[nr++].job;
		if (!run->rec->zone_read && r53_zone_job(r53, &rp[nr]) == 0)
			jobs[n++] = rp[nr++].job;
		if (!run->lock_taken && !run->o->no_lock &&
		    (lname = r53_lock_name(run->rec->name)) != NULL) {
			if (r53_list_job(r53, lname, &rp[nr]) == 0)
				jobs[n++] = rp[nr++].job;
			free(lname);
		}
		if (run->prefetch_change &&
		    r53_change_job(r53, run->prefetch_change, &rp[nr]) == 0)
			jobs[n++] = rp[nr++].job;
	}
	(void)http_prefetch(jobs, n);
	for (k = 0; k < nr; k++)
		r53_prefetch_free(&rp[k]);
	vault_job_free(&tj[1]);
}

/* Reads both clusters, the record and (unless this run holds it) the run
 * lock. settle: a cluster answering 5xx (a promote or demote still
 * settling) is re-read until ready_timeout; 0 for a final read after a stop
 * request (one pass, bounded by the request deadlines). */
void
observe(struct run *run, struct world *w, int settle)
{
	long long deadline = retry_now_ms() +
	    (long long)(run->c->ready_timeout * 1000);
	int k;

	world_clear(w);
	if (run->observed_ahead)
		run->observed_ahead = 0; /* the INSYNC poll's reads */
	else
		observe_prefetch(run, 3, 1);
	for (k = 0; k < 2; k++) {
		struct world_side *s = &w->side[k];
		for (;;) {
			vault_status_free(&s->st);
			if (vault_observe(V(run, s), &s->st) == 0 ||
			    s->st.fail != VF_SERVER || !settle ||
			    retry_now_ms() > deadline || retry_stop_requested)
				break;
			log_verbose("%s is not ready yet: %s", s->label,
			    s->st.error);
			(void)lock_keep(run);
			retry_sleep(run->c->poll_interval);
		}
		tls_hint(s->st.error, sizeof(s->st.error), 1);
	}
	if (dnsrec_usable(run->rec)) {
		observe_record(run, w);
	} else
		snprintf(w->rec_error, sizeof(w->rec_error), "%s",
		    run->aws_error[0] ? run->aws_error : "no AWS credentials");
	lock_observe(run, w);
	/* The token check's and the performance status's answers wait for
	 * their readers (the loop forgets them after the checks); nothing
	 * else is kept past the observation. */
	for (k = 0; k < 2; k++)
		if (k + 1 != run->prefetch_token && k + 1 != run->prefetch_perf)
			http_forget_url(run->v[k].http, run->v[k].url);
	if (run->rec && run->rec->r53)
		http_forget(run->rec->r53->http);
}

void
observe_forget(struct run *run)
{
	http_forget(run->v[0].http);
	http_forget(run->v[1].http);
	if (run->rec && run->rec->r53)
		http_forget(run->rec->r53->http);
}
