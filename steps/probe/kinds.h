// The kinds of the probe step, one file each.
#pragma once

#include <initializer_list>

#include "engine/plugin/step.h"

namespace runbook {

AttemptResult ProbeProcess(StepContext& ctx);
AttemptResult ProbeLog(StepContext& ctx);
AttemptResult ProbeTcp(StepContext& ctx);
AttemptResult ProbeHttp(StepContext& ctx);
AttemptResult ProbePrometheus(StepContext& ctx);

// doc["a"]["b"]... or nullptr when a key is missing.
const Value* JsonPath(const Value& doc, std::initializer_list<const char*> keys);

}  // namespace runbook
