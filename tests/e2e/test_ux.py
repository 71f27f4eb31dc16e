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
    """A case whose every JSON line (stdout of --json runs, audit files the
    case hands to c.outputs) is validated against SCHEMA afterwards."""
    def run(c):
        fn(c)
        validate_outputs(c)
    run.__name__ = fn.__name__
    CASES.append(run)
    return run


# ---------------------------------------------------------------- schema
# The --json / --log schema (vaultdr.1 "JSON OUTPUT"), schema_version 1, as
# data: per event type, field -> validator. Every field listed is required
# unless its name ends in '?'; a field not listed is an error.

def t_str(v):
    return isinstance(v, str)


def t_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def t_num(v):
    return t_int(v) or isinstance(v, float)


def t_bool(v):
    return isinstance(v, bool)


def opt(f):
    return lambda v: v is None or f(v)


def one_of(*vals):
    return lambda v: v in vals


def obj(fields):
    return lambda v: isinstance(v, dict) and not schema_errors(v, fields)


def list_of(f):
    return lambda v: isinstance(v, list) and all(f(x) for x in v)


ROLE = one_of("primary", "secondary")
COMMON = {"schema_version": one_of(1), "time": t_str, "step": t_str,
          "event": one_of("step", "plan", "progress", "warning", "summary",
                          "status", "hook", "run", "multi_summary")}
STEP = {"cluster": opt(t_str), "role": opt(ROLE), "change_id": opt(t_str),
        "action": one_of("begin", "end", "plan"), "result": t_str,
        "elapsed_ms": t_int, "message": t_str,
        # Several environments in one run (multi.c): every line names its
        # environment; a single environment's lines have no such field.
        "env?": t_str}
STATE = obj({
    "clusters": list_of(obj({"role": ROLE, "url": t_str, "reachable": t_bool,
                             "mode": opt(t_str), "state": opt(t_str),
                             "lag_wals": opt(t_int)})),
    "record": obj({"name": t_str, "value": opt(t_str),
                   "names": one_of("primary", "secondary", "other", "absent",
                                   "unknown"),
                   "insync_confirmed?": t_bool}),
    "lock": obj({"state": t_str, "holder": opt(t_str)}),
})
# Performance replication as the DR primary reports it (issue 12).
PERF = obj({"cluster": t_str, "mode": opt(t_str), "state": opt(t_str),
            "secondaries": list_of(obj({"id": t_str, "api_address": opt(t_str),
                                        "connection_status": opt(t_str)})),
            "error": opt(t_str)})
SUMMARY = {"command": opt(one_of("failover", "failback", "status")),
           "env": opt(t_str), "exit_code": one_of(0, 1, 2, 3, 4),
           "result": t_str, "changed": t_bool, "dry_run": t_bool,
           "message": t_str, "change_id": opt(t_str), "state": opt(STATE),
           "error?": t_str, "new_primary?": t_str, "old_primary?": t_str,
           "audit_complete?": t_bool, "performance?": PERF,
           "elapsed_ms": t_int}
HOOK_IN = dict(SUMMARY, phase=one_of("pre_change", "fence", "post"),
               exit_code=opt(one_of(0, 1, 2, 3, 4)), result=opt(t_str))
SCHEMA = {
    "step": STEP,
    "plan": STEP,
    "progress": {"cluster": opt(t_str), "wait": one_of(
        "ready", "stream", "insync", "catch_up", "performance"), "state": t_str,
        "elapsed_s": t_num, "timeout_s": t_num, "message": t_str,
        "env?": t_str},
    "warning": {"message": t_str, "env?": t_str},
    "summary": SUMMARY,
    "hook": HOOK_IN,
    "status": {
        "env": t_str, "exit_code": one_of(0, 1),
        "clusters": list_of(obj({
            "role": ROLE, "url": t_str, "dns_target": t_str,
            "reachable": t_bool, "mode": opt(t_str), "state": opt(t_str),
            "health_code": t_int, "version": opt(t_str),
            "cluster_id": opt(t_str), "secondary_id": opt(t_str),
            "lag_wals": opt(t_int), "error": opt(t_str)})),
        "record": obj({"name": t_str, "value": opt(t_str), "names": t_str,
                       "error": opt(t_str)}),
        "lock": obj({"state": t_str, "holder": opt(t_str),
                     "expires?": t_int, "error": opt(t_str)}),
        "safe_to_switch": t_bool, "switch_gate": t_str,
        "switch_lag_wals": opt(t_int), "failover_would": t_str,
        "failback_would": t_str, "performance?": PERF},
    "run": {"command": one_of("failover", "failback", "status"),
            "env": t_str, "config": t_str, "version": t_str,
            "commit?": t_str, "user?": t_str, "host?": t_str,
            "argv?": list_of(t_str), "dry_run": t_bool,
            "primary_down": t_bool, "pid": t_int},
    # The table of a run of several environments (the last line).
    "multi_summary": {
        "command": one_of("failover", "failback", "status"),
        "exit_code": one_of(0, 1, 2, 3, 4), "result": t_str,
        "dry_run": t_bool, "elapsed_ms": t_int,
        "environments": list_of(obj({
            "env": t_str, "command": one_of("failover", "failback", "status"),
            "exit_code": t_int, "result": t_str, "observed": t_str}))},
}


