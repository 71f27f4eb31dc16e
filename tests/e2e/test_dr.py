#!/usr/bin/env python3
"""End-to-end scenarios: ./vaultdr against mock/vaultdr-mock over TLS.

Each case starts its own mock with a scenario, runs vaultdr with distinctive
secrets, and asserts the exit code, the mock's final state and the requests
vaultdr sent (the mock's request log), the way curl's suite checks the bytes
its client sends. Ends with "N passed, N failed".
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VAULTDR = os.environ.get("VAULTDR_BIN", os.path.join(TOP, "vaultdr"))
MOCK = os.environ.get("VAULTDR_MOCK_BIN", os.path.join(TOP, "mock", "vaultdr-mock"))
CERTS = os.path.abspath(os.environ.get("VAULTDR_CERTS", os.path.join(TOP, "build", "certs")))
WRAP = os.environ.get("VAULTDR_WRAP", "")  # e.g. "valgrind --error-exitcode=99 ..."

# Distinctive secrets: none of them may ever appear in vaultdr's output.
VAULT_TOKEN = "hvs.E2Esecret-VaultToken-7f3a9c"
KEYS = ["rk-E2Esecret-share-one-11aa", "rk-E2Esecret-share-two-22bb",
        "rk-E2Esecret-share-three-33cc"]
AWS_AKID = "AKIDE2EMOCKEXAMPLE"
AWS_SECRET = "e2eSECRET/awsSecretKey+9q8w7e6r5t"
AWS_SESSION = "E2Esecret-SessionToken-FwoGZXIvYXdzEBYaDHSESSION"
BATCH = "hvb.E2Esecret-BatchDrToken-5d4c3b2a"
STALE_BATCH = "hvb.E2Esecret-StaleBatchToken-99e1"
ZONE = "Z0MOCK1234"
CNAME = "vault.test.example.test"
A_DNS = "vault-a.lb.example.test"
B_DNS = "vault-b.lb.example.test"
SECRETS = [VAULT_TOKEN, AWS_SECRET, AWS_SESSION, BATCH, STALE_BATCH] + KEYS


def scenario(**over):
    s = {
        "vault_tokens": [VAULT_TOKEN],
        "recovery_keys": KEYS,
        "recovery_threshold": 2,
        "batch_dr_tokens": [BATCH],
        "cluster_id": "e2e-cluster-id-0001",
        "cname": CNAME,
        "clusters": {
            "a": {"mode": "primary", "otp": "modern", "otp_length": 28,
                  "version": "1.15.2+ent", "dns_name": A_DNS, "last_wal": 1200},
            "b": {"mode": "secondary", "otp": "modern", "otp_length": 28,
                  "version": "1.15.2+ent", "dns_name": B_DNS},
        },
        "route53": {"access_key": AWS_AKID, "secret_key": AWS_SECRET,
                    "session_token": None, "zone_id": ZONE,
                    "zone_name": "example.test.", "insync_delay_ms": 300,
                    "records": [{"name": CNAME + ".", "type": "CNAME",
                                 "ttl": 60, "value": A_DNS}]},
        "faults": [],
    }
    for k, v in over.items():
        s[k] = v
    return s


class Skip(Exception):
    """The case cannot run on this machine (counted as skipped)."""


class Mock:
    def __init__(self, scen, workdir, args=()):
        self.dir = workdir
        self.scen_path = os.path.join(workdir, "scenario.json")
        self.ready = os.path.join(workdir, "ready.json")
        self.logpath = os.path.join(workdir, "requests.jsonl")
        with open(self.scen_path, "w") as f:
            json.dump(scen, f)
        self.proc = subprocess.Popen(
            [MOCK, "--cert", os.path.join(CERTS, "server.pem"),
             "--key", os.path.join(CERTS, "server.key"),
             "--scenario", self.scen_path, "--ready-file", self.ready,
             "--log", self.logpath] + list(args),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "mock.err"), "w"))
        deadline = time.time() + 10
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("mock did not start: " +
                                   open(os.path.join(workdir, "mock.err")).read())
            time.sleep(0.02)
        with open(self.ready) as f:
            self.urls = json.load(f)

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.urls["control"] + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            txt = r.read()
            return json.loads(txt) if txt else None

    def state(self):
        return self.control("GET", "/state")

    def faults(self, rules):
        self.control("POST", "/faults", rules)

    def listener(self, name, st):
        self.control("POST", "/listener", {"name": name, "state": st})

    def log(self):
        out = []
        if os.path.exists(self.logpath):
            with open(self.logpath) as f:
                for line in f:
                    if line.strip():
                        out.append(json.loads(line))
        # In arrival order: a request whose answer the mock delays or drops
        # is logged when its change is applied, possibly before an earlier
        # request that was still being answered.
        out.sort(key=lambda e: e.get("seq", 0))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def write_cfg(m, path, env="Test", extra=""):
    with open(path, "w") as f:
        f.write("# vault_dr.cfg for the end-to-end tests (seed format)\n")
        f.write("[Vault-Cluster-%s]\n" % env)
        e = env.lower()
        f.write("%s_primary_vault_cluster_domain=%s\n" % (e, m.urls["vault_a"]))
        f.write("%s_secondary_vault_cluster_domain=%s\n" % (e, m.urls["vault_b"]))
        f.write("%s_cluster_cname=%s\n" % (e, CNAME))
        f.write("%s_primary_dns_target=%s\n" % (e, A_DNS))
        f.write("%s_secondary_dns_target=%s\n" % (e, B_DNS))
        f.write(extra)
        f.write("\n[AWS-Route-53]\nHostedZoneID=%s\n" % ZONE)


class Result:
    def __init__(self, code, out, err, secs):
        self.code, self.out, self.err, self.secs = code, out, err, secs

    def __repr__(self):
        return "exit %s after %.1fs\n--- stdout\n%s--- stderr\n%s" % (
            self.code, self.secs, self.out, self.err)


class Case:
    """One scenario's working directory, mock and helpers."""

    def __init__(self, name, scen, mock_args=()):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="vaultdr-e2e-")
        self.mock = Mock(scen, self.dir, mock_args)
        self.cfg = os.path.join(self.dir, "vault_dr.cfg")
        write_cfg(self.mock, self.cfg)
        self.outputs = []

    def env(self, **over):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("VAULT", "AWS_")) and k.lower() not in
             ("https_proxy", "http_proxy", "no_proxy", "all_proxy")}
        e.update({
            "VAULT_TOKEN": VAULT_TOKEN,
            "VAULT_RECOVERY_KEY_1": KEYS[0],
            "VAULT_RECOVERY_KEY_2": KEYS[1],
            "VAULT_CACERT": os.path.join(CERTS, "ca.pem"),
            "AWS_CA_BUNDLE": os.path.join(CERTS, "ca.pem"),
            "AWS_ACCESS_KEY_ID": AWS_AKID,
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_ENDPOINT_URL_ROUTE_53": self.mock.urls["route53"],
            "VAULTDR_RETRY_BASE": "0.05",
            "VAULTDR_MAX_RETRIES": "4",
            "VAULTDR_POLL_INTERVAL": "0.1",
            "VAULTDR_CONNECT_TIMEOUT": "1",
            "VAULTDR_TIMEOUT": "2",
            "VAULTDR_READY_TIMEOUT": "10",
            "VAULTDR_INSYNC_TIMEOUT": "10",
            "DNS_PROPAGATION_DELAY": "0",
            "AWS_EC2_METADATA_DISABLED": "true",  # never look for 169.254.169.254
            "HOME": self.dir,
        })
        for k, v in over.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def run(self, *args, env=None, timeout=60, cfg=True):
        argv = (WRAP.split() if WRAP else []) + [VAULTDR]
        if cfg:
            argv += ["-c", self.cfg]
        argv += list(args)
        t0 = time.time()
        p = subprocess.run(argv, env=env or self.env(), cwd=self.dir,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout, start_new_session=True)
        r = Result(p.returncode, p.stdout, p.stderr, time.time() - t0)
        r.from_vaultdr = True  # its JSON lines are checked against the schema
        self.outputs.append(r)
        return r

    def generated_secrets(self):
        """DR operation tokens and activation tokens seen by the mock."""
        found = set()
        for e in self.mock.log():
            body = e.get("body") or ""
            try:
                j = json.loads(body) if body.startswith("{") else {}
            except ValueError:
                j = {}
            for k in ("dr_operation_token", "token", "key", "otp"):
                v = j.get(k)
                if isinstance(v, str) and len(v) >= 8:
                    found.add(v)
        return found

    def close(self):
        self.mock.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def requests(log, method=None, listener=None, contains=None):
    return [e for e in log
            if (method is None or e["method"] == method)
            and (listener is None or e["listener"] == listener)
            and (contains is None or contains in e["path"])]


