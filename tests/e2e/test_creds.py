#!/usr/bin/env python3
"""End-to-end tests of the AWS credential chain through vaultdr-mock: web
identity (STS AssumeRoleWithWebIdentity), an assumed role with source_profile
(STS AssumeRole, SigV4-checked by the mock), credential_process, container
credentials and SSO (GetRoleCredentials with the cached token). Each ends in
a failover or status whose Route 53 requests the mock accepted with the
credentials the source handed out; error cases end in exit 2 with nothing
changed. STS and the SSO portal are served on the mock's Route 53 listener,
container credentials on its metadata listener."""
import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "arn:aws:iam::123456789012:role/vaultdr-dr"
SRC_AKID = "AKIDE2ESOURCEKEY"
SRC_SECRET = "e2eSECRET/sourceKey+Zx9Yw8Vu7"
WEB_TOKEN = "eyJE2Esecret.web-identity.token"
SSO_TOKEN = "E2Esecret-sso-access-token-aoa"
AUTH_TOKEN = "E2Esecret-container-authorization"
STS_TOKEN = "E2Esecret-sts-session-token-FQoG"
STRAY = "E2Esecret-stray-session"
h.SECRETS.extend([SRC_SECRET, WEB_TOKEN, SSO_TOKEN, AUTH_TOKEN, STS_TOKEN, STRAY])

_baseline = []


def scen(**extra):
    s = h.scenario()
    s["sts"] = {"source_access_key": SRC_AKID, "source_secret_key": SRC_SECRET,
                "role_arn": ROLE, "web_identity_token": WEB_TOKEN,
                "session_token": STS_TOKEN}
    s["sso"] = {"access_token": SSO_TOKEN, "account_id": "123456789012",
                "role_name": "vaultdr-dr"}
    s["container"] = {"authorization": AUTH_TOKEN, "token": STS_TOKEN}
    for k, v in extra.items():
        s[k].update(v)
    return s


def fresh(c, **extra):
    """Restarts c's mock with the credential scenario (plus extra)."""
    c.close()
    c.__init__(c.name, scen(**extra))


def no_keys(c, **over):
    return c.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, **over)


def sig(e):
    return (e["listener"], e["method"], e["path"])


def norm(ch):
    """The changing requests in order per listener: the two clusters are
    worked on partly in parallel, so the global interleaving is not part of
    the contract."""
    out = {}
    for x in ch:
        out.setdefault(x[0], []).append(x[1:])
    return out


def final_log(c):
    """The mock's log once it stops growing (see log_with)."""
    log = c.mock.log()
    for _ in range(40):
        time.sleep(0.1)
        again = c.mock.log()
        if len(again) == len(log):
            break
        log = again
    return log


def log_with(c, pred, secs=3.0):
    """The mock's log once some entry satisfies pred (the mock writes a
    log line just after sending the answer, so the last line can trail
    vaultdr's exit by a moment)."""
    deadline = time.time() + secs
    while True:
        log = c.mock.log()
        if any(pred(e) for e in log) or time.time() > deadline:
            return log
        time.sleep(0.05)


def baseline():
    """The changing requests of a plain failover with static keys."""
    if not _baseline:
        c = h.Case("baseline", h.scenario())
        try:
            r = c.run("failover", "test")
            h.check(r.code == 0, "baseline failover", r)
            _baseline.extend(sig(e) for e in h.changing(final_log(c)))
        finally:
            c.close()
    return list(_baseline)


def cred_requests(log):
    """STS / SSO requests (served on the Route 53 listener)."""
    return [e for e in log if e["listener"] == "route53" and
            not e["path"].startswith("/2013-04-01/")]


