// AuditJournal: the executor's RunJournal written to an AuditStore. Turns each run event
// into a redacted event body (docs/audit.md lists them) and keeps the run's lock.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "engine/audit/store.h"
#include "engine/journal.h"

namespace runbook {

// Facts about the run the executor does not know: where it came from and who ran it.
struct RunContext {
  std::string runbook_sha256;
  std::string user;
  std::string git_commit;  // of the runbook's repository, "" when none
  std::string resumed_from;
  // resume: every run this one continues, nearest first (resumed_from, then the run that one
  // resumed, ...): a step tells its own earlier attempts by them (StepContext::continues).
  std::vector<std::string> continues;
  std::string incident_started_at;     // resume: when the incident's RTO clock started
  std::string lock;                    // the resolved lock name, "" when none
  int64_t prior_approval_wait_ms = 0;  // resume: approval waits of the earlier runs
  // resume --end-leftovers: processes of the interrupted run ended first, one line each
  // ("process 123 (sleep 30): SIGTERM")
  std::vector<std::string> ended_leftovers;
  std::string base;       // the folder the run's relative paths resolve against (cli/run_place.h)
  std::string base_real;  // its real path (links resolved) when the run started
  // The run's options a resume keeps, as they go on its command line ("--wait"): recorded so
  // that `show` of a killed run gives the whole continue command (breakM M2).
  std::vector<std::string> continue_options;
  // resume: steps stopped mid-way that the operator confirmed to run again (breakN N2: a
  // human decision the engine acts on is evidence, like an approval): each {step, how}, how
  // being "--rerun" or "asked on a terminal"; `user` is who confirmed.
  std::vector<std::pair<std::string, std::string>> reruns_confirmed;
  // resume --adopt: the account that started the run resumed, as "NAME (uid N)" (breakP
  // P10: its choices run as this one's; recorded as the operator's decision).
  std::string adopted_from;
  // Who or what started the run when not a person at a terminal (runbook serve: a schedule's
  // fire, an API call and its token's name), as serve passed it (--trigger); null otherwise.
  Value trigger;
  // How often the run's process says it is alive (store.h, Liveness); tests shorten it.
  std::chrono::milliseconds heartbeat_every = kHeartbeatEvery;
  // `run --wait` / `resume --wait`: while this returns true (not cancelled), a store another
  // process holds locked past its busy timeout when the run records an event (its start, a
  // step's end) is waited out, polled every 200 ms, instead of ending the run (breakVV VV2: a
  // fire started while an `audit export` held the store died, paged, its fire lost; breakWW
  // WW2: a run at work died at a brief lock). Empty: not waited out (exit 3 as documented).
  // `begun`: the run's start is recorded. What ran then is still recorded after a first
  // cancel (breakXX XX7: a Ctrl-C while a failed step's end waited dropped it, and the store
  // said the step never finished); the caller decides what ends the wait.
  std::function<bool(bool begun)> wait_out_busy;
  // Once the run's start is recorded, what ends a wait for the store's lock at once
  // (AuditStore::StopLockWaitsWhen; before, the caller's own): a second Ctrl-C. Empty: none.
  std::function<bool()> stop_waits_once_begun;
  // Where what the run did is kept while the store will not take it (engine/audit/unrecorded.h:
  // runbook serve's LOG_DIR/RUN_ID.unrecorded), so that a process that dies waiting loses
  // none of it; "" when nowhere (a run at a terminal: a second Ctrl-C gives it up knowingly).
  std::string unrecorded;
  // Params whose values this process does not have, recorded as masked (kMask) with no
  // fingerprint, so that a resume asks for them as for any masked param: a lost-run helper
  // recording a run that never began, from params kept without them (serve/kept_params.h
  // KeptParams::withheld; breakZZ ZZ5). Empty for a run's own process.
  std::vector<std::string> withheld_params;
  // Of withheld_params, those whose values were lost (KeptParams::lost), recorded as
  // run_started's lost_params: a resume takes any value given for them, as there is nothing
  // to check it against, and says why it asks (not "a secret's text").
  std::vector<std::string> lost_params;
  // Of withheld_params, the masked text each is recorded as (KeptParams::masks: "tok-***"),
  // else kMask: a resume compares a value given again with it.
  Value::Map withheld_masks;
  // Of withheld_params, the keyed fingerprint each value had (KeptParams::fingerprints),
  // recorded in masked_param_fingerprints: a resume proves the value given again by it.
  Value::Map withheld_fingerprints;
  // When a run that never began had its request taken (FormatUtc's UTC text), recorded by a
  // lost-run helper as its run_started's recorded_late.happened_at: readers date its start
  // by it, not by when the helper recorded it (breakBB BB2). "" for a run's own process.
  std::string requested_at;
};

// How much of one string of an attempt's resolved parameters the store keeps (breakJ J30): a
// longer one is recorded as its first kRecordedParamBytes, then "... [cut by runbook: N
// bytes in all, sha256 H]" (of the masked value), so a runbook whose steps take megabytes of
// arguments does not grow the store by megabytes per attempt. The run's own parameters
// (run_started), which resume reads back, and step outputs, which carry over, are whole.
constexpr size_t kRecordedParamBytes = 64 * 1024;

class AuditJournal final : public RunJournal {
 public:
  AuditJournal(AuditStore& store, RunContext context)
      : store_(store), context_(std::move(context)) {}

