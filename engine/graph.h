// The step graph: dense ids, dependency and dependent lists, a topological order and each
// step's critical-path priority. Built once from a validated runbook and immutable after;
// per-run state lives in the plan. Thread-safe to read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/model.h"

namespace runbook {

struct Graph {
  struct Node {
    const StepDecl* step = nullptr;
    std::vector<int> needs;
    std::vector<int> dependents;
    int priority = 0;  // steps on the longest chain from here to the end, this one included
  };
  std::vector<Node> nodes;  // same order as Runbook::steps
  std::vector<int> topo;    // dependencies before dependents
  size_t finally_begin = 0;

  // Execution waves: each step in the wave after the last of its needs (finally steps
  // after every main step). For plan output.
  std::vector<std::vector<int>> Waves() const;
  // The steps `i` needs, directly or through others, each once, in no particular order.
  // Time and memory in the number of ancestors, not of nodes (called once per step).
  std::vector<int> Ancestors(int i) const;
};

// A cycle in `needs` (indices), as the path a -> b -> ... -> a, or nullopt. Iterative, so
// deep chains do not exhaust the stack.
std::optional<std::vector<int>> FindCycle(const std::vector<std::vector<int>>& needs);

// Precondition: the runbook passed validation (unique ids, known needs, no cycle).
Graph BuildGraph(const Runbook& rb);

}  // namespace runbook
