#include "engine/plugin/spec.h"

#include <utility>

namespace runbook {

namespace {
const std::pair<const char*, ParamType> kNamedTypes[] = {{"string", ParamType::kString},
                                                         {"integer", ParamType::kInteger},
                                                         {"number", ParamType::kNumber},
                                                         {"boolean", ParamType::kBoolean},
                                                         {"duration", ParamType::kDuration},
                                                         {"list", ParamType::kList},
                                                         {"map", ParamType::kMap}};
}  // namespace

std::optional<ParamType> ParamTypeNamed(std::string_view name) {
  for (const auto& [n, t] : kNamedTypes)
    if (name == n) return t;
  return std::nullopt;
}

const char* ParamTypeNames() { return "string, integer, number, boolean, duration, list, map"; }

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBoolean:
      return "boolean";
    case ParamType::kDuration:
      return "duration";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kStringMap:
      return "mapping of strings";
    case ParamType::kList:
      return "list";
    case ParamType::kMap:
      return "mapping";
    case ParamType::kAny:
    case ParamType::kValue:
      return "any";
  }
  return "?";
}

const char* PathRoleName(PathRole role) {
  switch (role) {
    case PathRole::kNone:
      return "";
    case PathRole::kWritesFile:
      return "writes this file";
    case PathRole::kWritesInside:
      return "writes inside this folder";
    case PathRole::kWritesIn:
      return "writes files in this folder";
    case PathRole::kGuards:
      return "guards this path";
    case PathRole::kReads:
      return "reads this file";
  }
  return "?";
}

const char* SideEffectsName(SideEffects effects) {
  switch (effects) {
    case SideEffects::kNone:
      return "none";
    case SideEffects::kRead:
      return "read";
    case SideEffects::kWrite:
      return "write";
    case SideEffects::kDestructive:
      return "destructive";
  }
  return "?";
}

const ParamSpec* StepSpec::FindParam(const std::string& name) const {
  for (const ParamSpec& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const OutputSpec* StepSpec::FindOutput(const std::string& name) const {
  for (const OutputSpec& o : outputs) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace runbook
