#!/usr/bin/env python3
"""s3-sync vs `aws s3 sync` against the same s3rver on loopback, side by side:
  1,000 files of 10 KiB; one 256 MiB file; re-sync of 1,000 unchanged files.
usage: bench/s3_bench.py [--runs 3] [--binary build/runbook]   (after scripts/setup.sh)"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from run import compare  # noqa: E402
from servers import free_port, start_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_s3rver(folder, port):
    env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
    return start_server(
        ["node", os.path.join(ROOT, "tests/s3/node_modules/s3rver/bin/s3rver.js"), "-d", folder,
         "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", "bench", "-s"], port, env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-s3-bench-", dir=os.path.expanduser("~"))
    port = free_port()
    server = start_s3rver(os.path.join(work, "data"), port)
    endpoint = f"http://127.0.0.1:{port}"
    creds = ("AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 "
             "AWS_REQUEST_CHECKSUM_CALCULATION=when_required")
    try:
        small, big = os.path.join(work, "small"), os.path.join(work, "big")
        os.makedirs(small)
        os.makedirs(big)
        subprocess.run(f"cd {small} && for i in $(seq 1 1000); do head -c 10K /dev/urandom > "
                       f"f$i.bin; done; head -c 256M /dev/urandom > {big}/dump.bin",
                       shell=True, check=True)

        # A fresh prefix per run ($$ is the shell's pid) when `fresh`, so nothing is wiped
        # inside the timed command.
        def ours(src, prefix, fresh=True):
            name = f"s{abs(hash((src, prefix))) % 10000}.yaml"
            with open(os.path.join(work, name), "w") as f:
                f.write("version: 1\nname: b\nparams: {prefix: {type: string}}\nsteps:\n"
                        "  - {id: s, uses: s3-sync, with: {source: "
                        f"'{src}', dest: 's3://bench/${{{{ params.prefix }}}}', "
                        f"endpoint: '{endpoint}', inventory: ''}}}}\n")
            where = f"{prefix}-$$" if fresh else prefix
            return (f"cd {work} && {creds} {rb} run {name} --set prefix={where} "
                    f"--audit-db /dev/shm/s3b-$$.db; rc=$?; rm -f /dev/shm/s3b-$$.db*; exit $rc")

        def theirs(src, prefix, fresh=True):
            where = f"{prefix}-$$" if fresh else prefix
            return (f"export {creds}; aws --endpoint-url {endpoint} s3 sync --only-show-errors "
                    f"{src} s3://bench/{where}")

        rows = [
            compare("1,000 files of 10 KiB", args.runs,
                    ours(small, "o1"), theirs(small, "t1")),
            compare("one 256 MiB file", args.runs,
                    ours(big, "o2"), theirs(big, "t2")),
        ]
        subprocess.run(ours(small, "o3", False), shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(theirs(small, "t3", False), shell=True, check=True)
        rows.append(compare("re-sync of 1,000 unchanged files", args.runs,
                            ours(small, "o3", False), theirs(small, "t3", False)))
        print("| benchmark | runbook | aws s3 sync | ratio | peak RSS (runbook) |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['name']} | {r['ours_s'] * 1000:.0f} ms | {r['peer_s'] * 1000:.0f} ms | "
                  f"{r['ratio']:.2f}x | {r['rss_kib'] / 1024:.0f} MiB |")
    finally:
        os.killpg(server.pid, 15)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
