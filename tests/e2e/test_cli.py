#!/usr/bin/env python3
"""The command line as operators type it: options anywhere, `--`,
--version with the commit, and a closed standard output."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402


def options_after_command(c):
    r = c.run("failover", "test", "--dry-run")
    h.check(r.code == 0, "options after the command are accepted", r)
    h.check("would" in r.out, "the dry-run plan is printed", r)
    h.check(h.changing(c.mock.log()) == [], "dry run sent no changing request")
    r = c.run("status", "test", "-v", "--json")
    h.check(r.code == 0, "short and long options after ENV", r)
    json.loads(r.out.strip().splitlines()[-1])


def double_dash_ends_options(c):
    r = c.run("status", "--", "test", "--dry-run")
    h.check(r.code == 2 and "too many arguments" in r.err,
            "after --, '--dry-run' is an argument", r)
    h.check(c.mock.log() == [], "nothing was sent", c.mock.log())


def version_names_commit(c):
    for prog in (h.VAULTDR, h.MOCK):
        p = subprocess.run([prog, "--version"], capture_output=True,
                           text=True, timeout=10)
        h.check(p.returncode == 0 and "(commit " in p.stdout,
                "%s --version prints the commit" % prog, p)


def closed_stdout_does_not_leak(c):
    """With fd 1 closed, the next open() would return 1: progress lines
    would then go into the audit file. vaultdr parks /dev/null there."""
    path = os.path.join(c.dir, "audit.jsonl")
    argv = [h.VAULTDR, "-c", c.cfg, "--log", path, "failover", "test"]
    p = subprocess.run(argv, env=c.env(), cwd=c.dir, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60, close_fds=True,
                       preexec_fn=lambda: os.close(1))
    r = h.Result(p.returncode, p.stdout, p.stderr, 0)
    c.outputs.append(r)
    h.check(p.returncode == 0, "failover with stdout closed", r)
    with open(path) as f:
        txt = f.read()
    c.outputs.append(h.Result(0, txt, "", 0))
    for line in txt.splitlines():
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError("a non-JSON line in the audit file: %r" % line)
    h.assert_failed_over(c, r)


def status_exit_codes(c):
    """DESIGN: status exits 0 only when both answer, exactly one is DR
    primary, the other its attached secondary and the CNAME names the
    primary; 1 otherwise."""
    r = c.run("status", "test")
    h.check(r.code == 0, "healthy pair: status exits 0", r)
    c.mock.listener("a", "down")
    r = c.run("status", "test")
    h.check(r.code == 1 and "unreachable" in r.out,
            "a cluster unreachable: status exits 1 and says so", r)
    c.mock.listener("a", "up")
    h.check(h.changing(c.mock.log()) == [], "status changes nothing")


def status_two_primaries(c):
    s = h.scenario()
    s["clusters"]["b"]["mode"] = "primary"
    c2 = h.Case("two_primaries", s)
    try:
        r = c2.run("status", "test")
        c.outputs.append(r)
        h.check(r.code == 1, "two DR primaries: status exits 1", r)
        h.check(h.changing(c2.mock.log()) == [], "status changes nothing")
    finally:
        c2.close()


CASES = [status_exit_codes, status_two_primaries, options_after_command, double_dash_ends_options, version_names_commit,
         closed_stdout_does_not_leak]

if __name__ == "__main__":
    sys.exit(h.main(CASES))
