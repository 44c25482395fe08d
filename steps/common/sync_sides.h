// The two kinds of side s3-sync moves between: a local folder and an S3 prefix. Listing,
// one transfer in each direction (verified before it counts), deletion.
#pragma once

#include <string>
#include <vector>

#include "steps/common/s3.h"
#include "steps/common/sync_plan.h"

namespace runbook {

struct SyncSide {
  bool is_s3 = false;
  std::string root;    // local folder, or the key prefix ("" or ending in '/')
  std::string bucket;  // S3 only
  std::string Describe() const { return is_s3 ? "s3://" + bucket + "/" + root : root; }
};

SyncSide ParseSide(const std::string& spec);

// Regular files under the folder (recursively), selected by include/exclude. A missing
// folder is an empty side only when `may_be_missing` (a destination).
Result<std::vector<SyncEntry>> ListLocal(const SyncSide& side,
                                         const std::vector<std::string>& include,
                                         const std::vector<std::string>& exclude,
                                         bool may_be_missing);
Result<std::vector<SyncEntry>> ListS3(S3Client& s3, const SyncSide& side,
                                      const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude,
                                      const CancelToken& cancel);

// Fills in a local entry's sha256 and md5 (hashing the file once).
Status DigestLocal(const SyncSide& side, SyncEntry& e);

struct UploadOptions {
  uint64_t multipart_threshold = 8u << 20;  // single PUT below, multipart from here
  uint64_t part_size = 8u << 20;
  int parallel = 8;                 // parts at once
  bool require_encryption = false;  // the server must confirm SSE for each object
};

// One transfer; on success `out` describes the object as it now is at the destination.
Status Upload(S3Client& s3, const SyncSide& from, const SyncSide& to, SyncEntry& e,
              const UploadOptions& options, const CancelToken& cancel, SyncEntry& out);
Status Download(S3Client& s3, const SyncSide& from, const SyncSide& to, const SyncEntry& e,
                const CancelToken& cancel, SyncEntry& out);
Status CopyLocal(const SyncSide& from, const SyncSide& to, SyncEntry& e, SyncEntry& out);

}  // namespace runbook