def changing(log):
    """Requests that may change something: all but GET/HEAD and the
    read-only sys/capabilities-self POST (DESIGN.md: allowed in a dry run)."""
    return [e for e in log if e["method"] not in ("GET", "HEAD")
            and e["path"] != "/v1/sys/capabilities-self"]


LOCK_NAME = "_vaultdr-lock." + CNAME


def lock_changes(log):
    """Route 53 change batches on the run lock (DESIGN.md Safety 6)."""
    return [e for e in requests(log, "POST", "route53", "/rrset")
            if LOCK_NAME in (e.get("body") or "")]


def cname_changes(log):
    """Route 53 change batches other than the run lock's."""
    return [e for e in requests(log, "POST", "route53")
            if LOCK_NAME not in (e.get("body") or "")]


def seq_of(log, listener, path_part, method="POST"):
    r = requests(log, method, listener, path_part)
    return r[0]["seq"] if r else None


# ------------------------------------------------------------------ checks

def check(cond, what, ctx=None):
    if not cond:
        raise AssertionError(what + ("\n" + repr(ctx) if ctx is not None else ""))


def assert_failed_over(c, r, new="b", old="a"):
    st = c.mock.state()
    cl = st["clusters"]
    check(cl[new]["mode"] == "primary", "%s should be primary: %s" % (new, cl[new]), r)
    check(cl[old]["mode"] == "secondary", "%s should be secondary" % old, r)
    check(cl[old]["primary"] == new, "%s should replicate from %s: %s" % (old, new, cl[old]), r)
    check(cl[old]["secondary_id"] in cl[new]["known_secondaries"],
          "%s's id must be known to %s" % (old, new), st)
    want = B_DNS if new == "b" else A_DNS
    recs = [x for x in st["route53"]["records"] if x["name"].rstrip(".") == CNAME]
    check(recs and recs[0]["value"].rstrip(".") == want,
          "CNAME should name %s: %s" % (want, recs), r)
    check(not st["two_primaries_up"], "two primaries existed at once", st)
    return st


