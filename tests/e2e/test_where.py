#!/usr/bin/env python3
"""Where users run it (issue 12): public-key activation of the re-attached
cluster, the performance replication report, and alias A/AAAA records as
the switch target. Mock-level cases drive the mock over HTTPS; the others
run vaultdr against it and assert the exit code, the mock's final state,
the exact changing requests and that two primaries never existed. Ends with
"N passed, N failed".
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402
from test_dr import check  # noqa: E402
from test_mock_vault import Vault, DR  # noqa: E402

PERF = "/v1/sys/replication/performance/status"
ELB_ZONE_A = "Z1H1FL5HABSF5"     # us-west-2 ALB canonical zone
ELB_ZONE_B = "Z35SXDOTRQ7X7K"    # us-east-1 ALB canonical zone
CASES = []
SCEN = {}


def case(make=None):
    def deco(fn):
        CASES.append(fn)
        SCEN[fn.__name__] = make or h.scenario
        return fn
    return deco


def with_knobs(perf=None, records=None, **clusters):
    def make():
        s = h.scenario()
        for name, knobs in clusters.items():
            s["clusters"][name].update(knobs)
        if perf is not None:
            s["performance"] = perf
        if records is not None:
            s["route53"]["records"] = records
        return s
    return make


def clients(c):
    return Vault(c.mock.urls["vault_a"]), Vault(c.mock.urls["vault_b"])


def cfg(c, extra):
    h.write_cfg(c.mock, c.cfg, extra=extra)


def paths(log):
    return [(e["listener"], e["method"], e["path"]) for e in h.changing(log)]


def body(e):
    return json.loads(e["body"]) if e.get("body") else {}


# ------------------------------------------------------- mock: public key

@case()
def mock_public_key_activation(c):
    a, b = clients(c)
    check(a.post(DR + "primary/demote")[0] == 200, "demote a")
    st, j = b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    check(st == 200, "promote b", (st, j))
    # Only a DR secondary generates a key.
    st, j = b.post(DR + "secondary/generate-public-key")
    check(st == 400, "generate-public-key on a primary is refused", (st, j))
    st, j = a.post(DR + "secondary/generate-public-key")
    check(st == 200 and j["data"]["secondary_public_key"], "public key", (st, j))
    key1 = j["data"]["secondary_public_key"]
    # A token for this key arrives in data.token, not wrapped.
    st, j = b.post(DR + "primary/secondary-token",
                   {"id": "a-pk", "ttl": "10m", "secondary_public_key": key1})
    check(st == 200 and j["wrap_info"] is None and j["data"]["token"], "data.token", (st, j))
    tok1 = j["data"]["token"]
    # A newer key replaces the old: the token made for key1 no longer fits.
    st, j = a.post(DR + "secondary/generate-public-key")
    key2 = j["data"]["secondary_public_key"]
    check(key2 != key1, "a fresh key each time")
    st, j = a.post(DR + "secondary/update-primary",
                   {"dr_operation_token": h.BATCH, "token": tok1}, token=None)
    check(st == 400 and "public key" in j["errors"][0], "key mismatch fails", (st, j))
    st, j = b.post(DR + "primary/revoke-secondary", {"id": "a-pk"})
    st, j = b.post(DR + "primary/secondary-token",
                   {"id": "a-pk", "ttl": "10m", "secondary_public_key": key2})
    tok2 = j["data"]["token"]
    # No call to the primary's API: a private CA does not matter.
    st, j = a.post(DR + "secondary/update-primary",
                   {"dr_operation_token": h.BATCH, "token": tok2}, token=None)
    check(st == 200, "update-primary with the public-key token", (st, j))
    d = a.dr()
    check(d["mode"] == "secondary" and d["secondary_id"] == "a-pk", "attached", d)
    st, j = a.post(DR + "secondary/update-primary",
                   {"dr_operation_token": h.BATCH, "token": tok2}, token=None)
    check(st == 400, "a token is single-use", (st, j))


@case(with_knobs(a={"peer_ca_untrusted": True}))
def mock_private_ca_breaks_wrapped(c):
    a, b = clients(c)
    a.post(DR + "primary/demote")
    b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    st, j = b.post(DR + "primary/secondary-token", {"id": "a-w", "ttl": "10m"})
    st, j = a.post(DR + "secondary/update-primary",
                   {"dr_operation_token": h.BATCH, "token": j["wrap_info"]["token"],
                    "primary_api_addr": b.url}, token=None)
    check(st == 500 and "certificate signed by unknown authority" in j["errors"][0],
          "the unwrap fails on the private CA", (st, j))


# ------------------------------------------------------ mock: performance

PERF_SET = {"mode": "primary", "secondaries": [
    {"id": "perf-eu", "api_address": "https://perf-eu.example.test:8200"},
    {"id": "perf-ap", "on_switch": "stay-disconnected"}]}


@case(with_knobs(perf=PERF_SET))
def mock_perf_status_follows_dr(c):
    a, b = clients(c)
    st, j = a.get(PERF, token=None)
    d = j["data"]
    check(st == 200 and d["mode"] == "primary", "a is the performance primary", j)
    conn = {s["node_id"]: s["connection_status"] for s in d["secondaries"]}
    check(conn == {"perf-eu": "connected", "perf-ap": "connected"}, "both connected", d)
    check(b.get(PERF, token=None)[1]["data"]["mode"] == "disabled", "b is not", d)
    st, j = a.get("/v1/sys/health", token=None)
    check(j["replication_performance_mode"] == "primary", "health shows it", j)
    a.post(DR + "primary/demote")
    b.post(DR + "secondary/promote", {"dr_operation_token": h.BATCH}, token=None)
    d = b.get(PERF, token=None)[1]["data"]
    conn = {s["node_id"]: s["connection_status"] for s in d["secondaries"]}
    check(d["mode"] == "primary" and conn == {"perf-eu": "connected",
                                              "perf-ap": "disconnected"}, "after", d)
    st = c.mock.state()["performance"]
    check(st["secondaries"] == [{"id": "perf-eu", "connected_to": "b"},
                                {"id": "perf-ap", "connected_to": None}], "state", st)
    st, j = a.get("/v1/sys/replication/status", token=None)
    check(j["data"]["performance"]["mode"] == "disabled", "a no longer", j)


# ------------------------------------------------- public-key activation

RRSET = "/2013-04-01/hostedzone/%s/rrset/" % h.ZONE
SWITCH_AB = [("route53", "POST", RRSET),
             ("a", "POST", DR + "primary/demote"),
             ("b", "POST", DR + "secondary/promote"),
             ("route53", "POST", RRSET),
             ("b", "POST", DR + "primary/revoke-secondary")]


def batch_env(c, **kw):
    return c.env(VAULT_DR_OPERATION_TOKEN=h.BATCH, **kw)


@case(with_knobs(a={"peer_ca_untrusted": True}))
def failover_public_key_activation(c):
    """A private CA on the old primary: public-key activation re-attaches it
    without any call between the clusters' APIs."""
    cfg(c, "test_activation=public-key\n")
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "failover exits 0", r)
    h.assert_failed_over(c, r)
    log = c.mock.log()
    check(paths(log) == SWITCH_AB + [
        ("a", "POST", DR + "secondary/generate-public-key"),
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "changing requests", paths(log))
    tok = body(h.requests(log, "POST", "b", "secondary-token")[0])
    check(tok.get("secondary_public_key") and tok["id"], "the key went along", tok)
    up = body(h.requests(log, "POST", "a", "update-primary")[0])
    check(up["token"] and not up["token"].startswith("eyJ"), "data.token used", up)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary at most")
    # Failback the same way (b re-attaches with its own key).
    cfg(c, "test_activation=public-key\n")
    r = c.run("-y", "failback", "test", env=batch_env(c))
    check(r.code == 0, "failback exits 0", r)
    h.assert_failed_over(c, r, new="a", old="b")
    check(len(h.requests(c.mock.log(), "POST", "b", "generate-public-key")) == 1,
          "b generated a key for its own re-attach")


@case(with_knobs(a={"peer_ca_untrusted": True}))
def private_ca_wrapped_fails_public_key_fixes(c):
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 1, "the wrapped re-attach fails on the private CA", r)
    check("unknown authority" in r.err, "Vault's unwrap error is shown", r)
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "primary", "b was promoted", st)
    check(st["clusters"]["a"]["primary"] is None, "a is not attached", st)
    check(not h.requests(c.mock.log(), "POST", "a", "generate-public-key"),
          "no public key in the wrapped flow")
    check(st["max_primaries_up"] <= 1, "one primary at most")
    n = len(c.mock.log())
    cfg(c, "test_activation=public-key\n")
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "a re-run with public-key activation finishes", r)
    h.assert_failed_over(c, r)
    check(paths(c.mock.log()[n:]) == [
        ("route53", "POST", RRSET),
        ("b", "POST", DR + "primary/revoke-secondary"),
        ("a", "POST", DR + "secondary/generate-public-key"),
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "only the re-attach", paths(c.mock.log()[n:]))


@case()
def public_key_in_dry_run_plan(c):
    cfg(c, "test_activation=public-key\n")
    r = c.run("-n", "failover", "test", env=batch_env(c))
    check(r.code == 0, "dry run exits 0", r)
    check("generate-public-key" in r.out, "the plan names the key step", r)
    check(not h.changing(c.mock.log()), "nothing sent", h.changing(c.mock.log()))


# ------------------------------------------------ performance replication

@case(with_knobs(perf=PERF_SET))
def perf_report_after_failover(c):
    r = c.run("-y", "--json", "failover", "test",
              env=batch_env(c, VAULTDR_READY_TIMEOUT="1.5"))
    check(r.code == 0, "a disconnected performance secondary is no failure", r)
    h.assert_failed_over(c, r)
    log = c.mock.log()
    check(paths(log) == SWITCH_AB + [
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "no change to performance secondaries",
        paths(log))
    lines = [json.loads(x) for x in r.out.splitlines() if x.startswith("{")]
    warns = [x["message"] for x in lines if x["event"] == "warning"]
    ap = [w for w in warns if "perf-ap" in w]
    check(len(ap) == 1 and "performance/secondary/update-primary" in ap[0],
          "one warning names perf-ap and the command", warns)
    check(not [w for w in warns if "perf-eu" in w], "perf-eu reconnected", warns)
    summ = [x for x in lines if x["event"] == "summary"][-1]
    perf = summ["performance"]
    check(perf["mode"] == "primary" and perf["cluster"] == c.mock.urls["vault_b"],
          "the new primary's report", perf)
    conn = {s["id"]: s["connection_status"] for s in perf["secondaries"]}
    check(conn == {"perf-eu": "connected", "perf-ap": "disconnected"}, "states", perf)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary at most")


@case(with_knobs(perf=PERF_SET))
def perf_report_primary_down(c):
    """Unplanned: the old primary's region is gone; the report still comes
    from the promoted cluster, and exit 3 stays exit 3."""
    c.mock.listener("a", "down")
    r = c.run("-y", "--primary-down", "failover", "test",
              env=batch_env(c, VAULTDR_READY_TIMEOUT="1.5"))
    check(r.code == 3, "switched without the old primary: exit 3", r)
    check(paths(c.mock.log()) == [
        ("route53", "POST", RRSET), ("b", "POST", DR + "secondary/promote"),
        ("route53", "POST", RRSET), ("route53", "POST", RRSET)],
        "promote and record only", paths(c.mock.log()))
    ap = [l for l in r.err.splitlines() if "perf-ap" in l]
    check(len(ap) == 1 and "update_primary_addrs=<the new primary's cluster "
          "address>" in ap[0], "perf-ap warned, address unknown", r)
    check("perf-eu" not in r.err, "perf-eu followed the promote", r)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary up at most")


@case(with_knobs(perf={"secondaries": [{"id": "perf-eu", "reconnect_delay_ms": 600}]}))
def perf_reconnects_within_timeout(c):
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "failover exits 0", r)
    h.assert_failed_over(c, r)
    check("perf-eu" not in r.err, "no warning for a secondary that reconnected", r)
    check(paths(c.mock.log()) == SWITCH_AB + [
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "changing requests", paths(c.mock.log()))
    check(c.mock.state()["performance"]["secondaries"][0]["connected_to"] == "b",
          "perf-eu follows b")
    check("performance primary with 1 secondary (0 disconnected)" in r.out,
          "the summary says so", r)


@case(with_knobs(perf=PERF_SET))
def perf_in_status(c):
    r = c.run("status", "test")
    check(r.code == 0, "status exits 0", r)
    check("performance" in r.out and "perf-eu" in r.out and "perf-ap" in r.out,
          "text report lists the performance secondaries", r)
    r = c.run("--json", "status", "test")
    o = json.loads([x for x in r.out.splitlines() if '"status"' in x][0])
    perf = o["performance"]
    check(perf["mode"] == "primary" and perf["cluster"] == c.mock.urls["vault_a"], "a", o)
    check(len(perf["secondaries"]) == 2, "two", perf)
    check(not h.changing(c.mock.log()), "status changes nothing")


@case()
def perf_disabled_is_quiet(c):
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "failover exits 0", r)
    check("performance" not in r.err, "no performance warning", r)
    r = c.run("status", "test")
    check("performance secondar" not in r.out, "nothing to list", r)


# ------------------------------------------------------------ alias records

ALIAS_CFG = ("test_record_type=A-alias\ntest_primary_alias_zone_id=%s\n"
             "test_secondary_alias_zone_id=%s\n" % (ELB_ZONE_A, ELB_ZONE_B))
ALIAS_TARGETS = [{"hosted_zone_id": ELB_ZONE_A, "dns_name": h.A_DNS + "."},
                 {"hosted_zone_id": ELB_ZONE_B, "dns_name": h.B_DNS + "."}]


def alias_rec(rtype="A", dns=h.A_DNS, zone=ELB_ZONE_A, ev=False):
    return {"name": h.CNAME + ".", "type": rtype,
            "alias_target": {"hosted_zone_id": zone, "dns_name": dns + ".",
                             "evaluate_target_health": ev}}


def alias_scen(rtype="A", extra=()):
    def make():
        s = h.scenario()
        s["route53"]["records"] = [alias_rec(rtype)] + list(extra)
        s["route53"]["alias_targets"] = ALIAS_TARGETS
        return s
    return make


def record(c, rtype="A"):
    recs = [x for x in c.mock.state()["route53"]["records"]
            if x["name"].rstrip(".") == h.CNAME and x["type"] == rtype]
    check(len(recs) == 1, "one %s record" % rtype, recs)
    return recs[0]


@case(alias_scen())
def alias_a_failover_and_failback(c):
    cfg(c, ALIAS_CFG + "test_evaluate_target_health=true\n")
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "failover of an alias record exits 0", r)
    rec = record(c)
    check(rec["alias_target"]["dns_name"].rstrip(".") == h.B_DNS and
          rec["alias_target"]["hosted_zone_id"] == ELB_ZONE_B and
          rec["alias_target"]["evaluate_target_health"] is True, "alias moved", rec)
    log = c.mock.log()
    check(paths(log) == SWITCH_AB + [
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "changing requests", paths(log))
    ch = h.cname_changes(log)
    check(len(ch) == 1, "one record change", ch)
    b = ch[0]["body"]
    check("<Action>UPSERT</Action>" in b and "<Type>A</Type>" in b and
          "<HostedZoneId>%s</HostedZoneId>" % ELB_ZONE_B in b and
          "<TTL>" not in b and "<EvaluateTargetHealth>true" in b,
          "an alias UPSERT", b)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary at most")
    n = len(log)
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0 and not h.changing(c.mock.log()[n:]), "a re-run is a no-op", r)
    r = c.run("-y", "failback", "test", env=batch_env(c))
    check(r.code == 0, "failback exits 0", r)
    rec = record(c)
    check(rec["alias_target"]["dns_name"].rstrip(".") == h.A_DNS and
          rec["alias_target"]["hosted_zone_id"] == ELB_ZONE_A, "alias back", rec)
    r = c.run("status", "test")
    check(r.code == 0, "status of an alias pair exits 0", r)


