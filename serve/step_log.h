// A step's log as serve's API gives it: its attempts, their log lines and what they printed
// (the whole output kept so far for an attempt that has not finished), and the Server-Sent
// Events framing that streams it while the step runs (docs/api.md).
#pragma once

#include <optional>
#include <string>

#include "engine/audit/run_record.h"

namespace runbook {

// The step's text; nullopt when the run has no step `step`. `finished` is set when the step
// has its outcome or the run no longer runs (nothing more will come).
std::optional<std::string> StepLogText(const RunRecord& r, const std::string& step, bool& finished);

// How the step ended ("success", "failure", ...); when it has not, the run's status (a run
// that stopped before it: "interrupted", "cancelled").
std::string StepEnd(const RunRecord& r, const std::string& step);

// One SSE event: `event:` when not empty, each line of `data` as a `data:` line, a blank line.
std::string SseEvent(const std::string& event, const std::string& data);

// What to send of `now` after `sent` was sent: the new tail as a "log" event, or, when the
// kept output was cut at its front (a window), all of `now` as a "reset" event; "" when
// nothing changed.
std::string SseDelta(const std::string& sent, const std::string& now);

}  // namespace runbook
