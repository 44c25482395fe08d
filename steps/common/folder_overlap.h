// Whether two local folders are one tree. Decided by name (once links are resolved) and by
// identity: the same folder reached through a bind mount, an NFS alias or a second path has
// one (device, inode), which a comparison of paths cannot see (breakH H16). For a local
// mirror, whose delete would otherwise remove its own source or nest one more level each run.
// The rule is in docs/s3-sync.md, "Paths and links".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace runbook {

// A folder's identity: st_dev and st_ino of stat(2) (links followed).
struct FolderId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FolderId& o) const { return dev == o.dev && ino == o.ino; }
};

// The identity of the folder at `path`; nullopt when it is missing or not a folder.
std::optional<FolderId> FolderIdOf(const std::string& path);

// Why the folders `a` and `b` overlap (one is the other or inside it), naming both as given
// and as resolved, and the folder met by identity when the names alone do not show it; ""
// when they are apart. A part that does not exist yet is taken as written. Each folder's
// existing ancestors (walked up by name from its resolved path, so through the mount it was
// reached by) are compared with the other's identity.
std::string TreesOverlap(const std::string& a, const std::string& b);

}  // namespace runbook
