#include "engine/model.h"

namespace runbook {

void Runbook::IndexSteps() {
  step_index.clear();
  for (size_t i = 0; i < steps.size(); ++i) step_index.emplace(steps[i].id, i);
}

const ParamSpec* Runbook::FindParam(const std::string& param) const {
  for (const ParamSpec& p : params)
    if (p.name == param) return &p;
  return nullptr;
}

const StepDecl* Runbook::FindStep(const std::string& id) const {
  if (step_index.empty()) {  // a hand-built runbook (tests) that was never indexed
    for (const StepDecl& s : steps)
      if (s.id == id) return &s;
    return nullptr;
  }
  auto it = step_index.find(id);
  return it == step_index.end() ? nullptr : &steps[it->second];
}

bool StepDecl::Idempotent() const {
  if (idempotent) return *idempotent;
  return type != nullptr && type->spec().idempotent;
}

bool StepDecl::Idempotent(const Value& params) const {
  if (idempotent) return *idempotent;
  return type != nullptr && type->Idempotent(params);
}

const TNode* StepDecl::With(const std::string& param) const {
  for (const auto& [key, node] : with.entries)
    if (key == param) return &node;
  return nullptr;
}

}  // namespace runbook
