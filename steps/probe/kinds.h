// The kinds of the probe step, one file each.
#pragma once

#include "engine/plugin/step.h"

namespace runbook {

// The most of an HTTP answer a probe keeps (bytes): it needs the status, timings and a JSON
// document of reasonable size; a longer body is a failed request naming this cap, never the
// host's memory (breakI I28: a 2.5 GB answer ended in bad_alloc).
constexpr uint64_t kProbeMaxBody = 16u << 20;

AttemptResult ProbeProcess(StepContext& ctx);
AttemptResult ProbeLog(StepContext& ctx);
AttemptResult ProbeTcp(StepContext& ctx);
AttemptResult ProbeHttp(StepContext& ctx);
AttemptResult ProbePrometheus(StepContext& ctx);

}  // namespace runbook
