#include "engine/preview.h"

#include "engine/attempt.h"
#include "engine/run_scope.h"

namespace runbook {
namespace {

Value StepPreview(const Runbook& rb, const Graph& g, int i, RunScope& scope) {
  const StepDecl& s = *g.nodes[i].step;
  Value::Map m;
  m["id"] = Value(s.id);
  m["name"] = Value(s.name);
  m["uses"] = Value(s.uses);
  Value::List needs;
  for (const std::string& n : s.needs) needs.push_back(Value(n));
  m["needs"] = Value(std::move(needs));
  m["finally"] = Value(s.is_finally);
  if (s.condition) m["if"] = Value(s.condition->text);
  if (s.timeout) m["timeout"] = Value(FormatDuration(*s.timeout));
  m["max_attempts"] = Value(static_cast<int64_t>(s.retry.max_attempts));
  m["side_effects"] = Value(SideEffectsName(s.type->spec().side_effects));
  if (s.rto != RtoMark::kNone) m["rto"] = Value(s.rto == RtoMark::kStart ? "start" : "end");
  scope.SetStep(i, nullptr);
  std::string error;
  Value params = ResolveParams(s, scope, error);
  Value::List actions;
  if (!error.empty()) {
    m["error"] = Value(error);
  } else {
    m["params"] = params;
    std::vector<std::string> lines;
    StepParams view(s.type->spec(), params);
    error = CallStep(s, "describing what it would do", [&] { lines = s.type->Describe(view); });
    if (!error.empty()) m["error"] = Value(error);
    for (const std::string& a : lines) actions.push_back(Value(a));
  }
  m["actions"] = Value(std::move(actions));
  (void)rb;
  return Value(std::move(m));
}

}  // namespace

Value PlanPreview(const Runbook& rb, const Graph& g, const Value::Map& params) {
  RunValues values;
  values.run_id = "${{ run.id }}";
  values.params = params;
  values.dry_run = true;
  for (const SecretDecl& s : rb.secrets) {
    values.secrets[s.name] = Value::Unknown("${{ secrets." + s.name + " }}");
  }
  SystemClock clock;
  values.started = clock.Now();
  RunScope scope(rb, values, nullptr, clock);
  for (const auto& [key, node] : rb.env) {
    auto v = ResolveTree(node, scope);
    values.env[key] = v.ok() ? v.value().ToText() : "${{ env." + key + " }}";
  }
  Value::List waves;
  for (const auto& wave : g.Waves()) {
    Value::List steps;
    for (int i : wave) steps.push_back(StepPreview(rb, g, i, scope));
    waves.push_back(Value(std::move(steps)));
  }
  Value::Map out;
  out["runbook"] = Value(rb.name);
  out["kind"] = Value(rb.kind);
  out["path"] = Value(rb.path());
  Value::Map objectives;
  if (rb.rto_objective) objectives["rto"] = Value(FormatDuration(*rb.rto_objective));
  if (rb.rpo_objective) objectives["rpo"] = Value(FormatDuration(*rb.rpo_objective));
  out["objectives"] = Value(std::move(objectives));
  out["params"] = Value(params);
  out["waves"] = Value(std::move(waves));
  return Value(std::move(out));
}

}  // namespace runbook
