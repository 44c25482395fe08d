// The values expressions see during a run (and, with unknowns, during plan): params,
// secrets, env, upstream steps' outputs and outcomes, run fields, and the status
// functions of the step being decided. Read on the executor's loop thread.
#pragma once

#include <cassert>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/expression_eval.h"
#include "engine/graph.h"
#include "engine/model.h"
#include "engine/plan.h"
#include "engine/plugin/process.h"

namespace runbook {

struct RunValues {
  std::string run_id;
  Value::Map params;
  Value::Map secrets;  // Unknown placeholders in plan / dry run
  EnvMap env;          // the runbook's env, resolved
  // Entries of `env` whose value was not known when bound (a param or secret not known yet:
  // plan, a peek before the run): reading one is unknown, not its placeholder text.
  std::set<std::string> env_unknown;
  // The folder relative paths resolve against (absolute), for realpath(); nullopt in plan.
  std::optional<std::string> base;
  bool dry_run = false;
  bool cancelled = false;
  bool failed = false;  // a main step failed (not tolerated)
  Clock::Mono started;
};

class RunScope final : public EvalScope {
 public:
  // `steps` and `graph` come together (a run); both are null in plan.
  RunScope(const Runbook& rb, const RunValues& values, const std::vector<StepRun>* steps,
           const Clock& clock, const Graph* graph = nullptr)
      : rb_(rb), values_(values), steps_(steps), clock_(clock), graph_(graph) {
    assert((steps == nullptr) == (graph == nullptr));
  }

  // The step whose `with`, `env` or `if` is evaluated (nullptr for runbook-level values).
  void SetStep(int index, const EnvMap* step_env) {
    step_ = index;
    step_env_ = step_env;
    masked_reads_.clear();
    need_lost_ = false;
  }

  // The carried steps (ids) whose outputs, recorded masked, an expression of the current step
  // read since SetStep: each such read failed, and running the step again (--rerun) is what
  // gets the value back (breakQ Q2: the command that continues must name them).
  const std::set<std::string>& MaskedReads() const { return masked_reads_; }
  // The steps (ids) whose outputs or outcome a peek found not known yet, since the last
  // ClearPeekedUnknown: what a value left unknown waits for (breakEE E4).
  const std::set<std::string>& PeekedUnknown() const { return peeked_unknown_; }
  void ClearPeekedUnknown() { peeked_unknown_.clear(); }

  // A peek at a step's values before it starts (executor, engine/path_roles.h): what may
  // change until it runs is Unknown — run.status, run.elapsed, the outcome and outputs of a
  // step that has not passed (a resume runs it again: breakZ Z16), status functions,
  // realpath() (the file system) — so a guard read from them is not taken as known (breakY
  // Y4).
  void SetPeek(bool on) { peek_ = on; }
  // The id `run.id` gives until reset (nullopt): a step carried over by a resume is resolved
  // again as it was in the run it ran in, to prove a path it recorded masked (breakCC C6).
  void SetRunIdAs(std::optional<std::string> id) { run_id_as_ = std::move(id); }
  bool Peeking() const override { return peek_; }
  std::atomic<int64_t>* RunWorkLeft() const override { return &work_left_; }
  // Peeking at the step set by SetStep: one of its needs will not run, for reasons that stay
  // (the executor tells), so its success() is false for good (breakAA A4). Reset by SetStep.
  void SetPeekNeedLost(bool lost) { need_lost_ = lost; }
  // always() is true; success() of a main step whose need is lost is false; else nullopt.
  std::optional<bool> PeekedStatus(const std::string& name) const override;

  // Whether step `index` (of `rb.steps`, done) lets what needs it run: it passed, or it is a
  // loop's item its own `if:` skipped while another item of the loop passed (break19 L5: one
  // item filtered out skipped every step after the loop). Needs a run (steps set).
  bool NeedPassed(size_t index) const;

