#!/usr/bin/env python3
"""Benchmarks of the backup step types against the shell tools, in one run:
  hash of a big file vs `openssl dgst -sha256`; 1,000 files of 100 KiB vs `sha256sum`;
  integrity-check of a dump vs `gzip -dc > x && sqlite3 x 'PRAGMA integrity_check'`;
  backup vs `sqlite3 db '.backup x' && gzip x`.
usage: bench/steps_bench.py [--size-mb 1024] [--runs 3] [--binary build/runbook]
Data goes to a temporary folder on disk (not tmpfs); the audit store to /dev/shm."""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from run import compare  # noqa: E402


def make_database(path, size_mb):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, bio TEXT)")
    db.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER, total REAL, note TEXT)")
    rows = size_mb * 1024 * 1024 // 400
    batch = 20000
    for start in range(0, rows, batch):
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i+1 FROM n WHERE i < ?) "
            "INSERT INTO orders(user_id, total, note) SELECT i % 1000, i * 1.5, "
            "'order ' || i || ' ' || hex(randomblob(64)) || ' shipped to customer ' || (i % 977) "
            "|| ' with standard delivery and a gift note ' || substr(hex(randomblob(40)), 1, 60) "
            "FROM n", (start, min(start + batch, rows) - 1))
        db.commit()
    db.execute("CREATE INDEX orders_user ON orders(user_id)")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def runbook(rb, work, step, after="true"):
    """A shell command running one step; `after` cleans up (the exit code is the run's)."""
    name = f"step{abs(hash(step)) % 100000}.yaml"
    with open(os.path.join(work, name), "w") as f:
        f.write("version: 1\nname: bench\nsteps:\n" + step)
    return (f"cd {work} && {rb} run {name} --audit-db /dev/shm/runbook-steps-bench-$$.db; "
            f"rc=$?; rm -f /dev/shm/runbook-steps-bench-$$.db*; {after}; exit $rc")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", default="build/runbook")
    args = ap.parse_args()
    rb = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="runbook-steps-bench-", dir=os.path.expanduser("~"))
    try:
        big = os.path.join(work, "big.bin")
        subprocess.run(f"head -c {args.size_mb}M /dev/urandom > {big}", shell=True, check=True)
        small = os.path.join(work, "small")
        os.mkdir(small)
        subprocess.run(f"cd {small} && for i in $(seq 1 1000); do head -c 100K /dev/urandom > "
                       f"f$i.bin; done", shell=True, check=True)
        db = os.path.join(work, "app.sqlite")
        make_database(db, args.size_mb)
        os.mkdir(os.path.join(work, "dumps"))
        rows = []
        rows.append(compare(f"hash of a {args.size_mb} MiB file vs openssl dgst -sha256",
                            args.runs,
                            runbook(rb, work, "  - {id: h, uses: hash, with: {files: [big.bin], "
                                    "verify: none, inventory: ''}}\n"),
                            f"openssl dgst -sha256 {big}"))
        rows.append(compare("hash of 1,000 files of 100 KiB vs sha256sum", args.runs,
                            runbook(rb, work, "  - {id: h, uses: hash, with: {files: ['small/*'], "
                                    "verify: none, inventory: ''}}\n"),
                            f"sha256sum {small}/*"))
        rows.append(compare(
            f"backup of a {os.path.getsize(db) >> 20} MiB database vs sqlite3 .backup + gzip",
            args.runs,
            runbook(rb, work, "  - {id: b, uses: backup, with: {database: app.sqlite, dest: "
                    "dumps, name: bench}}\n", f"rm -f {work}/dumps/bench.*"),
            f"cd {work} && sqlite3 app.sqlite '.backup x.sqlite' && gzip -f x.sqlite && "
            f"rm -f x.sqlite.gz"))
        subprocess.run(runbook(rb, work, "  - {id: b, uses: backup, with: {database: app.sqlite, "
                               "dest: dumps, name: keep}}\n"), shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows.append(compare(
            "integrity-check of that dump vs gzip -dc + sqlite3 PRAGMA integrity_check", args.runs,
            runbook(rb, work, "  - {id: c, uses: integrity-check, with: {source: "
                    "dumps/keep.sqlite.gz, workspace: ws/db.sqlite}}\n"),
            f"cd {work} && gzip -dc dumps/keep.sqlite.gz > x.sqlite && sqlite3 x.sqlite "
            f"'PRAGMA integrity_check' && rm -f x.sqlite"))
        print("| benchmark | runbook | peer | ratio | peak RSS (runbook) |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['name']} | {r['ours_s'] * 1000:.0f} ms | {r['peer_s'] * 1000:.0f} ms | "
                  f"{r['ratio']:.2f}x | {r['rss_kib'] / 1024:.0f} MiB |")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
