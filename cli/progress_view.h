// How the terminal shows a step's progress (issue 14 #5): done of total, percent, rate and
// time left, in the words of rsync --info=progress2 and restic ("412 MiB of 800 MiB (51%),
// 52.3 MiB/s, about 7s left"). Pure: the display owns one RateWindow per running step.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "engine/plugin/progress.h"
#include "engine/util/clock.h"
#include "engine/util/duration.h"

namespace runbook {

// The rate over the last `window` of reports: what `done` gained per second. Unknown until
// two reports at least a second apart (a first burst says nothing of the pace).
class RateWindow {
 public:
  explicit RateWindow(Millis window = Millis(10000)) : window_(window) {}
  void Add(Clock::Mono at, uint64_t done);
  void Reset() { samples_.clear(); }
  std::optional<double> PerSecond() const;  // units of `done` per second

 private:
  Millis window_;
  std::deque<std::pair<Clock::Mono, uint64_t>> samples_;
};

// "compressing 412 MiB of 800 MiB (51%), 52.3 MiB/s, about 7s left"; items first when
// counted ("uploading 3 of 12 objects, 412 MiB of 800 MiB ..."); without a total only what
// was done and the rate; while the phase waits, what it waits for ("copying the database:
// waiting 4s of at most 30s for a lock held by another connection").
std::string ProgressText(const StepProgress& p, std::optional<double> per_second);

// How often a plain (not terminal) output prints a running step's progress:
// RUNBOOK_PROGRESS_INTERVAL (a duration, "10s", "500ms"; "0" never) else 10 s. A value
// that is not a duration is the default, and `error` says so. As restic's
// RESTIC_PROGRESS_FPS, for logs that must not fill up.
Millis PlainProgressInterval(const char* env_value, std::string& error);

}  // namespace runbook
