#!/usr/bin/env python3
"""Safety under ambiguous outcomes (issue 10; DESIGN.md Safety 1, 2, 3, 6,
8, 10): one case per observation of the issue, plus the run lock.

Every case asserts the exit code, the mock's final state, the exact
changing requests vaultdr sent (in order, Route 53 batches named by action
and record), and that two DR primaries never existed at once. Ends with
"N passed, N failed".
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402
from test_dr import check  # noqa: E402

DR = "/v1/sys/replication/dr/"
PROMOTE = DR + "secondary/promote"
DEMOTE = DR + "primary/demote"
LOCK = h.LOCK_NAME
# ListResourceRecordSets only (GetHostedZone shares the /hostedzone/ prefix).
RRSET = "/2013-04-01/hostedzone/%s/rrset" % h.ZONE

# Short names for the changing requests, so that a case states the exact
# sequence it expects.
NAMES = {
    ("DELETE", DR + "secondary/generate-operation-token/attempt"): "attempt-cancel",
    ("POST", DR + "secondary/generate-operation-token/attempt"): "attempt-start",
    ("POST", DR + "secondary/generate-operation-token/update"): "key-share",
    ("POST", DEMOTE): "demote",
    ("POST", PROMOTE): "promote",
    ("POST", DR + "primary/revoke-secondary"): "revoke-secondary",
    ("POST", DR + "primary/secondary-token"): "secondary-token",
    ("POST", DR + "secondary/update-primary"): "update-primary",
    ("POST", DR + "secondary/operation-token/delete"): "token-delete",
}


def r53_batch(body):
    """'CREATE lock', 'UPSERT cname', 'DELETE+CREATE lock', ..."""
    acts = re.findall(r"<Action>(\w+)</Action>", body or "")
    names = re.findall(r"<Name>([^<]+)</Name>", body or "")
    what = {n.rstrip(".") for n in names}
    rec = ("lock" if what == {LOCK} else "cname" if what == {h.CNAME}
           else ",".join(sorted(what)))
    return "%s %s" % ("+".join(acts), rec)


def ops(log):
    out = []
    for e in sorted(h.changing(log), key=lambda e: e["seq"]):
        if e["listener"] == "route53":
            out.append("route53 " + r53_batch(e.get("body")))
        else:
            out.append("%s %s" % (e["listener"], NAMES.get(
                (e["method"], e["path"]), e["method"] + " " + e["path"])))
    return out


def tokgen(x):
    """Token generation on x from two shares. The attempt's state is read
    once per run: a cancel is sent only when an attempt is in progress
    (stale_attempt_cancelled)."""
    return ["%s attempt-start" % x, "%s key-share" % x, "%s key-share" % x]


TAKE = ["route53 CREATE lock"]
RELEASE = ["route53 DELETE lock"]
# A complete planned failover, lock included.
FAILOVER = (TAKE + tokgen("b") + ["a demote", "b promote", "route53 UPSERT cname"]
            + tokgen("a") + ["b revoke-secondary", "b secondary-token",
                             "a update-primary", "a token-delete"] + RELEASE)


def settled_log(c, timeout=3):
    """The request log once every request the mock counted is in it (the
    mock writes a served request's line after sending its answer)."""
    deadline = time.time() + timeout
    while True:
        n = c.mock.state()["requests"]
        log = c.mock.log()
        if len(log) >= n or time.time() > deadline:
            return log
        time.sleep(0.02)


def check_ops(c, want, r=None):
    got = ops(settled_log(c))
    check(got == want, "changing requests:\n  got  %s\n  want %s" % (got, want), r)


def lock_records(st):
    return [x for x in st["route53"]["records"]
            if x["name"].rstrip(".") == LOCK]


def check_final(c, r, failed_over=True, lock=False):
    """Final mock state: failed over (or unchanged), never two primaries,
    and no lock left (unless lock)."""
    if failed_over:
        st = h.assert_failed_over(c, r)
    else:
        st = h.assert_unchanged(c, r)
    check(st["max_primaries_up"] <= 1, "two primaries existed at once", st)
    check(bool(lock_records(st)) == lock, "lock record %s" %
          ("expected" if lock else "left behind"), st["route53"])
    return st


def lock_value(owner="ops@bastion-1", pid=4242, cmd="failover", env="test",
               expires=4102444800):
    return '"owner=%s pid=%d cmd=%s env=%s expires=%d"' % (
        owner, pid, cmd, env, expires)


def with_lock(c, value):
    """Restarts c's mock with a lock record already in the zone."""
    c.close()
    s = h.scenario()
    s["route53"]["records"].append({"name": LOCK + ".", "type": "TXT",
                                    "ttl": 60, "value": value})
    c.__init__(c.name, s)


def fault(listener, method, path, action, **kw):
    f = {"listener": listener, "method": method, "path": path,
         "action": action, "count": 1}
    f.update(kw)
    return f


def check_fired(c, action, n=1):
    """The mock's request log shows the fault acted n times."""
    hit = [e for e in c.mock.log() if e.get("action") == action]
    check(len(hit) == n, "fault %s fired %d times, want %d" % (action, len(hit), n),
          [(e["listener"], e["method"], e["path"], e.get("action"))
           for e in c.mock.log()])


def start(c, *args, env=None):
    argv = (h.WRAP.split() if h.WRAP else []) + [h.VAULTDR, "-c", c.cfg] + list(args)
    return subprocess.Popen(argv, env=env or c.env(), cwd=c.dir,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(c, p, t0=None, timeout=30):
    t0 = t0 or time.time()
    out, err = p.communicate(timeout=timeout)
    r = h.Result(p.returncode, out, err, time.time() - t0)
    c.outputs.append(r)
    return r


def wait_for(c, listener, path, method="POST", timeout=10):
    deadline = time.time() + timeout
    while not h.requests(c.mock.log(), method, listener, path):
        check(time.time() < deadline, "%s %s never arrived" % (method, path))
        time.sleep(0.02)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ------------------------------------------------------ the observations

@case
def obs1_promote_504_after_acting(c):
    """A proxy answers 504 after Vault promoted: outcome unknown, re-read,
    b is primary: go on. No second promote, no rollback."""
    c.mock.faults([fault("b", "POST", PROMOTE, "apply_status", status=504)])
    r = c.run("failover", "test")
    check(r.code == 0, "failover completes from the re-read", r)
    check("outcome of POST" in r.err and "unknown" in r.err,
          "the unknown outcome is reported", r)
    check("rolled back" not in r.out + r.err, "no rollback", r)
    check_ops(c, FAILOVER, r)
    check_final(c, r)
    check_fired(c, "apply_status")


@case
def obs2_keepalive_drop_after_promote(c):
    """The promote reaches Vault on a kept-alive connection that then
    closes: never re-sent by the transport, re-read, completed."""
    c.mock.faults([fault("b", "POST", PROMOTE, "apply_hangup")])
    r = c.run("failover", "test")
    check(r.code == 0, "failover completes from the re-read", r)
    log = c.mock.log()
    pr = h.requests(log, "POST", "b", PROMOTE)
    check(any(e["seq"] < pr[0]["seq"] for e in h.requests(log, "GET", "b")),
          "b was read before the promote (connection reused)")
    check_ops(c, FAILOVER, r)
    check_final(c, r)
    check_fired(c, "apply_hangup")


@case
def obs3_promote_slower_than_timeout(c):
    """Vault promotes at once but answers after the request deadline: the
    re-read finds b primary; no second promote, no rollback."""
    c.mock.faults([fault("b", "POST", PROMOTE, "apply_delay", latency_ms=3000)])
    r = c.run("failover", "test", env=c.env(VAULTDR_TIMEOUT="1"))
    check(r.code == 0, "failover completes from the re-read", r)
    check("rolled back" not in r.out + r.err, "no rollback", r)
    check_ops(c, FAILOVER, r)
    check_final(c, r)
    check_fired(c, "apply_delay")


@case
def obs4_concurrent_runs_one_wins(c):
    """A second run starts while the first waits for a slow promote answer:
    it finds the lock held and exits 4 naming the owner, changing nothing;
    the first completes and removes its lock."""
    c.mock.faults([fault("b", "POST", PROMOTE, "apply_delay", latency_ms=2500)])
    p1 = start(c, "failover", "test", env=c.env(VAULTDR_TIMEOUT="10"))
    try:
        wait_for(c, "b", PROMOTE)
        r2 = c.run("failover", "test")
    finally:
        r1 = finish(c, p1)
    check(r2.code == 4, "the second run is refused", r2)
    check("holds the lock" in r2.err and "owner=" in r2.err and
          "pid=%d" % p1.pid in r2.err, "the refusal names the owner", r2)
    check("expires at" in r2.err, "and the expiry", r2)
    check(r1.code == 0, "the first run completes", r1)
    check_ops(c, FAILOVER, r1)  # nothing from the second run
    check_final(c, r1)
    check_fired(c, "apply_delay")


@case
def obs5_demote_504_after_acting(c):
    """A proxy answers 504 after Vault demoted: re-read (a is secondary),
    promote b, finish; the summary comes from the final read."""
    c.mock.faults([fault("a", "POST", DEMOTE, "apply_status", status=504)])
    r = c.run("failover", "test")
    check(r.code == 0, "failover completes from the re-read", r)
    check_ops(c, FAILOVER, r)
    check_final(c, r)
    check("secondary cluster DR primary" in r.out, "summary from the read", r)
    check_fired(c, "apply_status")


@case
def obs5b_demote_504_then_promote_refused(c):
    """Demote answered 504 after acting, then the promote is refused: the
    rollback is decided from a fresh read and the error's every claim comes
    from the final read."""
    c.mock.faults([fault("a", "POST", DEMOTE, "apply_status", status=504),
                   fault("b", "POST", PROMOTE, "status", status=400, count=0,
                         body='{"errors":["injected promotion failure"]}')])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("injected promotion failure" in r.err, "Vault's message", r)
    check("rolled back: the primary cluster" in r.err and
          "DR primary again" in r.err, "rollback reported from the read", r)
    check("Failover test: failed" in r.out and
          "primary cluster DR primary" in r.out and
          "secondary cluster DR secondary" in r.out, "summary from the read", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote"] + tokgen("a") +
              ["a promote", "b token-delete"] + RELEASE, r)
    check_final(c, r, failed_over=False)
    check_fired(c, "apply_status")


@case
def promote_in_doubt_blocks_rollback(c):
    """A promote whose answer is lost (not applied here), re-read: b still a
    DR secondary, so it is promoted again and Vault refuses that one. The
    first may still take effect, so a (fresh-read) rollback is not allowed:
    promoting a again could leave two primaries. Exit 1, both secondaries,
    the error says why; a re-run converges."""
    c.mock.faults([fault("b", "POST", PROMOTE, "hangup"),
                   fault("b", "POST", PROMOTE, "status", status=400, count=1,
                         body='{"errors":["injected promotion failure"]}')])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("injected promotion failure" in r.err and "no rollback" in r.err and
          "unknown outcome" in r.err, "the error says why nothing was rolled "
          "back", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote", "b promote",
                                       "b token-delete"] + RELEASE, r)
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "secondary" and
          st["clusters"]["b"]["mode"] == "secondary", "both secondaries", st)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    check("primary cluster DR secondary" in r.out and
          "secondary cluster DR secondary" in r.out, "summary from the read", r)
    r2 = c.run("failover", "test")
    check(r2.code == 0, "a re-run converges", r2)
    check_final(c, r2)