def assert_unchanged(c, r):
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "primary", "a must still be primary", r)
    check(st["clusters"]["b"]["mode"] == "secondary", "b must still be secondary", r)
    recs = [x for x in st["route53"]["records"] if x["name"].rstrip(".") == CNAME]
    check(recs[0]["value"].rstrip(".") == A_DNS, "CNAME must be unchanged", st)
    return st


def assert_order_demote_before_promote(log, old="a", new="b"):
    d = seq_of(log, old, "/primary/demote")
    p = seq_of(log, new, "/secondary/promote")
    check(d is not None and p is not None and d < p,
          "demote (%s) must come before promote (%s)" % (d, p))


def assert_cname_hostname(log):
    for e in requests(log, "POST", "route53", "/rrset"):
        b = e["body"]
        i = b.find("<Value>")
        v = b[i + 7:b.find("</Value>")]
        check("://" not in v and "/" not in v and ":" not in v,
              "CNAME value must be a host name, got %r" % v)


# ------------------------------------------------------------------- cases

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def failover_planned(c):
    r = c.run("failover", "test")
    check(r.code == 0, "failover should exit 0", r)
    log = c.mock.log()
    assert_failed_over(c, r)
    assert_order_demote_before_promote(log)
    assert_cname_hostname(log)
    # update-primary used the new primary's URL, not the CNAME.
    up = requests(log, "POST", "a", "update-primary")
    check(len(up) == 1, "one update-primary", log)
    check(json.loads(up[0]["body"])["primary_api_addr"] == c.mock.urls["vault_b"],
          "primary_api_addr must be the new primary's URL", up)
    # Route 53 INSYNC was polled; every Vault request carried the token.
    check(requests(log, "GET", "route53", "/change/"), "GetChange polled", log)
    for e in log:
        if e["listener"] in ("a", "b") and e["path"] != "/v1/sys/health":
            check(e["headers"].get("x-vault-token") == VAULT_TOKEN,
                  "X-Vault-Token on %s" % e["path"])
    check("About to" in r.out, "seed-format progress lines", r)
    # A second run changes nothing.
    n = len(log)
    r2 = c.run("failover", "test")
    check(r2.code == 0, "re-run exits 0", r2)
    check(not changing(c.mock.log()[n:]), "re-run must send no changing request",
          c.mock.log()[n:])


@case
def failback_after_failover(c):
    check(c.run("failover", "test").code == 0, "failover")
    r = c.run("failback", "test")
    check(r.code == 0, "failback should exit 0", r)
    assert_failed_over(c, r, new="a", old="b")
    log = c.mock.log()
    d = [e["seq"] for e in requests(log, "POST", "b", "/primary/demote")]
    p = [e["seq"] for e in requests(log, "POST", "a", "/secondary/promote")]
    check(d and p and d[-1] < p[-1], "failback: demote b before promote a")


