#!/usr/bin/env python3
"""Issue 16: preflight (DESIGN.md Safety 4), the replication gate and
catch-up (Safety 5), readiness behind load balancers (Safety 7), the
version rule and DR operation tokens (Safety 9), against the mock.

Each refusal asserts the exit code, that the mock saw no changing request
(nothing changed) and that the message names the check."""
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402

check = h.check
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def restart(c, s):
    c.close()
    c.__init__(c.name, s)


def assert_refused(c, r, code, words):
    check(r.code == code, "exit %d expected" % code, r)
    for w in words:
        check(w in r.err or w in r.out, "message must name %r" % w, r)
    log = c.mock.log()
    check(not h.changing(log), "nothing may be changed when refused",
          h.changing(log))
    st = h.assert_unchanged(c, r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    return st


def scen(**cl):
    """h.scenario() with per-cluster knobs: a={...}, b={...}, route53={...}."""
    s = h.scenario()
    for k in ("a", "b"):
        s["clusters"][k].update(cl.get(k, {}))
    for k, v in cl.items():
        if k not in ("a", "b"):
            s[k] = v
    return s


def with_records(records):
    s = h.scenario()
    s["route53"]["records"] = records
    return s


CN = h.CNAME + "."


# ---------------------------------------------------------- record and zone

@case
def typo_cname_inside_zone(c):
    """Observation 1: a typo'd name inside the zone is refused, dry run too."""
    with open(c.cfg) as f:
        txt = f.read()
    with open(c.cfg, "w") as f:
        f.write(txt.replace("test_cluster_cname=" + h.CNAME,
                            "test_cluster_cname=vualt.test.example.test"))
    for args in (("--dry-run", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        assert_refused(c, r, 2, ["record check", "vualt.test.example.test",
                                 "--create-record"])


@case
def name_outside_zone(c):
    with open(c.cfg) as f:
        txt = f.read()
    with open(c.cfg, "w") as f:
        f.write(txt.replace("test_cluster_cname=" + h.CNAME,
                            "test_cluster_cname=vault.elsewhere.test"))
    for args in (("--dry-run", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        check(r.code == 2, "exit 2", r)
        check("zone check" in r.err or "record check" in r.err,
              "names the check", r)
        check(not h.changing(c.mock.log()), "nothing changed")


@case
def alias_at_the_name(c):
    restart(c, with_records([{"name": CN, "type": "A", "alias_target": {
        "hosted_zone_id": "Z2FDTNDATAQYW2", "dns_name": "d1.cloudfront.net.",
        "evaluate_target_health": False}}]))
    r = c.run("failover", "test")
    check(r.code == 2 and "record check" in r.err and "alias A" in r.err,
          "alias refused", r)
    check(not h.changing(c.mock.log()), "nothing changed")


@case
def weighted_cname_at_the_name(c):
    restart(c, with_records([
        {"name": CN, "type": "CNAME", "ttl": 60, "value": h.A_DNS,
         "set_identifier": "blue", "weight": 10},
        {"name": CN, "type": "CNAME", "ttl": 60, "value": h.B_DNS,
         "set_identifier": "green", "weight": 0}]))
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        check(r.code == 2 and "record check" in r.err and "SetIdentifier"
              in r.err, "weighted refused", r)
    check(not h.changing(c.mock.log()), "nothing changed")


@case
def a_record_at_the_name(c):
    restart(c, with_records([{"name": CN, "type": "A", "ttl": 60,
                              "value": "10.0.0.1"}]))
    r = c.run("--create-record", "failover", "test")
    check(r.code == 2 and "record check" in r.err and "holds A" in r.err,
          "A record refused even with --create-record", r)
    check(not h.changing(c.mock.log()), "nothing changed")


@case
def create_record(c):
    restart(c, with_records([]))
    r = c.run("failover", "test")
    check(r.code == 2 and "--create-record" in r.err, "absent refused", r)
    check(not h.changing(c.mock.log()), "nothing changed")
    r = c.run("--create-record", "failover", "test")
    check(r.code == 0, "--create-record creates it", r)
    st = c.mock.state()
    recs = [x for x in st["route53"]["records"] if x["name"] == CN]
    check(len(recs) == 1 and recs[0]["value"].rstrip(".") == h.B_DNS,
          "one CNAME naming b", recs)


# ------------------------------------------------------- token and shares

@case
def wrong_vault_token(c):
    """Observation 2: dry run and real run refuse a wrong token; no DR
    operation token is generated."""
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args, env=c.env(VAULT_TOKEN="hvs.not-a-valid-token"))
        assert_refused(c, r, 2, ["token check", "VAULT_TOKEN",
                                 "lookup-self"])
    check(not h.requests(c.mock.log(), contains="generate-operation-token"),
          "no DR operation token attempt")


@case
def restricted_capabilities(c):
    s = h.scenario()
    s["token_capabilities"] = {h.VAULT_TOKEN: {
        "sys/replication/dr/primary/demote": ["update"],
        "sys/replication/dr/primary/revoke-secondary": ["update"],
        "sys/replication/dr/primary/secondary-token": ["update"]}}
    restart(c, s)
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        assert_refused(c, r, 2, ["capability check", "'sudo'",
                                 "sys/replication/dr/primary/secondary-token"])


@case
def too_few_shares_without_terminal(c):
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args, env=c.env(VAULT_RECOVERY_KEY_2=None))
        assert_refused(c, r, 2, ["key share check", "needs 2",
                                 "VAULT_DR_OPERATION_TOKEN"])


@case
def generate_forbidden_explains_batch_token(c):
    restart(c, scen(generate_forbidden=True))
    r = c.run("failover", "test")
    check(r.code != 0, "fails", r)
    check("VAULT_DR_OPERATION_TOKEN" in r.err and "403" in r.err,
          "explains the batch DR operation token", r)
    h.assert_unchanged(c, r)
    check(not h.requests(c.mock.log(), "POST", contains="demote"),
          "no demote")


@case
def same_cluster_twice(c):
    restart(c, scen(a={"health_cluster_id": "same-id"},
                    b={"health_cluster_id": "same-id"}))
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        assert_refused(c, r, 2, ["cluster identity check", "same-id"])


@case
def http_urls_refused(c):
    with open(c.cfg) as f:
        txt = f.read()
    with open(c.cfg, "w") as f:
        f.write(txt.replace(c.mock.urls["vault_a"],
                            c.mock.urls["vault_a"].replace("https:", "http:")))
    r = c.run("-n", "failover", "test")
    check(r.code == 2 and "https://" in r.err and "VAULTDR_ALLOW_HTTP" in
          r.err, "http:// refused with the fix", r)
    check(not c.mock.log(), "nothing sent at all")


@case
def http_aws_endpoints_refused(c):
    # STS and SSO get credentials or sign with them: https only, like
    # Route 53 (the metadata endpoints stay plain HTTP by design).
    for var in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
                "AWS_ENDPOINT_URL"):
        r = c.run("-n", "failover", "test",
                  env=c.env(**{var: "http://127.0.0.1:9/"}))
        check(r.code == 2 and var in r.err and "VAULTDR_ALLOW_HTTP" in r.err,
              "%s over http:// refused, naming it and the fix" % var, r)
    check(not c.mock.log(), "nothing sent at all")


@case
def route53_credentials_refused(c):
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args, env=c.env(AWS_SECRET_ACCESS_KEY="wrong/secret+key"))
        assert_refused(c, r, 2, ["Route 53 check", "credentials"])


@case
def allow_http_warns(c):
    r = c.run("-n", "failover", "test", env=c.env(VAULTDR_ALLOW_HTTP="1"))
    check(r.code == 0, "dry run", r)
    check("VAULTDR_ALLOW_HTTP" in r.err, "warned on every run", r)
    r = c.run("-n", "failover", "test", env=c.env(VAULTDR_ALLOW_HTTP="yes"))
    check(r.code == 2 and "VAULTDR_ALLOW_HTTP" in r.err, "0 or 1 only", r)


# ------------------------------------------------------ replication gate

@case
def disconnected_refused(c):
    restart(c, scen(a={"wal_rate": 50}, b={"connected": False}))
    for args in (("-n", "failover", "test"), ("failover", "test")):
        r = c.run(*args)
        assert_refused(c, r, 4, ["replication gate", "not connected",
                                 "--accept-data-loss"])


@case
def merkle_sync_refused(c):
    restart(c, scen(b={"state": "merkle-sync"}))
    r = c.run("failover", "test")
    assert_refused(c, r, 4, ["replication gate", "merkle-sync"])


@case
def corrupted_merkle_refused(c):
    restart(c, scen(b={"corrupted_merkle_tree": True}))
    r = c.run("failover", "test")
    assert_refused(c, r, 4, ["replication gate", "corrupted merkle tree"])


@case
def catch_up_loses_nothing(c):
    restart(c, scen(a={"wal_rate": 200}, b={"lag_wals": 40,
                                            "catchup_delay_ms": 700}))
    r = c.run("failover", "test", env=c.env(VAULTDR_CATCHUP_TIMEOUT="20"))
    check(r.code == 0, "failover", r)
    st = h.assert_failed_over(c, r)
    check(st["clusters"]["b"]["wals_lost"] == 0, "no WAL lost", st)
    check("catch" in r.out.lower() or "received WAL" in r.out,
          "catch-up step reported", r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


@case
def catch_up_timeout_repromotes_old(c):
    restart(c, scen(a={"wal_rate": 200}, b={"lag_wals": 40,
                                            "catchup_delay_ms": 60000}))
    r = c.run("failover", "test", env=c.env(VAULTDR_CATCHUP_TIMEOUT="1"))
    check(r.code == 1, "exit 1", r)
    check("catch-up" in r.err and "VAULTDR_CATCHUP_TIMEOUT" in r.err,
          "names the check", r)
    st = c.mock.state()
    check(st["clusters"]["a"]["mode"] == "primary", "a promoted again", st)
    check(st["clusters"]["b"]["mode"] == "secondary", "b never promoted", st)
    check(not h.requests(c.mock.log(), "POST", "b", "/secondary/promote"),
          "b never promoted")
    check(st["max_primaries_up"] <= 1, "never two primaries", st)
    check(st["clusters"]["b"]["dr_tokens"] == 0,
          "no DR operation token left on the secondary", st)


@case
def max_lag_wals_allows_a_bounded_lag(c):
    """VAULTDR_MAX_LAG_WALS: that many WALs behind counts as caught up."""
    restart(c, scen(b={"lag_wals": 30, "catchup_delay_ms": 60000}))
    r = c.run("failover", "test", env=c.env(VAULTDR_CATCHUP_TIMEOUT="5",
                                            VAULTDR_MAX_LAG_WALS="30"))
    check(r.code == 0, "proceeds within the allowed lag", r)
    check(r.secs < 5, "without waiting for the catch-up", r)
    st = h.assert_failed_over(c, r)
    check(st["clusters"]["b"]["wals_lost"] <= 30, "at most 30 WALs lost", st)


@case
def accept_data_loss_reports_behind(c):
    restart(c, scen(a={"wal_rate": 100}, b={"connected": False}))
    r = c.run("--accept-data-loss", "failover", "test")
    check(r.code == 0, "proceeds", r)
    check("WALs behind" in r.out and "--accept-data-loss" in r.out,
          "reports the WALs behind", r)
    st = h.assert_failed_over(c, r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


@case
def accept_data_loss_skips_the_catch_up(c):
    restart(c, scen(b={"lag_wals": 40, "catchup_delay_ms": 60000}))
    r = c.run("--accept-data-loss", "failover", "test",
              env=c.env(VAULTDR_CATCHUP_TIMEOUT="30"))
    check(r.code == 0 and r.secs < 10, "no catch-up wait", r)
    check("is 40 WALs behind" in r.out, "reports the WALs behind", r)
    st = h.assert_failed_over(c, r)
    check(st["clusters"]["b"]["wals_lost"] == 40, "the 40 WALs accepted as "
          "lost are the ones lost", st)


@case
def status_says_safe_to_switch(c):
    r = c.run("status", "test")
    check("safe to switch: yes" in r.out, "safe yes", r)
    rj = c.run("--json", "status", "test")
    j = h.json.loads(rj.out.strip().splitlines()[-1])
    check(j["safe_to_switch"] is True, "json safe", j)
    restart(c, scen(b={"connected": False}))
    r = c.run("status", "test")
    check("safe to switch: no" in r.out and "not connected" in r.out,
          "safe no with the reason", r)


@case
def resumed_promote_still_catches_up(c):
    """A promote whose answer is lost before Vault saw it (hangup): the
    re-read finds both clusters DR secondaries; the promote that follows
    still waits for the catch-up, and no WAL is lost."""
    restart(c, scen(a={"wal_rate": 200}, b={"lag_wals": 30,
                                            "catchup_delay_ms": 400}))
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "hangup", "count": 1}])
    r = c.run("failover", "test", env=c.env(VAULTDR_CATCHUP_TIMEOUT="20"))
    st = c.mock.state()
    if r.code == 0:
        h.assert_failed_over(c, r)
    else:
        r = c.run("failover", "test", env=c.env(VAULTDR_CATCHUP_TIMEOUT="20"))
        check(r.code == 0, "a re-run finishes", r)
        st = h.assert_failed_over(c, r)
    st = c.mock.state()
    check(st["clusters"]["b"]["wals_lost"] == 0, "no WAL lost", st)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


