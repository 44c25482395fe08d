// AWS Signature Version 4, written out with OpenSSL's HMAC (libcurl 7.88's built-in signer
// mishandles S3: see ../shared/notes/dependencies.md). Proven against AWS's published test
// suite and the S3 API reference's worked examples (tests/steps/sigv4_test.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace runbook {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as X-Amz-Security-Token when set
};

struct SigV4Request {
  std::string method;
  std::string path;   // decoded ("/my bucket/a b.txt"); the signer encodes it
  std::string query;  // as sent ("list-type=2&prefix=a%2Fb"); decoded, re-encoded, sorted
  std::vector<std::pair<std::string, std::string>> headers;  // must include host, x-amz-date
  std::string payload_sha256;                                // hex, or "UNSIGNED-PAYLOAD"
};

struct SigV4Scope {
  std::string region;
  std::string service;  // "s3"
};

// S3 signs the path encoded once and as is; other services normalise "." and ".." and
// repeated slashes first (RFC 3986) and encode the result.
enum class PathStyle { kS3, kNormalized };

std::string UriEncode(const std::string& s, bool keep_slash);
std::string UriDecode(const std::string& s);

std::string CanonicalRequest(const SigV4Request& req, PathStyle style);
// The signed header names, lowercase, sorted, ';'-joined.
std::string SignedHeaders(const SigV4Request& req);
std::string StringToSign(const std::string& canonical_request, const std::string& amz_date,
                         const SigV4Scope& scope);
std::string Signature(const std::string& string_to_sign, const std::string& secret_key,
                      const std::string& amz_date, const SigV4Scope& scope);
// "AWS4-HMAC-SHA256 Credential=.../scope, SignedHeaders=..., Signature=..."; amz_date is
// the request's X-Amz-Date ("20150830T123600Z").
std::string Authorization(const SigV4Request& req, const SigV4Credentials& creds,
                          const std::string& amz_date, const SigV4Scope& scope, PathStyle style);

}  // namespace runbook
