#!/usr/bin/env python3
"""The web UI's runs page with N runs in history (issue 17: "loads in under 1 s with 10,000
runs"), in Debian's chromium, side by side with the same page served as static files by
python3's http.server (the UI bundle and a snapshot of the three API answers the page reads):
the ratio is what runbook serve adds. The store is filled in-process (bench_many_runs: the real
executor and audit journal). Median over the loads; the first load warms chromium.

usage: bench/ui_bench.py [--runs 7] [--history 10000] [--binary build/runbook]"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url):
    for _ in range(100):
        try:
            return urllib.request.urlopen(url, timeout=5).read()
        except OSError:
            time.sleep(0.1)
    sys.exit(f"no answer from {url}")


def page_load(base, runs, path):
    out = subprocess.run(["node", os.path.join(ROOT, "bench/ui_runs_page.mjs"), base, str(runs),
                          path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--history", type=int, default=10_000)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    build = os.path.dirname(os.path.abspath(args.binary))
    subprocess.run(["cmake", "--build", build, "--target", "bench_many_runs"], check=True,
                   capture_output=True)
    work = tempfile.mkdtemp(prefix="runbook-ui-bench-")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else work
    db = os.path.join(shm, f"runbook-ui-bench-{os.getpid()}.db")
    t0 = time.time()
    subprocess.run([os.path.join(build, "bench_many_runs"), db, str(args.history)], check=True,
                   capture_output=True)
    filled = time.time() - t0
    os.makedirs(os.path.join(work, "rb"))
    with open(os.path.join(work, "rb", "nightly.yaml"), "w") as f:
        f.write("version: 1\nname: nightly\nkind: backup\nsteps:\n  - {id: dump, uses: log}\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen([os.path.abspath(args.binary), "serve", "--runbooks",
                              os.path.join(work, "rb"), "--listen", f"127.0.0.1:{port}",
                              "--audit-db", db], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    static = None
    try:
        wait_for(f"{base}/healthz")
        ours = page_load(base, args.runs, "/")
        # The peer: the same bundle and the same answers, as files.
        site = os.path.join(work, "static")
        shutil.copytree(os.path.join(ROOT, "web", "dist"), os.path.join(site, "ui"))
        os.makedirs(os.path.join(site, "api", "v1"))
        for name, url in [("runs", "/api/v1/runs?limit=50"), ("runbooks", "/api/v1/runbooks"),
                          ("me", "/api/v1/me")]:
            with open(os.path.join(site, "api", "v1", name), "wb") as f:
                f.write(wait_for(base + url))
        peer_port = free_port()
        static = subprocess.Popen([sys.executable, "-m", "http.server", str(peer_port), "--bind",
                                   "127.0.0.1", "--directory", site],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(f"http://127.0.0.1:{peer_port}/ui/index.html")
        peer = page_load(f"http://127.0.0.1:{peer_port}", args.runs, "/ui/index.html")
    finally:
        serve.terminate()
        serve.wait()
        if static:
            static.terminate()
            static.wait()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        shutil.rmtree(work, ignore_errors=True)
    print(f"history filled in {filled:.1f} s ({args.history:,} runs)")
    print("| benchmark | target | runbook serve | python3 http.server (static) | ratio |")
    print("|---|---|---|---|---|")
    print(f"| runs page, first run shown, {args.history:,} runs in history (median of "
          f"{args.runs}) | < 1 s | {ours['median_ms']:.0f} ms | {peer['median_ms']:.0f} ms | "
          f"{ours['median_ms'] / peer['median_ms']:.2f}x |")
    print(f"| the same, DOMContentLoaded | | {ours['dom_content_loaded_ms']:.0f} ms | "
          f"{peer['dom_content_loaded_ms']:.0f} ms | |")


if __name__ == "__main__":
    main()