@case
def update_primary_500_twice(c):
    c.mock.faults([{"listener": "a", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/update-primary",
                    "action": "status", "status": 500, "count": 2}])
    r = c.run("failover", "test")
    check(r.code == 0, "failover should survive two 500s", r)
    assert_failed_over(c, r)
    log = c.mock.log()
    up = requests(log, "POST", "a", "update-primary")
    check(len(up) == 3, "three update-primary attempts, got %d" % len(up))
    toks = {json.loads(e["body"])["token"] for e in up}
    check(len(toks) == 3, "each retry needs a fresh activation token")
    check(len(requests(log, "POST", "b", "secondary-token")) == 3, "3 tokens")


@case
def wrong_recovery_key(c):
    r = c.run("failover", "test", env=c.env(VAULT_RECOVERY_KEY_2="rk-wrong-share"))
    check(r.code == 1, "wrong key must exit 1", r)
    check(r.secs < 10, "wrong key must fail fast", r)
    check("root generation aborted" in r.err, "Vault's message must be shown", r)
    assert_unchanged(c, r)
    log = c.mock.log()
    check(not requests(log, "POST", "a", "demote"), "no demote after a bad key")
    check(not requests(log, "POST", "b", "promote"), "no promote after a bad key")
    check(len(requests(log, "POST", "b", "generate-operation-token/update")) == 2,
          "the rejected key must not be retried", log)


@case
def old_primary_refused(c):
    c.mock.listener("a", "down")
    r = c.run("failover", "test")
    check(r.code == 4, "unreachable primary must exit 4", r)
    check("--primary-down" in r.err, "message must name --primary-down", r)
    check(not changing(c.mock.log()), "nothing may be changed")
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "secondary", "b untouched", st)


@case
def old_primary_blackholed(c):
    c.mock.listener("a", "blackhole")
    r = c.run("failover", "test", env=c.env(VAULTDR_TIMEOUT="0.5",
                                             VAULTDR_CONNECT_TIMEOUT="0.5"))
    check(r.code == 4, "black-holed primary must exit 4", r)
    check(r.secs < 15, "must fail in bounded time", r)
    check(not changing(c.mock.log()), "nothing may be changed")


@case
def primary_down_then_back(c):
    c.mock.listener("a", "down")
    r = c.run("--primary-down", "failover", "test")
    check(r.code == 3, "--primary-down must exit 3", r)
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "primary", "b promoted", st)
    recs = [x for x in st["route53"]["records"] if x["name"].rstrip(".") == CNAME]
    check(recs[0]["value"].rstrip(".") == B_DNS, "CNAME moved", st)
    check("re-run" in r.err, "exit 3 must say what remains", r)
    # The old primary comes back, still believing it is primary.
    c.mock.listener("a", "up")
    check(c.mock.state()["clusters"]["a"]["mode"] == "primary", "a back as primary")
    # Failing back now would demote the cluster clients were sent to.
    n = len(c.mock.log())
    rb = c.run("failback", "test")
    check(rb.code == 1 and "both clusters are DR primaries" in rb.err,
          "failback with two primaries must refuse", rb)
    check(not changing(c.mock.log()[n:]), "the refusal changes nothing")
    r2 = c.run("failover", "test")
    check(r2.code == 0, "re-run after the primary returns exits 0", r2)
    log = c.mock.log()[n:]
    check(requests(log, "POST", "a", "demote"), "the returned primary is demoted")
    check(not requests(log, "POST", "b", "promote"), "b is not promoted again")
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "secondary" and
          st["clusters"]["a"]["primary"] == "b", "a attached to b", st)


@case
def promotion_failure_rolls_back(c):
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "status", "status": 400, "count": 0,
                    "body": "{\"errors\":[\"injected promotion failure\"]}"}])
    r = c.run("failover", "test")
    check(r.code == 1, "failed promotion must exit 1", r)
    check("injected promotion failure" in r.err, "Vault's message shown", r)
    check("rolled back" in r.err, "report must say it rolled back", r)
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "primary", "a primary again", st)
    check(st["clusters"]["b"]["mode"] == "secondary", "b still secondary", st)
    check(not st["two_primaries_up"], "never two primaries", st)
    log = c.mock.log()
    check(requests(log, "POST", "a", "/secondary/promote"), "a re-promoted", log)
    check(not cname_changes(log), "CNAME untouched")


@case
def route53_throttling(c):
    # skip 1: the run lock's CREATE goes through; the UPSERT is throttled.
    c.mock.faults([{"listener": "route53", "method": "POST", "path": "/2013-04-01/",
                    "action": "status", "aws_code": "Throttling", "status": 400,
                    "skip": 1, "count": 2}])
    r = c.run("failover", "test")
    check(r.code == 0, "Throttling must be retried", r)
    assert_failed_over(c, r)
    check(len(cname_changes(c.mock.log())) == 3, "3 UPSERT attempts")


