#!/usr/bin/env python3
"""vaultdr with <env>_dns_provider=rfc2136 against a real BIND 9: the mock
serves both Vault clusters, a real named (tests/bind/start.sh, generated
TSIG keys, free ports, one per case) serves the zone example.test that
holds the CNAME. No AWS credentials are given and the mock's Route 53 must
see no request. dig and nsupdate only set up and inspect. Each case asserts
the exit code, the record (dig against named), the Vault clusters' final
state, the changing requests and max_primaries_up <= 1. If named cannot
start, every case fails saying why. Ends with "N passed, N failed"."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402
import test_rfc2136 as dns  # noqa: E402

NAME = dns.NAME  # vault.example.test, CNAME vault-a.lb.example.test in the zone
LOCK = dns.LOCK
A, B, C = dns.A, dns.B, dns.C  # h.A_DNS / h.B_DNS are the mock's cluster names


def setup(c, keyfile=True, extra=""):
    """Starts named for case c and writes an rfc2136 config for env Test
    (keyfile=False: no key file, the config names the key)."""
    b = dns.Named()
    c.bind = b
    c.closers = getattr(c, "closers", [])
    c.closers.append(b.close)
    write_cfg(c, b.server, b.keyfile if keyfile else None, extra)
    return b


def write_cfg(c, server, keyfile, extra="", cname=NAME):
    with open(c.cfg, "w") as f:
        f.write("[Vault-Cluster-Test]\n"
                "test_primary_vault_cluster_domain=%s\n"
                "test_secondary_vault_cluster_domain=%s\n"
                "test_cluster_cname=%s\n"
                "test_primary_dns_target=%s\n"
                "test_secondary_dns_target=%s\n"
                "test_dns_provider=rfc2136\n"
                "test_dns_server=%s\n"
                "test_dns_zone=example.test\n"
                "test_dns_check_servers=%s\n"
                % (c.mock.urls["vault_a"], c.mock.urls["vault_b"], cname, A, B,
                   server, c.bind.server))
        if keyfile:
            f.write("test_tsig_key_file=%s\n" % keyfile)
        f.write(extra)


def env(c, **over):
    """The harness's environment without any AWS credentials."""
    e = c.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
              AWS_ENDPOINT_URL_ROUTE_53=None, AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
              AWS_CONFIG_FILE="/nonexistent")
    e.update({k: v for k, v in over.items() if v is not None})
    return e


def run(c, *args, **over):
    r = c.run(*args, env=env(c, **over))
    # the TSIG secret never shows
    h.check(c.bind.secret not in r.out + r.err, "the TSIG secret appeared", r)
    return r


def vault_state(c):
    st = c.mock.state()
    h.check(st["max_primaries_up"] <= 1, "two primaries existed at once", st)
    h.check(not h.requests(c.mock.log(), listener="route53"),
            "the mock's Route 53 was asked something", c.mock.log())
    return st


def check_switched(c, r, new="b", old="a"):
    st = vault_state(c)
    cl = st["clusters"]
    h.check(cl[new]["mode"] == "primary", "%s should be DR primary" % new, r)
    h.check(cl[old]["mode"] == "secondary" and cl[old]["primary"] == new,
            "%s should replicate from %s: %s" % (old, new, cl[old]), r)
    want = B if new == "b" else A
    h.check(c.bind.dig(NAME, "CNAME") == [want], "CNAME should name " + want,
            (c.bind.dig(NAME, "CNAME"), r))
    h.check(c.bind.dig(LOCK, "TXT") == [], "the run lock is released", r)


def check_untouched(c, r, cname=A):
    st = vault_state(c)
    h.check(st["clusters"]["a"]["mode"] == "primary", "a still primary", r)
    h.check(st["clusters"]["b"]["mode"] == "secondary", "b still secondary", r)
    h.check(not h.changing(c.mock.log()), "no changing Vault request",
            h.changing(c.mock.log()))
    h.check(c.bind.dig(NAME, "CNAME") == ([cname] if cname else []),
            "CNAME unchanged", r)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def failover_and_rerun(c):
    b = setup(c)
    serial = b.serial()
    r = run(c, "--dry-run", "failover", "test")
    h.check(r.code == 0 and "would" in r.out, "a dry run plans", r)
    check_untouched(c, r)
    h.check(b.serial() == serial, "a dry run sends no UPDATE", r)
    r = run(c, "failover", "test")
    h.check(r.code == 0, "failover exits 0", r)
    check_switched(c, r)
    h.check(b.serial() >= serial + 3, "lock take, CNAME update, lock release", r)
    h.check("UPDATE CNAME %s -> %s" % (NAME, B) in r.out, "the change is shown", r)
    h.check("served" in r.out, "the wait until served is shown", r)
    h.assert_order_demote_before_promote(c.mock.log())
    # a second run changes nothing, not even the lock
    n, serial = len(c.mock.log()), b.serial()
    r = run(c, "failover", "test")
    h.check(r.code == 0, "re-run exits 0", r)
    h.check(not h.changing(c.mock.log()[n:]), "re-run changes nothing in Vault")
    h.check(b.serial() == serial, "re-run sends no UPDATE", r)


