// Where a resume stands (issue 14 #8, breakK K14/K19): which runbook file it reads and
// which base its relative paths resolve against. The rule, as `git worktree repair` and
// restic's `--repo` keep a moved thing usable only when its identity is proved: the file is
// the one the run recorded unless the operator names another (`resume --runbook FILE`),
// whose sha256 the caller then checks against the recorded one; the base is the one the run
// recorded, so carried-over outputs (relative paths) keep naming the same files, unless the
// runbook moved, when the base moves with it (a re-cloned checkout, a CI workspace).
#pragma once

#include <string>

#include "engine/audit/run_record.h"
#include "engine/model.h"
#include "engine/util/status.h"

namespace runbook {

struct ResumeFile {
  std::string path;    // the runbook file to read (absolute when recorded, else as given)
  bool moved = false;  // `flag` named a file other than the recorded one
};

// The runbook file for resuming `r`. `flag` is --runbook ("" when not given), relative to the
// caller's folder. Errors (exit 2): the recorded file cannot be read and no --runbook was
// given; the message says where it was and names --runbook.
Result<ResumeFile> ResumeRunbookFile(const RunRecord& r, const std::string& flag);

// The base the resume enters: the recorded one (runs recorded before bases were kept: the
// runbook's own, cli/run_place.h), or, when `file.moved`, the runbook's base at its new
// place. `notice` receives one line to show the operator when the base is not what the
// runbook alone would give ("" otherwise). Errors (exit 3): the recorded base is no longer
// a folder; the runbook's working_directory is not a folder.
Result<std::string> ResumeBase(const RunRecord& r, const Runbook& rb, const ResumeFile& file,
                               std::string& notice);

}  // namespace runbook
