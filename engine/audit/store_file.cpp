#include "engine/audit/store_file.h"

#include <cstring>

#include "engine/util/sqlite.h"

namespace runbook {
namespace {

constexpr int kHeaderBytes = 100;
constexpr char kMagic[] = "SQLite format 3";  // and its terminating NUL: 16 bytes

uint32_t BigEndian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

std::string Describe(const StoreFileFacts& f) {
  if (!f.sqlite) return "not an SQLite database now";
  return "an SQLite database with page size " + std::to_string(f.page_size) +
         " and application id " + std::to_string(f.application_id);
}

}  // namespace

Result<StoreFileFacts> ReadStoreFile(Db& db) {
  unsigned char h[kHeaderBytes] = {};
  auto size = db.MainFileHead(h, kHeaderBytes);
  if (!size.ok()) return size.status();
  StoreFileFacts f;
  f.size = size.value();
  if (f.size < kHeaderBytes) return f;
  f.sqlite = std::memcmp(h, kMagic, sizeof kMagic) == 0;
  f.page_size = BigEndian(h + 16, 2);
  if (f.page_size == 1) f.page_size = 65536;
  f.application_id = static_cast<int32_t>(BigEndian(h + 68, 4));
  return f;
}

Status SameStoreFile(const StoreFileFacts& before, const StoreFileFacts& now) {
  if (now.size < before.size) {
    return Status::Error("truncated in place (from " + std::to_string(before.size) + " to " +
                         std::to_string(now.size) + " bytes)");
  }
  bool id_ok = now.application_id == before.application_id ||
               (before.application_id == 0 && now.application_id == kAuditApplicationId);
  if (now.sqlite != before.sqlite || now.page_size != before.page_size || !id_ok) {
    return Status::Error("overwritten in place (" + Describe(now) + ", was " + Describe(before) +
                         ")");
  }
  return Status::Ok();
}

}  // namespace runbook
