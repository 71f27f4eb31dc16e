#!/usr/bin/env python3
"""Captures TSIG-signed DNS messages exchanged between BIND's own tools
(dig, nsupdate) and a real named, as known-answer vectors for
tests/unit/test_dns.c. Usage (named from tests/bind/start.sh DIR PORT):
    capture.py DIR PORT OUTDIR
Writes OUTDIR/{key.conf, query.req, query.resp, update.req, update.resp,
badsig.req, badsig.resp, info.txt}."""
import os, re, shutil, socket, subprocess, sys, threading

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
print("captured in", out)