@case
def primary_down_reports_last_wal(c):
    restart(c, scen(a={"wal_rate": 100}, b={"lag_wals": 25}))
    c.mock.listener("a", "down")
    r = c.run("--primary-down", "failover", "test")
    check(r.code == 3, "exit 3", r)
    check("last received WAL" in r.out, "the last known WAL is reported", r)


@case
def stuck_attach_exit_1_names_state(c):
    """Observation 6: re-attached means stream-wals and connected, not the
    2xx of update-primary."""
    restart(c, scen(a={"attach_stuck": "merkle-sync"}))
    r = c.run("failover", "test", env=c.env(VAULTDR_READY_TIMEOUT="1.5"))
    check(r.code == 1, "exit 1", r)
    check("merkle-sync" in r.err and "stream" in r.err,
          "says what state the old cluster is in", r)
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "primary", "b promoted", st)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


# ------------------------------------------------- load balancer, versions

@case
def load_balanced_with_standbys(c):
    restart(c, scen(a={"standbys": 1, "perf_standbys": 1},
                    b={"standbys": 1, "perf_standbys": 1}))
    r = c.run("failover", "test")
    check(r.code == 0, "failover behind load balancers", r)
    st = h.assert_failed_over(c, r)
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


@case
def newer_new_primary_skips_reattach(c):
    restart(c, scen(b={"version": "1.16.1+ent"}))
    r = c.run("-n", "failover", "test")
    check(r.code == 0 and "Upgrade the old cluster" in r.out, "said in the "
          "dry run's preflight", r)
    r = c.run("failover", "test")
    check(r.code == 3, "exit 3", r)
    check("upgrade the old cluster" in r.err.lower(), "names the fix", r)
    st = c.mock.state()
    check(st["clusters"]["b"]["mode"] == "primary", "b promoted", st)
    recs = [x for x in st["route53"]["records"] if x["name"] == CN]
    check(recs[0]["value"].rstrip(".") == h.B_DNS, "CNAME moved", st)
    check(not h.requests(c.mock.log(), "POST", "a", "update-primary"),
          "no re-attach")
    check(st["max_primaries_up"] <= 1, "never two primaries", st)


