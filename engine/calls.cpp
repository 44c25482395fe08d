#include "engine/calls.h"

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "engine/loops.h"
#include "engine/plugin/check_value.h"
#include "engine/run_scope.h"
#include "engine/template.h"
#include "engine/util/crypto.h"

namespace runbook {
namespace {

// The step types of a call (engine-owned: composition is the engine's, not a step's): the
// call as written (checked at load, expanded before it runs), its start step (succeeds once
// its params, the call's `with`, resolve and pass their checks) and its outputs step
// (publishes its params, the used runbook's `outputs:`, as outputs).
class CallStepType final : public StepType {
 public:
  enum class Role { kCall, kStart, kOutputs };
  CallStepType(StepSpec spec, Role role) : spec_(std::move(spec)), role_(role) {}
  const StepSpec& spec() const override { return spec_; }
  std::vector<std::string> Describe(const StepParams&) const override {
    const char* verb = role_ == Role::kCall    ? "run the steps of "
                       : role_ == Role::kStart ? "start the steps of "
                                               : "publish the outputs of ";
    return {verb + spec_.type};
  }
  AttemptResult Run(StepContext& ctx) const override {
    if (role_ == Role::kCall)
      return AttemptResult::Failure("internal error: a call of " + spec_.type +
                                    " ran before it was expanded - please report");
    if (role_ == Role::kStart || !ctx.params.values().is_map()) return AttemptResult::Success();
    return AttemptResult::Success(ctx.params.values().as_map());
  }

 private:
  StepSpec spec_;
  Role role_;
};

StepSpec BaseSpec(const std::string& uses_text, const std::string& summary) {
  StepSpec s;
  s.type = uses_text;
  s.summary = summary;
  s.side_effects = SideEffects::kNone;
  s.idempotent = true;
  s.changes_nothing = true;
  return s;
}

// What a call's `with` gives the used runbook when the run starts: its params and its
// call's item; anything else (a step's output, a secret) is not known yet.
class BindScope final : public EvalScope {
 public:
  BindScope(const Value::Map& params, const StepDecl& call) : params_(params), call_(call) {}

  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    if (path[0] == "params") return LookupParam(params_, path);
    if (path[0] == "item" && !call_.loop_of.empty()) return Descend(call_.loop_item, path, 1);
    if (path[0] == "index" && !call_.loop_of.empty())
      return Descend(Value(static_cast<int64_t>(call_.loop_index)), path, 1);
    return Value::Unknown("${{ " + path[0] + " }}");
  }
  bool StatusFunction(const std::string&) const override { return false; }

