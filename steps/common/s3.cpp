#include "steps/common/s3.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
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

// sha256 hex and raw md5 of a file range (a multipart part), streamed.
std::pair<std::string, std::string> DigestRange(const std::string& file, uint64_t offset,
                                                uint64_t size) {
  FILE* f = std::fopen(file.c_str(), "rb");
  Sha256 sha;
  Md5 md5;
  std::vector<char> buf(1 << 20);
  if (f != nullptr && std::fseek(f, static_cast<long>(offset), SEEK_SET) == 0) {
    while (size > 0) {
      size_t n =
          std::fread(buf.data(), 1, static_cast<size_t>(std::min<uint64_t>(buf.size(), size)), f);
      if (n == 0) break;
      sha.Update(buf.data(), n);
      md5.Update(buf.data(), n);
      size -= n;
    }
  }
  if (f != nullptr) std::fclose(f);
  return {sha.FinishHex(), md5.FinishRaw()};
}

}  // namespace

Result<std::string> MultipartEtag(const std::string& file, uint64_t part_size) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return Status::Error("cannot read " + file);
  std::string md5s;
  size_t parts = 0;
  for (uint64_t offset = 0; offset < size; offset += part_size, ++parts)
    md5s += DigestRange(file, offset, std::min(part_size, size - offset)).second;
  return HexEncode(Md5Raw(md5s)) + "-" + std::to_string(parts);
}

std::optional<uint64_t> ParseSize(const std::string& text) {
  size_t digits = text.find_first_not_of("0123456789");
  if (text.empty() || digits == 0) return std::nullopt;
  uint64_t n = std::stoull(text.substr(0, digits));
  std::string unit = digits == std::string::npos ? "" : text.substr(digits);
  if (unit.empty() || unit == "B") return n;
  if (unit == "KiB" || unit == "K") return n << 10;
  if (unit == "MiB" || unit == "M") return n << 20;
  if (unit == "GiB" || unit == "G") return n << 30;
  if (unit == "KB") return n * 1000;
  if (unit == "MB") return n * 1000 * 1000;
  if (unit == "GB") return n * 1000 * 1000 * 1000;
  return std::nullopt;
}

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
    signed_req.timeout = config_.request_timeout;
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
  req.headers = EncryptionHeaders();
  req.headers.emplace_back("content-md5", Base64Encode(md5_raw));
  req.headers.emplace_back("content-length", std::to_string(size));
  req.headers.emplace_back("x-amz-meta-sha256", sha256);
  HttpResponse r = Call(req, key, "", sha256, cancel);
  if (r.status != 200) return Failure(r, "upload to", key);
  return S3Object{key, size, Unquote(r.Header("etag")), sha256,
                  r.Header("x-amz-server-side-encryption")};
}

std::vector<std::pair<std::string, std::string>> S3Client::EncryptionHeaders() const {
  std::vector<std::pair<std::string, std::string>> h;
  if (!config_.sse.empty()) h.emplace_back("x-amz-server-side-encryption", config_.sse);
  if (!config_.kms_key_id.empty())
    h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", config_.kms_key_id);
  return h;
}

Result<S3Object> S3Client::PutMultipart(const std::string& key, const std::string& file,
                                        const std::string& sha256, uint64_t size,
                                        uint64_t part_size, int parallel,
                                        const CancelToken& cancel) {
  HttpRequest start;
  start.method = "POST";
  start.headers = EncryptionHeaders();
  start.headers.emplace_back("x-amz-meta-sha256", sha256);
  HttpResponse r = Call(start, key, "uploads", Sha256Hex(""), cancel);
  auto ids = XmlValues(r.body, "UploadId");
  if (r.status != 200 || ids.empty()) return Failure(r, "starting the upload of", key);
  std::string upload = "uploadId=" + UriEncode(ids[0], false);
  size_t parts = static_cast<size_t>((size + part_size - 1) / part_size);
  std::vector<std::string> etags(parts);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status failed = Status::Ok();
  auto work = [&] {
    S3Client own(config_);
    for (size_t i; (i = next++) < parts && !cancel.cancelled();) {
      uint64_t offset = i * part_size, n = std::min<uint64_t>(part_size, size - offset);
      auto digest = DigestRange(file, offset, n);
      HttpRequest req;
      req.method = "PUT";
      req.body_file = file;
      req.body_offset = offset;
      req.body_size = n;
      req.headers.emplace_back("content-md5", Base64Encode(digest.second));
      req.headers.emplace_back("content-length", std::to_string(n));
      std::string q = "partNumber=" + std::to_string(i + 1) + "&" + upload;
      HttpResponse pr = own.Call(req, key, q, digest.first, cancel);
      std::lock_guard<std::mutex> lock(mu);
      if (pr.status != 200) {
        if (failed.ok())
          failed = Failure(pr, "uploading part " + std::to_string(i + 1) + " of", key);
        next = parts;
      } else {
        etags[i] = pr.Header("etag");
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::min<int>(parallel, static_cast<int>(parts)); ++t)
    threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (failed.ok() && cancel.cancelled()) failed = Status::Error("cancelled");
  if (!failed.ok()) {
    HttpRequest abort;
    abort.method = "DELETE";
    (void)Call(abort, key, upload, Sha256Hex(""), cancel);  // s3rver cannot; AWS does
    return failed;
  }
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < parts; ++i)
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
            "</ETag></Part>";
  body += "</CompleteMultipartUpload>";
  HttpRequest done;
  done.method = "POST";
  done.body = body;
  done.headers.emplace_back("content-type", "application/xml");
  r = Call(done, key, upload, Sha256Hex(body), cancel);
  auto etag = XmlValues(r.body, "ETag");
  if (r.status != 200 || etag.empty()) return Failure(r, "completing the upload of", key);
  return S3Object{key, size, Unquote(etag[0]), sha256, r.Header("x-amz-server-side-encryption")};
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
