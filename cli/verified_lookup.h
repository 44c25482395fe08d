// Which dumps the audit store records as verified (engine/audit/backup_catalog.h
// VerifiedDumps), for a run's steps (StepContext::verified_by: retention keeps the newest
// verified dump). Read once, at the first question, on a connection of its own (steps run on
// threads of their own); a store that cannot be read answers "" (nothing known verified:
// retention then keeps what its counts keep, and says nothing is known verified).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/audit/backup_catalog.h"
#include "engine/plugin/registry.h"
#include "engine/plugin/step.h"

namespace runbook {

class VerifiedLookup {
 public:
  // `store_path`: the store's file ("" none); `registry` outlives this.
  VerifiedLookup(std::string store_path, const StepRegistry& registry);
  // "step S of run R (RUNBOOK, KIND) at T", or "" when no passed check proved these bytes.
  std::string VerifiedBy(const std::string& sha256);
  // What VerifiedBy rests on (StepContext::verified_state): the store missing, unreadable or
  // altered (its chain breaks: hold), or holding no passed check.
  VerifiedState State();

 private:
  void Load();  // under mu_
  VerifiedState state_;
  std::string store_path_;
  const StepRegistry& registry_;
  std::mutex mu_;
  std::optional<std::map<std::string, CatalogMention>> verified_;
};

}  // namespace runbook
