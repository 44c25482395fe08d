// What `run` and `resume` share: opening the audit store, taking the lock, running with
// the journal and the live view, signing the chain head, writing metrics, the exit code.
#pragma once

#include "cli/commands.h"
#include "engine/audit/audit_journal.h"
#include "engine/executor.h"

namespace runbook {

// Runs `rb` with `options` (run_id and params set). Returns the exit code.
int Launch(const RunCliOptions& o, const Runbook& rb, RunOptions options, RunContext context);

// Reads the runbook's secrets into options.secrets unless they are there already (resume reads
// them first, to mask its own lines; a secret is read once per run: its file may be a pipe).
// False, with the error printed, when one cannot be read.
bool ResolveRunSecrets(const Runbook& rb, const EnvMap& env, RunOptions& options);

// Signs the store's current chain head with an Ed25519 key; prints what it signed.
Status SignHead(AuditStore& store, const std::string& key_path);

}  // namespace runbook
