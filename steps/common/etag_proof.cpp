#include "steps/common/etag_proof.h"

#include <algorithm>
#include <vector>

#include "steps/common/s3.h"
#include "steps/common/s3_xml.h"
#include "steps/common/sync_plan.h"

namespace runbook {
namespace {

constexpr uint64_t kMiB = 1u << 20;
constexpr int kMaxTries = 4;

// Part sizes to try for `size` bytes in `parts` parts, `preferred` first, each once.
std::vector<uint64_t> Candidates(uint64_t size, uint64_t parts, uint64_t preferred) {
  uint64_t split = (size + parts - 1) / parts;
  std::vector<uint64_t> all = {preferred, 8 * kMiB,  5 * kMiB,   15 * kMiB,
                               16 * kMiB, 64 * kMiB, 100 * kMiB, (split + kMiB - 1) / kMiB * kMiB};
  std::vector<uint64_t> out;
  for (uint64_t p : all) {
    bool fits = p > 0 && (size + p - 1) / p == parts;
    if (fits && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  if (out.size() > kMaxTries) out.resize(kMaxTries);
  return out;
}

}  // namespace

bool IsMultipartEtag(const std::string& etag) {
  return etag.size() > 33 && IsMd5Etag(etag.substr(0, 32)) && etag[32] == '-' &&
         ParseDecimal(std::string_view(etag).substr(33)).has_value();
}

std::optional<uint64_t> MultipartPartSize(const std::string& file, uint64_t size,
                                          const std::string& etag, uint64_t preferred) {
  if (!IsMultipartEtag(etag)) return std::nullopt;
  uint64_t parts = *ParseDecimal(std::string_view(etag).substr(33));
  if (parts == 0 || parts > 10000) return std::nullopt;  // S3's limit on parts
  for (uint64_t p : Candidates(size, parts, preferred)) {
    auto mine = MultipartEtag(file, p);
    if (mine.ok() && mine.value() == etag) return p;
  }
  return std::nullopt;
}

}  // namespace runbook
