#!/usr/bin/env python3
"""make bench: time vaultdr failover and failback against the bundled mock.

Usage: scripts/bench.py [BUILD_DIR [VAULTDR [MOCK]]]

Starts vaultdr-mock with mock/scenarios/bench.json (Route 53 INSYNC after
0.6 s, no faults, no promote/demote delay) over TLS, runs `vaultdr --verbose
failover bench` then `failback bench` with VAULTDR_POLL_INTERVAL=0.2, and
prints one line per figure, `name value unit`:

  failover_wall, failback_wall         wall time of each command (s)
  connections_<server>                 most TLS connections vaultdr opened to
                                       that server in one command (from its
                                       `vaultdr: stats HOST:PORT connections N
                                       requests M` verbose lines; nan if absent)
  requests_<server>                    requests the mock served, both commands
  <command>_connections_/_requests_<server>   the same per command
  peak_rss_kib                         largest ru_maxrss of the two vaultdr
                                       runs (scripts/maxrss.c: wait4 on
                                       vaultdr alone)
  binary_size_stripped                 a stripped copy of vaultdr (bytes)

Then the same two commands against a second mock started with
--latency-ms 50 (every request answered 50 ms late, a new connection 100 ms
more: TCP and TLS 1.2 handshakes across a WAN):

  failover_wan50, failback_wan50       wall time of each command (s)
  <command>_wan50_requests             requests the mock served
  <command>_wan50_seq_requests         sequential requests on the path to the
                                       Route 53 change (see below)
  <command>_wan50_seq_round_trips      the same plus 2 per new connection
                                       among them (the handshakes)

A request is sequential when it had to wait for the previous answer: the
mock read it (recv_ms) no earlier than it had answered every request the
command sent before it (time_ms); requests sent together, without waiting
for each other, count once. The path to the change is every request of the
command up to and including the first Route 53 ChangeResourceRecordSets
(POST .../rrset) that is not about the run lock (_vaultdr-lock). These are the round trips a WAN makes the run pay for.

Then one PASS/FAIL line per target (issue 13: each command <= 1.5 s on the
loopback and with 50 ms round trips, peak RSS <= 2 MiB, stripped binary <=
400 KiB, one TLS connection per server). Exits 0 unless a run (or the mock) failed:
the targets are reported, not enforced.
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = ("vault_a", "vault_b", "route53")
LOG_NAMES = {"a": "vault_a", "b": "vault_b", "route53": "route53"}
STATS = re.compile(r"^vaultdr: stats (\S+) connections (\d+) requests (\d+)$")

TARGET_WALL_S = 1.5
TARGET_RSS_KIB = 2 * 1024
TARGET_SIZE = 400 * 1024
TARGET_CONNS = 1
WAN_LATENCY_MS = 50


def bench_environ(certs, route53):
    """The environment of a benched vaultdr: the mock's placeholder
    credentials and CA, fast polling; nothing of the caller's AWS_, VAULT_
    or VAULTDR_ variables. bench_multi.py uses it too."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "VAULT_", "VAULTDR_"))}
    env.update({
        "VAULT_TOKEN": "demo-vault-token",
        "VAULT_RECOVERY_KEY_1": "demo-recovery-share-1",
        "VAULT_RECOVERY_KEY_2": "demo-recovery-share-2",
        "AWS_ACCESS_KEY_ID": "AKIDDEMOEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "placeholder-aws-secret-key",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_ROUTE_53": route53,
        "VAULT_CACERT": certs + "/ca.pem",
        "AWS_CA_BUNDLE": certs + "/ca.pem",
        "VAULTDR_POLL_INTERVAL": "0.2",
        "VAULTDR_RETRY_BASE": "0.2",
        "DNS_PROPAGATION_DELAY": "0",
    })
    return env


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def maxrss_tool(b):
    """B/maxrss (scripts/maxrss.c), built here if make did not."""
    tool = os.path.join(b, "maxrss")
    if not os.path.exists(tool):
        cc = shutil.which("musl-gcc") or shutil.which("cc") or "gcc"
        subprocess.run([cc, "-O2", "-static", "-D_DEFAULT_SOURCE", "-o",
                        tool, "scripts/maxrss.c"], check=True)
    return os.path.abspath(tool)