@case
def new_unreadable_after_lost_promote(c):
    """The promote's answer is lost (it was applied) and b's status then
    cannot be read: nothing more is changed (no rollback, no re-promote),
    exit 1, and no claim that nothing was changed."""
    # b's status reads: observe, the read after taking the lock, the
    # catch-up after the demote (Safety 5); then it fails.
    c.mock.faults([fault("b", "POST", PROMOTE, "apply_hangup"),
                   fault("b", "GET", DR + "status", "status", status=400,
                         skip=3, count=0, body='{"errors":["injected"]}')])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("cannot be read" in r.err, "says b cannot be read", r)
    check("nothing was changed" not in r.err and "nothing changed" not in
          r.out, "no false claim", r)
    check("secondary cluster unreadable" in r.out, "summary from the read", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote",
                                       "b token-delete"] + RELEASE, r)
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "secondary" and
          st["clusters"]["b"]["mode"] == "primary", "b promoted, a demoted", st)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    c.mock.faults([])
    r2 = c.run("failover", "test")
    check(r2.code == 0, "a re-run converges", r2)
    check_final(c, r2)


@case
def obs6_malformed_route53_listing(c):
    """A listing that does not parse is an error naming Route 53, never
    "absent": exit 1, nothing changed."""
    c.mock.faults([fault("route53", "GET", "/2013-04-01/hostedzone/", "status",
                         status=200, count=0,
                         body="<ListResourceRecordSetsResponse><ResourceRecordSets>"
                              "<ResourceRecordSet><Name>x")])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("cannot read the Route 53 record" in r.err, "names the read", r)
    check("(absent)" not in r.out and "desired state reached" not in r.out,
          "never read as absent", r)
    check_ops(c, [], r)
    check_final(c, r, failed_over=False)