@case
def aws_session_token(c):
    c.close()
    s = scenario()
    s["route53"]["session_token"] = AWS_SESSION
    c.__init__(c.name, s)
    r = c.run("failover", "test", env=c.env(AWS_SESSION_TOKEN=AWS_SESSION))
    check(r.code == 0, "failover with a session token", r)
    for e in requests(c.mock.log(), listener="route53"):
        check(e["headers"].get("x-amz-security-token") == AWS_SESSION, "token sent")
        check("x-amz-security-token" in e["headers"].get("authorization", ""),
              "token signed")
    r2 = c.run("status", "test", env=c.env(AWS_SESSION_TOKEN=None))
    check("InvalidClientTokenId" in r2.out + r2.err or "403" in r2.out + r2.err,
          "without the token Route 53 refuses", r2)


@case
def aws_profile_file(c):
    os.makedirs(os.path.join(c.dir, ".aws"))
    with open(os.path.join(c.dir, ".aws", "credentials"), "w") as f:
        f.write("[default]\naws_access_key_id = AKIDWRONGDEFAULT\n"
                "aws_secret_access_key = wrong\n\n[ci]\n"
                "aws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (AWS_AKID, AWS_SECRET))
    env = c.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_PROFILE="ci")
    r = c.run("failover", "test", env=env)
    check(r.code == 0, "credentials from the [ci] profile", r)
    assert_failed_over(c, r)


@case
def aws_imds_credentials(c):
    env = c.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                AWS_EC2_METADATA_DISABLED=None,
                AWS_EC2_METADATA_SERVICE_ENDPOINT=c.mock.urls["imds"] + "/")
    r = c.run("failover", "test", env=env)
    check(r.code == 0, "credentials from IMDSv2", r)
    assert_failed_over(c, r)
    imds = requests(c.mock.log(), listener="imds")
    check(imds and imds[0]["method"] == "PUT" and
          imds[0]["headers"].get("x-aws-ec2-metadata-token-ttl-seconds"),
          "IMDSv2 token first, with a TTL", imds)
    check(all(e["headers"].get("x-aws-ec2-metadata-token") for e in imds[1:]),
          "every metadata GET carries the token", imds)
    for e in requests(c.mock.log(), listener="route53"):
        check(e["headers"].get("x-amz-security-token"),
              "the role's session token goes with every Route 53 request")


@case
def aws_no_credentials(c):
    env = c.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    r = c.run("failover", "test", env=env)
    check(r.code == 2, "no AWS credentials: exit 2", r)
    for want in ("AWS_ACCESS_KEY_ID", "credentials", "config", "metadata"):
        check(want in r.err, "error names %s" % want, r)
    check(not changing(c.mock.log()), "nothing changed")
    r = c.run("failover", "test", env=c.env(AWS_SECRET_ACCESS_KEY=None))
    check(r.code == 2, "a lone access key is an error", r)


@case
def batch_dr_token(c):
    env = c.env(VAULT_DR_OPERATION_TOKEN=BATCH, VAULT_RECOVERY_KEY_1=None,
                VAULT_RECOVERY_KEY_2=None)
    r = c.run("failover", "test", env=env)
    check(r.code == 0, "batch token failover", r)
    assert_failed_over(c, r)
    log = c.mock.log()
    check(not requests(log, contains="generate-operation-token"),
          "no key-share flow with a batch token")
    pr = requests(log, "POST", "b", "/secondary/promote")
    check(json.loads(pr[0]["body"])["dr_operation_token"] == BATCH, "batch used")


@case
def stale_batch_token_falls_back_to_keys(c):
    r = c.run("failover", "test", env=c.env(VAULT_DR_OPERATION_TOKEN=STALE_BATCH))
    check(r.code == 0, "a refused batch token falls back to recovery keys", r)
    check("instead of VAULT_DR_OPERATION_TOKEN" in r.err, "the fallback warns", r)
    assert_failed_over(c, r)
    log = c.mock.log()
    pr = requests(log, "POST", "b", "/secondary/promote")
    check(len(pr) == 2 and
          json.loads(pr[0]["body"])["dr_operation_token"] == STALE_BATCH and
          json.loads(pr[1]["body"])["dr_operation_token"] != STALE_BATCH,
          "stale batch token first, then a generated one", pr)
    up = requests(log, "POST", "a", "update-primary")
    check(up and json.loads(up[-1]["body"])["dr_operation_token"] != STALE_BATCH,
          "the stale token is not used again", up)