  Status RunStarted(const Runbook& rb, const std::string& run_id, const Value::Map& params,
                    const Redactor& redactor) override;
  Millis BusyWaited() const override { return busy_waited_; }
  Status AttemptStarted(const StepDecl& step, int attempt, const Value& params,
                        const Value::Map& path_fingerprints,
                        const std::string& params_fingerprint) override;
  std::string Fingerprint(const std::string& text) override;
  Status AttemptFinished(const StepDecl& step, const AttemptRecord& attempt,
                         const StepRun& run) override;
  Status StepFinished(const StepDecl& step, const StepRun& run) override;
  Status ResourceStopped(const StepDecl& step, const std::string& name,
                         const std::string& how) override;
  Status RunFinished(const RunResult& result) override;
  // The store is still the one opened (AuditStore::Verify) and the run still recorded as
  // running, and every heartbeat_every the run's heartbeat; an error stops the run
  // (docs/audit.md, "Runs on other hosts").
  Status Check() override;
  Status OutputSoFar(const StepDecl& step, int attempt, const std::string& text) override;
  void BeginGroup() override { grouping_ = true; }
  Status CommitGroup() override;

 private:
  // Masks the run's secrets in `body`, then (when `cut_strings` > 0) cuts its longer strings
  // as kRecordedParamBytes says, and appends it.
  // redactor_ keyed by the store's fingerprint key (made on first use); the key "" when the
  // store cannot give one (a resume then compares masks, or, for paths, knows none).
  const Redactor& Keyed();
  Status Append(const std::string& kind, const std::string& step, int64_t attempt, Value::Map body,
                size_t cut_strings = 0);
  // Appends `events` in one transaction, waiting out a busy store as context_.wait_out_busy
  // allows. Errors: the store's.
  Status Commit(const std::vector<AuditStore::NewEvent>& events);
  // Keeps `events` in context_.unrecorded (KeepUnrecorded) before the store is asked: the
  // file's size before, to cut back to once recorded; nullopt when not kept (no file, the run
  // not begun, or a failure, said on stderr).
  std::optional<int64_t> Keep(const std::vector<AuditStore::NewEvent>& events);
  AuditStore& store_;
  Millis busy_waited_{0};  // Commit's waits out a busy store (BusyWaited)
  bool begun_ = false;     // run_started is recorded
  RunContext context_;
  std::string run_id_;
  const Redactor* redactor_ = nullptr;
  std::optional<Redactor> keyed_;  // redactor_ with the store's fingerprint key (Keyed())
  std::chrono::steady_clock::time_point next_heartbeat_{};
  bool grouping_ = false;
  std::vector<AuditStore::NewEvent> pending_;  // appended at CommitGroup
  // The first commit that failed: the store is not asked again (the run fails closed), and
  // each later batch returns it. When that batch was kept and met a busy store the run gave
  // up waiting for (a second cancel: RunContext::wait_out_busy), every later batch is kept
  // too (`keep_after_failure_`), so that what the run does as it ends (its steps' cancels, its
  // end) is recorded late with the rest (breakAA AA6: a run stopped by serve while a step's
  // end waited was recorded interrupted, not cancelled). Otherwise later batches are dropped.
  std::optional<Status> failed_;
  bool keep_after_failure_ = false;
};

// The commit checked out in the git repository holding `path`, read from .git without
// running git; "" when there is none.
std::string GitCommitOf(const std::string& path);

}  // namespace runbook
