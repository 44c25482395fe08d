// One attempt of one step, run on its own thread: resolves nothing itself (the loop thread
// prepared everything), calls the step type, and turns exceptions and dry runs into
// results. Internal to the executor.
#pragma once

#include <optional>
#include <string>

#include "engine/executor.h"
#include "engine/output_so_far.h"
#include "engine/redact.h"
#include "engine/run_scope.h"

namespace runbook {

struct AttemptInput {
  AttemptInput(const StepDecl& s, std::string id, int n, RunServices& services)
      : step(s), run_id(std::move(id)), number(n), svc(services) {}
  const StepDecl& step;
  std::string run_id;
  int number = 1;
  RunServices& svc;
  const std::vector<std::string>* continues = nullptr;  // RunOptions::continues
  const CancelToken* cancel = nullptr;                  // the run's (or the finally steps') token
  // The attempt's own token (AttemptStops): `cancel` forwarded, and cancelled at `deadline`.
  // What the step sees; when unset, the step sees `cancel` itself.
  std::shared_ptr<CancelToken> stop;
  const Redactor* redactor = nullptr;
  bool dry_run = false;
  Millis kill_grace{5000};
  Millis timeout{0};
  std::optional<Clock::Mono> deadline;
  EnvMap env;
  Value params;
  std::string resolve_error;  // set when params or env could not be resolved
  // Dry run: a step before this one, only described, that may change what this one looks at
  // (its type does not declare changes_nothing); "" when none. A failure this step's look
  // predicts is then not the dry run's failure (breakS S4: a folder an earlier step makes).
  std::string dry_upstream;
  std::vector<PassedStep> passed;
  std::vector<std::string> read_elsewhere;                 // StepContext::read_elsewhere
  std::vector<std::string> reads_unknown;                  // StepContext::reads_unknown
  std::function<void(std::unique_ptr<RunResource>)> keep;  // the run's resources
  // Where the lines it prints and notes are kept as they come (null: nowhere).
  std::shared_ptr<OutputSoFar> so_far;
};

// At most this many ended processes are noted per attempt; then "... and N more".
constexpr size_t kMaxEndedNoted = 200;

// Runs the attempt. Processes its runs ended besides their groups (escaped descendants) are
// in AttemptResult::ended_processes, never in its stderr.
AttemptResult RunAttempt(AttemptInput& in);

// Calls into a step type (`call`: its Run, DryRun or Describe) and returns "" when nothing
// escaped it. An escaped exception or ParamError (a bug) becomes the words shown to people:
// "internal error in step ID (TYPE) while OPERATION: WHAT — please report"; OPERATION is
// `operation` ("running"), or "reading its parameters" for a ParamError.
std::string CallStep(const StepDecl& step, const char* operation,
                     const std::function<void()>& call);

// The step's `with` evaluated (charged to `budget`, the step's one; a fresh one when null),
// defaults applied, every value checked against the spec. A value in `error` is quoted masked
// by `redactor` (when given) before it is cut. `by_values` (when given) tells whether an error
// follows from the values alone (an expression, a type, a range) rather than from the step's
// own checks of the resolved values, which may look at the file system (plan: breakFF N5).
Value ResolveParams(const StepDecl& step, const RunScope& scope, std::string& error,
                    const Redactor* redactor = nullptr, EvalBudget* budget = nullptr,
                    bool* by_values = nullptr);

}  // namespace runbook
