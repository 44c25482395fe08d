// Latency statistics for synthetic checks: nearest-rank percentiles (the value at rank
// ceil(p/100 * n) of the sorted samples; no interpolation, so every reported figure is a
// latency that was measured). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace runbook {

struct LatencySummary {
  size_t count = 0;
  double min = 0, mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};

// The nearest-rank `p`th percentile (0 < p <= 100) of `sorted` (ascending, non-empty).
double NearestRank(const std::vector<double>& sorted, double p);
// All figures of `samples` (any order); zeros when there are none.
LatencySummary Summarize(std::vector<double> samples);

}  // namespace runbook
