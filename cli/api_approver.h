// The approval gate of a run that runbook serve started (run/resume --approvals-via-api):
// the gate is recorded as an `approval_waiting` event (its prompt and inputs, masked) and
// waits, with no terminal, until serve records an `approval_answer` for it (POST
// /api/v1/runs/{id}/approvals/{step}, an approver's token), or the run is cancelled. The
// answer's inputs are checked as --input values are (CliApprover); the approval is recorded
// with the token's name. A resume takes an answer given to the run it continues that the run
// never took up (serve killed in between): no answered approval is lost, and none is asked
// again (breakTT TT11: approval_waiting was sent for a gate already answered). docs/serve.md
// "Approvals".
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/display.h"
#include "engine/plugin/step.h"

namespace runbook {

class AuditStore;

class ApiApprover final : public Approver {
 public:
  // `audit_db`: the run's store, opened on a connection of its own; `run_id`: this run;
  // `continues`: the runs a resume continues, nearest first (empty for a new run).
  // `on_waiting(step)` is called once a gate waits (the approval_waiting notifications).
  // A gate that waited unanswered in the runs it continues keeps its first wait: its step's
  // `timeout:` counts from then (breakTT TT18), read on `clock`.
  ApiApprover(std::string audit_db, std::string run_id, std::vector<std::string> continues,
              Display& display, const Clock& clock,
              std::function<void(const std::string&)> on_waiting = {});
  ApprovalAnswer Ask(const ApprovalRequest& request, const CancelToken& cancel) override;

 private:
  // Records again an answer the run this one continues never took up; whether one was.
  bool CarryAnswer(AuditStore& store, const std::string& step, const CancelToken& cancel);
  // How long `step` already waited, unanswered, in the runs this one continues (since its
  // first approval_waiting there); 0 when it did not.
  Millis WaitedBefore(AuditStore& store, const std::string& step) const;
  std::string audit_db_;
  std::string run_id_;
  std::vector<std::string> continues_;
  Display& display_;
  const Clock& clock_;
  std::function<void(const std::string&)> on_waiting_;
};

}  // namespace runbook
