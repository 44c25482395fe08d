// What s3-sync decides, separate from how it talks to either side: given the source and
// destination listings, which paths to transfer, skip or delete. The content rule is in
// docs/s3-sync.md: equal size is never enough; content must match by MD5 ETag, by the
// sha256 kept as metadata, or by hashing both sides (local to local).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "steps/common/safe_path.h"

namespace runbook {

struct SyncEntry {
  std::string rel;  // path relative to the side's root, '/'-separated
  uint64_t size = 0;
  std::string etag;    // S3 only
  std::string sha256;  // when known
  std::string md5;     // local only, when computed
  // A local source's file as its listing vetted it: how it is reached and which file it was
  // (checked again when it is opened for the transfer; identity only when links are on the way).
  Reach reach = Reach::kNoLink;
  FileId id;
  std::string unverified;  // a download kept though nothing proved it: why ("" when proved)
};

struct SyncDecision {
  std::vector<std::string> transfer;  // rel paths
  std::vector<std::string> skip;
  std::vector<std::string> remove;  // present only at the destination
};

// `same(src, dst)` says whether two entries of equal size hold the same content.
SyncDecision DecideSync(const std::vector<SyncEntry>& source, const std::vector<SyncEntry>& dest,
                        const std::function<bool(const SyncEntry&, const SyncEntry&)>& same);

// An ETag that is the MD5 of the content (single-part, unencrypted or SSE-S3).
bool IsMd5Etag(const std::string& etag);

// "50%" of `total` (rounded down), or a plain count: digits only (a count up to 2^64-1, a
// percent from 0 to 100). nullopt when `spec` is anything else; never throws or overflows.
std::optional<uint64_t> DeleteLimit(const std::string& spec, uint64_t total);

// Relative paths matched by include/exclude globs (fnmatch, '*' crosses '/'): included
// when `include` is empty or one matches, and no `exclude` matches.
bool Selected(const std::string& rel, const std::vector<std::string>& include,
              const std::vector<std::string>& exclude);

}  // namespace runbook