  Result<Value> Lookup(const std::vector<std::string>& path) const override;
  // The outcome of call `frame`: its start's when it did not start; failure when one of its
  // steps failed (not tolerated); cancelled when one was; else its outputs step's.
  Outcome CallOutcome(const std::string& frame) const;
  // Needs a run (steps set).
  Outcome OutcomeOf(size_t index) const;  // a step's, a call's for its outputs step
  // Lookup as seen from `frame` (a call's id, "" for the runbook's own steps: engine/calls.h),
  // `item`/`index` from `loop_step` (nullptr: none), the current step's env only when
  // `step_env`.
  Result<Value> LookupIn(const std::string& frame, const StepDecl* loop_step, bool step_env,
                         const std::vector<std::string>& path) const;
  bool StatusFunction(const std::string& name) const override;
  std::optional<std::string> RunBase() const override {
    return peek_ ? std::nullopt : values_.base;
  }

 private:
  Result<Value> StepValue(const std::string& frame, const std::vector<std::string>& path) const;
  // `params.NAME...` inside call `frame`: the call's `with.NAME` evaluated where the call is
  // written, else the used runbook's default.
  Result<Value> CallParam(const std::string& frame, const std::vector<std::string>& path) const;

  // `steps.LOOP.outcome` / `.outputs[.NAME]` of a loop whose items are `items` (indices).
  Result<Value> ItemsValue(const std::vector<size_t>& items,
                           const std::vector<std::string>& path) const;
  // `item` and `index` of the step being evaluated (a loop's item).
  Result<Value> LoopValue(const StepDecl* step, const std::vector<std::string>& path) const;
  Result<Value> RunValue(const std::string& field) const;
  Result<Value> RunMap() const;  // bare `run`: {id, dry_run, status, elapsed}
  bool AncestorFailed() const;

  const Runbook& rb_;
  const RunValues& values_;
  const std::vector<StepRun>* steps_;  // null in plan: outputs unknown
  const Clock& clock_;
  const Graph* graph_;  // the run's graph, for failure() upstream
  int step_ = -1;
  const EnvMap* step_env_ = nullptr;
  mutable std::set<std::string> masked_reads_;    // MaskedReads(); lookups are const
  mutable std::set<std::string> peeked_unknown_;  // PeekedUnknown()
  // Per step: whether a step upstream of it failed untolerated (1, 0), -1 not known yet;
  // kept for done steps (AncestorFailed).
  mutable std::vector<int8_t> upstream_failed_;
  std::optional<std::string> run_id_as_;
  bool peek_ = false;
  mutable std::atomic<int64_t> work_left_{kMaxRunEvalWork};  // RunWorkLeft
  bool need_lost_ = false;
};

// Descends into `v` along path[from...]; an error names the missing key.
Result<Value> Descend(const Value& v, const std::vector<std::string>& path, size_t from);

// The runbook's env as a run sets it: each entry in the order written, seeing those before it
// through `scope` (which reads `values`), with one EvalBudget for the whole block; each into
// `values.env` as text, and into `values.env_unknown` when known only at run time (plan,
// validate). An entry that cannot be resolved is an error naming it: "env KEY: WHY (at line
// L, column C)", the entries after it left unset. The run, `plan` and `validate` all bind it
// so (break22 #6: an env that doubled itself past 4 MiB passed validate and plan).
Status BindRunbookEnv(const Runbook& rb, const RunScope& scope, RunValues& values);

// Step `i`'s `if:` (`step`, of `scope`'s runbook) as a peek knows it before the step starts
// (SetPeek: params, env, secrets, literals, always(); not what steps give nor the other status
// functions): its truth, or nullopt when it reads what is not known yet, cannot be evaluated,
// or the step has no `if:`. Spends `scope`'s work total as the run's evaluation of it does.
// Leaves `scope` with no step set and not peeking. For what is judged before the run: the
// executor's ConditionsKnownBeforeRun and plan's skipped steps (engine/preview.cpp).
std::optional<bool> PeekCondition(RunScope& scope, int i, const StepDecl& step);

}  // namespace runbook