 private:
  const Value::Map& params_;
  const StepDecl& call_;
};

// The used runbook's params as the call gives them when the run starts (Unknown where the
// value waits for a step); a param neither given nor defaulted is left out.
Result<Value::Map> BindCall(const StepDecl& call, const Value::Map& params) {
  BindScope scope(params, call);
  Value::Map out;
  for (const ParamSpec& p : call.callee->params) {
    const TNode* given = call.With(p.name);
    if (given == nullptr) {
      if (!p.default_value.is_null()) out[p.name] = p.default_value;
      continue;
    }
    auto v = ResolveTree(*given, scope);
    if (!v.ok()) return v.status();  // located by ResolveTree
    if (!v.value().has_unknown()) {
      if (std::string error = CheckValue(p, v.value()); !error.empty())
        return LocateError(Status::Error("param '" + p.name + "' of " + call.uses + ": " + error),
                           given->loc);
      out[p.name] = NormaliseValue(p, v.value());
    } else {
      out[p.name] = v.value();
    }
  }
  return out;
}

std::string Prefixed(const std::string& call, const std::string& id) {
  return id.empty() ? call : call + "." + id;
}

// A step of the used runbook (its own calls already expanded) as a step of `call`.
StepDecl Member(StepDecl step, const std::string& call, const std::string& start,
                const TemplateMap& callee_env, const std::string& file) {
  bool root = step.needs.empty() && !step.is_finally;
  bool own_name = step.name != step.id;
  step.id = Prefixed(call, step.id);
  if (!own_name) step.name = step.id;
  for (std::string& need : step.needs) need = Prefixed(call, need);
  if (root) {
    step.needs.push_back(start);
    step.needs_loc.push_back(step.loc);
  }
  if (!step.loop_of.empty()) step.loop_of = Prefixed(call, step.loop_of);
  step.call_of = Prefixed(call, step.call_of);
  if (step.source_file.empty()) step.source_file = file;  // a nested call's start: written here
  if (step.call_role == CallRole::kNone) step.call_role = CallRole::kMember;
  step.rto = RtoMark::kNone;  // the used runbook's RTO marks are for running it alone
  if (!callee_env.empty()) {  // its runbook-level env, under the step's own
    TemplateMap env;
    for (const auto& [name, value] : callee_env) {
      bool own = std::any_of(step.env.begin(), step.env.end(),
                             [&name = name](const auto& kv) { return kv.first == name; });
      if (!own) env.emplace_back(name, value);
    }
    env.insert(env.end(), step.env.begin(), step.env.end());
    step.env = std::move(env);
  }
  return step;
}

// What a call's start and outputs steps take from the call as written: where it is, its
// loop (a loop of calls: its items are the calls), its runbook and role.
StepDecl CallPart(const StepDecl& call, CallRole role) {
  StepDecl part;
  part.uses = call.uses;
  part.idempotent = true;
  part.loop_of = call.loop_of;
  part.loop_index = call.loop_index;
  part.loop_item = call.loop_item;
  part.callee = call.callee;
  part.call_of = call.id;
  part.call_role = role;
  part.loc = call.loc;
  part.id_loc = call.id_loc;
  part.uses_loc = call.uses_loc;
  return part;
}

StepDecl StartOf(const StepDecl& call) {
  StepDecl start = CallPart(call, CallRole::kStart);
  start.id = call.id + kCallStartSuffix;
  start.name = call.name == call.id ? start.id : call.name;
  start.type = call.callee->start_type.get();
  // The call's `with`, resolved and checked (types, enum, range) as the start step's own
  // parameters: a bad value fails the call before any of its steps (break20 #4).
  start.with = call.with;
  if (start.with.kind != TNode::Kind::kMap) start.with.kind = TNode::Kind::kMap;
  start.with_loc = call.with_loc;
  start.needs = call.needs;
  start.needs_loc = call.needs_loc;
  start.condition = call.condition;
  start.condition_has_status = call.condition_has_status;
  start.loop = call.loop;  // held and skipped by the loop's max_parallel and fail_fast
  return start;
}

// The condition of every outputs step: the call's steps neither failed nor were cancelled.
const TNode& OutputsCondition() {
  static const TNode node = [] {
    TNode n;
    n.kind = TNode::Kind::kTemplate;
    n.text = "${{ !failure() && !cancelled() }}";
    ExprError error;
    n.tmpl = *ParseTemplate(n.text, error);
    return n;
  }();
  return node;
}

StepDecl OutputsOf(const StepDecl& call, std::vector<std::string> needs) {
  StepDecl out = CallPart(call, CallRole::kOutputs);  // a loop's items are these (rb.loops)
  out.id = call.id;
  out.name = call.name;
  out.type = call.callee->outputs_type.get();
  out.with.kind = TNode::Kind::kMap;
  for (const auto& [name, value] : call.callee->outputs) out.with.entries.emplace_back(name, value);
  out.with_loc = call.callee->outputs_loc;
  out.source_file = call.callee->path();  // its `with` is the used runbook's `outputs:`
  out.needs = std::move(needs);
  // Its start too: a used runbook without main steps still starts first (break20 #3).
  out.needs.insert(out.needs.begin(), call.id + kCallStartSuffix);
  out.needs_loc.assign(out.needs.size(), call.loc);
  out.condition = OutputsCondition();
  out.condition_has_status = true;
  return out;
}

Status ExpandAt(Runbook& rb, const Value::Map& params, bool plan_unset, int depth);

// An error located in `file` (a runbook that uses another, or a used one): its line and column
// alone would be read in the wrong file (break20 #5, #8).
Status InFile(const std::string& file, const Status& s) {
  if (s.ok()) return s;
  Status named = s.Prefixed(file + ": ");
  return named.site() ? named.Sited({file, 0, 0}) : named;
}

// The steps `call` stands for: start, members, outputs; its finally steps to `finally`.
Status ExpandCall(const std::string& file, const StepDecl& call, const Value::Map& params,
                  bool plan_unset, int depth, std::vector<StepDecl>& out,
                  std::vector<StepDecl>& finally,
                  std::unordered_map<std::string, CallFrame>& calls) {
  if (depth >= kMaxCallDepth)
    return InFile(file, LocateError(Status::Error("uses " + call.uses +
                                                  ": runbooks call each other more than " +
                                                  std::to_string(kMaxCallDepth) + " deep"),
                                    call.uses_loc));
  auto bound = BindCall(call, params);
  if (!bound.ok()) return InFile(file, bound.status());
  Runbook child = *call.callee;
  if (Status s = ExpandLoops(child, bound.value(), plan_unset); !s.ok())
    return InFile(call.callee->path(), s);
  if (Status s = ExpandAt(child, bound.value(), plan_unset, depth + 1); !s.ok()) return s;
  StepDecl start = StartOf(call);
  std::vector<std::string> members;
  out.push_back(start);
  for (size_t i = 0; i < child.steps.size(); ++i) {
    StepDecl m = Member(std::move(child.steps[i]), call.id, start.id, child.env, child.path());
    if (i < child.finally_begin) {
      members.push_back(m.id);
      out.push_back(std::move(m));
    } else {
      finally.push_back(std::move(m));
    }
  }
  out.push_back(OutputsOf(call, std::move(members)));
  for (auto& [id, frame] : child.calls) {
    CallFrame f = std::move(frame);
    f.id = Prefixed(call.id, f.id);
    f.parent = Prefixed(call.id, f.parent);
    f.start_id = Prefixed(call.id, f.start_id);
    calls[f.id] = std::move(f);
  }
  CallFrame frame;
  frame.id = call.id;
  frame.callee = call.callee;
  frame.with = call.with;
  frame.start_id = start.id;
  calls[call.id] = std::move(frame);
  return Status::Ok();
}

Status ExpandAt(Runbook& rb, const Value::Map& params, bool plan_unset, int depth) {
  bool any = std::any_of(rb.steps.begin(), rb.steps.end(), [](const StepDecl& s) {
    return s.callee && s.call_role == CallRole::kNone;
  });
  if (!any) return Status::Ok();
  std::vector<StepDecl> out, finally;
  size_t finally_begin = rb.steps.size();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    if (i == rb.finally_begin) finally_begin = out.size();
    StepDecl& s = rb.steps[i];
    if (!s.callee || s.call_role != CallRole::kNone || (s.loop && s.loop_of.empty())) {
      out.push_back(std::move(s));  // a loop not expanded (plan) stays one step
      continue;
    }
    if (Status st = ExpandCall(rb.path(), s, params, plan_unset, depth, out, finally, rb.calls);
        !st.ok())
      return st;
    if (out.size() + finally.size() > kMaxExpandedSteps)
      return InFile(rb.path(),
                    LocateError(Status::Error("uses " + s.uses + ": the run would have over " +
                                              std::to_string(kMaxExpandedSteps) +
                                              " steps once its runbooks are expanded"),
                                s.uses_loc));
  }
  if (rb.finally_begin >= rb.steps.size()) finally_begin = out.size();
  for (StepDecl& f : finally) out.push_back(std::move(f));
  rb.steps = std::move(out);
  rb.finally_begin = finally_begin;
  rb.IndexSteps();
  IndexLoops(rb);
  return Status::Ok();
}

