#!/usr/bin/env python3
"""End-to-end cases of issue 15 (operator experience): hooks, progress on
long waits, JSON for machines, messages, Vault CLI habits and the audit
trail. Reuses test_dr.py's harness. Ends with "N passed, N failed".
"""
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402
from test_dr import check, changing, requests  # noqa: E402

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# A hook that records its phase, the time (ms), its environment and its
# standard input in the case directory, prints a line, then sleeps argv[2]
# seconds and exits with argv[1].
HOOK = r'''#!%s
import json, os, sys, time
d = os.path.dirname(os.path.abspath(__file__))
phase = os.environ.get("VAULTDR_PHASE", "?")
data = sys.stdin.read()
with open(os.path.join(d, "hooks.log"), "a") as f:
    f.write("%%s %%d\n" %% (phase, int(time.time() * 1000)))
with open(os.path.join(d, "env." + phase), "w") as f:
    json.dump(dict(os.environ), f)
with open(os.path.join(d, "stdin." + phase), "w") as f:
    f.write(data)
print("hello from the %%s hook" %% phase)
sys.stdout.flush()
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
''' % sys.executable


def hook_setup(c, pre=None, fence=None, post=None):
    """Writes the hook script and a config with the given hooks' arguments
    ("EXIT [SLEEP]"); None leaves a hook out."""
    path = os.path.join(c.dir, "hook.py")
    with open(path, "w") as f:
        f.write(HOOK)
    os.chmod(path, 0o755)
    extra = ""
    for key, args in (("pre_change", pre), ("fence", fence), ("post", post)):
        if args is not None:
            extra += "test_%s_hook=%s %s\n" % (key, path, args)
    h.write_cfg(c.mock, c.cfg, extra=extra)
    return path


def hook_log(c):
    p = os.path.join(c.dir, "hooks.log")
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return [(l.split()[0], int(l.split()[1])) for l in f if l.strip()]


def hook_file(c, name):
    with open(os.path.join(c.dir, name)) as f:
        return f.read()


def assert_no_change(c, r):
    log = c.mock.log()
    check(not changing(log), "nothing may be changed", [
        (e["method"], e["path"]) for e in changing(log)])
    h.assert_unchanged(c, r)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary at most")


# ------------------------------------------------------------------ hooks

@case
def hooks_order_env_stdin(c):
    hook_setup(c, pre="0", post="0")
    r = c.run("failover", "test")
    check(r.code == 0, "failover with hooks exits 0", r)
    st = h.assert_failed_over(c, r)
    check(st["max_primaries_up"] <= 1, "one primary at most", st)
    hl = hook_log(c)
    check([p for p, _ in hl] == ["pre_change", "post"], "pre_change, then post", hl)
    log = c.mock.log()
    ch = changing(log)
    check(ch, "changes were sent", log)
    check(hl[0][1] <= ch[0]["time_ms"],
          "the pre-change hook runs before the first changing request", (hl, ch[0]))
    check(hl[1][1] >= log[-1]["time_ms"],
          "the post hook runs after the final read", (hl, log[-1]))
    # Output passed through, prefixed.
    check("hook pre_change: hello from the pre_change hook" in r.err, "prefixed output", r)
    check("hook post: hello from the post hook" in r.err, "post output", r)
    # Environment: the VAULTDR_* variables, and no secret at all.
    for phase in ("pre_change", "post"):
        env = json.loads(hook_file(c, "env." + phase))
        check(env.get("VAULTDR_CMD") == "failover", "VAULTDR_CMD", env)
        check(env.get("VAULTDR_ENV") == "test", "VAULTDR_ENV", env)
        check(env.get("VAULTDR_PHASE") == phase, "VAULTDR_PHASE", env)
        check(env.get("VAULTDR_NEW_PRIMARY") == c.mock.urls["vault_b"], "new", env)
        check(env.get("VAULTDR_OLD_PRIMARY") == c.mock.urls["vault_a"], "old", env)
        for k in ("VAULT_TOKEN", "VAULT_RECOVERY_KEY_1", "VAULT_RECOVERY_KEY_2",
                  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            check(k not in env, "%s must not reach a hook" % k, sorted(env))
        blob = json.dumps(env)
        for s in h.SECRETS:
            check(s not in blob, "a secret reached the hook's environment")
    check("VAULTDR_EXIT_CODE" not in json.loads(hook_file(c, "env.pre_change")),
          "no exit code before the run ends")
    check(json.loads(hook_file(c, "env.post")).get("VAULTDR_EXIT_CODE") == "0",
          "post hook gets the exit code")
    # Standard input: the run's summary JSON.
    pre = json.loads(hook_file(c, "stdin.pre_change"))
    post = json.loads(hook_file(c, "stdin.post"))
    check(pre["phase"] == "pre_change" and pre["exit_code"] is None, "pre stdin", pre)
    check(post["exit_code"] == 0 and post["changed"] is True, "post stdin", post)
    for s in h.SECRETS:
        check(s not in hook_file(c, "stdin.post"), "no secret on stdin")


@case
def hooks_in_plan_not_in_dry_run(c):
    hook_setup(c, pre="0", post="0")
    r = c.run("--dry-run", "failover", "test")
    check(r.code == 0, "dry run exits 0", r)
    check("run the pre-change hook" in r.out and "post hook" in r.out,
          "hooks listed in the dry run's plan", r)
    check("not run in a dry run" in r.out, "says they are not run", r)
    check(hook_log(c) == [], "no hook runs in a dry run", hook_log(c))
    check(not changing(c.mock.log()), "dry run changes nothing")


@case
def pre_change_hook_aborts(c):
    hook_setup(c, pre="3", post="0")
    r = c.run("failover", "test")
    check(r.code == 4, "a refusing pre-change hook is exit 4", r)
    check("pre-change hook" in r.err and "exited 3" in r.err, "names the hook", r)
    check("nothing was changed" in r.err, "says nothing changed", r)
    assert_no_change(c, r)
    hl = [p for p, _ in hook_log(c)]
    check(hl == ["pre_change", "post"], "post hook runs on any outcome", hl)
    check(json.loads(hook_file(c, "env.post")).get("VAULTDR_EXIT_CODE") == "4",
          "post sees exit 4")


@case
def pre_change_hook_timeout(c):
    hook_setup(c, pre="0 30")
    r = c.run("failover", "test", env=c.env(VAULTDR_HOOK_TIMEOUT="1s"))
    check(r.code == 4, "a hook that times out refuses, exit 4", r)
    check("timed out" in r.err, "says it timed out", r)
    check(r.secs < 15, "bounded by VAULTDR_HOOK_TIMEOUT", r)
    assert_no_change(c, r)


@case
def fence_hook_refuses(c):
    hook_setup(c, fence="1")
    c.mock.listener("a", "down")
    r = c.run("--primary-down", "failover", "test")
    check(r.code == 4, "a failing fence hook refuses, exit 4", r)
    check("fence hook" in r.err and "nothing was changed" in r.err, "says why", r)
    check(not changing(c.mock.log()), "nothing changed")
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "secondary", "b not promoted", st)
    check(st["max_primaries_up"] <= 1, "one primary at most", st)
    check([p for p, _ in hook_log(c)] == ["fence"], "fence ran", hook_log(c))


