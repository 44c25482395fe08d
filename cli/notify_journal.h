// What a run's end owes to tell and what has been told, kept in files beside its log under
// runbook serve, so that a process killed part-way leaves the rest to its lost-run helper
// (cli/run_lost.h) instead of to nobody (breakRR RR3: a failed run killed while it retried
// its first entry never told the second).
//
// - The outbox, `<log_dir>/<run id>.outbox` (Launcher::OutboxOf): the message a run's end
//   sends and every (entry, event) it owes, written whole (engine/util/private_file.h)
//   before the first delivery. The transactional-outbox pattern, in a file: what is owed is
//   durable before anything is sent.
// - The sent journal, `<log_dir>/<run id>.sent` (Launcher::SentOf): one line per delivery
//   sent, "INDEX EVENT" (a bare "INDEX" is a "failure" an earlier version's helper sent),
//   appended and synced before the next is tried, by the run and then by its helper; also
//   "failed STEP" (AppendFailedStep) and "done" (AppendDone), which ReadSentJournal skips. It
//   outlives what the audit store can hold: a run refused before it started is not in the
//   store, and a store locked at the run's end records nothing (breakPP PP2, breakRR RR4).
//
// A process killed at any point resends at most the delivery it was sending (as
// Alertmanager's notifier: at least once, never all again). serve removes both once nothing
// is owed (Launcher::Forget).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/events.h"
#include "engine/redact.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// One delivery a run owes: its `notify:` entry (index in the list) and the event it sends
// for ("failure", "recovered", ...: engine/notify.h).
struct OwedNotice {
  size_t index = 0;
  std::string event;
  auto operator<=>(const OwedNotice&) const = default;
};

// The deliveries `path` records as sent; empty when it does not exist or is a symlink. A line
// that is not whole (a write cut short by a kill) or not an index and an event name is
// ignored: that delivery is sent again.
std::set<OwedNotice> ReadSentJournal(const std::string& path);

// Appends `notice` to `path` (made 0600, never through a symlink) and syncs it. Errors: the
// file cannot be opened or written (the delivery may then be sent again later).
Status AppendSent(const std::string& path, const OwedNotice& notice);

// Appends the line "done" to `path`: every delivery the outbox owed was attempted (sent, or
// failed after its retries). A helper then sends nothing more (breakTT TT7: a run that exited
// 130 after telling all had its helper say it was killed while sending, and retry the failed
// deliveries). Errors: as AppendSent's.
Status AppendDone(const std::string& path);
// Whether `path` holds the line "done".
bool SentJournalDone(const std::string& path);

// Appends the line "failed STEP" to `path`: main step `step_id` failed for good before any
// cancel, said the moment the run knew it, before its store recorded it (breakTT TT2: a
// run killed by serve's stop while it waited on a locked store to record its failure was
// taken for a cancel, and nobody was paged). Errors: as AppendSent's.
Status AppendFailedStep(const std::string& path, const std::string& step_id);
// The steps `path`'s "failed STEP" lines name, in order; empty when there is none.
std::vector<std::string> FailedStepsIn(const std::string& path);

// Journals each StepFailing the executor tells into the sent journal at `path`
// (AppendFailedStep); a write that fails is said on stderr (the store, when it records the
// failure, still tells it).
class FailedStepJournal final : public RunObserver {
 public:
  explicit FailedStepJournal(std::string path) : path_(std::move(path)) {}
  void StepFailing(const StepDecl& step, std::string_view reason) override;

 private:
  std::string path_;
};

struct Outbox {
  Value message;                // what every channel is built from (masked already)
  std::vector<OwedNotice> due;  // in the order they are sent
  bool by_helper = false;       // written by a lost-run helper, not by the run's end
};

// Replaces `path` with `outbox` (0600, whole or not at all). Errors: said with the path.
Status WriteOutbox(const std::string& path, const Outbox& outbox);

// The outbox at `path`; nullopt when there is none, it is a symlink, or it is not one whole
// outbox.
std::optional<Outbox> ReadOutbox(const std::string& path);

}  // namespace runbook