@case
def obs6b_malformed_listing_in_final_read(c):
    """Everything done, but the final read of the record does not parse:
    the desired state is not shown, so no exit 0."""
    # Listings: observe (CNAME, lock), the read after taking the lock
    # (the take itself CREATEs without reading: the lock was just seen
    # free), then the final read of the CNAME, which goes with the INSYNC
    # poll that sees INSYNC: INSYNC at once makes it the first poll's.
    # (The listings only: GetHostedZone, read once per run, is not one.)
    c.close()
    s = h.scenario()
    s["route53"]["insync_delay_ms"] = 0
    c.__init__(c.name, s)
    c.mock.faults([fault("route53", "GET", RRSET, "status",
                         status=200, skip=3, count=1,
                         body="<ListResourceRecordSetsResponse><Resource")])
    r = c.run("failover", "test")
    check(r.code == 1, "no exit 0 without a read showing the CNAME", r)
    check("cannot read the Route 53 record" in r.err, "says why", r)
    check("could not be read" in r.out, "summary says the record is unknown", r)
    check_ops(c, FAILOVER, r)
    check_final(c, r)


@case
def obs7_drip_bounded_by_request_deadline(c):
    """A status answer dripping one byte per second fails after
    VAULTDR_TIMEOUT, is retried (a GET), and the run goes on."""
    c.mock.faults([fault("b", "GET", DR + "status", "drip", interval_ms=1000)])
    r = c.run("failover", "test", env=c.env(VAULTDR_TIMEOUT="2"))
    check(r.code == 0, "failover completes", r)
    check(r.secs < 12, "the drip is cut at the request deadline", r)
    check_ops(c, FAILOVER, r)
    check_final(c, r)
    check_fired(c, "drip")


