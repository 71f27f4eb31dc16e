#!/usr/bin/env python3
"""End-to-end: pipelined reads (issue 13, http_run) and the mock's WAN model.

vaultdr sends the reads it makes of one server together on that server's one
connection, without waiting for the answers (HTTP/1.1 pipelining); the mock
with --latency-ms answers each request one latency after it arrived, reading
the connection while an answer waits, so requests sent together are answered
together. Ends with "N passed, N failed".
"""
import os
import socket
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import test_dr as h  # noqa: E402

check = h.check
LATENCY_MS = 200


def with_latency(c, ms=LATENCY_MS):
    c.close()
    c.__init__(c.name, h.scenario(), ["--latency-ms", str(ms)])


def read_responses(s, n, deadline):
    """n HTTP/1.1 responses (Content-Length framed) from socket s: a list of
    (status line, body)."""
    buf, out = b"", []
    while len(out) < n:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin-1").split("\r\n")
            clen = 0
            for line in head[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    clen = int(v)
            if len(buf) >= end + 4 + clen:
                out.append((head[0], buf[end + 4:end + 4 + clen]))
                buf = buf[end + 4 + clen:]
                continue
        s.settimeout(max(0.01, deadline - time.time()))
        got = s.recv(65536)
        check(got, "the mock closed the connection early", (out, buf))
        buf += got
    return out


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def mock_answers_pipelined_requests_together(c):
    """Three requests written at once on one connection: all three answered
    about one latency later (not three), each logged as arriving then."""
    with_latency(c)
    u = urllib.parse.urlsplit(c.mock.urls["vault_a"])
    ctx = ssl.create_default_context(cafile=os.path.join(h.CERTS, "ca.pem"))
    ctx.check_hostname = False
    raw = socket.create_connection((u.hostname, u.port), timeout=10)
    with ctx.wrap_socket(raw) as s:
        req = ("GET /v1/sys/health HTTP/1.1\r\nHost: %s\r\n\r\n"
               % u.netloc).encode()
        t0 = time.time()
        s.sendall(req * 3)
        got = read_responses(s, 3, t0 + 10)
        el = (time.time() - t0) * 1000
    check(all(st.startswith("HTTP/1.1 200") for st, _ in got),
          "three answers", got)
    check(LATENCY_MS - 20 <= el < 1.6 * LATENCY_MS,
          "answered one latency after they were sent", el)
    log = [e for e in c.mock.log() if e["listener"] == "a"]
    check(len(log) == 3 and len({e["conn"] for e in log}) == 1,
          "three requests on one connection", log)
    recv = [e["recv_ms"] for e in log]
    check(max(recv) - min(recv) < 50, "logged as arriving together", recv)
    check(all(e["time_ms"] - e["recv_ms"] >= LATENCY_MS - 5 for e in log),
          "each answered a latency after it arrived", log)


@case
def status_reads_pipelined(c):
    """status across a WAN: the reads of each server go out together on its
    one connection and are answered within one round trip of each other."""
    with_latency(c, 100)
    r = c.run("--verbose", "status", "test")
    check(r.code == 0, "a healthy pair: status exits 0", r)
    log = c.mock.log()
    for name in ("a", "b", "route53"):
        mine = sorted((e for e in log if e["listener"] == name),
                      key=lambda e: e["recv_ms"])
        check(len({e["conn"] for e in mine}) == 1,
              "one connection to %s" % name, mine)
        first = [e for e in mine if e["recv_ms"] < mine[0]["time_ms"]]
        check(len(first) >= 2, "%s's first reads were pipelined" % name,
              [(e["path"], e["recv_ms"], e["time_ms"]) for e in mine])
        check(all(e["method"] == "GET" for e in first), "only reads", first)
    check(not h.changing(log), "status changes nothing", h.changing(log))
    check("connections 1 requests" in r.err, "the stats say so", r)


if __name__ == "__main__":
    sys.exit(h.main(CASES))
