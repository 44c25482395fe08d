// S3's XML: the answers S3 gives (a ListObjectsV2 page, multipart start and completion, a
// DeleteObjects result, an error) read into typed values, and the request bodies it takes
// (DeleteObjects, CompleteMultipartUpload) written out. The only file that includes pugixml.
// Character references are decoded to UTF-8 and text is escaped by the library; a DOCTYPE is
// refused, so no DTD or external entity is ever read. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

// A parse fails, never returning a partial or empty value, when the body is not the expected
// document: empty, not well-formed XML (with a DOCTYPE, a reference to NUL, a surrogate or an
// undeclared entity, raw control characters, invalid UTF-8, more than one root), another root
// element (an HTML page, an <Error>), a required element missing or malformed. The message
// is the reason only, "is not a ListBucketResult (the root element is <html>)"; the caller
// adds the operation, the HTTP status and the content type.

struct S3ListedObject {
  std::string key;    // decoded, valid UTF-8, not empty
  uint64_t size = 0;  // <Size>: 0 .. INT64_MAX
  std::string etag;   // <ETag> without its quotes; "" when absent
};
struct S3ListPage {  // one ListObjectsV2 answer (ListBucketResult)
  std::vector<S3ListedObject> objects;
  bool is_truncated = false;  // <IsTruncated>, required, exactly "true" or "false"
  std::string next_token;     // <NextContinuationToken>, required when truncated
};
Result<S3ListPage> ParseListPage(const std::string& body);
// InitiateMultipartUploadResult -> its <UploadId> (not empty).
Result<std::string> ParseInitiateMultipart(const std::string& body);
// CompleteMultipartUploadResult -> its <ETag> without quotes. S3 may answer 200 with an
// <Error> document here: that is a failure naming S3's code.
Result<std::string> ParseCompleteMultipart(const std::string& body);

struct S3DeleteError {
  std::string key, code, message;
};
struct S3DeleteResult {  // DeleteResult: one <Deleted> or <Error> per key (Quiet=false)
  std::vector<std::string> deleted;
  std::vector<S3DeleteError> errors;
};
Result<S3DeleteResult> ParseDeleteResult(const std::string& body);

struct S3Error {  // <Error><Code>NoSuchBucket</Code><Message>...</Message></Error>
  std::string code, message;
};
Result<S3Error> ParseError(const std::string& body);

// Whether a DeleteObjects body can carry `key`: valid UTF-8 without control characters
// other than tab and newline (an XML reader turns a raw CR into LF, and the library writes
// CR raw, so such a key would name another object; delete it by its URL instead).
bool XmlCanCarry(const std::string& key);
// <Delete><Quiet>false</Quiet><Object><Key>k</Key></Object>...</Delete>, escaped by the
// library. Precondition: XmlCanCarry(key) for every key.
std::string DeleteObjectsBody(const std::vector<std::string>& keys);
// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>...;
// etags[i] is part i + 1's ETag as the server sent it.
std::string CompleteMultipartBody(const std::vector<std::string>& etags);

// Decimal digits only (no sign, space or exponent), 0 .. INT64_MAX; nullopt otherwise. For
// every number a server sends (<Size>, Content-Length): outputs carry sizes as int64.
std::optional<uint64_t> ParseDecimal(std::string_view text);

}  // namespace runbook