def check_failover_with(c, r, sts_calls):
    """Failed over, the credential calls first and the rest exactly the
    plain failover's changes, Route 53 requests signed with the handed-out
    keys and session token."""
    h.check(r.code == 0, "failover", r)
    st = h.assert_failed_over(c, r)
    h.check(st["max_primaries_up"] <= 1, "never two primaries", st)
    log = final_log(c)
    creds = cred_requests(log)
    h.check([sig(e) for e in creds] == sts_calls, "credential calls", creds)
    h.check(all(e["status"] == 200 for e in creds), "credential calls answered", creds)
    ch = [sig(e) for e in h.changing(log) if e not in creds]
    h.check(norm(ch) == norm(baseline()), "the same changes as a plain failover",
            (ch, baseline()))
    r53 = [e for e in log if e["listener"] == "route53" and e not in creds]
    h.check(r53, "Route 53 was called", log)
    for e in r53:
        h.check(e["status"] == 200, "Route 53 accepted the request", e)
        h.check("Credential=%s/" % h.AWS_AKID in e["headers"]["authorization"],
                "signed with the handed-out key", e)
        h.check(e["headers"].get("x-amz-security-token") == STS_TOKEN,
                "the handed-out session token is sent", e)
    return log


def assert_refused(c, r, want):
    h.check(r.code == 2, "credential failure: exit 2", r)
    h.check(want in r.err, "error says %r" % want, r)
    h.assert_unchanged(c, r)
    log = final_log(c)
    h.check(not [e for e in h.changing(log) if e not in cred_requests(log)],
            "nothing changed", log)


def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# ------------------------------------------------------------------ cases

def web_identity(c):
    fresh(c)
    tok = os.path.join(c.dir, "token")
    write(tok, WEB_TOKEN + "\n")
    env = no_keys(c, AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=tok,
                  AWS_ROLE_SESSION_NAME="e2e-session", AWS_REGION="us-east-1",
                  AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    log = check_failover_with(c, r, [("route53", "POST", "/")])
    e = cred_requests(log)[0]
    h.check("Action=AssumeRoleWithWebIdentity" in e["body"] and
            "RoleSessionName=e2e-session" in e["body"], "the action", e)
    h.check("authorization" not in e["headers"], "unsigned", e)


def web_identity_bad_token(c):
    fresh(c)
    tok = os.path.join(c.dir, "token")
    write(tok, "not-the-token\n")
    env = no_keys(c, AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=tok,
                  AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "InvalidIdentityToken")
    h.check("AWS credentials from web identity" in r.err, "names the source", r)


def assumed_role_source_profile(c):
    # The profile's region decides the STS signing region; the mock checks it.
    fresh(c, sts={"external_id": "e2e-external-id", "region": "eu-west-1"})
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile dr]\nrole_arn = %s\nsource_profile = base\n"
          "external_id = e2e-external-id\nregion = eu-west-1\n"
          "duration_seconds = 1800\n" % ROLE)
    write(os.path.join(c.dir, ".aws", "credentials"),
          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          % (SRC_AKID, SRC_SECRET))
    env = no_keys(c, AWS_PROFILE="dr", AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    log = check_failover_with(c, r, [("route53", "POST", "/")])
    e = cred_requests(log)[0]
    h.check("Credential=%s/" % SRC_AKID in e["headers"]["authorization"] and
            "/eu-west-1/sts/aws4_request" in e["headers"]["authorization"],
            "signed by the source profile for sts in the profile's region", e)
    for want in ("Action=AssumeRole&", "ExternalId=e2e-external-id",
                 "DurationSeconds=1800"):
        h.check(want in e["body"], "request has %s" % want, e)


def assumed_role_wrong_external_id(c):
    fresh(c, sts={"external_id": "the-right-one"})
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile dr]\nrole_arn = %s\nsource_profile = base\n"
          "external_id = a-wrong-one\n" % ROLE)
    write(os.path.join(c.dir, ".aws", "credentials"),
          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          % (SRC_AKID, SRC_SECRET))
    env = no_keys(c, AWS_PROFILE="dr", AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "AccessDenied")
    h.check("[profile dr]" in r.err, "names the profile", r)