@case
def legacy_otp(c):
    c.close()
    s = scenario()
    for k in ("a", "b"):
        s["clusters"][k]["otp"] = "legacy"
    c.__init__(c.name, s)
    r = c.run("failover", "test")
    check(r.code == 0, "legacy OTP failover", r)
    assert_failed_over(c, r)
    st = requests(c.mock.log(), "POST", "b", "generate-operation-token/attempt")
    check(st and "otp" in json.loads(st[0]["body"]), "client OTP sent")


@case
def dry_run_sends_nothing(c):
    r = c.run("--dry-run", "failover", "test")
    check(r.code == 0, "dry run exits 0", r)
    check("demote" in r.out and "promote" in r.out, "plan printed", r)
    check(not changing(c.mock.log()), "dry run must send only GETs", c.mock.log())
    assert_unchanged(c, r)


@case
def status_report(c):
    r = c.run("status", "test")
    check(r.code == 0, "status exits 0", r)
    for want in (c.mock.urls["vault_a"], c.mock.urls["vault_b"], CNAME, A_DNS,
                 "failover would", "1.15.2+ent"):
        check(want in r.out, "status must show %s" % want, r)
    rj = c.run("--json", "status", "test")
    j = json.loads(rj.out.strip().splitlines()[-1])
    check(j["record"]["names"] == "primary", "record names primary", j)
    check(j["clusters"][0]["mode"] == "primary", "json mode", j)
    check(not changing(c.mock.log()), "status is read-only")


@case
def version_skew_warns(c):
    c.close()
    s = scenario()
    s["clusters"]["a"]["version"] = "1.14.9+ent"
    c.__init__(c.name, s)
    # Issue 16: the new primary (b, 1.15.2) runs a newer Vault than the
    # cluster becoming its secondary (a, 1.14.9): unsupported, so promote
    # and CNAME proceed, the re-attach is skipped, exit 3.
    r = c.run("failover", "test")
    check(r.code == 3, "failover onto a newer Vault: exit 3", r)
    check("1.15.2+ent, newer than 1.14.9+ent" in r.err and
          "Upgrade the old cluster" in r.err, "says so and names the fix", r)
    r = c.run("status", "test")
    check("1.14.9+ent" in r.out and "1.15.2+ent" in r.out, "status shows versions", r)
    # a was never re-attached (it has none of b's writes since): failing
    # back now would lose them, so the replication gate refuses.
    n = len(c.mock.log())
    r = c.run("failback", "test")
    check(r.code == 4 and "replication gate" in r.err, "failback onto the "
          "unattached old cluster is refused", r)
    check(not changing(c.mock.log()[n:]), "nothing changed", r)


@case
def audit_log(c):
    path = os.path.join(c.dir, "audit.jsonl")
    r = c.run("--log", path, "failover", "test")
    check(r.code == 0, "failover with --log", r)
    check(os.stat(path).st_mode & 0o777 == 0o600, "audit log is mode 0600")
    r2 = c.run("--log", path, "failover", "test")
    check(r2.code == 0, "second run appends", r2)
    with open(path) as f:
        txt = f.read()
    lines = [json.loads(x) for x in txt.splitlines()]
    runs = [x for x in lines if x["step"] == "run"]
    sums = [x for x in lines if x["step"] == "summary"]
    check(len(runs) == 2 and len(sums) == 2, "one record per run, appended", lines)
    check(sums[0]["exit_code"] == 0, "summary recorded", sums)
    check(any(x["step"] == "promote" for x in lines), "steps recorded")
    # The file vaultdr writes must hold no secret either.
    c.outputs.append(Result(0, txt, "", 0))
    os.chmod(path, 0o644)
    r3 = c.run("--log", path, "status", "test")
    check(r3.code == 2 and "0600" in r3.err, "a readable audit log is refused", r3)


@case
def json_output(c):
    r = c.run("--json", "failover", "test")
    check(r.code == 0, "json failover", r)
    lines = [json.loads(x) for x in r.out.strip().splitlines()]
    for x in lines:
        for k in ("time", "step"):
            check(k in x, "field %s" % k, x)
    check(lines[-1]["step"] == "summary" and lines[-1]["exit_code"] == 0,
          "summary line", lines[-1])
    steps = [x["step"] for x in lines if x.get("action") == "end"]
    check("promote" in steps and "demote" in steps, "steps reported", steps)


@case
def missing_vault_token(c):
    r = c.run("failover", "test", env=c.env(VAULT_TOKEN=None))
    check(r.code == 2, "missing VAULT_TOKEN without a terminal: exit 2", r)
    check("VAULT_TOKEN" in r.err, "message names VAULT_TOKEN", r)
    check(not c.mock.log(), "no request may be sent", c.mock.log())


