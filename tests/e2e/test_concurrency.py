#!/usr/bin/env python3
"""End-to-end: reads that go out together (issue 13, http_run's poll loop).

Against a mock with --latency-ms (every answer late, a new connection
later still, as across a WAN): an observation reads both clusters and the
record at the same time; changing requests still go one at a time, each
answered before the next is sent; a cluster that never answers delays only
its own reads. Ends with "N passed, N failed".
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402

check = h.check
LATENCY_MS = 60


def with_latency(c, ms=LATENCY_MS, scen=None):
    c.close()
    c.__init__(c.name, scen or h.scenario(), ["--latency-ms", str(ms)])


def firsts(log):
    """The first request the mock logged from each listener."""
    out = {}
    for e in sorted(log, key=lambda e: e["recv_ms"]):
        out.setdefault(e["listener"], e)
    return out


def assert_together(entries, what):
    """Every one was received before any of them was answered."""
    last_recv = max(e["recv_ms"] for e in entries)
    first_answer = min(e["time_ms"] for e in entries)
    check(last_recv < first_answer, "%s must go out together" % what,
          [(e["listener"], e["path"], e["recv_ms"], e["time_ms"])
           for e in entries])


def assert_changes_one_at_a_time(log):
    """Each changing request was answered before the next one arrived."""
    ch = sorted(h.changing(log), key=lambda e: e["recv_ms"])
    for prev, nxt in zip(ch, ch[1:]):
        check(nxt["recv_ms"] >= prev["time_ms"],
              "changing request %s %s sent before %s %s was answered"
              % (nxt["method"], nxt["path"], prev["method"], prev["path"]),
              (prev, nxt))


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def observation_reads_together(c):
    """status: both clusters and the record are read at the same time, each
    server on one connection."""
    with_latency(c)
    r = c.run("--verbose", "status", "test")
    check(r.code == 0, "a healthy pair: status exits 0", r)
    log = c.mock.log()
    f = firsts(log)
    check(set(f) >= {"a", "b", "route53"}, "all three servers read", log)
    assert_together([f["a"], f["b"], f["route53"]], "the first reads")
    for name in ("a", "b", "route53"):
        conns = {e["conn"] for e in log if e["listener"] == name}
        check(len(conns) == 1, "one connection to %s" % name, conns)
    check(not h.changing(log), "status changes nothing", h.changing(log))


@case
def failover_changes_stay_ordered(c):
    """A failover across the WAN: reads overlap, changes do not; the same
    changing requests as on the loopback, in the plan's order."""
    with_latency(c)
    r = c.run("failover", "test")
    check(r.code == 0, "failover exits 0", r)
    st = h.assert_failed_over(c, r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    log = c.mock.log()
    h.assert_order_demote_before_promote(log)
    assert_changes_one_at_a_time(log)
    got = [(e["listener"], e["method"], e["path"].rstrip("/"))
           for e in sorted(h.changing(log), key=lambda e: e["seq"])]
    P = "/v1/sys/replication/dr/"
    GEN = P + "secondary/generate-operation-token/"
    R53 = "/2013-04-01/hostedzone/" + h.ZONE + "/rrset"
    want = [("route53", "POST", R53),                       # lock
            ("b", "POST", GEN + "attempt"),
            ("b", "POST", GEN + "update"), ("b", "POST", GEN + "update"),
            ("a", "POST", P + "primary/demote"),
            ("b", "POST", P + "secondary/promote"),
            ("route53", "POST", R53),                       # the CNAME
            ("a", "POST", GEN + "attempt"),
            ("a", "POST", GEN + "update"), ("a", "POST", GEN + "update"),
            ("b", "POST", P + "primary/revoke-secondary"),
            ("b", "POST", P + "primary/secondary-token"),
            ("a", "POST", P + "secondary/update-primary"),
            ("a", "POST", P + "secondary/operation-token/delete"),
            ("route53", "POST", R53)]                       # lock release
    check(got == want, "the changing requests, in order", got)
    # Some reads of both clusters went out together (observations).
    reads = [e for e in log if e["method"] == "GET"
             and e["path"] == P + "status"]
    pairs = [(x, y) for x in reads for y in reads
             if x["listener"] == "a" and y["listener"] == "b"
             and x["recv_ms"] < y["time_ms"] and y["recv_ms"] < x["time_ms"]]
    check(len(pairs) >= 3, "observations read both clusters together",
          [(e["listener"], e["recv_ms"], e["time_ms"]) for e in reads])


@case
def dead_cluster_delays_only_itself(c):
    """A black-holed primary: the secondary's reads are answered at once,
    not after the primary's deadline; nothing is changed."""
    c.mock.listener("a", "blackhole")
    t0 = time.time() * 1000
    r = c.run("status", "test", env=c.env(VAULTDR_TIMEOUT="1.5",
                                           VAULTDR_MAX_RETRIES="0"))
    check(r.code == 1, "an unreachable cluster: status exits 1", r)
    log = c.mock.log()
    b = [e for e in log if e["listener"] == "b"]
    check(len(b) >= 2, "the secondary was read", log)
    check(b[0]["time_ms"] - t0 < 1200 and b[1]["time_ms"] - t0 < 1200,
          "the secondary's answers came before the primary's deadline",
          [(e["path"], e["time_ms"] - t0) for e in b])
    check("timed out" in r.out + r.err, "the primary's timeout is named", r)
    check(not h.changing(log), "nothing may be changed", h.changing(log))


@case
def reads_ride_with_changes(c):
    """Across the WAN, reads ride with the changes they do not depend on:
    the old primary's last WAL goes with the new cluster's last key share
    and is answered before the demote; GetChange is polled while the old
    cluster is re-attached; the poll that sees INSYNC carries the final
    read; the changing requests stay one at a time; never two primaries."""
    s = h.scenario()
    # INSYNC after the re-attach: riders poll during it, the wait after it.
    s["route53"]["insync_delay_ms"] = 1200
    with_latency(c, scen=s)
    r = c.run("failover", "test", env=c.env(VAULTDR_POLL_INTERVAL="0.2"))
    check(r.code == 0, "failover exits 0", r)
    st = h.assert_failed_over(c, r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    log = sorted(c.mock.log(), key=lambda e: e["seq"])
    assert_changes_one_at_a_time(log)
    P = "/v1/sys/replication/dr/"

    def reqs(listener, method, path):
        return [e for e in log if e["listener"] == listener and
                e["method"] == method and e["path"].startswith(path)]
    shares = reqs("b", "POST", P + "secondary/generate-operation-token/update")
    demote = reqs("a", "POST", P + "primary/demote")[0]
    wal = [e for e in reqs("a", "GET", P + "status")
           if e["recv_ms"] < demote["recv_ms"]][-1]
    assert_together([shares[-1], wal], "the last WAL and the last share")
    check(wal["time_ms"] <= demote["recv_ms"],
          "the last WAL is answered before the demote", (wal, demote))
    cname = [e for e in reqs("route53", "POST", "/2013-04-01/hostedzone/")
             if "_vaultdr-lock" not in e.get("body", "")][0]
    update = reqs("a", "POST", P + "secondary/update-primary")[0]
    polls = reqs("route53", "GET", "/2013-04-01/change/")
    during = [e for e in polls if cname["time_ms"] <= e["recv_ms"] and
              e["recv_ms"] < update["time_ms"]]
    check(during, "GetChange polled while the old cluster is re-attached",
          [(e["recv_ms"], e["time_ms"]) for e in polls])
    last = polls[-1]
    # Reads of both clusters in flight with that poll (sent together).
    final = [e for e in log if e["method"] == "GET" and
             e["listener"] in ("a", "b") and e["path"] == P + "status" and
             e["recv_ms"] < last["time_ms"] and e["time_ms"] > last["recv_ms"]]
    check({e["listener"] for e in final} == {"a", "b"},
          "the poll that saw INSYNC carried the final read of both clusters",
          [(e["listener"], e["path"], e["recv_ms"], e["time_ms"])
           for e in log if e["recv_ms"] >= last["recv_ms"] - 50])
    later = [e for e in log if e["recv_ms"] >= last["time_ms"]]
    check([(e["listener"], e["method"]) for e in later] ==
          [("route53", "POST")], "after it only the lock release",
          [(e["listener"], e["method"], e["path"]) for e in later])


if __name__ == "__main__":
    sys.exit(h.main(CASES))
