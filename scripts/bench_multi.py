#!/usr/bin/env python3
"""make bench, several environments: one run of three environments against
the time of one (issue 13, region evacuation).

Usage: scripts/bench_multi.py [BUILD_DIR [VAULTDR [MOCK]]]

Starts four vaultdr-mock instances with mock/scenarios/bench.json (Route 53
INSYNC after 0.6 s), one pair of clusters each: `solo` for
`vaultdr failover solo`, and `one`, `two`, `three` for
`vaultdr failover one two three` (their three CNAMEs in the hosted zone of
`one`'s mock, the run's one Route 53 endpoint). Prints, `name value unit`:

  multi1_wall          wall time of the one-environment failover (s)
  multi3_wall          wall time of the three-environment failover (s)
  multi3_ratio         multi3_wall / multi1_wall
  multi3_peak_rss_kib  largest resident set of the three-environment run's
                       processes (the parent or one environment's child:
                       wait4 through BUILD_DIR/maxrss, when it is built)

then `PASS|FAIL multi3_ratio <= 1.2` and `PASS|FAIL multi3_peak_rss_kib
<= 2048` (2 MiB per environment). Exits 0 unless a run or a mock
failed: the target is reported, not enforced.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench import bench_environ  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_RATIO = 1.2
TARGET_RSS_KIB = 2048
ENVS = ("one", "two", "three")


def scenario(env, zone_envs):
    with open(os.path.join(TOP, "mock", "scenarios", "bench.json"),
              encoding="utf-8") as f:
        s = json.load(f)
    s["cname"] = "vault.%s.example.test" % env
    s["cluster_id"] = "bench-dr-set-" + env
    for side in ("a", "b"):
        s["clusters"][side]["dns_name"] = "vault-%s.%s.lb.example.test" % (
            side, env)
    s["route53"]["records"] = [
        {"name": "vault.%s.example.test." % e, "type": "CNAME", "ttl": 60,
         "value": "vault-a.%s.lb.example.test" % e} for e in zone_envs]
    return s


def start_mock(mock, certs, work, env, zone_envs):
    scen = os.path.join(work, env + "-scenario.json")
    with open(scen, "w", encoding="utf-8") as f:
        json.dump(scenario(env, zone_envs), f)
    proc, urls, _ = bench.start_mock(mock, certs, work, env, [], scen)
    return proc, urls


def section(env, urls):
    return ("[Vault-Cluster-%s]\n"
            "{e}_primary_vault_cluster_domain=%s\n"
            "{e}_secondary_vault_cluster_domain=%s\n"
            "{e}_cluster_cname=vault.{e}.example.test\n"
            "{e}_primary_dns_target=vault-a.{e}.lb.example.test\n"
            "{e}_secondary_dns_target=vault-b.{e}.lb.example.test\n\n"
            % (env.capitalize(), urls["vault_a"], urls["vault_b"])
            ).replace("{e}", env)


def timed(argv, env, work, tag, tool=None):
    """Runs argv (through the maxrss tool when given); returns (ok, wall s,
    peak RSS KiB or None)."""
    out = os.path.join(work, tag + ".out")
    rss_file = out + ".rss"
    if tool:
        argv = [tool, rss_file] + argv
    with open(out, "wb") as f:
        t0 = time.monotonic()
        p = subprocess.run(argv, env=env, stdout=f, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
        wall = time.monotonic() - t0
    if p.returncode != 0:
        with open(out, encoding="utf-8", errors="replace") as f:
            print("bench_multi: %s exited %d:\n%s" % (tag, p.returncode,
                                                      f.read()[-2000:]),
                  file=sys.stderr)
    rss = None
    if tool and os.path.exists(rss_file):
        with open(rss_file, encoding="ascii") as f:
            rss = int(f.read().strip() or 0)
    return p.returncode == 0, wall, rss


def main():
    b = sys.argv[1] if len(sys.argv) > 1 else "build"
    vaultdr = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "vaultdr")
    mock = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else
                           "mock/vaultdr-mock")
    os.chdir(TOP)
    certs = os.path.join(b, "certs")
    subprocess.run(["tests/gen-certs.sh", certs], check=True,
                   stdout=subprocess.DEVNULL)
    certs = os.path.abspath(certs)
    work = tempfile.mkdtemp(prefix="vaultdr-bench-multi.")
    procs = []
    try:
        urls = {}
        for e in ("solo",) + ENVS:
            zone = [e] if e != ENVS[0] else list(ENVS)
            proc, urls[e] = start_mock(mock, certs, work, e, zone)
            procs.append(proc)
        cfg = os.path.join(work, "vault_dr.cfg")
        with open(cfg, "w", encoding="utf-8") as f:
            for e in ("solo",) + ENVS:
                f.write(section(e, urls[e]))
            f.write("[AWS-Route-53]\nHostedZoneID=Z0DEMO0000\n")
        tool = os.path.abspath(os.path.join(b, "maxrss"))
        tool = tool if os.access(tool, os.X_OK) else None
        ok1, one, _ = timed([vaultdr, "-c", cfg, "failover", "solo"],
                            bench_environ(certs, urls["solo"]["route53"]), work,
                            "one")
        ok3, three, rss = timed([vaultdr, "-c", cfg, "failover"] +
                                list(ENVS), bench_environ(certs,
                                                    urls[ENVS[0]]["route53"]),
                                work, "three", tool)
        ratio = three / one if one > 0 else float("inf")
        print("multi1_wall %.2f s" % one)
        print("multi3_wall %.2f s" % three)
        print("multi3_ratio %.2f x" % ratio)
        print("multi3_peak_rss_kib %s KiB" % ("nan" if rss is None else rss))
        print("%s multi3_ratio <= %.1f" % ("PASS" if ratio <= TARGET_RATIO
                                           else "FAIL", TARGET_RATIO))
        print("%s multi3_peak_rss_kib <= %d KiB per environment" % (
            "UNKNOWN" if rss is None else "PASS" if rss <= TARGET_RSS_KIB
            else "FAIL", TARGET_RSS_KIB))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok1 and ok3 else 1


if __name__ == "__main__":
    sys.exit(main())
