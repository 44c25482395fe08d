// runbook serve's scheduler: at each tick, the due fires (due_fires.h) of the catalog's
// runbooks are started through the launcher, skipped, or queued by the runbook's
// `on.overlap`; queued fires start once their runbook is free. The time of the last tick and
// the queued fires are kept in a state file, so after a restart the fires missed meanwhile,
// and those the queue held, follow `on.catchup` (breakTT TT10);
// a fire is never run twice: one that a run of the store already carries (its trigger's
// runbook, schedule and fire time) is not started again. Time comes from the injected Clock.
// Not thread-safe: one thread ticks.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/util/clock.h"
#include "serve/catalog.h"
#include "serve/due_fires.h"
#include "serve/launcher.h"

namespace runbook {

class Scheduler {
 public:
  // `state_path`: the file of the last tick (made when missing; the first tick then counts as
  // the last, so nothing is caught up from before serve ever ran). `say` gets one line per
  // decision ("fired nightly (0 3 * * * Europe/Madrid) as run ID: on time").
  Scheduler(const Clock& clock, Launcher& launcher, std::string audit_db, std::string state_path,
            std::function<void(const std::string&)> say);

  void Tick(const Catalog& catalog);

  // Of the fires the serve before this one started (the state file's "launched"), those whose
  // runs recorded nothing in the store and that `owed` does not name (a run whose end serve
  // was telling: refused): their run ids. Each such fire is judged again at the next tick as
  // one missed while serve was down (on time or within catchup: queued, so it runs once its
  // runbook is free). A run waits for its `lock:` before it records anything, so a fire whose
  // run waited when serve was killed or stopped had never run (breakUU UU9: it was lost, and
  // paged as a failure). Call once the store can be read: until then (an error from it),
  // nothing is judged, the fires stay in the state file, and the call can be made again.
  // `marked`: the runs the serve before left running (run id, the trigger its marker keeps,
  // Launcher::MarkedRun). A fire's run among them that recorded nothing and is not owed is
  // taken up the same way, though the state file does not name it (a serve killed between a
  // fire's launch and the tick's write of the state file: its run was paged as interrupted):
  // its fire is judged again from the state file as written before the launch (RefireUnsaved).
  Result<std::vector<std::string>> TakeUpLaunched(
      const std::function<bool(const std::string&)>& owed,
      const std::vector<std::pair<std::string, Value>>& marked = {});

  // Called for every run serve reaped. A fire's run killed by a signal serve did not send
  // (kill -9, the OOM killer, a crash) before the store had any record of it (it waited for
  // its `lock:` or for a busy store) had not started: its fire is queued again, as it was
  // launched (on time, not judged by catchup: serve did not miss it), up to kMaxRelaunches
  // times; true then, and nothing is owed for the run (breakVV VV5: it was paged as a failure
  // and its fire lost, while serve.md promised it runs again). False for any other run, which
  // is owed as before; and when the store cannot be read (a failure paged is never lost).
  // When true, the run is forgotten (Launcher::Forget: its marker first, before the state file
  // queues its fire): a serve killed in between never owes it (breakXX XX2: the next serve
  // paged "died with runbook serve" for it, and ran the fire too).
  bool RunEnded(const EndedRun& ended);
  static constexpr int kMaxRelaunches = 3;

 private:
  // A fire waiting for its runbook's run to end: what it is, said, and its launch. Nothing
  // that points into a catalog, which a changed file replaces meanwhile.
  struct Queued {
    std::string what;
    LaunchRequest request;
    int relaunches = 0;  // times its runs died before they started (RunEnded)
  };
  // A fire started here, until its run records its start or ends. One the state file kept
  // has its trigger only.
  struct Launched {
    std::string run_id;
    Value trigger;
    std::string what;
    LaunchRequest request;
    int relaunches = 0;
  };
  void Handle(const DueFire& fire, const CatalogEntry& entry);
  static LaunchRequest RequestOf(const DueFire& fire, const CatalogEntry& entry);
  // A fire the state file kept queued (its trigger), judged at `now` as a missed fire (on
  // time or within catchup: queued again; else skipped), said either way. `launched`: one
  // whose run never started (TakeUpLaunched), which a later fire already queued replaces.
  void Requeue(const Value& trigger, const Catalog& catalog, SysSeconds now, bool launched);
  // A fire whose run never started and that the state file does not name as launched: the
  // state file was written before its launch. Judged again at the next tick unless that file
  // judges it already: kept queued there, or past its last tick (a due fire again).
  void RefireUnsaved(Value trigger);
  // Moves the launched fires whose runs ended to ended_ (for RunEnded), and (the store read
  // every 10 s at most) drops those whose runs recorded their start.
  void PruneLaunched(SysSeconds now);
  void WriteState(SysSeconds now);
  void StartQueued();
  // The triggers the store's 20 newest runs of `runbook` recorded (run_started's), newest
  // first: what AlreadyRan and LaterFireRan judge a fire by.
  std::vector<Value> RecordedTriggers(const std::string& runbook) const;
  bool AlreadyRan(const DueFire& fire) const;
  // A run of a later fire of `fire`'s schedule, as the store holds it: its fire_at (UTC text),
  // "" when none. A fire queued again after a restart never runs behind a later one of its
  // schedule ("only the latest can run", breakDD DD3: a planted older fire ran after a newer).
  std::string LaterFireRan(const DueFire& fire) const;
  // Starts the fire `what` (What: the runbook, its schedule and fire time), said with `why`
  // ("on time", "queued, now free"); `what` alone is kept for what is said of it later.
  void Start(const LaunchRequest& request, const std::string& what, const std::string& why,
             int relaunches = 0);

  const Clock& clock_;
  Launcher& launcher_;
  std::string audit_db_;
  std::string state_path_;
  std::function<void(const std::string&)> say_;
  std::string state_error_;   // why state_path_ could not be written last, "" when it was
  std::string read_problem_;  // said at the first tick
  std::optional<SysSeconds> last_;
  std::map<std::string, Queued> queued_;  // by runbook name, one each
  std::vector<Value> saved_queue_;        // the state file's queue, taken up at the first tick
  std::vector<Launched> launched_;        // started here, not yet recorded
  std::vector<Launched> ended_;           // of those, ended, until RunEnded (the last 100)
  std::vector<Launched> saved_launched_;  // the state file's, until TakeUpLaunched
  std::vector<Value> refire_;             // TakeUpLaunched's, judged at the next tick
  std::optional<SysSeconds> store_read_;  // when PruneLaunched last read the store
};

// The trigger a schedule's fire records: {"kind": "schedule", "runbook", "schedule" (its
// index), "cron", "timezone", "fire_at" (UTC)}.
Value ScheduleTrigger(const Runbook& rb, size_t schedule, SysSeconds fire_at);

}  // namespace runbook
