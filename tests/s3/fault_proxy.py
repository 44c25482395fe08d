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
A fault written KIND:NAME waits for the first request of that kind (the requests before it
pass) and answers it wrongly, as a proxy, a captive portal or a broken server might:
  list:html       200, a text/html login page        list:empty  200, an empty body
  list:truncated  200, the real answer cut in half   list:hugesize  200, a Size of 10^20
  list:duptruncated  200, a page saying <IsTruncated> false, then true with a token
  list:wrapped    200, the real answer with every <Contents> inside an unknown <Wrapper>
  list:tokenloop  this and every later listing: an empty truncated page, tokens ''->A->B->A
  list:empty403   403 with an empty body and no content type
  list:tokenflood this and every later listing: an empty truncated page, a new token each time
  list:duppages   this and the next listing: two pages naming the same key PREFIX/twice.txt
  list:otherbucket  200, an empty listing of another bucket and prefix (<Name>other)
  list:otherprefix  200, an empty listing of this bucket under another prefix (weekly/)
  list:wholebucket  200, an empty listing with an empty <Prefix> (another request's answer)
  list:maxkeys0     200, an empty listing echoing <MaxKeys>0 (an answer to max-keys=0)
  list:delimiter    200, an answer to delimiter=/: a sub-folder in <CommonPrefixes>, echoed
  list:folded       200, the same without the <Delimiter> echo
  list:startafter   200, an empty listing echoing <StartAfter> (what comes after daily/zzz)
  list:v1marker     200, an empty ListObjects V1 answer (<Marker>, no <KeyCount>)
  list:nokeycount   200, an empty listing without <KeyCount>
  list:asplain      200, the real answer declared text/plain
  delete:partial  every other key is deleted; the answer has an <Error> for each of the rest
  delete:silent   nothing is deleted; the answer is a DeleteResult that names no key
  delete:html     nothing is deleted; 200, a text/html page
  delete:unasked  all are deleted; the answer also names a key never asked as <Deleted>
  delete:both     all are deleted; the answer names the first key both <Deleted> and <Error>
  get:oversize    200 with 30 MiB (64 KiB each 10 ms: 5 s), whatever size the object has
  get:nosuchkey   404 with S3's NoSuchKey <Error> document (application/xml)
  get:partial     206 with 7 bytes of application/octet-stream and a Content-Range (a Range
                  answer the client never asked for)
  put:html        an object's PUT is not forwarded: 200, a text/html page, no ETag (a portal)
  complete:error  a CompleteMultipartUpload is not forwarded: 200 with an <Error> whose code is
                  InternalError (AWS: retry it)
  complete:400    a CompleteMultipartUpload is not forwarded: 400 InvalidPart
  complete:lie    a CompleteMultipartUpload is forwarded (the server completes it), and
                  answered 200 with an <Error> whose code is InternalError
--view V,... changes every answer from then on, as another server or another uploader shows
the same objects:
  etag-parts=N    each object's ETag (listings, HEAD, GET) becomes its multipart ETag for
                  parts of N bytes, "<md5 of the parts' md5s>-<count>", as AWS gives any
                  object uploaded in parts (by aws s3 cp above 8 MiB, for one)
  etag-opaque     each ETag becomes 32 non-hex characters (an SSE-KMS object's ETag is no MD5)
  strip-sha       x-amz-meta-sha256 is removed from HEAD and GET answers
  corrupt-get     the first byte of every GET body is flipped
  corrupt-stored  as if the stored bytes had their first byte flipped, the ETag being their MD5
                  (a server that stored other bytes than were sent, under the sender's metadata)
  corrupt-put     the first byte of every PUT body is flipped and its Content-MD5 dropped
                  (a proxy between runbook and a server that does not check it)
  slow-put=S      the body of every PUT (an object or a part) is read at S seconds a MiB (a
                  slow link: time for a writer to change the file while it is being sent);
                  "proxy: slow-put: a body is being read" is logged as each body starts)
  put-no-etag     every PUT answer (an object or a part) loses its ETag header
  complete-etag   every CompleteMultipartUpload answer says ETag "000...0-N" (N the parts
                  the request named), which is not the md5 of the parts' MD5s
usage: fault_proxy.py PORT TARGET_PORT [--faults 503,reset,list:html,...] [--stall 3]
                      [--view etag-parts=5242880,strip-sha,...]
Prints "ready" when listening, and one line per request to stderr."""
import argparse
import base64
import hashlib
import http.client
import http.server
import re
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

ERRORS = {"503": (503, "ServiceUnavailable"), "500": (500, "InternalError"),
          "slowdown": (503, "SlowDown"), "429": (429, "TooManyRequests"),
          "403": (403, "AccessDenied"), "badkey": (403, "InvalidAccessKeyId")}
HTML = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
        b"<body><p>Sign in to continue</p></body></html>\n")
S3NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def kind(command, path):
    """The request's kind for KIND:NAME faults."""
    query = path.partition("?")[2]
    if command == "GET" and "list-type=" in query:
        return "list"
    if command == "POST" and re.search(r"(^|&)delete(=|&|$)", query):
        return "delete"
    if command == "GET":
        return "get"
    if command == "PUT" and "partNumber=" not in query:
        return "put"
    if command == "POST" and "uploadId=" in query:
        return "complete"
    return "other"


def echo(path, bucket=None, prefix=None, max_keys="1000"):
    """What S3 echoes of the request `path` (path style): <Name>, <Prefix>, the
    <ContinuationToken> sent, <MaxKeys>; the arguments replace what it would say."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query, keep_blank_values=True)
    bucket = bucket if bucket is not None else path.lstrip("/").split("/")[0].split("?")[0]
    prefix = prefix if prefix is not None else query.get("prefix", [""])[0]
    token = query.get("continuation-token", [None])[0]
    return (f"<Name>{bucket}</Name><Prefix>{prefix}</Prefix><MaxKeys>{max_keys}</MaxKeys>"
            + (f"<ContinuationToken>{token}</ContinuationToken>" if token else ""))


OTHER_PAGES = {  # fault: (what the echo says instead, elements added, <KeyCount> or not)
    "otherbucket": (dict(bucket="other", prefix="weekly/"), "", True),
    "otherprefix": (dict(prefix="weekly/"), "", True),
    "wholebucket": (dict(prefix=""), "", True),
    "maxkeys0": (dict(max_keys="0"), "", True),
    "delimiter": ({}, "<Delimiter>/</Delimiter><CommonPrefixes><Prefix>daily/sub/</Prefix>"
                      "</CommonPrefixes>", True),
    "folded": ({}, "<CommonPrefixes><Prefix>daily/sub/</Prefix></CommonPrefixes>", True),
    "startafter": ({}, "<StartAfter>daily/zzz</StartAfter>", True),
    "v1marker": ({}, "<Marker>daily/zzz</Marker>", False),
    "nokeycount": ({}, "", False),
}


def other_page(path, fault):
    """An empty, well-formed listing that answers another request."""
    wrong, extra, key_count = OTHER_PAGES[fault]
    folded = extra.count("<CommonPrefixes>")
    count = f"<KeyCount>{folded}</KeyCount>" if key_count else ""
    return (f'<ListBucketResult xmlns="{S3NS}">{echo(path, **wrong)}{extra}'
            f"{count}<IsTruncated>false</IsTruncated></ListBucketResult>").encode()


def dup_page(path):
    """duppages: the key PREFIX/twice.txt on a first, truncated page and again on the last."""
    prefix = urllib.parse.unquote(re.search(r"prefix=([^&]*)", path).group(1))
    more = "continuation-token=" not in path
    return (f'<ListBucketResult xmlns="{S3NS}">{echo(path)}<KeyCount>1</KeyCount>'
            f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
            + ("<NextContinuationToken>A</NextContinuationToken>" if more else "")
            + f"<Contents><Key>{prefix}twice.txt</Key><Size>1</Size></Contents>"
            "</ListBucketResult>").encode()


def loop_page(path, flood):
    """An empty truncated page whose next token loops ''->A->B->A (tokenloop) or is new each
    time (tokenflood: 'n1', 'n2', ...)."""
    token = re.search(r"continuation-token=([^&]*)", path)
    token = token.group(1) if token else ""
    if flood:
        nxt = "n" + str(int(token[1:] or 0) + 1)
    else:
        nxt = {"A": "B", "B": "A"}.get(token, "A")
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{S3NS}">'
            f"{echo(path)}<KeyCount>0</KeyCount><IsTruncated>true</IsTruncated>"
            f"<NextContinuationToken>{nxt}</NextContinuationToken></ListBucketResult>").encode()


def delete_result(deleted, refused):
    root = ET.Element("DeleteResult", xmlns=S3NS)
    for key in deleted:
        ET.SubElement(ET.SubElement(root, "Deleted"), "Key").text = key
    for key in refused:
        err = ET.SubElement(root, "Error")
        ET.SubElement(err, "Key").text = key
        ET.SubElement(err, "Code").text = "AccessDenied"
        ET.SubElement(err, "Message").text = "Access Denied"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def delete_body(keys):
    root = ET.Element("Delete")
    ET.SubElement(root, "Quiet").text = "false"
    for key in keys:
        ET.SubElement(ET.SubElement(root, "Object"), "Key").text = key
    return ET.tostring(root, encoding="utf-8")


def multipart_etag(data, part):
    md5s = b"".join(hashlib.md5(data[i:i + part]).digest() for i in range(0, len(data), part))
    return hashlib.md5(md5s).hexdigest() + "-" + str(max(1, -(-len(data) // part)))


def flipped(data):
    return bytes([data[0] ^ 0xFF]) + data[1:] if data else data


def viewed_etag(view, data):
    if "corrupt-stored" in view:
        data = flipped(data)
    if "etag-parts" not in view and "etag-opaque" not in view:
        return hashlib.md5(data).hexdigest()
    if "etag-opaque" in view:
        return "k" * 32
    return multipart_etag(data, view["etag-parts"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("--faults", default="")
    ap.add_argument("--stall", type=float, default=3.0)
    ap.add_argument("--view", default="")
    args = ap.parse_args()
    view = {}
    for v in filter(None, args.view.split(",")):
        name, _, value = v.partition("=")
        view[name] = float(value) if "." in value else int(value) if value else True
    faults = [f for f in args.faults.split(",") if f]
    lock = threading.Lock()
    looping = []  # [flood?] once list:tokenloop or list:tokenflood was taken

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("proxy: " + (fmt % a) + "\n")

        def answer(self, status, body, content_type="application/xml"):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def forward(self, body, headers):
            conn = http.client.HTTPConnection("127.0.0.1", args.target, timeout=60)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp, resp.read()

        def content(self, path):
            """The stored bytes of the object at `path` (a GET sent on to the target)."""
            conn = http.client.HTTPConnection("127.0.0.1", args.target, timeout=60)
            conn.request("GET", urllib.parse.urlsplit(path).path)
            return conn.getresponse().read()

        def viewed(self, resp, data):
            """The answer's headers and body as --view shows them."""
            headers = [(k, v) for k, v in resp.getheaders()
                       if not ("strip-sha" in view and k.lower() == "x-amz-meta-sha256")]
            etags = any(k in view for k in ("etag-parts", "etag-opaque", "corrupt-stored"))
            kind_now = kind(self.command, self.path)
            if etags and kind_now == "list" and resp.status == 200:
                bucket = urllib.parse.urlsplit(self.path).path.strip("/").split("/")[0]
                def one(m):
                    key = re.search(rb"<Key>(.*?)</Key>", m.group(0)).group(1).decode()
                    tag = viewed_etag(view, self.content(
                        "/" + bucket + "/" + urllib.parse.quote(ET.fromstring(
                            "<k>" + key + "</k>").text)))
                    return re.sub(rb"<ETag>.*?</ETag>", f"<ETag>&quot;{tag}&quot;</ETag>".encode(),
                                  m.group(0))
                data = re.sub(rb"<Contents>.*?</Contents>", one, data, flags=re.S)
            if etags and self.command in ("GET", "HEAD") and kind_now != "list" and resp.status == 200:
                body = data if self.command == "GET" else self.content(self.path)
                headers = [(k, f'"{viewed_etag(view, body)}"' if k.lower() == "etag" else v)
                           for k, v in headers]
            if "put-no-etag" in view and self.command == "PUT":
                headers = [(k, v) for k, v in headers if k.lower() != "etag"]
            if "complete-etag" in view and self.command == "POST" and "uploadId=" in self.path:
                fake = b"&quot;" + b"0" * 32 + b"-" + str(self.parts).encode() + b"&quot;"
                data = re.sub(rb"<ETag>.*?</ETag>", b"<ETag>" + fake + b"</ETag>", data)
            corrupt = "corrupt-get" in view or "corrupt-stored" in view
            if corrupt and self.command == "GET" and kind_now != "list" and resp.status == 200:
                data = flipped(data)
            return headers, data

        def relay(self, resp, data):
            headers, data = self.viewed(resp, data) if view else (resp.getheaders(), data)
            self.send_response(resp.status)
            for k, v in headers:
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def take_fault(self):
            with lock:
                if not faults:
                    return None
                want, _, name = faults[0].rpartition(":")
                if want and want != kind(self.command, self.path):
                    return None
                faults.pop(0)
                return name

        def wrong_listing(self, fault, body, headers):
            if fault == "html":
                return self.answer(200, HTML, "text/html; charset=utf-8")
            if fault == "empty":
                return self.answer(200, b"")
            if fault == "empty403":
                return self.answer(403, b"", None)
            if fault == "duptruncated":
                return self.answer(200, (
                    f'<ListBucketResult xmlns="{S3NS}"><IsTruncated>false</IsTruncated>'
                    "<IsTruncated>true</IsTruncated><NextContinuationToken>t"
                    "</NextContinuationToken></ListBucketResult>").encode())
            if fault == "duppages":
                if "continuation-token=" not in self.path:
                    with lock:
                        faults.insert(0, "list:duppages")  # the next page too
                return self.answer(200, dup_page(self.path))
            if fault in OTHER_PAGES:
                return self.answer(200, other_page(self.path, fault))
            if fault == "asplain":
                resp, data = self.forward(body, headers)
                return self.answer(200, data, "text/plain")
            if fault in ("tokenloop", "tokenflood"):
                looping.append(fault == "tokenflood")
                return self.answer(200, loop_page(self.path, looping[0]))
            resp, data = self.forward(body, headers)
            if fault == "wrapped":
                data = re.sub(rb"(<Contents>.*</Contents>)", rb"<Wrapper>\1</Wrapper>", data,
                              flags=re.S)
            elif fault == "truncated":
                data = data[: len(data) // 2]
            elif fault == "hugesize":
                data = re.sub(rb"<Size>\d+</Size>", b"<Size>100000000000000000000</Size>", data,
                              count=1)
            self.relay(resp, data)

        def wrong_delete(self, fault, body, headers):
            keys = [k.text or "" for k in ET.fromstring(body).iter() if k.tag.endswith("Key")]
            if fault == "html":
                return self.answer(200, HTML, "text/html")
            if fault == "silent":
                return self.answer(200, delete_result([], []))
            if fault in ("unasked", "both"):
                resp, data = self.forward(body, headers)
                if fault == "unasked":
                    return self.answer(200, delete_result(keys + ["never/asked.txt"], []))
                return self.answer(200, delete_result(keys, keys[:1]))
            deleted, refused = keys[0::2], keys[1::2]
            sent = delete_body(deleted)
            headers = {k: v for k, v in headers.items() if k.lower() not in
                       ("content-md5", "content-length", "x-amz-content-sha256")}
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(sent).digest()).decode()
            headers["x-amz-content-sha256"] = hashlib.sha256(sent).hexdigest()
            resp, data = self.forward(sent, headers)
            if resp.status != 200:
                return self.relay(resp, data)
            self.answer(200, delete_result(deleted, refused))

        def wrong_get(self, fault):
            if fault == "nosuchkey":
                xml = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
                       b"<Message>The specified key does not exist.</Message></Error>")
                return self.answer(404, xml)
            if fault == "partial":
                self.send_response(206)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Range", "bytes 0-6/100")
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"partial")
                return
            piece, total, sent = b"x" * 65536, 30 << 20, 0
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(total))
            self.end_headers()
            try:
                while sent < total:
                    self.wfile.write(piece)
                    sent += len(piece)
                    time.sleep(0.01)
            except OSError:
                pass
            sys.stderr.write(f"proxy: oversize: sent {sent} of {total} bytes\n")
            self.close_connection = True

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length and "slow-put" not in view else b""
            while len(body) < length:  # slow-put: 64 KiB at a time
                time.sleep(view["slow-put"] / 16)
                if not body:  # a writer waits for this line to change the file mid-way
                    sys.stderr.write("proxy: slow-put: a body is being read\n")
                    sys.stderr.flush()
                body += self.rfile.read(min(65536, length - len(body)))
            headers = {k: v for k, v in self.headers.items()}
            if "corrupt-put" in view and self.command == "PUT" and body:
                body = flipped(body)
                headers = {k: v for k, v in headers.items() if k.lower() != "content-md5"}
            self.parts = body.count(b"<Part>")  # complete-etag: the parts completed
            fault = self.take_fault()
            if fault in ("reset", "stall"):
                if fault == "stall":
                    time.sleep(args.stall)
                self.close_connection = True
                self.connection.close()
                return
            if fault in ERRORS:
                code, name = ERRORS[fault]
                xml = f"<Error><Code>{name}</Code><Message>injected</Message></Error>".encode()
                return self.answer(code, xml, None)
            kind_now = kind(self.command, self.path)
            if looping and kind_now == "list":
                return self.answer(200, loop_page(self.path, looping[0]))
            if fault and fault != "pass" and kind_now == "get":
                return self.wrong_get(fault)
            if fault and fault != "pass" and kind_now == "list":
                return self.wrong_listing(fault, body, headers)
            if fault and fault != "pass" and kind_now == "delete":
                return self.wrong_delete(fault, body, headers)
            if fault == "html" and kind_now == "put":
                return self.answer(200, HTML, "text/html; charset=utf-8")
            if fault == "lie" and kind_now == "complete":
                self.forward(body, headers)
                xml = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                return self.answer(200, xml)
            if fault in ("error", "400") and kind_now == "complete":
                code = 200 if fault == "error" else 400
                name = "InternalError" if fault == "error" else "InvalidPart"
                xml = f"<Error><Code>{name}</Code><Message>injected</Message></Error>".encode()
                return self.answer(code, xml)
            self.relay(*self.forward(body, headers))

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
