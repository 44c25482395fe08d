// Phases: bind (params, placeholder secrets, the runbook's env) -> each wave's steps
// (env, then `with` seeing that env, then the step type's description) -> the whole.
#include "engine/preview.h"

#include "engine/attempt.h"
#include "engine/expression_eval.h"
#include "engine/expression_limits.h"
#include "engine/run_scope.h"

namespace runbook {
namespace {

using M = Value::Map;
using L = Value::List;

Value Masked(const PlanInputs& in, const Value& v) {
  return in.redactor != nullptr ? in.redactor->Apply(v) : v;
}

// An env block resolved where it can be; `into` gets the text the run would set. `budget` is
// spent as the run spends it (one for the runbook's env, one per step for its env and
// `with`): once spent, the entries left are shown unresolved at once (break22c #6: a fresh
// budget per entry kept plan busy for minutes where the run stops at the first). With `error`,
// the first entry's error (not a value unknown before the run) as the run says it: "env K: ...".
// Without `show`, resolved only: the returned map is empty (nothing masked for no one).
Value EnvPreview(const TemplateMap& env, const RunScope& scope, const PlanInputs& in, EnvMap& into,
                 EvalBudget& budget, std::string* error = nullptr, bool show = true) {
  M out;
  for (const auto& [key, node] : env) {
    auto v = ResolveTree(node, scope, &budget);
    if (!v.ok() && error != nullptr && error->empty())
      *error = "env " + key + ": " + v.status().message();
    Value shown = v.ok() ? v.value()
                         : Value::Unknown(node.text.empty() ? "${{ env." + key + " }}" : node.text);
    if (v.ok() && !shown.is_unknown()) shown = Value(shown.ToText());
    into[key] = shown.ToText();
    if (show) out[key] = Masked(in, shown);
  }
  return Value(std::move(out));
}

const char* ContinueOnErrorName(ContinueOnError c) {
  switch (c) {
    case ContinueOnError::kNo:
      return "false";
    case ContinueOnError::kYes:
      return "true";
    case ContinueOnError::kWarn:
      return "warn";
  }
  return "false";
}

Value RetryPreview(const RetryPolicy& r) {
  L on, codes;
  if (r.on_failure) on.push_back(Value("failure"));
  if (r.on_timeout) on.push_back(Value("timeout"));
  for (int c : r.exit_codes) codes.push_back(Value(static_cast<int64_t>(c)));
  return Value(
      M{{"max_attempts", Value(static_cast<int64_t>(r.max_attempts))},
        {"delay", Value(FormatDuration(r.delay))},
        {"backoff", Value(r.backoff == Backoff::kExponential ? "exponential" : "constant")},
        {"max_delay", Value(FormatDuration(r.max_delay))},
        {"jitter", Value(r.jitter)},
        {"on", Value(std::move(on))},
        {"exit_codes", Value(std::move(codes))}});
}

// What decides whether and how the step runs, before its parameters.
M StepPolicy(const StepDecl& s) {
  M m;
  m["id"] = Value(s.id);
  m["name"] = Value(s.name);
  m["uses"] = Value(s.uses);
  L needs;
  for (const std::string& n : s.needs) needs.push_back(Value(n));
  m["needs"] = Value(std::move(needs));
  m["finally"] = Value(s.is_finally);
  if (s.condition) m["if"] = Value(s.condition->text);  // as written
  if (s.timeout) m["timeout"] = Value(FormatDuration(*s.timeout));
  m["max_attempts"] = Value(static_cast<int64_t>(s.retry.max_attempts));
  m["retry"] = RetryPreview(s.retry);
  m["continue_on_error"] = Value(ContinueOnErrorName(s.continue_on_error));
  m["side_effects"] = Value(SideEffectsName(s.type->spec().side_effects));
  m["waits_for_people"] = Value(s.type->spec().waits_for_people);
  m["idempotent"] = Value(s.Idempotent());
  if (s.rto != RtoMark::kNone) m["rto"] = Value(s.rto == RtoMark::kStart ? "start" : "end");
  if (s.loop) {  // an item, or a loop whose list is not known (break19 L8)
    M loop{{"fail_fast", Value(s.loop->fail_fast)}};
    if (s.loop->max_parallel)
      loop["max_parallel"] = Value(static_cast<int64_t>(*s.loop->max_parallel));
    if (!s.loop_of.empty()) {
      loop["of"] = Value(s.loop_of);
      loop["index"] = Value(static_cast<int64_t>(s.loop_index));
    } else {
      loop["items"] = Value(s.loop->items.text.empty() ? "a list" : s.loop->items.text);
    }
    m["loop"] = Value(std::move(loop));
  }
  return m;
}

// StepPolicy masked: a display name, ids, needs and a loop's name, as the run's console shows
// them (break23a A6, break24a S3: `hunter2secret[0]` and "of": "hunter2secret" were shown whole).
M ShownPolicy(const StepDecl& s, const PlanInputs& in) {
  M m = StepPolicy(s);
  if (auto cond = m.find("if"); cond != m.end()) cond->second = Masked(in, cond->second);
  for (const char* key : {"name", "id", "needs"}) m[key] = Masked(in, m[key]);
  if (auto loop = m.find("loop"); loop != m.end()) loop->second = Masked(in, loop->second);
  return m;
}

// Why the run will skip step `i`, where that is known before it ("" when not known, or it
// runs): its `if:` false on what a peek knows (params, env, literals), or, for a main step
// whose `if:` reads no status function, a need known skipped: as ConditionsKnownBeforeRun
// judges, the condition evaluated in the plan's scope so it spends the run's work total as
// the run does (break24a W5: plan resolved the `with` of steps the run skips, spent the total
// on them and refused a runbook whose run succeeds). `skipped`: the steps before, so judged.
std::string KnownSkipped(const Graph& g, int i, RunScope& scope,
                         const std::map<int, std::string>& skipped) {
  const StepDecl& s = *g.nodes[i].step;
  if (!s.is_finally && !s.condition_has_status)
    for (int d : g.nodes[i].needs)
      if (skipped.count(d) != 0)
        return "the run skips it: it needs " + g.nodes[d].step->id + ", which is skipped";
  return PeekCondition(scope, i, s) == false
             ? "the run skips it: its if: is false with these params"
             : "";
}

// A step the run skips: what decides it, and why; nothing of it resolved, as in the run.
Value SkippedPreview(const StepDecl& s, const PlanInputs& in, const std::string& why) {
  M m = ShownPolicy(s, in);
  m["skipped"] = Masked(in, Value(why));
  m["env"] = Value(M{});
  m["params"] = Value(M{});
  m["actions"] = Value(L{});
  return Value(std::move(m));
}

// The step's preview; `shown` counts the resolved values the plan holds so far
// (kMaxPlanValueBytes). Past it, the step is still resolved, as the run resolves it, so plan
// fails where the run fails (its error, the run's work total: break25a #4), but its values are
// dropped, not shown.
Value StepPreview(const Graph& g, int i, RunScope& scope, const PlanInputs& in, size_t& shown) {
  const StepDecl& s = *g.nodes[i].step;
  M m = ShownPolicy(s, in);
  const bool over = shown > kMaxPlanValueBytes;
  EnvMap step_env;
  scope.SetStep(i, &step_env);
  EvalBudget budget;  // one for the step's env and `with`, as the run's (executor.cpp)
  budget.owner = "step '" + s.id + "'";
  std::string error;
  // An env entry the run cannot resolve fails the step there, before its `with` (executor):
  // said, not shown unresolved without a word (break23a B2: the run's work total spent).
  Value env = EnvPreview(s.env, scope, in, step_env, budget, &error, !over);
  bool by_values = true;
  Value params =
      error.empty() ? ResolveParams(s, scope, error, in.redactor, &budget, &by_values) : Value();
  L actions;
  if (over) {
    m["env"] = Value(M{});
    m["params"] = Value(M{});
    m["values_not_shown"] =
        Value("this plan already shows " + std::to_string(kMaxPlanValueBytes >> 20) +
              " MiB of resolved values (its budget): this step's are resolved, not shown");
  } else {
    shown += ValueBytes(env) + ValueBytes(params);
    m["env"] = std::move(env);
  }
  if (!error.empty()) {
    m["error"] = Masked(in, Value(error));
    // A run with these params fails here (breakFF N5); a step's own checks may look at
    // files the run will have made by then: those stay a note.
    if (by_values) m["fails_run"] = Value(true);
  } else if (!over) {
    m["params"] = Masked(in, params);
    m["idempotent"] = Value(s.Idempotent(params));  // as its type says of these values
    std::vector<std::string> lines;
    StepParams view(s.type->spec(), params);
    error = CallStep(s, "describing what it would do", [&] { lines = s.type->Describe(view); });
    if (!error.empty()) m["error"] = Masked(in, Value(error));
    for (const std::string& a : lines) actions.push_back(Masked(in, Value(a)));
  }
  m["actions"] = Value(std::move(actions));
  return Value(std::move(m));
}

// The runbook's parameters, secrets' sources, lock and parallelism.
void RunbookPreview(const Runbook& rb, const PlanInputs& in, const RunScope& scope, M& out) {
  out["runbook"] = Masked(in, Value(rb.name));  // as the run's console (break23a A6)
  out["kind"] = Value(rb.kind);
  out["path"] = Value(rb.path());
  M objectives;
  if (rb.rto_objective) objectives["rto"] = Value(FormatDuration(*rb.rto_objective));
  if (rb.rpo_objective) objectives["rpo"] = Value(FormatDuration(*rb.rpo_objective));
  out["objectives"] = Value(std::move(objectives));
  out["params"] = Masked(in, Value(in.params));
  M sources, secrets;
  for (const auto& [name, value] : in.params) {
    sources[name] = Value(in.set_on_command_line.count(name)      ? "command line"
                          : value.is_null() || value.is_unknown() ? "unset"  // required: Unknown
                                                                  : "default");
  }
  out["param_sources"] = Value(std::move(sources));
  for (const SecretDecl& s : rb.secrets)
    secrets[s.name] = Value(s.env.empty() ? "file " + s.file : "env " + s.env);
  out["secrets"] = Value(std::move(secrets));
  out["max_parallel"] = Value(static_cast<int64_t>(rb.max_parallel));  // 0: the cores
  if (rb.lock) {
    auto lock = ResolveTree(*rb.lock, scope);
    out["lock"] = Masked(in, lock.ok() ? Value(lock.value().ToText()) : Value(rb.lock->text));
    if (!lock.ok()) out["lock_error"] = Masked(in, Value(lock.status().message()));
  }
  // Relative to the runbook file's folder, as written: the plan names no absolute path.
  out["working_directory"] = Value(rb.working_directory.empty() ? "." : rb.working_directory);
}

}  // namespace

RunValues PlanValues(const Runbook& rb, const Value::Map& params, const Clock& clock) {
  RunValues values;
  values.run_id = "${{ run.id }}";
  values.params = params;
  values.dry_run = true;
  for (const SecretDecl& s : rb.secrets)
    values.secrets[s.name] = Value::Unknown("${{ secrets." + s.name + " }}");
  values.started = clock.Now();
  return values;
}

Value PlanPreview(const Runbook& rb, const Graph& g, const PlanInputs& in) {
  SystemClock clock;
  RunValues values = PlanValues(rb, in.params, clock);
  RunScope scope(rb, values, nullptr, clock);
  M out;
  {  // as the run binds it: an entry that cannot be resolved refuses the run (break22 #6)
    RunValues bound = values;
    RunScope bind_scope(rb, bound, nullptr, clock);
    if (Status env = BindRunbookEnv(rb, bind_scope, bound); !env.ok())
      out["env_error"] = Masked(in, Value(env.message()));
  }
  EvalBudget env_budget;  // one for the runbook's whole env, as BindRunbookEnv's
  env_budget.owner = "the runbook's env";
  out["env"] = EnvPreview(rb.env, scope, in, values.env, env_budget);
  RunbookPreview(rb, in, scope, out);
  L waves;
  size_t shown = 0;
  std::map<int, std::string> skipped;   // KnownSkipped: the steps the run skips, why
  for (const auto& wave : g.Waves()) {  // in order: a step's needs are in earlier waves
    L steps;
    for (int i : wave) {
      std::string why = KnownSkipped(g, i, scope, skipped);
      if (!why.empty()) skipped[i] = why;
      steps.push_back(why.empty() ? StepPreview(g, i, scope, in, shown)
                                  : SkippedPreview(*g.nodes[i].step, in, why));
    }
    waves.push_back(Value(std::move(steps)));
  }
  out["waves"] = Value(std::move(waves));
  return Value(std::move(out));
}

}  // namespace runbook
