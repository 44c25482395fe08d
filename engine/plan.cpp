#include "engine/plan.h"

namespace runbook {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kNone:
      return "pending";
    case Outcome::kSuccess:
      return "success";
    case Outcome::kWarning:
      return "warning";
    case Outcome::kFailure:
      return "failure";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "?";
}

Millis StepRun::duration() const {
  if (!started || !finished) return Millis(0);
  return std::chrono::duration_cast<Millis>(*finished - *started);
}

}  // namespace runbook
