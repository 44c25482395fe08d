// One schedule and its next fires as JSON, the one shape `runbook schedule --format json`
// and serve's /api/v1/runbooks give: {"cron", "timezone", "params", "next": [{"local",
// "utc"}, ...]} ("local" in the schedule's zone with its offset, "utc" whole seconds, Z).
#pragma once

#include "engine/model.h"
#include "engine/schedule/fire_times.h"
#include "engine/util/value.h"

namespace runbook {

Value ScheduleValue(const ScheduleDecl& s, SysSeconds from, int count);

// `t` as "2026-12-04T02:00:00Z".
std::string UtcSecondsText(SysSeconds t);

}  // namespace runbook
