// The CLI's approval gate: --yes / --approve ID pass without asking; on a terminal the
// operator is asked (the live view paused meanwhile); otherwise the gate fails at once
// with a message saying how to approve. Never waits for input that cannot come.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/display.h"
#include "engine/model.h"
#include "engine/plugin/step.h"

namespace runbook {

// The --approve ids and --input STEP.NAME keys of `rb` that name no approval step or no
// input it declares, each as an error line with the closest valid name (breakK K16): a typo
// would otherwise run the work up to the gate, or record an input's default instead of the
// ticket given. An approval whose `inputs` is one expression accepts any name.
std::vector<std::string> UnknownApprovalFlags(const Runbook& rb,
                                              const std::vector<std::string>& approvals,
                                              const std::map<std::string, std::string>& inputs);

class CliApprover final : public Approver {
 public:
  CliApprover(bool yes, std::set<std::string> approved, std::map<std::string, std::string> inputs,
              Display& display);
  ApprovalAnswer Ask(const ApprovalRequest& request, const CancelToken& cancel) override;

 private:
  bool FillInputs(const ApprovalRequest& request, bool interactive, const CancelToken& cancel,
                  ApprovalAnswer& answer);
  bool FillInput(const ApprovalRequest& request, const ParamSpec& spec, bool interactive,
                 const CancelToken& cancel, ApprovalAnswer& answer);
  std::string TakeInput(const ApprovalRequest& request, const ParamSpec& spec,
                        const std::string& text, bool asking, ApprovalAnswer& answer) const;
  bool ReadLine(const CancelToken& cancel, std::string& line);

  bool yes_;
  std::set<std::string> approved_;
  std::map<std::string, std::string> inputs_;  // "step.name" -> text
  Display& display_;
};

}  // namespace runbook
