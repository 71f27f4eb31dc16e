#!/usr/bin/env python3
"""End-to-end: vaultdr through an HTTP CONNECT proxy (the mock's own).

HTTPS_PROXY sends every Vault and Route 53 request through a CONNECT tunnel
(TLS to the target inside it); NO_PROXY bypasses hosts; proxy credentials
come from the proxy URL and are never printed; a 407 or 403 is reported in
words with the proxy named; instance metadata is never asked through a
proxy. Each case asserts the exit code, the mock's final state, the exact
changing requests and the proxy's own log (listener "proxy" in the mock's
request log: one line per CONNECT with its target and whether credentials
came, never the password).
"""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402

CASES = []
PROXY_USER = "e2e-proxy-user"
PROXY_PASS = "E2Esecret-ProxyPass-w0rd@x"  # '@' goes percent-encoded
WRONG_PASS = "E2Esecret-WrongProxyPass-17"
PROXY_B64 = base64.b64encode(("%s:%s" % (PROXY_USER, PROXY_PASS)).encode()).decode()
EXTRA_SECRETS = [PROXY_PASS, PROXY_PASS.replace("@", "%40"), WRONG_PASS, PROXY_B64]



def case(fn):
    CASES.append(fn)
    return fn


def proxy_log(c):
    return [e for e in c.mock.log() if e["listener"] == "proxy"]


def server_log(c):
    return [e for e in c.mock.log() if e["listener"] != "proxy"]


def port_of(url):
    return url.rsplit(":", 1)[1].rstrip("/")


def proxy_url(c, userinfo=""):
    return "http://%s%s" % (userinfo, c.mock.urls["proxy"][len("http://"):])


def env_proxy(c, **over):
    e = {"HTTPS_PROXY": proxy_url(c), "https_proxy": None, "HTTP_PROXY": None,
         "http_proxy": None, "NO_PROXY": None, "no_proxy": None}
    e.update(over)
    return c.env(**e)


def targets(c, status=None):
    return [e["path"] for e in proxy_log(c)
            if status is None or e["status"] == status]


def check_no_secret(c):
    for r in c.outputs:
        for s in EXTRA_SECRETS:
            h.check(s not in r.out and s not in r.err,
                    "a proxy credential (%s...) appeared in vaultdr's output"
                    % s[:6], r)


_baseline = []


def baseline_changes():
    """The changing requests of the same failover without a proxy, from a
    mock of its own: a proxy must not change what is sent, or in what order."""
    if not _baseline:
        b = h.Case("baseline", h.scenario())
        try:
            r = b.run("failover", "test")
            h.check(r.code == 0, "baseline failover without a proxy", r)
            _baseline.append([(e["listener"], e["method"], e["path"])
                              for e in h.changing(b.mock.log())])
        finally:
            b.close()
    return _baseline[0]


def check_failover_requests(c, r):
    st = c.mock.state()
    h.check(st["max_primaries_up"] <= 1, "never two primaries", st)
    h.assert_failed_over(c, r)
    # (The IMDSv2 token PUT changes nothing in the DR set: not compared.)
    ch = [(e["listener"], e["method"], e["path"])
          for e in h.changing(server_log(c)) if e["listener"] != "imds"]
    want = baseline_changes()
    h.check(ch == want, "the changing requests are those of a direct run",
            {"got": ch, "want": want})
    h.check(("b", "POST", "/v1/sys/replication/dr/secondary/promote") in ch,
            "promoted", ch)
    h.assert_order_demote_before_promote(server_log(c))


def scen_with_proxy(**proxy):
    s = h.scenario()
    s["proxy"] = proxy
    return s


@case
def failover_through_proxy(c):
    r = c.run("-v", "failover", "test", env=env_proxy(c))
    h.check(r.code == 0, "failover through the proxy exits 0", r)
    check_failover_requests(c, r)
    ok = targets(c, 200)
    for name in ("vault_a", "vault_b", "route53"):
        want = "localhost:" + port_of(c.mock.urls[name])
        h.check(want in ok, "a CONNECT to %s (%s)" % (name, want), proxy_log(c))
    h.check(all(e["method"] == "CONNECT" for e in proxy_log(c)),
            "only CONNECT reaches the proxy", proxy_log(c))
    h.check(all(e["credentials"] == "none" for e in proxy_log(c)),
            "no credentials were sent", proxy_log(c))
    h.check("via proxy http://127.0.0.1:" in r.err or
            "via proxy http://127.0.0.1:" in r.out,
            "--verbose names the proxy", r)