@case
def missing_recovery_key(c):
    r = c.run("failover", "test", env=c.env(VAULT_RECOVERY_KEY_2=None))
    check(r.code == 2, "a missing key share without a terminal: exit 2", r)
    check("VAULT_RECOVERY_KEY_2" in r.err, "message names the variable", r)
    check(not changing(c.mock.log()), "nothing may be changed", c.mock.log())


@case
def terminal_prompts(c):
    import pty
    argv = [VAULTDR, "-c", c.cfg, "failover", "test"]
    env = c.env(VAULT_RECOVERY_KEY_2=None)
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(c.dir)
        os.execve(VAULTDR, argv, env)
    seen = b""

    def until(want, timeout=15):
        nonlocal seen
        deadline = time.time() + timeout
        while want not in seen:
            check(time.time() < deadline, "no %r on the terminal: %r" % (want, seen))
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                check(want in seen, "terminal closed before %r: %r" % (want, seen))
                break
            seen += chunk
    # The confirmation shows the plan and wants the environment's name.
    until(b"Type the environment name 'test'")
    check(b"will: demote, promote" in seen, "the plan is shown", seen)
    os.write(fd, b"test\n")
    until(b"Recovery key 2 of 2")
    os.write(fd, KEYS[1].encode() + b"\n")
    until(b"desired state reached")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    txt = seen.decode(errors="replace")
    c.outputs.append(Result(os.waitstatus_to_exitcode(status), txt, "", 0))
    check(os.waitstatus_to_exitcode(status) == 0, "prompted failover exits 0", txt)
    check(KEYS[1] not in txt, "the typed key must not be echoed", txt)
    assert_failed_over(c, None)


@case
def bad_config_and_env(c):
    with open(c.cfg, "a") as f:
        f.write("this line is garbage\n")
    r = c.run("failover", "test")
    check(r.code == 2, "garbled config exits 2", r)
    check("vault_dr.cfg:" in r.err, "error names file and line", r)
    write_cfg(c.mock, c.cfg)
    r = c.run("failover", "nosuchenv")
    check(r.code == 2 and "nosuchenv" in r.err, "unknown ENV exits 2", r)
    r = c.run("failover", "test", env=c.env(VAULTDR_TIMEOUT="soon"))
    check(r.code == 2 and "VAULTDR_TIMEOUT" in r.err, "bad number exits 2", r)
    r = c.run("frobnicate", "test")
    check(r.code == 2, "unknown command exits 2", r)
    check(not c.mock.log(), "no request may be sent", c.mock.log())


@case
def untrusted_certificate(c):
    r = c.run("failover", "test",
              env=c.env(VAULT_CACERT=os.path.join(CERTS, "other-ca.pem")))
    check(r.code == 1, "untrusted certificate exits 1", r)
    check("not trusted" in r.err, "clear TLS message", r)
    check(not requests(c.mock.log(), listener="a") and
          not requests(c.mock.log(), listener="b"),
          "no HTTP request may reach Vault", c.mock.log())
    assert_unchanged(c, r)


@case
def skip_verify_warns(c):
    r = c.run("status", "test", env=c.env(VAULT_CACERT=None, VAULT_SKIP_VERIFY="1"))
    check(r.code == 0, "skip verify works", r)
    check("VAULT_SKIP_VERIFY" in r.err, "skip verify warns", r)


@case
def lost_answers_are_reread(c):
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "hangup", "count": 1},
                   {"listener": "a", "method": "POST",
                    "path": "/v1/sys/replication/dr/primary/demote",
                    "action": "garbage", "count": 1}])
    r = c.run("failover", "test")
    check(r.code == 0, "lost answers must be re-read, not fatal", r)
    check("reading the clusters again" in r.err, "the re-read is reported", r)
    assert_failed_over(c, r)


@case
def malformed_replies(c):
    c.mock.faults([{"listener": "b", "method": "GET",
                    "path": "/v1/sys/replication/dr/status", "action": "status",
                    "status": 200, "body": "{\"data\":{\"mode\":", "count": 0}])
    r = c.run("failover", "test")
    check(r.code == 1 and "not a JSON object" in r.err, "truncated JSON", r)
    c.mock.faults([{"listener": "route53", "method": "GET", "path": "/2013-04-01/",
                    "action": "status", "status": 200, "count": 0,
                    "body": "<ListResourceRecordSetsResponse><ResourceRecordSets>"
                            "<ResourceRecordSet><Name>x"}])
    r = c.run("failover", "test")
    check(r.code == 1 and "XML" in r.err, "truncated XML", r)
    c.mock.faults([{"listener": "a", "method": "*", "path": "/", "action": "garbage",
                    "count": 0}])
    r = c.run("failover", "test")
    check(r.code == 1 and "cannot be read" in r.err, "garbage bytes", r)
    check(not changing(c.mock.log()), "nothing may be changed", c.mock.log())
    assert_unchanged(c, r)


