#!/usr/bin/env python3
"""RFC 2136 + TSIG against a real BIND 9: build/dnstool (a driver for
rfc2136.c) reads, replaces and locks records on a named started by
tests/bind/start.sh with a generated key, on free ports, one per case.
dig and nsupdate only set up and inspect. If named cannot start, every
case fails saying why. Ends with "N passed, N failed"."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402

TOOL = os.environ.get("VAULTDR_DNSTOOL", os.path.join(h.TOP, "build", "dnstool"))
START = os.path.join(h.TOP, "tests", "bind", "start.sh")
ZONE = "example.test"
NAME = "vault.example.test"
LOCK = "_vaultdr-lock.vault.example.test"
A, B, C = "vault-a.lb.example.test", "vault-b.lb.example.test", "vault-c.lb.example.test"
OUT = {"OK": 0, "FAILED": 1, "CONFLICT": 2, "UNKNOWN": 3}


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


class Named:
    """A real named for one case."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vaultdr-bind-")
        self.port = free_port()
        p = subprocess.run([START, self.dir, str(self.port)], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("BIND 9 (named) could not start, so the RFC 2136 "
                                 "suite cannot run:\n" + p.stdout + p.stderr)
        self.keyfile = os.path.join(self.dir, "key.conf")
        self.secret = re.search(r'secret "([^"]+)"', open(self.keyfile).read()).group(1)
        self.server = "127.0.0.1:%d" % self.port

    def close(self):
        try:
            os.kill(int(open(os.path.join(self.dir, "named.pid")).read()), signal.SIGTERM)
            time.sleep(0.2)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def dig(self, name, rtype):
        p = subprocess.run(["dig", "+short", "+norec", "+time=2", "+tries=1",
                            "-p", str(self.port), "@127.0.0.1", name, rtype],
                           capture_output=True, text=True, timeout=10)
        return sorted(x.rstrip(".") for x in p.stdout.split("\n") if x)

    def serial(self):
        return int(self.dig(ZONE, "SOA")[0].split()[2])

    def nsupdate(self, script):
        p = subprocess.run(["nsupdate", "-y", "hmac-sha256:vaultdr-key:" + self.secret],
                           input="server 127.0.0.1 %d\nzone %s\n%s\nsend\n"
                           % (self.port, ZONE, script),
                           capture_output=True, text=True, timeout=20)
        h.check(p.returncode == 0, "nsupdate failed", p.stderr)


class Run:
    def __init__(self, p, dt):
        self.rc, self.out, self.err, self.secs = p.returncode, p.stdout, p.stderr, dt

    def __repr__(self):
        return "rc=%d (%.1fs)\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.secs, self.out, self.err)


class Case:
    def __init__(self):
        self.bind = None
        self.runs = []
        self.extra = []

    def start(self):
        self.bind = Named()
        return self.bind

    def tool(self, *args, server=None, key=None, timeout_ms=3000, env=None, keyargs=None):
        b = self.bind
        cmd = [TOOL, "-s", server or b.server, "-z", ZONE, "-t", str(timeout_ms)]
        cmd += keyargs if keyargs is not None else ["-k", key or b.keyfile]
        e = dict(os.environ)
        e.update(env or {})
        t0 = time.time()
        p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           timeout=60, env=e)
        r = Run(p, time.time() - t0)
        self.runs.append(r)
        return r

    def close(self):
        for x in self.extra:
            x.close()
        if self.bind:
            self.bind.close()


def read(c, name=NAME, rtype="CNAME", **kw):
    r = c.tool("read", name, rtype, **kw)
    h.check(r.rc == 0, "read failed", r)
    m = dict(re.findall(r"\b(exists|n|serial)=(\d+)\b", r.out.split("\n")[0]))
    return {"exists": int(m["exists"]), "n": int(m["n"]), "serial": int(m["serial"]),
            "values": re.findall(r"^value=(.*)$", r.out, re.M)}


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def read_cname(c):
    c.start()
    got = read(c)
    h.check(got == {"exists": 1, "n": 1, "serial": 1, "values": [A]}, "read", got)
    got = read(c, "other.example.test")
    h.check(got["exists"] == 1 and got["n"] == 0, "a name with an A but no CNAME", got)
    got = read(c, "missing.example.test")
    h.check(got["exists"] == 0 and got["n"] == 0, "a missing name (NXDOMAIN)", got)
    r = c.tool("read", "vault.elsewhere.test", "CNAME")
    h.check(r.rc == 1 and "not in zone" in r.err, "a name outside the zone", r)


