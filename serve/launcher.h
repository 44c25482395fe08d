// How runbook serve runs a runbook: as a child process of its own binary (`runbook run FILE
// ... --run-id ID --trigger JSON`, or `runbook resume`), so a run that crashes never takes
// serve down and runs exactly as from a terminal, into the same audit store. Children die
// with serve (PR_SET_PDEATHSIG SIGKILL): a restarted serve finds them interrupted, resumable.
// Each child's standard output and error go to LOG_DIR/RUN_ID.log. Thread-safe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/notify.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// A run's params as NAME, VALUE pairs (what --set NAME=VALUE gives), in order.
using ParamSets = std::vector<std::pair<std::string, std::string>>;

struct LaunchRequest {
  std::string runbook;              // its name
  std::string file;                 // its file
  ParamSets sets;                   // passed on the run's standard input (--sets-stdin), never argv
  Value trigger;                    // recorded in run_started
  std::string resume_id;            // "": a new run; else resume it
  std::vector<std::string> reruns;  // resume --rerun STEP: the operator's confirmation
  bool end_leftovers = false;       // resume --end-leftovers
  bool force = false;               // resume --force: a changed runbook, a moved base
  // A resume's: the runbook's text as the run started (CopyOf it), read instead of `file`,
  // which was edited since (resume --runbook-text; breakWW WW8). "": `file`'s.
  std::string text_copy;
  // The caller waits to hear whether the run starts (POST .../resume answers a refusal with
  // 409; POST .../runs answers 201 once the run kept its params): when it ends before that is
  // settled, Reap holds it back until Release says whether the refusal was answered (breakNN
  // NN3: a refusal the caller was told of also paged). Its marker says "answered": false until
  // Release: a run that left no record when serve died before answering is dropped by the
  // next serve, as its caller saw the request fail (LaunchedRun::unanswered).
  bool caller_waits = false;
};

struct LaunchedRun {
  std::string run_id;
  std::string runbook;
  pid_t pid = -1;
  std::string log;   // its output file
  std::string file;  // the runbook's file
  ParamSets sets;    // its params
  // The names `sets` had when serve started it (Start), kept without their values in its
  // marker and .owed: after a restart the values are gone, and a helper that cannot read the
  // run's kept params records those names withheld, not their defaults (breakBB BB4). Nullopt:
  // not known (a file an older serve wrote).
  std::optional<std::vector<std::string>> set_names;
  std::string resumes;  // a resume's: the run it resumes
  // The trigger it records (LaunchRequest::trigger): a helper records a run that never began
  // with it, its caller's identity included (breakZZ ZZ5: the user was empty). Null: unknown.
  Value trigger;
  // Its caller waited (LaunchRequest::caller_waits) and had not been answered when serve last
  // marked it (its marker's "answered": false; MarkedRun): left unrecorded by a serve that
  // died, it is dropped, never recorded or told (breakDD DD1: recorded with its params
  // withheld, its page addressed by a param could not be rendered, and nobody was paged).
  bool unanswered = false;
  bool cancelled = false;
  // The cancel was serve's own stop (Cancel's `by_stop`), no operator's: a run the stop caught
  // before it began is recorded interrupted, to be resumed (breakBB BB5: it was forgotten,
  // and its caller's id answered 404).
  bool stopped = false;  // Cancel asked it to stop: a cancel is no failure (breakPP PP3)
  // Killed before it started, its fire queued again (Scheduler::RunEnded, MarkRequeued): it
  // stands for nothing; the fire runs as another run (breakXX XX8).
  bool requeued = false;
};

// The exit code a run that died with serve is told by (its process was killed with serve's:
// PR_SET_PDEATHSIG), for `run --lost-exit` (cli/run_lost.h).
constexpr int kDiedWithServe = 1000;

// LaunchedRun::set_names as its files keep it: a list of names, null when not known (read
// back with StringsOf: anything but a list of strings is not known).
Value SetNamesValue(const std::optional<std::vector<std::string>>& names);

struct EndedRun {
  LaunchedRun run;
  int exit_code = 0;  // 128+N when killed by signal N
};

class Launcher {
 public:
  // `self` is runbook's own binary (/proc/self/exe resolved), `audit_db` the store every run
  // records into, `log_dir` an existing folder.
  Launcher(std::string self, std::string audit_db, std::string log_dir);
  const std::string& audit_db() const { return audit_db_; }

