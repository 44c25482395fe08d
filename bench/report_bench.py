#!/usr/bin/env python3
"""The PDF report (issue 17) against its peer, and what a start of the binary costs.

1. `runbook report --format pdf` of a run of N steps (a chain, one failing at the end)
   against the peer a user had before it: the HTML report printed by headless Chromium
   (`chromium --headless --print-to-pdf`), the same run.
2. 100 starts of `runbook --version` against 100 of `/bin/true`: the fixed cost every CLI
   call and every test pays (the PDF libraries are a module for this reason).
Median wall time and peak RSS via harness.measure.

usage: bench/report_bench.py [--runs N] [--binary build/runbook] [--steps 100]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import measure  # noqa: E402


def timed(cmd, runs):
    measure(cmd)
    results = [measure(cmd) for _ in range(runs)]
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def chain(steps):
    out = ["version: 1\nname: bench-report\nkind: drill\nsteps:\n"]
    for i in range(steps):
        needs = f", needs: [s{i - 1}]" if i else ""
        out.append(f"  - {{id: s{i}, uses: exec{needs}, with: {{run: ['true']}}}}\n")
    out.append(f"  - {{id: last, uses: exec, needs: [s{steps - 1}], with: {{run: [sh, -c, "
               "'echo the disk is on fire >&2; exit 3']}}\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--binary", default="build/runbook")
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-report-bench-")
    with open(os.path.join(work, "r.yaml"), "w") as f:
        f.write(chain(args.steps))
    db = os.path.join(work, "a.db")
    subprocess.run([rb, "run", "r.yaml", "--audit-db", db], cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = json.loads(subprocess.run([rb, "history", "--format", "json", "--audit-db", db],
                                     capture_output=True, text=True).stdout)
    rid = runs[0]["run_id"]
    pdf = f"{rb} report {rid} --audit-db {db} --output {work}/r.pdf"
    peer = (f"{rb} report {rid} --audit-db {db} --output {work}/r.html && "
            "chromium --headless=new --no-sandbox --disable-gpu --no-pdf-header-footer "
            f"--print-to-pdf={work}/c.pdf file://{work}/r.html 2>/dev/null")
    ours, ours_rss = timed(pdf, args.runs)
    theirs, theirs_rss = timed(peer, args.runs)
    print(json.dumps({"name": f"pdf report, {args.steps + 1} steps", "runbook_s": round(ours, 3),
                      "chromium_s": round(theirs, 3), "ratio": round(ours / theirs, 3),
                      "runbook_rss_kib": ours_rss, "chromium_rss_kib": theirs_rss}))
    starts = f"for i in $(seq 100); do {rb} --version > /dev/null; done"
    trues = "for i in $(seq 100); do /bin/true; done"
    ours, _ = timed(starts, args.runs)
    theirs, _ = timed(trues, args.runs)
    print(json.dumps({"name": "100 starts", "runbook_s": round(ours, 3),
                      "true_s": round(theirs, 3), "ratio": round(ours / theirs, 3)}))


if __name__ == "__main__":
    main()
