// AuditStore: the durable, tamper-evident record of runs, in one SQLite file (WAL mode,
// synchronous=FULL: an event is on disk when Append returns). Events form one hash chain
// per store (chain.h); `runs` and `locks` are indexes kept in the same transactions.
// Several processes may share a store: every append takes SQLite's write lock, waiting up
// to busy_timeout. Each append first and last checks that the file at the store's path is
// still the one opened (device and inode) and was not truncated or overwritten in place
// (store_file.h): a store deleted, renamed, replaced or rewritten during a run fails the
// append, so the run stops (exit 3) instead of recording into a lost file; what was committed
// is checkpointed into the file opened (never into one rewritten in place), and our -wal/-shm
// never stay at the path (Verify). The format is documented in docs/audit.md. One thread at
// a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/audit/chain.h"
#include "engine/audit/store_file.h"
#include "engine/util/proc_identity.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

class Db;
class Stmt;

constexpr int kAuditSchemaVersion = 1;

// One line of `runbook history`: the index row of a run.
struct RunRow {
  std::string run_id;
  std::string runbook;
  std::string path;
  std::string kind;
  std::string status;  // running | success | failure | cancelled | interrupted
  std::string started_at;
  std::string finished_at;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> rto_ms, rto_objective_ms, rpo_ms, rpo_objective_ms;
  std::optional<bool> objectives_met;
  std::string resumed_from;
  ProcessIdentity owner;
  // The sha256 of the runbook file it ran (its run_started); filled by LoadRunChain only: a
  // resume --force of an edited runbook shows as a change along the chain (breakFF F4).
  std::string runbook_sha256 = "";
  // Its end for people (FinishedText): for an interrupted run, when it was found gone and the
  // last thing recorded of it (breakFF F8: the chain listed the noticing time as its end).
  std::string end_text = "";
};

struct LockHolder {
  std::string name;
  std::string run_id;
  ProcessIdentity owner;
  std::string acquired_at;
  std::string heard_at;  // its run's last heartbeat when it runs elsewhere (UTC), else ""
  // Its run's process is gone, but processes its steps started still run here: their
  // tracking prefix (FindLeftovers, engine/process_tree.h); "" otherwise (breakL L30).
  std::string left_behind;
};

// How a run's process is known to be alive (breakL L32). A run of this place (same host,
// machine and pid namespace: WhereToken) is judged by its pid at once (IsAlive). A run of
// another place — another host, a container, a Kubernetes pod writing to a shared store —
// cannot be checked from here: it writes a heartbeat every kHeartbeatEvery while it runs,
// and is taken as gone once kGoneAfterSilence passes without one (restic's stale-lock rule,
// which refreshes every 5 min and calls a lock stale after 30; shorter here because a DR
// run is waited for). Runs recorded before heartbeats existed are judged by host and pid.
constexpr std::chrono::seconds kHeartbeatEvery{30};

// A run MarkInterrupted took as gone. `elsewhere`: it ran in another place and was taken as
// gone for its silence (kGoneAfterSilence), so processes its steps started there may still
// run (breakM M24); here, a gone process is known to be gone.
struct GoneRun {
  std::string run_id;
  std::string host;
  bool elsewhere = false;
};

// A run of another place whose last heartbeat was dated more than kClockTolerance ahead of
// this host's clock (breakN N14: a container whose clock is months ahead, killed, held its
// lock for months). MarkInterrupted took that heartbeat as heard now and rewrote it so: the
// run is taken as gone kGoneAfterSilence after the last heartbeat seen here, not after the
// skew. `ahead`: by how much.
struct ClockAhead {
  std::string run_id;
  std::string host;
  std::chrono::milliseconds ahead{0};
};

// A run of another place whose last heartbeat is dated more than kGoneAfterSilence before
// this host's clock, yet a new one came while MarkInterrupted watched (breakO O13: its
// host's clock is behind, or this one's ahead; taken as gone, its lock went to a second
// restore beside it). `behind`: how old the newest heartbeat looked.
struct ClockBehind {
  std::string run_id;
  std::string host;
  std::chrono::milliseconds behind{0};
};

// A run the runs index lists as running, whose process is gone, that MarkInterrupted left
// unmarked because its own events do not say it runs: one was edited after it was recorded,
// or one records its end (breakHH HH4: a reader appended a run_interrupted to a chain
// already broken, on an index row set back to "running"). `why`: which, for people.
struct UnmarkedRun {
  std::string run_id;
  std::string why;
};

