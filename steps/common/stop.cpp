#include "steps/common/stop.h"

namespace runbook {

StopCheck StopFor(const StepContext& ctx) {
  const CancelToken* cancel = &ctx.cancel;
  const Clock* clock = &ctx.clock;
  std::optional<Clock::Mono> deadline = ctx.deadline;
  return [cancel, clock, deadline] {
    return cancel->cancelled() || (deadline && clock->Now() >= *deadline);
  };
}

std::optional<AttemptResult> StoppedResult(const StepContext& ctx) {
  bool late = ctx.deadline && ctx.clock.Now() >= *ctx.deadline;
  if (!ctx.cancel.cancelled() && !late) return std::nullopt;
  AttemptResult r = AttemptResult::Failure(late ? "timed out" : "cancelled");
  r.status = late ? AttemptStatus::kTimeout : AttemptStatus::kCancelled;
  return r;
}

}  // namespace runbook