@case
def read_truncated_falls_back_to_tcp(c):
    c.start()
    r = c.tool("read", "big.example.test", "TXT", env={"DNSTOOL_VERBOSE": "1"})
    h.check(r.rc == 0 and "truncated, asking again over TCP" in r.err, "TC -> TCP", r)
    vals = re.findall(r"^value=(.*)$", r.out, re.M)
    h.check(sorted(vals) == [ch * 200 for ch in "abcd"], "all four TXT records", r)


@case
def replace_cname(c):
    b = c.start()
    before = read(c)
    r = c.tool("replace", NAME, "CNAME", A, B, "60")
    h.check(r.rc == 0 and r.out.strip() == "OK", "replace", r)
    h.check(b.dig(NAME, "CNAME") == [B], "dig sees the new value")
    h.check(b.serial() > before["serial"], "serial advanced")
    r = c.tool("wait", NAME, "CNAME", B, str(before["serial"]), "5000", b.server)
    h.check(r.rc == 0 and "served" in r.out, "wait served", r)
    # a check server that never answers: the wait still ends on time
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    c.extra.append(u)
    r = c.tool("wait", NAME, "CNAME", B, str(before["serial"]), "1000", b.server,
               "127.0.0.1:%d" % u.getsockname()[1], timeout_ms=3000)
    h.check(r.rc == 1 and "no answer over UDP" in r.err, "a silent check server", r)
    h.check(r.secs < 2.5, "bounded by the wait's timeout, not the exchange's", r)
    # waiting for a value nobody serves times out, naming what is served
    r = c.tool("wait", NAME, "CNAME", C, str(before["serial"]), "1000", b.server)
    h.check(r.rc == 1 and "not served after 1 s" in r.err and B in r.err, "wait times out", r)
    # the key from the environment works the same
    r = c.tool("replace", NAME, "CNAME", B, A, "60", keyargs=["-n", "vaultdr-key"],
               env={"VAULTDR_TSIG_SECRET": b.secret})
    h.check(r.rc == 0, "replace with the key from VAULTDR_TSIG_SECRET", r)
    h.check(b.dig(NAME, "CNAME") == [A], "dig sees it back")


@case
def create_cname_where_none(c):
    b = c.start()
    b.nsupdate("update delete %s CNAME" % NAME)
    h.check(b.dig(NAME, "CNAME") == [], "setup: no CNAME")
    r = c.tool("replace", NAME, "CNAME", "-", B, "60")
    h.check(r.rc == 0, "create", r)
    h.check(b.dig(NAME, "CNAME") == [B], "created")
    r = c.tool("replace", NAME, "CNAME", "-", C, "60")
    h.check(r.rc == 2 and "YXDOMAIN" in r.err, "create again: name in use", r)
    h.check(b.dig(NAME, "CNAME") == [B], "not overwritten")