// What MarkInterrupted did: the runs it marked, the heartbeats from the future it bounded,
// the runs it found alive by watching although their heartbeats looked old, and those it
// did not mark because their events disagree.
struct Sweep {
  std::vector<GoneRun> gone;
  std::vector<UnmarkedRun> unmarked;
  std::vector<ClockAhead> ahead;
  std::vector<ClockBehind> behind;
  bool stopped = false;  // WatchScope::stop ended the watch: nothing watched was marked
};

// The runs of another place a MarkInterrupted may watch and take as gone: those the command
// needs (the holder of the lock it wants, the run it resumes), never every such run of the
// store (breakP P11: every writer watched every one, so an unrelated backup stalled up to a
// minute, and failed when the run it watched ended meanwhile).
struct WatchScope {
  std::set<std::string> runs;  // empty: none is watched, none of another place is marked
  std::function<bool()> stop;  // polled while it watches: true ends the watch (Ctrl-C; P2)
  // Told before it watches: the runs (id, last heartbeat UTC) and for how long at most.
  std::function<void(const std::vector<std::pair<std::string, std::string>>& runs,
                     std::chrono::milliseconds up_to)>
      on_watch;
};

// What a running attempt had printed when last kept (AuditStore::KeepOutputSoFar).
struct OutputKept {
  std::string at;    // UTC
  std::string text;  // masked, its last lines
};
constexpr std::chrono::minutes kGoneAfterSilence{5};
// How far ahead of this host's clock another place's heartbeat may be dated and still be
// believed (audit.md: the hosts' clocks are assumed to agree to well under a minute).
constexpr std::chrono::minutes kClockTolerance{1};
// The longest heartbeat interval a run may use (RUNBOOK_HEARTBEAT_INTERVAL), and what a
// watcher adds to a run's interval before it takes the silence as gone (MarkInterrupted).
constexpr std::chrono::minutes kHeartbeatEveryMax{1};
constexpr std::chrono::seconds kWatchMargin{2};

struct Liveness {
  bool here = true;      // written from this place: the pid tells
  std::string heard_at;  // the last heartbeat (UTC)
  std::string tracking;  // its process's TrackingPrefix (engine/process_tree.h), "" if unknown
  std::chrono::milliseconds every{0};  // its heartbeat interval, 0 when unknown (older runs)
  std::optional<uid_t> uid;  // the real uid it runs as; none in rows older than the column
};

struct SignedHead {
  int64_t seq = 0;
  std::string hash;
  std::string key_id;
  std::string signature;
  std::string signed_at;
};

// The fingerprint key of the store whose absolute path is `abs_store_path`, as
// AuditStore::FingerprintKey gives it, for a process that has not opened the store yet (a run
// keeping its params before it waits for the store: serve/kept_params.h).
Result<std::string> FingerprintKeyBeside(const std::string& abs_store_path, bool make);

class AuditStore {
 public:
  // Opens or creates the store at `path` (its directory must exist), migrating the schema.
  // Refuses an SQLite file that is not a runbook store (another application id, or tables
  // of its own): a mistyped --audit-db never writes into someone's database.
  static Result<std::unique_ptr<AuditStore>> Open(const std::string& path,
                                                  int busy_timeout_ms = 5000);
  // Opens an existing store for reading (history, show, report, audit verify/export): never
  // creates or migrates it. Read-write when it can be written (so MarkInterrupted can run),
  // else read-only, else immutable (read-only media, or a full disk where SQLite cannot
  // create the -shm beside it: the -wal, if any, is then not read). Errors: no file at
  // `path` ("no audit store at PATH"), not a runbook store, a newer schema, unreadable.
  static Result<std::unique_ptr<AuditStore>> OpenExisting(const std::string& path,
                                                          int busy_timeout_ms = 5000);
  // OpenExisting's last resort for a store whose -wal holds events (read_note).
  static Result<std::unique_ptr<AuditStore>> OpenPrivateCopy(const std::string& path,
                                                             int busy_timeout_ms);
  // True when opened read-only or immutable: writes fail, MarkInterrupted is not tried.
  bool read_only() const { return read_only_; }
  // What a reader should be told of how the store was read ("" when as usual): a store on
  // read-only media whose -wal has events but no -shm beside it is read from a private copy
  // of both (break22 #5: it was read without its -wal, a shorter chain "intact", unsaid).
  const std::string& read_note() const { return read_note_; }
  // Whether the store's last failure was another process holding it past busy_timeout (a
  // long writer, `sqlite3` with a transaction open): a wait may try again (breakVV VV2).
  bool LastFailedBusy() const;
  // Db::StopLockWaitsWhen on the store's connection: a run that is cancelled before its start
  // is recorded stops waiting for a locked store at once (breakWW WW11).
  void StopLockWaitsWhen(std::function<bool()> stop);
  ~AuditStore();
  AuditStore(const AuditStore&) = delete;
  AuditStore& operator=(const AuditStore&) = delete;

