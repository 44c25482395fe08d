#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as an operator at a terminal would (tests only).

usage: pty_run.py [--send-after SECONDS TEXT]... [--send-on PATTERN TEXT]... -- COMMAND [ARG]...

Each --send-after types TEXT SECONDS after the start. Each --send-on, in the order given,
waits until PATTERN appears in what the command printed since the previous --send-on
matched, then types TEXT. TEXT takes backslash escapes: "\\n" for Enter, "\\x04" for
Ctrl-D, "\\x03" for Ctrl-C. Everything the command prints goes to stdout; the exit status is
the command's (128+N when signal N ended it). A PATTERN not seen within 60 s: exit 124.
"""
import codecs
import os
import pty
import select
import sys
import time

PATTERN_TIMEOUT = 60.0


def parse(argv):
    timed, ordered = [], []
    while argv and argv[0] in ("--send-after", "--send-on"):
        text = codecs.decode(argv[2], "unicode_escape").encode("latin-1")
        if argv[0] == "--send-after":
            timed.append((float(argv[1]), text))
        else:
            ordered.append((argv[1].encode(), text))
        argv = argv[3:]
    if not argv or argv[0] != "--":
        sys.exit(__doc__)
    return sorted(timed), ordered, argv[1:]


def main(argv):
    timed, ordered, command = parse(argv)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    start = waiting_since = time.monotonic()
    seen = b""  # output since the last --send-on matched
    while True:
        now = time.monotonic()
        if ordered and now - waiting_since > PATTERN_TIMEOUT:
            sys.stderr.write("pty_run: never saw %r\n" % ordered[0][0])
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return 124
        wait = 0.1
        if timed:
            wait = max(0.0, min(wait, start + timed[0][0] - now))
        ready, _, _ = select.select([fd], [], [], wait)
        if timed and time.monotonic() >= start + timed[0][0]:
            os.write(fd, timed.pop(0)[1])
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            seen += data
        while ordered and ordered[0][0] in seen:
            seen = seen[seen.index(ordered[0][0]) + len(ordered[0][0]):]
            os.write(fd, ordered.pop(0)[1])
            waiting_since = time.monotonic()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.exit(code if code >= 0 else 128 - code)
