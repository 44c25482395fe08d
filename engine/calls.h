// Reusable runbooks: a step with `uses: ./lib/fetch-and-verify.yaml` runs that runbook's
// steps inside this run, its params given by the step's `with:` and its declared `outputs:`
// read downstream as the step's (docs/format.md#reusable-runbooks).
//
// A call is expanded into steps of the run, as a loop is into items (engine/loops.h), so the
// executor, the audit store, the live view, `show`, reports, the API and resume see each of
// the used runbook's steps as they see any step; the "child run" is recorded inside its
// parent's run, under one run id, one lock and one audit chain, as GitHub Actions records a
// reusable workflow's jobs inside the caller's run and Argo a template's nodes inside its
// workflow. A call `X` becomes:
//   X.@start  the call's `needs` and `if:`; the used runbook's first steps need it. When it
//             does not run (its if: is false, a need failed), no step of the call runs.
//   X.<id>    each step of the used runbook, its `needs` and `steps.<id>` read inside the call;
//             its `params.<name>` is the call's `with.<name>`, evaluated where the call is
//             written (or the param's default).
//   X         the outputs step: needs every step of the call, runs unless one failed or the
//             run was cancelled, and publishes the used runbook's `outputs:`. `needs: [X]`
//             and `steps.X.outputs.<name>` name it; `steps.X.outcome` is the call's (failure
//             when one of its steps failed, skipped when it did not start).
// The used runbook's `finally:` steps run with the caller's finally steps.
#pragma once

#include <memory>
#include <string>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// Calls nest at most this deep: a deeper chain is more likely a mistake than a design.
inline constexpr int kMaxCallDepth = 8;
// An expanded run has at most this many steps: loops of calls multiply.
inline constexpr size_t kMaxExpandedSteps = 5000;

// The suffix of a call's start step id ("X.@start"): '@' is not allowed in step ids, so it
// never meets one of the used runbook's steps.
inline constexpr const char* kCallStartSuffix = ".@start";

// Whether `uses` names a runbook file rather than a step type: it begins with "./" or "../"
// (as GitHub Actions' local actions and reusable workflows do).
bool UsesRunbookFile(const std::string& uses);

// Gives `callee` (a runbook loaded for `uses: text`) its call_type, start_type and
// outputs_type (model.h): the call's params are its params, its outputs its `outputs:` (any
// type), its side effects the strongest of its steps'.
void MakeCallTypes(Runbook& callee, const std::string& uses_text);

// Replaces each step of `rb` that uses a runbook (`callee` set) by the steps of that runbook,
// as described above, after expanding that runbook's own loops and calls with its params as
// the call's `with` gives them from `params` (a `with` value that reads steps is unknown
// then; a loop of the used runbook over it is refused, as a loop over a step's output is).
// Fills rb.calls, rebuilds rb.step_index and rb.loops. With `plan_unset`, lists not known
// leave their loops as one step. Errors (nothing is run: exit 2): a loop of the used runbook
// that cannot be expanded (located in its file), the chain deeper than kMaxCallDepth, the
// expanded run over kMaxExpandedSteps steps.
Status ExpandCalls(Runbook& rb, const Value::Map& params, bool plan_unset = false);

// ExpandLoops, then ExpandCalls: what every command that runs or shows the run's steps calls
// once the params are bound.
Status ExpandRunbook(Runbook& rb, const Value::Map& params, bool plan_unset = false);

// The frame a step's expressions are evaluated in: its call's (a start step's `if:` is the
// call's own, written where the call is: the call's parent frame). "" for the runbook's own.
std::string EvalFrame(const Runbook& rb, const StepDecl& step);

// The sha256 (hex) of each file `rb` uses, directly or not, by its path from rb's folder
// ("lib/x.yaml"): recorded with
// a run (`uses_sha256`), so a resume finds a used runbook edited since as it finds the
// runbook itself edited. Empty when it uses none.
Value::Map UsesSha256(const Runbook& rb);

// The outcome of call `frame` in a run whose steps ended as `runs` (rb.steps' order): its
// start's when it did not start; failure when one of its steps failed (not tolerated);
// cancelled when one was; else its outputs step's. What `steps.X.outcome` and history say.
Outcome CallOutcomeOf(const Runbook& rb, const std::vector<StepRun>& runs,
                      const std::string& frame);

// `id` as written in `frame` ("verify" in "dump" is "dump.verify").
inline std::string InFrame(const std::string& frame, const std::string& id) {
  return frame.empty() ? id : frame + "." + id;
}

}  // namespace runbook
