#!/usr/bin/env python3
"""Runs runbook's benchmarks side by side with the peer tool and prints a markdown table.

usage: bench/run.py [--runs N] [--binary build/runbook]
Build first (scripts/build.sh). Results go to stdout; paste them into bench/README.md."""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import gen_runbooks  # noqa: E402
from harness import measure  # noqa: E402


def compare(name, runs, ours, peer):
    import statistics
    t_ours, t_peer, rss_ours = [], [], 0
    measure(ours)
    for _ in range(runs):
        t, m = measure(ours)
        t_ours.append(t)
        rss_ours = max(rss_ours, m)
        if peer:
            t_peer.append(measure(peer)[0])
    row = {"name": name, "ours_s": statistics.median(t_ours), "rss_kib": rss_ours}
    if peer:
        row["peer_s"] = statistics.median(t_peer)
        row["ratio"] = row["ours_s"] / row["peer_s"]
    return row


def audit_cost(build_dir, work):
    """Builds and runs bench/audit_cost.cpp (engine in-process, real store on disk)."""
    subprocess.run(["cmake", "--build", build_dir, "--target", "bench_audit_cost"], check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([os.path.join(build_dir, "bench_audit_cost"), work], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-bench-")
    sys.argv = ["gen", work]
    gen_runbooks.main()
    f = lambda name: os.path.join(work, name)  # noqa: E731
    rows = []
    rows.append(compare(
        "validate 5,000 steps vs PyYAML CSafeLoader (load only)", args.runs,
        f"{rb} validate {f('validate-5k.yaml')}",
        f"python3 -c \"import yaml,sys; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)\" "
        f"{f('validate-5k.yaml')}"))
    # The engine itself: the audit store on tmpfs, where fsync costs nothing. The durable
    # cost of the store is measured on its own below (and in the last row).
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else work
    mem_db = f"--audit-db {shm}/runbook-bench-$$.db"
    loop = "sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done'"
    rows.append(compare(
        "run 1,000-step chain of exec /bin/true vs a shell loop (store on tmpfs)", args.runs,
        f"{rb} run {f('exec-chain-1k.yaml')} {mem_db}; rm -f {shm}/runbook-bench-$$.db*", loop))
    rows.append(compare(
        "the same with the audit store on disk (one fsynced commit per step)", args.runs,
        f"{rb} run {f('exec-chain-1k.yaml')} --audit-db {work}/disk-$$.db; "
        f"rm -f {work}/disk-$$.db*", loop))
    many = compare("run 1,000 no-op steps", args.runs,
                   f"{rb} run {f('noop-1000.yaml')} {mem_db}; rm -f {shm}/runbook-bench-$$.db*",
                   None)
    one = compare("run 1 no-op step", args.runs,
                  f"{rb} run {f('noop-1.yaml')} {mem_db}; rm -f {shm}/runbook-bench-$$.db*", None)
    per_step_ms = (many["ours_s"] - one["ours_s"]) / 999 * 1000
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}\n")
    print("| benchmark | runbook | peer | ratio | peak RSS |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['ours_s'] * 1000:.1f} ms | {r['peer_s'] * 1000:.1f} ms | "
              f"{r['ratio']:.2f}x | {r['rss_kib'] / 1024:.1f} MiB |")
    print(f"| 1,000 no-op steps: engine overhead per step | {per_step_ms:.3f} ms | | | "
          f"{many['rss_kib'] / 1024:.1f} MiB |")
    audit = audit_cost(os.path.dirname(rb), work)
    loop_s = rows[1]["peer_s"]
    print(f"| the exec chain in-process without the audit store (engine only) vs the shell loop "
          f"| {audit['exec_chain_engine_only_s'] * 1000:.1f} ms | {loop_s * 1000:.1f} ms "
          f"| {audit['exec_chain_engine_only_s'] / loop_s:.2f}x | |")
    print(f"| audit store: extra time per durable event (1,000 no-op steps, with vs without) "
          f"| {audit['per_event_ms']:.3f} ms | | | |")
    print(f"| audit store: one append (own transaction, fsync), median / p99 "
          f"| {audit['append_median_ms']:.3f} / {audit['append_p99_ms']:.3f} ms | | | |")
    print("\n" + json.dumps({"rows": rows, "noop_overhead_ms_per_step": per_step_ms,
                             "audit": audit}))


if __name__ == "__main__":
    main()
