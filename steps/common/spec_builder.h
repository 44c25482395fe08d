// Short spelling for step specs: Param("dest", ParamType::kString, "...").Required().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/plugin/spec.h"
#include "engine/util/duration.h"

namespace runbook {

struct Param : ParamSpec {
  Param(std::string n, ParamType t, std::string d) {
    name = std::move(n);
    type = t;
    doc = std::move(d);
  }
  Param& Required() {
    required = true;
    return *this;
  }
  Param& Default(Value v) {
    default_value = std::move(v);
    return *this;
  }
  Param& Enum(std::vector<std::string> values) {
    enum_values = std::move(values);
    return *this;
  }
  Param& Min(double v) {
    minimum = v;
    return *this;
  }
  Param& Max(double v) {
    maximum = v;
    return *this;
  }
  // What the step does at the path the value names (engine/path_roles.h).
  Param& Path(PathRole role) {
    path_role = role;
    return *this;
  }
  // The names the step also writes beside the path: the path plus each suffix
  // (engine/path_roles.h).
  Param& Beside(std::vector<std::string> suffixes) {
    beside = std::move(suffixes);
    return *this;
  }
  // kWritesIn: the file names (fnmatch patterns) it writes in the folder (engine/path_roles.h).
  Param& NamesIn(std::vector<std::string> patterns) {
    names_in = std::move(patterns);
    return *this;
  }
  // kWritesFile: the kind of file it shares with parameters of that kind (engine/path_roles.h).
  Param& SharedAs(std::string kind) {
    shared_kind = std::move(kind);
    return *this;
  }
  // Steps sharing it must take turns, one after the other in `needs` (engine/path_roles.h).
  Param& InTurn() {
    shared_in_turn = true;
    return *this;
  }
  // The path role holds only when parameter `param` is `value` (engine/path_roles.h).
  Param& RoleIf(std::string param, std::string value) {
    role_if_param = std::move(param);
    role_if_value = std::move(value);
    return *this;
  }
  // "" means none for this path parameter (engine/plugin/check_value.cpp).
  Param& EmptyMeansNone() {
    empty_is_none = true;
    return *this;
  }
  // Values starting with `prefix` are remote, not local paths, on the service parameter
  // `scope` names, whose values `key` makes one text per service (engine/path_roles.h).
  Param& Remote(std::string prefix, std::string scope = "",
                std::function<std::string(const std::string&)> key = nullptr) {
    remote_prefix = std::move(prefix);
    remote_scope = std::move(scope);
    remote_scope_key = std::move(key);
    return *this;
  }
  // A duration's range, checked at load: `min` (e.g. "1ms" for a timeout, where 0 would mean
  // no limit) and `max` ("" for none), as runbooks write durations.
  Param& DurationRange(const char* min, const char* max = "") {
    minimum = static_cast<double>(ParseDuration(min)->count());
    if (*max != '\0') maximum = static_cast<double>(ParseDuration(max)->count());
    return *this;
  }
};

// `o` as naming a file the run's other steps leave alone when they delete (OutputSpec).
inline OutputSpec KeptForRun(OutputSpec o) {
  o.kept_for_run = true;
  return o;
}

// `o` with what it tells the backup catalog (OutputRole).
inline OutputSpec WithRole(OutputSpec o, OutputRole role) {
  o.role = role;
  return o;
}

inline OutputSpec Output(std::string name, ParamType type, std::string doc) {
  return {std::move(name), type, std::move(doc)};
}

}  // namespace runbook
