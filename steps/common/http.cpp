#include "steps/common/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>

#include "engine/util/crypto.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

constexpr uint64_t kMaxErrorBody = 1 << 20;  // a non-2xx body, kept in memory

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  const CancelToken* cancel = nullptr;
  CURL* curl = nullptr;
  FILE* in = nullptr;
  std::optional<Md5> sent{};  // of what was read from `in`
  uint64_t left = 0;
  size_t body_pos = 0;
  FILE* out = nullptr;
  uint64_t received = 0;  // body bytes so far
  // libcurl's own words on a failure, more than curl_easy_strerror's ("SSL certificate
  // problem: certificate has expired": breakLL LL11 got one line for every TLS fault).
  char error[CURL_ERROR_SIZE] = {};
};

// curl_easy_strerror(rc), and what libcurl said about it when it said more.
std::string CurlError(CURLcode rc, const char* detail) {
  std::string out = curl_easy_strerror(rc);
  if (detail != nullptr && *detail != '\0' && out != detail) out += std::string(": ") + detail;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    std::string& slot = t->resp->headers[name];  // repeated (Set-Cookie): one per line
    slot = slot.empty() ? value : slot + "\n" + value;
  }
  return size * n;
}

// A 2xx body goes to response_file when there is one; every body is cut off (the transfer
// fails) as soon as it passes its limit.
size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  bool success = status >= 200 && status < 300;
  uint64_t limit = success ? t->req->max_body : kMaxErrorBody;
  if (size * n > limit - std::min(limit, t->received)) {
    t->resp->over_limit = true;
    t->resp->body_status = static_cast<int>(status);
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  t->received += size * n;
  t->resp->body_bytes += size * n;
  if (t->out != nullptr && success) {
    size_t written = std::fwrite(data, 1, size * n, t->out);
    if (t->req->moved && written > 0) t->req->moved(written);
    return written;
  }
  t->resp->body.append(data, size * n);
  return size * n;
}

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = size * n;
  if (t->in != nullptr) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(want, t->left));
    size_t got = std::fread(buffer, 1, take, t->in);
    t->sent->Update(buffer, got);
    t->left -= got;
    if (t->req->moved && got > 0) t->req->moved(got);
    return got;
  }
  const std::string& body = t->req->body;
  size_t take = std::min(want, body.size() - t->body_pos);
  std::copy(body.data() + t->body_pos, body.data() + t->body_pos + take, buffer);
  t->body_pos += take;
  return take;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel->cancelled() ? 1 : 0;  // non-zero aborts the transfer
}

// Whether `rc` says the request cannot be made as asked, whatever the try: a CA file that
// cannot be used, a certificate its CAs do not sign, TLS required of a server that does not
// give it, a URL curl cannot use.
bool SetupError(CURLcode rc) {
  return rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
         rc == CURLE_USE_SSL_FAILED || rc == CURLE_PEER_FAILED_VERIFICATION ||
         rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

// The status and error of a finished transfer: a body cut off at its limit or a transport
// error is no response (status 0).
void Conclude(CURL* c, CURLcode rc, const HttpRequest& req, const CancelToken& cancel,
              const Transfer& t, HttpResponse& resp) {
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  resp.status = rc == CURLE_OK ? static_cast<int>(status) : 0;
  if (resp.over_limit)
    resp.error = "HTTP " + std::to_string(resp.body_status) + " with a body longer than " +
                 std::to_string(resp.body_status / 100 == 2 ? req.max_body : kMaxErrorBody) +
                 " bytes; stopped there";
  else if (rc != CURLE_OK && resp.error.empty())
    resp.error = cancel.cancelled() ? "cancelled" : CurlError(rc, t.error);
  resp.setup_error = SetupError(rc);
}

}  // namespace

struct HttpClient::Impl {
  CURL* curl = curl_easy_init();
  ~Impl() { curl_easy_cleanup(curl); }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialised;
}
HttpClient::~HttpClient() = default;