@case(alias_scen("AAAA"))
def alias_aaaa_failover(c):
    cfg(c, ALIAS_CFG.replace("A-alias", "AAAA-alias"))
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 0, "failover of an AAAA alias exits 0", r)
    rec = record(c, "AAAA")
    check(rec["alias_target"]["dns_name"].rstrip(".") == h.B_DNS, "moved", rec)
    h.assert_failed_over(c, r)
    check(paths(c.mock.log()) == SWITCH_AB + [
        ("b", "POST", DR + "primary/secondary-token"),
        ("a", "POST", DR + "secondary/update-primary"),
        ("route53", "POST", RRSET)], "changing requests", paths(c.mock.log()))


@case()
def alias_declared_cname_found(c):
    cfg(c, ALIAS_CFG)
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 2, "a CNAME where an alias is declared is exit 2", r)
    check("declared A-alias" in r.err and "record_type" in r.err, "names both", r)
    check(not h.changing(c.mock.log()), "nothing sent", h.changing(c.mock.log()))
    h.assert_unchanged(c, r)


@case(alias_scen())
def cname_declared_alias_found(c):
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 2, "an alias where a CNAME is declared is exit 2", r)
    check("alias A" in r.err, "says what is there", r)
    check(not h.changing(c.mock.log()), "nothing sent", h.changing(c.mock.log()))
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "primary" and st["max_primaries_up"] <= 1,
          "unchanged", st)


