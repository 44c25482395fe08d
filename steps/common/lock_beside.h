// The lock a step takes beside a file it updates in place (flag-update's flags file, an
// inventory): `<file>.lock`, the step's own file (own_file.h), held with flock(LOCK_EX) until
// the returned descriptor is closed.
#pragma once

#include <string>

#include "engine/util/status.h"
#include "steps/common/safe_path.h"

namespace runbook {

// Takes the exclusive lock `<file>.lock`, creating it (0600) when missing. A lock made by
// root beside a file of another account is given that file's owner and group (an older one
// too, as root next takes it), and a lock that cannot be opened for writing is opened
// read-only (flock needs no write access): one `sudo runbook run` never locks the file's owner
// out of its own scheduled runs (breakBB2 F5). Errors name the lock file: a link or
// non-regular file there, open failing (saying whose the lock is and what to do), flock.
Result<UniqueFd> LockBeside(const std::string& file);

}  // namespace runbook
