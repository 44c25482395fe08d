// Where a command keeps its records and where a run stands (issue 14 #8).
//
// The audit store, in this order (as git finds .git, and as the XDG Base Directory
// specification places state): `--audit-db`; else RUNBOOK_AUDIT_DB; else `.runbook/audit.db`
// in the nearest folder holding a `.runbook/` folder, walking up from the runbook file's
// folder (`run`) or the current folder (every other command); else
// `$XDG_STATE_HOME/runbook/audit.db` (`~/.local/state/runbook/audit.db`). A cron job that
// starts in $HOME therefore finds the project's store, not an empty one of its own.
//
// A run's relative paths (in parameters, `with`, `cwd`, --set values) resolve against its
// base: the runbook's `working_directory:` (relative to the file's folder), else the file's
// folder; never the caller's folder. The command line's own paths (--audit-db,
// --metrics-file, --sign-key) are the caller's, made absolute before runbook enters the base.
#pragma once

#include <string>

#include "engine/model.h"
#include "engine/util/status.h"

namespace runbook {

struct StoreChoice {
  std::string path;  // absolute
  std::string why;   // "--audit-db", "RUNBOOK_AUDIT_DB", "found above /x", "default (...)"
  bool is_default_location = false;  // the XDG default: its folder may be created (0700)
};

// The store a command uses. `flag` is --audit-db ("" when not given), `start` the folder the
// search for `.runbook/` begins in. Errors: no HOME and no XDG_STATE_HOME for the default.
Result<StoreChoice> ChooseAuditStore(const std::string& flag, const std::string& start);

// Why `path` may not be taken as this user's own, "" when it may. It is resolved component
// by component, as the kernel does, and refused for: a link on the way made by another user
// (root's counts as this user's); a folder on the way owned by another user, writable by
// every user without the sticky bit, or writable by other accounts through its group (one
// not root's and not this user's alone) or an access ACL (breakP P1, breakQ Q9, breakS S1,
// S6: that account could swap what follows after the check); what it leads to owned by
// another user (root too when `root_ok`), writable by every user (a 1777 folder such as
// /tmp, a 0666 file), or by other accounts as above (breakR R2). Any local user can make
// /tmp/.runbook or plant a file there (breakK K20, breakO O9). "cannot examine PATH: why" when a
// part cannot be read.
std::string ForeignPath(const std::string& path, bool root_ok);

// Makes `path` absolute against the current folder, a `..` resolved as the kernel resolves it
// (after the links before it, breakO O17); unchanged when empty, or absolute without `..`.
std::string AbsoluteFromHere(const std::string& path);

// Enters `base` (chdir): from here on every relative path of the run resolves against it.
Status EnterBase(const std::string& base);

}  // namespace runbook