namespace {

// Opens the request's body file at its offset into `t`; false (resp.error set) when it
// cannot be read.
bool OpenBodyFile(const HttpRequest& req, Transfer& t, HttpResponse& resp) {
  if (req.body_file.empty()) return true;
  t.in = std::fopen(req.body_file.c_str(), "rb");
  if (t.in == nullptr || std::fseek(t.in, static_cast<long>(req.body_offset), SEEK_SET) != 0) {
    if (t.in) std::fclose(t.in);
    t.in = nullptr;
    resp.error = "cannot read " + req.body_file;
    return false;
  }
  t.left = req.body_size;
  t.sent.emplace();
  return true;
}

// Callbacks, limits and timeouts: the same for every request.
void SetTransferOptions(CURL* c, const HttpRequest& req, Transfer& t, curl_slist* headers) {
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
}

// The method, and for PUT/POST the body (`body_size` bytes) read through OnRead.
void SetMethod(CURL* c, const HttpRequest& req, Transfer& t, uint64_t body_size) {
  if (req.method == "PUT" || req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    if (req.method == "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
}

}  // namespace

MailResult SendMail(const MailRequest& mail) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialised;
  CURL* c = curl_easy_init();
  if (c == nullptr) return {"cannot start libcurl", false};
  HttpRequest body_source;  // OnRead reads a request's body
  body_source.body = mail.message;
  HttpResponse unused;
  CancelToken never;
  Transfer t{&body_source, &unused, &never, c};
  curl_slist* rcpt = nullptr;
  for (const std::string& to : mail.to) rcpt = curl_slist_append(rcpt, ("<" + to + ">").c_str());
  curl_easy_setopt(c, CURLOPT_URL, mail.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + mail.from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &t);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_USE_SSL, mail.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(mail.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  if (!mail.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, mail.ca_file.c_str());
  if (!mail.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, mail.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, mail.password.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  if (rc == CURLE_OK) return {};
  return {CurlError(rc, t.error) + (code > 0 ? " (SMTP " + std::to_string(code) + ")" : ""),
          SetupError(rc)};
}

bool IsHeaderName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return (u < 0x80 && std::isalnum(u) != 0) || (u != 0 && std::strchr("!#$%&'*+-.^_`|~", u));
  });
}

namespace {

// Why `headers` cannot be sent as given, "" when they can. RFC 9110 section 5.5: a field
// value holds no CR, LF, NUL or other control character but HTAB; one that did would end the
// header and start others (break23a D2: a value a probe extracted from a server's JSON added
// `X-Injected: evil` to the next request). The value is never quoted: it may be a secret.
std::string HeaderProblem(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (!IsHeaderName(name))
      return "the header name '" + Printable(name) +
             "' is not a token (RFC 9110: letters, digits and !#$%&'*+-.^_`|~): refused, "
             "nothing sent";
    if (std::any_of(value.begin(), value.end(), [](char c) {
          unsigned char u = static_cast<unsigned char>(c);
          return (u < 0x20 && u != '\t') || u == 0x7f;
        }))
      return "the value of header '" + name +
             "' holds a line break or another control character (it would end the header and "
             "add others): refused, nothing sent";
  }
  return "";
}

}  // namespace

HttpResponse HttpClient::Send(const HttpRequest& req, const CancelToken& cancel) {
  HttpResponse resp;
  if (std::string why = HeaderProblem(req.headers); !why.empty()) {
    resp.error = why;
    resp.setup_error = true;  // asking again changes nothing
    return resp;
  }
  CURL* c = impl_->curl;
  Transfer t{&req, &resp, &cancel, c};
  curl_easy_reset(c);
  if (!OpenBodyFile(req, t, resp)) return resp;
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  SetTransferOptions(c, req, t, headers);
  SetMethod(c, req, t, req.body_file.empty() ? req.body.size() : req.body_size);
  if (!req.response_file.empty()) {
    t.out = std::fopen(req.response_file.c_str(), "wb");
    if (t.out == nullptr) resp.error = "cannot write " + req.response_file;
  }
  CURLcode rc = resp.error.empty() ? curl_easy_perform(c) : CURLE_WRITE_ERROR;
  Conclude(c, rc, req, cancel, t, resp);
  if (t.in) std::fclose(t.in);
  if (t.sent) resp.sent_md5_raw = t.sent->FinishRaw();
  if (t.out && std::fclose(t.out) != 0 && resp.error.empty())
    resp.error = "cannot write " + req.response_file;
  curl_slist_free_all(headers);
  return resp;
}

}  // namespace runbook
