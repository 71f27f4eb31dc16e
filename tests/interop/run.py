#!/usr/bin/python3
"""make interop: real clients against vaultdr-mock over TLS.

The Debian AWS CLI (Route 53 XML shapes and SigV4 as AWS computes it; STS
AssumeRole/AssumeRoleWithWebIdentity, SSO GetRoleCredentials and container
credentials as the mock serves them), hvac
(Vault health, replication status, DR operation token generation, promote,
secondary-token), botocore's EC2 instance metadata fetcher (IMDSv2), and a
few checks of the mock's own fault injection and IMDS listener with urllib.
Prints ok/FAIL per check and ends with "N passed, N failed".

Usage: /usr/bin/python3 tests/interop/run.py BUILD_DIR MOCK_BIN
"""
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = sys.argv[1] if len(sys.argv) > 1 else "build"
MOCK = sys.argv[2] if len(sys.argv) > 2 else "mock/vaultdr-mock"
CERTS = os.path.join(TOP, B, "certs")
CA = os.path.join(CERTS, "ca.pem")
TOKEN = "mock-root-token"
BATCH = "mock-batch-dr-token"
KEYS = ["rk-one", "rk-two", "rk-three"]
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name, flush=True)
    else:
        failed += 1
        print("FAIL " + name + (": " + str(detail)[:600] if detail else ""),
              flush=True)


def run_check(name, fn):
    try:
        fn()
    except Exception as e:  # a crashing check is a failed check
        check(name, False, "%s: %s" % (type(e).__name__, e))


