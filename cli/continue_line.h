// The one command that continues a failed, cancelled or interrupted run (issue 14 #6): printed
// by the run itself, by `show` of it, and by a resume that refuses — every flag the resume
// needs in one line, never one flag per message (breakL L13, L14).
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"
#include "engine/audit/run_record.h"
#include "engine/plugin/registry.h"
#include "engine/process_tree.h"

namespace runbook {

struct ContinueLine {
  std::string run_id;
  std::string audit_db;                 // as the operator can use it from anywhere: absolute
  std::vector<std::string> reruns;      // steps to confirm with --rerun (after checking them)
  bool end_leftovers = false;           // processes of the run still run
  std::vector<std::string> give_again;  // params recorded masked: --set NAME=VALUE
  std::vector<std::string> options;     // run options to keep, already quoted ("--wait")

  // "runbook resume ID --audit-db 'P' --rerun 'a' --end-leftovers --set url=VALUE ...".
  std::string Command() const;
};

// Whether a resume needs the operator's word (--rerun, or a yes on a terminal) before running
// `s` again: an attempt of it was stopped mid-way (StepView::stopped_mid_attempt) and it is
// not idempotent, as recorded when it started; in records made before that, as its `type`
// says (null type: not idempotent).
bool RerunNeedsConfirming(const StepView& s, const StepType* type);
// A passed step whose record masks what a resume may need back: outputs that held a secret
// (breakO O26), or a path it acted on (its last attempt's masked_path_fingerprints, or "***"
// in its parameters: breakCC C26). `resume --rerun` may run such a step again.
bool RecordMasked(const StepView& s);

// How `s` was stopped, for messages: "started in run ID and never finished", "was stopped
// mid-way when run ID was cancelled", or "was stopped mid-way by its timeout in run ID".
std::string StoppedHow(const StepView& s, const std::string& run_id);

// The steps of `r` that RerunNeedsConfirming (types looked up in `registry`), in order; then
// the passed steps whose masked outputs a step failed reading (StepView::rerun_needed).
std::vector<std::string> RerunsNeeded(const RunRecord& r, const StepRegistry& registry);
// The same, types taken from the runbook `rb`'s steps (a step it no longer has: none).
std::vector<std::string> RerunsNeeded(const RunRecord& r, const Runbook& rb);

// Whether processes `r`'s steps started still run on this host (its tracking prefix).
bool LeftoversRunning(const RunRecord& r, const Accounts& accounts);

// The options of `o` the continuing resume keeps, quoted: --metrics-file, --sign-key,
// --max-parallel, --wait (breakK K8, breakL L19).
std::vector<std::string> KeptRunOptions(const RunCliOptions& o);

// The options the run `r` recorded for its continue command (run_started's
// continue_options), in order.
std::vector<std::string> RecordedContinueOptions(const RunRecord& r);

// The params `r` recorded masked (run_started's masked_params), in order.
std::vector<std::string> MaskedParams(const RunRecord& r);

// Of MaskedParams, those whose values were lost before a run that never began was recorded
// (run_started's lost_params, serve/kept_params.h KeptParams::lost): nothing to check a value
// given again against.
std::vector<std::string> LostParams(const RunRecord& r);

}  // namespace runbook
