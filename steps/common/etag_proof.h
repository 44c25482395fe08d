// Proving that a local file holds an S3 object's bytes from the object's ETag. A plain ETag
// is the MD5 of the object (a single PUT; SSE-S3). A multipart ETag, "<MD5 of the parts'
// MD5s>-N", proves it only with the part size the uploader used, which S3 does not record,
// so the part sizes tools use are tried (the approach of s3etag-style checkers; AWS's
// "Checking object integrity" documents the form). docs/s3-sync.md, "Checking what came down".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace runbook {

// Whether `etag` (unquoted) has the multipart form: 32 hex digits, '-', a part count.
bool IsMultipartEtag(const std::string& etag);

// The part size (bytes) with which `file` (`size` bytes, readable by path, /proc/self/fd/N
// included) has the multipart `etag`. Tried in order, only those giving the ETag's part
// count, at most four (each try reads the file once): `preferred` (the step's part_size),
// then 8 MiB (aws-cli), 5 MiB (S3's minimum, rclone), 15 MiB (s3cmd), 16, 64, 100 MiB and
// the size split into N parts rounded up to a MiB. nullopt when none gives the ETag: the file
// is not the object, or was sent with a part size not tried (the two cannot be told apart).
std::optional<uint64_t> MultipartPartSize(const std::string& file, uint64_t size,
                                          const std::string& etag, uint64_t preferred);

}  // namespace runbook
