#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as an operator at a terminal would (tests only).

usage: pty_run.py [--send-after SECONDS TEXT]... -- COMMAND [ARG]...

Each --send-after types TEXT (with "\\n" for Enter) SECONDS after the start. Everything the
command prints goes to stdout; the exit status is the command's (128+N when signal N ended
it).
"""
import os
import pty
import select
import sys
import time


def main(argv):
    sends = []
    while argv and argv[0] == "--send-after":
        sends.append((float(argv[1]), argv[2].replace("\\n", "\n").encode()))
        argv = argv[3:]
    if not argv or argv[0] != "--":
        sys.exit(__doc__)
    command = argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    start = time.monotonic()
    sends.sort()
    while True:
        wait = 0.1
        if sends:
            wait = max(0.0, min(wait, start + sends[0][0] - time.monotonic()))
        ready, _, _ = select.select([fd], [], [], wait)
        if sends and time.monotonic() >= start + sends[0][0]:
            os.write(fd, sends.pop(0)[1])
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.exit(code if code >= 0 else 128 - code)