@case
def wrong_key_badsig(c):
    b = c.start()
    bad = os.path.join(b.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write('key "vaultdr-key" { algorithm hmac-sha256; secret "%s"; };\n'
                % "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
    serial = b.serial()
    r = c.tool("replace", NAME, "CNAME", A, B, "60", key=bad)
    h.check("BADSIG" in r.err and "wrong secret" in r.err, "BADSIG reported in words", r)
    # an unsigned BADSIG cannot be told from a forged one: re-read, never resend
    h.check(r.rc == 3 and "outcome unknown" in r.err, "outcome unknown", r)
    r = c.tool("read", NAME, "CNAME", key=bad)
    h.check(r.rc == 1 and "BADSIG" in r.err, "a read with the wrong key", r)
    other = os.path.join(b.dir, "other.conf")
    with open(other, "w") as f:
        f.write('key "nobody" { algorithm hmac-sha256; secret "%s"; };\n' % b.secret)
    r = c.tool("replace", NAME, "CNAME", A, B, "60", key=other)
    h.check(r.rc == 3 and "BADKEY" in r.err, "an unknown key name: BADKEY", r)
    h.check(b.dig(NAME, "CNAME") == [A] and b.serial() == serial, "nothing changed")


@case
def concurrent_change_detected(c):
    b = c.start()
    got = read(c)
    h.check(got["values"] == [A], "read", got)
    # someone else moves the record between our read and our update
    b.nsupdate("update delete %s CNAME\nupdate add %s 60 CNAME %s" % (NAME, NAME, C))
    r = c.tool("replace", NAME, "CNAME", got["values"][0], B, "60")
    h.check(r.rc == 2 and r.out.strip() == "CONFLICT", "conflict", r)
    h.check("NXRRSET" in r.err and "nothing changed" in r.err, "NXRRSET in words", r)
    h.check(b.dig(NAME, "CNAME") == [C], "their change was not overwritten")


@case
def refused_by_policy(c):
    b = c.start()
    r = c.tool("replace", "other.example.test", "CNAME", "-", B, "60")
    h.check(r.rc == 1 and "REFUSED" in r.err and "update-policy" in r.err, "REFUSED", r)
    h.check(b.dig("other.example.test", "CNAME") == [], "nothing added")
    r = c.tool("read", "vault.nothere.test", "CNAME", env={})
    h.check(r.rc == 1, "not in zone", r)


@case
def lock_take_held_release(c):
    b = c.start()
    mine = "owner=alice@h1 pid=11 cmd=failover env=Test expires=2000000000"
    theirs = "owner=bob@h2 pid=22 cmd=failback env=Test expires=2000000000"
    r = c.tool("lock-take", LOCK, mine, "60")
    h.check(r.rc == 0, "take", r)
    r = c.tool("lock-take", LOCK, theirs, "60")
    h.check(r.rc == 2 and "YXDOMAIN" in r.err and "already in use" in r.err, "held", r)
    got = read(c, LOCK, "TXT")
    h.check(got["values"] == [mine], "the holder is readable", got)
    r = c.tool("lock-release", LOCK, theirs)
    h.check(r.rc == 2 and "NXRRSET" in r.err, "release with another value", r)
    h.check(b.dig(LOCK, "TXT") == ['"%s"' % mine], "still held")
    renewed = mine.replace("2000000000", "2000000900")
    r = c.tool("lock-renew", LOCK, mine, renewed, "60")
    h.check(r.rc == 0, "renew", r)
    h.check(b.dig(LOCK, "TXT") == ['"%s"' % renewed], "renewed")
    r = c.tool("lock-release", LOCK, renewed)
    h.check(r.rc == 0, "release", r)
    h.check(b.dig(LOCK, "TXT") == [], "released")
    got = read(c, LOCK, "TXT")
    h.check(got["exists"] == 0 and got["n"] == 0, "gone", got)
    r = c.tool("lock-take", LOCK, theirs, "60")
    h.check(r.rc == 0, "taken by the next run", r)


class Blackhole:
    """A TCP proxy in front of named. forward=True: passes the request on and
    reads named's answer but never returns it; forward=False: swallows the
    request. Either way the client's deadline passes."""

    def __init__(self, port, forward):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(4)
        self.port = self.s.getsockname()[1]
        self.forwarded = 0
        self.conns = []
        self.t = threading.Thread(target=self.serve, args=(port, forward), daemon=True)
        self.t.start()

    def serve(self, port, forward):
        while True:
            try:
                cl, _ = self.s.accept()
            except OSError:
                return
            self.conns.append(cl)
            data = b""
            cl.settimeout(5)
            try:
                while len(data) < 2 or len(data) < 2 + int.from_bytes(data[:2], "big"):
                    chunk = cl.recv(65535)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                continue
            if forward:
                up = socket.create_connection(("127.0.0.1", port), timeout=5)
                up.sendall(data)
                up.recv(65535)  # named's answer, dropped
                up.close()
                self.forwarded += 1

    def close(self):
        self.s.close()
        for x in self.conns:
            x.close()


@case
def lost_answer_outcome_unknown(c):
    b = c.start()
    p = Blackhole(b.port, forward=True)
    c.extra.append(p)
    r = c.tool("replace", NAME, "CNAME", A, B, "60", server="127.0.0.1:%d" % p.port,
               timeout_ms=1500)
    h.check(r.rc == 3 and r.out.strip() == "UNKNOWN", "outcome unknown", r)
    h.check("outcome unknown" in r.err, "said in words", r)
    h.check(r.secs < 5, "bounded by the deadline", r)
    h.check(p.forwarded == 1, "the UPDATE reached named once (never re-sent)")
    # the engine's answer to UNKNOWN: re-read; here the change did land
    got = read(c)
    h.check(got["values"] == [B], "re-read shows the change applied", got)


@case
def swallowed_request_outcome_unknown(c):
    b = c.start()
    p = Blackhole(b.port, forward=False)
    c.extra.append(p)
    r = c.tool("replace", NAME, "CNAME", A, B, "60", server="127.0.0.1:%d" % p.port,
               timeout_ms=1000)
    h.check(r.rc == 3, "sent but unanswered: unknown", r)
    got = read(c)
    h.check(got["values"] == [A], "re-read shows it did not land", got)


@case
def unreachable_server_bounded(c):
    b = c.start()
    # UDP: a socket that never answers; TCP: a port nobody listens on
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    c.extra.append(u)
    r = c.tool("read", NAME, "CNAME", server="127.0.0.1:%d" % u.getsockname()[1],
               timeout_ms=800)
    h.check(r.rc == 1 and "no answer over UDP before the deadline" in r.err, "UDP deadline", r)
    h.check(r.secs < 3, "bounded", r)
    port = free_port()
    r = c.tool("replace", NAME, "CNAME", A, B, "60", server="127.0.0.1:%d" % port,
               timeout_ms=800)
    h.check(r.rc == 1 and r.out.strip() == "FAILED", "connection refused: surely not sent", r)
    h.check(b.dig(NAME, "CNAME") == [A], "unchanged")


class Spoofer:
    """A UDP front for named that first sends forged answers: one with
    another ID, one with another question, then (mode "unsigned") one with
    the right ID and question but no TSIG, or (mode "relay") named's real
    answer."""

    def __init__(self, port, mode):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.t = threading.Thread(target=self.serve, args=(port, mode), daemon=True)
        self.t.start()

    def serve(self, port, mode):
        while True:
            try:
                q, peer = self.s.recvfrom(65535)
            except OSError:
                return
            qd_end = 12
            while q[qd_end]:
                qd_end += 1 + q[qd_end]
            qd_end += 5
            # a bare answer: header with QR+AA, the question, nothing else
            bare = q[:2] + bytes([0x84, 0]) + b"\x00\x01" + b"\x00" * 6 + q[12:qd_end]
            wrong_id = bytes([q[0] ^ 0xff]) + bare[1:]
            wrong_q = bare[:13] + bytes([bare[13] ^ 0x01]) + bare[14:]
            self.s.sendto(wrong_id, peer)
            self.s.sendto(wrong_q, peer)
            if mode == "unsigned":
                self.s.sendto(bare, peer)
                continue
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            u.sendto(q, ("127.0.0.1", port))
            self.s.sendto(u.recv(65535), peer)
            u.close()

    def close(self):
        self.s.close()


@case
def forged_answers_ignored_or_rejected(c):
    b = c.start()
    p = Spoofer(b.port, "relay")
    c.extra.append(p)
    got = read(c, server="127.0.0.1:%d" % p.port)
    h.check(got["values"] == [A], "answers with another ID or question are ignored", got)
    p2 = Spoofer(b.port, "unsigned")
    c.extra.append(p2)
    r = c.tool("read", NAME, "CNAME", server="127.0.0.1:%d" % p2.port)
    h.check(r.rc == 1 and "not signed with TSIG" in r.err, "an unsigned answer is refused", r)


@case
def wait_served_ns_set(c):
    b = c.start()
    serial = b.serial()
    r = c.tool("replace", NAME, "CNAME", A, B, "60")
    h.check(r.rc == 0, "replace", r)
    # no check servers given: the zone's NS set (ns1.example.test, port 53),
    # which this machine cannot resolve: the wait fails naming it
    r = c.tool("wait", NAME, "CNAME", B, str(serial), "1000")
    h.check(r.rc == 1 and "ns1.example.test" in r.err, "NS set used and named", r)


@case
def sha512_and_sha1_keys(c):
    b = c.start()
    cur = A
    for name, new in (("vaultdr-sha512", B), ("vaultdr-sha1", C)):
        got = read(c, keyargs=["-k", b.keyfile, "-n", name])
        h.check(got["values"] == [cur], "read with " + name, got)
        r = c.tool("replace", NAME, "CNAME", cur, new, "60", keyargs=["-k", b.keyfile, "-n", name])
        h.check(r.rc == 0, "replace with " + name, r)
        h.check(b.dig(NAME, "CNAME") == [new], "dig sees the change made with " + name)
        cur = new
    # a key file whose algorithm differs from the server's key of that name
    wrong = os.path.join(b.dir, "wrongalg.conf")
    sec = re.search(r'key "vaultdr-sha512" \{[^}]*secret "([^"]+)"', open(b.keyfile).read()).group(1)
    with open(wrong, "w") as f:
        f.write('key "vaultdr-sha512" { algorithm hmac-sha256; secret "%s"; };\n' % sec)
    r = c.tool("replace", NAME, "CNAME", C, A, "60", key=wrong)
    h.check(r.rc == 3 and ("BADKEY" in r.err or "BADSIG" in r.err), "wrong algorithm", r)
    h.check(b.dig(NAME, "CNAME") == [C], "nothing changed")
    h.check(sec not in "".join(x.out + x.err for x in c.runs), "the secret never shows")


def main(cases):
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = 0
    if not os.access(TOOL, os.X_OK):
        print("FAIL setup: %s is missing (make build/dnstool)" % TOOL)
        print("0 passed, 1 failed")
        return 1
    for fn in cases:
        if only and only not in fn.__name__:
            continue
        c = Case()
        t0 = time.time()
        try:
            fn(c)
            for r in c.runs:  # the TSIG secret never shows
                h.check(not c.bind or c.bind.secret not in r.out + r.err,
                        "the TSIG secret appeared in dnstool's output", r)
            passed += 1
            print("ok   %s (%.1fs)" % (fn.__name__, time.time() - t0))
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0))
            traceback.print_exc(file=sys.stdout)
        finally:
            c.close()
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(CASES))