def stopped_by(c, sig):
    """Stops a failover blocked on its promote with sig: exit 1 within
    seconds, a summary from a final read, the lock released, the DR token
    generated on b (still a DR secondary) deleted. A re-run converges."""
    c.mock.faults([fault("b", "POST", PROMOTE, "blackhole")])
    p = start(c, "failover", "test", env=c.env(VAULTDR_TIMEOUT="30"))
    try:
        wait_for(c, "b", PROMOTE)
        t0 = time.time()
        p.send_signal(sig)
    finally:
        r = finish(c, p, t0)
    check(r.code == 1, "exit 1", r)
    check(r.secs < 5, "stops without waiting for the I/O timeout", r)
    check("stopped by signal" in r.err and "re-run" in r.err, "report", r)
    check("Failover test: failed" in r.out and
          "primary cluster DR secondary" in r.out and
          "secondary cluster DR secondary" in r.out,
          "summary from the final read", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote",
                                       "b token-delete"] + RELEASE, r)
    st = c.mock.state()
    check(not lock_records(st), "lock released", st["route53"])
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    c.mock.faults([])
    rs = c.run("status", "test")
    check(rs.code == 1, "status exits 1 while no cluster is DR primary", rs)
    r2 = c.run("failover", "test")
    check(r2.code == 0, "a re-run converges", r2)
    check_final(c, r2)
    check(c.run("status", "test").code == 0, "status exits 0 once it is done")


@case
def obs8_sighup(c):
    stopped_by(c, signal.SIGHUP)


@case
def sigint_releases_lock(c):
    stopped_by(c, signal.SIGINT)


@case
def sigterm_releases_lock(c):
    stopped_by(c, signal.SIGTERM)


