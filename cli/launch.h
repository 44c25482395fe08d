// What `run` and `resume` share: opening the audit store, taking the lock, running with
// the journal and the live view, signing the chain head, writing metrics, the exit code.
#pragma once

#include "cli/commands.h"
#include "engine/audit/audit_journal.h"
#include "engine/executor.h"

namespace runbook {

// Where the run stands (cli/run_place.h), before anything runs: chooses the store (from
// the runbook file's folder) into o.store unless a dry run, makes the command line's own
// paths and the runbook's path absolute, and enters `base` (the runbook's base, RunbookBase,
// or the one a resume keeps), recording it in context.base. On failure (or when `base` is an
// error) the error is printed and the exit code returned (3); kExitOk otherwise.
int EnterRun(RunCliOptions& o, Runbook& rb, const Result<std::string>& base, RunContext& context);

// Whether the --approve and --input flags of `o` fit `rb` (UnknownApprovalFlags and
// BadApprovalInputs, cli/approver.h; `options.prior`: the steps a resume carries over, a
// dry run asks no one); each error is printed, masked, on stderr. `run` checks them in
// Launch; `resume` first, with its other reasons to refuse, so that the command it prints to
// continue does not fail on them (breakN N25). `inputs` gets the --input flags by STEP.NAME.
// `unanswerable` (when given) gets the gates refused because nothing can answer them
// (UnanswerableGates), for the command a resume prints to continue (breakHH HH7).
// `not_given`: params a resume still needs given again (recorded masked, no --set); a gate
// whose `if:` reads one may be needed, so it is counted (breakII2 II2-2).
bool ApprovalFlagsOk(const RunCliOptions& o, const Runbook& rb, const RunOptions& options,
                     std::map<std::string, std::string>& inputs,
                     std::vector<std::string>* unanswerable = nullptr,
                     const std::vector<std::string>& not_given = {});

// The new run's id and what started it, from the hidden options runbook serve passes
// (--run-id: NewRunId's form, "20261203T231654Z-283b1c"; --trigger: a JSON object), else a
// fresh id and no trigger. False, with the error printed (exit 2), when either is malformed.
bool RunIdAndTrigger(const RunCliOptions& o, std::string& run_id, Value& trigger);

// Runs `rb` with `options` (run_id and params set), after EnterRun. Returns the exit code.
int Launch(const RunCliOptions& o, const Runbook& rb, RunOptions options, RunContext context);

// Reads the runbook's secrets into options.secrets unless they are there already (resume reads
// them first, to mask its own lines; a secret is read once per run: its file may be a pipe).
// False, with the error printed, when one cannot be read. Relative `file:` secrets are read
// under `base`, the run's base (absolute), whatever the current folder.
bool ResolveRunSecrets(const Runbook& rb, const EnvMap& env, const std::string& base,
                       RunOptions& options);

// Signs the store's current chain head with an Ed25519 key, once the chain verifies
// (VerifyBeforeSigning: intact, every earlier signed head matching, those of this key valid;
// breakP P4). Errors: the chain does not verify (`chain_broken` set: the verdict audit verify
// gives it, exit 1), the key cannot be used, the store cannot be written.
Status SignHead(AuditStore& store, const std::string& key_path, bool& chain_broken);

}  // namespace runbook
