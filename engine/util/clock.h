// Clock: monotonic time for durations and deadlines, wall time for records. The executor
// takes a Clock so tests can substitute their own. SystemClock is thread-safe.
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

}  // namespace runbook
