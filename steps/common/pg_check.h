// integrity-check with `engine: postgres`: restores a pg_dump archive into a scratch
// database on the given server, runs pg_amcheck on it, counts rows, and drops it. Every
// command goes through the engine's process runner (timeouts and Ctrl-C apply).
#pragma once

#include "engine/plugin/step.h"

namespace runbook {

AttemptResult PostgresIntegrityCheck(StepContext& ctx);

}  // namespace runbook
