#include "engine/plugin/registry.h"

#include <algorithm>

namespace runbook {

void StepRegistry::Add(std::unique_ptr<StepType> type) {
  types_.push_back(std::move(type));
  std::sort(types_.begin(), types_.end(),
            [](const auto& a, const auto& b) { return a->spec().type < b->spec().type; });
}

const StepType* StepRegistry::Find(const std::string& name) const {
  for (const auto& t : types_) {
    if (t->spec().type == name) return t.get();
  }
  return nullptr;
}

std::vector<std::string> StepRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& t : types_) names.push_back(t->spec().type);
  return names;
}

std::vector<const StepType*> StepRegistry::All() const {
  std::vector<const StepType*> all;
  for (const auto& t : types_) all.push_back(t.get());
  return all;
}

std::vector<StepFactory>& BuiltinStepFactories() {
  static std::vector<StepFactory> factories;
  return factories;
}

StepRegistry MakeBuiltinRegistry() {
  StepRegistry registry;
  for (StepFactory factory : BuiltinStepFactories()) registry.Add(factory());
  return registry;
}

}  // namespace runbook
