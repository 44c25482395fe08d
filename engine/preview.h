// What `runbook plan` shows: everything that decides what runs. Parameters (values and
// sources), secrets' sources (never values), the runbook's env, lock and parallelism; per
// step, in waves: needs, if, timeout, retry, continue_on_error, approvals, env, resolved
// `with` and what it would do. Run-time values stay `${{ }}` text. Runs nothing; pure.
#pragma once

#include <set>
#include <string>

#include "engine/graph.h"
#include "engine/model.h"
#include "engine/redact.h"
#include "engine/run_scope.h"
#include "engine/util/value.h"

namespace runbook {

struct PlanInputs {
  Value::Map params;                          // bound: defaults and --set values (BindParams)
  std::set<std::string> set_on_command_line;  // the params --set gave
  // Masks every value shown as a run would mask it (RunRedactor); nullptr: nothing masked.
  const Redactor* redactor = nullptr;
};

// A stable, JSON-shaped description with sorted keys (docs/authoring.md, "Checking runbooks
// in a pull request"). Fields are only ever added, never renamed.
Value PlanPreview(const Runbook& rb, const Graph& graph, const PlanInputs& in);

// The run's values as a plan knows them before any run: `params` (bound), the run's id as
// "${{ run.id }}", secrets Unknown, a dry run started now. Plan and validate's env check
// (cli/validate_cmd.cpp) read the runbook with these.
RunValues PlanValues(const Runbook& rb, const Value::Map& params, const Clock& clock);

}  // namespace runbook
