// Where a resume stands (issue 14 #8, breakK K14/K19): which runbook file it reads and
// which base its relative paths resolve against. The rule, as `git worktree repair` and
// restic's `--repo` keep a moved thing usable only when its identity is proved: the file is
// the one the run recorded unless the operator names another (`resume --runbook FILE`),
// whose sha256 the caller then checks against the recorded one; the base is the one the run
// recorded, so carried-over outputs (relative paths) keep naming the same files, unless the
// runbook moved, when the base moves with it (a re-cloned checkout, a CI workspace).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/audit/run_record.h"
#include "engine/executor.h"
#include "engine/model.h"
#include "engine/util/status.h"

namespace runbook {

struct ResumeFile {
  std::string path;    // the runbook file to read (absolute when recorded, else as given)
  bool moved = false;  // named with --runbook, and the recorded file is gone
};

// The runbook file for resuming `r`. `flag` is --runbook ("" when not given), relative to the
// caller's folder; `audit_db` the store in use, repeated in the advice. Errors (exit 2): the
// recorded file cannot be read and no --runbook was given; the message says where it was and
// gives the command with --runbook.
Result<ResumeFile> ResumeRunbookFile(const RunRecord& r, const std::string& flag,
                                     const std::string& audit_db);

// The base the resume enters: the recorded one (runs recorded before bases were kept: the
// runbook's own, cli/run_place.h), or, when `file.moved`, the runbook's base at its new
// place. `notice` receives one line to show the operator when the base is not what the
// runbook alone would give ("" otherwise). Errors (exit 3): the recorded base is no longer
// a folder; it leads to another real folder than the run's (a folder replaced by a link),
// unless `force`; the runbook's working_directory is not a folder. `force_how`: how the
// operator gives `force`, for the error ("--force"; under serve, its API's body field).
Result<std::string> ResumeBase(const RunRecord& r, const Runbook& rb, const ResumeFile& file,
                               bool force, std::string& notice,
                               const std::string& force_how = "--force");

// A moved runbook's carried-over outputs (breakL L25): every string that is one of `froms`
// (the old base, its real path) or a path under it ("FROM/...") is rewritten under `to`,
// once, by the first that matches, as the checkout and the earlier steps' files moved
// together. Returns how many strings were rewritten (lists and maps included).
size_t RerootOutputs(Value::Map& outputs, const std::vector<std::string>& froms,
                     const std::string& to);

// The checkout moved (breakM M31): carried steps that wrote files wrote them at the old place,
// and what they wrote may name it (the restore step's env file kept DATABASE_PATH under the
// old checkout, and the resumed backend created a database there), whatever their outputs
// say. Those of an idempotent type that write (side effects write or destructive), and
// every carried step after them, are taken out of `prior` to run again here — when all of
// those are idempotent. When one after them is not, nothing is changed and the error names
// it with the command for a new run: a resume cannot run it again. Returns the steps to run
// again.
Result<std::vector<std::string>> RunAgainAtNewPlace(const Runbook& rb,
                                                    std::map<std::string, PriorStep>& prior);

}  // namespace runbook