  // Appends one event to the chain, durably, and updates the runs index for run_started,
  // run_finished and run_interrupted events (fields read from `body`). Fails, naming the
  // path, when the store's file is no longer at its path (CheckIdentity).
  Status Append(const std::string& run_id, const std::string& kind, const std::string& step,
                int64_t attempt, const Value& body);
  // An event before it is in the chain.
  struct NewEvent {
    std::string kind;
    std::string step;
    int64_t attempt = 0;
    Value body;
  };
  // Appends `events` of `run_id`, in order, in one transaction: all are durable when it
  // returns Ok, none when it fails (one fsync for a step's end and the next step's start).
  // As Append otherwise; the first event decides whether the run must still be running.
  Status AppendAll(const std::string& run_id, const std::vector<NewEvent>& events);
  // As AppendAll, for what a run did and could not record then, its store locked
  // (engine/audit/unrecorded.h): the run may be recorded interrupted since (its process died
  // while it waited), but not ended, nor resumed by another run (that one decided without
  // them). Errors: as AppendAll's; the run is not there, ended or resumed.
  Status AppendLate(const std::string& run_id, const std::vector<NewEvent>& events);
  // Whether run `run_id` may still take what it did late (AppendLate): Ok, or why not (the
  // store's error, busy included, or the run's state).
  Status TakesLate(const std::string& run_id);
  // Records late what run `run_id` kept while the store was locked, from the file its
  // run_started names (`unrecorded`: engine/audit/unrecorded.h, RecordUnrecorded). Ok when
  // there is none or nothing to record. Errors: the store's (busy: try again).
  Status RecordKept(const std::string& run_id);

  // Runs still 'running' whose process is gone get a run_interrupted event; locks held by
  // gone processes are released. A heartbeat dated more than kClockTolerance ahead of this
  // host's clock is first rewritten as heard now (ClockAhead). A run of another place whose
  // heartbeat looks older than kGoneAfterSilence is watched for one of its heartbeat
  // intervals (at most kHeartbeatEveryMax) plus kWatchMargin when `scope` names it, and
  // taken as gone only if none came (ClockBehind otherwise) and it is still recorded as
  // running then (it may have ended meanwhile); a run of another place `scope` does not
  // name is left as it is, its lock too. Returns what it did.
  Result<Sweep> MarkInterrupted(const WatchScope& scope = {});
  // The store's fingerprint key (Redactor::Fingerprint, breakO O15): 64 hex digits kept in
  // PATH-fingerprint-key beside the store, mode 0600, made at first need when `make`, so that
  // a reader of the store (often world-readable) or of `audit export` cannot test guesses of
  // a masked param against its fingerprint. "" when there is none and `make` is false, or it
  // cannot be made (a read-only folder). Errors: it cannot be read.
  Result<std::string> FingerprintKey(bool make);  // FingerprintKeyBeside(its absolute path)
  // The accounts whose processes may claim a run's tracking id here (process_tree.h,
  // Accounts): this process's, and the account the run ran as, `run_uid` (recorded with it:
  // breakP P3), else, for runs recorded before that, the store file's owner (breakO O21). A
  // process of another account that copied an id claims nothing (N20).
  std::set<uid_t> RunAccounts(std::optional<uid_t> run_uid) const;
  // The heartbeat interval this process's runs write (recorded, so that other places know
  // how long to watch for one: MarkInterrupted).
  void SetHeartbeatEvery(std::chrono::milliseconds every) { heartbeat_every_ = every; }

  // Records that `run_id`'s process (this one) is alive now. Error when the run is no longer
  // 'running' — another runbook marked it interrupted after kGoneAfterSilence without a
  // heartbeat (this process was suspended, or cut off from the store): the run must stop.
  Status Heartbeat(const std::string& run_id);
  // Ok while `run_id` is recorded as running (or not recorded yet); else the error a run
  // that finds itself taken as gone stops with (breakM M1: checked before each event).
  Status StillRunning(const std::string& run_id);
  // Where `run_id` was last heard from; none for runs recorded before heartbeats existed
  // (and for stores opened read-only that predate them).
  Result<std::optional<Liveness>> LastHeard(const std::string& run_id);

