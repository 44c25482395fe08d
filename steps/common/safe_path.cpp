#include "steps/common/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "engine/util/own_file.h"
#include "steps/common/files.h"
#include "steps/common/s3_xml.h"
#include "steps/common/scratch.h"

namespace runbook {
namespace {

std::atomic<bool> g_openat2_missing{false};

// Opens one name in `dir` without following a link there. openat2 refuses links and '..'
// in the kernel; on a kernel without it (ENOSYS, remembered) or where a seccomp filter
// blocks it (EPERM, as older container profiles do), O_NOFOLLOW does the same for one
// component (a genuine EPERM comes back from openat too).
int OpenOne(int dir, const std::string& name, int flags, mode_t mode) {
  if (!g_openat2_missing.load()) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    long fd = ::syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
    if (errno == ENOSYS) g_openat2_missing = true;
  }
  return ::openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

// Why opening `name` in `dir` failed with `err`, for a message about `shown`.
Status OpenFailure(int dir, const std::string& name, const std::string& shown, int err,
                   const std::string& where) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    return Status::Error("refusing to go through " + Printable(shown) +
                         ": it is a symbolic link inside " + where);
  return Status::FromErrno("cannot open " + Printable(shown), err);
}

std::pair<std::string, std::string> SplitLast(const std::string& rel) {
  size_t slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

}  // namespace

std::string UnsafeRelReason(const std::string& rel) {
  if (rel.empty()) return "it is empty";
  if (rel.find('\0') != std::string::npos) return "it holds a NUL byte";
  if (rel.front() == '/') return "it is absolute";
  size_t start = 0;
  while (true) {
    size_t end = rel.find('/', start);
    std::string seg = rel.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg.empty()) return "it has an empty segment";
    if (seg == ".") return "it has a '.' segment";
    if (seg == "..") return "it has a '..' segment (it would leave the folder)";
    if (end == std::string::npos) return "";
    start = end + 1;
  }
}

std::string UnsafeFileNameReason(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return "it is '" + name + "' (a folder, not a file)";
  if (name.find('/') != std::string::npos) return "it holds a '/' (a path, not one name)";
  for (unsigned char c : name) {
    if (c == 0) return "it holds a NUL byte";
    if (c < 0x20 || c == 0x7f) return "it holds a control character";
  }
  return "";
}

Status CheckFileName(const std::string& param, const std::string& name) {
  std::string why = UnsafeFileNameReason(name);
  if (why.empty()) return Status::Ok();
  return Status::Error(param + " '" + Printable(name) + "' is not one file name: " + why +
                       "; it must stay inside its folder");
}

Result<std::string> KeyToRel(const std::string& prefix, const std::string& key) {
  if (key.compare(0, prefix.size(), prefix) != 0)
    return Status::Error("refused key '" + Printable(key) + "': it is not under '" +
                         Printable(prefix) + "'");
  std::string rel = key.substr(prefix.size());
  std::string why = UnsafeRelReason(rel);
  if (!why.empty())
    return Status::Error("refused key '" + Printable(key) + "': " + why +
                         "; it cannot be a path beneath the destination");
  return rel;
}