SideEffects Strongest(SideEffects a, SideEffects b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

}  // namespace

bool UsesRunbookFile(const std::string& uses) {
  return uses.rfind("./", 0) == 0 || uses.rfind("../", 0) == 0;
}

void MakeCallTypes(Runbook& callee, const std::string& uses_text) {
  StepSpec call = BaseSpec(uses_text, "the steps of runbook " + uses_text);
  call.params = callee.params;
  bool idempotent = true;
  SideEffects effects = SideEffects::kNone;
  for (const StepDecl& s : callee.steps) {
    if (s.type == nullptr) continue;
    effects = Strongest(effects, s.type->spec().side_effects);
    idempotent = idempotent && s.Idempotent();
  }
  call.side_effects = effects;
  call.idempotent = idempotent;
  call.changes_nothing = false;
  StepSpec outputs = BaseSpec(uses_text, "the outputs of runbook " + uses_text);
  for (const auto& [name, value] : callee.outputs) {
    call.outputs.push_back({name, ParamType::kValue, "output '" + name + "' of " + uses_text});
    outputs.params.push_back({name, ParamType::kValue, "", false, {}, {}, {}, {}});
  }
  outputs.outputs = call.outputs;
  callee.call_type = std::make_shared<CallStepType>(std::move(call), CallStepType::Role::kCall);
  StepSpec start = BaseSpec(uses_text, "the start of runbook " + uses_text);
  start.params = callee.params;  // its `with`: checked when the call starts
  callee.start_type = std::make_shared<CallStepType>(std::move(start), CallStepType::Role::kStart);
  callee.outputs_type =
      std::make_shared<CallStepType>(std::move(outputs), CallStepType::Role::kOutputs);
}

