"""Servers the benchmarks start on 127.0.0.1 (s3rver, the test shop server): a free port,
and a process in its own session that is ready once its port accepts."""
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(argv, port, env=None):
    """Starts argv (output discarded) and waits up to 10 s for `port` to accept."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{argv[0]} {argv[1]} did not start on port {port}")
