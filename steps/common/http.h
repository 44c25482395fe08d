// A small HTTP client: the only file that includes libcurl. Bodies go from memory or a
// file range, responses to memory or a file, so memory stays bounded for big objects.
// One HttpClient per thread (it keeps its connection); Send is not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/plugin/cancel.h"
#include "engine/util/work.h"

namespace runbook {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;       // used when body_file is empty
  std::string body_file;  // stream this file's range as the body
  uint64_t body_offset = 0;
  uint64_t body_size = 0;
  std::string response_file;  // write a 2xx body here (created/truncated) instead of memory;
                              // any other status's body goes to memory (up to 1 MiB)
  // The most bytes a 2xx body may have: the transfer stops as soon as it passes this, and
  // the response is then a failure (status 0, over_limit, error saying so). For a download,
  // the size the object was listed with.
  uint64_t max_body = UINT64_MAX;
  std::chrono::milliseconds timeout{120000};
  // A PEM file of the certificate authorities an https:// server's certificate is checked
  // against instead of the system's (curl's --cacert): a private CA. "" for the system's.
  std::string ca_file;
  // Told the bytes of body_file sent, and of a 2xx body written to response_file, as they
  // move (from the sending thread): progress within one large transfer. Empty: nobody.
  Advance moved;
};

struct HttpResponse {
  int status = 0;                              // 0: no response (transport error)
  std::string error;                           // transport error, for people
  std::map<std::string, std::string> headers;  // names lowercase; repeats joined by '\n'
  std::string body;                            // when not written to response_file
  uint64_t body_bytes = 0;  // bytes of body taken, into `body` or response_file alike
  bool over_limit = false;  // the body passed max_body (or an error body 1 MiB): not retried
  int body_status = 0;      // with over_limit, the HTTP status the cut-off answer had
  // The request cannot be made as asked, and asking again changes nothing: a ca_file that
  // cannot be read or holds no certificate, a certificate the CA does not sign, a URL curl
  // cannot use (breakLL LL11: a missing ca_file was tried 3 times).
  bool setup_error = false;
  // With a body_file: the MD5 (16 bytes) of the bytes read from it and sent, so a caller can
  // prove they are the bytes it digested earlier (the file may change in between).
  std::string sent_md5_raw;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A mail sent through SMTP with libcurl (here so that libcurl stays in this one file):
// `url` smtp://host:port, upgraded with STARTTLS (required when `require_tls`, else only
// when the server offers it), or smtps://host:port (TLS from the start). `message` is the
// whole RFC 5322 text, headers included, lines ending in CRLF.
struct MailRequest {
  std::string url;
  std::string from;
  std::vector<std::string> to;
  std::string message;
  std::string username;  // none when empty
  std::string password;
  bool require_tls = true;
  std::string ca_file;  // as HttpRequest's: the CAs the server's certificate is checked against
  std::chrono::milliseconds timeout{30000};
};
struct MailResult {
  std::string error;         // "" when the server accepted the mail; else why not, for people
  bool setup_error = false;  // as HttpResponse's: asking again changes nothing
};
MailResult SendMail(const MailRequest& mail);

// Whether `name` may be an HTTP header's name: a token (RFC 9110 section 5.6.2: letters,
// digits and !#$%&'*+-.^_`|~). Send refuses a request with any other, and a value holding a
// line break or another control character but HTAB (section 5.5), saying so in
// HttpResponse::error (setup_error), nothing sent.
bool IsHeaderName(const std::string& name);

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpResponse Send(const HttpRequest& request, const CancelToken& cancel);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runbook
