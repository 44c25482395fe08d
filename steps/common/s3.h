// A small S3 client over HttpClient and SigV4: list (complete, paged), put from a file,
// get into a file, head, batch delete. Requests are retried on 5xx, 429/SlowDown and
// transport errors with exponential backoff and jitter; 4xx fail at once with the bucket,
// the key and S3's error code. Answers are read by s3_xml.h: one that is not the expected
// document fails with the operation, the HTTP status and the content type, never as an
// empty listing. Credentials never appear in errors.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/plugin/cancel.h"
#include "engine/util/crypto.h"
#include "engine/util/status.h"
#include "steps/common/http.h"
#include "steps/common/s3_xml.h"
#include "steps/common/sigv4.h"

namespace runbook {

struct S3Config {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:4569"
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = true;
  SigV4Credentials creds;
  std::string sse;         // "", "AES256" or "aws:kms"
  std::string kms_key_id;  // with aws:kms
  int max_attempts = 5;
  std::chrono::milliseconds request_timeout{120000};  // one request; a stall is retried
  size_t max_list_pages = 100000;  // a listing still truncated after this many pages (of
                                   // 1000 keys) fails as endless
};

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;    // without quotes
  std::string sha256;  // x-amz-meta-sha256 (HEAD only)
  std::string sse;     // x-amz-server-side-encryption (HEAD only)
};

struct S3DeleteOutcome {
  std::vector<std::string> deleted;   // keys the server's DeleteResult names as deleted
  std::vector<S3DeleteError> errors;  // its <Error>s, and keys it did not name at all
  Status failure = Status::Ok();      // a batch request that failed as a whole
  // Ok when all `asked` keys were deleted; else "deleted 2 of 4 objects at WHERE; 2 not
  // deleted: 'k' AccessDenied (Access Denied), ..." (the first ten named).
  Status Check(size_t asked, const std::string& where) const;
};

class S3Client {
 public:
  explicit S3Client(S3Config config) : config_(std::move(config)) {}

  // Every object under `prefix`, or an error: never a partial list. Refused as not an
  // answer to the request: a page with more keys than asked (1000), a key outside the
  // prefix, a key named twice (in one page or two), a continuation token met before (a
  // loop), more than max_list_pages pages.
  Result<std::vector<S3Object>> List(const std::string& prefix, const CancelToken& cancel);
  // Uploads the whole file; the server checks Content-MD5; sha256 goes in the metadata.
  Result<S3Object> Put(const std::string& key, const std::string& file, const std::string& sha256,
                       const std::string& md5_raw, uint64_t size, const CancelToken& cancel);
  // Multipart: parts of `part_size` from the file, up to `parallel` at once. `digests` is
  // DigestFile(file, stop, part_size): each part is sent with the MD5 and sha256 of that one
  // read, and the server checks them (Content-MD5, the signed x-amz-content-sha256), so a file
  // changed since is refused rather than stored under an old sha256 (breakH H4). On failure
  // the upload is aborted (where the server can).
  Result<S3Object> PutMultipart(const std::string& key, const std::string& file,
                                const FileDigests& digests, uint64_t part_size, int parallel,
                                const CancelToken& cancel);
  // Downloads into `file`. The transfer stops as soon as the body passes `listed_size`
  // (the size the listing gave): an error, and `file` is removed. `sha256`, when given,
  // receives the object's x-amz-meta-sha256 as the answer carried it ("" when none).
  Status Get(const std::string& key, const std::string& file, uint64_t listed_size,
             const CancelToken& cancel, std::string* sha256 = nullptr);
  Result<S3Object> Head(const std::string& key, const CancelToken& cancel);
  // Deletes `keys` (DeleteObjects, 1000 a request; a key XML cannot carry by its URL) and
  // says what the server confirmed. A request that fails, whose answer is not a
  // DeleteResult, or is one about other keys (a key not asked, a key both Deleted and Error)
  // stops there (`failure`); the keys of that and later batches are in neither list.
  S3DeleteOutcome Delete(const std::vector<std::string>& keys, const CancelToken& cancel);

  const S3Config& config() const { return config_; }
  // Told the bytes of object bodies sent and received as they move (parts in parallel too,
  // from their threads); a retried request counts its bytes again. Empty: nobody.
  void ReportBytes(Advance moved) { moved_ = std::move(moved); }

