// How a running attempt is told to stop. Each attempt gets a CancelToken of its own (what
// its step sees as StepContext::cancel); the executor's loop calls Tick about every 50 ms,
// which forwards each request on the run's token (^C, a second ^C = forced) and cancels an
// attempt whose deadline has passed. So `timeout` bounds every step the same way — a
// process step's group is ended by its runner, an in-process step (s3-sync, hash, gzip,
// HTTP probes) stops at its next check of the token — and the engine knows no step.
#pragma once

#include <csignal>
#include <map>
#include <memory>
#include <optional>

#include "engine/plugin/cancel.h"
#include "engine/util/clock.h"

namespace runbook {

// The signal number a deadline cancels with: an attempt stopped by it ended by `timeout`.
constexpr int kDeadlineSignal = SIGALRM;

class AttemptStops {
 public:
  // A token for the attempt of step `index`, cancelled when `source` (the run's token, or
  // the finally steps') is, or at `deadline` (none: never by time). Not thread-safe: the
  // executor's loop alone calls Arm, Disarm and Tick.
  std::shared_ptr<CancelToken> Arm(int index, const CancelToken* source,
                                   std::optional<Clock::Mono> deadline);
  void Disarm(int index);
  void Tick(Clock::Mono now);

 private:
  struct Watched {
    std::shared_ptr<CancelToken> token;
    const CancelToken* source = nullptr;
    std::optional<Clock::Mono> deadline;
    int forwarded = 0;  // requests of `source` already passed on
  };
  std::map<int, Watched> running_;
};

// True when the attempt's token was cancelled by its deadline (not by the run).
inline bool StoppedByDeadline(const CancelToken& token) {
  return token.signal_number() == kDeadlineSignal;
}

}  // namespace runbook
