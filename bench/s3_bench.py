#!/usr/bin/env python3
"""s3-sync vs `aws s3 sync` and `rclone copy` against the same s3rver on loopback, side by side:
  1,000 files of 10 KiB; one 256 MiB file; re-sync of 1,000 unchanged files.
usage: bench/s3_bench.py [--runs 3] [--binary build/runbook] [--peers aws,rclone]
(after scripts/setup.sh; rclone from Debian: apt-get install rclone)"""
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
    ap.add_argument("--peers", default="aws,rclone")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if shutil.which(p)]
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

        # rclone's remote from the environment: provider Other, path-style, the same keys.
        rclone_env = (f"RCLONE_CONFIG_B_TYPE=s3 RCLONE_CONFIG_B_PROVIDER=Other "
                      f"RCLONE_CONFIG_B_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_B_SECRET_ACCESS_KEY=S3RVER "
                      f"RCLONE_CONFIG_B_ENDPOINT={endpoint} RCLONE_CONFIG_B_REGION=us-east-1")

        def theirs(peer, src, prefix, fresh=True):
            where = f"{prefix}-$$" if fresh else prefix
            if peer == "rclone":  # default compare: size and modification time
                # AWS_CA_BUNDLE (set on some hosts) makes its SDK refuse the plain-http client.
                return (f"env -u AWS_CA_BUNDLE {rclone_env} rclone copy -q --transfers 8 {src} "
                        f"b:bench/{where}")
            return (f"export {creds}; aws --endpoint-url {endpoint} s3 sync --only-show-errors "
                    f"{src} s3://bench/{where}")

        print("| benchmark | peer | runbook | peer's time | ratio | peak RSS (runbook) |")
        print("|---|---|---|---|---|---|")
        for peer in peers:
            tag = peer[0]
            rows = [
                compare("1,000 files of 10 KiB", args.runs,
                        ours(small, "o1"), theirs(peer, small, tag + "1")),
                compare("one 256 MiB file", args.runs,
                        ours(big, "o2"), theirs(peer, big, tag + "2")),
            ]
            subprocess.run(ours(small, "o3", False), shell=True, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(theirs(peer, small, tag + "3", False), shell=True, check=True)
            rows.append(compare("re-sync of 1,000 unchanged files", args.runs,
                                ours(small, "o3", False), theirs(peer, small, tag + "3", False)))
            for r in rows:
                print(f"| {r['name']} | {peer} | {r['ours_s'] * 1000:.0f} ms | "
                      f"{r['peer_s'] * 1000:.0f} ms | {r['ratio']:.2f}x | "
                      f"{r['rss_kib'] / 1024:.0f} MiB |")
    finally:
        os.killpg(server.pid, 15)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
