#!/usr/bin/env python3
"""The mock's Vault model, driven over HTTPS without vaultdr: replication
(WAL growth, lag, disconnection, merkle states, catch-up after a demote, WALs
lost at a promotion, re-attach phases), nodes behind a load balancer, each
cluster's own sys/health identity, token lookup and capabilities, Vault 2.x
generate-operation-token refusals and a token attempt taken over by another
client. Each request opens a new connection (as a new client of the load
balancer would). Ends with "N passed, N failed".
"""
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402
from test_dr import check  # noqa: E402

DR = "/v1/sys/replication/dr/"
ATTEMPT = DR + "secondary/generate-operation-token/attempt"
UPDATE = DR + "secondary/generate-operation-token/update"
LIMITED = "hvs.E2Esecret-LimitedToken-0c0c"


class Vault:
    """A client of one mock cluster: one new TLS connection per request."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.url = url
        self.ctx = ssl.create_default_context(cafile=os.path.join(h.CERTS, "ca.pem"))

    def req(self, method, path, body=None, token=h.VAULT_TOKEN):
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=10)
        hdrs = {}
        if token:
            hdrs["X-Vault-Token"] = token
        data = None
        if body is not None:
            data = json.dumps(body)
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        txt = r.read()
        c.close()
        return r.status, (json.loads(txt) if txt else None)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body if body is not None else {}, **kw)

    def dr(self):
        st, j = self.get(DR + "status", token=None)
        check(st == 200, "dr/status answers 200", (st, j))
        return j["data"]


def case_with(**clusters_over):
    """A scenario whose clusters get extra knobs: a={...}, b={...}."""
    def make():
        s = h.scenario()
        for name, knobs in clusters_over.items():
            s["clusters"][name].update(knobs)
        return s
    return make


CASES = []
SCEN = {}


def case(make=None, **knobs):
    def deco(fn):
        CASES.append(fn)
        SCEN[fn.__name__] = make or case_with(**knobs)
        return fn
    return deco


def clients(c):
    return Vault(c.mock.urls["vault_a"]), Vault(c.mock.urls["vault_b"])


def demote_promote(a, b):
    st, j = a.post(DR + "primary/demote")
    check(st == 200, "demote a", (st, j))
    st, j = b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    check(st == 200, "promote b", (st, j))


def reattach(a, b):
    st, j = b.post(DR + "primary/secondary-token", {"id": "a-again", "ttl": "10m"})
    check(st == 200, "secondary-token on b", (st, j))
    st, j = a.post(DR + "secondary/update-primary",
                   {"dr_operation_token": h.BATCH, "token": j["wrap_info"]["token"],
                    "primary_api_addr": b.url}, token=None)
    check(st == 200, "update-primary on a", (st, j))


def wait_for(fn, what, secs=5):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


# ------------------------------------------------------------------ cases

@case()
def defaults_unchanged(c):
    a, b = clients(c)
    st, ha = a.get("/v1/sys/health", token=None)
    check(st == 200 and ha["replication_dr_mode"] == "primary", "a healthy primary", ha)
    check(ha["standby"] is False and ha["performance_standby"] is False, "active node", ha)
    st, hb = b.get("/v1/sys/health", token=None)
    check(st == 472 and hb["replication_dr_mode"] == "secondary", "b a DR secondary", (st, hb))
    da, db = a.dr(), b.dr()
    check(da["cluster_id"] == db["cluster_id"] == "e2e-cluster-id-0001", "same DR set", (da, db))
    check(ha["cluster_id"] != hb["cluster_id"], "own ids differ", (ha, hb))
    check(ha["cluster_id"] != da["cluster_id"], "own id is not the DR set id", ha)
    check((ha["cluster_name"], hb["cluster_name"]) == ("vault-cluster-a", "vault-cluster-b"),
          "default names", (ha, hb))
    check(ha["version"] == "1.15.2+ent", "health version", ha)
    st, ss = a.get("/v1/sys/seal-status", token=None)
    check(st == 200 and ss["version"] == "1.15.2+ent" and ss["sealed"] is False,
          "seal-status version", ss)
    check(da["last_wal"] == da["last_dr_wal"] == 1200, "primary WAL", da)
    check(db["last_remote_wal"] == 1200 and db["state"] == "stream-wals", "secondary", db)
    check(db["connection_state"] == "ready", "ready", db)
    check(db["primaries"][0]["connection_status"] == "connected", "connected", db)
    check(da["secondaries"][0]["connection_status"] == "connected", "primary sees it", da)
    check(db["corrupted_merkle_tree"] is False, "merkle fine", db)
    time.sleep(0.3)
    check(a.dr()["last_wal"] == 1200, "no WAL growth by default")
    cl = c.mock.state()["clusters"]
    check(cl["b"]["wals_lost"] is None and cl["b"]["connected"] is True, "state dump", cl)


@case(a={"wal_rate": 200, "cluster_name": "usw2", "health_cluster_id": "own-a",
         "version": "1.16.1+ent"},
      b={"lag_wals": 5})
def wal_growth_and_lag(c):
    a, b = clients(c)
    time.sleep(0.3)
    cl = c.mock.state()["clusters"]
    check(cl["a"]["last_wal"] > 1200, "WAL grows while primary", cl)
    check(cl["b"]["last_remote_wal"] == cl["a"]["last_wal"] - 5, "trails by lag_wals", cl)
    d1 = a.dr()["last_wal"]
    time.sleep(0.2)
    check(a.dr()["last_wal"] > d1, "still growing")
    st, ha = a.get("/v1/sys/health", token=None)
    check((ha["cluster_name"], ha["cluster_id"], ha["version"]) ==
          ("usw2", "own-a", "1.16.1+ent"), "health identity knobs", ha)


@case(a={"wal_rate": 200}, b={"connected": False})
def disconnected_secondary(c):
    a, b = clients(c)
    db = b.dr()
    check(db["connection_state"] == "disconnected", "connection_state", db)
    check(db["primaries"][0]["connection_status"] == "disconnected", "primaries[]", db)
    check(db["state"] == "stream-wals", "state unchanged", db)
    da = a.dr()
    check(da["secondaries"][0]["connection_status"] == "disconnected", "primary's view", da)
    time.sleep(0.3)
    cl = c.mock.state()["clusters"]
    check(cl["a"]["last_wal"] > 1200 and cl["b"]["last_remote_wal"] == 1200,
          "last_remote_wal stops", cl)
    check(cl["b"]["connected"] is False, "state dump", cl)


@case(b={"state": "merkle-sync", "corrupted_merkle_tree": True})
def merkle_sync_and_corruption(c):
    a, b = clients(c)
    db = b.dr()
    check(db["state"] == "merkle-sync" and db["corrupted_merkle_tree"] is True, "knobs", db)
    check(db["merkle_root"], "merkle_root shown", db)
    check(c.mock.state()["clusters"]["b"]["state"] == "merkle-sync", "state dump")


@case(b={"state": "idle"})
def idle_state(c):
    check(clients(c)[1].dr()["state"] == "idle", "idle")


@case(b={"lag_wals": 7, "catchup_delay_ms": 500})
def catchup_after_demote(c):
    a, b = clients(c)
    check(b.dr()["last_remote_wal"] == 1193, "lagging by 7")
    st, j = a.post(DR + "primary/demote")
    check(st == 200, "demote", (st, j))
    check(b.dr()["last_remote_wal"] == 1193, "not caught up yet")
    wait_for(lambda: b.dr()["last_remote_wal"] == 1200, "catch-up", 3)
    st, j = b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    check(st == 200, "promote", (st, j))
    cl = c.mock.state()["clusters"]
    check(cl["b"]["wals_lost"] == 0, "nothing lost after catch-up", cl)
    check(cl["b"]["last_wal"] == 1200, "new primary starts from what it had", cl)


@case(b={"lag_wals": 9})
def wals_lost_at_promote(c):
    a, b = clients(c)
    st, j = b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    check(st == 200, "promote without demote", (st, j))
    cl = c.mock.state()["clusters"]
    check(cl["b"]["wals_lost"] == 9, "9 WALs lost", cl)
    check(cl["b"]["last_wal"] == 1191, "new primary's WAL", cl)


@case(b={"lag_wals": 4})
def catchup_immediate_by_default(c):
    a, b = clients(c)
    a.post(DR + "primary/demote")
    check(b.dr()["last_remote_wal"] == 1200, "caught up at once")


@case(a={"attach_delay_ms": 600})
def reattach_connecting_then_streaming(c):
    a, b = clients(c)
    demote_promote(a, b)
    reattach(a, b)
    da = a.dr()
    check(da["mode"] == "secondary" and da["state"] == "connecting", "connecting first", da)
    check(da["connection_state"] == "connecting", "connection_state", da)
    wait_for(lambda: a.dr()["state"] == "stream-wals", "stream-wals", 3)
    da = a.dr()
    check(da["primaries"][0]["connection_status"] == "connected", "connected", da)


@case(a={"attach_stuck": "merkle-sync"})
def reattach_stuck(c):
    a, b = clients(c)
    demote_promote(a, b)
    reattach(a, b)
    time.sleep(0.3)
    check(a.dr()["state"] == "merkle-sync", "stays in merkle-sync")


@case(a={"standbys": 1, "perf_standbys": 1})
def load_balanced_nodes(c):
    a, b = clients(c)
    seen = []
    for _ in range(6):
        st, j = a.get("/v1/sys/health", token=None)
        seen.append((st, j["standby"], j["performance_standby"], "last_wal" in j))
    check(sorted(set(seen)) == [(200, False, False, True), (429, True, False, False),
                                (473, True, True, False)], "three nodes", seen)
    check(seen[:3] == seen[3:], "round-robin", seen)
    for _ in range(3):
        st, j = a.get("/v1/sys/health?standbyok=true&perfstandbyok=true", token=None)
        check(st == 200 and j["replication_dr_mode"] == "primary", "ok params", (st, j))
    codes = set()
    for _ in range(3):
        codes.add(a.get("/v1/sys/health?standbyok=true", token=None)[0])
    check(codes == {200, 473}, "standbyok does not cover perf standbys", codes)
    for _ in range(3):
        check(a.dr()["mode"] == "primary", "forwarded to the active node")


@case(b={"standbys": 2})
def dr_secondary_standbys(c):
    a, b = clients(c)
    for _ in range(3):
        st, j = b.get("/v1/sys/health?standbyok=true", token=None)
        check(st == 472, "DR secondary check comes first", (st, j))


def caps_scenario():
    s = h.scenario()
    s["vault_tokens"] = [h.VAULT_TOKEN, LIMITED]
    s["token_capabilities"] = {LIMITED: {
        "sys/replication/dr/primary/demote": ["update"],
        "sys/replication/dr/primary/secondary-token": ["update"],
        "sys/replication/dr/primary/*": ["read"]}}
    return s


@case(make=caps_scenario)
def lookup_and_capabilities(c):
    a, b = clients(c)
    st, j = a.get("/v1/auth/token/lookup-self", token="hvs.unknown-token")
    check(st == 403 and j == {"errors": ["permission denied"]}, "unknown token", (st, j))
    st, j = a.get("/v1/auth/token/lookup-self")
    check(st == 200 and j["data"]["policies"] == ["root"] and j["data"]["ttl"] == 0,
          "root token", j)
    st, j = a.get("/v1/auth/token/lookup-self", token=LIMITED)
    check(st == 200 and "root" not in j["data"]["policies"] and j["data"]["ttl"] > 0,
          "limited token", j)
    paths = ["sys/replication/dr/primary/demote",
             "sys/replication/dr/primary/secondary-token",
             "sys/replication/dr/primary/revoke-secondary", "sys/other"]
    st, j = a.post("/v1/sys/capabilities-self", {"paths": paths}, token=LIMITED)
    check(st == 200, "capabilities-self", (st, j))
    want = {paths[0]: ["update"], paths[1]: ["update"], paths[2]: ["read"],
            paths[3]: ["deny"]}
    for p, caps in want.items():
        check(j["data"][p] == caps and j[p] == caps, "caps of " + p, j)
    check("capabilities" not in j["data"], "only for a single path", j)
    st, j = a.post("/v1/sys/capabilities-self", {"paths": [paths[0]]})
    check(j["data"][paths[0]] == ["root"] and j["data"]["capabilities"] == ["root"],
          "root everywhere", j)
    st, j = a.post("/v1/sys/capabilities-self", {"path": paths[1]}, token=LIMITED)
    check(j["capabilities"] == ["update"], "older 'path' form", j)
    # The policy is enforced: secondary-token also needs sudo.
    st, j = a.post(DR + "primary/secondary-token", {"id": "x"}, token=LIMITED)
    check(st == 403 and j == {"errors": ["permission denied"]}, "needs sudo", (st, j))
    st, j = a.post(DR + "primary/revoke-secondary", {"id": "x"}, token=LIMITED)
    check(st == 403, "read is not update", (st, j))
    # On a DR secondary, token endpoints are disabled.
    st, j = b.get("/v1/auth/token/lookup-self")
    check(st == 400 and "path disabled" in j["errors"][0], "secondary", (st, j))
    cl = c.mock.state()["clusters"]
    check(cl["a"]["mode"] == "primary", "nothing changed", cl)


@case(b={"generate_forbidden": True})
def generate_forbidden(c):
    a, b = clients(c)
    st, j = b.get(ATTEMPT)
    check(st == 200 and j["started"] is False, "status readable", (st, j))
    st, j = b.post(ATTEMPT)
    check(st == 403 and j == {"errors": ["permission denied"]}, "start refused", (st, j))
    st, j = b.post(ATTEMPT, token=None)
    check(st == 403, "without a token too", (st, j))
    st, j = b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    check(st == 200, "a batch token still works", (st, j))


@case(b={"attempt_taken_over_after": 1})
def attempt_taken_over(c):
    a, b = clients(c)
    st, j = b.post(ATTEMPT, token=None)
    check(st == 200 and j["nonce"] and j["otp"], "started", (st, j))
    nonce = j["nonce"]
    st, j = b.post(UPDATE, {"key": h.KEYS[0], "nonce": nonce}, token=None)
    check(st == 200 and j["progress"] == 1 and j["nonce"] == nonce, "share 1", (st, j))
    st, j = b.get(ATTEMPT, token=None)
    check(j["started"] is True and j["nonce"] != nonce and j["progress"] == 0,
          "another attempt now", j)
    st, j = b.post(UPDATE, {"key": h.KEYS[1], "nonce": nonce}, token=None)
    check(st == 400 and "incorrect nonce" in j["errors"][0], "old nonce refused", (st, j))
    # It happens once: a new attempt completes.
    b.req("DELETE", ATTEMPT, token=None)
    st, j = b.post(ATTEMPT, token=None)
    n2 = j["nonce"]
    for k in h.KEYS[:2]:
        st, j = b.post(UPDATE, {"key": k, "nonce": n2}, token=None)
    check(st == 200 and j["complete"] is True and j["encoded_token"], "completes", (st, j))


def scenario_errors(c):
    bad = [({"state": "bogus"}, "clusters.b.state"),
           ({"attach_stuck": "idle"}, "clusters.b.attach_stuck"),
           ({"lag_wals": -1}, "clusters.b.lag_wals"),
           ({"connected": "no"}, "clusters.b.connected"),
           ({"standbys": 99}, "clusters.b.standbys"),
           ({"nonsense_knob": 1}, "clusters.b.nonsense_knob")]
    for knobs, key in bad:
        s = h.scenario()
        s["clusters"]["b"].update(knobs)
        d = os.path.join(c.dir, "bad")
        os.makedirs(d, exist_ok=True)
        try:
            h.Mock(s, d).stop()
        except RuntimeError as e:
            check(key in str(e), "error names " + key, str(e))
        else:
            raise AssertionError("mock accepted %r" % knobs)
    s = h.scenario()
    s["token_capabilities"] = {"t": ["update"]}
    try:
        h.Mock(s, os.path.join(c.dir, "bad")).stop()
    except RuntimeError as e:
        check("token_capabilities" in str(e), "token_capabilities checked", str(e))
    else:
        raise AssertionError("mock accepted a bad token_capabilities")


CASES.append(scenario_errors)
SCEN["scenario_errors"] = h.scenario


def shipped_scenarios(c):
    """Every file in mock/scenarios loads; replication.json behaves as a
    load-balanced, lagging pair."""
    d = os.path.join(h.TOP, "mock", "scenarios")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(d, name)) as f:
            scen = json.load(f)
        w = os.path.join(c.dir, name)
        os.makedirs(w)
        m = h.Mock(scen, w)
        try:
            st = m.control("GET", "/state")
            check(st["max_primaries_up"] == 1, name + ": one primary", st)
            if name == "replication.json":
                a = Vault(m.urls["vault_a"])
                codes = sorted(a.get("/v1/sys/health", token=None)[0] for _ in range(4))
                check(codes == [200, 429, 429, 473], "nodes", codes)
                time.sleep(0.3)
                cl = m.control("GET", "/state")["clusters"]
                check(cl["a"]["last_wal"] > 4200, "WAL grows", cl)
                check(cl["b"]["last_remote_wal"] == cl["a"]["last_wal"] - 3, "lag", cl)
        finally:
            m.stop()


CASES.append(shipped_scenarios)
SCEN["shipped_scenarios"] = h.scenario


def main():
    """h.main builds every case's scenario with one maker: hand it the
    scenarios of the cases that will run, in order."""
    only = sys.argv[1] if len(sys.argv) > 1 else None
    run = [fn for fn in CASES if not only or only in fn.__name__]
    makers = iter([SCEN[fn.__name__] for fn in run])
    return h.main(run, lambda: next(makers)())


if __name__ == "__main__":
    sys.exit(main())
