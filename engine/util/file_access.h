// The access of what runbook writes — a step's files (docs/backup.md, "The mode of what a step
// writes"), the --metrics-file: a file it replaces keeps its mode, owner, group and access ACL; a
// new one is no more readable than what it was made from, counting the folders above it. Errors are
// Status values naming the path.
#pragma once

#include <string>
#include <vector>

#include "engine/util/status.h"

namespace runbook {

// The permission bits (of 0666) of the file at `path` (links followed), or `fallback` when
// there is none. The one rule for the mode of what a step writes: a file it replaces keeps
// its mode, a new one is no more readable than what it was made from (its source, the
// database), never readable by more while it is written (breakW W7, W11, W12).
int ModeOf(const std::string& path, int fallback);
// Gives the finished file at `path` (the step's scratch file, 0600 while it was written)
// the access of what it was made from, `sources` (links followed; missing ones left out):
// the permission bits all of them allow (of 0666), exactly, umask aside, as `cp -p` keeps
// them, less what their folders keep from others (a 0644 file in a 0700 folder counts as
// 0600: breakZ Z4); group bits only for the group that owns the sources — the file is given that
// group when it has another (a setgid folder, the runner's own group), else its group bits go
// (breakY Y6: a 0640 database's dump in a setgid folder was readable by that folder's
// group). Without any source: `fallback`. Errors: chmod's.
// With `owner` (the file replaces its one source, the file at the same name), the source's
// access ACL (breakZ Z5), owner and group too: a backend running as its own account keeps its
// database, env file and flags file when root restores them (breakY Y12). Where runbook may
// not give them (not root, not in the group) it is an error and the caller replaces nothing
// (breakAA A6).
Status ShareAccess(const std::string& path, const std::vector<std::string>& sources,
                   int fallback = 0600, bool owner = false);
// A companion file (a lock, a history) open at `fd`, named `shown`, given the owner and group
// of the file `of` it serves when runbook runs as root and they differ: one `sudo runbook run`
// leaves no root-owned companion its owner's own runs cannot open (breakBB2 F5). Nothing to
// do when not root or when `of` does not exist. Errors: fchown's, naming `shown`.
Status OwnLike(int fd, const std::string& of, const std::string& shown);
// A folder runbook just made, `name` in the folder open at `parent_fd` (`shown` names it in
// messages), given that folder's owner and group when runbook runs as root and they differ:
// `sudo runbook run` making /srv/alice/backups/2026 leaves alice a folder her own runs can
// write into, as OwnLike does for companions (breakDD D5; `install -d` would leave root's).
// Nothing to do when not root. Errors: fchownat's.
Status FolderOwnedLikeParent(int parent_fd, const std::string& name, const std::string& shown);
// Why a file written to replace `path` could not be given its owner and group (ShareAccess
// with `owner`), told before anything is written, so a step with two files to replace
// refuses before the first (breakBB2 F4: restore swapped the database, then could not keep
// env_file's owner). "" when it could: root, the owner in the group (or in a setgid folder of
// that group, or a group without bits), or when `path` does not exist.
std::string KeepOwnerProblem(const std::string& path);
// Why a file cannot be replaced as a step replaces files (a scratch file renamed over it),
// told before anything is written: KeepOwnerProblem, or the file is immutable or append-only
// (chattr +i / +a: the rename fails; breakDD D13: restore swapped the database, then failed on
// an immutable env_file). "" when it can be, or does not exist.
std::string ReplaceProblem(const std::string& path);
// Gives `path` (a finished scratch file about to replace the file at `replaced`, made from
// `sources`) the owner, group and access ACL of `replaced`, and the permission bits both
// allow: what ShareAccess gives from `sources`, no more than `replaced` had; where a source
// has another group, `replaced`'s group gets what that source gives others. Without a file at
// `replaced` (or "" for it), ShareAccess( path, sources). breakBB2 F9: a mirror copy or an archive
// replacing a file came back root:root 0644 without its ACL. Errors: as ShareAccess with `owner`
// (the owner or group cannot be kept: the caller replaces nothing), naming `replaced` as `shown`
// when given (a /proc/self/fd path is no name for an operator).
Status ReplaceAccess(const std::string& path, const std::string& replaced,
                     const std::vector<std::string>& sources, const std::string& shown = "");

}  // namespace runbook