@case
def environment_scrubbed(c):
    # While vaultdr runs, /proc/PID/environ must no longer show the secrets
    # it was given (it copies them into wiped buffers, then clears them).
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "blackhole", "count": 1}])
    env = c.env(VAULTDR_TIMEOUT="30", AWS_SESSION_TOKEN=AWS_SESSION)
    p = subprocess.Popen([VAULTDR, "-c", c.cfg, "failover", "test"], env=env,
                         cwd=c.dir, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        deadline = time.time() + 10
        while not requests(c.mock.log(), "POST", "b", "/secondary/promote"):
            check(time.time() < deadline and p.poll() is None, "promote never sent")
            time.sleep(0.02)
        with open("/proc/%d/environ" % p.pid, "rb") as f:
            environ = f.read().decode(errors="replace")
        check("VAULT_TOKEN=" in environ, "environ readable", environ[:200])
        for sec in [VAULT_TOKEN, AWS_SECRET, AWS_SESSION] + KEYS[:2]:
            check(sec not in environ,
                  "a secret (%s...) is still in /proc/PID/environ" % sec[:6])
    finally:
        p.kill()
        p.communicate()


@case
def ipv6_literal_urls(c):
    import socket
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as so:
            so.bind(("::1", 0))
    except OSError:
        raise Skip("no IPv6 loopback on this machine")
    c.close()
    c.__init__(c.name, scenario(), ["--bind", "::1", "--host", "::1"])
    check(c.mock.urls["vault_a"].startswith("https://[::1]:"), "v6 URLs", c.mock.urls)
    # https://[::1]:port: the certificate's iPAddress SAN is what is verified.
    r = c.run("failover", "test")
    check(r.code == 0, "failover over IPv6 literal URLs", r)
    assert_failed_over(c, r)
    up = requests(c.mock.log(), "POST", "a", "update-primary")
    check(json.loads(up[0]["body"])["primary_api_addr"] == c.mock.urls["vault_b"],
          "primary_api_addr keeps the brackets", up)


@case
def sigint_stops_cleanly(c):
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "blackhole", "count": 1}])
    argv = (WRAP.split() if WRAP else []) + [VAULTDR, "-c", c.cfg, "failover", "test"]
    p = subprocess.Popen(argv, env=c.env(VAULTDR_TIMEOUT="30"), cwd=c.dir,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 10
    while not requests(c.mock.log(), "POST", "b", "/secondary/promote"):
        check(time.time() < deadline and p.poll() is None, "promote never sent")
        time.sleep(0.02)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    r = Result(p.returncode, out, err, time.time() - t0)
    c.outputs.append(r)
    check(r.code == 1, "SIGINT must stop with exit 1", r)
    check(r.secs < 3, "SIGINT must not wait for the I/O timeout", r)
    check("stopped by signal" in r.err and "re-run" in r.err, "report", r)
    c.mock.faults([])
    r2 = c.run("failover", "test")
    check(r2.code == 0, "a re-run after SIGINT converges", r2)
    assert_failed_over(c, r2)


def main(cases=None, make_scenario=None):
    """Runs cases (default: this file's CASES); other e2e files reuse it."""
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = skipped = 0
    for fn in cases if cases is not None else CASES:
        if only and only not in fn.__name__:
            continue
        c = None
        t0 = time.time()
        try:
            c = Case(fn.__name__, (make_scenario or scenario)())
            fn(c)
            # Secret hygiene over every run of the case.
            secrets = SECRETS + sorted(c.generated_secrets())
            for r in c.outputs:
                for s in secrets:
                    check(s not in r.out and s not in r.err,
                          "a secret (%s...) appeared in vaultdr's output" % s[:6], r)
            # Every JSON line vaultdr printed, in every suite, against the
            # schema documented in vaultdr.1 (kept in test_ux.py).
            import test_ux
            for r in c.outputs:
                if getattr(r, "from_vaultdr", False):
                    for line in r.out.splitlines():
                        if line.startswith("{"):
                            test_ux.validate_line(line)
            passed += 1
            print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0))
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (fn.__name__, e))
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0))
            traceback.print_exc(file=sys.stdout)
        finally:
            if c:
                c.close()
        sys.stdout.flush()
    print("%d passed, %d failed%s" % (passed, failed,
                                      ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