def schema_errors(o, fields):
    errs = []
    for k, f in fields.items():
        name = k.rstrip("?")
        if name not in o:
            if not k.endswith("?"):
                errs.append("missing %s" % name)
        elif not f(o[name]):
            errs.append("bad %s: %r" % (name, o[name]))
    known = {k.rstrip("?") for k in fields}
    errs += ["unknown field %s" % k for k in o if k not in known]
    return errs


def validate_line(line):
    o = json.loads(line)
    check(isinstance(o, dict), "a JSON line is an object", line)
    errs = schema_errors({k: v for k, v in o.items() if k in COMMON}, COMMON)
    check(not errs, "common fields: %s" % errs, line)
    rest = {k: v for k, v in o.items() if k not in COMMON}
    errs = schema_errors(rest, SCHEMA[o["event"]])
    check(not errs, "%s event: %s" % (o["event"], errs), line)
    return o


VALIDATED = [0]


def validate_outputs(c):
    for r in c.outputs:
        for line in r.out.splitlines():
            if line.startswith("{"):
                validate_line(line)
                VALIDATED[0] += 1


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
    pre = validate_line(hook_file(c, "stdin.pre_change").strip())
    post = validate_line(hook_file(c, "stdin.post").strip())
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


# ------------------------------------------------------------------- JSON

def json_lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.startswith("{")]


def last_summary(r):
    lines = json_lines(r)
    check(lines and lines[-1]["event"] == "summary", "ends with a summary", r)
    return lines[-1]


@case
def json_summary_fields(c):
    r = c.run("--json", "failover", "test")
    check(r.code == 0, "json failover", r)
    s = last_summary(r)
    check(s["changed"] is True and s["dry_run"] is False, "changed", s)
    check(isinstance(s["change_id"], str) and s["change_id"], "change_id", s)
    st = s["state"]
    cl = {x["role"]: x for x in st["clusters"]}
    check(cl["secondary"]["mode"] == "primary" and
          cl["primary"]["mode"] == "secondary" and
          cl["primary"]["state"] == "stream-wals", "structured state", st)
    check(st["record"]["value"] == h.B_DNS and st["record"]["names"] ==
          "secondary", "record in state", st)
    ev = json_lines(r)
    cname = [e for e in ev if e["step"] == "cname" and e["action"] == "end"]
    check(cname and cname[0]["change_id"] == s["change_id"], "change_id field", cname)
    obs = [e for e in ev if e["step"] == "observe" and e["cluster"]]
    check({e["role"] for e in obs} == {"primary", "secondary"}, "observe lines "
          "name the cluster and its role", obs)
    # A no-op run: changed false.
    r2 = c.run("--json", "failover", "test")
    s2 = last_summary(r2)
    check(r2.code == 0 and s2["changed"] is False and s2["change_id"] is None,
          "a no-op says so", s2)
    st = c.mock.state()
    check(st["max_primaries_up"] <= 1, "one primary at most", st)


@case
def json_dry_run_summary(c):
    r = c.run("--json", "--dry-run", "failover", "test")
    s = last_summary(r)
    check(r.code == 0 and s["dry_run"] is True and s["changed"] is False,
          "a dry run says so", s)
    check(not changing(c.mock.log()), "nothing changed")


