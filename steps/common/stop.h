// How a step's long in-process work (copying, hashing, compressing) notices that its
// attempt must stop: cancelled (^C, SIGTERM) or past its deadline (`timeout`). The work
// asks the StopCheck between bounded chunks; the step then turns that into its result.
#pragma once

#include <optional>

#include "engine/plugin/step.h"
#include "engine/util/crypto.h"

namespace runbook {

// True once the attempt is cancelled or past its deadline.
StopCheck StopFor(const StepContext& ctx);
// The attempt's result when it was stopped (kCancelled or kTimeout), else nothing.
std::optional<AttemptResult> StoppedResult(const StepContext& ctx);

}  // namespace runbook
