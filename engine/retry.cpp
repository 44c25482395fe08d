#include "engine/retry.h"

#include <algorithm>
#include <cmath>

namespace runbook {

bool ShouldRetry(const RetryPolicy& policy, const AttemptResult& result, int attempt) {
  if (attempt >= policy.max_attempts) return false;
  switch (result.status) {
    case AttemptStatus::kSuccess:
    case AttemptStatus::kCancelled:
      return false;
    case AttemptStatus::kTimeout:
      return policy.on_timeout;
    case AttemptStatus::kFailure:
      if (!policy.on_failure) return false;
      if (policy.exit_codes.empty()) return true;
      return result.exit_code && std::find(policy.exit_codes.begin(), policy.exit_codes.end(),
                                           *result.exit_code) != policy.exit_codes.end();
  }
  return false;
}

Millis BackoffDelay(const RetryPolicy& policy, int attempt, double unit) {
  double ms = static_cast<double>(policy.delay.count());
  if (policy.backoff == Backoff::kExponential) {
    ms *= std::pow(2.0, std::min(attempt - 1, 40));
  }
  ms = std::min(ms, static_cast<double>(std::max(policy.max_delay, policy.delay).count()));
  if (policy.jitter) ms = ms / 2 + ms / 2 * unit;
  return Millis(static_cast<long long>(ms));
}

}  // namespace runbook
