#!/usr/bin/env python3
"""Captures TSIG-signed DNS messages exchanged between BIND's own tools
(dig, nsupdate) and a real named, as known-answer vectors for
tests/unit/test_dns.c. Usage (named from tests/bind/start.sh DIR PORT):
    capture.py DIR PORT OUTDIR
Writes OUTDIR/{key.conf, query.req, query.resp, update.req, update.resp,
badsig.req, badsig.resp, badtime.req, badtime.resp}; badtime.req is signed
here (a query 1000 s in the past), the rest by dig and nsupdate."""
import base64, hashlib, hmac, os, re, shutil, socket, struct, subprocess, sys, threading

d, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
key = open(os.path.join(d, "key.conf")).read()
secret = re.search(r'secret "([^"]+)"', key).group(1)
shutil.copy(os.path.join(d, "key.conf"), os.path.join(out, "key.conf"))

def relay(name, cmd):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    lport = s.getsockname()[1]
    got = {}
    def run():
        req, peer = s.recvfrom(65535)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(req, ("127.0.0.1", port))
        resp = u.recv(65535)
        s.sendto(resp, peer)
        got["req"], got["resp"] = req, resp
    t = threading.Thread(target=run)
    t.start()
    subprocess.run([c.replace("@P@", str(lport)) for c in cmd[0]],
                   input=cmd[1] and cmd[1].replace("@P@", str(lport)), text=True, capture_output=True, timeout=20)
    t.join(10)
    for k in ("req", "resp"):
        open(os.path.join(out, "%s.%s" % (name, k)), "wb").write(got[k])

relay("query", (["dig", "-p", "@P@", "@127.0.0.1", "+norec", "+tries=1",
                 "-y", "hmac-sha256:vaultdr-key:" + secret, "example.test", "SOA"], None))
relay("update", (["nsupdate", "-y", "hmac-sha256:vaultdr-key:" + secret],
                 "server 127.0.0.1 @P@\nzone example.test\n"
                 "prereq yxrrset vault.example.test CNAME vault-a.lb.example.test\n"
                 "update delete vault.example.test CNAME vault-a.lb.example.test\n"
                 "update add vault.example.test 60 CNAME vault-b.lb.example.test\nsend\n"))
relay("badsig", (["dig", "-p", "@P@", "@127.0.0.1", "+norec", "+tries=1",
                  "-y", "hmac-sha256:vaultdr-key:AAAAAAAAAAAAAAAAAAAAAA==",
                  "example.test", "SOA"], None))


def wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def signed_query(name, qtype, when, secret_b64):
    """A query signed with hmac-sha256 at time `when` (RFC 8945 4.3)."""
    qid = 0x5a5a
    body = wire(name) + struct.pack(">HH", qtype, 1)
    head = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    alg = wire("hmac-sha256")
    tvars = (wire("vaultdr-key") + struct.pack(">HI", 255, 0) + alg
             + struct.pack(">HIHHH", when >> 32, when & 0xffffffff, 300, 0, 0))
    mac = hmac.new(base64.b64decode(secret_b64), head + body + tvars, hashlib.sha256).digest()
    rdata = (alg + struct.pack(">HIH", when >> 32, when & 0xffffffff, 300)
             + struct.pack(">H", len(mac)) + mac + struct.pack(">HHH", qid, 0, 0))
    rr = wire("vaultdr-key") + struct.pack(">HHIH", 250, 255, 0, len(rdata)) + rdata
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1) + body + rr


import time  # noqa: E402
q = signed_query("example.test", 6, int(time.time()) - 1000, secret)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(q, ("127.0.0.1", port))
open(os.path.join(out, "badtime.req"), "wb").write(q)
open(os.path.join(out, "badtime.resp"), "wb").write(u.recv(65535))
print("captured in", out)
