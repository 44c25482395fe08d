#include "engine/testing/scripted_step.h"

#include "engine/plugin/approval_inputs.h"

namespace runbook {

namespace {

Value Placeholder(ParamType type) {
  switch (type) {
    case ParamType::kInteger:
    case ParamType::kNumber:
      return Value(int64_t{0});
    case ParamType::kBoolean:
      return Value(false);
    case ParamType::kStringList:
    case ParamType::kList:
      return Value(Value::List{});
    case ParamType::kStringMap:
    case ParamType::kMap:
      return Value(Value::Map{});
    default:
      return Value(std::string());
  }
}

// An approval's answer (its inputs are its outputs, ApprovalAnswer): each input's default,
// else a value of its type, and who approved.
void ApprovalOutputs(const StepParams& params, Value::Map& out) {
  const Value* inputs = params.Opt("inputs");
  if (inputs != nullptr) {
    std::string error;
    for (const ParamSpec& p : ApprovalInputSpecs(*inputs, error))
      if (out.count(p.name) == 0)
        out[p.name] = p.default_value.is_null() ? Placeholder(p.type) : p.default_value;
  }
  if (out.count("approved_by") == 0) out["approved_by"] = Value("scripted");
}

}  // namespace

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
  if (!script_) {
    Value::Map outputs = PlaceholderOutputs(spec());
    if (spec().waits_for_people) ApprovalOutputs(ctx.params, outputs);
    return AttemptResult::Success(std::move(outputs));
  }
  const ScriptedAttempt& a = script_->Attempt(ctx.attempt);
  ctx.log("scripted attempt " + std::to_string(ctx.attempt) + ": " +
          (a.kind == ScriptedAttempt::Kind::kSuccess   ? "success"
           : a.kind == ScriptedAttempt::Kind::kFailure ? "failure"
           : a.kind == ScriptedAttempt::Kind::kTimeout ? "timeout"
                                                       : "decline"));
  switch (a.kind) {
    case ScriptedAttempt::Kind::kSuccess: {
      Value::Map outputs = a.has_outputs ? a.outputs : PlaceholderOutputs(spec());
      if (spec().waits_for_people) ApprovalOutputs(ctx.params, outputs);
      return AttemptResult::Success(std::move(outputs));
    }
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
