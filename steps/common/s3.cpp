#include "steps/common/s3.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string_view>
#include <thread>

#include "engine/plugin/parallel.h"
#include "engine/util/crypto.h"
#include "steps/common/safe_path.h"

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

// "HTTP 200 with a text/html body": what came back, for an error about it.
std::string Answer(const HttpResponse& r) {
  std::string type = r.Header("content-type");
  if (type.empty()) type = "untyped";
  // A 2xx body went to the download's file, not `body` (break22a #9: a 206 of 10 bytes was
  // "an empty" body).
  const char* article = r.body_bytes == 0 ? "an empty "
                        : std::string_view("aeiou").find(type[0]) != std::string_view::npos ? "an "
                                                                                            : "a ";
  return "HTTP " + std::to_string(r.status) + " with " + article + type + " body";
}

// A body over its limit is not a passing fault: asking again gets the same.
bool Retryable(const HttpResponse& r) {
  return (r.status == 0 && !r.over_limit) || r.status == 429 || r.status >= 500;
}

// A 200 whose body is S3's <Error> document with a code AWS says to retry
// (CompleteMultipartUpload, CopyObject: "the error is embedded in the 200 OK response").
bool RetryableErrorIn200(const HttpResponse& r) {
  if (r.status != 200) return false;
  auto error = ParseError(r.body);
  if (!error.ok()) return false;
  const std::string& code = error.value().code;
  return code == "InternalError" || code == "SlowDown" || code == "ServiceUnavailable";
}

constexpr const char* kChangedWhileSent =
    "the file changed while it was read: the bytes sent are not the bytes digested";
constexpr std::chrono::milliseconds kAbortTimeout{10000};

// Whether a PUT's answer says the server stored bytes other than those whose MD5 is
// `md5_raw`: its ETag is an MD5 (32 hex digits) that differs. With SSE-KMS or SSE-C the ETag
// is no MD5 (AWS, "Checking object integrity"), so it proves nothing either way.
// S3 gives an object or part stored without SSE-KMS or SSE-C the MD5 of its bytes as ETag
// (a completed multipart upload: md5 of the parts' MD5s, "-N"). Why the answer's `etag`
// says the server did not store `expected` (lower-case hex, with "-N" for a multipart
// upload), or "" when it agrees or, encrypted so, cannot say. A missing ETag, or one of
// another shape without such encryption, is an answer S3 never gives (breakJ J3, J4).
std::string EtagProblem(const HttpResponse& r, const std::string& etag,
                        const std::string& expected) {
  if (etag.empty()) return "HTTP 200 without an ETag";
  std::string sse = r.Header("x-amz-server-side-encryption");
  if (sse.rfind("aws:kms", 0) == 0 ||
      !r.Header("x-amz-server-side-encryption-customer-algorithm").empty())
    return "";
  std::string lower = etag;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == expected) return "";
  return "the server stored other bytes: ETag " + Printable(etag) + " is not " + expected +
         ", the " + (expected.find('-') == std::string::npos ? "MD5" : "multipart ETag") +
         " of what was sent";
}
constexpr size_t kPageKeys = 1000;             // max-keys asked of each listing page
constexpr uint64_t kMaxAnswerBody = 64 << 20;  // any answer read into memory

}  // namespace

Result<std::string> MultipartEtag(const std::string& file, uint64_t part_size) {
  auto d = DigestFile(file, {}, part_size);
  if (!d.ok()) return d.status();
  std::string md5s;
  for (const FileDigests::Part& part : d.value().parts) md5s += part.md5_raw;
  return HexEncode(Md5Raw(md5s)) + "-" + std::to_string(d.value().parts.size());
}

