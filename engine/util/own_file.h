// The one rule for a file a step publishes (replaces by rename) or appends to: the name must
// be the step's own file. A symbolic link at the name is refused (opened with O_NOFOLLOW),
// and so is anything but a regular file, or a regular file with a second hard link (another
// name shares its content: a rename would split the two names, an append would land there
// too). Nothing is changed when a name is refused. docs/backup.md, "Files a step writes".
#pragma once

#include <sys/types.h>

#include <string>

#include "engine/util/status.h"

namespace runbook {

// "" when `path` may be replaced by a rename (it is missing, or a regular file with one
// link); else why not, naming the path (and a link's target: name that instead).
std::string OwnFileProblem(const std::string& path);
// The same as a Status (an error carrying OwnFileProblem's text).
Status CheckOwnFile(const std::string& path);
// Opens `path` with `flags` (O_WRONLY|O_APPEND|O_CREAT, O_RDONLY, ...) plus O_NOFOLLOW,
// O_NONBLOCK (a planted FIFO never blocks; cleared after) and O_CLOEXEC, `mode` when
// created, and refuses what OwnFileProblem refuses. Returns an fd the caller closes.
Result<int> OpenOwnFile(const std::string& path, int flags, mode_t mode = 0644);

}  // namespace runbook