@case(alias_scen(extra=[alias_rec("AAAA")]))
def alias_with_aaaa_beside_refused(c):
    cfg(c, ALIAS_CFG)
    r = c.run("-n", "failover", "test", env=batch_env(c))
    check(r.code == 2, "an A and an AAAA alias at the name is not one record", r)
    check("alias A, alias AAAA" in r.err, "lists both", r)
    check(not h.changing(c.mock.log()), "nothing sent")


@case(alias_scen())
def alias_wrong_zone_refused_by_route53(c):
    cfg(c, ALIAS_CFG.replace(ELB_ZONE_B, "Z0WRONGZONE1"))
    r = c.run("-y", "failover", "test", env=batch_env(c))
    check(r.code == 1, "Route 53 refuses the alias: exit 1", r)
    check("does not lie within the target zone" in r.err, "Route 53's reason", r)
    rec = record(c)
    check(rec["alias_target"]["dns_name"].rstrip(".") == h.A_DNS, "record unchanged", rec)
    check(c.mock.state()["max_primaries_up"] <= 1, "one primary at most")


if __name__ == "__main__":
    only = sys.argv[1] if len(sys.argv) > 1 else None
    run = [fn for fn in CASES if not only or only in fn.__name__]
    makers = iter([SCEN[fn.__name__] for fn in run])
    sys.exit(h.main(run, lambda: next(makers)()))
