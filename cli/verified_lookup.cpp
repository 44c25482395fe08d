#include "cli/verified_lookup.h"

namespace runbook {

VerifiedLookup::VerifiedLookup(std::string store_path, const StepRegistry& registry)
    : store_path_(std::move(store_path)), registry_(registry) {}

std::string VerifiedLookup::VerifiedBy(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!verified_) {
    verified_.emplace();
    if (!store_path_.empty())
      if (auto store = AuditStore::OpenExisting(store_path_); store.ok())
        if (auto found = VerifiedDumps(*store.value(), registry_); found.ok())
          verified_ = std::move(found.value());
  }
  auto it = verified_->find(sha256);
  if (it == verified_->end()) return "";
  const CatalogMention& m = it->second;
  return "step " + m.step + " of run " + m.run_id + " (" + m.runbook +
         (m.kind.empty() ? "" : ", " + m.kind) + ") at " + m.at;
}

}  // namespace runbook
