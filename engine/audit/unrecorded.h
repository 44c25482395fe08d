// What a run did that its audit store has not recorded yet: each batch of events is written
// to a file (under runbook serve: Launcher::UnrecordedOf) before the store is asked to take it,
// and cut from the file once the store has it. A store locked past the run's busy timeout
// makes the run wait (`--wait`), where it may die (runbook serve's stop, kill -9, an OOM kill):
// what it did is then in the file, which outlives the process (the page cache; synced once the
// store is found busy, as the wait may be long), so the wait loses none of it. As the
// notification outbox of cli/notify_journal.h is written before its first delivery. One JSON
// object per line, each naming its run ("run": ID; a line of another run is never read for
// this one):
// - {"facts": [{"kind", "step", "attempt", "body", "happened_at"}, ...]}: events of what
//   happened (a step's attempt and end, the run's end, a notification delivered): one batch,
//   recorded in one transaction, in order, by whoever marks the run interrupted
//   (RecordUnrecorded through AuditStore::MarkInterrupted, from the path the run's
//   run_started names; also runbook serve's lost-run helper and the next serve);
// - {"starting": {"step", "attempt", "type"}}: the run is recording the start of that
//   attempt, which it begins only once recorded (write-ahead): never recorded for it, but it
//   tells runbook serve's stop that the run is at that step's start (a gate's, say).
//
// Found by breakYY (YY3, YY4, YY5): serve's stop while a run waited for a locked store lost
// the ends of steps that had run (the operator was told to --rerun a step that had done its
// work), the record of a notification that was sent, and a restore about to wait at its gate;
// hardened after breakZZ (ZZ2-ZZ4, ZZ6: forged, huge or FIFO files; ZZ3: a sweep by `show`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/audit/store.h"
#include "engine/util/status.h"

namespace runbook {

// The attempt a run waits to record the start of (the "starting" line).
struct StartingAttempt {
  std::string step;
  int64_t attempt = 0;
  std::string type;  // the step's `uses`
};

// What `path` holds.
struct Unrecorded {
  // Each "facts" line's events, in order, each with the time it happened (UTC, FormatUtc) in
  // body["recorded_late"]["happened_at"]; recorded or not (RecordUnrecorded tells which).
  std::vector<AuditStore::NewEvent> facts;
  // The last "starting" line's attempt: the run waits (or died waiting) to record its start.
  std::optional<StartingAttempt> starting;
  // The file holds a whole line: the store had not taken it (or the run died before it cut
  // it from the file).
  bool waiting = false;
  // Why the file was not read ("" when it was): larger than kMaxUnrecordedBytes.
  std::string unreadable;
};

// The most a file of a run's unrecorded events may hold: one batch or two of a run's events
// (each of its attempts' output tails are 4 KiB a stream). A larger one is not read: it is
// not a run's (breakZZ ZZ4: 200 MB kept the next serve from listening for 2 minutes).
constexpr int64_t kMaxUnrecordedBytes = 16 * 1024 * 1024;

// The write-ahead kinds: recorded before what they say is done, so never recorded late.
bool IsWriteAhead(const std::string& kind);

// Appends to `path` (made 0600; only a regular file of its own, one link: never through a
// symbolic link, never a FIFO, OpenOwnFile) what `events` of run `run_id` (one batch the
// store is about to be asked to take) say: their facts as one "facts" line, happened at `now`
// (FormatUtc), then, when the batch holds a write-ahead attempt_started, a "starting" line for
// it. Not synced (SyncUnrecorded). Returns the file's size before (Unkeep's `size`). Errors:
// the file cannot be opened as such or written.
Result<int64_t> KeepUnrecorded(const std::string& path, const std::string& run_id,
                               const std::vector<AuditStore::NewEvent>& events,
                               const std::string& now);

// Syncs `path` to disk: the store was found busy, and the wait may outlast the page cache.
Status SyncUnrecorded(const std::string& path);

// Cuts `path` back to `size` bytes (KeepUnrecorded's return): what was kept since is in the
// store. Errors: the file cannot be cut (what is left is found recorded by RecordUnrecorded).
Status Unkeep(const std::string& path, int64_t size);

// What `path` holds for run `run_id`; empty when it is missing, a symbolic link or not the
// file's own, or larger than kMaxUnrecordedBytes (`unreadable`). A line that is not whole (no
// '\n': a kill part-way), not one of the two, or of another run is skipped.
Unrecorded ReadUnrecorded(const std::string& path, const std::string& run_id);

// Whether `path` keeps the run's end (a run_finished fact): it is recorded late, as it was.
bool KeptEnd(const std::string& path, const std::string& run_id);

// Whether run `run_id`'s end in `store` was recorded late (its run_finished has
// recorded_late): its process died before it could tell what that end owed. Errors: the
// store's.
Result<bool> EndRecordedLate(AuditStore& store, const std::string& run_id);

// What RecordUnrecorded did: how many events it recorded, or why the run takes none.
struct LateRecord {
  size_t recorded = 0;
  // Facts the file holds that the run could not have left unrecorded, not recorded: an end of
  // an attempt whose start the store lacks or that ended already, a second end, a kind a run
  // never records late.
  size_t skipped = 0;
  // Why the run takes none of them, for good (AuditStore::TakesLate: it ended or was resumed
  // since, and what decided without them stands; it is not in the store): "" when it does.
  std::string refused;
};

// What `late`, the late record of run `run_id` from `path`, did, as lines to say (a command's
// stderr, serve's log), in order: "run ID: N event(s) it could not record while the store was
// locked are recorded now", or why none is (`warning`), and the count of skipped ones
// (`warning`). None when it did nothing.
struct LateRecordLine {
  bool warning = false;
  std::string text;
};
std::vector<LateRecordLine> SayLateRecord(const LateRecord& late, const std::string& run_id,
                                          const std::string& path);

// Records in `store`, for run `run_id`, each fact of `path` the run could have left unrecorded
// and its record lacks: an attempt_finished or approval of an attempt whose start is recorded
// and that has none yet, a step_finished of a step not finished (with a recorded attempt,
// unless it had none), a run_finished of a run with none, a resource_stopped or notification
// not recorded the same (recorded_late aside; a notification of a run the store lacks yet
// waits in the file for the run's record, breakCC CC1); each once, in order and in one transaction
// (AuditStore::AppendLate); none when the run no longer takes them (`refused`), or the file is
// unreadable (`refused` says why). Errors: the
// store's (busy, an I/O error: try again later; nothing was recorded).
Result<LateRecord> RecordUnrecorded(AuditStore& store, const std::string& run_id,
                                    const std::string& path);

}  // namespace runbook
