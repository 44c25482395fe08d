#include "engine/model.h"

namespace runbook {

const StepDecl* Runbook::FindStep(const std::string& id) const {
  for (const StepDecl& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace runbook
