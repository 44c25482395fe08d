// How far a step that moves or reads data has got (issue 14 #5): sent by the step through
// StepContext::progress, shown by the observers (the live view: done of total, rate, time
// left; off a terminal, one line per interval). Never recorded: the attempt's outputs say
// what was done.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace runbook {

enum class ProgressUnit { kBytes, kItems };

struct StepProgress {
  std::string phase;              // what is being done: "compressing", "uploading", ...
  uint64_t done = 0;              // in `unit`, since the phase began
  std::optional<uint64_t> total;  // nullopt when not known (a dump of unknown size)
  ProgressUnit unit = ProgressUnit::kBytes;
  // Items alongside bytes (objects of a sync, files of a hash): "3 of 12 objects".
  uint64_t items_done = 0;
  uint64_t items_total = 0;
  std::string items_noun;  // "files", "objects", "members"; "" when not counted
  // What the phase waits for before it can move ("waiting 4s of at most 30s for a lock
  // held by another connection"); "" while it moves.
  std::string waiting;
};

}  // namespace runbook