@case
def failback_with_secret_from_environment(c):
    b = setup(c, keyfile=False, extra="test_tsig_key_name=vaultdr-key\n")
    h.check(run(c, "failover", "test", VAULTDR_TSIG_SECRET=b.secret).code == 0,
            "failover")
    r = run(c, "failback", "test", VAULTDR_TSIG_SECRET=b.secret)
    h.check(r.code == 0, "failback exits 0", r)
    check_switched(c, r, new="a", old="b")
    r = run(c, "failback", "test")
    h.check(r.code == 2 and "VAULTDR_TSIG_SECRET" in r.err,
            "no secret: exit 2 naming the variable", r)


@case
def status_reads_the_record(c):
    b = setup(c)
    r = run(c, "status", "test")
    h.check(r.code == 0, "a healthy pair: status 0", r)
    h.check(NAME in r.out and A in r.out, "status shows the record", r)
    rj = run(c, "--json", "status", "test")
    j = json.loads(rj.out.strip().splitlines()[-1])
    h.check(j["record"]["names"] == "primary", "json: the record names the primary", j)
    b.nsupdate("update delete %s CNAME\nupdate add %s 60 CNAME %s" % (NAME, NAME, B))
    r = run(c, "status", "test")
    h.check(r.code == 1 and B in r.out, "the CNAME names the secondary: status 1", r)
    check_untouched(c, r, cname=B)


@case
def preflight_refuses_anything_but_one_cname(c):
    b = setup(c)
    # the zone's other.example.test holds an A record
    write_cfg(c, b.server, b.keyfile, cname="other.example.test")
    serial = b.serial()
    r = run(c, "failover", "test")
    h.check(r.code == 2 and "record check" in r.err and "holds A 192.0.2.1" in r.err,
            "an A record at the name: exit 2", r)
    h.check(b.serial() == serial, "no UPDATE sent", r)
    check_untouched(c, r)
    write_cfg(c, b.server, b.keyfile)
    b.nsupdate("update delete %s CNAME" % NAME)
    r = run(c, "failover", "test")
    h.check(r.code == 2 and "--create-record" in r.err, "absent: names --create-record", r)
    check_untouched(c, r, cname=None)
    r = run(c, "--create-record", "failover", "test")
    h.check(r.code == 0, "--create-record creates it", r)
    check_switched(c, r)


class LossyProxy:
    """named's port, relayed: UDP as is; over TCP, the answer to the first
    UPDATE that carries `marker` is dropped (the connection is closed
    after named has applied it), as a firewall or proxy can."""

    def __init__(self, upstream, marker):
        self.up, self.marker = upstream, marker
        self.seen = 0  # requests that carried the marker
        for _ in range(50):
            self.t = socket.socket()
            self.t.bind(("127.0.0.1", 0))
            self.port = self.t.getsockname()[1]
            self.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.u.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.u.close()
                self.t.close()
        self.t.listen(8)
        for fn in (self.udp, self.tcp):
            threading.Thread(target=fn, daemon=True).start()

    def udp(self):
        while True:
            try:
                q, peer = self.u.recvfrom(65535)
            except OSError:
                return
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            try:
                s.sendto(q, ("127.0.0.1", self.up))
                self.u.sendto(s.recv(65535), peer)
            except OSError:
                pass
            s.close()

    @staticmethod
    def read_msg(sock):
        data = b""
        while len(data) < 2 or len(data) < 2 + int.from_bytes(data[:2], "big"):
            chunk = sock.recv(65535)
            if not chunk:
                break
            data += chunk
        return data

    def tcp(self):
        while True:
            try:
                cl, _ = self.t.accept()
            except OSError:
                return
            try:
                cl.settimeout(5)
                q = self.read_msg(cl)
                up = socket.create_connection(("127.0.0.1", self.up), timeout=5)
                up.sendall(q)
                a = self.read_msg(up)
                up.close()
                if self.marker in q:
                    self.seen += 1
                    if self.seen == 1:
                        continue  # applied by named, answer dropped
                cl.sendall(a)
            except OSError:
                pass
            finally:
                cl.close()

    def close(self):
        self.t.close()
        self.u.close()


