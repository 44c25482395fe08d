#include "steps/common/s3.h"

#include <chrono>
#include <ctime>
#include <random>
#include <thread>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

std::string AmzDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string XmlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    std::string ent = semi == std::string::npos ? "" : s.substr(i + 1, semi - i - 1);
    if (ent == "quot")
      out += '"';
    else if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "apos")
      out += '\'';
    else if (!ent.empty() && ent[0] == '#')
      out += static_cast<char>(std::stoi(ent.substr(1)));
    else {
      out += '&';
      continue;
    }
    i = semi;
  }
  return out;
}

bool Retryable(const HttpResponse& r) {
  return r.status == 0 || r.status == 429 || r.status >= 500;
}

}  // namespace

bool ParseS3Url(const std::string& url, std::string& bucket, std::string& prefix) {
  if (url.rfind("s3://", 0) != 0) return false;
  std::string rest = url.substr(5);
  size_t slash = rest.find('/');
  bucket = rest.substr(0, slash);
  prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return !bucket.empty();
}

std::vector<std::string> XmlValues(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t p = xml.find(open); p != std::string::npos; p = xml.find(open, p)) {
    size_t end = xml.find(close, p);
    if (end == std::string::npos) break;
    out.push_back(XmlDecode(xml.substr(p + open.size(), end - p - open.size())));
    p = end;
  }
  return out;
}

std::string S3Client::Host() const {
  std::string host = config_.endpoint.substr(config_.endpoint.find("://") + 3);
  host = host.substr(0, host.find('/'));
  return config_.path_style ? host : config_.bucket + "." + host;
}

std::string S3Client::Path(const std::string& key) const {
  return config_.path_style ? "/" + config_.bucket + "/" + key : "/" + key;
}

std::string S3Client::Url(const std::string& key, const std::string& query) const {
  std::string scheme = config_.endpoint.substr(0, config_.endpoint.find("://") + 3);
  return scheme + Host() + UriEncode(Path(key), true) + (query.empty() ? "" : "?" + query);
}

HttpResponse S3Client::Call(HttpRequest req, const std::string& key, const std::string& query,
                            const std::string& payload_sha256, const CancelToken& cancel) {
  std::mt19937_64 rng{std::random_device{}()};
  HttpResponse r;
  for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
    HttpRequest signed_req = req;
    std::string date = AmzDate();
    signed_req.url = Url(key, query);
    signed_req.headers.emplace_back("host", Host());
    signed_req.headers.emplace_back("x-amz-date", date);
    signed_req.headers.emplace_back("x-amz-content-sha256", payload_sha256);
    if (!config_.creds.session_token.empty())
      signed_req.headers.emplace_back("x-amz-security-token", config_.creds.session_token);
    SigV4Request sig{req.method, Path(key), query, signed_req.headers, payload_sha256};
    signed_req.headers.emplace_back(
        "authorization",
        Authorization(sig, config_.creds, date, {config_.region, "s3"}, PathStyle::kS3));
    r = http_.Send(signed_req, cancel);
    if (!Retryable(r) || cancel.cancelled() || attempt == config_.max_attempts) return r;
    std::uniform_real_distribution<double> unit(0.5, 1.0);
    auto delay = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(8000.0, 100.0 * (1 << (attempt - 1))) * unit(rng)));
    std::this_thread::sleep_for(delay);
  }
  return r;
}

Status S3Client::Failure(const HttpResponse& r, const std::string& what,
                         const std::string& key) const {
  std::string where = "s3://" + config_.bucket + "/" + key;
  if (r.status == 0) return Status::Error(what + " " + where + ": " + r.error);
  auto codes = XmlValues(r.body, "Code");
  std::string code = codes.empty() ? "" : " " + codes.front();
  return Status::Error(what + " " + where + ": HTTP " + std::to_string(r.status) + code);
}

