// Short spelling for step specs: Param("dest", ParamType::kString, "...").Required().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/plugin/spec.h"

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
};

inline OutputSpec Output(std::string name, ParamType type, std::string doc) {
  return {std::move(name), type, std::move(doc)};
}

}  // namespace runbook
