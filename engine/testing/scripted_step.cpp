#include "engine/testing/scripted_step.h"

namespace runbook {

Value::Map PlaceholderOutputs(const StepSpec& spec) {
  Value::Map out;
  for (const OutputSpec& o : spec.outputs) {
    switch (o.type) {
      case ParamType::kInteger:
      case ParamType::kNumber:
        out[o.name] = Value(int64_t{0});
        break;
      case ParamType::kBoolean:
        out[o.name] = Value(false);
        break;
      case ParamType::kStringList:
      case ParamType::kList:
        out[o.name] = Value(Value::List{});
        break;
      case ParamType::kStringMap:
      case ParamType::kMap:
        out[o.name] = Value(Value::Map{});
        break;
      default:
        out[o.name] = Value(std::string());
    }
  }
  return out;
}

std::vector<std::string> ScriptedType::Describe(const StepParams&) const {
  return {"scripted (runbook test): " + spec().type + " is not run"};
}

AttemptResult ScriptedType::Run(StepContext& ctx) const {
  if (!script_) return AttemptResult::Success(PlaceholderOutputs(spec()));
  const ScriptedAttempt& a = script_->Attempt(ctx.attempt);
  ctx.log("scripted attempt " + std::to_string(ctx.attempt) + ": " +
          (a.kind == ScriptedAttempt::Kind::kSuccess   ? "success"
           : a.kind == ScriptedAttempt::Kind::kFailure ? "failure"
           : a.kind == ScriptedAttempt::Kind::kTimeout ? "timeout"
                                                       : "decline"));
  switch (a.kind) {
    case ScriptedAttempt::Kind::kSuccess:
      return AttemptResult::Success(a.has_outputs ? a.outputs : PlaceholderOutputs(spec()));
    case ScriptedAttempt::Kind::kFailure: {
      AttemptResult r = AttemptResult::Failure(a.error.empty() ? "scripted failure" : a.error);
      r.exit_code = a.exit_code;
      return r;
    }
    case ScriptedAttempt::Kind::kTimeout: {
      AttemptResult r = AttemptResult::Failure(a.error.empty() ? "timed out (scripted)" : a.error);
      r.status = AttemptStatus::kTimeout;
      return r;
    }
    case ScriptedAttempt::Kind::kDecline:
      return AttemptResult::Failure(a.error.empty() ? "declined (scripted)" : a.error);
  }
  return AttemptResult::Failure("scripted failure");
}

}  // namespace runbook