@case
def json_warnings_on_stdout(c):
    r = c.run("--json", "--no-lock", "failover", "test")
    check(r.code == 0, "failover --no-lock", r)
    w = [e for e in json_lines(r) if e["event"] == "warning"]
    check(w and "--no-lock" in w[0]["message"], "a warning event on stdout", r)
    check("--no-lock" not in r.err, "not on stderr in --json mode", r)
    r = c.run("--no-lock", "failback", "test")
    check(r.code == 0 and "vaultdr: warning: --no-lock" in r.err,
          "text mode: warnings on stderr", r)


@case
def json_every_exit_path(c):
    r = c.run("--json", "--bogus", "failover", "test")
    s = last_summary(r)
    check(r.code == 2 and s["exit_code"] == 2 and "--bogus" in s["error"],
          "usage error", r)
    r = c.run("--json", "failover", "nosuchenv")
    s = last_summary(r)
    check(r.code == 2 and "nosuchenv" in s["error"], "config error", r)
    r = c.run("--json", "failover", "test", env=c.env(VAULT_TOKEN=None))
    s = last_summary(r)
    check(r.code == 2 and "VAULT_TOKEN" in s["error"], "missing input", r)
    r = c.run("--json", "failover", "test", env=c.env(VAULTDR_TIMEOUT="x"))
    s = last_summary(r)
    check(r.code == 2 and "VAULTDR_TIMEOUT" in s["error"], "bad variable", r)
    c.mock.listener("a", "down")
    r = c.run("--json", "failover", "test")
    s = last_summary(r)
    check(r.code == 4 and s["exit_code"] == 4 and s["changed"] is False,
          "refusal", r)
    check(not changing(c.mock.log()), "nothing changed")


# ------------------------------------------------------------------ audit

class SmallFs:
    """A tmpfs of `pages` 4 KiB pages under the case directory, of which
    all but `free` are filled (root and mount(8) needed, else skipped)."""

    def __init__(self, c, pages, free):
        import subprocess
        self.path = os.path.join(c.dir, "small")
        os.mkdir(self.path)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0700" %
                            (4 * pages), "tmpfs", self.path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise h.Skip("cannot mount a tmpfs: %s" % p.stderr.strip())
        with open(os.path.join(self.path, "filler"), "wb") as f:
            try:
                f.write(b"x" * (4096 * (pages - free)))
            except OSError:
                pass

    def close(self):
        import subprocess
        subprocess.run(["umount", self.path], capture_output=True)


@case
def audit_opening_record(c):
    path = os.path.join(c.dir, "audit.jsonl")
    r = c.run("--log", path, "--dry-run", "failover", "test")
    check(r.code == 0, "dry run with --log", r)
    with open(path) as f:
        txt = f.read()
    c.outputs.append(h.Result(0, txt, "", 0))
    recs = [json.loads(x) for x in txt.splitlines()]
    o = recs[0]
    check(o["event"] == "run" and o["user"] and o["host"] and o["commit"] and
          o["version"] and o["config"] == c.cfg, "who, where, which build", o)
    check(o["argv"][-3:] == ["--dry-run", "failover", "test"], "command line", o)
    check(recs[-1]["event"] == "summary" and recs[-1]["dry_run"] is True,
          "the summary closes the record", recs[-1])
    # Exit paths before anything is read write the summary too.
    r = c.run("--log", path, "failover", "test", env=c.env(VAULT_TOKEN=None))
    with open(path) as f:
        recs = [json.loads(x) for x in f.read().splitlines()]
    check(r.code == 2 and recs[-1]["event"] == "summary" and
          recs[-1]["exit_code"] == 2 and "VAULT_TOKEN" in recs[-1]["error"],
          "an input error is recorded", recs[-1])
    r = c.run("--log", path, "status", "test")
    with open(path) as f:
        txt = f.read()
    c.outputs.append(h.Result(0, txt, "", 0))
    recs = [json.loads(x) for x in txt.splitlines()]
    check(r.code == 0 and recs[-1]["event"] == "summary" and
          recs[-1]["command"] == "status" and recs[-1]["exit_code"] == 0,
          "status closes its audit record with the summary", recs[-1])
    check(r.out.startswith("vaultdr status test") and "{" not in r.out,
          "the text report is unchanged", r)


