#!/usr/bin/env python3
"""A webhook receiver for the notification tests: records every POST (path, headers, body)
as one JSON line in LOG, and answers 500 to the first FAIL requests, 200 after. With CERT
and KEY (PEM files) it speaks HTTPS. With RECEIVER_HOLD=PATH in its environment, each answer
waits until PATH exists (a delivery the test holds in flight).

usage: receiver.py PORT LOG [FAIL [CERT KEY]]"""
import http.server
import json
import os
import ssl
import sys
import time

port, log = int(sys.argv[1]), sys.argv[2]
fail = [int(sys.argv[3]) if len(sys.argv) > 3 else 0]
hold = os.environ.get("RECEIVER_HOLD", "")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                "body": body}) + "\n")
        while hold and not os.path.exists(hold):
            time.sleep(0.05)
        status = 500 if fail[0] > 0 else 200
        fail[0] -= 1
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
if len(sys.argv) > 5:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