  // Starts a run; its id is chosen here (NewRunId), so it is known at once; its marker
  // (MarkerOf) is written first. Errors: the log file cannot be made, fork fails, or, for a
  // run whose caller waits, its marker cannot be written (nothing is started then).
  Result<LaunchedRun> Start(const LaunchRequest& request);
  // Runs of `runbook` this serve started that have not ended.
  std::vector<LaunchedRun> Running(const std::string& runbook) const;
  // Every run this serve started that has not ended, whatever its runbook (one removed from
  // the folder meanwhile included).
  std::vector<LaunchedRun> AllRunning() const;
  // Whether `run_id` is one of this serve's running children.
  bool IsRunning(const std::string& run_id) const;
  // Asks a running child to stop as Ctrl-C does (SIGINT: steps stopped, finally steps run,
  // the run recorded cancelled); asked again, as a second Ctrl-C (its finally steps are
  // stopped too). False when it is not running here.
  // `by_stop`: serve is stopping (LaunchedRun::stopped).
  bool Cancel(const std::string& run_id, bool by_stop = false);
  // What says serve is stopping: a run that ends on a SIGINT or SIGTERM meanwhile was stopped
  // with serve (LaunchedRun::stopped), though the signal came from outside: `systemctl kill`
  // signals every process of the unit at once (breakCC CC3: such a run that had not begun was
  // taken for an operator's cancel, and recorded nowhere). Unset: never.
  void StoppingWhen(std::function<bool()> stopping) { stopping_ = std::move(stopping); }
  // Children that ended since the last call, with their exit codes. The last 100 are also
  // kept for Ended().
  std::vector<EndedRun> Reap();
  // Settles a run started with `caller_waits`: `answered` when its caller was told it was
  // refused (it is then never reported by Reap), else it is reported as any other, and its
  // marker, while it is kept, says its caller was answered (LaunchedRun::unanswered).
  // Errors: its marker could not be rewritten to say its caller was answered (the state
  // folder's disk full): the caller must not be told it started (breakFF FF1).
  Status Release(const std::string& run_id, bool answered);
  // Starts `runbook run FILE --run-id ID --lost-exit N --notify-outbox OUTBOX --notify-sent
  // SENT [--lost-copy COPY]
  // [--lost-resumes RUN] [--lost-cancelled] [--set ...]` for `run` that ended with N (not 0, 1 or
  // 4; kDiedWithServe): when the run did not record its end (killed, crashed, refused before its
  // first step) its runbook's failure notifications are sent (cli/run_lost.h; audit of issue 16,
  // M6). COPY: the runbook as Start copied it, when it is still there. Its output is appended to
  // the run's log. Returns its pid. Errors: as Start's.
  Result<pid_t> StartLostHelper(const LaunchedRun& run, int exit_code);
  // StartLostHelper's children that ended since the last call: pid and exit code (128+N:
  // killed by signal N).
  std::vector<std::pair<pid_t, int>> EndedHelpers();
  // LOG_DIR/RUN_ID.runbook: the runbook's file as Start read it, kept while the run may have
  // a failure to tell (removed when it ends with 0, 1 or 4, else by Forget).
  std::string CopyOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".runbook";
  }
  // Moves `resume_id`'s copy to `run_id`'s: the runbook as `run_id` started, for its next
  // resume, when `resume_id` (a resume of it) ended before it started. Nothing when there is
  // none.
  void HandCopyBack(const std::string& resume_id, const std::string& run_id) const;
  // LOG_DIR/RUN_ID.sent: the journal of the deliveries the run and then its lost-run helper
  // sent (cli/notify_journal.h), kept while anything may be owed.
  std::string SentOf(const std::string& run_id) const { return log_dir_ + "/" + run_id + ".sent"; }
  // LOG_DIR/RUN_ID.outbox: what the run's end owes to tell, written by the run before it sends
  // (cli/notify_journal.h).
  std::string OutboxOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".outbox";
  }
  NotifyJournalPaths JournalOf(const std::string& run_id) const {
    return {OutboxOf(run_id), SentOf(run_id), ParamsOf(run_id), UnrecordedOf(run_id)};
  }
  // LOG_DIR/RUN_ID.unrecorded: what the run did that a locked store had not recorded yet
  // (engine/audit/unrecorded.h), recorded by its lost-run helper.
  std::string UnrecordedOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".unrecorded";
  }
  // Whether the run's UnrecordedOf says it was waiting for the store when it last wrote
  // there (what it kept may not be recorded: its helper looks).
  bool LeftUnrecorded(const std::string& run_id) const;
  // LOG_DIR/RUN_ID.running: Start's mark that the run goes (LeftRunning), a JSON object
  // naming its runbook, file and the run it resumes.
  std::string MarkerOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".running";
  }
  // The run MarkerOf(run_id) names (no pid, sets or cancel; its trigger and set_names when
  // the marker has them). A marker missing, empty or naming none: the run as its accepted
  // params name it (AcceptedRun), else nullopt.
  std::optional<LaunchedRun> MarkedRun(const std::string& run_id) const;
  // The run LOG_DIR/RUN_ID.params names when the run itself kept it as accepted (its fields
  // as serve/kept_params.h: accepted, runbook, trigger), its file serve's copy of its runbook
  // ("" when that is lost too: the folder's file is then used); nullopt otherwise (breakCC
  // CC2, breakDD DD6).
  std::optional<LaunchedRun> AcceptedRun(const std::string& run_id) const;
  // LOG_DIR/RUN_ID.params: a run refused before it started has its params kept there by its
  // first lost-run helper, for the next (serve/kept_params.h).
  std::string ParamsOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".params";
  }
  // LOG_DIR/RUN_ID.cancelled: serve cancelled the run (Cancel: the API, overlap:
  // cancel_running, its own stop); a run still going when serve dies leaves it, and the next
  // serve owes it as cancelled (a cancel is no failure: breakRR RR2, breakTT TT13), not as a
  // run that died with serve.
  std::string CancelledMarkOf(const std::string& run_id) const {
    return log_dir_ + "/" + run_id + ".cancelled";
  }
  // Writes CancelledMarkOf(run_id). Errors: the file cannot be made.
  Status MarkCancelled(const std::string& run_id) const;
  // Removes what Start left for `run_id`: its .running marker, its runbook's copy, its
  // outbox, sent journal, kept params and .cancelled mark (an empty directory in their place
  // too). Cheap: called at every run's end.
  void Forget(const std::string& run_id) const;
  // Removes the unfinished writes of `run_id`'s files (RUN_ID.KIND.tmp.HEX: a writer killed
  // before its rename, engine/util/private_file.h), which only a kill leaves: a scan of the
  // log folder, so called when a run that may have died is settled (OwedFailures), not at
  // every end; serve's start removes those of runs neither owed nor marked (breakDD DD7).
  void RemoveUnfinishedWrites(const std::string& run_id) const;
  const std::string& log_dir() const { return log_dir_; }
  // LOG_DIR/RUN_ID.log.
  // The first line of the run's log `log` (LogOf) that runbook said as an error
  // ("runbook: error: ..."), without that prefix, cut at 300 bytes; "" when none (or no log).
  // What a run that ended before it started says of why, quoted where serve tells it.
  static std::string FirstError(const std::string& log);
  std::string LogOf(const std::string& run_id) const { return log_dir_ + "/" + run_id + ".log"; }
  // Whether a run that ended with `exit_code` may have ended without recording it: any code
  // but 0, 1 and 4, which a run gives only after recording its end.
  static bool MayBeLost(int exit_code);
  // Whether `ended` may owe anything to its lost-run helper: MayBeLost, or it ended while it
  // waited to record what it did (LeftUnrecorded: serve's stop gave the wait up; breakYY YY4).
  bool MayOwe(const EndedRun& ended) const {
    return MayBeLost(ended.exit_code) || LeftUnrecorded(ended.run.run_id);
  }
  // A run this serve started: still running (exit_code -1) or ended (its code), and its log;
  // nullopt when not started here. For a run that ended before it recorded anything.
  std::optional<EndedRun> Launched(const std::string& run_id) const;
  // Whether `run_id` is this serve's: being started (from before Start writes its first file),
  // running, or among the ended ones kept. A sweep of the folder leaves such a run's files.
  bool Owns(const std::string& run_id) const;
  // Notes that run `run_id`, which ended before it started, had its fire queued again
  // (LaunchedRun::requeued, as Launched gives it). Nothing when it is not kept.
  void MarkRequeued(const std::string& run_id);

  // The runs a serve before this one started in `log_dir` and never saw end (it was killed):
  // each Start leaves `<log_dir>/<run id>.running`, removed when the child is reaped and
  // ended with 0, 1 or 4, else once its failure is owed (serve/owed_failures.h). Returns
  // their ids; the restarted serve looks at each once, whoever marked the run interrupted
  // meanwhile (audit of issue 16, M1: a `runbook history` run while serve was down swept the
  // run first, and serve's own sweep then found nothing to resume), then Forgets it.
  static std::vector<std::string> LeftRunning(const std::string& log_dir);

 private:
  std::string self_;
  std::string audit_db_;
  std::string log_dir_;
  mutable std::mutex mu_;
  std::function<bool()> stopping_;  // StoppingWhen
  // Queries reap ended children first (ReapLocked), so these change under const calls.
  mutable std::map<pid_t, LaunchedRun> running_;
  mutable std::vector<EndedRun> ended_;                       // the last 100, oldest first
  mutable std::vector<EndedRun> unreported_;                  // ended since the last Reap()
  mutable std::vector<pid_t> helpers_;                        // StartLostHelper's children
  mutable std::vector<std::pair<pid_t, int>> helpers_ended_;  // since the last call
  mutable std::map<std::string, bool> caller_waits_;          // run id: released (caller_waits)
  mutable std::vector<EndedRun> held_;                        // ended before their Release
  std::set<std::string> starting_;                            // in Start, before running_
  void ReapLocked() const;
  // Writes MarkerOf(run.run_id): what a restarted serve needs of the run, with
  // "answered" (its caller's, LaunchedRun::unanswered) when `caller_waits`.
  Status WriteMarker(const LaunchedRun& run, bool caller_waits) const;
  // Forks and execs `args` with its output to `log` (opened with `log_flags`) and `sets` on
  // its standard input (a JSON list of [NAME, VALUE] pairs; /dev/null when empty), after
  // which the child has exec'd. Under mu_.
  Result<pid_t> SpawnLocked(std::vector<std::string> args, const std::string& log, int log_flags,
                            const ParamSets& sets);
};

}  // namespace runbook