Result<std::string> RelToKey(const std::string& prefix, const std::string& rel) {
  std::string why = UnsafeRelReason(rel);
  // What goes up must come back: a key S3's XML cannot carry (CR, other control characters,
  // invalid UTF-8, U+FFFE/U+FFFF) would be listed garbled by a server that ignores
  // encoding-type=url, or make every later listing of the prefix unreadable.
  if (why.empty() && !XmlCanCarry(prefix + rel))
    why =
        "it holds a carriage return, a control character or bytes that are not UTF-8, "
        "which an S3 listing cannot carry back";
  if (why.empty() && (prefix + rel).size() > kMaxKeyBytes)
    why = "the key would be longer than S3's " + std::to_string(kMaxKeyBytes) + " bytes";
  if (!why.empty())
    return Status::Error("refused path '" + Printable(rel) + "': " + why + "; it cannot be a key");
  return prefix + rel;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

BeneathTemp::~BeneathTemp() {
  if (!committed_ && dir_.get() >= 0 && !tmp_name_.empty())
    ::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
}

std::string BeneathTemp::ProcPath() const { return "/proc/self/fd/" + std::to_string(fd()); }

UniqueFd BeneathTemp::OpenReplaced() const {
  UniqueFd fd(::openat(dir_.get(), final_name_.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return UniqueFd();
  return fd;
}

Status BeneathTemp::Commit() {
  if (::fsync(file_.get()) != 0) return Status::FromErrno("cannot fsync " + display_, errno);
  std::string owned = RunbookFileProblemIn(dir_.get(), final_name_, display_, "replace");
  if (!owned.empty()) return Status::Error(owned);  // breakJ J22: the audit store, ...
  if (::renameat(dir_.get(), tmp_name_.c_str(), dir_.get(), final_name_.c_str()) != 0)
    return Status::FromErrno("cannot rename into " + display_, errno);
  committed_ = true;
  if (::fsync(dir_.get()) != 0)
    return Status::FromErrno("cannot fsync the folder of " + display_, errno);
  return Status::Ok();
}

Result<SafeRoot> SafeRoot::Open(const std::string& path, bool create) {
  if (create) {  // a destination root that is missing: made with mode 0700 (files.h)
    if (auto made = MakeFolders(path); !made.ok()) return made.status();
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open folder " + path, errno);
  SafeRoot root;
  root.fd_ = UniqueFd(fd);
  root.path_ = path;
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) != nullptr) root.real_ = real;
  return root;
}

Result<SafeRoot> SafeRoot::OpenSource(const std::string& path) {
  auto root = Open(path, false);
  if (root.ok()) root.value().where_ = "the source folder";
  return root;
}

Result<UniqueFd> SafeRoot::OpenDir(const std::string& rel_dir, bool create) const {
  UniqueFd cur(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (cur.get() < 0) return Status::FromErrno("cannot open folder " + path_, errno);
  if (rel_dir.empty()) return cur;
  std::string why = UnsafeRelReason(rel_dir);
  if (!why.empty()) return Status::Error("refused folder '" + Printable(rel_dir) + "': " + why);
  std::string shown = path_;
  for (size_t start = 0; start <= rel_dir.size();) {
    size_t end = std::min(rel_dir.find('/', start), rel_dir.size());
    std::string seg = rel_dir.substr(start, end - start);
    shown += "/" + seg;
    if (create && ::mkdirat(cur.get(), seg.c_str(), 0700) == 0) {
      if (Status owned = FolderOwnedLikeParent(cur.get(), seg, Printable(shown)); !owned.ok())
        return owned;
    } else if (create && errno != EEXIST) {
      return Status::FromErrno("cannot make folder " + Printable(shown), errno);
    }
    int fd = OpenOne(cur.get(), seg, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return OpenFailure(cur.get(), seg, shown, errno, where_);
    cur = UniqueFd(fd);
    start = end + 1;
  }
  return cur;
}

Result<BeneathTemp> SafeRoot::CreateTemp(const std::string& rel, int mode) const {
  std::string why = UnsafeRelReason(rel);
  if (!why.empty()) return Status::Error("refused path '" + Printable(rel) + "': " + why);
  auto [dir, name] = SplitLast(rel);
  auto parent = OpenDir(dir, true);
  if (!parent.ok()) return parent.status();
  BeneathTemp t;
  t.display_ = path_ + "/" + Printable(rel);
  t.final_name_ = name;
  t.tmp_name_ = ScratchName(name);
  int fd = OpenOne(parent.value().get(), t.tmp_name_, O_WRONLY | O_CREAT | O_EXCL,
                   static_cast<mode_t>(mode));
  if (fd < 0) return Status::FromErrno("cannot create a temporary file for " + t.display_, errno);
  t.dir_ = std::move(parent).value();
  t.file_ = UniqueFd(fd);
  return t;
}

namespace {

// The opened `fd`'s real path is `root_real` or below it.
bool FdInside(int fd, const std::string& root_real) {
  if (root_real.empty()) return false;  // the root's real path is unknown: nothing is inside
  char buf[PATH_MAX];
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  std::string real(buf, static_cast<size_t>(n));
  return root_real == "/" || real.compare(0, root_real.size() + 1, root_real + "/") == 0;
}

}  // namespace

Result<UniqueFd> SafeRoot::OpenRead(const std::string& rel, Reach reach, const FileId* expect,
                                    FileId* id) const {
  std::string shown = path_ + "/" + Printable(rel);
  std::string why = UnsafeRelReason(rel);
  if (!why.empty()) return Status::Error("refused path '" + Printable(rel) + "': " + why);
  UniqueFd file;
  const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;  // a FIFO swapped in never blocks
  if (reach == Reach::kNoLink) {
    auto [dir, name] = SplitLast(rel);
    auto parent = OpenDir(dir, false);
    if (!parent.ok()) return parent.status();
    file = UniqueFd(OpenOne(parent.value().get(), name, flags, 0));
    if (file.get() < 0) return OpenFailure(parent.value().get(), name, shown, errno, where_);
  } else {
    file = UniqueFd(::openat(fd_.get(), rel.c_str(), flags | O_CLOEXEC));
    if (file.get() < 0) return Status::FromErrno("cannot open " + shown, errno);
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return Status::FromErrno("cannot stat " + shown, errno);
  if (!S_ISREG(st.st_mode)) return Status::Error(shown + " is no longer a regular file");
  FileId got{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  if (reach == Reach::kLinksInside && !FdInside(file.get(), real_))
    return Status::Error("refused " + shown + ": it now leads outside the source folder");
  if (expect && !(*expect == got))
    return Status::Error("refused " + shown + ": it is no longer the file that was listed");
  if (id) *id = got;
  return file;
}

Status SafeRoot::Unlink(const std::string& rel) const {
  std::string why = UnsafeRelReason(rel);
  if (!why.empty()) return Status::Error("refused path '" + Printable(rel) + "': " + why);
  auto [dir, name] = SplitLast(rel);
  auto parent = OpenDir(dir, false);
  if (!parent.ok()) return parent.status();
  std::string owned =
      RunbookFileProblemIn(parent.value().get(), name, path_ + "/" + Printable(rel), "delete");
  if (!owned.empty()) return Status::Error(owned);
  if (::unlinkat(parent.value().get(), name.c_str(), 0) != 0)
    return Status::FromErrno("cannot delete " + path_ + "/" + Printable(rel), errno);
  return Status::Ok();
}

bool InsideTree(const std::string& tree, const std::string& path) {
  char t[PATH_MAX], p[PATH_MAX];
  if (::realpath(tree.c_str(), t) == nullptr || ::realpath(path.c_str(), p) == nullptr)
    return false;
  std::string root(t), real(p);
  if (root == "/") return true;
  return real == root || real.compare(0, root.size() + 1, root + "/") == 0;
}

void SetOpenat2ForTesting(bool available) { g_openat2_missing = !available; }

}  // namespace runbook
