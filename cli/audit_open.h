// Opening the audit store for a command: which store (cli/run_place.h: --audit-db,
// RUNBOOK_AUDIT_DB, the nearest .runbook/, the XDG state folder), said once on stderr;
// creating the default folder (writers only); marking interrupted runs. Readers (history, show,
// report, audit verify/export) never create a store and read it wherever it can be read
// (AuditStore::OpenExisting).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_place.h"
#include "engine/audit/run_record.h"
#include "engine/audit/store.h"

namespace runbook {

// The store a command uses (ChooseAuditStore from `start`, "" for the current folder),
// said once per process on stderr: "runbook: audit store PATH (WHY)". Errors are printed;
// nullopt means exit 3.
std::optional<StoreChoice> ChooseAndSay(const std::string& flag, const std::string& start = "");

// For `run` and `resume`: opens or creates the chosen store (its folder too, mode 0700,
// when it is the XDG default). Errors are printed; nullptr means exit 3.
std::unique_ptr<AuditStore> OpenAuditForCommand(const StoreChoice& choice);
// The same, the error returned unprinted: Busy (Status::busy) when another process held the
// store locked past RUNBOOK_AUDIT_BUSY_TIMEOUT, which `run --wait` waits out.
Result<std::unique_ptr<AuditStore>> TryOpenAuditForCommand(const StoreChoice& choice);

// Calls `open` until it gives a store or an error that is not Busy (Status::busy), or while
// `keep_waiting` says so (empty: not at all): a store another process holds locked past
// RUNBOOK_AUDIT_BUSY_TIMEOUT (an `audit export`, a copy being taken) is waited out, as
// `--wait` does, said once on stderr, tried every 500 ms (breakVV VV1, VV2). Errors: the last.
Result<std::unique_ptr<AuditStore>> OpenWaitingOutBusy(
    const std::function<Result<std::unique_ptr<AuditStore>>()>& open,
    const std::function<bool()>& keep_waiting);

// Warns, for each run of `swept` that ran elsewhere and was taken as gone for its silence,
// that processes its steps started there may still run (breakM M24), and for each heartbeat
// from the future it bounded, that the host's clock is ahead (breakN N14).
void SayTakenAsGone(const Sweep& swept);

enum class StoreUse { kRead, kWrite };

// For every other command: an existing store only ("no audit store at PATH" otherwise).
// kRead opens it read-only when it cannot be written (read-only media, full disk) and marks
// interrupted runs only where it can write; kWrite (resume, audit sign) needs it writable.
// Errors are printed; nullptr means exit 3. `wait_busy` (resume --wait): a store another
// process holds locked past its busy timeout is waited out, said once, until it opens (a
// signal ends the wait as it ends the command; breakVV VV1, VV2).
std::unique_ptr<AuditStore> OpenExistingAudit(const std::string& flag, StoreUse use,
                                              bool wait_busy = false);

// "runbook: error: audit store PATH: MESSAGE" on stderr for an error `s` met reading or
// writing `store`: SQLite's own words ("database disk image is malformed") name no file
// (break23a D3); a message that names the store already is said as it is.
void SayStoreError(const AuditStore& store, const Status& s);

// Why a command's own output file (`flag` is "--metrics-file", "--output") cannot be
// written, "" when it can: the audit store (once opened), its -wal/-shm/-journal, the runbook
// file (engine/util/own_file.h, breakJ J22), or a link or non-regular file at the name.
// For `run`: call it after OpenAuditForCommand and before the first step, so a mistaken
// path is refused (exit 2) before anything runs or is written.
std::string CommandOutputProblem(const std::string& flag, const std::string& path);

// Walks the store's whole hash chain (VerifyChain) for a command that prints `r` as evidence
// (report, show): a break anywhere — an earlier run's edited approval, a deleted event —
// goes to r.chain_problem, and is said on stderr with what the run's own events show
// (r.altered_seq). Returns 1 when either was found (the command prints the record, then
// fails), else 0. A store that cannot be walked is said, and 1.
int CheckEvidence(AuditStore& store, RunRecord& r);

// The record of run `id` (a unique prefix) for show, report and resume, with the store it
// was read from, kept open for more reading. On failure the error is printed, `exit_code`
// set (3: the store; 2: no such run) and nullopt returned.
struct LoadedRun {
  std::unique_ptr<AuditStore> store;
  RunRecord record;
};
// `wait_busy`: as OpenExistingAudit's.
std::optional<LoadedRun> LoadRunAndStore(const std::string& flag, const std::string& id,
                                         StoreUse use, int& exit_code, bool wait_busy = false);

}  // namespace runbook
