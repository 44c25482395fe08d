// What `runbook plan` shows: execution waves, and for each step its resolved parameters
// (Unknown where only the run can tell) and what it would do. Runs nothing; pure.
#pragma once

#include "engine/graph.h"
#include "engine/model.h"
#include "engine/util/value.h"

namespace runbook {

// A stable, JSON-shaped description (docs/cli.md documents the fields).
Value PlanPreview(const Runbook& rb, const Graph& graph, const Value::Map& params);

}  // namespace runbook