@case
def older_new_primary_is_fine(c):
    restart(c, scen(a={"version": "1.16.1+ent"}))
    r = c.run("failover", "test")
    check(r.code == 0, "failover onto the older Vault (upgrade window)", r)
    check(r.err == "", "no warning at all", r)
    h.assert_failed_over(c, r)


# ---------------------------------------------------------------- tokens

@case
def failure_after_token_leaves_none(c):
    c.mock.faults([{"listener": "a", "method": "POST",
                    "path": "/v1/sys/replication/dr/primary/demote",
                    "action": "status", "status": 403, "count": 0}])
    r = c.run("failover", "test")
    check(r.code != 0, "demote refused", r)
    log = c.mock.log()
    check(h.requests(log, "POST", "b", "generate-operation-token/update"),
          "a DR operation token was generated on b before the demote", log)
    check(h.requests(log, "POST", "b", "operation-token/delete"),
          "and deleted", log)
    st = c.mock.state()
    check(st["clusters"]["b"]["dr_tokens"] == 0,
          "the generated DR operation token is deleted", st)
    check(st["clusters"]["a"]["mode"] == "primary", "a unchanged", st)
    check("demote" in r.err, "names the failed step", r)


@case
def clean_failover_failback_no_warning(c):
    r = c.run("failover", "test")
    check(r.code == 0 and r.err == "", "failover prints no warning", r)
    check("stays there" in r.out, "the undeletable token is noted once in "
          "the summary", r)
    r = c.run("failback", "test")
    check(r.code == 0 and r.err == "", "failback prints no warning", r)
    h.assert_failed_over(c, r, new="a", old="b")


if __name__ == "__main__":
    sys.exit(h.main(CASES))
