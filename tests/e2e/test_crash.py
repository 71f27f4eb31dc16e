#!/usr/bin/env python3
"""Crash-anywhere convergence: vaultdr killed at any request of a failover.

A clean failover against a fresh mock counts its requests: N. Then, for
every k = 1..N, a fresh mock black-holes the k-th request (whatever it is),
the test waits until that request has arrived, SIGKILLs vaultdr, clears the
fault and runs `failover` again: it must exit 0, reach the desired state
(test_dr.assert_failed_over) and two primaries must never have existed. The
same for SIGINT at a few k: vaultdr stops by itself with exit 1 and a report
on stderr, releases its run lock, and a re-run converges.

The run lock (DESIGN.md Safety 6) is part of every run, with a short
VAULTDR_LOCK_TTL: a SIGKILLed run leaves its lock; a re-run while it is still
valid refuses (exit 4, nothing changed) unless nothing is left to do, and the
re-run after it expired takes it over and converges. No run leaves a live
lock behind. Ends with "N passed, N failed".
"""
import os
import re
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr  # noqa: E402
from test_dr import Case, Result, check, scenario  # noqa: E402


# Seconds a lock is valid: short, so that a killed run's lock expires soon.
LOCK_TTL = "1"


def env(c, **over):
    over.setdefault("VAULTDR_LOCK_TTL", LOCK_TTL)
    return c.env(**over)


def lock_record(c):
    for r in c.mock.state()["route53"]["records"]:
        if r["name"].rstrip(".") == test_dr.LOCK_NAME and r["type"] == "TXT":
            return r
    return None


def lock_expires(rec):
    v = rec.get("value") or " ".join(rec.get("values") or [])
    m = re.search(r"expires=(\d+)", v)
    check(m is not None, "lock value with expires=: %r" % rec)
    return int(m.group(1))


def settled_log(c, timeout=3):
    """The request log once every request the mock counted is in it."""
    deadline = time.time() + timeout
    while True:
        n = c.mock.state()["requests"]
        log = c.mock.log()
        if len(log) >= n or time.time() > deadline:
            return log
        time.sleep(0.02)


def check_no_live_lock(c, what):
    rec = lock_record(c)
    check(rec is None or lock_expires(rec) <= time.time(),
          "a live run lock was left behind %s: %r" % (what, rec))


def blackhole_kth(k):
    return [{"listener": "*", "method": "*", "path": "/", "action": "blackhole",
             "skip": k - 1, "count": 1}]


# The k-th request is served, but only after vaultdr is gone: the change
# happens while its answer is lost.
LATE_MS = 300


def late_kth(k):
    return [{"listener": "*", "method": "*", "path": "/", "action": "latency",
             "latency_ms": LATE_MS, "skip": k - 1, "count": 1}]


def clean_request_count():
    c = Case("crash_count", scenario())
    try:
        r = c.run("failover", "test", env=env(c))
        check(r.code == 0, "clean failover", r)
        test_dr.assert_failed_over(c, r)
        log = sorted(c.mock.log(), key=lambda e: e["seq"])
        return c.mock.state()["requests"], [
            (e["listener"], e["method"], e["path"]) for e in log]
    finally:
        c.close()


