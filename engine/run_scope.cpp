#include "engine/run_scope.h"

#include <unordered_map>

#include "engine/calls.h"
#include "engine/loops.h"
#include "engine/plugin/check_value.h"
#include "engine/template.h"
#include "engine/util/strings.h"

namespace runbook {

Result<Value> Descend(const Value& v, const std::vector<std::string>& path, size_t from) {
  const Value* cur = &v;
  for (size_t i = from; i < path.size(); ++i) {
    if (cur->is_unknown()) return Value::Unknown("${{ " + Join(path, ".") + " }}");
    const Value* next = cur->Find(path[i]);
    if (next == nullptr) {
      return Status::Error("'" +
                           Join(std::vector<std::string>(path.begin(), path.begin() + i), ".") +
                           "' has no key '" + path[i] + "'");
    }
    cur = next;
  }
  return *cur;
}

namespace {

// What a call's `with` sees: the run as seen from the frame the call is written in.
class FrameScope final : public EvalScope {
 public:
  FrameScope(const RunScope& run, std::string frame, const StepDecl* loop_step)
      : run_(run), frame_(std::move(frame)), loop_step_(loop_step) {}
  Result<Value> Lookup(const std::vector<std::string>& path) const override {
    return run_.LookupIn(frame_, loop_step_, false, path);
  }
  bool StatusFunction(const std::string& name) const override { return run_.StatusFunction(name); }
  bool Peeking() const override { return run_.Peeking(); }
  std::optional<bool> PeekedStatus(const std::string& name) const override {
    return run_.PeekedStatus(name);
  }
  std::optional<std::string> RunBase() const override { return run_.RunBase(); }

