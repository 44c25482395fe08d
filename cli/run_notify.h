// After a run ends (run and resume alike, so also under runbook serve): the events it raised
// (engine/notify.h), each `notify:` entry that listens for one rendered and sent, each
// delivery recorded in the audit store (event "notification") and said on stderr. A failed
// delivery never changes the run's outcome or exit code.
#pragma once

#include "engine/audit/store.h"
#include "engine/executor.h"
#include "engine/notify.h"
#include "engine/redact.h"

namespace runbook {

void NotifyRunEnd(const Runbook& rb, const RunOptions& options, const RunResult& result,
                  AuditStore& store, NotifySender& sender, const Redactor& redactor);

}  // namespace runbook
