// The kinds of the probe step, one file each.
#pragma once

#include "engine/plugin/step.h"

namespace runbook {

AttemptResult ProbeProcess(StepContext& ctx);
AttemptResult ProbeLog(StepContext& ctx);
AttemptResult ProbeTcp(StepContext& ctx);
AttemptResult ProbeHttp(StepContext& ctx);
AttemptResult ProbePrometheus(StepContext& ctx);

}  // namespace runbook