@case
def sighup_audit_record(c):
    """The audit log gets the summary of a run ended by SIGHUP."""
    path = os.path.join(c.dir, "audit.jsonl")
    c.mock.faults([fault("b", "POST", PROMOTE, "blackhole")])
    p = start(c, "--log", path, "failover", "test",
              env=c.env(VAULTDR_TIMEOUT="30"))
    try:
        wait_for(c, "b", PROMOTE)
        p.send_signal(signal.SIGHUP)
    finally:
        r = finish(c, p)
    check(r.code == 1, "exit 1", r)
    with open(path) as f:
        lines = [json.loads(x) for x in f.read().splitlines()]
    c.outputs.append(h.Result(0, json.dumps(lines), "", 0))
    sums = [x for x in lines if x["step"] == "summary"]
    check(len(sums) == 1 and sums[0]["exit_code"] == 1 and
          "stopped by signal" in sums[0]["error"], "summary audited", lines)


# --------------------------------------------------------------- the lock

@case
def lock_held_refuses_nothing_changed(c):
    with_lock(c, lock_value())
    r = c.run("failover", "test")
    check(r.code == 4, "held lock: exit 4", r)
    check("owner=ops@bastion-1" in r.err and "4102444800" in r.err,
          "names owner and expiry", r)
    check_ops(c, [], r)
    st = check_final(c, r, failed_over=False, lock=True)
    check(lock_records(st)[0]["value"] == lock_value(), "lock untouched", st)
    # status and --dry-run show it and never take it.
    r = c.run("status", "test")
    check("ops@bastion-1" in r.out and "lock" in r.out, "status shows it", r)
    r = c.run("--dry-run", "failover", "test")
    check(r.code == 4 and "ops@bastion-1" in r.err, "dry run refuses too", r)
    rj = c.run("--json", "status", "test")
    j = json.loads(rj.out.strip().splitlines()[-1])
    check(j["lock"]["state"] == "held" and j["lock"]["expires"] == 4102444800,
          "JSON status shows the lock", j)
    check_ops(c, [], r)


@case
def lock_stale_taken_over(c):
    with_lock(c, lock_value(owner="gone@old-host", expires=1000000000))
    r = c.run("status", "test")
    check("gone@old-host" in r.out and "expired" in r.out, "status shows it", r)
    r = c.run("failover", "test")
    check(r.code == 0, "an expired lock is taken over", r)
    check_ops(c, ["route53 DELETE+CREATE lock"] + FAILOVER[1:], r)
    check_final(c, r)


@case
def lock_released_after_error(c):
    """A refused promotion: exit 1, rolled back, lock deleted."""
    c.mock.faults([fault("b", "POST", PROMOTE, "status", status=400, count=0,
                         body='{"errors":["injected promotion failure"]}')])
    r = c.run("failover", "test")
    check(r.code == 1 and "rolled back" in r.err, "exit 1, rolled back", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote"] + tokgen("a") +
              ["a promote", "b token-delete"] + RELEASE, r)
    check_final(c, r, failed_over=False)


def start_attempt(c, k):
    """Starts a DR operation token attempt on cluster k by hand (an
    operator's, or a crashed run's), as a client of the mock."""
    import test_mock_vault as mv
    v = mv.Vault(c.mock.urls["vault_" + k])
    st, j = v.post(DR + "secondary/generate-operation-token/attempt", {},
                   token=None)
    check(st == 200 and j and j.get("started"), "attempt started on " + k,
          (st, j))
    return len(c.mock.log())


@case
def stale_attempt_cancelled(c):
    """An attempt left in progress on the secondary (a crashed run, an
    operator) is seen by the one read of its state and cancelled before
    the start; the failover completes."""
    n = start_attempt(c, "b")
    r = c.run("failover", "test")
    check(r.code == 0, "failover completes", r)
    got = ops(sorted(settled_log(c), key=lambda e: e["seq"])[n:])
    want = FAILOVER[:1] + ["b attempt-cancel"] + FAILOVER[1:]
    check(got == want, "changing requests:\n  got  %s\n  want %s"
          % (got, want), r)
    check_final(c, r)


