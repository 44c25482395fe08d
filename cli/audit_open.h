// Opening the audit store for a command: the path rule (--audit-db, RUNBOOK_AUDIT_DB,
// .runbook/audit.db), creating the default folder, and marking interrupted runs.
#pragma once

#include <memory>
#include <string>

#include "engine/audit/store.h"

namespace runbook {

// Errors are printed; nullptr means exit 3.
std::unique_ptr<AuditStore> OpenAuditForCommand(const std::string& flag);

}  // namespace runbook
