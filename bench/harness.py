#!/usr/bin/env python3
"""A small benchmark harness: runs commands alternately, reports the median wall time, the
peak resident memory of each, and the ratio of the first to the second (ours / peer).

usage: harness.py NAME RUNS CMD_A [CMD_B]     (each CMD is one shell string)
Prints one JSON line per benchmark so bench/run.sh can build the table."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(cmd):
    with tempfile.TemporaryFile() as err_file:  # a file, not a pipe: a pipe would fill up
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")[-4000:]
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {cmd}\n{err}")
    return elapsed, usage.ru_maxrss  # seconds, KiB (of the shell's biggest child)


def main():
    name, runs = sys.argv[1], int(sys.argv[2])
    cmds = sys.argv[3:]
    times = [[] for _ in cmds]
    rss = [0 for _ in cmds]
    measure(cmds[0])  # warm the page cache
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            t, m = measure(cmd)
            times[i].append(t)
            rss[i] = max(rss[i], m)
    med = [statistics.median(t) for t in times]
    result = {"name": name, "runs": runs, "commands": cmds,
              "median_s": [round(m, 4) for m in med],
              "max_rss_kib": rss}
    if len(med) == 2:
        result["ratio"] = round(med[0] / med[1], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
