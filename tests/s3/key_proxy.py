#!/usr/bin/env python3
"""A proxy for the s3-sync path tests: forwards to TARGET (s3rver) but shows stored objects
under hostile keys. s3rver cannot hold a key with a '..' or empty segment itself (it stores
each object as a file under path.join, which normalises them), so the test stores the
content under a plain key and this proxy renames it.
  --show LISTED=STORED   in ListObjectsV2 answers <Key>STORED</Key> becomes <Key>LISTED</Key>,
                         LISTED written raw into the XML (it may hold references: &#46;);
                         a request for LISTED (as written, or after a client's dot-segment
                         removal) is sent on for STORED, so a client that writes what it
                         downloads gets the content.
A listing asked for with encoding-type=url is answered as S3 does (s3rver ignores the
parameter): <EncodingType>url</EncodingType> and every key percent-encoded, so a key XML 1.0
cannot carry (an ESC, given as &#x1b;) still reaches the client.
usage: key_proxy.py PORT TARGET_PORT --bucket B --show LISTED=STORED ...
Prints "ready" when listening."""
import argparse
import html
import http.client
import http.server
import posixpath
import re
import sys
import urllib.parse


def xml_text(raw):
    """XML character data as a string; html.unescape drops references to control characters
    (HTML's rule), which a key given as &#x1b; must keep."""
    raw = re.sub(r"&#[xX]([0-9a-fA-F]+);", lambda m: chr(int(m.group(1), 16)), raw)
    raw = re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1))), raw)
    return html.unescape(raw)


def make_handler(target_port, bucket, shows):
    def stored_path(path):
        """The path to forward for a request path (percent-encoded, without the query)."""
        plain = urllib.parse.unquote(path)
        for listed, stored in shows:
            wanted = "/" + bucket + "/" + html.unescape(listed)
            if plain in (wanted, posixpath.normpath(wanted)):
                return "/" + bucket + "/" + urllib.parse.quote(stored)
        return path

    def renamed(data):
        for listed, stored in shows:
            data = data.replace(f"<Key>{stored}</Key>".encode(), f"<Key>{listed}</Key>".encode())
        return data

    def url_encoded(data):
        text = data.decode()
        text = re.sub(r"(<ListBucketResult[^>]*>)", r"\1<EncodingType>url</EncodingType>", text,
                      count=1)
        text = re.sub(r"<Key>(.*?)</Key>", lambda m: "<Key>" + urllib.parse.quote(
            xml_text(m.group(1)), safe="/") + "</Key>", text, flags=re.S)
        return text.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("key_proxy: " + (fmt % a) + "\n")

        def forward(self):
            path, _, query = self.path.partition("?")
            size = int(self.headers.get("Content-Length") or 0)
            upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=60)
            upstream.request(self.command, stored_path(path) + ("?" + query if query else ""),
                             body=self.rfile.read(size) if size else b"",
                             headers=dict(self.headers.items()))
            resp = upstream.getresponse()
            data = resp.read()
            if "list-type=2" in query:
                data = renamed(data)
                if "encoding-type=url" in query:
                    data = url_encoded(data)
            skip = ("transfer-encoding", "connection", "content-length")
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in skip]
            size = resp.getheader("Content-Length", "0") if self.command == "HEAD" else len(data)
            self.send_response(resp.status)
            for k, v in kept + [("Content-Length", str(size))]:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--show", action="append", default=[])
    args = ap.parse_args()
    shows = [s.split("=", 1) for s in args.show]
    handler = make_handler(args.target, args.bucket, shows)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