  // Keeps what attempt `attempt` of `step` printed so far (masked; a few KiB), replacing
  // what was kept before, outside the chain like a heartbeat (breakM M17): a run killed
  // under the attempt still shows it. Errors: the store cannot be written.
  Status KeepOutputSoFar(const std::string& run_id, const std::string& step, int attempt,
                         const std::string& text);
  // Those kept for `run_id`, by (step, attempt); none in stores that predate them.
  Result<std::map<std::pair<std::string, int>, OutputKept>> OutputsSoFar(const std::string& run_id);

  // Takes `name` for `run_id`; returns the holder instead when a live process holds it, or
  // when its holder is gone but processes its steps started still run here (left_behind).
  // MarkInterrupted keeps such a lock too: the lock's promise holds until they end. A holder
  // of another place counts as live while it is recorded as running, whatever its heartbeat
  // says: only a watch (MarkInterrupted with a WatchScope) takes it as gone.
  Result<std::optional<LockHolder>> TryLock(const std::string& name, const std::string& run_id);
  Status Unlock(const std::string& name, const std::string& run_id);

  Result<std::vector<RunRow>> Runs(const std::string& runbook, int limit);
  // A run by id or unique id prefix (a scan of the index: for a command's argument).
  Result<RunRow> FindRun(const std::string& id);
  // The runs index's row of run `run_id` (the full id, by key), none when it has none.
  Result<std::optional<RunRow>> IndexRow(const std::string& run_id);
  // The run that resumed run `id` (full id), if one did: a run is resumed once only (a
  // unique index on runs.resumed_from keeps two resumes at once from both starting). Read
  // from the chained run_started events, its row folded from its own (breakGG G7: a
  // cleared runs.resumed_from hid the resume).
  Result<std::optional<RunRow>> ResumedAs(const std::string& id);
  Result<std::vector<AuditEvent>> RunEvents(const std::string& run_id);
  // Run `run_id`'s events of kind `kind` after event `after_seq`, in order: what a gate
  // waiting for its answer reads each second (cli/api_approver.cpp), not the whole run.
  Result<std::vector<AuditEvent>> RunEventsAfter(const std::string& run_id, int64_t after_seq,
                                                 const std::string& kind);
  // The ids of the newest `limit` runs of runbook `runbook` ("" any; the name their
  // run_started body records), newest (highest seq) first. Read through an index on the
  // events' kind in stores opened for writing since it was added; a scan of the events in
  // older ones (breakHH HH6: a listing of 5 runs read every run's start).
  Result<std::vector<std::string>> NewestRunIds(const std::string& runbook, int limit);
  // The run whose run_started event names `id` as the run it resumes, the first one recorded;
  // "" when none.
  Result<std::string> FirstResumeOf(const std::string& id);
  // FirstResumeOf of every resumed run at once (resumed run -> the first run resuming it):
  // one pass over the run_started events from event `from_seq` on, for a listing of many runs
  // (a resume starts after the run it resumes: from the oldest listed run's start is enough,
  // and a first page of 10,000 runs reads its tail only: bench/ui_bench.py).
  Result<std::map<std::string, std::string>> FirstResumes(int64_t from_seq = 0);
  // The runs of runbook `runbook` ("" any) the runs index lists that no run_started event
  // records.
  Result<std::vector<std::string>> IndexOnlyRuns(const std::string& runbook);
  // The events of `run_id` that make or change its runs row (run_index.h, kIndexedKinds), in
  // seq order.
  Result<std::vector<AuditEvent>> IndexedEvents(const std::string& run_id);
  // Every event from seq `from_seq` on (1: all), in seq order; `fn` returns false to stop.
  Status ForEachEvent(const std::function<bool(const AuditEvent&)>& fn, int64_t from_seq = 1);

  Status AddHead(const SignedHead& head);
  Result<std::optional<SignedHead>> LatestHead();
  // The first signed head (lowest seq) whose event is missing or no longer has the hash it
  // signed, none when every head matches: one join, for readers that check every head
  // without walking the whole chain (HeadProblem; breakII II2-8).
  Result<std::optional<SignedHead>> FirstHeadNotMatching();
  // Every signed head, by seq ascending (verify checks each: breakP P4).
  Result<std::vector<SignedHead>> Heads();
  // The last event's seq and hash (0 and the genesis hash when empty).
  Result<std::pair<int64_t, std::string>> Tip();

  const std::string& path() const;

