// Paths a step writes must stay beneath the folder it was given. Two halves: the one mapping
// between S3 keys and relative paths (which refuses every form that could leave a folder), and
// file operations beneath an opened root that never traverse a symbolic link below it
// (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; O_NOFOLLOW per component where the kernel has
// no openat2). The rules are in docs/s3-sync.md. Not thread-safe per object; use one per thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/util/status.h"
#include "engine/util/strings.h"

namespace runbook {

// Printable (engine/util/strings.h) is the one form in which a name reaches a message.

// Why `rel` ('/'-separated, relative to a root) is not a safe relative path, or "" when it
// is. Refused: empty, absolute ('/' first), an empty segment ("a//b", "a/"), a "." or ".."
// segment, a NUL byte. Everything else is legal ("a..b", "...", spaces, any UTF-8).
std::string UnsafeRelReason(const std::string& rel);

// Why `name` cannot be one file name joined to a folder (a backup's `name`), or "" when it
// can: the same rule as a key's segment. Refused: empty, "." or "..", a '/', a NUL byte or
// any control character (C0, DEL). Everything else is legal ("a..b", spaces, any UTF-8).
std::string UnsafeFileNameReason(const std::string& name);
// The same as a Status naming the parameter: "name '../x' is not one file name: ...".
Status CheckFileName(const std::string& param, const std::string& name);

// The one mapping between an S3 key under `prefix` ("" or ending in '/') and the relative
// path it has locally. Both directions refuse what UnsafeRelReason refuses, with an error
// that names the key (quoted).
Result<std::string> KeyToRel(const std::string& prefix, const std::string& key);
// RelToKey also refuses what could go up but never come back: a key S3's XML listings
// cannot carry (XmlCanCarry: CR, other C0 controls but TAB and LF, invalid UTF-8) and keys
// longer than S3's limit of 1,024 bytes.
Result<std::string> RelToKey(const std::string& prefix, const std::string& rel);
constexpr size_t kMaxKeyBytes = 1024;

// An owned file descriptor (closed when it goes; move-only).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  int release();

 private:
  int fd_ = -1;
};

// A file being written beneath a root: created (O_EXCL) under a temporary name in its
// folder, published by renameat in that same opened folder. Removed unless committed.
class BeneathTemp {
 public:
  BeneathTemp(BeneathTemp&&) = default;
  ~BeneathTemp();
  int fd() const { return file_.get(); }
  // "/proc/self/fd/N": the same open file, for APIs that take a path (reopening it does
  // not resolve any name in the destination).
  std::string ProcPath() const;
  // fsync the file, renameat it over the final name (a link there is replaced, never
  // followed), fsync the folder.
  Status Commit();
  // The regular file this one will replace, opened O_PATH without following a link (its
  // access is kept: file_access.h ReplaceAccess); an empty UniqueFd when there is none, or
  // a link or other non-regular file is there (Commit replaces that, never follows it).
  UniqueFd OpenReplaced() const;

 private:
  friend class SafeRoot;
  BeneathTemp() = default;
  UniqueFd dir_, file_;
  std::string tmp_name_, final_name_, display_;
  bool committed_ = false;
};

// How a source file may be reached from its root (docs/s3-sync.md, "Paths and links").
enum class Reach {
  kNoLink,        // no link on the way: opened like a write, RESOLVE_NO_SYMLINKS
  kLinksInside,   // links followed; the file opened must lie inside the root
  kLinksAnywhere  // links followed anywhere (allow_outside_links)
};

// A file's identity: the one a listing vetted must be the one a transfer reads.
struct FileId {
  uint64_t dev = 0, ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

// A folder the runbook named (links in its own path are the author's choice and are
// followed once, when it is opened); everything below it is reached without following any
// link. Errors name the path and say why.
class SafeRoot {
 public:
  // Opens `path`, making it (and its parents) first when `create`.
  static Result<SafeRoot> Open(const std::string& path, bool create);
  // The same for a folder that is read (messages say "the source folder").
  static Result<SafeRoot> OpenSource(const std::string& path);
  // The folder `rel_dir` ("" = the root); missing folders are made (mode 0700, as every
  // folder a step makes: files.h MakeFolders) when `create`.
  Result<UniqueFd> OpenDir(const std::string& rel_dir, bool create) const;
  // A temporary file for `rel`, its folders made as needed, created with `mode` (less the
  // umask): what it becomes is never readable by more while it is written (files.h ModeOf).
  Result<BeneathTemp> CreateTemp(const std::string& rel, int mode = 0600) const;
  // Opens the regular file `rel` for reading, once: every later read (digest, upload, copy)
  // uses this descriptor or its /proc/self/fd path, never the name again. With links
  // (`reach` not kNoLink) the file actually opened is checked: inside the root's real path
  // for kLinksInside, and the file `expect` names when given. `id` receives its identity.
  Result<UniqueFd> OpenRead(const std::string& rel, Reach reach, const FileId* expect,
                            FileId* id = nullptr) const;
  // Removes the file `rel` (a link there is removed itself, never followed).
  Status Unlink(const std::string& rel) const;
  const std::string& path() const { return path_; }

 private:
  SafeRoot() = default;
  UniqueFd fd_;
  std::string path_;
  std::string real_;  // the root's real path, for kLinksInside
  std::string where_ = "the destination";
};

// Whether `path`, once every link is resolved, is `tree` or inside it (both resolved).
// False when either does not exist.
bool InsideTree(const std::string& tree, const std::string& path);
// Tests only: pretend the kernel has no openat2, to exercise the O_NOFOLLOW fallback.
void SetOpenat2ForTesting(bool available);

}  // namespace runbook
