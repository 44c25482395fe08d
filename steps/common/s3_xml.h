// S3's XML: the answers S3 gives (a ListObjectsV2 page, multipart start and completion, a
// DeleteObjects result, an error) read into typed values, and the request bodies it takes
// (DeleteObjects, CompleteMultipartUpload) written out, by libxml2 (its parser and
// xmlTextWriter); the only file that includes it. References are decoded and text escaped by
// libxml2; the network, DTDs and entity substitution are off and a DOCTYPE stops the parse, so
// no DTD or external entity is ever read. Pure functions; thread-safe (errors are per parse).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

// A parse fails, never returning a partial or empty value, when the body is not the expected
// document: empty, with a DOCTYPE, not well-formed XML 1.0 as libxml2 checks it (a reference
// to NUL, a control character, a surrogate or beyond U+10FFFF, an undeclared entity, raw
// control characters, invalid UTF-8, more than one root), another root element (an HTML
// page, an <Error>), a required element missing or malformed, or a document that breaks the
// shape S3's API reference gives it (docs/s3-sync.md): an element in a namespace other than
// none or S3's; a single-valued element (<IsTruncated>, <Key>, <Size>, ...) twice under one
// parent; an element the parse reads (<Contents>, <Key>, <Deleted>, ...) anywhere but under
// its own parent, such as inside an unknown wrapper; elements that contradict each other
// (below, per document). The message is the reason
// only, "is not a ListBucketResult (not XML: Entity 'nbsp' not defined at line 1, column 9)"
// with libxml2's words; the caller adds the operation, the HTTP status and the content type.

struct S3ListedObject {
  std::string key;    // decoded (and URL-decoded under <EncodingType>url), UTF-8, not empty
  uint64_t size = 0;  // <Size>: 0 .. INT64_MAX
  std::string etag;   // <ETag> without its quotes; "" when absent
};
struct S3ListPage {                     // one ListObjectsV2 answer (ListBucketResult)
  std::vector<S3ListedObject> objects;  // no key twice
  bool is_truncated = false;            // <IsTruncated>, required, exactly "true" or "false"
  std::string next_token;  // <NextContinuationToken>: required (not empty) when truncated,
                           // refused (unless empty) when not
  // What the answer says it answers ("" when absent; the caller compares them with its
  // request): <Name> (the bucket), <Prefix> (URL-decoded under <EncodingType>url),
  // <ContinuationToken>, <MaxKeys>, <StartAfter>, <Delimiter> (URL-decoded like <Prefix>).
  std::string name, prefix, continuation_token, max_keys, start_after, delimiter;
  size_t common_prefixes = 0;  // how many <CommonPrefixes>
  std::string v1_marker;       // "Marker" or "NextMarker" when the page has one (ListObjects V1)
  bool key_count = false;      // whether <KeyCount> (V2 only) is there
};  // <KeyCount>, when present, must equal the number of <Contents> and <CommonPrefixes>
Result<S3ListPage> ParseListPage(const std::string& body);
// InitiateMultipartUploadResult -> its <UploadId> (not empty).
Result<std::string> ParseInitiateMultipart(const std::string& body);
// CompleteMultipartUploadResult -> its <ETag> without quotes. S3 may answer 200 with an
// <Error> document here: that is a failure naming S3's code.
Result<std::string> ParseCompleteMultipart(const std::string& body);

struct S3DeleteError {
  std::string key, code, message;
};
struct S3DeleteResult {  // DeleteResult: one <Deleted> or <Error> per key (Quiet=false);
                         // a key named twice (Deleted and Error, or twice alike) is refused
  std::vector<std::string> deleted;
  std::vector<S3DeleteError> errors;
};
Result<S3DeleteResult> ParseDeleteResult(const std::string& body);

struct S3Error {  // <Error><Code>NoSuchBucket</Code><Message>...</Message></Error>
  std::string code, message;
};
Result<S3Error> ParseError(const std::string& body);

// Whether `key` can go in a DeleteObjects batch: valid UTF-8 of XML 1.0 characters (no
// control character other than tab, LF and CR, no U+FFFE/U+FFFF) and no CR: the body carries
// a CR as &#13;, but a server may answer it raw (s3rver does), which every XML reader turns
// into LF, so DeleteResult could not confirm it. Such keys are deleted by their URL.
bool XmlCanCarry(const std::string& key);
// <Delete><Quiet>false</Quiet><Object><Key>k</Key></Object>...</Delete>, escaped by
// xmlTextWriter (& < > " and CR as &#13;). Precondition: each key is UTF-8 of XML 1.0
// characters (XmlCanCarry, or a CR).
std::string DeleteObjectsBody(const std::vector<std::string>& keys);
// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>...;
// etags[i] is part i + 1's ETag as the server sent it.
std::string CompleteMultipartBody(const std::vector<std::string>& etags);

// Decimal digits only (no sign, space or exponent), 0 .. INT64_MAX; nullopt otherwise. For
// every number a server sends (<Size>, Content-Length): outputs carry sizes as int64.
std::optional<uint64_t> ParseDecimal(std::string_view text);

// An ETag as S3 gives it in a header or an XML element, `"hex"`, without its quotes (S3's
// API reference: the value is quoted); any other text as it is.
std::string UnquoteEtag(std::string etag);

}  // namespace runbook
