// After a run ends (run and resume alike, so also under runbook serve): the events it raised
// (engine/notify.h), each `notify:` entry that listens for one rendered and sent, each
// delivery recorded in the audit store (event "notification") and said on stderr. A failed
// delivery never changes the run's outcome or exit code.
#pragma once

#include <functional>
#include <set>

#include "cli/notify_journal.h"
#include "engine/audit/store.h"
#include "engine/executor.h"
#include "engine/notify.h"
#include "engine/redact.h"

namespace runbook {

// Where each delivery is recorded (event "notification" of the run): `store` (null: said
// only), and while `keep_waiting` says so, a store another process holds locked past its busy
// timeout is waited out (run --wait: a delivery made is recorded, breakXX XX5); empty: such a
// record is said and dropped.
struct DeliveryRecord {
  // nullptr: the run is not in the store yet (a lost run's helper whose record of the run
  // failed): each delivery is kept in `unrecorded` only, recorded after the run (breakCC CC1).
  AuditStore* store = nullptr;
  std::function<bool()> keep_waiting;
  // Where a delivery whose record meets a locked store is kept first (engine/audit/
  // unrecorded.h), so that a wait given up or killed loses no record (breakYY YY4); "": nowhere.
  std::string unrecorded;
};

// `journal`: the outbox is written before the first delivery (when anything is owed) and each
// delivery sent is journaled, so a process killed while it sends leaves the rest to serve's
// helper (breakRR RR3). `store` may refuse writes (locked: breakRR RR4): each delivery is then
// said and journaled only, unless `keep_waiting` (DeliveryRecord) waits the lock out.
void NotifyRunEnd(const Runbook& rb, const RunOptions& options, const RunResult& result,
                  AuditStore& store, NotifySender& sender, const Redactor& redactor,
                  const NotifyJournalPaths& journal = {},
                  const std::function<bool()>& keep_waiting = {});

// Sends each of `due` (entries of `rb.notify`, with the event each sends for) that is not in
// `already_sent`, built from `message`; the entry's settings rendered with `options`' params
// and secrets. An entry whose address renders empty is off (said). Each delivery is said on
// stderr and recorded as `record` says; `on_sent`, when set,
// hears each one sent; `hold`, when set, is asked just before each: a reason not to send it
// ("" sends), said. Returns the first error recording a delivery (it was said).
Status DeliverOwed(const Runbook& rb, const RunOptions& options, const std::vector<OwedNotice>& due,
                   const Value& message, const DeliveryRecord& record, NotifySender& sender,
                   const Redactor& redactor, const std::set<OwedNotice>& already_sent = {},
                   const std::function<void(const OwedNotice&)>& on_sent = {},
                   const std::function<std::string(const OwedNotice&)>& hold = {});

// An approval gate of a run under serve starts waiting (cli/api_approver.h): the entries
// listening for "approval_waiting" send; recorded through a connection of its own.
void NotifyApprovalWaiting(const Runbook& rb, const RunOptions& options, const std::string& step,
                           const std::string& audit_db, NotifySender& sender,
                           const Redactor& redactor);

// What a run whose process ended without recording its end (killed, crashed, or refused
// before it started; serve saw it exit: docs/serve.md) owes: its entries listening for
// "failure", the message's status `status` (the store's: "interrupted"; "failure" when the run
// never started), `detail` saying what happened, the fields a run's end measures null.
// `store` (may be null: none could be opened) gives the other runs waiting at a gate; the run
// itself need not be in it.
Outbox LostRunOutbox(const Runbook& rb, const RunOptions& options, const std::string& status,
                     const std::string& detail, AuditStore* store, const Redactor& redactor);

// What the end `row` of run `options.run_id` owes, as the run's own end would have told it:
// an end recorded late (engine/audit/unrecorded.h) by a helper, the run's process having died
// before it told anything (breakZZ ZZ1: a success's `recovered` and `objective_missed` were
// never sent). The message's fields from the row; its events from its status, objectives and
// the runbook's run before (RaisedEvents).
Outbox RecordedEndOutbox(const Runbook& rb, const RunOptions& options, const RunRow& row,
                         AuditStore& store);

}  // namespace runbook
