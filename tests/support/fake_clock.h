// A Clock that tests move on by hand (engine/util/clock.h): both its monotonic and its wall
// time start where the test says and advance only through Advance(). Thread-safe: a test
// thread moves it while the engine's threads read it.
#pragma once

#include <atomic>
#include <chrono>

#include "engine/util/clock.h"

namespace runbook::test {

class FakeClock final : public Clock {
 public:
  // `wall`: its wall time at the start; its monotonic time starts at the real one.
  explicit FakeClock(Wall wall)
      : mono_start_(std::chrono::steady_clock::now()), wall_start_(wall) {}

  Mono Now() const override { return mono_start_ + Offset(); }
  Wall WallNow() const override {
    return wall_start_ + std::chrono::duration_cast<Wall::duration>(Offset());
  }
  void Advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }

 private:
  std::chrono::nanoseconds Offset() const { return std::chrono::nanoseconds(offset_ns_.load()); }
  Mono mono_start_;
  Wall wall_start_;
  std::atomic<long long> offset_ns_{0};
};

}  // namespace runbook::test