def assumed_role_mfa_without_terminal(c):
    fresh(c)
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile dr]\nrole_arn = %s\nsource_profile = base\n"
          "mfa_serial = arn:aws:iam::123456789012:mfa/op\n" % ROLE)
    write(os.path.join(c.dir, ".aws", "credentials"),
          "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          % (SRC_AKID, SRC_SECRET))
    env = no_keys(c, AWS_PROFILE="dr", AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "no terminal to ask for it")
    h.check("mfa_serial" in r.err, "names mfa_serial", r)
    h.check(not cred_requests(c.mock.log()), "STS not called")


def credential_process(c):
    fresh(c)
    tools = os.path.join(c.dir, "my tools")
    os.makedirs(tools)
    shutil.copy(os.path.join(HERE, "bin", "credproc.py"), tools)
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    write(os.path.join(c.dir, "creds.json"), json.dumps({
        "Version": 1, "AccessKeyId": h.AWS_AKID, "SecretAccessKey": h.AWS_SECRET,
        "SessionToken": STS_TOKEN, "Expiration": exp}))
    report = os.path.join(c.dir, "env-report")
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile proc]\ncredential_process = %s '%s/credproc.py' %s %s\n"
          % (sys.executable, tools, os.path.join(c.dir, "creds.json"), report))
    env = no_keys(c, AWS_PROFILE="proc", AWS_SESSION_TOKEN=STRAY)
    r = c.run("failover", "test", env=env)
    check_failover_with(c, r, [])
    h.check("vaultdr: credential_process: credproc: issuing credentials" in r.err,
            "the process's stderr is passed through, prefixed", r)
    names = open(report).read().split()
    for bad in ("VAULT_TOKEN", "VAULT_RECOVERY_KEY_1", "VAULT_RECOVERY_KEY_2",
                "AWS_SESSION_TOKEN"):
        h.check(bad not in names, "%s kept from the process" % bad, names)
    h.check("HOME" in names and "AWS_PROFILE" in names, "the rest is passed", names)


def credential_process_timeout(c):
    fresh(c)
    write(os.path.join(c.dir, "creds.json"), "{}")
    write(os.path.join(c.dir, ".aws", "config"),
          "[default]\ncredential_process = %s %s %s %s sleep 30\n"
          % (sys.executable, os.path.join(HERE, "bin", "credproc.py"),
             os.path.join(c.dir, "creds.json"), os.path.join(c.dir, "r")))
    t0 = time.time()
    r = c.run("failover", "test",
              env=no_keys(c, VAULTDR_CREDENTIAL_PROCESS_TIMEOUT="1"))
    assert_refused(c, r, "timed out after 1 s")
    h.check(time.time() - t0 < 10, "bounded by the timeout", r)


def container_credentials(c):
    fresh(c)
    tokfile = os.path.join(c.dir, "auth-token")
    write(tokfile, AUTH_TOKEN + "\n")
    env = no_keys(c, AWS_CONTAINER_CREDENTIALS_FULL_URI=c.mock.urls["imds"] +
                  "/v2/credentials/mock-task",
                  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile)
    r = c.run("failover", "test", env=env)
    log = check_failover_with(c, r, [])
    ecs = [e for e in log if e["listener"] == "imds"]
    h.check([sig(e) for e in ecs] == [("imds", "GET", "/v2/credentials/mock-task")],
            "one container credentials GET", ecs)
    h.check(ecs[0]["headers"].get("authorization") == AUTH_TOKEN,
            "the authorization token from the file", ecs)
    # Without the token the endpoint refuses: exit 2, nothing changed.
    fresh(c)
    env = no_keys(c, AWS_CONTAINER_CREDENTIALS_FULL_URI=c.mock.urls["imds"] +
                  "/v2/credentials/mock-task")
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "container credentials http://127.0.0.1:")
    h.check("HTTP 401" in r.err, "names the status", r)


def container_full_uri_must_be_local(c):
    env = no_keys(c, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.10/creds")
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "plain http only to a loopback address")


