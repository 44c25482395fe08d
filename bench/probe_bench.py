#!/usr/bin/env python3
"""Probe overhead: `probe kind: http` making 1,000 sequential GETs (one virtual user, one
kept-alive connection) vs one `curl` process fetching the same 1,000 URLs (curl reuses its
connection too). Both hit tests/http/server.js on 127.0.0.1. The runbook side includes the
whole `runbook run`: loading, the audit store (on /dev/shm), the report. Target: <= 1.2x.
usage: bench/probe_bench.py [--requests 1000] [--runs 5] [--binary build/runbook]"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from run import compare  # noqa: E402
from servers import free_port, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    port = free_port()
    url = f"http://127.0.0.1:{port}/ping"
    work = tempfile.mkdtemp(prefix="runbook-probe-bench-")
    server = start_server(["node", os.path.join(ROOT, "tests/http/server.js"), "--port",
                           str(port)], port)
    try:
        with open(os.path.join(work, "p.yaml"), "w") as f:
            f.write("version: 1\nname: bench\nsteps:\n  - id: p\n    uses: probe\n    with:\n"
                    f"      kind: http\n      base_url: http://127.0.0.1:{port}\n"
                    f"      iterations: {args.requests}\n"
                    "      journey: [{name: ping, path: /ping}]\n")
        with open(os.path.join(work, "urls.txt"), "w") as f:
            f.write(f"url = \"{url}\"\noutput = \"/dev/null\"\n" * args.requests)
        ours = (f"cd {work} && {rb} run p.yaml --audit-db /dev/shm/runbook-probe-bench-$$.db; "
                f"rc=$?; rm -f /dev/shm/runbook-probe-bench-$$.db*; exit $rc")
        peer = f"curl -sf -K {work}/urls.txt"
        row = compare(f"{args.requests} sequential GETs: probe http vs one curl process",
                      args.runs, ours, peer)
        print("| benchmark | runbook | peer | ratio | peak RSS (runbook) |")
        print("|---|---|---|---|---|")
        print(f"| {row['name']} | {row['ours_s'] * 1000:.0f} ms | {row['peer_s'] * 1000:.0f} ms | "
              f"{row['ratio']:.2f}x | {row['rss_kib'] / 1024:.0f} MiB |")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
