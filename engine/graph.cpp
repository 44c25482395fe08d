#include "engine/graph.h"

#include <algorithm>
#include <cassert>
#include <unordered_map>
#include <unordered_set>

namespace runbook {

std::vector<int> Graph::Ancestors(int i) const {
  std::unordered_set<int> seen;
  std::vector<int> out;
  std::vector<int> todo(nodes[i].needs);
  while (!todo.empty()) {
    int n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    out.push_back(n);
    for (int d : nodes[n].needs) todo.push_back(d);
  }
  return out;
}

std::optional<std::vector<int>> FindCycle(const std::vector<std::vector<int>>& needs) {
  enum Color { kWhite, kGrey, kBlack };
  std::vector<Color> color(needs.size(), kWhite);
  std::vector<int> parent(needs.size(), -1);
  for (size_t root = 0; root < needs.size(); ++root) {
    if (color[root] != kWhite) continue;
    std::vector<std::pair<int, size_t>> stack{{static_cast<int>(root), 0}};
    color[root] = kGrey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == needs[node].size()) {
        color[node] = kBlack;
        stack.pop_back();
        continue;
      }
      int dep = needs[node][next++];
      if (color[dep] == kGrey) {  // back edge: dep ... node -> dep
        std::vector<int> path{dep};
        for (int n = node; n != dep; n = parent[n]) path.insert(path.begin() + 1, n);
        path.push_back(dep);
        return path;
      }
      if (color[dep] == kWhite) {
        color[dep] = kGrey;
        parent[dep] = node;
        stack.push_back({dep, 0});
      }
    }
  }
  return std::nullopt;
}

Graph BuildGraph(const Runbook& rb) {
  Graph g;
  g.finally_begin = rb.finally_begin;
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < rb.steps.size(); ++i) index[rb.steps[i].id] = static_cast<int>(i);
  g.nodes.resize(rb.steps.size());
  std::vector<int> indegree(rb.steps.size(), 0);
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    g.nodes[i].step = &rb.steps[i];
    for (const std::string& need : rb.steps[i].needs) {
      int d = index.at(need);
      g.nodes[i].needs.push_back(d);
      g.nodes[d].dependents.push_back(static_cast<int>(i));
      ++indegree[i];
    }
  }
  // Kahn's algorithm; the loader has rejected cycles.
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (indegree[i] == 0) g.topo.push_back(static_cast<int>(i));
  }
  for (size_t k = 0; k < g.topo.size(); ++k) {
    for (int d : g.nodes[g.topo[k]].dependents) {
      if (--indegree[d] == 0) g.topo.push_back(d);
    }
  }
  assert(g.topo.size() == g.nodes.size() && "cycle in a validated runbook");
  for (auto it = g.topo.rbegin(); it != g.topo.rend(); ++it) {
    Graph::Node& n = g.nodes[*it];
    int longest = 0;
    for (int d : n.dependents) longest = std::max(longest, g.nodes[d].priority);
    n.priority = longest + 1;
  }
  return g;
}

std::vector<std::vector<int>> Graph::Waves() const {
  std::vector<int> level(nodes.size(), 0);
  int main_levels = 0;
  for (int i : topo) {
    if (static_cast<size_t>(i) >= finally_begin) continue;
    for (int d : nodes[i].needs) level[i] = std::max(level[i], level[d] + 1);
    main_levels = std::max(main_levels, level[i] + 1);
  }
  for (int i : topo) {
    if (static_cast<size_t>(i) < finally_begin) continue;
    level[i] = main_levels;
    for (int d : nodes[i].needs) level[i] = std::max(level[i], level[d] + 1);
  }
  std::vector<std::vector<int>> waves;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (static_cast<size_t>(level[i]) >= waves.size()) waves.resize(level[i] + 1);
    waves[level[i]].push_back(static_cast<int>(i));
  }
  return waves;
}

}  // namespace runbook