@case
def fence_hook_allows(c):
    hook_setup(c, fence="0")
    c.mock.listener("a", "down")
    r = c.run("--primary-down", "failover", "test")
    check(r.code == 3, "--primary-down with a fence hook exits 3", r)
    hl = hook_log(c)
    check([p for p, _ in hl] == ["fence"], "fence ran once", hl)
    promote = requests(c.mock.log(), "POST", "b", "/secondary/promote")
    check(promote and hl[0][1] <= promote[0]["time_ms"], "fence before promote",
          (hl, promote))
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "primary", "b promoted", st)
    check(st["max_primaries_up"] <= 1, "one primary at most", st)


@case
def fence_hook_not_run_when_planned(c):
    hook_setup(c, fence="1")
    r = c.run("failover", "test")
    check(r.code == 0, "the fence hook is for --primary-down only", r)
    check(hook_log(c) == [], "not run", hook_log(c))


@case
def post_hook_failure_warns(c):
    hook_setup(c, post="5")
    r = c.run("failover", "test")
    check(r.code == 0, "a failing post hook does not change the exit code", r)
    check("warning" in r.err and "post hook" in r.err and "exited 5" in r.err,
          "a warning names it", r)


@case
def hook_config_errors(c):
    hook_setup(c)
    h.write_cfg(c.mock, c.cfg, extra="test_pre_change_hook=notapath arg\n")
    r = c.run("failover", "test")
    check(r.code == 2 and "test_pre_change_hook" in r.err and "path" in r.err,
          "a hook that is not a path is a config error", r)
    h.write_cfg(c.mock, c.cfg, extra="test_post_hook=/nonexistent/hook\n")
    r = c.run("failover", "test")
    check(r.code == 2 and "test_post_hook" in r.err, "a missing hook", r)
    h.write_cfg(c.mock, c.cfg, extra="test_post_hook=%s 'unterminated\n" %
                os.path.join(c.dir, "hook.py"))
    r = c.run("failover", "test")
    check(r.code == 2 and "test_post_hook" in r.err, "a bad quote", r)
    check(not changing(c.mock.log()), "nothing changed")


# --------------------------------------------------------------- progress

def slow_insync(c, ms):
    st = h.scenario()
    st["route53"]["insync_delay_ms"] = ms
    c.mock.stop()
    for f in ("ready.json", "requests.jsonl"):
        if os.path.exists(os.path.join(c.dir, f)):
            os.unlink(os.path.join(c.dir, f))
    c.mock = h.Mock(st, c.dir)
    h.write_cfg(c.mock, c.cfg)


@case
def progress_during_slow_insync(c):
    import re
    slow_insync(c, 11500)
    r = c.run("failover", "test", env=c.env(VAULTDR_INSYNC_TIMEOUT="300"))
    check(r.code == 0, "failover with a slow INSYNC exits 0", r)
    lines = re.findall(r"\*\*\* INSYNC wait: PENDING, (\d+)/300 s", r.out)
    # Polls every 0.1 s, but a line at most every 5 s: two in ~11.5 s.
    check(len(lines) == 2, "one progress line per 5 s of waiting", r)
    check([int(x) for x in lines] == [5, 10], "elapsed seconds", lines)


@case
def progress_event_in_json(c):
    slow_insync(c, 6000)
    r = c.run("--json", "failover", "test", env=c.env(VAULTDR_INSYNC_TIMEOUT="5m"))
    check(r.code == 0, "json failover with a slow INSYNC exits 0", r)
    ev = [json.loads(x) for x in r.out.splitlines()]
    pr = [e for e in ev if e.get("event") == "progress"]
    check(len(pr) == 1, "one progress event", ev)
    p = pr[0]
    check(p["wait"] == "insync" and p["state"] == "PENDING" and
          p["elapsed_s"] == 5 and p["timeout_s"] == 300 and
          p["message"] == "INSYNC wait: PENDING, 5/300 s", "fields", p)


if __name__ == "__main__":
    sys.exit(h.main(CASES))