@case
def no_proxy_bypasses_one_host(c):
    # Route 53 by address, Vault by name: NO_PROXY=127.0.0.1 sends Route 53
    # direct and Vault through the proxy (ports are ignored in NO_PROXY).
    r53 = "https://127.0.0.1:" + port_of(c.mock.urls["route53"])
    r = c.run("failover", "test", env=env_proxy(
        c, NO_PROXY=None, no_proxy="example.invalid, 127.0.0.1",
        AWS_ENDPOINT_URL_ROUTE_53=r53))
    h.check(r.code == 0, "failover exits 0", r)
    check_failover_requests(c, r)
    t = targets(c)
    h.check(not [x for x in t if x.endswith(":" + port_of(r53))],
            "no CONNECT for the NO_PROXY host", proxy_log(c))
    h.check("localhost:" + port_of(c.mock.urls["vault_b"]) in t,
            "Vault still goes through the proxy", proxy_log(c))
    h.check(h.requests(server_log(c), listener="route53"),
            "Route 53 was reached directly", server_log(c))


@case
def no_proxy_star_means_direct(c):
    r = c.run("status", "test", env=env_proxy(c, NO_PROXY="*"))
    h.check(r.code == 0, "status exits 0", r)
    h.check(not proxy_log(c), "NO_PROXY=* sends nothing to the proxy",
            proxy_log(c))
    h.check(not h.changing(server_log(c)), "status is read-only")


def proxy_credentials_never_printed(c):
    cred = "%s:%s@" % (PROXY_USER, PROXY_PASS.replace("@", "%40"))
    r = c.run("-v", "failover", "test",
              env=env_proxy(c, https_proxy=proxy_url(c, cred),
                            HTTPS_PROXY=None))
    h.check(r.code == 0, "failover with proxy credentials exits 0", r)
    check_failover_requests(c, r)
    pl = proxy_log(c)
    h.check(pl and all(e["credentials"] == "valid" and
                       e.get("username") == PROXY_USER for e in pl),
            "every CONNECT carried the right credentials", pl)
    out = r.out + r.err
    h.check("http://***@127.0.0.1:" in out, "the proxy URL is shown with ***", r)
    check_no_secret(c)
    # The mock's log never holds the password either.
    with open(c.mock.logpath) as f:
        txt = f.read()
    h.check(PROXY_PASS not in txt and PROXY_B64 not in txt,
            "the proxy log never holds the password")


def proxy_407_reported(c):
    r = c.run("failover", "test", env=env_proxy(c))
    # Exit 1 today: the clusters cannot be read (dr.c's mapping; a proxy
    # refusal is a transport failure that is not retried).
    h.check(r.code == 1, "a 407 fails the run with exit 1", r)
    h.check("HTTP 407" in r.err and "proxy http://127.0.0.1:" in r.err and
            "credentials" in r.err, "the 407 is reported in words", r)
    h.check(not h.changing(server_log(c)), "nothing changed", server_log(c))
    h.check(not server_log(c), "no request reached a server", server_log(c))
    st = c.mock.state()
    h.check(st["clusters"]["a"]["mode"] == "primary" and
            st["max_primaries_up"] <= 1, "state unchanged", st)
    code407 = r.code
    # Wrong credentials: refused the same way, never printed.
    cred = "%s:%s@" % (PROXY_USER, WRONG_PASS)
    r = c.run("failover", "test", env=env_proxy(c, HTTPS_PROXY=proxy_url(c, cred)))
    h.check(r.code == code407, "same exit code", r)
    h.check("HTTP 407" in r.err and "refused the credentials" in r.err and
            "http://***@127.0.0.1:" in r.err, "wrong credentials reported", r)
    h.check(all(e["credentials"] in ("none", "wrong") for e in proxy_log(c)),
            "the proxy saw none or wrong credentials", proxy_log(c))
    h.check(not h.changing(server_log(c)), "nothing changed", server_log(c))
    check_no_secret(c)


def proxy_denied_target_403(c):
    r = c.run("failover", "test", env=env_proxy(c))
    h.check(r.code == 1, "a denied target fails the run with exit 1", r)
    h.check("HTTP 403" in r.err and "NO_PROXY" in r.err, "403 reported", r)
    h.check(not h.changing(server_log(c)), "nothing changed", server_log(c))
    h.check(c.mock.state()["clusters"]["a"]["mode"] == "primary",
            "a still primary")


@case
def imds_never_proxied(c):
    env = env_proxy(c, HTTP_PROXY=proxy_url(c), http_proxy=proxy_url(c),
                    AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                    AWS_EC2_METADATA_DISABLED=None,
                    AWS_EC2_METADATA_SERVICE_ENDPOINT=c.mock.urls["imds"] + "/")
    r = c.run("failover", "test", env=env)
    h.check(r.code == 0, "failover with IMDS credentials exits 0", r)
    check_failover_requests(c, r)
    imds_port = port_of(c.mock.urls["imds"])
    h.check(not [x for x in targets(c) if x.endswith(":" + imds_port)],
            "no CONNECT for instance metadata", proxy_log(c))
    h.check(h.requests(server_log(c), "PUT", "imds", "/latest/api/token"),
            "IMDS was asked directly", server_log(c))
    h.check("localhost:" + port_of(c.mock.urls["route53"]) in targets(c, 200),
            "Route 53 went through the proxy", proxy_log(c))