@case
def attempt_begun_after_the_read(c):
    """An attempt begun on the secondary after vaultdr read its state
    (held at the lock by a slow CREATE answer): the start is refused
    (already in progress), that attempt is cancelled and the start sent
    once more; the failover completes."""
    c.mock.faults([fault("route53", "POST", "/2013-04-01/", "apply_delay",
                         latency_ms=1500)])
    p = start(c, "failover", "test")
    try:
        wait_for(c, "route53", "/2013-04-01/hostedzone/")
        start_attempt(c, "b")
    finally:
        r = finish(c, p)
    check(r.code == 0, "failover completes", r)
    # The operator's start, vaultdr's refused one, its cancel, its start.
    check_ops(c, FAILOVER[:1] + ["b attempt-start", "b attempt-start",
                                 "b attempt-cancel"] + FAILOVER[1:], r)
    starts = h.requests(settled_log(c), "POST", "b",
                        DR + "secondary/generate-operation-token/attempt")
    check([e["status"] for e in starts] == [200, 400, 200],
          "the second start refused (already in progress)", starts)
    check_final(c, r)


@case
def lock_released_after_input_error(c):
    """Recovery keys missing for the re-attach, after the switch: exit 1,
    the lock deleted all the same."""
    c.mock.faults([fault("a", "POST", DR + "secondary/generate-operation-token/"
                         "update", "status", status=400, count=0,
                         body='{"errors":["root generation aborted: '
                              'injected"]}')])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("root generation aborted" in r.err, "Vault's message", r)
    check_ops(c, TAKE + tokgen("b") + ["a demote", "b promote",
                                       "route53 UPSERT cname",
                                       "a attempt-start", "a key-share",
                                       "a attempt-cancel"] +
              RELEASE, r)
    st = c.mock.state()
    check(not lock_records(st), "lock deleted", st["route53"])
    check(st["clusters"]["b"]["mode"] == "primary" and
          st["clusters"]["a"]["mode"] == "secondary", "switched", st)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    check("secondary cluster DR primary" in r.out, "summary from the read", r)


@case
def lock_create_lost_and_unreadable(c):
    """The lock's CREATE is applied but answered 504, and the re-read fails:
    exit 1 with nothing else changed, and the exit path deletes the lock
    that may be ours (our exact value) rather than leave it to expire."""
    c.mock.faults([fault("route53", "POST", "/2013-04-01/", "apply_status",
                         status=504),
                   # observe's two listings pass (CNAME, lock: free, so
                   # the take CREATEs at once); every re-read fails
                   fault("route53", "GET", RRSET, "status",
                         status=500, skip=2, count=6, body="<x/>")])
    r = c.run("failover", "test")
    check(r.code == 1, "exit 1", r)
    check("cannot take the run lock" in r.err, "says why", r)
    check_fired(c, "apply_status")
    check_ops(c, TAKE + RELEASE, r)
    check_final(c, r, failed_over=False)


@case
def lock_access_denied(c):
    c.mock.faults([fault("route53", "POST", "/2013-04-01/", "status",
                         status=403, aws_code="AccessDenied")])
    r = c.run("failover", "test")
    check(r.code == 2, "AccessDenied on the lock: exit 2", r)
    check("--no-lock" in r.err, "names --no-lock", r)
    check_ops(c, TAKE, r)  # the refused CREATE only
    check_final(c, r, failed_over=False)


@case
def no_lock_option(c):
    r = c.run("--no-lock", "failover", "test")
    check(r.code == 0, "failover without the lock", r)
    check("--no-lock" in r.err, "warned", r)
    check_ops(c, FAILOVER[1:-1], r)
    check_final(c, r)
    r = c.run("--no-lock", "failover", "test")
    check(r.code == 0 and "--no-lock" in r.err, "warned every run", r)


@case
def lock_renewed_while_waiting(c):
    """A run that lasts longer than a third of VAULTDR_LOCK_TTL renews its
    lock (one DELETE+CREATE batch of its own value) and still releases it."""
    c.mock.faults([fault("b", "GET", "/v1/sys/health", "status", status=503,
                         count=12, body='{"errors":["settling"]}')])
    r = c.run("failover", "test", env=c.env(VAULTDR_LOCK_TTL="2",
                                             VAULTDR_POLL_INTERVAL="0.2"))
    check(r.code == 0, "failover completes", r)
    got = ops(c.mock.log())
    check("route53 DELETE+CREATE lock" in got, "renewed", got)
    check([x for x in got if "DELETE+CREATE lock" not in x] == FAILOVER,
          "otherwise the planned requests", got)
    check_final(c, r)


if __name__ == "__main__":
    sys.exit(h.main(CASES))
