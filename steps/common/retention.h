// Retention of dumps: among the `.sqlite.gz` files of a folder whose metadata names the
// same source database, keep the newest `keep_last` and those younger than `keep_days`.
// A dump without readable metadata is never deleted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/clock.h"

namespace runbook {

struct RetentionPolicy {
  std::optional<int> keep_last;
  std::optional<int> keep_days;
};

// Deletes what the policy lets go (dump and metadata) and returns the dumps removed.
// `keep` (the dump just written) is always kept.
std::vector<std::string> ApplyRetention(const std::string& dir, const std::string& source,
                                        const std::string& keep, const RetentionPolicy& policy,
                                        Clock::Wall now);

}  // namespace runbook
