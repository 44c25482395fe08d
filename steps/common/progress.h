// A step's report of how far one phase of its work got (issue 14 #5): bytes and, where the
// step counts them, items (files, objects, members). Sends StepProgress through
// ctx.progress at most every kProgressEvery, and at once when the phase reaches its total,
// so a loop over 1 MiB chunks or thousands of small files costs an atomic add per call.
// Thread-safe: a parallel hash advances one meter from several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "engine/plugin/step.h"
#include "engine/util/work.h"

namespace runbook {

constexpr Millis kProgressEvery{250};

// The size of the file at `path` in bytes: a phase's total. nullopt when it cannot be read
// (the work that reads it then reports why).
std::optional<uint64_t> FileSizeOf(const std::string& path);

class ProgressMeter {
 public:
  // `total_bytes`: nullopt when not known beforehand (a pg_dump's output). `ctx` must
  // outlive the meter.
  ProgressMeter(const StepContext& ctx, std::string phase, std::optional<uint64_t> total_bytes);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // Counts items beside bytes: "3 of 12 objects".
  void CountItems(std::string noun, uint64_t total);
  // The phase's real total, learnt by the work (a database's pages): replaces the estimate.
  void SetTotal(uint64_t bytes);
  void Add(uint64_t bytes);
  void ItemDone();
  // What the phase waits for before it can move, "" once it moves (Add clears it too).
  void Waiting(const std::string& what);
  // What long work (engine/util/work.h) is given: the attempt's stop check and this meter.
  Work ForWork();

 private:
  void Report(bool now);

  const StepContext& ctx_;
  StepProgress shape_;  // phase, unit, noun: fixed once counting starts
  // The total in bytes, kNoTotal when unknown; raised to what was done when the work passes
  // it (a file that grows while read): done is never shown above the total (breakK K2).
  static constexpr uint64_t kNoTotal = UINT64_MAX;
  std::atomic<uint64_t> total_{kNoTotal};
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> items_done_{0};
  std::atomic<bool> waiting_{false};  // shape_.waiting is set: the next Add clears it
  std::mutex mu_;
  std::optional<Clock::Mono> last_;
};

}  // namespace runbook
