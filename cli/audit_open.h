// Opening the audit store for a command: the path rule (--audit-db, RUNBOOK_AUDIT_DB,
// .runbook/audit.db), creating the default folder, and marking interrupted runs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/audit/run_record.h"
#include "engine/audit/store.h"

namespace runbook {

// Errors are printed; nullptr means exit 3.
std::unique_ptr<AuditStore> OpenAuditForCommand(const std::string& flag);

// The record of run `id` (a unique prefix) for show, report and resume. On failure the
// error is printed, `exit_code` set (3: the store; 2: no such run) and nullopt returned.
std::optional<RunRecord> LoadRunForCommand(const std::string& flag, const std::string& id,
                                           int& exit_code);

}  // namespace runbook
