// RunJournal: the write-ahead record of a run (the audit store implements it). Unlike
// RunObserver, every call must be durable before the executor moves on, and a failure
// stops the run: the executor starts no new step, cancels the running ones, runs no
// finally step, and Execute returns the Status (exit 3). What the run does after that (its
// steps' ends, its end) is still offered, and each such call returns the failure again: the
// journal must not store it (the run failed closed), and may keep it aside for a late record
// (AuditJournal, engine/audit/unrecorded.h). Called on the loop thread only.
#pragma once

#include <string>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/redact.h"

namespace runbook {

class RunJournal {
 public:
  virtual ~RunJournal() = default;
  // Before any step. `redactor` outlives the run; the journal applies it to all it writes.
  virtual Status RunStarted(const Runbook& rb, const std::string& run_id, const Value::Map& params,
                            const Redactor& redactor) = 0;
  // Before the attempt's side effects begin. `params` are resolved and redacted;
  // `path_fingerprints` (param name -> Fingerprint of its resolved value) for each parameter
  // naming a path whose recorded value is masked: a resume carrying the step proves a path it
  // resolves again is the one acted on (breakBB2 F7), without the store holding the path.
  // `params_fingerprint`: for a step that decides on its parameters
  // (StepSpec::decided_on_params) whose parameters held a secret's text, the Fingerprint of
  // them whole, else "": a resume proves the decision by it (breakGG G9).
  virtual Status AttemptStarted(const StepDecl& step, int attempt, const Value& params,
                                const Value::Map& path_fingerprints,
                                const std::string& params_fingerprint) = 0;
  // A keyed fingerprint of `text` (Redactor::Fingerprint under the store's own key): equal for
  // equal texts in any run on this store, useless to a reader of it; "" when the journal has
  // no key (then a path recorded masked cannot be proven, and counts as not known).
  virtual std::string Fingerprint(const std::string& /*text*/) { return ""; }
  virtual Status AttemptFinished(const StepDecl& step, const AttemptRecord& attempt,
                                 const StepRun& run) = 0;
  virtual Status StepFinished(const StepDecl& step, const StepRun& run) = 0;
  // A service the step started was stopped at the end of the run.
  virtual Status ResourceStopped(const StepDecl& step, const std::string& name,
                                 const std::string& how) = 0;
  virtual Status RunFinished(const RunResult& result) = 0;
  // Events between BeginGroup and CommitGroup become durable together, at CommitGroup (the
  // audit store: one transaction, one fsync); until it returns Ok none of them is. The
  // executor groups the ends of the attempts that completed with the starts of the next
  // attempts, and launches those only after the commit: write-ahead still holds. Default:
  // every event is durable on its own.
  virtual void BeginGroup() {}
  virtual Status CommitGroup() { return Status::Ok(); }
  // How long the journal waited out a busy store so far (run --wait: another process held it
  // locked past its busy timeout), on the steady clock. A wait after the last step ended is
  // no part of the run's duration or RTO (breakXX XX1: a 3 s drill was paged objective_missed
  // for a 29 s lock at its end); one during the run delays its next steps, and counts.
  virtual Millis BusyWaited() const { return Millis(0); }
  // Polled about once a second while steps run: an error (the store is gone or replaced)
  // stops the run as a failed write would, without waiting for the next event.
  virtual Status Check() { return Status::Ok(); }
  // What a running attempt printed so far (masked; its last 4 KiB), a few times a minute, so
  // a run killed under it still shows it (breakM M17). Kept apart from the chain: the
  // attempt's own record, when it ends, has its output.
  virtual Status OutputSoFar(const StepDecl& /*step*/, int /*attempt*/,
                             const std::string& /*text*/) {
    return Status::Ok();
  }
};

}  // namespace runbook
