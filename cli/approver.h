// The CLI's approval gate: --yes / --approve ID answer the `approve? [y/N]` question; on a
// terminal the operator is asked (the live view paused meanwhile); otherwise the gate fails
// at once with a message saying how to approve. Inputs come from --input; on a terminal a
// missing one is asked (with --yes/--approve only the required ones without a default,
// breakK K12), off a terminal a missing required one fails the gate. Never waits for input
// that cannot come.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/display.h"
#include "engine/model.h"
#include "engine/plugin/step.h"

namespace runbook {

// `--approve LOOP` names every item of a loop of approvals (engine/loops.h): replaced in
// `approvals` by `LOOP[0]`, `LOOP[1]` ... (break19 L9: each had to be named, or --yes given,
// which approves every other gate too). Other ids stay as they are.
void ApprovalsForItems(const Runbook& rb, std::vector<std::string>& approvals);

// The --approve ids and --input STEP.NAME keys of `rb` that name no approval step or no
// input it declares, each as an error line with the closest valid name (breakK K16): a typo
// would otherwise run the work up to the gate, or record an input's default instead of the
// ticket given. An approval whose `inputs` is one expression accepts any name.
std::vector<std::string> UnknownApprovalFlags(const Runbook& rb,
                                              const std::vector<std::string>& approvals,
                                              const std::map<std::string, std::string>& inputs);

// What is wrong, before the first step runs, with the --input values of the gates this run
// will ask (breakL L9: found at the gate, after the work before it): each value given that
// its input's type or enum refuses, or blank for one that must be given; and, when no
// terminal can ask (`terminal` false), each input that must be given (required, no default)
// of a gate approved by --yes or --approve but not given with --input. Gates in `skip`
// (carried over by a resume), gates with an `if:` (they may not run) unless `conditions`
// (ConditionsKnownBeforeRun: step id -> its `if:` known before the run) says it is true, and
// inputs declared by an expression are left to the gate. One error line each, naming the flag
// to fix.
std::vector<std::string> BadApprovalInputs(const Runbook& rb, bool yes,
                                           const std::vector<std::string>& approvals,
                                           const std::map<std::string, std::string>& inputs,
                                           bool terminal, const std::set<std::string>& skip,
                                           const std::map<std::string, bool>& conditions = {});

// For a run with no terminal of its own (HasOwnTerminal: cron, CI, `</dev/null`, `setsid`),
// the gates it would reach that nothing approves (neither --yes nor --approve ID), their ids in the
// runbook's order, so that the run is refused before its first step instead of failing at
// the gate after the work before it (newcomer N4; UnanswerableGateError says why). Gates in
// `skip` (carried over by a resume) are left out; so is a gate `conditions`
// (ConditionsKnownBeforeRun) knows will not run, and one with an `if:` unless `conditions`
// knows it true (one it does not know may never be reached: it is left to the gate; breakHH
// HH9, breakII II2-1). A background job on a terminal is not asked
// for: it may be brought to the foreground before its gate.
std::vector<std::string> UnanswerableGates(const Runbook& rb, bool yes,
                                           const std::vector<std::string>& approvals,
                                           const std::set<std::string>& skip,
                                           const std::map<std::string, bool>& conditions);
// The error line for gate `id` of UnanswerableGates, naming the flags that answer it.
std::string UnanswerableGateError(const std::string& id);
// For a run with no terminal, the inputs that must be given on the command line for `gates`
// (ids; approved by flag, so no one asks them): "STEP.NAME" of each required input with no
// default that `inputs` lacks, in the runbook's order. For the command a refused resume prints
// to continue (breakII II3: run as printed, it was refused again for `--input`).
std::vector<std::string> InputsToGive(const Runbook& rb, const std::vector<std::string>& gates,
                                      const std::map<std::string, std::string>& inputs);

class CliApprover final : public Approver {
 public:
  CliApprover(bool yes, std::set<std::string> approved, std::map<std::string, std::string> inputs,
              Display& display);
  ApprovalAnswer Ask(const ApprovalRequest& request, const CancelToken& cancel) override;

 private:
  // Which inputs not given with --input are asked on the terminal.
  enum class Asking { kNone, kRequired, kAll };
  bool FillInputs(const ApprovalRequest& request, Asking ask, const CancelToken& cancel,
                  ApprovalAnswer& answer);
  bool FillInput(const ApprovalRequest& request, const ParamSpec& spec, Asking ask,
                 const CancelToken& cancel, ApprovalAnswer& answer);
  bool MissingRequired(const ApprovalRequest& request) const;
  ApprovalAnswer ByFlag(const ApprovalRequest& request, const CancelToken& cancel);
  std::string TakeInput(const ApprovalRequest& request, const ParamSpec& spec,
                        const std::string& text, bool asking, ApprovalAnswer& answer) const;
  bool ReadLine(const CancelToken& cancel, std::string& line);

  bool yes_;
  std::set<std::string> approved_;
  std::map<std::string, std::string> inputs_;  // "step.name" -> text
  Display& display_;
};

}  // namespace runbook
