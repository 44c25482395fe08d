#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the s3-sync tests: forwards to TARGET, except that the
first requests get the faults listed in --faults, in order (then everything passes):
  503      HTTP 503 ServiceUnavailable      500  HTTP 500 InternalError
  slowdown HTTP 503 with code SlowDown      429  HTTP 429 TooManyRequests
  reset    the connection is closed without an answer
  stall    no answer for --stall seconds (the client's timeout must fire), then closed
  403      HTTP 403 AccessDenied (not retried)
  badkey   HTTP 403 InvalidAccessKeyId (wrong credentials)
  pass     forwarded normally (to spread faults over several requests)
usage: fault_proxy.py PORT TARGET_PORT [--faults 503,reset,...] [--stall 3]
Prints "ready" when listening, and one line per request to stderr."""
import argparse
import http.client
import http.server
import sys
import threading
import time

ERRORS = {"503": (503, "ServiceUnavailable"), "500": (500, "InternalError"),
          "slowdown": (503, "SlowDown"), "429": (429, "TooManyRequests"),
          "403": (403, "AccessDenied"), "badkey": (403, "InvalidAccessKeyId")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("--faults", default="")
    ap.add_argument("--stall", type=float, default=3.0)
    args = ap.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("proxy: " + (fmt % a) + "\n")

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                fault = faults.pop(0) if faults else None
            if fault in ("reset", "stall"):
                if fault == "stall":
                    time.sleep(args.stall)
                self.close_connection = True
                self.connection.close()
                return
            if fault in ERRORS:
                code, name = ERRORS[fault]
                xml = f"<Error><Code>{name}</Code><Message>injected</Message></Error>".encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(xml)))
                self.end_headers()
                self.wfile.write(xml)
                return
            conn = http.client.HTTPConnection("127.0.0.1", args.target, timeout=60)
            headers = {k: v for k, v in self.headers.items()}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
