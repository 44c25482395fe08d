// StepParams: a step's typed view of its resolved parameters, checked against its spec.
// Steps read parameters only through it: a name the spec does not declare, an accessor of
// the wrong type for the declared one, or a required read of an absent optional value is
// a bug in the step, reported as ParamError and turned by the engine into a failed attempt
// ("internal error in step ID (TYPE) while reading its parameters: ... — please report"),
// never a null dereference. Values are those the engine resolved (defaults applied, types
// checked and normalised, engine/attempt.h ResolveParams); in plans they may be Unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/plugin/spec.h"
#include "engine/util/duration.h"
#include "engine/util/value.h"

namespace runbook {

// Thrown by StepParams' accessors on a step's own mistake; caught where the engine calls
// a step (Run, DryRun, Describe) and made a failure. Not a std::exception, so no handler
// in a step meant for library errors swallows it.
struct ParamError {
  std::string message;  // "parameter 'x' is not declared by the spec"
};

class StepParams {
 public:
  // `spec` and `values` (a map) must outlive the view.
  StepParams(const StepSpec& spec, const Value& values) : spec_(spec), values_(values) {}
  const Value& values() const { return values_; }
  const StepSpec& spec() const { return spec_; }

  // Required reads: the parameter is declared, of a fitting type, and has a value (given
  // or by default). Str: the value as text (any scalar type). Duration: a kDuration.
  std::string Str(const std::string& name) const;
  int64_t Int(const std::string& name) const;
  double Num(const std::string& name) const;
  bool Bool(const std::string& name) const;
  Millis Duration(const std::string& name) const;
  const Value& Get(const std::string& name) const;  // any declared type

  // Optional reads: nullopt (nullptr) when the parameter was not given and has no default.
  std::optional<std::string> OptStr(const std::string& name) const;
  std::optional<int64_t> OptInt(const std::string& name) const;
  std::optional<Millis> OptDuration(const std::string& name) const;
  const Value* Opt(const std::string& name) const;
  bool Has(const std::string& name) const { return Opt(name) != nullptr; }

 private:
  const ParamSpec& Declared(const std::string& name, std::initializer_list<ParamType> fits,
                            const char* accessor) const;
  const Value* Lookup(const std::string& name, std::initializer_list<ParamType> fits,
                      const char* accessor) const;
  const Value& Required(const std::string& name, std::initializer_list<ParamType> fits,
                        const char* accessor) const;

  const StepSpec& spec_;
  const Value& values_;
};

}  // namespace runbook
