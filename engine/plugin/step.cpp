#include "engine/plugin/step.h"

#include <filesystem>

namespace runbook {

const char* AttemptStatusName(AttemptStatus status) {
  switch (status) {
    case AttemptStatus::kSuccess:
      return "success";
    case AttemptStatus::kFailure:
      return "failure";
    case AttemptStatus::kTimeout:
      return "timeout";
    case AttemptStatus::kCancelled:
      return "cancelled";
  }
  return "?";
}

AttemptResult AttemptResult::Success(Value::Map outputs) {
  AttemptResult r;
  r.status = AttemptStatus::kSuccess;
  r.outputs = std::move(outputs);
  return r;
}

AttemptResult AttemptResult::Failure(std::string error) {
  AttemptResult r;
  r.status = AttemptStatus::kFailure;
  r.error = std::move(error);
  return r;
}

Loc ConfigParam::LocOf(const std::string& pointer) const {
  if (locate)
    for (std::string at = pointer; !at.empty(); at.erase(at.rfind('/')))
      if (std::optional<Loc> found = locate(at)) return *found;
  return loc;
}

const ConfigParam* ConfigureView::Find(const std::string& name) const {
  if (spec_ && !spec_->FindParam(name))
    throw ParamError{"parameter '" + name + "' is not declared by the spec"};
  for (const ConfigParam& p : params_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void StepType::Configure(const ConfigureView&, ConfigureReport&) const {}

bool StepContext::ReadElsewhere(const std::string& path) const {
  if (read_elsewhere == nullptr) return false;
  std::error_code ec;
  std::filesystem::path mine = std::filesystem::absolute(path, ec).lexically_normal();
  for (const std::string& other : *read_elsewhere) {
    std::error_code same;
    if (mine == std::filesystem::path(other).lexically_normal() ||
        std::filesystem::equivalent(path, other, same))
      return true;
  }
  return false;
}

}  // namespace runbook
