#include "serve/listing_cache.h"

#include <sys/stat.h>

namespace runbook {
namespace {

// "size:mtime_ns" of `path`, "-" when it does not exist.
std::string FileState(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "-";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

Result<std::string> ListingCache::KeyOf(AuditStore& store) {
  auto tip = store.Tip();
  if (!tip.ok()) return tip.status();
  return std::to_string(tip.value().first) + " " + tip.value().second + " " +
         FileState(store.path()) + " " + FileState(store.path() + "-wal");
}

Result<std::map<std::string, BackupSummary>> ListingCache::Backups(AuditStore& store,
                                                                   const StepRegistry& registry) {
  auto key = KeyOf(store);
  if (!key.ok()) return key.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (backups_ && key.value() == backups_key_) return *backups_;
  auto dumps = ReadBackupCatalog(store, registry, "");
  if (!dumps.ok()) return dumps.status();
  backups_key_ = key.value();
  backups_ = SummarizeCatalog(dumps.value(), std::chrono::system_clock::now());
  return *backups_;
}

Result<RunListing> ListingCache::Every(AuditStore& store) {
  auto keyed = KeyOf(store);
  if (!keyed.ok()) return keyed.status();
  const std::string& key = keyed.value();
  std::lock_guard<std::mutex> lock(mu_);
  if (listing_ && key == key_) return *listing_;
  auto listing = ListRuns(store, "", 100000);
  if (!listing.ok()) return listing.status();
  key_ = key;
  listing_ = listing.value();
  return listing;
}

Result<RunListing> ListingCache::Page(AuditStore& store, const std::string& runbook, int limit) {
  auto keyed = KeyOf(store);
  if (!keyed.ok()) return keyed.status();
  const std::string key = keyed.value() + "\n" + runbook + "\n" + std::to_string(limit);
  std::lock_guard<std::mutex> lock(mu_);
  if (page_ && key == page_key_) return *page_;
  auto listing = ListRuns(store, runbook, limit);
  if (!listing.ok()) return listing.status();
  page_key_ = key;
  page_ = listing.value();
  return listing;
}

}  // namespace runbook
