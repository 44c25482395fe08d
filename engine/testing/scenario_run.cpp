#include "engine/testing/scenario_run.h"

#include <algorithm>

#include "engine/calls.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/loops.h"
#include "engine/plugin/approval_inputs.h"
#include "engine/plugin/check_value.h"
#include "engine/process_runner.h"
#include "engine/testing/scripted_step.h"
#include "engine/util/strings.h"

namespace runbook {

void Coverage::Branch(const std::string& what, bool taken) {
  auto [it, added] = branches_.emplace(what, taken);
  if (added) order_.push_back(what);
  it->second = it->second || taken;
}

void Coverage::Observe(const Runbook& rb, const RunResult& result) {
  // A finally step runs after a failed or a successful run as its main steps ended: the run's
  // own status may be a finally step's failure (break21 #1).
  bool main_failed = false;
  for (size_t i = 0; i < rb.finally_begin && i < result.steps.size(); ++i)
    main_failed =
        main_failed || (result.steps[i].outcome == Outcome::kFailure && !result.steps[i].tolerated);
  for (size_t i = 0; i < rb.steps.size() && i < result.steps.size(); ++i) {
    const StepDecl& s = rb.steps[i];
    const StepRun& run = result.steps[i];
    bool ran = !run.attempts.empty();
    if (s.condition && s.call_role != CallRole::kOutputs) {
      Branch(s.id + " if: true", ran);
      Branch(s.id + " if: false", run.skipped_by_condition);
    }
    if (s.retry.max_attempts > 1) Branch(s.id + " retried", run.attempts.size() > 1);
    if (s.continue_on_error != ContinueOnError::kNo)
      Branch(s.id + " failure tolerated", (run.outcome == Outcome::kFailure && run.tolerated) ||
                                              run.outcome == Outcome::kWarning);
    if (s.is_finally) {
      Branch(s.id + " after a failed run", ran && main_failed);
      Branch(s.id + " after a successful run", ran && !main_failed && result.status != "cancelled");
    }
  }
}

size_t Coverage::covered() const {
  return static_cast<size_t>(
      std::count_if(branches_.begin(), branches_.end(), [](const auto& b) { return b.second; }));
}

std::vector<std::string> Coverage::Uncovered() const {
  std::vector<std::string> out;
  for (const std::string& what : order_)
    if (!branches_.at(what)) out.push_back(what);
  return out;
}

namespace {

std::string At(const ScenarioFile& file, Loc loc) {
  return file.source.path + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": ";
}

// A step id the scenario names that the expanded runbook has not.
std::string UnknownStep(const Runbook& rb, const ScenarioFile& file, const std::string& id, Loc loc,
                        const std::string& where) {
  if (rb.FindStep(id) != nullptr) return "";
  std::vector<std::string> ids;
  for (const StepDecl& s : rb.steps) ids.push_back(s.id);
  std::string close = ClosestName(id, ids);
  return At(file, loc) + where + " names step '" + id + "', which the runbook does not have" +
         (close.empty() ? "" : "; did you mean '" + close + "'?");
}

// Whether step `s` runs as it is in a scenario: it changes nothing, waits for nobody (log),
// or is the engine's own (a call's start and outputs steps).
bool RunsAsItIs(const StepDecl& s) {
  if (s.call_role == CallRole::kStart || s.call_role == CallRole::kOutputs) return true;
  if (s.type == nullptr) return false;
  const StepSpec& spec = s.type->spec();
  return spec.changes_nothing && !spec.waits_for_people && spec.side_effects == SideEffects::kNone;
}

class NoObserver final : public RunObserver {};

// What a script asks that step `s` cannot do, each located: the engine's own steps of a call
// are not scripted (their outcome is their call's), `decline` is an approval's, and outputs
// must be ones the step's type declares, of its type (unless its outputs are open: exec).
std::vector<std::string> ScriptMistakes(const StepDecl& s, const StepScript& script,
                                        const ScenarioFile& file) {
  std::vector<std::string> out;
  if (s.call_role == CallRole::kStart || s.call_role == CallRole::kOutputs) {
    out.push_back(At(file, script.loc) + "step '" + s.id +
                  "' is the engine's own step of a call of " + s.uses +
                  ": script the steps inside it (" + s.call_of + ".<id>)");
    return out;
  }
  if (s.type == nullptr) return out;
  const StepSpec& spec = s.type->spec();
  if (script.attempts.size() > static_cast<size_t>(std::max(1, s.retry.max_attempts)))
    out.push_back(At(file, script.loc) + "the script of step '" + s.id + "' has " +
                  std::to_string(script.attempts.size()) + " attempts, but it makes at most " +
                  std::to_string(std::max(1, s.retry.max_attempts)) +
                  " (retry.max_attempts): the rest would never play");
  // An approval's outputs are its inputs (ApprovalAnswer): checked against their declarations.
  std::vector<ParamSpec> inputs;
  if (spec.waits_for_people)
    if (const TNode* written = s.With("inputs"))
      if (std::optional<Value> known = written->StaticValue()) {
        std::string ignored;
        inputs = ApprovalInputSpecs(*known, ignored);
      }
  for (const ScriptedAttempt& a : script.attempts) {
    if (a.kind == ScriptedAttempt::Kind::kDecline && !spec.waits_for_people)
      out.push_back(At(file, a.loc) + "decline is for an approval; step '" + s.id + "' is " +
                    spec.type + " (script failure instead)");
    for (const auto& [name, value] : a.outputs) {
      auto input = std::find_if(inputs.begin(), inputs.end(),
                                [&name = name](const ParamSpec& p) { return p.name == name; });
      if (input != inputs.end()) {
        if (std::string error = CheckValue(*input, value); !error.empty())
          out.push_back(At(file, a.loc) + "input '" + name + "' of approval '" + s.id +
                        "': " + error);
        continue;
      }
      if (!inputs.empty() && spec.FindOutput(name) == nullptr) {
        std::vector<std::string> names;
        for (const ParamSpec& p : inputs) names.push_back(p.name);
        std::string close = ClosestName(name, names);
        out.push_back(At(file, a.loc) + "approval '" + s.id + "' has no input '" + name + "'" +
                      (close.empty() ? "; its inputs: " + Join(names, ", ")
                                     : "; did you mean '" + close + "'?"));
        continue;
      }
      const OutputSpec* o = spec.FindOutput(name);
      if (o == nullptr && !spec.open_outputs) {
        std::vector<std::string> names;
        for (const OutputSpec& d : spec.outputs) names.push_back(d.name);
        std::string close = ClosestName(name, names);
        out.push_back(
            At(file, a.loc) + "step '" + s.id + "' (" + spec.type + ") has no output '" + name +
            "'" +
            (close.empty() ? "; it has: " + Join(names, ", ") : "; did you mean '" + close + "'?"));
        continue;
      }
      if (o == nullptr) continue;
      ParamSpec as_param;
      as_param.name = name;
      as_param.type = o->type;
      if (std::string error = CheckValue(as_param, value); !error.empty())
        out.push_back(At(file, a.loc) + "output '" + name + "' of step '" + s.id + "': " + error);
    }
  }
  return out;
}

// The steps that failed, for a run that ended otherwise than expected.
std::string FailedSteps(const Runbook& rb, const RunResult& result) {
  std::vector<std::string> failed;
  for (size_t i = 0; i < rb.steps.size() && i < result.steps.size(); ++i)
    if (result.steps[i].outcome == Outcome::kFailure && !result.steps[i].tolerated)
      failed.push_back("'" + rb.steps[i].id + "'" +
                       (result.steps[i].reason.empty() ? "" : ": " + result.steps[i].reason));
  return failed.empty() ? "" : " (failed: " + Join(failed, "; ") + ")";
}

void Compare(const Runbook& rb, const ScenarioFile& file, const Scenario& sc,
             const RunResult& result, ScenarioVerdict& v) {
  const Expectation& e = sc.expect;
  if (e.status && *e.status != result.status)
    v.problems.push_back(At(file, e.status_loc) + "the run ended " + result.status +
                         FailedSteps(rb, result) + ", expected " + *e.status);
  for (size_t k = 0; k < e.outcomes.size(); ++k) {
    const auto& [id, want] = e.outcomes[k];
    auto outcome_of = [&](const StepDecl& d) {
      const StepRun& r = result.steps[static_cast<size_t>(&d - rb.steps.data())];
      return d.call_role == CallRole::kOutputs ? CallOutcomeOf(rb, result.steps, d.call_of)
                                               : r.outcome;
    };
    const StepDecl* s = rb.FindStep(id);
    if (s == nullptr) {  // a loop: its items' outcome, as steps.LOOP.outcome gives it
      std::vector<Outcome> items;
      for (size_t i : rb.loops.at(id)) items.push_back(outcome_of(rb.steps[i]));
      std::string got = LoopOutcome(items);
      if (got != want)
        v.problems.push_back(At(file, e.outcome_locs[k]) + "loop '" + id + "' ended " + got +
                             ", expected " + want);
      continue;
    }
    const StepRun& run = result.steps[static_cast<size_t>(s - rb.steps.data())];
    std::string got = OutcomeName(outcome_of(*s));
    if (got != want)
      v.problems.push_back(At(file, e.outcome_locs[k]) + "step '" + id + "' ended " + got +
                           (run.reason.empty() ? "" : " (" + run.reason + ")") + ", expected " +
                           want);
  }
  for (size_t k = 0; k < e.attempts.size(); ++k) {
    const auto& [id, want] = e.attempts[k];
    const StepDecl* s = rb.FindStep(id);
    int got =
        static_cast<int>(result.steps[static_cast<size_t>(s - rb.steps.data())].attempts.size());
    if (got != want)
      v.problems.push_back(At(file, e.attempt_locs[k]) + "step '" + id + "' made " +
                           std::to_string(got) + " attempt(s), expected " + std::to_string(want));
  }
}

}  // namespace

ScenarioVerdict RunScenario(const Runbook& loaded, const ScenarioFile& file,
                            const Scenario& scenario, Coverage& coverage) {
  ScenarioVerdict v;
  v.name = scenario.name;
  Runbook rb = loaded;
  std::vector<std::pair<std::string, std::string>> sets;
  for (const auto& [name, value] : file.default_params) {
    bool own = std::any_of(scenario.params.begin(), scenario.params.end(),
                           [&name = name](const auto& p) { return p.first == name; });
    if (!own) sets.emplace_back(name, value);
  }
  sets.insert(sets.end(), scenario.params.begin(), scenario.params.end());
  // Each param the scenario gives, checked on its own and located at it (break21 #5, #8): a
  // list or mapping only for a list or map param.
  for (size_t k = 0; k < scenario.params.size(); ++k) {
    const auto& [name, text] = scenario.params[k];
    Loc loc = k < scenario.param_locs.size() ? scenario.param_locs[k] : scenario.loc;
    const ParamSpec* spec = rb.FindParam(name);
    bool collection = k < scenario.param_is_collection.size() && scenario.param_is_collection[k];
    if (spec != nullptr && collection && spec->type != ParamType::kList &&
        spec->type != ParamType::kStringList && spec->type != ParamType::kMap &&
        spec->type != ParamType::kStringMap && spec->type != ParamType::kAny &&
        spec->type != ParamType::kValue) {
      v.problems.push_back(At(file, loc) + "params: param '" + name + "' is " +
                           ParamTypeName(spec->type) + ", not a list or mapping");
      continue;
    }
    if (auto one = ParseSet(rb, name, text); !one.ok())
      v.problems.push_back(At(file, loc) + "params: " + one.status().message());
  }
  auto params = BindParams(rb, sets);
  if (!params.ok() && v.problems.empty())  // a default param, or a required one not given
    v.problems.push_back(At(file, scenario.loc) + "params: " + params.status().message());
  if (!v.problems.empty()) {
    v.invalid = true;
    return v;
  }
  if (Status s = ExpandRunbook(rb, params.value()); !s.ok()) {
    v.problems.push_back(At(file, scenario.loc) + s.message());
    v.invalid = true;
    return v;
  }
  std::map<std::string, StepScript> scripts = file.defaults;
  for (const auto& [id, script] : scenario.steps) scripts[id] = script;
  // A loop's id scripts each of its items an item's own script does not (break21 #9).
  for (const auto& [loop, items] : rb.loops) {
    auto it = scripts.find(loop);
    if (it == scripts.end() || rb.FindStep(loop) != nullptr) continue;
    StepScript each = it->second;
    scripts.erase(it);
    for (size_t k : items) scripts.emplace(rb.steps[k].id, each);
  }
  for (const auto& [id, script] : scripts) {
    if (std::string bad = UnknownStep(rb, file, id, script.loc, "steps"); !bad.empty()) {
      v.problems.push_back(bad);
      continue;
    }
    for (std::string& m : ScriptMistakes(*rb.FindStep(id), script, file))
      v.problems.push_back(std::move(m));
  }
  for (size_t k = 0; k < scenario.expect.outcomes.size(); ++k)
    if (std::string bad = UnknownStep(rb, file, scenario.expect.outcomes[k].first,
                                      scenario.expect.outcome_locs[k], "expect.steps");
        !bad.empty() && rb.loops.count(scenario.expect.outcomes[k].first) == 0)
      v.problems.push_back(bad);
  for (size_t k = 0; k < scenario.expect.attempts.size(); ++k)
    if (std::string bad = UnknownStep(rb, file, scenario.expect.attempts[k].first,
                                      scenario.expect.attempt_locs[k], "expect.attempts");
        !bad.empty())
      v.problems.push_back(bad);
  if (!v.problems.empty()) {
    v.invalid = true;
    return v;
  }
  std::vector<std::unique_ptr<ScriptedType>> scripted;
  for (StepDecl& s : rb.steps) {
    s.retry.delay = s.retry.max_delay = Millis(0);  // a retry's path, not its wait
    s.retry.jitter = false;
    auto script = scripts.find(s.id);
    if (s.type == nullptr || (script == scripts.end() && RunsAsItIs(s))) continue;
    scripted.push_back(std::make_unique<ScriptedType>(
        *s.type, script == scripts.end() ? std::nullopt : std::optional(script->second)));
    s.type = scripted.back().get();
  }
  Graph graph = BuildGraph(rb);
  const Clock& clock = RealClock();
  PosixProcessRunner processes(clock);
  NoObserver observer;
  CancelToken cancel;
  RunServices services{processes, clock, observer, cancel, nullptr, CurrentEnvironment()};
  RunOptions options;
  options.run_id = "test";
  options.params = params.value();
  Value::Map secrets;  // placeholders: a scenario never reads a real secret
  for (const SecretDecl& s : rb.secrets) secrets[s.name] = Value("scripted-secret-" + s.name);
  options.secrets = secrets;
  options.kill_grace = Millis(500);
  auto result = Execute(rb, graph, options, services);
  if (!result.ok()) {
    v.problems.push_back(At(file, scenario.loc) +
                         "the run could not start: " + result.status().message());
    return v;
  }
  v.status = result.value().status;
  Compare(rb, file, scenario, result.value(), v);
  coverage.Observe(rb, result.value());
  return v;
}

}  // namespace runbook
