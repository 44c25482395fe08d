#!/usr/bin/env python3
"""Scale of a large or hostile runbook (issue 13, part B): `validate`, `plan` and `run` of
100,000 independent steps, and `validate` of 5,000 steps against PyYAML's load (the 0.3x
budget). Median wall time and peak RSS via harness.measure.

usage: bench/scale_bench.py [--runs N] [--binary build/runbook] [--steps 100000]"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import gen_runbooks  # noqa: E402
from harness import measure  # noqa: E402


def independent(count):
    out = [gen_runbooks.header(f"bench-independent-{count}"), "steps:\n"]
    for i in range(count):
        out.append(f"  - {{id: s{i}, uses: log, with: {{message: hi}}}}\n")
    return "".join(out)


def timed(cmd, runs):
    measure(cmd)
    results = [measure(cmd) for _ in range(runs)]
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", default="build/runbook")
    ap.add_argument("--steps", type=int, default=100_000)
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-scale-")
    big = os.path.join(work, "independent.yaml")
    with open(big, "w") as f:
        f.write(independent(args.steps))
    v5k = os.path.join(work, "validate-5k.yaml")
    with open(v5k, "w") as f:
        f.write(gen_runbooks.validate_5k())
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else work
    db = f"{shm}/runbook-scale-$$.db"
    print("| benchmark | runbook | peer | ratio | peak RSS |\n|---|---|---|---|---|")
    ours, rss = timed(f"{rb} validate {v5k}", args.runs)
    peer, _ = timed(f"python3 -c \"import yaml,sys; yaml.load(open(sys.argv[1]), "
                    f"Loader=yaml.CSafeLoader)\" {v5k}", args.runs)
    print(f"| validate 5,000 steps vs PyYAML CSafeLoader | {ours * 1000:.0f} ms | "
          f"{peer * 1000:.0f} ms | {ours / peer:.2f}x | {rss / 1024:.1f} MiB |")
    n = f"{args.steps:,}"
    for name, cmd in [(f"validate {n} independent steps", f"{rb} validate {big}"),
                      (f"plan {n} independent steps", f"{rb} plan {big}"),
                      (f"run {n} independent no-op steps (store on tmpfs)",
                       f"{rb} run {big} --audit-db {db}; rm -f {db}*")]:
        t, m = timed(cmd, args.runs)
        print(f"| {name} | {t * 1000:.0f} ms | | | {m / 1024:.1f} MiB |")


if __name__ == "__main__":
    main()
