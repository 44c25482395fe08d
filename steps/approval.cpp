// approval: a human gate (declare the incident, freeze writes, switch DNS). Asks on a TTY;
// otherwise passes only with --approve ID or --yes (the CLI's Approver decides). The wait
// is reported on its own, for RTO accounting.
#include "engine/plugin/approval_inputs.h"
#include "engine/plugin/check_value.h"
#include "engine/plugin/registry.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

StepSpec MakeSpec() {
  StepSpec s;
  s.type = "approval";
  s.summary =
      "a human gate: a prompt, optional typed inputs; --approve ID or --yes when not interactive";
  s.description =
      "On a terminal, shows the prompt and asks for confirmation (and each input). Without a "
      "terminal, run or resume never waits: it passes with --approve <step id> or --yes and "
      "fails at once otherwise, saying how to approve. In a run runbook serve started, it waits "
      "for an answer through the API (docs/serve.md). Outputs approved_by plus each input.";
  s.params = {
      {"prompt", ParamType::kString, "what the operator confirms", true, {}, {}, {}, {}},
      {"inputs",
       ParamType::kMap,
       "typed inputs asked for: name -> {type, description, default, required, enum}",
       false,
       {},
       {},
       {},
       {}},
  };
  s.outputs = {{"approved_by", ParamType::kString, "who approved (user, or --approve / --yes)"}};
  s.open_outputs = true;
  s.side_effects = SideEffects::kNone;
  s.waits_for_people = true;   // bounded only by its own `timeout`
  s.decided_on_params = true;  // a resume carries an approval only of what it was given
  s.changes_nothing = true;
  return s;
}

class Approval final : public StepType {
 public:
  const StepSpec& spec() const override { return spec_; }

  void Configure(const ConfigureView& with, ConfigureReport& report) const override {
    const ConfigParam* inputs = with.Find("inputs");
    if (inputs == nullptr) return;
    // What is known of them: an expression's part is checked at the gate. Each mistake at
    // its own place (break24a D1).
    std::vector<InputMistake> mistakes;
    ApprovalInputSpecs(inputs->value ? *inputs->value : inputs->shape, mistakes);
    for (const InputMistake& m : mistakes) report.Error(inputs->LocOf(m.pointer), m.message);
  }

  std::vector<std::string> Describe(const StepParams& params) const override {
    const Value* prompt = params.Opt("prompt");
    return {"ask for approval: " + (prompt ? prompt->ToText() : std::string())};
  }

  AttemptResult Run(StepContext& ctx) const override {
    if (ctx.approver == nullptr) return AttemptResult::Failure("no way to ask for approval here");
    ApprovalRequest req;
    req.step_id = ctx.step_id;
    req.prompt = ctx.params.Str("prompt");
    req.shown = [&ctx](std::string text) { return PrintableLines(ctx.Redact(std::move(text))); };
    std::string error;
    if (const Value* inputs = ctx.params.Opt("inputs"))
      req.inputs = ApprovalInputSpecs(*inputs, error);
    if (!error.empty()) return AttemptResult::Failure(error);
    req.deadline = ctx.deadline;
    auto start = ctx.clock.Now();
    ApprovalAnswer answer = ctx.approver->Ask(req, ctx.cancel);
    Millis waited = std::chrono::duration_cast<Millis>(ctx.clock.Now() - start);
    AttemptResult r;
    if (answer.timed_out) {  // the engine says "timed out after <timeout>"
      r.status = AttemptStatus::kTimeout;
      r.error = answer.error;
    } else if (ctx.cancel.cancelled() && !answer.approved) {
      r.status = AttemptStatus::kCancelled;
      r.error = "cancelled while waiting for approval";
    } else if (!answer.approved) {
      r = AttemptResult::Failure(answer.error.empty() ? "not approved" : answer.error);
    } else {
      r = AttemptResult::Success(answer.inputs);
      r.outputs["approved_by"] = Value(answer.by);
      r.approved_by = answer.by;
      ctx.log("approved by " + answer.by);
    }
    r.waited = waited;
    return r;
  }

 private:
  StepSpec spec_ = MakeSpec();
};

const RegisterStep kRegistration([]() -> std::unique_ptr<StepType> {
  return std::make_unique<Approval>();
});

}  // namespace
}  // namespace runbook