def run_child(tool, argv, env, out_path, err_path):
    """Runs argv with stdout/stderr to files; returns (exit code, wall s,
    peak RSS KiB of argv alone). The peak comes from the small static
    maxrss wrapper's wait4: neither the mock nor this Python process (whose
    high-water mark a child forked from it would inherit) counts."""
    rss_file = out_path + ".rss"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        fa = [(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
              (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
              (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
        t0 = time.monotonic()
        pid = os.posix_spawn(tool, [tool, rss_file] + argv, env,
                             file_actions=fa)
        _, status, _ = os.wait4(pid, 0)
        wall = time.monotonic() - t0
    with open(rss_file, encoding="ascii") as f:
        rss = int(f.read().strip() or 0)
    return os.waitstatus_to_exitcode(status), wall, rss


def count_log(path, start):
    """Requests per server in the mock log from line `start` on; returns
    (counts, lines)."""
    counts = dict.fromkeys(SERVERS, 0)
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines[start:]:
        name = LOG_NAMES.get(json.loads(line).get("listener"))
        if name:
            counts[name] += 1
    return counts, len(lines)


def read_log(path, start):
    """The mock log's entries from line `start` on; returns (entries,
    lines)."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    return [json.loads(line) for line in lines[start:]], len(lines)


def seq_path(entries):
    """(sequential requests, sequential round trips) on the path to the
    first Route 53 change, by the definition in the module docstring."""
    answered = None  # latest answer time of the requests before
    nreq = rtt = 0
    for e in sorted(entries, key=lambda e: (e.get("recv_ms", 0), e["seq"])):
        if answered is None or e.get("recv_ms", 0) >= answered:
            nreq += 1
            rtt += 3 if e.get("new_conn") else 1
        answered = max(answered or 0, e["time_ms"])
        if (e.get("listener") == "route53" and e.get("method") == "POST"
                and e.get("path", "").rstrip("/").endswith("/rrset")
                and "_vaultdr-lock" not in e.get("body", "")):
            return nreq, rtt
    return nreq, rtt


def start_mock(mock, certs, work, tag, extra,
               scenario="mock/scenarios/bench.json"):
    """Starts a mock with scenario (the bench's by default); returns (proc,
    urls, log). bench_multi.py uses it too."""
    ready = os.path.join(work, tag + "-ready.json")
    reqlog = os.path.join(work, tag + "-requests.jsonl")
    proc = subprocess.Popen(
        [mock, "--cert", certs + "/server.pem", "--key", certs + "/server.key",
         "--scenario", scenario, "--ready-file", ready,
         "--log", reqlog] + extra, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            die("the mock did not start")
        time.sleep(0.02)
    with open(ready, encoding="utf-8") as f:
        return proc, json.load(f), reqlog


def stop_mock(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def setup(work, tag, urls, certs):
    """The config file and environment for a run against urls."""
    cfg = os.path.join(work, tag + "-vault_dr.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write("[Vault-Cluster-Bench]\n"
                "bench_primary_vault_cluster_domain=%s\n"
                "bench_secondary_vault_cluster_domain=%s\n"
                "bench_cluster_cname=vault.demo.example.test\n"
                "bench_primary_dns_target=vault-usw2.lb.example.test\n"
                "bench_secondary_dns_target=vault-use1.lb.example.test\n"
                "\n[AWS-Route-53]\nHostedZoneID=Z0DEMO0000\n"
                % (urls["vault_a"], urls["vault_b"]))
    env = bench_environ(certs, urls["route53"])
    return cfg, env


def run_cmd(tool, vaultdr, cfg, env, work, tag, cmd):
    """One vaultdr command; returns (ok, wall s, peak RSS KiB, stderr
    path)."""
    out = os.path.join(work, "%s-%s.out" % (tag, cmd))
    err = os.path.join(work, "%s-%s.err" % (tag, cmd))
    code, wall, maxrss = run_child(
        tool, [vaultdr, "--verbose", "-c", cfg, cmd, "bench"], env, out, err)
    if code != 0:
        with open(err, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-2000:]
        print("bench: vaultdr %s (%s) exited %d:\n%s" % (cmd, tag, code,
                                                         tail),
              file=sys.stderr)
    return code == 0, wall, maxrss, err


def lan(tool, vaultdr, mock, certs, work):
    """Today's figures against the mock on the loopback; returns (figures,
    ok)."""
    proc, urls, reqlog = start_mock(mock, certs, work, "lan", [])
    ok = True
    try:
        port_name = {}
        for name in SERVERS:
            port_name[urls[name].rsplit(":", 1)[1].rstrip("/")] = name
        cfg, env = setup(work, "lan", urls, certs)
        fig = []  # (name, value, unit)
        conns = {s: [] for s in SERVERS}
        reqs = dict.fromkeys(SERVERS, 0)
        rss = 0
        logpos = 0
        for cmd in ("failover", "failback"):
            good, wall, maxrss, err = run_cmd(tool, vaultdr, cfg, env, work,
                                              "lan", cmd)
            ok = ok and good
            rss = max(rss, maxrss)
            fig.append((cmd + "_wall", "%.2f" % wall, "s"))
            counts, logpos = count_log(reqlog, logpos)
            seen = dict.fromkeys(SERVERS, None)
            with open(err, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = STATS.match(line.rstrip("\n"))
                    if not m:
                        continue
                    name = port_name.get(m.group(1).rsplit(":", 1)[-1])
                    if name:
                        seen[name] = (seen[name] or 0) + int(m.group(2))
            for s in SERVERS:
                c = seen[s]
                conns[s].append(float("nan") if c is None else c)
                reqs[s] += counts[s]
                fig.append(("%s_connections_%s" % (cmd, s),
                            "nan" if c is None else str(c), "count"))
                fig.append(("%s_requests_%s" % (cmd, s), str(counts[s]),
                            "count"))
        for s in SERVERS:
            worst = max(conns[s]) if not any(math.isnan(c) for c in conns[s]) \
                else float("nan")
            fig.append(("connections_" + s,
                        "nan" if math.isnan(worst) else str(int(worst)),
                        "count"))
            fig.append(("requests_" + s, str(reqs[s]), "count"))
        fig.append(("peak_rss_kib", str(rss), "KiB"))
    finally:
        stop_mock(proc)
    return fig, ok


def wan(tool, vaultdr, mock, certs, work):
    """failover and failback against a mock with --latency-ms; returns
    (figures, ok)."""
    proc, urls, reqlog = start_mock(mock, certs, work, "wan",
                                    ["--latency-ms", str(WAN_LATENCY_MS)])
    ok = True
    fig = []
    try:
        cfg, env = setup(work, "wan", urls, certs)
        logpos = 0
        for cmd in ("failover", "failback"):
            good, wall, _, _ = run_cmd(tool, vaultdr, cfg, env, work, "wan",
                                       cmd)
            ok = ok and good
            entries, logpos = read_log(reqlog, logpos)
            nreq, rtt = seq_path(entries)
            tag = "%s_wan%d" % (cmd, WAN_LATENCY_MS)
            fig.append((tag, "%.2f" % wall, "s"))
            fig.append((tag + "_requests", str(len(entries)), "count"))
            fig.append((tag + "_seq_requests", str(nreq), "count"))
            fig.append((tag + "_seq_round_trips", str(rtt), "count"))
    finally:
        stop_mock(proc)
    return fig, ok


def main():
    b = sys.argv[1] if len(sys.argv) > 1 else "build"
    vaultdr = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "vaultdr")
    mock = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else
                           "mock/vaultdr-mock")
    os.chdir(TOP)
    tool = maxrss_tool(b)
    certs = os.path.join(b, "certs")
    subprocess.run(["tests/gen-certs.sh", certs], check=True,
                   stdout=subprocess.DEVNULL)
    certs = os.path.abspath(certs)
    work = tempfile.mkdtemp(prefix="vaultdr-bench.")
    try:
        fig, ok_lan = lan(tool, vaultdr, mock, certs, work)
        stripped = os.path.join(work, "vaultdr.stripped")
        shutil.copyfile(vaultdr, stripped)
        subprocess.run(["strip", stripped], check=True)
        size = os.path.getsize(stripped)
        fig.append(("binary_size_stripped", str(size), "bytes"))
        wfig, ok_wan = wan(tool, vaultdr, mock, certs, work)
        fig += wfig
        for name, value, unit in fig:
            print("%s %s %s" % (name, value, unit))

        values = {n: v for n, v, _ in fig}
        rss = int(values["peak_rss_kib"])
        targets = [
            ("failover_wall <= %.1f s" % TARGET_WALL_S,
             float(values["failover_wall"]) <= TARGET_WALL_S),
            ("failback_wall <= %.1f s" % TARGET_WALL_S,
             float(values["failback_wall"]) <= TARGET_WALL_S),
            ("failover_wan%d <= %.1f s" % (WAN_LATENCY_MS, TARGET_WALL_S),
             float(values["failover_wan%d" % WAN_LATENCY_MS])
             <= TARGET_WALL_S),
            ("failback_wan%d <= %.1f s" % (WAN_LATENCY_MS, TARGET_WALL_S),
             float(values["failback_wan%d" % WAN_LATENCY_MS])
             <= TARGET_WALL_S),
            ("peak_rss_kib <= %d KiB" % TARGET_RSS_KIB, rss <= TARGET_RSS_KIB),
            ("binary_size_stripped <= %d bytes" % TARGET_SIZE,
             size <= TARGET_SIZE),
        ]
        for s in SERVERS:
            v = values["connections_" + s]
            targets.append(("connections_%s <= %d per command"
                            % (s, TARGET_CONNS),
                            None if v == "nan" else int(v) <= TARGET_CONNS))
        for what, ok in targets:
            print("%s %s" % ("UNKNOWN" if ok is None else
                             "PASS" if ok else "FAIL", what))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok_lan and ok_wan else 1


if __name__ == "__main__":
    sys.exit(main())