  // Ok while the file at path() is the one this store opened and was not rewritten in place;
  // else an error naming the path and what happened (gone: deleted, renamed away, folder
  // removed; replaced; truncated or overwritten in place).
  Status CheckIdentity() const;
  // The part of CheckIdentity that reads the file's bytes (size and header, store_file.h).
  Status CheckContent() const;
  // CheckIdentity, and when the store has moved, once: its committed events are
  // checkpointed into the file this store opened (through the open files, wherever it is
  // now: a renamed store keeps them), and its own -wal and -shm (same inode as opened) are
  // removed from the path, so a file now there never merges them. Any other -wal or -shm at
  // the path is left alone. A store rewritten in place is never checkpointed into: our -wal
  // is renamed aside (`<path>-wal.rewritten-<UTC>`), our -shm removed. Called by Append and
  // on destruction; callers may poll it.
  Status Verify();

 private:
  // LastHeard, with a heartbeat of another place dated more than kClockTolerance ahead of
  // now rewritten as now (only if no newer one came meanwhile); `ahead` says so.
  Result<std::optional<Liveness>> HeardBounded(const std::string& run_id, const std::string& host,
                                               std::vector<ClockAhead>& ahead);
  explicit AuditStore(std::unique_ptr<Db> db);
  Status Migrate();
  Status CheckOwnFormat();
  Status CheckNotForeign();
  Status CheckReadable();
  Status NoteIdentity();
  Status UpdateIndex(const AuditEvent& e);
  // AppendAll's body; `late`: AppendLate's check (TakesLate) instead of StillRunning.
  Status AppendChecked(const std::string& run_id, const std::vector<NewEvent>& events, bool late);
  Status InsertEvent(const AuditEvent& e);
  Status EnsureLiveness();
  Result<bool> HasLiveness();                   // stores opened read-only may predate it
  Status NoteAlive(const std::string& run_id);  // this process, this place, now
  // False when a run's process (`owner`, last heard as `heard`) is known to be gone
  // (Liveness above).
  bool Alive(const std::string& run_id, const ProcessIdentity& owner,
             const std::optional<Liveness>& heard) const;
  // Polls the heartbeats of `suspects` (runs of another place whose last heartbeat looks
  // old) for up to their longest interval plus kWatchMargin; returns those that changed.
  // Stops early, returning what it saw, when `stop` returns true (`stopped` set).
  Result<std::set<std::string>> WatchHeartbeats(
      const std::vector<std::pair<std::string, Liveness>>& suspects, const WatchScope& scope,
      bool& stopped);
  // The one signed head `sql` selects (seq, hash, key_id, signature, signed_at), if any.
  Result<std::optional<SignedHead>> OneHead(const char* sql);
  // Whether `run_id` is still recorded as running (a read; false when it is not recorded).
  Result<bool> RecordedRunning(const std::string& run_id);
  // Why `run_id`'s chained events do not say it runs ("" when they do): an event whose
  // content no longer gives its hash, an end event (run_finished, run_interrupted), or the
  // chain broken after its first event (VerifyChainFrom: an end event moved away).
  Result<std::string> NotRunningByEvents(const std::string& run_id);
  // The tracking prefix of a gone run's process (last heard as `heard`) when processes its
  // steps started still run here (it was killed under them), else "".
  std::string LeftBehind(const std::optional<Liveness>& heard) const;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Stmt> insert_event_;  // prepared once: appends are the hot path
  std::unique_ptr<Stmt> select_tip_;
  int appended_ = 0;
  dev_t dev_ = 0;  // identity of the file opened, compared with the path's at each append
  ino_t ino_ = 0;
  std::pair<dev_t, ino_t> wal_id_{0, 0};  // our -wal and -shm as opened
  std::pair<dev_t, ino_t> shm_id_{0, 0};
  mutable StoreFileFacts file_;     // size and header as last seen (store_file.h)
  mutable bool rewritten_ = false;  // truncated or overwritten in place: never checkpoint
  mutable std::string wal_aside_;   // where our -wal goes then
  bool salvaged_ = false;
  // Whether the liveness table has every_ms and uid (a store opened read-only may predate
  // them); probed once, at the first LastHeard (EnsureLiveness runs before, at open).
  std::optional<bool> liveness_columns_;
  bool read_only_ = false;
  std::string read_note_;
  std::string private_copy_;  // the folder of that copy, removed with the store
  std::string copied_from_;   // then: the store's own path, as path() gives it
  std::string abs_path_;
  uid_t owner_ = 0;  // the store file's owner when opened
  std::chrono::milliseconds heartbeat_every_ = kHeartbeatEvery;
  std::set<std::string> watched_alive_;  // runs the last MarkInterrupted saw a heartbeat of
};

}  // namespace runbook
