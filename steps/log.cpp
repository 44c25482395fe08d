// log: writes a message to the run log and publishes values as outputs, in-process. For
// notes an operator should see at a point of the run ("writes frozen since ...") and for
// computing a value once that later steps read (`outputs: {target: ...}`).
#include "engine/plugin/registry.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "log";
  s.summary = "write a message to the run log and publish values as outputs (runs in-process)";
  s.description =
      "Prints `message` in the live view and the run log. Every key of `outputs` becomes an "
      "output of the step with its (expression-resolved) value. Nothing outside the engine is "
      "touched.";
  s.params = {
      {"message", ParamType::kString, "the text to log", false, {}, {}, {}, {}},
      {"outputs", ParamType::kMap, "name -> value, published as outputs", false, {}, {}, {}, {}},
  };
  s.open_outputs = true;
  s.side_effects = SideEffects::kNone;
  s.idempotent = true;
  s.changes_nothing = true;
  return s;
}

class Log final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView&, ConfigureReport&) const override {}

  std::vector<std::string> Describe(const StepParams& params) const override {
    const Value* message = params.Opt("message");
    return {"log: " + (message ? message->ToText() : std::string("(no message)"))};
  }

  AttemptResult Run(StepContext& ctx) const override {
    if (const Value* message = ctx.params.Opt("message")) ctx.log(message->ToText());
    Value::Map outputs;
    if (const Value* values = ctx.params.Opt("outputs"); values && values->is_map())
      outputs = values->as_map();
    return AttemptResult::Success(std::move(outputs));
  }

 private:
  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Log>();
});

}  // namespace
}  // namespace runbook
