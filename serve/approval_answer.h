// What an approver's answer through the API must satisfy before serve records it (POST
// /api/v1/runs/{id}/approvals/{step}): its inputs checked against the gate's, as the
// `approval_waiting` event lists them ({name, type, required, default, enum}), so that a
// missing required input or a wrong type is a 400 with the gate still waiting, not a
// recorded answer that then fails the run (breakServe2). The run checks them again, as
// `--input` values (cli/api_approver.h).
#pragma once

#include <string>

#include "engine/util/value.h"

namespace runbook {

// "" when `given` (a map of input name to value, or null: none given) suits the gate's
// `declared` inputs (a list); else what is wrong, in words. A decline (`approve` false)
// needs no inputs and is not checked.
// Each value is read as the run reads it (TextAsSent, then the engine's ParseTextAs).
std::string AnswerInputsProblem(const Value& declared, const Value* given, bool approve);

}  // namespace runbook