def interrupted_at(c, k, sig, rules=None):
    """Runs failover with the k-th request black-holed; sends sig once the
    request has arrived. Returns the Result and whether request k was
    reached (a run may finish in fewer requests than the clean count, e.g.
    one INSYNC poll less)."""
    c.mock.faults(rules if rules is not None else blackhole_kth(k))
    argv = (test_dr.WRAP.split() if test_dr.WRAP else []) + [
        test_dr.VAULTDR, "-c", c.cfg, "failover", "test"]
    # A long I/O timeout: vaultdr must still be waiting on request k when
    # the signal comes, not retrying it.
    p = subprocess.Popen(argv, env=env(c, VAULTDR_TIMEOUT="30"), cwd=c.dir,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    reached = False
    deadline = time.time() + 20
    try:
        while p.poll() is None:
            if c.mock.state()["requests"] >= k:
                reached = True
                break
            check(time.time() < deadline, "request %d never arrived" % k)
            time.sleep(0.01)
        t0 = time.time()
        if reached:
            p.send_signal(sig)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = Result(p.returncode, out, err, time.time() - t0)
    c.outputs.append(r)
    return r, reached


def kth_request(c, k):
    for e in c.mock.log():
        if e.get("seq") == k:
            return "%s %s %s" % (e["listener"], e["method"], e["path"])
    return "?"


def kth_is_lock_change(c, k):
    for e in c.mock.log():
        if e.get("seq") == k:
            return test_dr.LOCK_NAME in (e.get("body") or "")
    return False


def converge(c, k, what):
    c.mock.faults([])
    rec = lock_record(c)
    if rec is not None and lock_expires(rec) > time.time() + 0.3:
        # The interrupted run's lock is still valid: a re-run refuses,
        # unless it finds nothing left to do.
        n = len(settled_log(c))
        r1 = c.run("failover", "test", env=env(c))
        check(r1.code in (0, 4), "re-run while the lock is held after %s "
              "at request %d: exit 4 (or 0, nothing left to do)" % (what, k), r1)
        if r1.code == 4:
            check("holds the lock" in r1.err and "owner=" in r1.err,
                  "the refusal names the lock's owner", r1)
            log = settled_log(c)[n:]
            check(not test_dr.changing(log),
                  "a refused re-run changes nothing", log)
    rec = lock_record(c)
    if rec is not None:
        while time.time() < lock_expires(rec):
            time.sleep(0.05)
    r2 = c.run("failover", "test", env=env(c))
    check(r2.code == 0, "re-run after %s at request %d (%s) must exit 0"
          % (what, k, kth_request(c, k)), r2)
    test_dr.assert_failed_over(c, r2)
    st = c.mock.state()
    check(st["max_primaries_up"] <= 1, "two primaries existed at once", st)
    check_no_live_lock(c, "after the re-run")


def kill_case(k):
    def fn(c):
        r, reached = interrupted_at(c, k, signal.SIGKILL)
        if reached:
            check(r.code == -signal.SIGKILL, "vaultdr was killed", r)
        else:
            check(r.code == 0, "a run that never reached request %d" % k, r)
        converge(c, k, "SIGKILL")
    fn.__name__ = "crash_kill_at_%02d" % k
    return fn


def late_kill_case(k):
    def fn(c):
        r, reached = interrupted_at(c, k, signal.SIGKILL, late_kth(k))
        if reached:
            time.sleep(LATE_MS / 1000.0 + 0.2)  # the mock applies request k
        converge(c, k, "SIGKILL with request %d applied late" % k)
    fn.__name__ = "crash_kill_answer_lost_at_%02d" % k
    return fn


def sigint_case(k):
    def fn(c):
        r, reached = interrupted_at(c, k, signal.SIGINT)
        if reached:
            check(r.code == 1, "SIGINT at request %d (%s) must exit 1"
                  % (k, kth_request(c, k)), r)
            check(r.secs < 5, "SIGINT must not wait for the I/O timeout", r)
            check("stopped by signal" in r.err and "re-run" in r.err,
                  "SIGINT report on stderr", r)
            # The stopped run released its lock, unless the lock's own
            # change was the request the signal cut short.
            if not kth_is_lock_change(c, k):
                check(lock_record(c) is None, "SIGINT at request %d (%s) "
                      "must release the lock" % (k, kth_request(c, k)),
                      c.mock.state()["route53"])
        else:
            check(r.code == 0, "a run that never reached request %d" % k, r)
        converge(c, k, "SIGINT")
    fn.__name__ = "crash_sigint_at_%02d" % k
    return fn


def run_case(fn):
    c = None
    t0 = time.time()
    try:
        c = Case(fn.__name__, scenario())
        fn(c)
        secrets = test_dr.SECRETS + sorted(c.generated_secrets())
        for r in c.outputs:
            for s in secrets:
                check(s not in r.out and s not in r.err,
                      "a secret (%s...) appeared in vaultdr's output" % s[:6], r)
        print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0))
        return True
    except Exception:
        print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0))
        traceback.print_exc(file=sys.stdout)
        return False
    finally:
        if c:
            c.close()
        sys.stdout.flush()


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    t0 = time.time()
    passed = failed = 0
    try:
        n, seq = clean_request_count()
    except Exception:
        traceback.print_exc(file=sys.stdout)
        print("0 passed, 1 failed")
        return 1
    print("# a clean failover makes N = %d requests:" % n)
    for i, e in enumerate(seq, 1):
        print("#   %2d %s %s %s" % ((i,) + e))
    cases = [kill_case(k) for k in range(1, n + 1)]
    # Changing requests once more, now applied after vaultdr died.
    cases += [late_kill_case(k) for k, e in enumerate(seq, 1)
              if e[1] not in ("GET", "HEAD")]
    # SIGINT while steps are still to do, and at every request after the
    # last change (the final read of the state).
    last = max([k for k, e in enumerate(seq, 1) if e[1] not in ("GET", "HEAD")]
               or [n])
    cases += [sigint_case(k) for k in sorted({2, last // 3, last // 2,
                                              2 * last // 3} |
                                             set(range(last, n + 1))) if k >= 1]
    for fn in cases:
        if only and only not in fn.__name__:
            continue
        if run_case(fn):
            passed += 1
        else:
            failed += 1
    print("# crash-anywhere: N = %d, %.1fs" % (n, time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
