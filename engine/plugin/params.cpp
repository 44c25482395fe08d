#include "engine/plugin/params.h"

#include <algorithm>

namespace runbook {
namespace {

using T = ParamType;
constexpr std::initializer_list<ParamType> kScalar = {T::kString, T::kDuration, T::kInteger,
                                                      T::kNumber, T::kBoolean,  T::kAny};
constexpr std::initializer_list<ParamType> kAnyType = {
    T::kString,     T::kDuration,  T::kInteger, T::kNumber, T::kBoolean,
    T::kStringList, T::kStringMap, T::kList,    T::kMap,    T::kAny};

[[noreturn]] void Fail(std::string message) { throw ParamError{std::move(message)}; }

}  // namespace

const ParamSpec& StepParams::Declared(const std::string& name,
                                      std::initializer_list<ParamType> fits,
                                      const char* accessor) const {
  const ParamSpec* p = spec_.FindParam(name);
  if (p == nullptr) Fail("parameter '" + name + "' is not declared by the spec");
  if (std::find(fits.begin(), fits.end(), p->type) == fits.end()) {
    Fail("parameter '" + name + "' is declared as " + ParamTypeName(p->type) + ", read as " +
         accessor);
  }
  return *p;
}

const Value* StepParams::Lookup(const std::string& name, std::initializer_list<ParamType> fits,
                                const char* accessor) const {
  Declared(name, fits, accessor);
  const Value* v = values_.Find(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

const Value& StepParams::Required(const std::string& name, std::initializer_list<ParamType> fits,
                                  const char* accessor) const {
  const Value* v = Lookup(name, fits, accessor);
  if (v == nullptr) Fail("parameter '" + name + "' is optional and not given, read as required");
  return *v;
}

std::string StepParams::Str(const std::string& name) const {
  return Required(name, kScalar, "text").ToText();
}

int64_t StepParams::Int(const std::string& name) const {
  return Required(name, {T::kInteger, T::kNumber}, "an integer").as_int();
}

double StepParams::Num(const std::string& name) const {
  return Required(name, {T::kInteger, T::kNumber}, "a number").as_double();
}

bool StepParams::Bool(const std::string& name) const {
  return Required(name, {T::kBoolean}, "a boolean").as_bool();
}

Millis StepParams::Duration(const std::string& name) const {
  std::optional<Millis> d = OptDuration(name);
  if (!d) Fail("parameter '" + name + "' is optional and not given, read as required");
  return *d;
}

const Value& StepParams::Get(const std::string& name) const {
  return Required(name, kAnyType, "a value");
}

std::optional<std::string> StepParams::OptStr(const std::string& name) const {
  const Value* v = Lookup(name, kScalar, "text");
  return v ? std::optional<std::string>(v->ToText()) : std::nullopt;
}

std::optional<int64_t> StepParams::OptInt(const std::string& name) const {
  const Value* v = Lookup(name, {T::kInteger, T::kNumber}, "an integer");
  return v ? std::optional<int64_t>(v->as_int()) : std::nullopt;
}

std::optional<Millis> StepParams::OptDuration(const std::string& name) const {
  const Value* v = Lookup(name, {T::kDuration}, "a duration");
  if (v == nullptr) return std::nullopt;
  if (v->is_unknown()) return Millis(0);  // a plan: known only at run time
  std::optional<Millis> d = ParseDuration(v->ToText());
  if (!d) Fail("parameter '" + name + "' holds '" + v->ToText() + "', not a duration");
  return d;
}

const Value* StepParams::Opt(const std::string& name) const {
  return Lookup(name, kAnyType, "a value");
}

}  // namespace runbook