@case
def audit_full_disk_at_start(c):
    fs = SmallFs(c, 4, 0)
    try:
        path = os.path.join(fs.path, "audit.jsonl")
        r = c.run("--log", path, "failover", "test")
        check(r.code == 2, "no room for the opening record: exit 2", r)
        check("opening audit record" in r.err and "nothing was changed" in r.err,
              "says why", r)
        assert_no_change(c, r)
    finally:
        fs.close()


@case
def audit_full_disk_later(c):
    fs = SmallFs(c, 4, 1)
    try:
        path = os.path.join(fs.path, "audit.jsonl")
        r = c.run("--log", path, "failover", "test")
        check(r.code == 0, "a later audit failure does not stop the switch", r)
        h.assert_failed_over(c, r)
        check(r.err.count("audit trail of this run is incomplete") == 1,
              "warned once", r)
        check("the audit trail (--log) is incomplete" in r.out, "summary says so", r)
        with open(path) as f:
            txt = f.read()
        recs = [json.loads(x) for x in txt.splitlines()]  # each one whole
        check(recs and recs[0]["event"] == "run", "the opening record is there", recs)
        os.unlink(path)  # one page free again
        r = c.run("--json", "--log", path, "failback", "test")
        s = last_summary(r)
        check(r.code == 0 and s["audit_complete"] is False, "json summary", s)
    finally:
        fs.close()


# --------------------------------------------------------------- messages