 private:
  const RunScope& run_;
  std::string frame_;
  const StepDecl* loop_step_;
};

}  // namespace

Result<Value> RunScope::Lookup(const std::vector<std::string>& path) const {
  const StepDecl* step = step_ >= 0 ? &rb_.steps[step_] : nullptr;
  return LookupIn(step != nullptr ? EvalFrame(rb_, *step) : std::string(), step, true, path);
}

Result<Value> RunScope::CallParam(const std::string& frame,
                                  const std::vector<std::string>& path) const {
  auto call = rb_.calls.find(frame);
  if (call == rb_.calls.end()) return Status::Error("unknown call '" + frame + "'");
  const Runbook& callee = *call->second.callee;
  if (path.size() < 2) {  // the whole context
    Value::Map all;
    for (const ParamSpec& p : callee.params) {
      auto v = CallParam(frame, {"params", p.name});
      if (!v.ok()) continue;
      if (v.value().is_unknown()) return Value::Unknown("${{ params }}");
      all[p.name] = v.value();
    }
    return Value(std::move(all));
  }
  const ParamSpec* spec = callee.FindParam(path[1]);
  if (spec == nullptr) return Status::Error("param '" + path[1] + "' is not set");
  const TNode* given = nullptr;
  for (const auto& [key, node] : call->second.with.entries)
    if (key == path[1]) given = &node;
  if (given == nullptr) {
    if (spec->default_value.is_null())
      return Status::Error("param '" + path[1] + "' of " + callee.path() + " is not set");
    return Descend(spec->default_value, path, 2);
  }
  const StepDecl* start = rb_.FindStep(call->second.start_id);
  FrameScope scope(*this, call->second.parent, start);
  auto v = ResolveTree(*given, scope);
  if (!v.ok())  // located in the file the call is written in, not the used one (break20 #8)
    return Status::Error(InSourceFile(
        v.status().message(),
        start == nullptr || start->source_file.empty() ? rb_.path() : start->source_file));
  if (v.value().has_unknown()) return Descend(v.value(), path, 2);
  if (std::string error = CheckValue(*spec, v.value()); !error.empty())
    return Status::Error("param '" + path[1] + "' of " + callee.path() + ": " + error);
  return Descend(NormaliseValue(*spec, v.value()), path, 2);
}

Result<Value> RunScope::LookupIn(const std::string& frame, const StepDecl* loop_step, bool step_env,
                                 const std::vector<std::string>& path) const {
  const std::string& root = path[0];
  auto from_map = [&](const Value::Map& map, const char* what) -> Result<Value> {
    if (path.size() < 2) {  // the whole context: unknown while any of it is (breakJJ JJ4)
      for (const auto& [name, v] : map)
        if (v.is_unknown()) return Value::Unknown("${{ " + root + " }}");
      return Value(map);
    }
    auto it = map.find(path[1]);
    if (it == map.end()) return Status::Error(std::string(what) + " '" + path[1] + "' is not set");
    return Descend(it->second, path, 2);
  };
  if (root == "params")
    return frame.empty() ? from_map(values_.params, "param") : CallParam(frame, path);
  if (root == "secrets") return from_map(values_.secrets, "secret");
  if (root == "env") {
    if (path.size() < 2) return Status::Error("'env' must name a variable");
    if (step_env && step_env_ != nullptr) {
      auto it = step_env_->find(path[1]);
      if (it != step_env_->end()) return Descend(Value(it->second), path, 2);
    }
    if (values_.env_unknown.count(path[1]) != 0)
      return Value::Unknown("${{ env." + path[1] + " }}");
    auto it = values_.env.find(path[1]);
    if (it == values_.env.end()) return Status::Error("env '" + path[1] + "' is not set");
    return Descend(Value(it->second), path, 2);
  }
  if (root == "steps") return StepValue(frame, path);
  if (root == "run") return path.size() >= 2 ? RunValue(path[1]) : RunMap();
  if (root == "item" || root == "index") return LoopValue(loop_step, path);
  return Status::Error("unknown name '" + root + "'");
}

Result<Value> RunScope::LoopValue(const StepDecl* step,
                                  const std::vector<std::string>& path) const {
  if (step != nullptr && step->loop && step->loop_of.empty())  // plan: the loop not expanded
    return Value::Unknown("${{ " + Join(path, ".") + " }}");
  if (step == nullptr || step->loop_of.empty())
    return Status::Error("'" + path[0] + "' is defined only in a step with for_each");
  if (path[0] == "index") return Descend(Value(static_cast<int64_t>(step->loop_index)), path, 1);
  return Descend(step->loop_item, path, 1);
}

namespace {

// A step carried over by a resume has its outputs as recorded, those that held a secret
// masked: giving "***" to a later step in place of a password would pass silently (breakO
// O26), so reading one is an error that says how to get the value back.
Status CarriedMasked(const StepDecl& decl, const StepRun& run,
                     const std::vector<std::string>& path) {
  if (run.restored_from.empty() || run.masked_outputs.empty()) return Status::Ok();
  if (path.size() >= 4 && run.masked_outputs.count(path[3]) == 0) return Status::Ok();
  std::string name = path.size() >= 4 ? path[3] : *run.masked_outputs.begin();
  return Status::Error("output '" + name + "' of step '" + decl.id +
                       "' held a secret and was recorded masked in run " + run.restored_from +
                       ", so this resume does not have its value; resume with --rerun " + decl.id +
                       " to run step '" + decl.id + "' again");
}

}  // namespace

Result<Value> RunScope::ItemsValue(const std::vector<size_t>& items,
                                   const std::vector<std::string>& path) const {
  if (steps_ == nullptr) return Value::Unknown("${{ " + Join(path, ".") + " }}");
  std::vector<Outcome> outcomes;
  Value::List values;
  std::set<std::string> names;
  for (size_t i : items) {
    const StepDecl& decl = rb_.steps[i];
    const StepRun& run = (*steps_)[i];
    if (peek_ &&
        (!(run.state == StepState::kDone && run.passed()) || !run.masked_outputs.empty())) {
      peeked_unknown_.insert(decl.id);
      return Value::Unknown("${{ " + Join(path, ".") + " }}");
    }
    outcomes.push_back(OutcomeOf(i));
    if (path[2] == "outcome") continue;
    if (Status lost = CarriedMasked(decl, run, path); !lost.ok()) {
      masked_reads_.insert(decl.id);
      return lost;
    }
    for (const auto& [name, v] : run.outputs_unmasked) names.insert(name);
    if (path.size() < 4) continue;
    auto it = run.outputs_unmasked.find(path[3]);
    values.push_back(it == run.outputs_unmasked.end() ? Value() : it->second);
  }
  if (path[2] == "outcome") return Value(LoopOutcome(outcomes));
  if (path.size() >= 4) return Descend(Value(std::move(values)), path, 4);
  Value::Map all;  // every output name, each the list of the items' values (null: none)
  for (const std::string& name : names) {
    Value::List each;
    for (size_t i : items) {
      const Value::Map& outputs = (*steps_)[i].outputs_unmasked;
      auto it = outputs.find(name);
      each.push_back(it == outputs.end() ? Value() : it->second);
    }
    all[name] = Value(std::move(each));
  }
  return Value(std::move(all));
}

Outcome RunScope::OutcomeOf(size_t index) const {
  const StepDecl& decl = rb_.steps[index];
  if (decl.call_role == CallRole::kOutputs) return CallOutcome(decl.call_of);
  return (*steps_)[index].outcome;
}

Outcome RunScope::CallOutcome(const std::string& frame) const {
  return CallOutcomeOf(rb_, *steps_, frame);
}

Result<Value> RunScope::StepValue(const std::string& frame,
                                  const std::vector<std::string>& path) const {
  std::string id = path.size() >= 2 ? InFrame(frame, path[1]) : std::string();
  const StepDecl* decl = path.size() >= 3 ? rb_.FindStep(id) : nullptr;
  if (decl == nullptr && path.size() >= 3)  // a loop's: its items' (engine/loops.h)
    if (auto loop = rb_.loops.find(id); loop != rb_.loops.end())
      return ItemsValue(loop->second, path);
  if (decl == nullptr) return Status::Error("unknown step reference '" + Join(path, ".") + "'");
  if (steps_ == nullptr) {  // plan: the step as the run names it (break20 #13: a used runbook's
    std::vector<std::string> shown = path;  // `steps.fetch` read as the caller's `fetch`)
    shown[1] = id;
    return Value::Unknown("${{ " + Join(shown, ".") + " }}");
  }
  const StepRun& run = (*steps_)[decl - rb_.steps.data()];
  // A peek: not decided yet, or not for good (a resume runs a step that did not pass again).
  if (peek_ && !(run.state == StepState::kDone && run.passed())) {
    peeked_unknown_.insert(decl->id);
    return Value::Unknown("${{ " + Join(path, ".") + " }}");
  }
  // Nor is a step whose outputs held a secret: a resume has them masked, runs it again to
  // get them back (--rerun), and its outcome and outputs may then differ (breakAA A5).
  if (peek_ && !run.masked_outputs.empty()) {
    peeked_unknown_.insert(decl->id);
    return Value::Unknown("${{ " + Join(path, ".") + " }}");
  }
  if (path[2] == "outcome")
    return Value(OutcomeName(OutcomeOf(static_cast<size_t>(decl - rb_.steps.data()))));
  if (Status lost = CarriedMasked(*decl, run, path); !lost.ok()) {
    masked_reads_.insert(decl->id);
    return lost;
  }
  if (path.size() < 4) return Value(run.outputs_unmasked);
  auto it = run.outputs_unmasked.find(path[3]);
  if (it == run.outputs_unmasked.end()) {
    if (values_.dry_run) return Value::Unknown("${{ " + Join(path, ".") + " }}");
    return Status::Error("step '" + decl->id + "' has no output '" + path[3] +
                         "' (its outcome: " + OutcomeName(run.outcome) + ")");
  }
  return Descend(it->second, path, 4);
}

Result<Value> RunScope::RunValue(const std::string& field) const {
  if (field == "id") return Value(run_id_as_ ? *run_id_as_ : values_.run_id);
  if (field == "dry_run") return Value(values_.dry_run);
  if ((steps_ == nullptr || peek_) && (field == "elapsed" || field == "status")) {
    return Value::Unknown("${{ run." + field + " }}");  // plan: known only while running
  }
  if (field == "elapsed") {
    auto d = std::chrono::duration_cast<Millis>(clock_.Now() - values_.started);
    return Value(static_cast<double>(d.count()) / 1000.0);
  }
  if (field == "status") {
    return Value(values_.cancelled ? "cancelled" : values_.failed ? "failure" : "success");
  }
  return Status::Error("unknown run field '" + field + "'");
}

// Bare `run` (`toJSON(run)`): every field, unknown while any is (breakII2 II2-4: validate
// passed it, the run failed "unknown name 'run'").
Result<Value> RunScope::RunMap() const {
  Value::Map map;
  for (const char* field : {"id", "dry_run", "status", "elapsed"}) {
    auto v = RunValue(field);
    if (!v.ok()) return v;
    if (v.value().is_unknown()) return Value::Unknown("${{ run }}");
    map[field] = v.value();
  }
  return Value(map);
}

bool RunScope::NeedPassed(size_t index) const {
  const StepRun& run = (*steps_)[index];
  if (run.passed()) return true;
  const StepDecl& step = rb_.steps[index];
  if (step.loop_of.empty() || !run.skipped_by_condition) return false;
  auto loop = rb_.loops.find(step.loop_of);
  if (loop == rb_.loops.end()) return false;
  for (size_t k : loop->second)
    if ((*steps_)[k].passed()) return true;
  return false;
}

bool RunScope::StatusFunction(const std::string& name) const {
  if (name == "always") return true;
  if (name == "cancelled") return values_.cancelled;
  if (steps_ == nullptr || step_ < 0) return name == "success";
  const StepDecl& step = rb_.steps[step_];
  if (step.is_finally) {
    bool failed = values_.failed;
    return name == "success" ? !failed && !values_.cancelled : failed;
  }
  bool all_passed = true;
  for (const std::string& need : step.needs)
    all_passed =
        all_passed && NeedPassed(static_cast<size_t>(rb_.FindStep(need) - rb_.steps.data()));
  if (name == "success") return all_passed && !values_.cancelled;
  return AncestorFailed();
}

std::optional<bool> RunScope::PeekedStatus(const std::string& name) const {
  if (name == "always") return true;
  bool main_step = step_ >= 0 && !rb_.steps[step_].is_finally;
  if (name == "success" && main_step && need_lost_) return false;
  return std::nullopt;
}

// failure(), as in GitHub Actions: a step upstream (directly or not) failed without being
// tolerated, so a step after a skipped optional one still sees a failure further up.
// Walked over the needs, iteratively, with what it found of each done step kept (a done
// step's upstream is done and stays as it is): a chain of 20,000 steps each asking
// `!failure()` is linear (break24a T1: each walked all its ancestors, 42 s for a dry run).
bool RunScope::AncestorFailed() const {
  if (upstream_failed_.size() != graph_->nodes.size())
    upstream_failed_.assign(graph_->nodes.size(), -1);
  std::unordered_map<int, bool> here;  // this call's answers for steps not done
  auto known = [&](int n) -> std::optional<bool> {
    if (upstream_failed_[static_cast<size_t>(n)] >= 0)
      return upstream_failed_[static_cast<size_t>(n)] == 1;
    if (auto it = here.find(n); it != here.end()) return it->second;
    return std::nullopt;
  };
  std::vector<std::pair<int, size_t>> stack{{step_, 0}};
  while (!stack.empty()) {
    auto& [n, next] = stack.back();
    const std::vector<int>& needs = graph_->nodes[static_cast<size_t>(n)].needs;
    if (next < needs.size()) {
      int d = needs[next++];
      if (!known(d)) stack.push_back({d, 0});
      continue;
    }
    bool failed = false;
    for (int d : needs) {
      const StepRun& run = (*steps_)[static_cast<size_t>(d)];
      failed = failed || (run.outcome == Outcome::kFailure && !run.tolerated) || *known(d);
    }
    here[n] = failed;
    if (!peek_ && (*steps_)[static_cast<size_t>(n)].state == StepState::kDone)
      upstream_failed_[static_cast<size_t>(n)] = failed ? 1 : 0;
    stack.pop_back();
  }
  return here[step_];
}

std::optional<bool> PeekCondition(RunScope& scope, int i, const StepDecl& step) {
  if (!step.condition) return std::nullopt;
  scope.SetStep(i, nullptr);
  scope.SetPeek(true);
  scope.ClearPeekedUnknown();
  auto v = RenderTemplate(step.condition->tmpl, scope);
  std::optional<bool> known;
  if (v.ok() && !v.value().is_unknown() && scope.PeekedUnknown().empty())
    known = v.value().Truthy();
  scope.SetPeek(false);
  scope.SetStep(-1, nullptr);
  return known;
}

Status BindRunbookEnv(const Runbook& rb, const RunScope& scope, RunValues& values) {
  EvalBudget budget;  // one for the runbook's whole env
  budget.owner = "the runbook's env";
  for (const auto& [key, node] : rb.env) {
    auto v = ResolveTree(node, scope, &budget);
    // Always placed: the runbook's mistake, told apart from the environment's (break24a D2:
    // an entry past the run's work total was unplaced, and `run` said exit 3, not 2).
    if (!v.ok())
      return (v.status().site() ? v.status() : LocateError(v.status(), node.loc))
          .Prefixed("env " + key + ": ");
    values.env[key] = v.value().ToText();
    if (v.value().is_unknown()) values.env_unknown.insert(key);
  }
  return Status::Ok();
}

}  // namespace runbook
