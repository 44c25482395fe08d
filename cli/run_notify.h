// After a run ends (run and resume alike, so also under runbook serve): the events it raised
// (engine/notify.h), each `notify:` entry that listens for one rendered and sent, each
// delivery recorded in the audit store (event "notification") and said on stderr. A failed
// delivery never changes the run's outcome or exit code.
#pragma once

#include <functional>
#include <set>

#include "engine/audit/store.h"
#include "engine/executor.h"
#include "engine/notify.h"
#include "engine/redact.h"

namespace runbook {

void NotifyRunEnd(const Runbook& rb, const RunOptions& options, const RunResult& result,
                  AuditStore& store, NotifySender& sender, const Redactor& redactor);

// An approval gate of a run under serve starts waiting (cli/api_approver.h): the entries
// listening for "approval_waiting" send; recorded through a connection of its own.
void NotifyApprovalWaiting(const Runbook& rb, const RunOptions& options, const std::string& step,
                           const std::string& audit_db, NotifySender& sender,
                           const Redactor& redactor);

// A run whose process ended without recording its end (killed, crashed, or refused before it
// started; serve saw it exit: docs/serve.md): the entries listening for "failure" send, the
// message's status `status` (the store's: "interrupted"; "failure" when the run never
// started) and `detail` saying what happened. `store` null when the run is not in it: the
// deliveries are then said on stderr only. The entries of `already_sent` (indexes in
// `notify:`) are not sent; `on_sent`, when set, is called with each entry's index once its
// delivery was sent (the caller keeps a record that outlives a store it cannot write: breakPP
// PP2). Returns the first error recording a delivery (it was said).
Status NotifyRunLost(const Runbook& rb, const RunOptions& options, const std::string& status,
                     const std::string& detail, AuditStore* store, NotifySender& sender,
                     const Redactor& redactor, const std::set<size_t>& already_sent = {},
                     const std::function<void(size_t)>& on_sent = {});

}  // namespace runbook