class Mock:
    def __init__(self, tmp, scenario):
        self.tmp = tmp
        self.ready = os.path.join(tmp, "ready.json")
        self.log = os.path.join(tmp, "requests.jsonl")
        sc = os.path.join(tmp, "scenario.json")
        with open(sc, "w") as f:
            json.dump(scenario, f)
        self.proc = subprocess.Popen(
            [MOCK, "--cert", os.path.join(CERTS, "server.pem"),
             "--key", os.path.join(CERTS, "server.key"),
             "--ready-file", self.ready, "--scenario", sc, "--log", self.log,
             "--state-file", os.path.join(tmp, "state.json")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = time.monotonic()
        line = self.proc.stdout.readline()
        self.startup = time.monotonic() - self.started
        if not line.startswith("READY "):
            raise RuntimeError("mock did not start: %r %s" %
                               (line, self.proc.stderr.read()))
        self.urls = json.loads(line[6:])
        with open(self.ready) as f:
            self.ready_json = json.load(f)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.urls["control"] + path, data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read() or b"null")

    def state(self):
        return self.control("GET", "/state")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def aws(m, args, secret=SECRET):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIDMOCKEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_PAGER": ""})
    p = subprocess.run(["/usr/bin/python3", "/usr/bin/aws",
                        "--endpoint-url", m.urls["route53"],
                        "--ca-bundle", CA, "--output", "json", "route53"]
                       + args, env=env, capture_output=True, text=True,
                       timeout=60)
    return p


def route53_checks(m, tmp):
    batch = {"Comment": "interop", "Changes": [{"Action": "UPSERT",
             "ResourceRecordSet": {"Name": "vault.test.example.test",
                                   "Type": "CNAME", "TTL": 60,
                                   "ResourceRecords": [
                                       {"Value": "vault-b.lb.example.test"}]}}]}
    bf = os.path.join(tmp, "batch.json")
    with open(bf, "w") as f:
        json.dump(batch, f)
    p = aws(m, ["change-resource-record-sets", "--hosted-zone-id",
                "Z0MOCK1234", "--change-batch", "file://" + bf])
    ok = p.returncode == 0
    info = json.loads(p.stdout)["ChangeInfo"] if ok else {}
    check("aws route53 change-resource-record-sets UPSERT",
          ok and info.get("Status") == "PENDING" and
          info.get("Id", "").startswith("/change/C"), p.stderr or p.stdout)
    if not ok:
        return
    cid = info["Id"].split("/")[-1]
    status, deadline = "", time.monotonic() + 15
    while time.monotonic() < deadline:
        g = aws(m, ["get-change", "--id", cid])
        if g.returncode != 0:
            break
        status = json.loads(g.stdout)["ChangeInfo"]["Status"]
        if status == "INSYNC":
            break
        time.sleep(0.3)
    check("aws route53 get-change polled until INSYNC", status == "INSYNC",
          g.stderr or g.stdout)
    ls = aws(m, ["list-resource-record-sets", "--hosted-zone-id",
                 "Z0MOCK1234", "--start-record-name",
                 "vault.test.example.test", "--start-record-type", "CNAME",
                 "--max-items", "1"])
    sets = json.loads(ls.stdout).get("ResourceRecordSets", []) \
        if ls.returncode == 0 else []
    check("aws route53 list-resource-record-sets",
          len(sets) == 1 and sets[0]["Name"] == "vault.test.example.test." and
          sets[0]["ResourceRecords"][0]["Value"] == "vault-b.lb.example.test",
          ls.stderr or ls.stdout)
    full = aws(m, ["list-resource-record-sets", "--hosted-zone-id",
                   "Z0MOCK1234"])
    names = [s["Name"] for s in json.loads(full.stdout)["ResourceRecordSets"]] \
        if full.returncode == 0 else []
    check("aws route53 list order: labels reversed",
          names == ["example.test.", "vault-a.lb.example.test.",
                    "vault.test.example.test."], names or full.stderr)
    bad = aws(m, ["list-resource-record-sets", "--hosted-zone-id",
                  "Z0MOCK1234"], secret="not-the-secret")
    check("aws route53 wrong secret key -> SignatureDoesNotMatch",
          bad.returncode != 0 and "SignatureDoesNotMatch" in bad.stderr,
          bad.stderr)
    nz = aws(m, ["list-resource-record-sets", "--hosted-zone-id", "ZNOPE"])
    check("aws route53 unknown zone -> NoSuchHostedZone",
          nz.returncode != 0 and "NoSuchHostedZone" in nz.stderr, nz.stderr)
    batch["Changes"][0]["ResourceRecordSet"]["ResourceRecords"] = [
        {"Value": "https://vault-b.lb.example.test:8200"}]
    with open(bf, "w") as f:
        json.dump(batch, f)
    u = aws(m, ["change-resource-record-sets", "--hosted-zone-id",
                "Z0MOCK1234", "--change-batch", "file://" + bf])
    rec = [r for r in m.state()["route53"]["records"]
           if r["name"] == "vault.test.example.test."]
    check("aws route53 URL as CNAME value rejected (InvalidChangeBatch)",
          u.returncode != 0 and "InvalidChangeBatch" in u.stderr and
          rec and rec[0]["value"] == "vault-b.lb.example.test", u.stderr)


SRC_AKID = "AKIDMOCKSOURCE"
SRC_SECRET = "mock/source+Secret/Key/EXAMPLEKEY00"
ROLE = "arn:aws:iam::123456789012:role/vaultdr-dr"


def aws_cli(m, service, args, akid=SRC_AKID, secret=SRC_SECRET):
    """The AWS CLI against the mock's Route 53 listener, where the mock also
    serves STS and the SSO portal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    return subprocess.run(["/usr/bin/python3", "/usr/bin/aws",
                           "--endpoint-url", m.urls["route53"],
                           "--ca-bundle", CA, "--output", "json", service]
                          + args, env=env, capture_output=True, text=True,
                          timeout=60)


def sts_checks(m):
    p = aws_cli(m, "sts", ["assume-role", "--role-arn", ROLE,
                           "--role-session-name", "interop",
                           "--duration-seconds", "900"])
    cr = json.loads(p.stdout)["Credentials"] if p.returncode == 0 else {}
    check("aws sts assume-role (SigV4 checked by the mock)",
          cr.get("AccessKeyId") == "AKIDMOCKEXAMPLE" and
          cr.get("SecretAccessKey") == SECRET and cr.get("SessionToken") and
          cr.get("Expiration"), p.stderr or p.stdout)
    bad = aws_cli(m, "sts", ["assume-role", "--role-arn", ROLE,
                             "--role-session-name", "interop"],
                  secret="wrong")
    check("aws sts assume-role wrong secret -> SignatureDoesNotMatch",
          bad.returncode != 0 and "SignatureDoesNotMatch" in bad.stderr,
          bad.stderr)
    other = aws_cli(m, "sts", ["assume-role", "--role-arn",
                               "arn:aws:iam::123456789012:role/other",
                               "--role-session-name", "interop"])
    check("aws sts assume-role other role -> AccessDenied",
          other.returncode != 0 and "AccessDenied" in other.stderr,
          other.stderr)
    w = aws_cli(m, "sts", ["assume-role-with-web-identity", "--role-arn",
                           ROLE, "--role-session-name", "interop",
                           "--web-identity-token", "mock-web-identity-token"])
    wc = json.loads(w.stdout)["Credentials"] if w.returncode == 0 else {}
    check("aws sts assume-role-with-web-identity",
          wc.get("AccessKeyId") == "AKIDMOCKEXAMPLE", w.stderr or w.stdout)
    sso = aws_cli(m, "sso", ["get-role-credentials", "--role-name",
                             "vaultdr-dr", "--account-id", "123456789012",
                             "--access-token", "mock-sso-access-token"])
    rc = json.loads(sso.stdout)["roleCredentials"] if sso.returncode == 0 \
        else {}
    check("aws sso get-role-credentials",
          rc.get("accessKeyId") == "AKIDMOCKEXAMPLE" and
          rc.get("expiration", 0) > time.time() * 1000, sso.stderr or sso.stdout)
    # The Route 53 accepts the assumed role's keys (the CLI sends the token).
    if cr:
        env_key = cr["AccessKeyId"]
        q = subprocess.run(
            ["/usr/bin/python3", "/usr/bin/aws", "--endpoint-url",
             m.urls["route53"], "--ca-bundle", CA, "--output", "json",
             "route53", "get-change", "--id", "CNOPE"],
            env=dict({k: v for k, v in os.environ.items()
                      if not k.startswith("AWS_")},
                     AWS_ACCESS_KEY_ID=env_key,
                     AWS_SECRET_ACCESS_KEY=cr["SecretAccessKey"],
                     AWS_SESSION_TOKEN=cr["SessionToken"],
                     AWS_DEFAULT_REGION="us-east-1",
                     AWS_CONFIG_FILE="/dev/null",
                     AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                     AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1"),
            capture_output=True, text=True, timeout=60)
        check("Route 53 accepts the assumed role's credentials",
              "NoSuchChange" in q.stderr and "Signature" not in q.stderr,
              q.stderr)
    # The AWS CLI with the mock's container credentials endpoint as its only
    # credential source reaches Route 53.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                    m.urls["imds"] + "/v2/credentials/mock-task",
                "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    q = subprocess.run(["/usr/bin/python3", "/usr/bin/aws", "--endpoint-url",
                        m.urls["route53"], "--ca-bundle", CA, "--output",
                        "json", "route53", "get-change", "--id", "CNOPE"],
                       env=env, capture_output=True, text=True, timeout=60)
    check("aws route53 with container credentials only",
          "NoSuchChange" in q.stderr and "Signature" not in q.stderr and
          "credentials" not in q.stderr.lower(), q.stderr)


def hvac_checks(m):
    import hvac
    a = hvac.Client(url=m.urls["vault_a"], token=TOKEN, verify=CA)
    b = hvac.Client(url=m.urls["vault_b"], token=TOKEN, verify=CA)

    h = a.sys.read_health_status(method="GET")
    check("hvac read_health_status on primary A",
          isinstance(h, dict) and h.get("replication_dr_mode") == "primary" and
          h.get("sealed") is False, h)
    hb = b.sys.read_health_status(method="GET")
    code = getattr(hb, "status_code", None)
    check("hvac read_health_status on DR secondary B -> 472", code == 472, hb)
    hb2 = b.sys.read_health_status(method="GET", dr_secondary_code=200)
    check("hvac health drsecondarycode=200 override",
          isinstance(hb2, dict) and hb2.get("replication_dr_mode") ==
          "secondary", hb2)
    rs = a.adapter.get("/v1/sys/replication/status")
    dr = rs["data"]["dr"]
    check("hvac replication status (primary shape)",
          dr["mode"] == "primary" and dr["state"] == "running" and
          dr["known_secondaries"] == ["initial-b"] and
          dr["secondaries"][0]["connection_status"] == "connected" and
          rs["data"]["performance"]["mode"] == "disabled", rs)
    rb = b.adapter.get("/v1/sys/replication/dr/status")["data"]
    check("hvac dr/status (secondary shape)",
          rb["mode"] == "secondary" and rb["state"] == "stream-wals" and
          rb["secondary_id"] == "initial-b" and
          rb["cluster_id"] == dr["cluster_id"] and
          rb["last_remote_wal"] == dr["last_wal"], rb)
    try:
        b.adapter.get("/v1/secret/data/x")
        check("hvac DR secondary rejects other paths", False, "no error")
    except hvac.exceptions.InvalidRequest as e:
        check("hvac DR secondary rejects other paths",
              "path disabled in replication DR secondary mode" in str(e), e)

    # DR operation token from recovery keys, modern OTP, decoded here.
    base = "/v1/sys/replication/dr/secondary/generate-operation-token/"
    st = b.adapter.put(base + "attempt", json={})
    otp = st.get("otp", "")
    check("hvac generate-operation-token attempt (modern OTP)",
          st.get("started") is True and len(otp) == 28 and
          st.get("otp_length") == 28 and st.get("required") == 2, st)
    g = b.adapter.get(base + "attempt")
    check("attempt status never repeats the OTP",
          g.get("otp") == "" and g.get("nonce") == st["nonce"], g)
    up = None
    for k in KEYS[:2]:
        up = b.adapter.put(base + "update", json={"key": k,
                                                    "nonce": st["nonce"]})
    enc = up.get("encoded_token", "")
    check("hvac update with threshold keys completes",
          up.get("complete") is True and enc and up.get("otp_length") == 0,
          up)
    raw = base64.b64decode(enc + "=" * (-len(enc) % 4))
    tok = bytes(x ^ y for x, y in zip(raw, otp.encode())).decode()
    check("encoded_token decodes with the OTP (modern)",
          len(raw) == len(otp) and tok.startswith("hvs.") and
          "=" not in enc, tok)
    pr = b.adapter.post("/v1/sys/replication/dr/secondary/promote",
                        json={"dr_operation_token": tok})
    s = m.state()
    check("hvac promote B with the decoded token",
          isinstance(pr, dict) and pr.get("warnings") and
          s["clusters"]["b"]["mode"] == "primary" and
          s["two_primaries_up"] is True, pr)
    dm = a.adapter.post("/v1/sys/replication/dr/primary/demote")
    check("hvac demote A", isinstance(dm, dict) and
          m.state()["clusters"]["a"]["mode"] == "secondary", dm)
    try:
        hvac.Client(url=m.urls["vault_b"], verify=CA).adapter.post(
            "/v1/sys/replication/dr/primary/secondary-token",
            json={"id": "a-1"})
        check("secondary-token needs X-Vault-Token", False, "no error")
    except hvac.exceptions.Forbidden:
        check("secondary-token needs X-Vault-Token", True)
    wt = b.adapter.post("/v1/sys/replication/dr/primary/secondary-token",
                        json={"id": "a-1", "ttl": "5m"})
    wi = wt.get("wrap_info") or {}
    check("hvac secondary-token on new primary B (wrapped)",
          wt.get("data") is None and wi.get("token", "").startswith("eyJ") and
          wi.get("ttl") == 300, wt)
    r = a.adapter.post("/v1/sys/replication/dr/secondary/update-primary",
                       json={"dr_operation_token": BATCH,
                             "token": wi.get("token"),
                             "primary_api_addr": m.urls["vault_b"]})
    s = m.state()["clusters"]
    check("hvac update-primary re-attaches A to B",
          isinstance(r, dict) and s["a"]["state"] == "stream-wals" and
          s["a"]["primary"] == "b" and s["b"]["known_secondaries"] == ["a-1"],
          s)
    try:
        a.adapter.post("/v1/sys/replication/dr/secondary/update-primary",
                       json={"dr_operation_token": BATCH,
                             "token": wi.get("token"),
                             "primary_api_addr": m.urls["vault_b"]})
        check("activation token is single-use", False, "no error")
    except hvac.exceptions.InternalServerError as e:
        check("activation token is single-use",
              "wrapping token is not valid or does not exist" in str(e), e)


IMDS_CREDS = "/latest/meta-data/iam/security-credentials/"
TTL_HDR = "X-aws-ec2-metadata-token-ttl-seconds"
TOK_HDR = "X-aws-ec2-metadata-token"


def imds(m, method, path, headers=None):
    req = urllib.request.Request(m.urls["imds"] + path, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def imds_checks(m):
    check("ready file has the imds listener (plain HTTP, loopback)",
          m.urls.get("imds", "").startswith("http://127.0.0.1:") and
          m.state()["listeners"]["imds"]["state"] == "up", m.urls)
    st, _ = imds(m, "PUT", "/latest/api/token")
    check("imds token PUT without the TTL header -> 400", st == 400, st)
    st, _ = imds(m, "PUT", "/latest/api/token", {TTL_HDR: "21601"})
    check("imds token PUT with TTL 21601 -> 400", st == 400, st)
    st, tok = imds(m, "PUT", "/latest/api/token", {TTL_HDR: "21600"})
    check("imds token PUT with the TTL header -> token",
          st == 200 and len(tok) >= 32 and tok.isalnum(), (st, tok))
    st, _ = imds(m, "GET", "/latest/api/token")
    check("imds GET on the token path -> 405", st == 405, st)
    st, _ = imds(m, "GET", IMDS_CREDS)
    check("imds role listing without a token -> 401 (IMDSv2 required)",
          st == 401, st)
    st, _ = imds(m, "GET", IMDS_CREDS, {TOK_HDR: "not-a-token"})
    check("imds role listing with an unknown token -> 401", st == 401, st)
    st, role = imds(m, "GET", IMDS_CREDS, {TOK_HDR: tok})
    check("imds role listing with the token -> role name",
          st == 200 and role == "vaultdr-dr-role", (st, role))
    st, body = imds(m, "GET", IMDS_CREDS + role, {TOK_HDR: tok})
    cr = json.loads(body) if st == 200 else {}
    exp = cr.get("Expiration", "")
    check("imds credentials JSON (route53 keys by default)",
          cr.get("Code") == "Success" and cr.get("Type") == "AWS-HMAC" and
          cr.get("AccessKeyId") == "AKIDMOCKEXAMPLE" and
          cr.get("SecretAccessKey") == SECRET and cr.get("Token") and
          cr.get("LastUpdated", "").endswith("Z") and
          exp.endswith("Z") and exp > time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                   time.gmtime()), (st, body))
    st, _ = imds(m, "GET", IMDS_CREDS + "some-other-role", {TOK_HDR: tok})
    check("imds unknown role -> 404", st == 404, st)
    st, _ = imds(m, "GET", "/latest/meta-data/nope", {TOK_HDR: tok})
    check("imds unknown path -> 404", st == 404, st)
    st, _ = imds(m, "POST", IMDS_CREDS, {TOK_HDR: tok})
    check("imds POST on the role listing -> 405", st == 405, st)

    try:
        from botocore.utils import InstanceMetadataFetcher
    except ImportError:  # Debian's awscli 2 carries its own botocore
        from awscli.botocore.utils import InstanceMetadataFetcher
    f = InstanceMetadataFetcher(timeout=1, num_attempts=1, env={},
                                base_url=m.urls["imds"] + "/")
    c = f.retrieve_iam_role_credentials()
    check("botocore InstanceMetadataFetcher gets the role credentials",
          c.get("role_name") == "vaultdr-dr-role" and
          c.get("access_key") == "AKIDMOCKEXAMPLE" and
          c.get("secret_key") == SECRET and c.get("token") == cr.get("Token")
          and c.get("expiry_time") == exp, c)

    # The AWS CLI with IMDS as its only credential source reaches Route 53.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": m.urls["imds"] + "/",
                "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    p = subprocess.run(["/usr/bin/python3", "/usr/bin/aws",
                        "--endpoint-url", m.urls["route53"],
                        "--ca-bundle", CA, "--output", "json", "route53",
                        "list-resource-record-sets", "--hosted-zone-id",
                        "Z0MOCK1234"], env=env, capture_output=True,
                       text=True, timeout=60)
    # The mock logs a request after answering it: give the line a moment.
    deadline = time.monotonic() + 3
    while True:
        with open(m.log) as fl:
            seen = [json.loads(line) for line in fl]
        r53 = [x for x in seen if x["listener"] == "route53" and
               x["path"].endswith("/hostedzone/Z0MOCK1234/rrset")]
        if (r53 and r53[-1]["headers"].get("x-amz-security-token") ==
                cr.get("Token")) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check("aws route53 with IMDS credentials only",
          p.returncode == 0 and "ResourceRecordSets" in p.stdout and r53 and
          r53[-1]["headers"].get("x-amz-security-token") == cr.get("Token"),
          p.stderr or p.stdout)
    check("imds requests in the request log as listener imds",
          any(x["listener"] == "imds" and x["method"] == "PUT" and
              x["path"] == "/latest/api/token" and x["status"] == 200
              for x in seen), seen[-3:])

    m.control("POST", "/faults", [{"listener": "imds", "method": "PUT",
                                   "path": "/latest/api/token",
                                   "status": 503, "count": 1}])
    st1, _ = imds(m, "PUT", "/latest/api/token", {TTL_HDR: "60"})
    st2, _ = imds(m, "PUT", "/latest/api/token", {TTL_HDR: "60"})
    check("fault on the imds listener: 503 once, then served",
          (st1, st2) == (503, 200), (st1, st2))
    m.control("POST", "/listener", {"name": "imds", "state": "down"})
    try:
        imds(m, "PUT", "/latest/api/token", {TTL_HDR: "60"})
        check("imds listener down: connection refused", False, "answered")
    except Exception as e:
        check("imds listener down: connection refused", "refused" in str(e),
              e)
    m.control("POST", "/listener", {"name": "imds", "state": "up"})
    st, _ = imds(m, "GET", IMDS_CREDS, {TOK_HDR: tok})
    check("imds listener up again, token still valid", st == 200, st)


def imds_v1_checks(tmp):
    d = os.path.join(tmp, "imds-v1")
    os.mkdir(d)
    m = Mock(d, {"imds": {"role": "other-role", "access_key": "ASIAMOCK",
                          "secret_key": "imds-secret", "token": "imds-tok",
                          "expiration": "2030-01-01T00:00:00Z",
                          "require_v2": False}})
    try:
        st, role = imds(m, "GET", IMDS_CREDS)
        check("imds require_v2 false: IMDSv1 role listing without a token",
              st == 200 and role == "other-role", (st, role))
        st, body = imds(m, "GET", IMDS_CREDS + "other-role")
        cr = json.loads(body) if st == 200 else {}
        check("imds scenario credentials and expiration",
              cr.get("AccessKeyId") == "ASIAMOCK" and
              cr.get("SecretAccessKey") == "imds-secret" and
              cr.get("Token") == "imds-tok" and
              cr.get("Expiration") == "2030-01-01T00:00:00Z", body)
        st, _ = imds(m, "GET", IMDS_CREDS, {TOK_HDR: "expired-or-bogus"})
        check("imds IMDSv1 mode still rejects a bad token -> 401",
              st == 401, st)
    finally:
        m.stop()
    bad = os.path.join(d, "bad.json")
    with open(bad, "w") as f:
        json.dump({"imds": {"rol": "x"}}, f)
    p = subprocess.run([MOCK, "--plain", "--scenario", bad],
                       capture_output=True, text=True, timeout=10)
    check("unknown imds scenario key is an error naming it",
          p.returncode == 2 and "imds.rol: unknown key" in p.stderr,
          p.stderr)


def tls_ctx():
    return ssl.create_default_context(cafile=CA)


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout,
                                    context=tls_ctx()) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def mock_checks(m):
    a = m.urls["vault_a"]
    m.control("POST", "/faults", [{"listener": "a", "method": "GET",
                                   "path": "/v1/sys/health",
                                   "status": 500, "count": 2}])
    codes = [get(a + "/v1/sys/health")[0] for _ in range(3)]
    # A is a DR secondary again by now: served means 472.
    check("fault: 500 twice, then served", codes == [500, 500, 472], codes)
    m.control("POST", "/faults", [{"listener": "*", "path": "/",
                                   "action": "hangup", "count": 1}])
    try:
        get(a + "/v1/sys/health")
        check("fault: hangup", False, "answered")
    except Exception:
        check("fault: hangup", True)
    m.control("POST", "/faults", [{"listener": "route53", "path": "/",
                                   "aws_code": "Throttling", "count": 1}])
    st, body = get(m.urls["route53"] + "/2013-04-01/change/C1")
    check("fault: Route 53 Throttling error XML",
          st == 400 and b"<Code>Throttling</Code>" in body, (st, body))
    m.control("POST", "/faults", [])
    m.control("POST", "/listener", {"name": "a", "state": "blackhole"})
    try:
        get(a + "/v1/sys/health", timeout=0.7)
        check("listener blackhole: no answer", False, "answered")
    except Exception as e:
        check("listener blackhole: no answer", "timed out" in str(e), e)
    m.control("POST", "/listener", {"name": "a", "state": "down"})
    try:
        get(a + "/v1/sys/health", timeout=2)
        check("listener down: connection refused", False, "answered")
    except Exception as e:
        check("listener down: connection refused", "refused" in str(e), e)
    m.control("POST", "/listener", {"name": "a", "state": "up"})
    check("listener up again on the same port",
          get(a + "/v1/sys/health", timeout=3)[0] == 472)
    host, port = a.split("//")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=3) as raw:
        with tls_ctx().wrap_socket(raw, server_hostname=host) as s:
            s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab")
            resp = s.recv(4096)
    check("malformed request -> 400", resp.startswith(b"HTTP/1.1 400 "), resp)
    with open(m.log) as f:
        lines = [json.loads(line) for line in f]
    st = m.state()
    seqs = [x["seq"] for x in lines]
    check("request log: one JSON line per request, headers and bodies",
          seqs == sorted(seqs) and len(lines) == st["requests"] and
          any(x["path"].endswith("/secondary-token") and
              x["headers"].get("x-vault-token") == TOKEN and
              '"a-1"' in x["body"] for x in lines) and
          any(x["action"] == "hangup" and x["status"] is None
              for x in lines), lines[-3:])


def main():
    os.chdir(TOP)
    if subprocess.run(["sh", "tests/gen-certs.sh", CERTS],
                      stdout=subprocess.DEVNULL).returncode != 0:
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="vaultdr-interop-")
    scenario = {"recovery_keys": KEYS, "recovery_threshold": 2,
                "batch_dr_tokens": [BATCH],
                "route53": {"insync_delay_ms": 500,
                            "records": [
                                {"name": "vault.test.example.test.",
                                 "type": "CNAME", "ttl": 60,
                                 "value": "vault-a.lb.example.test"},
                                {"name": "vault-a.lb.example.test",
                                 "type": "A", "ttl": 60, "value": "10.0.0.1"},
                                {"name": "example.test.", "type": "TXT",
                                 "ttl": 60, "value": "\"apex\""}]}}
    m = Mock(tmp, scenario)
    try:
        check("mock starts in well under a second", m.startup < 0.5,
              m.startup)
        check("ready file equals the READY line", m.ready_json == m.urls and
              m.urls["vault_a"].startswith("https://localhost:"), m.urls)
        run_check("route53", lambda: route53_checks(m, tmp))
        run_check("sts", lambda: sts_checks(m))
        run_check("hvac", lambda: hvac_checks(m))
        run_check("imds", lambda: imds_checks(m))
        run_check("mock self-tests", lambda: mock_checks(m))
    finally:
        rc = m.stop()
    check("SIGTERM stops the mock cleanly (exit 0)", rc == 0, rc)
    run_check("imds v1", lambda: imds_v1_checks(tmp))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
