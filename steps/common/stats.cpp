#include "steps/common/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace runbook {

double NearestRank(const std::vector<double>& sorted, double p) {
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  size_t index = static_cast<size_t>(std::max(1.0, rank)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = NearestRank(samples, 50);
  s.p95 = NearestRank(samples, 95);
  s.p99 = NearestRank(samples, 99);
  return s;
}

}  // namespace runbook
