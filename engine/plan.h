// Per-run state of every step (the graph stays immutable): where each step is, its
// attempts, outputs and outcome. Owned and mutated by the executor's loop thread only.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/plugin/step.h"
#include "engine/util/clock.h"

namespace runbook {

enum class Outcome { kNone, kSuccess, kWarning, kFailure, kSkipped, kCancelled };
const char* OutcomeName(Outcome outcome);

enum class StepState { kPending, kRunning, kWaitingRetry, kDone };

struct AttemptRecord {
  int number = 0;
  AttemptStatus status = AttemptStatus::kFailure;
  std::optional<int> exit_code;
  std::string error;
  Clock::Mono started;
  Millis duration{0};
  Millis waited{0};                          // waiting for a person (approvals)
  std::string approved_by;                   // set when the attempt was a human approval
  Value::Map outputs;                        // this attempt's outputs (redacted)
  std::vector<std::string> ended_processes;  // escaped descendants ended (redacted)
  std::vector<std::string> log_lines;        // the step's notes, the last kMaxLogLines (masked)
  size_t log_lines_dropped = 0;              // earlier notes not kept
  // false: recorded begun (write-ahead), then ended cancelled before it ran, a cancel having
  // come while its start waited for the store (breakAA AA3: a resume asked to confirm it).
  bool began = true;
};

struct StepRun {
  StepState state = StepState::kPending;
  Outcome outcome = Outcome::kNone;
  bool tolerated = false;  // failed under continue_on_error: true; dependents still run
  int unsatisfied = 0;     // needs not yet done
  std::vector<AttemptRecord> attempts;
  Clock::Mono next_attempt_at;
  std::optional<Clock::Mono> started;  // first attempt
  std::optional<Clock::Mono> finished;
  Millis waited{0};    // time waiting for people (approvals)
  Value::Map outputs;  // masked (Redactor): what is printed and recorded
  // The outputs as the step gave them, secrets in them included: only for later steps'
  // expressions (RunScope) and steps that read passed steps, never printed or recorded. A
  // step carried over by a resume has only what was recorded: `outputs` (breakO O26).
  Value::Map outputs_unmasked;
  std::set<std::string> masked_outputs;  // names (masked) of outputs `outputs` has masked
  // Carried steps whose masked outputs this step read and so failed (RunScope::MaskedReads):
  // the command that continues runs them again with --rerun (breakQ Q2).
  std::set<std::string> rerun_needed;
  std::string reason;  // why skipped / failed / cancelled, for people
  std::string stdout_text;
  std::string stderr_text;
  std::string output_tail;    // of its last attempt (AttemptResult::output_tail)
  std::string restored_from;  // resume: the run whose result this step carries over
  // resume: when it passed in that run (the first one of a chain of resumes)
  std::optional<Clock::Wall> restored_finished_at;
  // resume: its attempts and duration in the run it ran in (PriorStep), for people; never
  // counted in this run's own measurements.
  int carried_attempts = 0;
  Millis carried_duration{0};

  // Skipped because its own `if:` was false (not for a need, a cancel or fail_fast): a loop's
  // item so skipped does not hold back what needs the loop (RunScope::NeedPassed).
  bool skipped_by_condition = false;

  Millis duration() const;
  // Dependents may proceed: success, warning, or a tolerated failure.
  bool passed() const {
    return outcome == Outcome::kSuccess || outcome == Outcome::kWarning || tolerated;
  }
};

struct RtoResult {
  bool measured = false;
  Millis elapsed{0};
  Millis approval_wait{0};
  std::optional<Millis> objective;
  // The step marked `rto: end` ran and did not pass: no recovery, so no objective is met
  // (breakFF N10: a failed restore read "RTO 2s met" in the summary and in history).
  bool failed = false;
  bool met() const { return !objective || (!failed && elapsed <= *objective); }
  std::string note;  // why not measured
};

// RPO: the age of the restored backup when the step that restored it finished. A step
// reports the backup's creation time as the output `backup_created_at` (RFC 3339).
// How far in the future a backup's creation time may be (clocks of two hosts) before the
// RPO counts as unknown.
constexpr Millis kRpoClockSkew{5 * 60 * 1000};

struct RpoResult {
  bool measured = false;
  Millis age{0};
  std::string step;  // the step that reported backup_created_at
  std::optional<Millis> objective;
  // The backup says it was taken more than kRpoClockSkew after the run measured it: a wrong
  // clock or forged metadata. The RPO is then unknown, and an objective is not met.
  bool future = false;
  bool met() const { return !measured || !objective || (!future && age <= *objective); }
};

struct RunResult {
  std::string run_id;
  std::string status;  // success | failure | cancelled
  int signal = 0;      // when cancelled by a signal
  Millis duration{0};
  RtoResult rto;
  RpoResult rpo;
  std::vector<StepRun> steps;  // same order as the graph
  // The used runbooks' calls (engine/calls.h), in the run's step order: {id, uses, outcome}
  // each, the child runs `history` shows under their parent. Empty when it uses none.
  Value::List calls;
  // Why the audit store stopped recording the run part-way ("the audit store cannot be
  // written: ..."; its steps after that were cancelled); "" when the whole run is recorded.
  std::string unrecorded;
  bool objectives_met() const { return rto.met() && rpo.met(); }
};

}  // namespace runbook