Result<std::vector<S3Object>> S3Client::List(const std::string& prefix, const CancelToken& cancel) {
  std::vector<S3Object> out;
  std::string token;
  for (;;) {
    std::string query = "list-type=2&max-keys=1000&prefix=" + UriEncode(prefix, false);
    if (!token.empty()) query = "continuation-token=" + UriEncode(token, false) + "&" + query;
    HttpRequest req;
    req.method = "GET";
    HttpResponse r = Call(req, "", query, Sha256Hex(""), cancel);
    if (r.status != 200) return Failure(r, "listing", prefix);
    size_t from = 0;
    for (size_t p = r.body.find("<Contents>"); p != std::string::npos;
         p = r.body.find("<Contents>", from)) {
      size_t end = r.body.find("</Contents>", p);
      if (end == std::string::npos) return Status::Error("listing: malformed answer");
      std::string block = r.body.substr(p, end - p);
      auto keys = XmlValues(block, "Key"), sizes = XmlValues(block, "Size"),
           etags = XmlValues(block, "ETag");
      if (keys.empty() || sizes.empty()) return Status::Error("listing: malformed answer");
      out.push_back(
          {keys[0], std::stoull(sizes[0]), etags.empty() ? "" : Unquote(etags[0]), "", ""});
      from = end;
    }
    auto truncated = XmlValues(r.body, "IsTruncated");
    if (truncated.empty() || truncated[0] != "true") return out;
    auto next = XmlValues(r.body, "NextContinuationToken");
    if (next.empty()) return Status::Error("listing: truncated without a continuation token");
    token = next[0];
  }
}

Result<S3Object> S3Client::Put(const std::string& key, const std::string& file,
                               const std::string& sha256, const std::string& md5_raw, uint64_t size,
                               const CancelToken& cancel) {
  HttpRequest req;
  req.method = "PUT";
  req.body_file = file;
  req.body_size = size;
  req.headers = {{"content-md5", Base64Encode(md5_raw)},
                 {"content-length", std::to_string(size)},
                 {"x-amz-meta-sha256", sha256}};
  if (!config_.sse.empty()) req.headers.emplace_back("x-amz-server-side-encryption", config_.sse);
  if (!config_.kms_key_id.empty())
    req.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", config_.kms_key_id);
  HttpResponse r = Call(req, key, "", sha256, cancel);
  if (r.status != 200) return Failure(r, "upload to", key);
  return S3Object{key, size, Unquote(r.Header("etag")), sha256,
                  r.Header("x-amz-server-side-encryption")};
}

Status S3Client::Get(const std::string& key, const std::string& file, const CancelToken& cancel) {
  HttpRequest req;
  req.method = "GET";
  req.response_file = file;
  HttpResponse r = Call(req, key, "", Sha256Hex(""), cancel);
  if (r.status == 200) return Status::Ok();
  std::remove(file.c_str());
  return Failure(r, "download of", key);
}

Result<S3Object> S3Client::Head(const std::string& key, const CancelToken& cancel) {
  HttpRequest req;
  req.method = "HEAD";
  HttpResponse r = Call(req, key, "", Sha256Hex(""), cancel);
  if (r.status != 200) return Failure(r, "head of", key);
  return S3Object{
      key, std::stoull(r.Header("content-length").empty() ? "0" : r.Header("content-length")),
      Unquote(r.Header("etag")), r.Header("x-amz-meta-sha256"),
      r.Header("x-amz-server-side-encryption")};
}

Status S3Client::Delete(const std::vector<std::string>& keys, const CancelToken& cancel) {
  for (size_t i = 0; i < keys.size(); i += 1000) {
    std::string body = "<Delete><Quiet>true</Quiet>";
    for (size_t k = i; k < std::min(keys.size(), i + 1000); ++k) {
      std::string key;
      for (char c : keys[k]) {
        if (c == '&')
          key += "&amp;";
        else if (c == '<')
          key += "&lt;";
        else if (c == '>')
          key += "&gt;";
        else
          key += c;
      }
      body += "<Object><Key>" + key + "</Key></Object>";
    }
    body += "</Delete>";
    HttpRequest req;
    req.method = "POST";
    req.body = body;
    req.headers = {{"content-md5", Base64Encode(Md5Raw(body))},
                   {"content-type", "application/xml"}};
    HttpResponse r = Call(req, "", "delete=", Sha256Hex(body), cancel);
    if (r.status != 200) return Failure(r, "delete in", "");
    auto errors = XmlValues(r.body, "Error");
    if (!errors.empty())
      return Status::Error("delete in s3://" + config_.bucket + ": " + errors[0]);
  }
  return Status::Ok();
}

}  // namespace runbook