@case
def container_credentials_never_proxied(c):
    full = c.mock.urls["imds"] + "/v2/credentials/mock-task"
    env = env_proxy(c, HTTP_PROXY=proxy_url(c), http_proxy=proxy_url(c),
                    AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                    AWS_CONTAINER_CREDENTIALS_FULL_URI=full)
    r = c.run("failover", "test", env=env)
    h.check(r.code == 0, "failover with container credentials exits 0", r)
    check_failover_requests(c, r)
    imds_port = port_of(c.mock.urls["imds"])
    h.check(not [x for x in targets(c) if x.endswith(":" + imds_port)],
            "no CONNECT for the container credentials endpoint", proxy_log(c))
    h.check(h.requests(server_log(c), "GET", "imds", "/v2/credentials/"),
            "the endpoint was asked directly", server_log(c))


@case
def malformed_proxy_url_refused(c):
    for val, why in (("socks5://u:E2Esecret-WrongProxyPass-17@127.0.0.1:1080",
                      "only http:// proxies"),
                     ("http://127.0.0.1:3128/some/path", "no path")):
        r = c.run("failover", "test", env=env_proxy(c, HTTPS_PROXY=None,
                                                    https_proxy=val))
        # Exit 1 today (every request fails before it is sent); exit 2 once
        # config.c reads the proxy variables with the others.
        h.check(r.code == 1, "a malformed proxy URL fails", r)
        h.check("https_proxy" in r.err and why in r.err,
                "the error names the variable and the problem", r)
        h.check(not c.mock.log(), "no request was sent anywhere", c.mock.log())
    check_no_secret(c)


def tls_inside_tunnel_checks_target_name(c):
    # The mock's certificate names wrong.example.test: the tunnel opens, and
    # the TLS inside it fails against the target's name (never the proxy's).
    r = c.run("-n", "failover", "test", env=env_proxy(c))
    h.check(r.code == 1, "the dry run fails", r)
    h.check("does not match host name localhost" in r.err and
            "via proxy" in r.err,
            "the certificate is checked against the target's name", r)
    h.check("localhost:" + port_of(c.mock.urls["vault_a"]) in targets(c, 200),
            "the tunnel itself was opened", proxy_log(c))
    h.check(not h.requests(server_log(c), listener="a"),
            "no HTTP request reached Vault", server_log(c))
    # Verified against VAULT_TLS_SERVER_NAME when set, through the tunnel too.
    r = c.run("-n", "failover", "test", env=env_proxy(
        c, VAULT_TLS_SERVER_NAME="wrong.example.test"))
    h.check(h.requests(server_log(c), "GET", "a") and
            h.requests(server_log(c), "GET", "b"),
            "with the server name set, Vault answers through the tunnel", r)
    h.check("wrong.example.test" not in r.err, "verified", r)
    h.check(not h.changing(server_log(c)), "nothing changed", server_log(c))


def main():
    cases = [(fn, None) for fn in CASES] + [
        (tls_inside_tunnel_checks_target_name, "wronghost"),
        (proxy_credentials_never_printed,
         dict(username=PROXY_USER, password=PROXY_PASS)),
        (proxy_407_reported, dict(username=PROXY_USER, password=PROXY_PASS)),
        (proxy_denied_target_403, "deny-route53"),
    ]
    rc = 0
    total_p = total_f = 0
    for fn, knobs in cases:
        if knobs == "deny-route53":
            # The deny list needs the Route 53 port, known only once the mock
            # runs: a fixed free port for the Route 53 listener.
            import socket
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            scen = scen_with_proxy(deny=["localhost:%d" % port])
            args = ["--port-r53", str(port)]
        elif knobs == "wronghost":
            scen = h.scenario()
            args = ["--cert", os.path.join(h.CERTS, "wronghost.pem"),
                    "--key", os.path.join(h.CERTS, "wronghost.key")]
        elif knobs:
            scen = scen_with_proxy(**knobs)
            args = []
        else:
            scen = h.scenario()
            args = []
        p, f = run_one(fn, scen, args)
        total_p += p
        total_f += f
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else rc


def run_one(fn, scen, args):
    """h.main's loop body for one case with its own scenario and mock args."""
    import time
    import traceback
    only = sys.argv[1] if len(sys.argv) > 1 else None
    if only and only not in fn.__name__:
        return 0, 0
    c = None
    t0 = time.time()
    try:
        c = h.Case(fn.__name__, scen, args)
        fn(c)
        secrets = h.SECRETS + EXTRA_SECRETS + sorted(c.generated_secrets())
        for r in c.outputs:
            for s in secrets:
                h.check(s not in r.out and s not in r.err,
                        "a secret (%s...) appeared in vaultdr's output" % s[:6], r)
        print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0))
        return 1, 0
    except Exception:
        print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0))
        traceback.print_exc(file=sys.stdout)
        return 0, 1
    finally:
        if c:
            c.close()
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
