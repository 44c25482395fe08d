// A step type that plays a scenario's script instead of doing its work (engine/testing/
// scenario.h): the original type's spec, so the step's parameters are resolved and checked as
// in a real run (an expression that fails still fails the step), then the scripted attempt's
// end. Nothing is touched.
#pragma once

#include <string>

#include "engine/plugin/step.h"
#include "engine/testing/scenario.h"

namespace runbook {

class ScriptedType final : public StepType {
 public:
  // `original` outlives this. `script`: what each attempt does; none: every attempt succeeds
  // with the type's declared outputs given placeholder values (PlaceholderOutputs).
  ScriptedType(const StepType& original, std::optional<StepScript> script)
      : original_(original), script_(std::move(script)) {}

  const StepSpec& spec() const override { return original_.spec(); }
  std::vector<std::string> Describe(const StepParams& params) const override;
  AttemptResult Run(StepContext& ctx) const override;
  bool Idempotent(const Value& params) const override { return original_.Idempotent(params); }

 private:
  const StepType& original_;
  std::optional<StepScript> script_;
};

// The declared outputs of `spec` with a value of their type each: "" for text, 0, false, an
// empty list or mapping; a scenario writes `outputs:` for values a later step reads.
Value::Map PlaceholderOutputs(const StepSpec& spec);

}  // namespace runbook
