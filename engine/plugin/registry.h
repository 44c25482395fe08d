// StepRegistry: the step types one program knows, built by main (or a test) as an
// instance; there is no global registry. Built-in step files add a factory to
// BuiltinStepFactories() from a static initializer; main turns that list into a registry.
// Not thread-safe while being filled; read-only use is.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/plugin/step.h"

namespace runbook {

class StepRegistry {
 public:
  void Add(std::unique_ptr<StepType> type);
  const StepType* Find(const std::string& name) const;
  std::vector<std::string> Names() const;    // sorted
  std::vector<const StepType*> All() const;  // sorted by name

 private:
  std::vector<std::unique_ptr<StepType>> types_;
};

using StepFactory = std::unique_ptr<StepType> (*)();

// The factories registered by the files in steps/ (a function-local list, filled during
// static initialisation, read by main).
std::vector<StepFactory>& BuiltinStepFactories();

struct RegisterStep {
  explicit RegisterStep(StepFactory factory) { BuiltinStepFactories().push_back(factory); }
};

// A registry holding every built-in step type.
StepRegistry MakeBuiltinRegistry();

}  // namespace runbook
