// The one rule for a file a step publishes (replaces by rename) or appends to: the name must
// be the step's own file. A symbolic link at the name is refused (opened with O_NOFOLLOW),
// and so is anything but a regular file, or a regular file with a second hard link (another
// name shares its content: a rename would split the two names, an append would land there
// too), and so is a file runbook itself owns (below). Nothing is changed when a name is
// refused. docs/backup.md, "Files a step writes".
#pragma once

#include <sys/types.h>

#include <string>

#include "engine/util/status.h"

namespace runbook {

// "" when `path` may be replaced by a rename (it is missing, or a regular file with one
// link, and not runbook's own: RunbookFileAt); else why not, naming the path (and a link's
// target, or the runbook file it is).
std::string OwnFileProblem(const std::string& path);
// OwnFileProblem without the claims: only the link and file-kind rule.
std::string OwnFileLinkProblem(const std::string& path);
// The same as a Status (an error carrying OwnFileProblem's text).
Status CheckOwnFile(const std::string& path);
// Opens `path` with `flags` (O_WRONLY|O_APPEND|O_CREAT, O_RDONLY, ...) plus O_NOFOLLOW,
// O_NONBLOCK (a planted FIFO never blocks; cleared after) and O_CLOEXEC, `mode` when
// created, and refuses what OwnFileProblem refuses. Returns an fd the caller closes.
Result<int> OpenOwnFile(const std::string& path, int flags, mode_t mode = 0644);

// Files runbook itself owns in this process (breakJ J22): the audit store (claimed by
// AuditStore when it opens one, readers included) with its SQLite companions, and the
// runbook file (claimed by the CLI). No step and no command output may write, replace or
// delete them. A claim lasts for the process but counts only while `path` still names the
// file claimed (same device and inode): a claim never outlives its file. `what` names it in
// messages ("runbook's audit store /abs/a.db"); `companions`: its -wal, -shm and -journal
// are claimed too. Thread-safe.
void ClaimRunbookFile(const std::string& path, const std::string& what, bool companions);
// "" when `path` is none of the claimed files; else what it is ("runbook's audit store X",
// "the -wal of runbook's audit store X"). Matched by name (its folder by device and inode,
// so any spelling of the path) and by identity (a hard link, symbolic link or bind mount of
// a claimed file). A missing `path` matches by name.
std::string RunbookFileAt(const std::string& path);
// "" or "refusing to VERB PATH: it is WHAT; ...", for writers and deleters outside
// OwnFileProblem (a sync's deletions, a retention's pruning).
std::string RunbookFileProblem(const std::string& path, const std::string& verb);
// The same for the entry `name` of the folder open as `dir_fd` (writes beneath a root),
// shown in the message as `shown`.
std::string RunbookFileProblemIn(int dir_fd, const std::string& name, const std::string& shown,
                                 const std::string& verb);

// The SQLite companions of a database path: "-wal", "-shm", "-journal".
extern const char* const kSqliteCompanions[3];
// "" when every companion of the SQLite database `db_path` (beside the name given and, for
// a symbolic link, beside the file it leads to, where SQLite puts them) is missing or a
// regular file with one link; else why not, naming it (breakJ J1, J12, J29: SQLite writes
// the -wal, -shm and -journal by name, so a link there would be written through).
std::string SqliteCompanionProblem(const std::string& db_path);

}  // namespace runbook
