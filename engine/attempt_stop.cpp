#include "engine/attempt_stop.h"

namespace runbook {

std::shared_ptr<CancelToken> AttemptStops::Arm(int index, const CancelToken* source,
                                               std::optional<Clock::Mono> deadline) {
  Watched w{std::make_shared<CancelToken>(), source, deadline, 0};
  running_[index] = w;
  return w.token;
}

void AttemptStops::Disarm(int index) { running_.erase(index); }

void AttemptStops::Tick(Clock::Mono now) {
  for (auto& [index, w] : running_) {
    int requests = w.source ? w.source->requests() : 0;
    for (; w.forwarded < requests; ++w.forwarded) w.token->Cancel(w.source->signal_number());
    if (w.deadline && now >= *w.deadline && !w.token->cancelled()) w.token->Cancel(kDeadlineSignal);
  }
}

}  // namespace runbook