 private:
  std::vector<std::pair<std::string, std::string>> EncryptionHeaders() const;
  HttpResponse Call(HttpRequest req, const std::string& key, const std::string& query,
                    const std::string& payload_sha256, const CancelToken& cancel);
  Result<std::string> Start(const std::string& key, const std::string& sha256,
                            const CancelToken& cancel);
  // `expected`: the ETags that prove what was sent (the multipart ETag, md5 of the parts'
  // MD5s "-N", first; the whole object's MD5); an answer that is none of them (and is not
  // SSE-KMS/SSE-C) removes the object: an error naming the first.
  Result<S3Object> Complete(S3Object object, const std::string& upload,
                            const std::vector<std::string>& etags,
                            const std::vector<std::string>& expected, const CancelToken& cancel);
  // Aborts a multipart upload (its parts are billed until then), after a cancel or a timeout
  // too: a token of its own, one attempt of at most kAbortTimeout. Best effort: a server that
  // cannot (s3rver) leaves the parts to the bucket's lifecycle rule (docs/s3-sync.md).
  void Abort(const std::string& key, const std::string& upload);
  // Ok when a part's answer says it was stored as sent (HTTP 200, an ETag that is not another
  // MD5, the bytes sent being those digested); else why not, as an error about `what`.
  Status PartAnswer(const HttpResponse& r, const FileDigests::Part& digest, const std::string& what,
                    const std::string& key) const;
  void DeleteBatch(const std::vector<std::string>& batch, const CancelToken& cancel,
                   S3DeleteOutcome& out);
  static Status Unasked(const S3DeleteResult& result, const std::set<std::string>& asked);
  Status TakePage(const S3ListPage& page, const std::string& prefix, std::set<std::string>& keys,
                  std::vector<S3Object>& out) const;
  void DeleteOne(const std::string& key, const CancelToken& cancel, S3DeleteOutcome& out);
  // Best effort: removes an object just stored that cannot be vouched for (its ETag or the
  // bytes sent contradict what was digested), so it is never left as if it were good.
  void RemoveObject(const std::string& key, const CancelToken& cancel);
  // An upload whose answer did not vouch for it: `what` ("upload to"), its key, the sha256
  // it sent as x-amz-meta-sha256, and the ETags that would prove its bytes (lower-case hex).
  struct Upload {
    std::string what, key, sha256;
    std::vector<std::string> proofs;
  };
  // After an answer that does not vouch for `upload` (`problem`: no ETag, another MD5), what
  // the key holds decides (a HEAD): an object whose ETag is one of the proofs is returned
  // (the answer was mangled on its way: a proxy that drops ETag); one that is this upload's
  // (its sha256 metadata) but unproven is removed, never left as if it were good (breakI
  // I30); anything else is left as it was: an answer that is not S3's (a captive portal's
  // page) stored nothing, and the previous copy is still good (break22a #3: it was deleted).
  // The errors name `problem` and what was done.
  Result<S3Object> Unvouched(const Upload& upload, const std::string& problem,
                             const CancelToken& cancel);
  // "listing s3://bucket/prefix: " and what was wrong: a transport error, S3's error code,
  // or an answer that is not the expected document (`why`), with its status and type.
  std::string Where(const std::string& what, const std::string& key) const;
  Status Failure(const HttpResponse& r, const std::string& what, const std::string& key) const;
  Status Refused(const HttpResponse& r, const std::string& what, const std::string& key,
                 const Status& why) const;
  std::string Url(const std::string& key, const std::string& query) const;
  std::string Host() const;
  std::string Path(const std::string& key) const;

  S3Config config_;
  Advance moved_;
  HttpClient http_;
};

// The ETag S3 gives a multipart upload of this file with this part size:
// md5(md5(part 1) || md5(part 2) ...) + "-N".
Result<std::string> MultipartEtag(const std::string& file, uint64_t part_size);
// "8MiB", "16MB", "5242880" -> bytes; nullopt when malformed.
std::optional<uint64_t> ParseSize(const std::string& text);

// "s3://bucket/prefix" -> bucket, prefix (without a leading slash).
bool ParseS3Url(const std::string& url, std::string& bucket, std::string& prefix);

}  // namespace runbook