def sso_cached_token(c):
    fresh(c)
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
          "sso_role_name = vaultdr-dr\n\n[sso-session corp]\n"
          "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
    cache = os.path.join(c.dir, ".aws", "sso", "cache",
                         hashlib.sha1(b"corp").hexdigest() + ".json")
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    write(cache, json.dumps({"accessToken": SSO_TOKEN, "expiresAt": exp,
                             "startUrl": "https://corp.awsapps.com/start",
                             "region": "us-east-1"}))
    env = no_keys(c, AWS_PROFILE="sso", AWS_ENDPOINT_URL_SSO=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    log = check_failover_with(c, r, [("route53", "GET", "/federation/credentials")])
    e = cred_requests(log)[0]
    h.check(e["headers"].get("x-amz-sso_bearer_token") == SSO_TOKEN, "bearer token", e)
    h.check("account_id=123456789012" in e["query"] and
            "role_name=vaultdr-dr" in e["query"], "account and role", e)
    # An expired cached token: "run aws sso login", nothing sent.
    fresh(c)
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
          "sso_role_name = vaultdr-dr\n\n[sso-session corp]\n"
          "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
    write(os.path.join(c.dir, ".aws", "sso", "cache",
                       hashlib.sha1(b"corp").hexdigest() + ".json"),
          json.dumps({"accessToken": SSO_TOKEN, "expiresAt": "2020-01-01T00:00:00Z"}))
    env = no_keys(c, AWS_PROFILE="sso", AWS_ENDPOINT_URL_SSO=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "run `aws sso login --profile sso`")
    h.check(not cred_requests(c.mock.log()), "SSO portal not called")


def status_with_chained_role(c):
    """dr assumes the role with the keys that base's credential_process
    prints; status reads the record with the role's credentials."""
    fresh(c)
    write(os.path.join(c.dir, "src.json"), json.dumps({
        "Version": 1, "AccessKeyId": SRC_AKID, "SecretAccessKey": SRC_SECRET}))
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile dr]\nrole_arn = %s\nsource_profile = base\n"
          "role_session_name = e2e-status\n\n[profile base]\n"
          "credential_process = %s %s %s %s\n"
          % (ROLE, sys.executable, os.path.join(HERE, "bin", "credproc.py"),
             os.path.join(c.dir, "src.json"), os.path.join(c.dir, "r")))
    env = no_keys(c, AWS_PROFILE="dr", AWS_ENDPOINT_URL_STS=c.mock.urls["route53"],
                  VAULTDR_VERBOSE=None)
    r = c.run("status", "test", env=env)
    h.check(r.code == 0, "status", r)
    h.check("vault.test.example.test -> %s" % h.A_DNS in r.out or h.A_DNS in r.out,
            "the record was read", r)
    log = log_with(c, lambda e: e["path"].startswith("/2013-04-01/"))
    creds = cred_requests(log)
    h.check([sig(e) for e in creds] == [("route53", "POST", "/")], "one AssumeRole", creds)
    h.check("Credential=%s/" % SRC_AKID in creds[0]["headers"]["authorization"],
            "signed with the process's keys", creds)
    h.check("RoleSessionName=e2e-status" in creds[0]["body"], "session name", creds)
    r53 = [e for e in log if e["listener"] == "route53" and e not in creds]
    h.check(r53 and all(e["status"] == 200 and
                        e["headers"].get("x-amz-security-token") == STS_TOKEN
                        for e in r53), "Route 53 accepted the role's keys", r53)
    h.check(not [e for e in h.changing(log) if e not in creds], "status changes nothing")


def credential_source_environment_empty(c):
    fresh(c)
    write(os.path.join(c.dir, ".aws", "config"),
          "[profile dr]\nrole_arn = %s\ncredential_source = Environment\n" % ROLE)
    env = no_keys(c, AWS_PROFILE="dr", AWS_ENDPOINT_URL_STS=c.mock.urls["route53"])
    r = c.run("failover", "test", env=env)
    assert_refused(c, r, "[profile dr]: its credential_source Environment gave "
                   "no credentials: environment: AWS_ACCESS_KEY_ID not set")


CASES = [web_identity, web_identity_bad_token, assumed_role_source_profile,
         assumed_role_wrong_external_id, assumed_role_mfa_without_terminal,
         credential_process, credential_process_timeout, container_credentials,
         container_full_uri_must_be_local, sso_cached_token,
         status_with_chained_role, credential_source_environment_empty]

if __name__ == "__main__":
    sys.exit(h.main(CASES))
