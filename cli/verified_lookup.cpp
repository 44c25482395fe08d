#include "cli/verified_lookup.h"

#include <filesystem>

namespace runbook {

VerifiedLookup::VerifiedLookup(std::string store_path, const StepRegistry& registry)
    : store_path_(std::move(store_path)), registry_(registry) {}

void VerifiedLookup::Load() {
  if (verified_) return;
  verified_.emplace();
  if (store_path_.empty()) {
    state_ = {"no audit store", false};
    return;
  }
  auto store = AuditStore::OpenExisting(store_path_);
  if (!store.ok()) {
    // None yet (the store's first run): nothing was ever verified there.
    std::error_code ec;
    bool none = !std::filesystem::exists(store_path_, ec);
    state_ = {
        none ? "the audit store " + store_path_ + " does not exist yet"
             : "the audit store " + store_path_ + " cannot be read: " + store.status().message(),
        !none};
    return;
  }
  if (std::string altered = CatalogStoreProblem(*store.value()); !altered.empty()) {
    state_ = {"the audit store " + store_path_ + " was altered (" + altered +
                  "): what it says was verified cannot be believed",
              true};
    return;
  }
  auto found = VerifiedDumps(*store.value(), registry_);
  if (!found.ok()) {
    state_ = {"the audit store " + store_path_ + " cannot be read: " + found.status().message(),
              true};
    return;
  }
  verified_ = std::move(found.value());
  if (verified_->empty())
    state_ = {"no passed integrity check is recorded in the audit store " + store_path_, false};
}

VerifiedState VerifiedLookup::State() {
  std::lock_guard<std::mutex> lock(mu_);
  Load();
  return state_;
}

std::string VerifiedLookup::VerifiedBy(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  Load();
  auto it = verified_->find(sha256);
  if (it == verified_->end()) return "";
  const CatalogMention& m = it->second;
  return "step " + m.step + " of run " + m.run_id + " (" + m.runbook +
         (m.kind.empty() ? "" : ", " + m.kind) + ") at " + m.at;
}

}  // namespace runbook
