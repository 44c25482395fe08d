// The parameters a resume runs with: its run's, as recorded in run_started, fitted to the
// runbook as it is now (which differs from the run's only under --force).
#pragma once

#include <string>
#include <vector>

#include "engine/audit/run_record.h"
#include "engine/model.h"
#include "engine/redact.h"
#include "engine/util/value.h"

namespace runbook {

// Fills `params` (the run's recorded parameters on entry) for the resume of `r` with `rb`,
// given the resume's --set NAME=VALUE texts; prints each problem (all at once) and returns
// false when there is one: usage, exit 2.
// - A parameter recorded masked (its value held a secret's text) is given again with --set,
//   checked by masking it as the run did ("***" is not the value the run had); one that took
//   the runbook's default is taken from the file (breakL L1, L18).
// - A parameter the runbook no longer declares is dropped with a note (breakL L26: a renamed
//   one); one it declares that the run did not have is taken from --set, else its default,
//   else, when required, asked for with --set — as `run` would (breakL L27). A recorded value
//   the runbook's declaration no longer accepts is refused: a resume cannot change it.
// - Any other --set is refused: a resume runs with its run's parameters.
// `via_api`: the values come from serve's POST /api/v1/runs/ID/resume "params" (on standard
// input), and the messages say so; nothing is asked on a terminal.
// `to_give` gets the names the command that continues must give with --set: every masked
// param the runbook declares, and every param new since the run that has no default and is
// required (breakM M3).
bool ResumeParams(const RunRecord& r, const Runbook& rb, const std::vector<std::string>& sets,
                  const Redactor& redactor, Value::Map& params, std::vector<std::string>& to_give,
                  bool via_api = false);

}  // namespace runbook
