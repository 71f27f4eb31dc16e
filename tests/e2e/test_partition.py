#!/usr/bin/env python3
"""Route 53 partitions: the SigV4 region follows VAULTDR_ROUTE53_REGION (the
mock's Route 53 checks the region in every signature), and a bad value is a
config error before anything is sent."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dr as h  # noqa: E402


def china_scenario():
    s = h.scenario()
    s["route53"]["region"] = "cn-northwest-1"
    return s


def signing_region_from_override(c):
    # The endpoint is the mock (localhost), so only the override can say
    # which partition's region signs: without it, us-east-1 is refused.
    r = c.run("failover", "test")
    h.check(r.code == 2 and "SignatureDoesNotMatch" in r.err,
            "preflight: a us-east-1 signature refused by a cn-northwest-1 "
            "Route 53 is a credentials error (exit 2)", r)
    h.check(h.changing(c.mock.log()) == [], "nothing changed")
    r = c.run("failover", "test",
              env=c.env(VAULTDR_ROUTE53_REGION="cn-northwest-1"))
    h.check(r.code == 0, "signed for cn-northwest-1: failover works", r)
    auth = [e["headers"].get("authorization", "") for e in c.mock.log()
            if e["listener"] == "route53"]
    h.check(any("/cn-northwest-1/route53/aws4_request" in a for a in auth),
            "the credential scope names cn-northwest-1", auth[-1:])
    st = h.assert_failed_over(c, r)
    h.check(st["max_primaries_up"] <= 1, "never two primaries", st)


def bad_region_is_config_error(c):
    r = c.run("status", "test", env=c.env(VAULTDR_ROUTE53_REGION="US East"))
    h.check(r.code == 2 and "VAULTDR_ROUTE53_REGION" in r.err,
            "a malformed region is exit 2 naming the variable", r)
    h.check(c.mock.log() == [], "nothing sent", c.mock.log())


CASES = [signing_region_from_override, bad_region_is_config_error]

if __name__ == "__main__":
    sys.exit(h.main(CASES, china_scenario))
