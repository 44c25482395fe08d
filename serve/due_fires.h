// Which schedule fires are due at a scheduler tick: the pure rule of runbook serve's
// scheduler, from the time of the previous tick and the time now (both injected).
//
// Rule (docs/serve.md "Missed fires"), as Kubernetes CronJob's startingDeadlineSeconds and
// Dagu's catch-up: of the fires of one schedule in (last, now], only the latest can run;
// it runs when it is at most `on_time` late (a normal tick), or at most the runbook's
// `on.catchup` late (after downtime); otherwise it is skipped and said. Earlier fires in the
// window are never run; their count is said. Thread-safe (pure).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/schedule/fire_times.h"

namespace runbook {

// The most missed fires counted one by one (a minute-schedule over a long downtime).
constexpr int64_t kMaxCountedFires = 1000000;

struct DueFire {
  const Runbook* runbook = nullptr;
  size_t schedule = 0;  // index into runbook->on.schedules
  SysSeconds fire_at;
  bool run = false;             // false: too late, skipped
  int64_t late_seconds = 0;     // now - fire_at
  int64_t earlier_skipped = 0;  // fires in the window before fire_at, never run, counted up
                                // to kMaxCountedFires (then "at least" that many)
  std::string why;              // "on time", "1h late, within catchup 6h", "9h late; ..."
};

// The due fires of every schedule of `runbooks`, in the order of the runbooks and their
// schedules. `last` >= `now` gives none.
std::vector<DueFire> DueFires(const std::vector<const Runbook*>& runbooks, SysSeconds last,
                              SysSeconds now, std::chrono::seconds on_time);

// One fire of `rb`'s schedule `schedule` at `fire_at`, judged at `now` by the same rule (on
// time, within catchup, or skipped): a fire serve's queue held when serve stopped, seen again
// at its next start (breakTT TT10). `earlier_skipped` is 0.
// Whether `at` is a fire time of schedule `s` (its cron in its zone): a fire read back from
// serve's state file that is not one is not run (breakUU UU3: any time written there ran).
bool IsFireOf(const ScheduleDecl& s, SysSeconds at);

DueFire DecideFire(const Runbook& rb, size_t schedule, SysSeconds fire_at, SysSeconds now,
                   std::chrono::seconds on_time);

}  // namespace runbook