def wire(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"


@case
def lost_update_answer_is_reread(c):
    b = setup(c)
    p = LossyProxy(b.port, wire(B))
    c.closers.append(p.close)
    write_cfg(c, "127.0.0.1:%d" % p.port, b.keyfile)
    r = run(c, "failover", "test")
    h.check(r.code == 0, "a lost UPDATE answer is re-read, and the run converges", r)
    h.check("outcome unknown" in r.err and "reading the clusters again" in r.err,
            "the unknown outcome and the re-read are reported", r)
    h.check(p.seen == 1, "the CNAME UPDATE was sent once, never again (%d)" % p.seen, r)
    check_switched(c, r)


@case
def lost_lock_answer_is_reread(c):
    b = setup(c)
    p = LossyProxy(b.port, b"\x0d_vaultdr-lock")
    c.closers.append(p.close)
    write_cfg(c, "127.0.0.1:%d" % p.port, b.keyfile)
    r = run(c, "failover", "test")
    h.check(r.code == 0, "a lost answer to the lock's UPDATE is re-read", r)
    h.check(p.seen == 2, "the lock was created once and deleted once, "
            "never created twice (%d lock UPDATEs)" % p.seen, r)
    check_switched(c, r)


@case
def wrong_key_refused_in_words(c):
    b = setup(c)
    bad = os.path.join(c.dir, "bad.key")
    with open(bad, "w") as f:
        f.write('key "vaultdr-key" {\n\talgorithm hmac-sha256;\n'
                '\tsecret "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";\n};\n')
    write_cfg(c, b.server, bad)
    serial = b.serial()
    for cmd in ("failover", "status"):
        r = run(c, cmd, "test")
        h.check("BADSIG" in r.err + r.out and "wrong secret" in r.err + r.out,
                "BADSIG in words (%s)" % cmd, r)
        h.check(r.code == (2 if cmd == "failover" else 1),
                "%s: exit %d" % (cmd, 2 if cmd == "failover" else 1), r)
    check_untouched(c, r)
    h.check(b.serial() == serial, "nothing changed in the zone")


@case
def concurrent_change_not_overwritten(c):
    b = setup(c)
    # While vaultdr promotes (delayed 3 s), someone moves the CNAME.
    c.mock.faults([{"listener": "b", "method": "POST",
                    "path": "/v1/sys/replication/dr/secondary/promote",
                    "action": "latency", "latency_ms": 3000, "count": 1}])
    moved = []

    def mover():
        deadline = time.time() + 20
        while time.time() < deadline:
            if h.requests(c.mock.log(), "POST", "a", "/primary/demote"):
                b.nsupdate("update delete %s CNAME\nupdate add %s 60 CNAME %s"
                           % (NAME, NAME, C))
                moved.append(1)
                return
            time.sleep(0.05)
    t = threading.Thread(target=mover, daemon=True)
    t.start()
    r = run(c, "failover", "test", VAULTDR_TIMEOUT="8")  # the promote answers in time
    t.join(5)
    h.check(moved, "setup: the record was moved during the run")
    h.check(r.code == 1, "a prerequisite that fails: exit 1", r)
    h.check("NXRRSET" in r.err and "nothing overwritten" in r.err,
            "the conflict is reported in words", r)
    h.check(b.dig(NAME, "CNAME") == [C], "the other change is not overwritten", r)
    st = vault_state(c)
    h.check(st["clusters"]["b"]["mode"] == "primary", "the Vault switch stands", st)
    h.check(b.dig(LOCK, "TXT") == [], "the run lock is released", r)


@case
def held_lock_refuses(c):
    b = setup(c)
    value = "owner=ops@bastion-1 pid=4242 cmd=failover env=test expires=%d" % (
        int(time.time()) + 600)
    b.nsupdate('update add %s 60 TXT "%s"' % (LOCK, value))
    serial = b.serial()
    r = run(c, "failover", "test")
    h.check(r.code == 4, "a held lock: exit 4", r)
    h.check("ops@bastion-1" in r.err and "nothing was changed" in r.err,
            "names the owner", r)
    check_untouched(c, r)
    h.check(b.dig(LOCK, "TXT") == ['"%s"' % value], "their lock stays", r)
    h.check(b.serial() == serial, "no UPDATE sent")
    r = run(c, "status", "test")
    h.check("ops@bastion-1" in r.out, "status shows the lock", r)
    # once it has expired, it is taken over and released
    old = value
    value = value.rsplit("=", 1)[0] + "=%d" % (int(time.time()) - 5)
    b.nsupdate('update delete %s TXT "%s"\nupdate add %s 60 TXT "%s"'
               % (LOCK, old, LOCK, value))
    r = run(c, "failover", "test")
    h.check(r.code == 0, "an expired lock is taken over", r)
    check_switched(c, r)


@case
def lock_renewed_during_a_long_wait(c):
    """A run longer than a third of VAULTDR_LOCK_TTL renews its lock with an
    UPDATE that requires its exact old value, and still releases it."""
    b = setup(c)
    c.mock.faults([{"listener": "b", "method": "GET", "path": "/v1/sys/health",
                    "action": "status", "status": 503, "count": 12,
                    "body": '{"errors":["settling"]}'}])
    serial = b.serial()
    r = run(c, "-v", "failover", "test", VAULTDR_LOCK_TTL="2",
            VAULTDR_POLL_INTERVAL="0.2")
    h.check(r.code == 0, "failover completes", r)
    h.check("renewed the run lock" in r.out + r.err, "the lock was renewed", r)
    h.check(b.serial() >= serial + 4, "take, renew, CNAME and release: "
            "%d UPDATEs" % (b.serial() - serial), r)
    check_switched(c, r)


def main():
    orig_close = h.Case.close

    def close(self):
        for fn in reversed(getattr(self, "closers", [])):
            fn()
        orig_close(self)
    h.Case.close = close
    return h.main(CASES)


if __name__ == "__main__":
    sys.exit(main())
