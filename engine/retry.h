// The retry policy as pure functions: whether an attempt is retried and how long to wait.
// Thread-safe.
#pragma once

#include "engine/model.h"
#include "engine/plugin/step.h"

namespace runbook {

// After attempt number `attempt` (1-based) ended with `result`.
bool ShouldRetry(const RetryPolicy& policy, const AttemptResult& result, int attempt);

// The wait before attempt `attempt + 1`. `unit` in [0, 1) draws the jitter: with jitter
// the wait is uniformly spread over [d/2, d) ("equal jitter"), so retries of many runs do
// not align.
Millis BackoffDelay(const RetryPolicy& policy, int attempt, double unit);

}  // namespace runbook
