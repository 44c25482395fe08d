#!/usr/bin/env python3
"""Slow clients against runbook serve (slowloris), for tests/serve/slow_clients_test.cpp.

usage: slow_clients.py PORT COUNT SOURCE_ADDRESS http|https
Opens COUNT connections from SOURCE_ADDRESS to 127.0.0.1:PORT that each send a request (or,
for https, a TLS ClientHello record) one byte a second. A second later, asks GET /healthz from
127.0.0.1 and times it. Then keeps dribbling until serve has closed every connection (25 s at
most). Prints one JSON object: refused (closed before a byte was taken: within 0.5 s), held,
healthz_ok, healthz_seconds, closed_after (seconds until serve closed the last held one;
null when some were still open after 25 s).
"""
import json
import socket
import ssl
import sys
import time
import urllib.request

port, count, source, scheme = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
# The start of a request, or of a TLS handshake record (ClientHello, length 512).
payload = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000 if scheme == "http"
           else b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 4000)

start = time.monotonic()
conns = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    conns.append({"sock": s, "sent": 0, "closed_at": None})


def closed(c):
    """Whether serve closed the connection (EOF or reset)."""
    try:
        data = c["sock"].recv(4096)
        return data == b"" or data.startswith(b"HTTP/1.1 4")  # refused, or a 408/400 and close
    except BlockingIOError:
        return False
    except OSError:
        return True


def dribble():
    now = time.monotonic()
    for c in conns:
        if c["closed_at"] is not None:
            continue
        if closed(c):
            c["closed_at"] = now - start
            continue
        try:
            c["sock"].send(payload[c["sent"]:c["sent"] + 1])
            c["sent"] += 1
        except OSError:
            c["closed_at"] = now - start


time.sleep(0.5)
dribble()  # those refused at once are closed by now
refused = sum(1 for c in conns if c["closed_at"] is not None)
time.sleep(0.5)
dribble()

url = f"{scheme}://127.0.0.1:{port}/healthz"
ctx = ssl._create_unverified_context() if scheme == "https" else None
t0 = time.monotonic()
healthz_ok = False
try:
    with urllib.request.urlopen(url, timeout=8, context=ctx) as r:
        healthz_ok = r.status == 200
except Exception as e:  # noqa: BLE001 - printed in the result
    print(f"healthz: {e}", file=sys.stderr)
healthz_seconds = time.monotonic() - t0

while time.monotonic() - start < 25 and any(c["closed_at"] is None for c in conns):
    time.sleep(1)
    dribble()

held = [c for c in conns if c["closed_at"] is None or c["closed_at"] > 0.5]
open_left = any(c["closed_at"] is None for c in conns)
print(json.dumps({
    "refused": refused,
    "held": len(held),
    "healthz_ok": healthz_ok,
    "healthz_seconds": round(healthz_seconds, 3),
    "closed_after": None if open_left else round(max(c["closed_at"] for c in conns), 3),
}))