Status ExpandCalls(Runbook& rb, const Value::Map& params, bool plan_unset) {
  return ExpandAt(rb, params, plan_unset, 0);
}

Status ExpandRunbook(Runbook& rb, const Value::Map& params, bool plan_unset) {
  if (Status s = ExpandLoops(rb, params, plan_unset); !s.ok()) return s;
  return ExpandCalls(rb, params, plan_unset);
}

Value::Map UsesSha256(const Runbook& rb) {
  Value::Map out;
  // By path from the runbook's folder: the same files whichever folder the run was started in
  // (`run p.yaml` there, `resume` here with the absolute path).
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::absolute(rb.path(), ec).parent_path();
  for (const auto& source : rb.used_sources) {
    std::filesystem::path used = std::filesystem::absolute(source->path, ec);
    out[used.lexically_normal().lexically_relative(folder.lexically_normal()).string()] =
        Value(Sha256Hex(source->text));
  }
  return out;
}

Outcome CallOutcomeOf(const Runbook& rb, const std::vector<StepRun>& runs,
                      const std::string& frame) {
  auto call = rb.calls.find(frame);
  const StepDecl* start = call == rb.calls.end() ? nullptr : rb.FindStep(call->second.start_id);
  const StepDecl* out = rb.FindStep(frame);
  if (start == nullptr || out == nullptr) return Outcome::kFailure;
  const StepRun& began = runs[static_cast<size_t>(start - rb.steps.data())];
  if (!began.passed()) return began.outcome;
  bool cancelled = false;
  std::string inside = frame + ".";
  for (size_t i = 0; i < rb.steps.size() && i < runs.size(); ++i) {
    if (rb.steps[i].id.compare(0, inside.size(), inside) != 0) continue;
    if (runs[i].outcome == Outcome::kFailure && !runs[i].tolerated) return Outcome::kFailure;
    cancelled = cancelled || runs[i].outcome == Outcome::kCancelled;
  }
  return cancelled ? Outcome::kCancelled : runs[static_cast<size_t>(out - rb.steps.data())].outcome;
}

std::string EvalFrame(const Runbook& rb, const StepDecl& step) {
  if (step.call_role != CallRole::kStart) return step.call_of;
  auto it = rb.calls.find(step.call_of);
  return it == rb.calls.end() ? "" : it->second.parent;
}

}  // namespace runbook
