// Clock: monotonic time for durations and deadlines, wall time for records. The engine's
// time comes from one: the executor (deadlines, retry delays, durations, RTO and RPO), the
// process runner (a step's deadline and duration) and serve's scheduler (fire times) take a
// Clock, so tests substitute their own and move time on. What stays on the real clock, by
// design: the operating system's grace periods (SIGTERM to SIGKILL, draining pipes), the
// store's busy timeout and heartbeats between processes, HTTP rate limits; they measure
// real seconds another process gets. SystemClock is thread-safe; so must any Clock be.
#pragma once

#include <chrono>

namespace runbook {

class Clock {
 public:
  using Mono = std::chrono::steady_clock::time_point;
  using Wall = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual Mono Now() const = 0;
  virtual Wall WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  Mono Now() const override { return std::chrono::steady_clock::now(); }
  Wall WallNow() const override { return std::chrono::system_clock::now(); }
};

// One SystemClock for the whole process: the default of whatever takes a Clock.
inline const Clock& RealClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace runbook
