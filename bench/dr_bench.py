#!/usr/bin/env python3
"""Issue 15: the restore path against the shell way, side by side in one run.
  backup      runbook `backup` (signed) vs `sqlite3 db '.backup x'` + `pigz -6` + `sha256sum`
  drill core  runbook `hash` (signature) + `integrity-check` (keep) + `restore` vs
              `sha256sum -c` + `pigz -dc` + `sqlite3 'PRAGMA integrity_check'` + `cp` + `sync`
usage: bench/dr_bench.py [--size-mb 1024] [--runs 3] [--binary build/runbook]
Data on disk under $HOME (not tmpfs), the audit store on /dev/shm. Needs pigz and sqlite3.
Peak RSS is the largest of runbook's (one process); for the peer, of its biggest process."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from run import compare  # noqa: E402
from steps_bench import make_database  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    for tool in ("pigz", "sqlite3", "openssl", "sha256sum"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (apt-get install {tool})")
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-dr-bench-", dir=os.path.expanduser("~"))
    store = f"/dev/shm/runbook-dr-bench-{os.getpid()}.db"
    try:
        db = os.path.join(work, "app.sqlite")
        make_database(db, args.size_mb)
        subprocess.run(f"cd {work} && openssl genpkey -algorithm ed25519 -out key.pem && "
                       "openssl pkey -in key.pem -pubout -out pub.pem && mkdir -p dumps live",
                       shell=True, check=True)
        with open(os.path.join(work, "backup.yaml"), "w") as f:
            f.write("version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {database: "
                    "app.sqlite, dest: dumps, name: bench, sign_key: key.pem}}\n")
        with open(os.path.join(work, "drill.yaml"), "w") as f:
            f.write("version: 1\nname: d\nsteps:\n"
                    "  - {id: v, uses: hash, with: {files: [dumps/keep.sqlite.gz], "
                    "public_key: pub.pem, inventory: ''}}\n"
                    "  - {id: c, uses: integrity-check, needs: [v], with: {source: "
                    "dumps/keep.sqlite.gz, workspace: live/.check/copy.sqlite, keep: true, "
                    "public_key: pub.pem}}\n"
                    "  - {id: r, uses: restore, needs: [c], with: {source: dumps/keep.sqlite.gz, "
                    "target: live/app.sqlite, public_key: pub.pem}}\n")
        run = f"cd {work} && {rb} run --audit-db {store}"
        rows = []
        size = os.path.getsize(db) >> 20
        rows.append(compare(
            f"backup of a {size} MiB database, signed, vs sqlite3 .backup + pigz -6 + sha256sum",
            args.runs, f"{run} backup.yaml && rm -f {work}/dumps/bench.*",
            f"cd {work} && sqlite3 app.sqlite '.backup x.sqlite' && pigz -6 -f x.sqlite && "
            "sha256sum x.sqlite.gz > x.sha256 && rm -f x.sqlite.gz x.sha256"))
        with open(os.path.join(work, "keep.yaml"), "w") as f:
            f.write("version: 1\nname: k\nsteps:\n  - {id: b, uses: backup, with: {database: "
                    "app.sqlite, dest: dumps, name: keep, sign_key: key.pem}}\n")
        subprocess.run(f"{run} keep.yaml && cd {work} && sha256sum dumps/keep.sqlite.gz > "
                       "keep.sha256", shell=True, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        dump = os.path.getsize(os.path.join(work, "dumps/keep.sqlite.gz")) >> 20
        rows.append(compare(
            f"drill core on its {dump} MiB dump (hash + signature, integrity-check, restore) vs "
            "sha256sum -c, pigz -dc, PRAGMA integrity_check, cp + sync", args.runs,
            f"{run} drill.yaml && rm -rf {work}/live/*",
            f"cd {work} && sha256sum -c --quiet keep.sha256 && pigz -dc dumps/keep.sqlite.gz > "
            "x.sqlite && sqlite3 x.sqlite 'PRAGMA integrity_check' | grep -qx ok && "
            "cp x.sqlite live/app.sqlite && sync && rm -f x.sqlite live/app.sqlite"))
        print(f"| benchmark | runbook | peer | ratio | peak RSS (runbook) |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['name']} | {r['ours_s']:.2f} s | {r['peer_s']:.2f} s | "
                  f"**{r['ratio']:.2f}x** | {r['rss_kib'] / 1024:.0f} MiB |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(store + suffix):
                os.remove(store + suffix)


if __name__ == "__main__":
    main()
