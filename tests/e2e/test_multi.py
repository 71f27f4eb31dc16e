#!/usr/bin/env python3
"""Several environments in one run (issue 13, "region evacuation"):
`vaultdr failover ENV ENV...` and `--all`.

Each environment has its own mock (its own pair of Vault clusters); every
environment's CNAME (vault.<env>.example.test) lives in the hosted zone of
the first environment's mock, the one Route 53 endpoint of the run
(AWS_ENDPOINT_URL_ROUTE_53). Each case asserts the run's exit code, the
table, every mock's final state, the changing requests each environment
saw, and max_primaries_up <= 1 per pair. Every JSON line is validated
against test_ux.py's schema and must name its environment. Ends with
"N passed, N failed".
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402
import test_ux as ux  # noqa: E402
from test_dr import check  # noqa: E402

ENVS = ("alpha", "beta", "gamma")


def cname(env):
    return "vault.%s.example.test" % env


def dns(env, side):
    return "vault-%s.%s.lb.example.test" % (side, env)


def lock_name(env):
    return "_vaultdr-lock." + cname(env)


# Route 53 INSYNC delay (ms) per case: three_envs_failover checks that the
# runs overlapped, which each run's INSYNC wait makes sure of even on a
# loaded machine.
INSYNC_MS = {"three_envs_failover": 1000}


def env_scenario(env, envs, first, insync_ms=None):
    clusters = h.scenario()["clusters"]
    clusters["a"]["dns_name"] = dns(env, "a")
    clusters["b"]["dns_name"] = dns(env, "b")
    s = h.scenario(cname=cname(env), clusters=clusters,
                   cluster_id="e2e-cluster-id-" + env)
    # The zone of the run: every environment's CNAME, in the first mock.
    s["route53"]["records"] = [
        {"name": cname(e) + ".", "type": "CNAME", "ttl": 60,
         "value": dns(e, "a")} for e in (envs if first else [env])]
    if insync_ms is not None:
        s["route53"]["insync_delay_ms"] = insync_ms
    return s


class MultiCase:
    """Working directory, one mock per environment, and a config with one
    [Vault-Cluster-<Env>] section each. h.Case's env() and run() work on
    it (the first mock is `mock`: its Route 53 serves every CNAME)."""

    def __init__(self, name, envs=ENVS):
        envs = {"question_declined": ("alpha", "beta"),
                "ctrl_c_at_the_question": ("alpha", "beta")}.get(name, envs)
        self.name = name
        self.envs = list(envs)
        self.dir = tempfile.mkdtemp(prefix="vaultdr-multi-")
        self.mocks = {}
        self.outputs = []
        try:
            for i, e in enumerate(self.envs):
                d = os.path.join(self.dir, e)
                os.mkdir(d)
                self.mocks[e] = h.Mock(env_scenario(
                    e, self.envs, i == 0, INSYNC_MS.get(name)), d)
        except Exception:
            self.close()
            raise
        self.mock = self.mocks[self.envs[0]]
        self.cfg = os.path.join(self.dir, "vault_dr.cfg")
        self.write_cfg(self.envs)

    def write_cfg(self, envs, extra=None):
        with open(self.cfg, "w") as f:
            for e in envs:
                m = self.mocks[e]
                f.write("[Vault-Cluster-%s]\n" % e.capitalize())
                f.write("%s_primary_vault_cluster_domain=%s\n"
                        % (e, m.urls["vault_a"]))
                f.write("%s_secondary_vault_cluster_domain=%s\n"
                        % (e, m.urls["vault_b"]))
                f.write("%s_cluster_cname=%s\n" % (e, cname(e)))
                f.write("%s_primary_dns_target=%s\n" % (e, dns(e, "a")))
                f.write("%s_secondary_dns_target=%s\n" % (e, dns(e, "b")))
                f.write((extra or {}).get(e, ""))
                f.write("\n")
            f.write("[AWS-Route-53]\nHostedZoneID=%s\n" % h.ZONE)

    def env(self, **over):
        return h.Case.env(self, **over)

    def run(self, *args, env=None, timeout=60):
        return h.Case.run(self, *args, env=env, timeout=timeout)

    def record(self, env):
        for r in self.mock.state()["route53"]["records"]:
            if r["name"].rstrip(".") == cname(env) and r["type"] == "CNAME":
                return r["value"].rstrip(".")
        return None

    def lock(self, env):
        for r in self.mock.state()["route53"]["records"]:
            if r["name"].rstrip(".") == lock_name(env) and r["type"] == "TXT":
                return r
        return None

    def changing(self, env):
        """The changing requests of env: on its clusters, and the Route 53
        change batches that name its CNAME or lock."""
        vault = [e for e in h.changing(self.mocks[env].log())
                 if e["listener"] in ("a", "b")]
        r53 = [e for e in h.requests(self.mock.log(), "POST", "route53",
                                     "/rrset")
               if cname(env) in (e.get("body") or "")]
        return vault + r53

    def generated_secrets(self):
        """DR operation tokens and activation tokens every mock saw."""
        found = set()
        for m in self.mocks.values():
            found |= h.Case.generated_secrets(type("M", (), {"mock": m})())
        return found

    def close(self):
        for m in self.mocks.values():
            m.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ----------------------------------------------------------------- checks

def failed_over(c, env, r):
    st = c.mocks[env].state()
    cl = st["clusters"]
    check(cl["b"]["mode"] == "primary", "%s: b should be primary" % env, r)
    check(cl["a"]["mode"] == "secondary" and cl["a"]["primary"] == "b",
          "%s: a should replicate from b: %s" % (env, cl["a"]), r)
    check(c.record(env) == dns(env, "b"), "%s: CNAME names b" % env, r)
    check(st["max_primaries_up"] <= 1, "%s: two primaries at once" % env, st)
    check(not live_lock(c, env), "%s: no live lock left" % env, r)


def lock_expires(rec):
    v = rec.get("value") or " ".join(rec.get("values") or [])
    m = re.search(r"expires=(\d+)", v)
    check(m is not None, "a lock value with expires=", rec)
    return int(m.group(1))


def live_lock(c, env):
    """The lock of env when one is held and not expired (a killed run's
    expired lock may stay: the next run that changes something takes it
    over)."""
    rec = c.lock(env)
    return rec if rec is not None and lock_expires(rec) > time.time() else None


def unchanged(c, env, r):
    st = c.mocks[env].state()
    cl = st["clusters"]
    check(cl["a"]["mode"] == "primary" and cl["b"]["mode"] == "secondary",
          "%s: pair unchanged" % env, r)
    check(c.record(env) == dns(env, "a"), "%s: CNAME unchanged" % env, r)
    check(st["max_primaries_up"] <= 1, "%s: two primaries at once" % env, st)
    check(not c.changing(env), "%s: no changing request" % env,
          c.changing(env))


def table(r):
    """The final table of a text run: env -> (command, exit, result,
    observed)."""
    lines = r.out.splitlines()
    heads = [i for i, l in enumerate(lines) if l.startswith("ENV ")]
    check(len(heads) == 1, "one table", r)
    rows = {}
    for l in lines[heads[0] + 1:]:
        m = re.match(r"^(\S+)\s+(failover|failback|status)\s+(\d+)\s+"
                     r"(.*?)\s{2,}(.*)$", l)
        check(m is not None, "a table row: %r" % l, r)
        rows[m.group(1)] = (m.group(2), int(m.group(3)), m.group(4),
                            m.group(5))
    return rows


def json_lines(r):
    """Every stdout line of a --json run, validated and carrying its
    environment (the run's table carries every one)."""
    out = []
    for line in r.out.splitlines():
        o = ux.validate_line(line)
        if o["event"] != "multi_summary":
            check(isinstance(o.get("env"), str) and o["env"],
                  "a JSON line names its environment", line)
        out.append(o)
    return out


def prefixed(r, envs):
    """Every line but the table's is prefixed with one environment."""
    pre = tuple("[%s] " % e for e in envs)
    body = r.out.split("\n")
    heads = [i for i, l in enumerate(body) if l.startswith("ENV ")]
    for l in body[:heads[0] - 1]:
        check(l.startswith(pre), "a prefixed progress line: %r" % l, r)
    for l in r.err.splitlines():
        check(l.startswith(pre) or l.startswith("vaultdr: "),
              "a prefixed stderr line: %r" % l, r)
    for e in envs:
        check("[%s] " % e in r.out, "progress lines of %s" % e, r)


# ------------------------------------------------------------------ cases

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def three_envs_failover(c):
    r = c.run("failover", "alpha", "beta", "gamma")
    check(r.code == 0, "all three fail over: exit 0", r)
    for e in ENVS:
        failed_over(c, e, r)
    rows = table(r)
    check(sorted(rows) == sorted(ENVS), "a row per environment", rows)
    for e in ENVS:
        check(rows[e][:3] == ("failover", 0, "desired state reached"),
              "row of %s" % e, rows)
        check("primary" in rows[e][3], "what was observed", rows)
    prefixed(r, ENVS)
    check(re.search(r"\*\*\* Failover of 3 environments: desired state "
                    r"reached \(exit 0, ", r.out), "the table's header", r)
    # The runs were concurrent: every environment took its lock before
    # any released its own (each holds it for at least the INSYNC wait).
    log = c.mock.log()
    takes, releases = [], []
    for e in ENVS:
        ch = [x["seq"] for x in h.requests(log, "POST", "route53", "/rrset")
              if lock_name(e) in x["body"]]
        check(len(ch) >= 2, "%s took and released its lock" % e, log)
        takes.append(ch[0])
        releases.append(ch[-1])
    check(max(takes) < min(releases), "the environments ran concurrently",
          (takes, releases))
    # A re-run of every section is a no-op.
    n = {e: len(c.changing(e)) for e in ENVS}
    r2 = c.run("failover", "--all")
    check(r2.code == 0, "--all re-run exits 0", r2)
    check(sorted(table(r2)) == sorted(ENVS), "--all: every section", r2)
    for e in ENVS:
        check(len(c.changing(e)) == n[e], "%s: the re-run changed nothing"
              % e, c.changing(e))
    # And back: failback of the set.
    r3 = c.run("failback", "gamma", "alpha", "beta")
    check(r3.code == 0, "failback of three: exit 0", r3)
    check(list(table(r3)) == ["gamma", "alpha", "beta"], "rows in the "
          "order given", r3)
    for e in ENVS:
        st = c.mocks[e].state()
        check(st["clusters"]["a"]["mode"] == "primary" and
              st["clusters"]["b"]["primary"] == "a", "%s failed back" % e, r3)
        check(c.record(e) == dns(e, "a"), "%s: CNAME names a" % e, r3)
        check(st["max_primaries_up"] <= 1, "%s: one primary" % e, st)


@case
def one_refused_others_finish(c):
    c.mocks["beta"].listener("a", "down")
    r = c.run("failover", "alpha", "beta", "gamma")
    check(r.code == 4, "a refusal outranks success: exit 4", r)
    failed_over(c, "alpha", r)
    failed_over(c, "gamma", r)
    st = c.mocks["beta"].state()
    check(st["clusters"]["b"]["mode"] == "secondary", "beta untouched", st)
    check(not c.changing("beta"), "beta: nothing changed", c.changing("beta"))
    check(c.record("beta") == dns("beta", "a"), "beta: CNAME unchanged", r)
    rows = table(r)
    check(rows["beta"][1] == 4 and rows["beta"][2] == "refused for safety",
          "beta's row says refused", rows)
    check("--primary-down" in rows["beta"][3], "and why", rows)
    check(rows["alpha"][1] == 0 and rows["gamma"][1] == 0, "others 0", rows)
    check("[beta] vaultdr: error: " in r.err, "beta's error, prefixed", r)


@case
def one_failing_outranks_refusal(c):
    # beta: a wrong recovery key share fails (exit 1) before any change;
    # gamma: refused (old primary down); alpha: done.
    c.mocks["gamma"].listener("a", "down")
    c.mocks["beta"].faults([{
        "listener": "b", "method": "POST",
        "path": "/v1/sys/replication/dr/secondary/generate-operation-token/"
                "update", "action": "status", "status": 400, "count": 100}])
    r = c.run("failover", "alpha", "beta", "gamma")
    check(r.code == 1, "a failure outranks a refusal: exit 1", r)
    rows = table(r)
    check([rows[e][1] for e in ENVS] == [0, 1, 4], "rows 0, 1, 4", rows)
    failed_over(c, "alpha", r)
    for e in ("beta", "gamma"):
        st = c.mocks[e].state()
        check(st["clusters"]["a"]["mode"] == "primary", "%s: a primary" % e)
        check(st["max_primaries_up"] <= 1, "%s: one primary" % e, st)
        check(c.record(e) == dns(e, "a"), "%s: CNAME unchanged" % e, r)
        check(c.lock(e) is None, "%s: no lock left" % e, r)
    check(not [x for x in c.changing("gamma")], "gamma: nothing sent")
    check(not [x for x in c.changing("beta")
               if "promote" in x["path"] or "demote" in x["path"]],
          "beta: no promote or demote", c.changing("beta"))


@case
def input_error_and_unknown_env(c):
    r = c.run("failover", "alpha", "nosuch")
    check(r.code == 2, "an unknown environment: exit 2", r)
    rows = table(r)
    check(rows["nosuch"][1] == 2 and "unknown environment" in rows["nosuch"][3],
          "nosuch's row", rows)
    check(rows["alpha"][1] == 0, "alpha still done", rows)
    failed_over(c, "alpha", r)
    r = c.run("failover", "alpha", "ALPHA")
    check(r.code == 2 and "named twice" in r.err, "a duplicate: exit 2", r)
    r = c.run("failover", "--all", "beta")
    check(r.code == 2 and "--all" in r.err, "--all with a name: exit 2", r)
    r = c.run("status", "--", "beta", "--dry-run")
    check(r.code == 2 and "too many arguments" in r.err, "after --", r)
    for e in ("beta", "gamma"):
        unchanged(c, e, r)


@case
def dry_run_json_all(c):
    r = c.run("failover", "--all", "--dry-run", "--json")
    check(r.code == 0, "dry run of every section: exit 0", r)
    objs = json_lines(r)
    check(objs[-1]["event"] == "multi_summary", "the table last", r)
    t = objs[-1]
    check(t["exit_code"] == 0 and t["dry_run"] is True, "table fields", t)
    check([x["env"] for x in t["environments"]] == list(ENVS),
          "environments in config order", t)
    summ = [o for o in objs if o["event"] == "summary"]
    check(sorted(o["env"] for o in summ) == sorted(ENVS),
          "one summary per environment", summ)
    check(all(o["dry_run"] and not o["changed"] for o in summ), "dry", summ)
    for e in ENVS:
        unchanged(c, e, r)


@case
def audit_log_of_the_set(c):
    path = os.path.join(c.dir, "audit.jsonl")
    r = c.run("--log", path, "failover", "alpha", "beta", "--json")
    check(r.code == 0, "two environments with --log: exit 0", r)
    json_lines(r)
    with open(path) as f:
        recs = [ux.validate_line(l) for l in f if l.strip()]
    check(os.stat(path).st_mode & 0o777 == 0o600, "mode 0600")
    runs = [o for o in recs if o["event"] == "run"]
    check(sorted(o["env"] for o in runs) == ["alpha", "beta"],
          "each environment opens its own trail", runs)
    summ = [o for o in recs if o["event"] == "summary"]
    check(sorted(o["env"] for o in summ) == ["alpha", "beta"],
          "and closes it with its summary", summ)
    check(recs[-1]["event"] == "multi_summary" and recs[-1]["exit_code"] == 0,
          "the table is the last record", recs[-1])
    for e in ("alpha", "beta"):
        failed_over(c, e, r)


@case
def status_many(c):
    c.mocks["gamma"].listener("b", "down")
    r = c.run("status", "alpha", "beta", "gamma")
    check(r.code == 1, "status: one pair broken: exit 1", r)
    rows = table(r)
    check([rows[e][1] for e in ENVS] == [0, 0, 1], "status rows", rows)
    check(all(rows[e][0] == "status" for e in ENVS), "command column", rows)
    r = c.run("status", "--all", "--json")
    check(r.code == 1, "status --all --json: exit 1", r)
    objs = json_lines(r)
    st = [o for o in objs if o["event"] == "status"]
    check(sorted(o["env"] for o in st) == sorted(ENVS), "3 reports", objs)
    for e in ENVS:
        unchanged(c, e, r)


@case
def sigint_reaches_every_env(c):
    # Slow promotions: both runs are mid-switch when the signal comes.
    for e in ("alpha", "beta"):
        c.mocks[e].faults([{"listener": "b", "method": "POST",
                            "path": "/v1/sys/replication/dr/secondary/promote",
                            "action": "latency", "latency_ms": 1500,
                            "count": 1}])
    argv = [h.VAULTDR, "-c", c.cfg, "failover", "alpha", "beta"]
    p = subprocess.Popen(argv, env=c.env(), cwd=c.dir,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    deadline = time.time() + 20
    while not all(h.requests(c.mocks[e].log(), "POST", "b", "promote")
                  for e in ("alpha", "beta")):
        check(p.poll() is None and time.time() < deadline,
              "both runs reach the promote")
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    r = h.Result(p.returncode, out, err, 0)
    c.outputs.append(r)
    check(r.code == 1, "stopped runs: exit 1", r)
    rows = table(r)
    check(rows["alpha"][1] == 1 and rows["beta"][1] == 1, "both stopped", rows)
    for e in ("alpha", "beta"):
        check("[%s] vaultdr: error: stopped by signal" % e in r.err,
              "%s stopped cleanly" % e, r)
        check(c.lock(e) is None, "%s released its lock" % e, r)
        check(c.mocks[e].state()["max_primaries_up"] <= 1, "one primary")
    r2 = c.run("failover", "alpha", "beta")
    check(r2.code == 0, "the re-run converges", r2)
    for e in ("alpha", "beta"):
        failed_over(c, e, r2)


def on_terminal(c, argv, answer):
    """Runs vaultdr on a pseudo-terminal; types answer at the question.
    Returns (exit code, what the terminal showed)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(c.dir)
        os.execve(h.VAULTDR, [h.VAULTDR, "-c", c.cfg] + argv, c.env())
    seen = b""

    def until(want, timeout=20):
        nonlocal seen
        deadline = time.time() + timeout
        while want not in seen:
            check(time.time() < deadline, "no %r on the terminal: %r"
                  % (want, seen))
            # Never block past the deadline (a vaultdr that stops
            # talking fails the case instead of hanging the suite).
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                check(want in seen, "terminal closed before %r: %r"
                      % (want, seen))
                break
            seen += chunk
    until(b"to proceed with these 2 environments")
    os.write(fd, answer if answer == b"\x03" else answer + b"\n")
    until(b"ENV ")
    deadline = time.time() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            check(False, "vaultdr did not exit after the table: %r" % seen)
        time.sleep(0.05)
    try:
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(fd)
    txt = seen.decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    c.outputs.append(h.Result(code, txt, "", 0))
    return code, txt


@case
def one_question_for_the_set(c):
    c.mocks["gamma"].listener("a", "down")  # refused: it does not ask
    code, txt = on_terminal(c, ["failover", "--all"], b"failover 2")
    check(code == 4, "alpha and beta done, gamma refused: exit 4", txt)
    check(txt.count("Type '") == 1, "one question", txt)
    for e in ("alpha", "beta"):
        check("[%s] Failover of %s (CNAME %s) will: demote, promote"
              % (e, e, cname(e)) in txt, "%s's plan in the question" % e, txt)
        failed_over(c, e, None)
    check("[gamma] finished: exit 4" in txt, "gamma finished first", txt)
    unchanged(c, "gamma", None)


@case
def question_declined(c):
    code, txt = on_terminal(c, ["failover", "alpha", "beta"], b"alpha")
    check(code == 2, "not confirmed: exit 2, nothing changed", txt)
    check(txt.count("not confirmed") >= 2, "each says so", txt)
    for e in ("alpha", "beta"):
        unchanged(c, e, None)
        check(not live_lock(c, e), "no lock taken", None)


@case
def ctrl_c_at_the_question(c):
    code, txt = on_terminal(c, ["failover", "alpha", "beta"], b"\x03")
    check(code == 1, "Ctrl-C at the question: stopped, exit 1", txt)
    check(txt.count("vaultdr: error: stopped by signal") == 2,
          "each environment stopped cleanly", txt)
    for e in ("alpha", "beta"):
        unchanged(c, e, None)
        check(c.lock(e) is None, "%s: no lock taken" % e, None)


# ------------------------------------------------------ crash anywhere
# A two-environment run killed at a sample of requests (counted on alpha's
# mock, which also serves both CNAMEs): every process of the run SIGKILLed
# (a crash), or only the parent (its children stop cleanly: they get
# SIGTERM when it dies). A re-run once the locks have expired converges.

LOCK_TTL = "1"
CRASH_ENVS = ("alpha", "beta")


def run_children(pid):
    """Processes whose parent is pid (Linux /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def alive(pid):
    """pid runs (not gone, not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rfind(")") + 2:].split()[0] != "Z"


def clean_count():
    c = MultiCase("crash_count", CRASH_ENVS)
    try:
        r = c.run("failover", *CRASH_ENVS, env=c.env(VAULTDR_LOCK_TTL=LOCK_TTL))
        check(r.code == 0, "clean two-environment failover", r)
        return c.mock.state()["requests"]
    finally:
        c.close()


def crash_case(k, whole):
    def fn(c):
        c.mock.faults([{"listener": "*", "method": "*", "path": "/",
                        "action": "blackhole", "skip": k - 1, "count": 1}])
        argv = [h.VAULTDR, "-c", c.cfg, "failover"] + list(CRASH_ENVS)
        p = subprocess.Popen(argv, env=c.env(VAULTDR_LOCK_TTL=LOCK_TTL,
                                             VAULTDR_TIMEOUT="30"),
                             cwd=c.dir, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        deadline = time.time() + 20
        try:
            while p.poll() is None and c.mock.state()["requests"] < k:
                check(time.time() < deadline, "request %d never came" % k)
                time.sleep(0.01)
            kids = run_children(p.pid) if p.poll() is None else []
            if p.poll() is None:
                if whole:
                    for pid in kids:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass  # it had just finished
                p.kill()
            out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        c.outputs.append(h.Result(p.returncode, out, err, 0))
        c.mock.faults([])
        # Children left alone stop by themselves (their parent is gone):
        # cleanly, releasing their locks, unless request k, never
        # answered, was a lock's own change.
        t_end = time.time() + 15
        while any(alive(x) for x in kids) and time.time() < t_end:
            time.sleep(0.05)
        check(not any(alive(x) for x in kids), "every environment stopped")
        kth = [x for x in c.mock.log() if x.get("seq") == k]
        if not whole and not (kth and "_vaultdr-lock" in
                              (kth[0].get("body") or "")):
            for e in CRASH_ENVS:
                check(not live_lock(c, e), "%s stopped cleanly: its lock "
                      "released after its parent was killed at request %d"
                      % (e, k), c.mock.state()["route53"])
        for e in CRASH_ENVS:
            rec = c.lock(e)
            while rec is not None and time.time() <= lock_expires(rec):
                time.sleep(0.05)
        r = c.run("failover", *CRASH_ENVS, env=c.env(VAULTDR_LOCK_TTL=LOCK_TTL))
        check(r.code == 0, "re-run after a kill at request %d converges" % k,
              r)
        for e in CRASH_ENVS:
            failed_over(c, e, r)
    fn.__name__ = "crash_%s_at_%02d" % ("all" if whole else "parent", k)
    fn.envs = CRASH_ENVS
    return fn


def crash_cases():
    try:
        n = clean_count()
    except Exception:
        traceback.print_exc(file=sys.stdout)
        return []
    print("# a clean two-environment failover makes N = %d requests on "
          "alpha's mock" % n)
    ks = sorted({max(1, n * i // 20) for i in range(1, 20)} | {n})
    return [crash_case(k, True) for k in ks] + \
        [crash_case(k, False) for k in ks[2::5]]


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = 0
    t_all = time.time()
    cases = list(CASES)
    if not only or only.startswith("crash"):
        cases += crash_cases()
    for fn in cases:
        if only and only != fn.__name__:
            continue
        t0 = time.time()
        c = None
        try:
            c = MultiCase(fn.__name__, getattr(fn, "envs", ENVS))
            fn(c)
            secrets = h.SECRETS + sorted(c.generated_secrets())
            for r in c.outputs:
                for s in secrets:
                    check(s not in r.out and s not in r.err,
                          "a secret (%s...) appeared in the output" % s[:6],
                          r)
            print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0))
            passed += 1
        except Exception:
            print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0))
            traceback.print_exc(file=sys.stdout)
            failed += 1
        finally:
            if c:
                c.close()
            sys.stdout.flush()
    print("# test_multi: %.1fs" % (time.time() - t_all))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
