#include "engine/run_resources.h"

#include <algorithm>
#include <unordered_set>

namespace runbook {

RunResources::~RunResources() {
  StopAll([](int, const std::string&, const std::string&) {});
}

void RunResources::Keep(int owner, std::unique_ptr<RunResource> resource) {
  std::lock_guard<std::mutex> lock(mu_);
  kept_.emplace_back(owner, std::move(resource));
}

std::string RunResources::FailureAbove(int step, const Graph& graph) {
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_.empty()) return "";
  std::vector<int> above = graph.Ancestors(step);
  std::unordered_set<int> seen(above.begin(), above.end());
  for (auto& [owner, resource] : kept_) {
    if (seen.count(owner) == 0) continue;
    std::string why = resource->Failure();
    if (!why.empty()) return resource->Name() + " is no longer running: " + why;
  }
  return "";
}

void RunResources::StopAll(
    const std::function<void(int, const std::string&, const std::string&)>& report) {
  std::vector<std::pair<int, std::unique_ptr<RunResource>>> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    kept.swap(kept_);
  }
  std::reverse(kept.begin(), kept.end());
  for (auto& [owner, resource] : kept) report(owner, resource->Name(), resource->Stop());
}

}  // namespace runbook
