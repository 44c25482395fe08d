// The run-scoped resources of one run (engine/plugin/resource.h), by the step that kept
// them. Keep() is called from attempt threads; the rest from the executor's loop thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph.h"
#include "engine/plugin/resource.h"

namespace runbook {

class RunResources {
 public:
  RunResources() = default;
  RunResources(const RunResources&) = delete;
  RunResources& operator=(const RunResources&) = delete;
  ~RunResources();  // stops what StopAll did not

  void Keep(int owner, std::unique_ptr<RunResource> resource);
  // Why step `step` cannot start: a resource kept by a step it needs, directly or through
  // others, is no longer usable. "" when there is none.
  std::string FailureAbove(int step, const Graph& graph);
  // Stops every resource, newest first, telling `report` (owner, name, what happened).
  void StopAll(const std::function<void(int, const std::string&, const std::string&)>& report);

 private:
  std::mutex mu_;
  std::vector<std::pair<int, std::unique_ptr<RunResource>>> kept_;
};

}  // namespace runbook