@case
def msg_no_config(c):
    import subprocess
    empty = os.path.join(c.dir, "empty")
    os.mkdir(empty)
    p = subprocess.run([h.VAULTDR, "failover", "test"], env=c.env(), cwd=empty,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    r = h.Result(p.returncode, p.stdout, p.stderr, 0)
    c.outputs.append(r)
    check(r.code == 2, "no config: exit 2", r)
    for w in ("vault_dr.cfg", "-c FILE", "VAULTDR_CONFIG", "vault_dr.cfg.example"):
        check(w in r.err, "the error names %s" % w, r)
    check(not c.mock.log(), "nothing sent")


@case
def msg_untrusted_vault_certificate(c):
    r = c.run("failover", "test",
              env=c.env(VAULT_CACERT=os.path.join(h.CERTS, "other-ca.pem")))
    check(r.code != 0 and "not trusted" in r.err and "set VAULT_CACERT" in r.err,
          "an untrusted Vault certificate names VAULT_CACERT", r)
    check(not changing(c.mock.log()), "nothing changed")


@case
def msg_untrusted_route53_certificate(c):
    r = c.run("status", "test",
              env=c.env(AWS_CA_BUNDLE=os.path.join(h.CERTS, "other-ca.pem")))
    check("not trusted" in r.out + r.err and "set AWS_CA_BUNDLE" in r.out + r.err,
          "an untrusted Route 53 certificate names AWS_CA_BUNDLE", r)


@case
def msg_bad_ca_file(c):
    r = c.run("failover", "test", env=c.env(VAULT_CACERT="/nonexistent/ca.pem"))
    check(r.code == 2 and "VAULT_CACERT" in r.err and "/nonexistent/ca.pem" in r.err,
          "a bad VAULT_CACERT names its variable", r)
    empty = os.path.join(c.dir, "empty.pem")
    open(empty, "w").close()
    r = c.run("failover", "test", env=c.env(AWS_CA_BUNDLE=empty))
    check(r.code == 2 and "AWS_CA_BUNDLE" in r.err, "a bad AWS_CA_BUNDLE names "
          "its variable", r)
    check(not c.mock.log(), "nothing sent")


@case
def msg_sigint_wording(c):
    import signal
    import subprocess
    import time
    slow_insync(c, 30000)
    p = subprocess.Popen([h.VAULTDR, "-c", c.cfg, "failover", "test"],
                         env=c.env(VAULTDR_INSYNC_TIMEOUT="60"), cwd=c.dir,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 15
    while not requests(c.mock.log(), "GET", "route53", "/change/"):
        check(time.time() < deadline and p.poll() is None, "INSYNC never polled")
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=15)
    r = h.Result(p.returncode, out, err, 0)
    c.outputs.append(r)
    check(r.code == 1 and "stopped by signal" in r.err and "re-run" in r.err,
          "SIGINT: exit 1, says so", r)
    check("()" not in r.err and "signal (stopped" not in r.err,
          "the error is not formatted into itself", r)


@case
def msg_confirmation_wants_env_name(c):
    import pty
    import time
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(c.dir)
        os.execve(h.VAULTDR, [h.VAULTDR, "-c", c.cfg, "failover", "test"], c.env())
    seen = b""
    deadline = time.time() + 15
    while b"Type the environment name 'test'" not in seen:
        check(time.time() < deadline, "no prompt: %r" % seen)
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        check(chunk, "terminal closed: %r" % seen)
        seen += chunk
    os.write(fd, b"y\n")
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    txt = seen.decode(errors="replace")
    c.outputs.append(h.Result(os.waitstatus_to_exitcode(status), txt, "", 0))
    check(os.waitstatus_to_exitcode(status) == 2, "'y' is not the name: exit 2", txt)
    check("will: demote, promote" in txt, "the plan summary is shown", txt)
    check("not confirmed" in txt and "nothing was changed" in txt, "says so", txt)
    assert_no_change(c, None)


# ------------------------------------------------------- Vault CLI habits

@case
def vault_token_file(c):
    path = os.path.join(c.dir, ".vault-token")  # HOME is the case directory
    with open(path, "w") as f:
        f.write(h.VAULT_TOKEN + "\n")
    os.chmod(path, 0o600)
    r = c.run("failover", "test", env=c.env(VAULT_TOKEN=None))
    check(r.code == 0, "~/.vault-token is used when VAULT_TOKEN is unset", r)
    h.assert_failed_over(c, r)
    for e in c.mock.log():
        if e["listener"] in ("a", "b") and e["path"] != "/v1/sys/health":
            check(e["headers"].get("x-vault-token") == h.VAULT_TOKEN,
                  "the file's token is sent", e)
    # VAULT_TOKEN wins over the file.
    with open(path, "w") as f:
        f.write("hvs.not-the-right-token\n")
    r = c.run("failback", "test")
    check(r.code == 0, "VAULT_TOKEN first", r)
    os.unlink(path)
    r = c.run("failover", "test", env=c.env(VAULT_TOKEN=None))
    check(r.code == 2 and "VAULT_TOKEN" in r.err and "~/.vault-token" in r.err,
          "the missing-token error names both", r)


@case
def vault_cli_timeout_and_retries(c):
    r = c.run("status", "test", env=c.env(VAULTDR_TIMEOUT=None,
                                          VAULT_CLIENT_TIMEOUT="soon"))
    check(r.code == 2 and "VAULT_CLIENT_TIMEOUT" in r.err,
          "VAULT_CLIENT_TIMEOUT is read (and checked) when VAULTDR_TIMEOUT is unset", r)
    r = c.run("status", "test", env=c.env(VAULTDR_MAX_RETRIES=None,
                                          VAULT_MAX_RETRIES="many"))
    check(r.code == 2 and "VAULT_MAX_RETRIES" in r.err, "VAULT_MAX_RETRIES too", r)
    r = c.run("status", "test", env=c.env(VAULT_CLIENT_TIMEOUT="soon",
                                          VAULT_MAX_RETRIES="many"))
    check(r.code == 0, "the VAULTDR_* variables win", r)
    # Honoured: a black-holed primary fails within VAULT_CLIENT_TIMEOUT.
    c.mock.listener("a", "blackhole")
    r = c.run("failover", "test", env=c.env(VAULTDR_TIMEOUT=None,
                                            VAULT_CLIENT_TIMEOUT="0.5s",
                                            VAULTDR_MAX_RETRIES=None,
                                            VAULT_MAX_RETRIES="1",
                                            VAULTDR_CONNECT_TIMEOUT="0.5"))
    check(r.code == 4 and r.secs < 8, "bounded by VAULT_CLIENT_TIMEOUT", r)
    check(not changing(c.mock.log()), "nothing changed")


# The JSON cases of the other suites (default scenario), here validated
# line by line.
import test_cli  # noqa: E402
import test_preflight  # noqa: E402
import test_safety  # noqa: E402
for _fn in (h.json_output, h.status_report, h.audit_log,
            test_cli.options_after_command,
            test_preflight.status_says_safe_to_switch,
            test_safety.lock_held_refuses_nothing_changed):
    case(_fn)


if __name__ == "__main__":
    sys.exit(h.main(CASES))
