// The failure notices runbook serve owes, kept until they are told. A run serve started that
// ended without recording its end (Launcher::MayBeLost), or that died with the serve before
// (kDiedWithServe), has its runbook's failure entries sent by a helper process
// (Launcher::StartLostHelper, cli/run_lost.h). What is owed is a file,
// `<log_dir>/<run id>.owed` (JSON: run_id, file, exit_code, resumes, cancelled), written
// before the helper starts and removed once it ends with 0 (looked at, whatever was sent)
// or 2 (nothing can be read to send from: said). A serve stopped, killed or restarted while the
// helper sends (the helper dies with it) leaves the file, and the next serve starts the helper
// again, which sends only the entries not yet recorded as sent (breakNN NN1: the failure was
// never sent, by anyone). A helper that ends otherwise (3: the store locked or busy, or killed)
// is started again after 10 s, then 20, 40, ... at most 10 min apart, 30 times in all (about
// four hours), then given up and said. The retries are a peer's: Alertmanager's notifier
// retries a failed notification with backoff until it is delivered or given up.
// Not thread-safe: serve's main loop owns it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "engine/util/status.h"
#include "serve/launcher.h"

namespace runbook {

class OwedFailures {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // `first_delay`: the wait before a helper that did not finish is started again, doubled
  // after each next attempt up to 10 minutes (RUNBOOK_OWED_RETRY_MS, docs/format.md).
  static constexpr std::chrono::milliseconds kFirstDelay{10'000};
  OwedFailures(Launcher& launcher, std::string log_dir,
               std::chrono::milliseconds first_delay = kFirstDelay);

  // Records that `run`, which ended with `exit_code`, may have a failure to tell, then starts
  // its helper and drops the run's .running marker (the file says it now). A run already
  // owed is not owed twice. Errors: the file cannot be written (the helper is started all the
  // same: only a serve stopped meanwhile would lose it).
  Status Owe(const LaunchedRun& run, int exit_code, Time now);
  // The files a serve before this one left: each helper started again. Lines for serve's log.
  std::vector<std::string> TakeUpLeft(Time now);
  // Reaps the helpers that ended and starts those due again. Lines for serve's log.
  std::vector<std::string> Tick(Time now);
  // Whether any is still owed (a graceful stop waits for them, a while).
  bool Any() const { return !owed_.empty(); }
  // Whether `run_id` is owed (its runbook's copy is kept for it).
  bool Owes(const std::string& run_id) const { return owed_.count(run_id) != 0; }

 private:
  struct Owed {
    LaunchedRun run;
    int exit_code = 0;
    int attempts = 0;
    pid_t helper = -1;  // -1: not sending; due at `due`
    Time due{};
  };
  Launcher& launcher_;
  std::string log_dir_;
  std::chrono::milliseconds first_delay_;
  std::map<std::string, Owed> owed_;  // by run id
  std::string FileOf(const std::string& run_id) const;
  // Whether `owed` owes only a record: it told its end (exit 0, 1, 4: Launcher::MayBeLost), or
  // it was cancelled and kept its own end, which it told itself (KeptEnd; breakAA AA6, breakBB
  // BB3: "a cancel" was said of a failure already paged). Reads its .unrecorded only then.
  bool OnlyRecord(const Owed& owed) const;
  Status Write(const Owed& owed) const;
  // Starts its helper; a line for the log when it cannot.
  std::vector<std::string> Start(Owed& owed, Time now);
  // Done with it: its file and the run's leftovers removed.
  void Settle(const std::string& run_id);
};

}  // namespace runbook
