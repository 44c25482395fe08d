// File helpers the steps share: atomic replacement (temporary name, fsync, rename, fsync of
// the folder), glob expansion, copying. Errors are Status values naming the path.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/crypto.h"
#include "engine/util/file_access.h"
#include "engine/util/status.h"

namespace runbook {

// A fresh temporary path beside `path` (same folder, so rename is atomic), named as every
// runbook temporary (scratch.h); a killed run's temporaries for the same file are removed.
std::string TempBeside(const std::string& path);
Status FsyncFile(const std::string& path);
Status FsyncDir(const std::string& dir);
// Publishes the finished temporary `tmp` as `path` (RenameDurable) when `path` is the
// step's own file (engine/util/own_file.h): a symbolic link, a non-regular file or a file
// with a second hard link at `path` is refused and nothing is renamed (the caller removes
// `tmp`). Every file a step publishes goes through here (docs/backup.md, "Files a step
// writes").
Status PublishDurable(const std::string& tmp, const std::string& path);
// Writes `data` to `path` atomically: a reader sees the old file or the new one. `path` is
// checked as PublishDurable says before anything is written. A file replaced keeps its
// owner, group and ACL, and its permission bits, no wider than `sources` (the files `data`
// was made from: ReplaceAccess; breakDD D2: a 0600 report promoted over a 0644 baseline stayed
// 0644); a new one is created with `mode` (less the umask).
Status WriteFileAtomic(const std::string& path, const std::string& data, int mode = 0600,
                       const std::vector<std::string>& sources = {});
// Renames and fsyncs the destination folder.
Status RenameDurable(const std::string& from, const std::string& to);
Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes = 64u << 20);
// Expands paths and globs in order, without duplicates, in time linear in the matches (plus
// their sorting). A pattern that matches nothing is an error naming it; `stop` is asked
// between patterns (error kStoppedMessage).
Result<std::vector<std::string>> ExpandGlobs(const std::vector<std::string>& patterns,
                                             const StopCheck& stop = {});
// Why `path` cannot be used as `kind` ("file", "folder", "database"): "" when it is there
// (a folder for "folder"), "no KIND PATH" when it is not, "cannot examine PATH: strerror"
// when it cannot be looked at (a name too long, no permission). Never throws.
std::string NotThere(const std::string& path, const std::string& kind);
// Makes `path` a folder like `mkdir -p`, each level it creates with mode 0700 (what a step
// writes there is the team's data; issue 14 #9). Returns the folders it created, outermost
// first, for the step to say so ("created folder X (mode 0700)"); empty when `path` was a
// folder already. Errors: a level that exists and is not a folder, or cannot be created
// (strerror). A symlink to a folder counts as a folder, as `mkdir -p` has it.
Result<std::vector<std::string>> MakeFolders(const std::string& path);
// Says each folder MakeFolders created through `log`.
void NoteCreated(const std::vector<std::string>& created,
                 const std::function<void(std::string_view)>& log);
// MakeFolders(`folder`) then NoteCreated: the one rule for every folder a step writes into
// (breakL L23: an inventory's, a service log's, a local sync destination's were made
// silently, the log's with mode 0755). Errors as MakeFolders.
Status MakeFolderSaying(const std::string& folder,
                        const std::function<void(std::string_view)>& log);
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);

}  // namespace runbook