std::optional<uint64_t> ParseSize(const std::string& text) {
  static const std::pair<const char*, uint64_t> kUnits[] = {{"", 1},
                                                            {"B", 1},
                                                            {"KiB", 1u << 10},
                                                            {"K", 1u << 10},
                                                            {"MiB", 1u << 20},
                                                            {"M", 1u << 20},
                                                            {"GiB", 1u << 30},
                                                            {"G", 1u << 30},
                                                            {"KB", 1000},
                                                            {"MB", 1000 * 1000},
                                                            {"GB", 1000 * 1000 * 1000}};
  size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
  std::optional<uint64_t> n = ParseDecimal(std::string_view(text).substr(0, digits));
  for (const auto& [unit, factor] : kUnits)
    if (n && text.substr(digits) == unit && *n <= UINT64_MAX / factor) return *n * factor;
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
    if (req.response_file.empty()) signed_req.max_body = std::min(req.max_body, kMaxAnswerBody);
    std::string date = AmzDate();
    signed_req.url = Url(key, query);
    signed_req.moved = moved_;
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

std::string S3Client::Where(const std::string& what, const std::string& key) const {
  return what + " s3://" + config_.bucket + "/" + key + ": ";
}

namespace {

// S3 answers in XML (`application/xml`; `text/xml` and `*+xml` are taken too). A body of
// another declared type (a captive portal's `text/html`, a proxy's `text/plain`) is not an
// S3 answer even when it parses as one. No Content-Type at all is taken: some S3-compatible
// servers send none.
Status XmlContentType(const HttpResponse& r) {
  std::string type = r.Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool xml = type.empty() || type == "application/xml" || type == "text/xml" ||
             (type.size() > 4 && type.compare(type.size() - 4, 4, "+xml") == 0);
  if (xml) return Status::Ok();
  return Status::Error("is not declared as XML: not an answer from S3, though it parses as one");
}

// `parse(r.body)`, refused when `r` does not declare XML (after the parse: a body that is
// not even the document keeps the parser's more telling reason).
template <typename Parse>
auto ParseXml(const HttpResponse& r, Parse parse) -> decltype(parse(r.body)) {
  auto parsed = parse(r.body);
  if (!parsed.ok()) return parsed;
  if (Status s = XmlContentType(r); !s.ok()) return s;
  return parsed;
}

}  // namespace

Status S3Client::Failure(const HttpResponse& r, const std::string& what,
                         const std::string& key) const {
  if (r.status == 0) return Status::Error(Where(what, key) + r.error);
  if (r.body.empty()) return Status::Error(Where(what, key) + Answer(r));  // a HEAD, a proxy
  auto error = ParseError(r.body);
  if (!error.ok()) return Refused(r, what, key, error.status());
  return Status::Error(Where(what, key) + "HTTP " + std::to_string(r.status) + " " +
                       error.value().code);
}

Status S3Client::Refused(const HttpResponse& r, const std::string& what, const std::string& key,
                         const Status& why) const {
  return Status::Error(Where(what, key) + Answer(r) + " " + why.message());
}

// One page's objects onto `out`, each key once in the whole listing and under `prefix`.
Status S3Client::TakePage(const S3ListPage& page, const std::string& prefix,
                          std::set<std::string>& keys, std::vector<S3Object>& out) const {
  if (page.objects.size() > kPageKeys)
    return Status::Error("holds " + std::to_string(page.objects.size()) + " keys, more than the " +
                         std::to_string(kPageKeys) + " asked");
  for (const S3ListedObject& o : page.objects) {
    if (o.key.compare(0, prefix.size(), prefix) != 0)
      return Status::Error("names '" + o.key + "', which is not under the prefix");
    if (!keys.insert(o.key).second)
      return Status::Error("names the key '" + o.key + "' again (an earlier page had it)");
    out.push_back({o.key, o.size, o.etag, "", ""});
  }
  return Status::Ok();
}

namespace {

// Whether the page answers this request: S3 echoes the bucket, the prefix, the
// continuation token sent and max-keys; another request's answer (a misrouting or caching
// proxy) is refused, and above all never read as an empty listing.
Status AnswersRequest(const S3ListPage& page, const std::string& bucket, const std::string& prefix,
                      const std::string& token) {
  auto differs = [](const char* what, const std::string& expected, const std::string& found) {
    return Status::Error("answers another request: its <" + std::string(what) + "> is '" +
                         Printable(found) + "', expected '" + Printable(expected) + "'");
  };
  if (page.name != bucket) return differs("Name", bucket, page.name);
  if (page.prefix != prefix) return differs("Prefix", prefix, page.prefix);
  if (page.continuation_token != token)
    return differs("ContinuationToken", token, page.continuation_token);
  if (!page.max_keys.empty() && page.max_keys != std::to_string(kPageKeys))
    return differs("MaxKeys", std::to_string(kPageKeys), page.max_keys);
  // Nothing else was asked: no delimiter, no start-after, ListObjects V2.
  if (!page.delimiter.empty()) return differs("Delimiter", "", page.delimiter);
  if (!page.start_after.empty()) return differs("StartAfter", "", page.start_after);
  if (page.common_prefixes > 0)
    return Status::Error(
        "answers another request: it folds keys into <CommonPrefixes>, which "
        "only a request with a delimiter gets");
  if (!page.v1_marker.empty())
    return Status::Error("answers another request: its <" + page.v1_marker +
                         "> belongs to ListObjects version 1; runbook asked version 2");
  if (!page.key_count)
    return Status::Error("has no <KeyCount>: not a ListObjectsV2 answer (another request)");
  return Status::Ok();
}

}  // namespace

Result<std::vector<S3Object>> S3Client::List(const std::string& prefix, const CancelToken& cancel) {
  std::vector<S3Object> out;
  std::set<std::string> keys, tokens;  // every key and continuation token met so far
  std::string token;
  for (size_t pages = 1;; ++pages) {
    // Keys URL-encoded: AWS sends a control character as a reference XML 1.0 forbids.
    std::string query = "encoding-type=url&list-type=2&max-keys=" + std::to_string(kPageKeys) +
                        "&prefix=" + UriEncode(prefix, false);
    if (!token.empty()) query = "continuation-token=" + UriEncode(token, false) + "&" + query;
    HttpRequest req;
    req.method = "GET";
    HttpResponse r = Call(req, "", query, Sha256Hex(""), cancel);
    if (r.status != 200) return Failure(r, "listing", prefix);
    auto page = ParseXml(r, ParseListPage);
    Status s =
        page.ok() ? AnswersRequest(page.value(), config_.bucket, prefix, token) : page.status();
    if (s.ok()) s = TakePage(page.value(), prefix, keys, out);
    if (!s.ok()) return Refused(r, "listing", prefix, s);
    if (!page.value().is_truncated) return out;
    if (!tokens.insert(page.value().next_token).second)
      return Refused(r, "listing", prefix,
                     Status::Error("repeats the continuation token '" + page.value().next_token +
                                   "' of an earlier page (a loop)"));
    if (pages == config_.max_list_pages)
      return Status::Error(Where("listing", prefix) + "still truncated after " +
                           std::to_string(pages) + " pages (max_list_pages); refused as endless");
    token = page.value().next_token;
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
  std::string etag = UnquoteEtag(r.Header("etag"));
  if (std::string problem = EtagProblem(r, etag, HexEncode(md5_raw)); !problem.empty())
    return Unvouched({"upload to", key, sha256, {HexEncode(md5_raw)}}, problem, cancel);
  if (r.sent_md5_raw != md5_raw) {
    // Stored, but not the bytes digested (a server that does not check Content-MD5): an
    // object whose sha256 metadata is wrong is not left behind.
    RemoveObject(key, cancel);
    return Status::Error(Where("upload to", key) + kChangedWhileSent + "; the object was removed");
  }
  return S3Object{key, size, etag, sha256, r.Header("x-amz-server-side-encryption")};
}

std::vector<std::pair<std::string, std::string>> S3Client::EncryptionHeaders() const {
  std::vector<std::pair<std::string, std::string>> h;
  if (!config_.sse.empty()) h.emplace_back("x-amz-server-side-encryption", config_.sse);
  if (!config_.kms_key_id.empty())
    h.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", config_.kms_key_id);
  return h;
}

Result<S3Object> S3Client::PutMultipart(const std::string& key, const std::string& file,
                                        const FileDigests& digests, uint64_t part_size,
                                        int parallel, const CancelToken& cancel) {
  // Phases: start (an upload id), the parts from `parallel` threads, then abort or complete.
  const std::string& sha256 = digests.sha256;
  uint64_t size = digests.size;
  auto started = Start(key, sha256, cancel);
  if (!started.ok()) return started.status();
  const std::string& upload = started.value();
  size_t parts = digests.parts.size();
  std::vector<std::string> etags(parts);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status failed = Status::Ok();
  auto work = [&] {
    S3Client own(config_);
    own.moved_ = moved_;
    for (size_t i; (i = next++) < parts && !cancel.cancelled();) {
      uint64_t offset = i * part_size, n = std::min<uint64_t>(part_size, size - offset);
      const FileDigests::Part& digest = digests.parts[i];  // what the server must receive
      HttpRequest req;
      req.method = "PUT";
      req.body_file = file;
      req.body_offset = offset;
      req.body_size = n;
      req.headers.emplace_back("content-md5", Base64Encode(digest.md5_raw));
      req.headers.emplace_back("content-length", std::to_string(n));
      std::string q = "partNumber=" + std::to_string(i + 1) + "&" + upload;
      HttpResponse pr = own.Call(req, key, q, digest.sha256, cancel);
      Status answer =
          PartAnswer(pr, digest, "uploading part " + std::to_string(i + 1) + " of", key);
      std::lock_guard<std::mutex> lock(mu);
      if (answer.ok()) {
        etags[i] = pr.Header("etag");
        continue;
      }
      if (failed.ok()) failed = answer;
      next = parts;
    }
  };
  RunParallel(std::min<int>(parallel, static_cast<int>(parts)), work);
  if (failed.ok() && cancel.cancelled()) failed = Status::Error("cancelled");
  if (!failed.ok()) {
    Abort(key, upload);
    return failed;
  }
  std::string md5s;
  for (const FileDigests::Part& part : digests.parts) md5s += part.md5_raw;
  // AWS answers the md5 of the parts' MD5s, "-N"; some S3-compatible servers (s3rver) the
  // whole object's MD5: either proves what was stored.
  std::vector<std::string> expected = {HexEncode(Md5Raw(md5s)) + "-" + std::to_string(parts),
                                       digests.md5};
  auto done = Complete(S3Object{key, size, "", sha256, ""}, upload, etags, expected, cancel);
  if (done.ok()) return done;
  // A completion may have been done though its answer says otherwise (a 200 <Error> after
  // the server completed it, break22c #10): the object at the key proves it or not.
  if (auto held = Head(key, cancel); held.ok() && held.value().sha256 == sha256) {
    std::string etag = held.value().etag;
    for (char& c : etag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(expected.begin(), expected.end(), etag) != expected.end()) return held;
  }
  // Else the parts are not left billed (break22a #2): an abort of an upload the server did
  // complete is refused harmlessly.
  Abort(key, upload);
  return done;
}

void S3Client::Abort(const std::string& key, const std::string& upload) {
  S3Config once = config_;
  once.max_attempts = 1;
  once.request_timeout = std::min(config_.request_timeout, kAbortTimeout);
  S3Client own(once);
  CancelToken fresh;  // the step's own may be cancelled: that is often why it aborts
  HttpRequest abort;
  abort.method = "DELETE";
  (void)own.Call(abort, key, upload, Sha256Hex(""), fresh);
}

Status S3Client::PartAnswer(const HttpResponse& r, const FileDigests::Part& digest,
                            const std::string& what, const std::string& key) const {
  if (r.status != 200) return Failure(r, what, key);
  std::string etag = UnquoteEtag(r.Header("etag"));
  if (r.sent_md5_raw != digest.md5_raw) return Status::Error(Where(what, key) + kChangedWhileSent);
  if (std::string problem = EtagProblem(r, etag, HexEncode(digest.md5_raw)); !problem.empty())
    return Status::Error(Where(what, key) + problem);
  return Status::Ok();
}

// "uploadId=ID" for the upload's later requests.
Result<std::string> S3Client::Start(const std::string& key, const std::string& sha256,
                                    const CancelToken& cancel) {
  HttpRequest start;
  start.method = "POST";
  start.headers = EncryptionHeaders();
  start.headers.emplace_back("x-amz-meta-sha256", sha256);
  HttpResponse r = Call(start, key, "uploads", Sha256Hex(""), cancel);
  if (r.status != 200) return Failure(r, "starting the upload of", key);
  auto id = ParseXml(r, ParseInitiateMultipart);
  if (!id.ok()) return Refused(r, "starting the upload of", key, id.status());
  return "uploadId=" + UriEncode(id.value(), false);
}

Result<S3Object> S3Client::Complete(S3Object object, const std::string& upload,
                                    const std::vector<std::string>& etags,
                                    const std::vector<std::string>& expected,
                                    const CancelToken& cancel) {
  const std::string& key = object.key;
  HttpRequest done;
  done.method = "POST";
  done.body = CompleteMultipartBody(etags);
  done.headers.emplace_back("content-type", "application/xml");
  HttpResponse r = Call(done, key, upload, Sha256Hex(done.body), cancel);
  // AWS may answer 200 with an <Error> document after it began to complete, and asks that a
  // retryable one (InternalError, SlowDown) be retried like a 5xx.
  for (int attempt = 1;
       attempt < config_.max_attempts && RetryableErrorIn200(r) && !cancel.cancelled(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
    r = Call(done, key, upload, Sha256Hex(done.body), cancel);
  }
  if (r.status != 200) return Failure(r, "completing the upload of", key);
  auto etag = ParseXml(r, ParseCompleteMultipart);
  if (!etag.ok()) return Refused(r, "completing the upload of", key, etag.status());
  std::string problem = EtagProblem(r, UnquoteEtag(etag.value()), expected.front());
  for (const std::string& also : expected)
    if (!problem.empty() && EtagProblem(r, UnquoteEtag(etag.value()), also).empty())
      problem.clear();
  if (!problem.empty())
    return Unvouched({"completing the upload of", key, object.sha256, expected}, problem, cancel);
  object.etag = etag.value();
  object.sse = r.Header("x-amz-server-side-encryption");
  return object;
}

Status S3Client::Get(const std::string& key, const std::string& file, uint64_t listed_size,
                     const CancelToken& cancel, std::string* sha256) {
  HttpRequest req;
  req.method = "GET";
  req.response_file = file;
  req.max_body = listed_size;
  HttpResponse r = Call(req, key, "", Sha256Hex(""), cancel);
  if (sha256 != nullptr) *sha256 = CanonicalSha256(r.Header("x-amz-meta-sha256"));
  if (r.status == 200) return Status::Ok();
  std::remove(file.c_str());
  if (r.over_limit && r.body_status == 200)
    return Status::Error(Where("download of", key) + "HTTP 200 with a body longer than the " +
                         std::to_string(listed_size) +
                         " bytes listed; stopped there and kept nothing");
  return Failure(r, "download of", key);
}

Result<S3Object> S3Client::Head(const std::string& key, const CancelToken& cancel) {
  HttpRequest req;
  req.method = "HEAD";
  HttpResponse r = Call(req, key, "", Sha256Hex(""), cancel);
  if (r.status != 200) return Failure(r, "head of", key);
  std::string length = r.Header("content-length");
  std::optional<uint64_t> size = ParseDecimal(length);
  if (!size)
    return Status::Error(Where("head of", key) + "HTTP 200 with Content-Length '" + length +
                         "', not a size");
  return S3Object{key, *size, UnquoteEtag(r.Header("etag")),
                  CanonicalSha256(r.Header("x-amz-meta-sha256")),
                  r.Header("x-amz-server-side-encryption")};
}

S3DeleteOutcome S3Client::Delete(const std::vector<std::string>& keys, const CancelToken& cancel) {
  S3DeleteOutcome out;
  std::vector<std::string> batch;
  for (size_t i = 0; i < keys.size() && out.failure.ok(); ++i) {
    if (!XmlCanCarry(keys[i])) {
      DeleteOne(keys[i], cancel, out);
      continue;
    }
    batch.push_back(keys[i]);
    if (batch.size() == 1000) {
      DeleteBatch(batch, cancel, out);
      batch.clear();
    }
  }
  if (!batch.empty() && out.failure.ok()) DeleteBatch(batch, cancel, out);
  return out;
}

// DeleteObjects with Quiet=false: S3 names each key it deleted and each it did not.
void S3Client::DeleteBatch(const std::vector<std::string>& batch, const CancelToken& cancel,
                           S3DeleteOutcome& out) {
  HttpRequest req;
  req.method = "POST";
  req.body = DeleteObjectsBody(batch);
  req.headers = {{"content-md5", Base64Encode(Md5Raw(req.body))},
                 {"content-type", "application/xml"}};
  HttpResponse r = Call(req, "", "delete=", Sha256Hex(req.body), cancel);
  if (r.status != 200) {
    out.failure = Failure(r, "deleting in", "");
    return;
  }
  std::set<std::string> asked(batch.begin(), batch.end());
  auto result = ParseXml(r, ParseDeleteResult);
  Status about = result.ok() ? Unasked(result.value(), asked) : result.status();
  if (!about.ok()) {  // not an answer to this request: nothing of it is believed
    out.failure = Refused(r, "deleting in", "", about);
    return;
  }
  for (const std::string& key : result.value().deleted) {
    asked.erase(key);
    out.deleted.push_back(key);
  }
  for (const S3DeleteError& e : result.value().errors) {
    asked.erase(e.key);
    out.errors.push_back(e);
  }
  for (const std::string& key : batch)  // in the order asked
    if (asked.count(key) == 1)
      out.errors.push_back({key, "", "the server's DeleteResult does not name it"});
}

// Why a DeleteResult is not about the keys `asked`: it names one never asked. (A key named
// twice, Deleted and Error, is refused by ParseDeleteResult.)
Status S3Client::Unasked(const S3DeleteResult& result, const std::set<std::string>& asked) {
  std::vector<std::string> named = result.deleted;
  for (const S3DeleteError& e : result.errors) named.push_back(e.key);
  for (const std::string& key : named)
    if (asked.count(key) == 0)
      return Status::Error("names the key '" + key + "', which was not asked to be deleted");
  return Status::Ok();
}

Result<S3Object> S3Client::Unvouched(const Upload& upload, const std::string& problem,
                                     const CancelToken& cancel) {
  const std::string where = Where(upload.what, upload.key) + problem;
  auto held = Head(upload.key, cancel);
  if (!held.ok() || held.value().sha256 != upload.sha256)  // nothing of this upload is there
    return Status::Error(where + "; the object at the key is not this upload's (" +
                         (held.ok() ? "its sha256 metadata differs" : held.status().message()) +
                         "): left as it was");
  std::string etag = held.value().etag;
  for (char& c : etag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& proof : upload.proofs)
    if (!etag.empty() && etag == proof) return held.value();  // the answer was mangled
  RemoveObject(upload.key, cancel);  // this upload's, its bytes unproven: never left as good
  return Status::Error(where + "; the object this upload stored was removed");
}

// A key a DeleteObjects body cannot carry goes by its URL.
void S3Client::RemoveObject(const std::string& key, const CancelToken& cancel) {
  HttpRequest remove;
  remove.method = "DELETE";
  (void)Call(remove, key, "", Sha256Hex(""), cancel);
}

void S3Client::DeleteOne(const std::string& key, const CancelToken& cancel, S3DeleteOutcome& out) {
  HttpRequest req;
  req.method = "DELETE";
  HttpResponse r = Call(req, key, "", Sha256Hex(""), cancel);
  if (r.status == 204 || r.status == 200)
    out.deleted.push_back(key);
  else
    out.errors.push_back({key, "", Failure(r, "deleting", key).message()});
}

Status S3DeleteOutcome::Check(size_t asked, const std::string& where) const {
  if (failure.ok() && errors.empty() && deleted.size() == asked) return Status::Ok();
  std::string text = "deleted " + std::to_string(deleted.size()) + " of " + std::to_string(asked) +
                     " objects at " + where;
  if (!failure.ok()) text += "; " + failure.message();
  if (!errors.empty()) text += "; " + std::to_string(errors.size()) + " not deleted: ";
  for (size_t i = 0; i < errors.size() && i < 10; ++i) {
    const S3DeleteError& e = errors[i];
    text += (i ? ", '" : "'") + e.key + "' " + (e.code.empty() ? "" : e.code + " ") + "(" +
            e.message + ")";
  }
  return Status::Error(text + (errors.size() > 10 ? ", ..." : ""));
}

}  // namespace runbook
