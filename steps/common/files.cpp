#include "steps/common/files.h"

#include <acl/libacl.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "engine/util/input_file.h"
#include "engine/util/own_file.h"
#include "engine/util/strings.h"
#include "steps/common/scratch.h"

namespace runbook {

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string TempBeside(const std::string& path) {
  // A dead run's temporary stays recognisable (steps/common/scratch.h): the next write of the
  // same file removes it.
  (void)RemoveDebris(DirName(path),
                     [&](const std::string& base) { return base == BaseName(path); });
  return ScratchBeside(path);
}

Status FsyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::FromErrno("cannot fsync " + path, err);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open folder " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::FromErrno("cannot fsync folder " + dir, err);
}

Status RenameDurable(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return Status::FromErrno("cannot rename " + from + " to " + to, errno);
  }
  return FsyncDir(DirName(to));
}

Status PublishDurable(const std::string& tmp, const std::string& path) {
  Status s = CheckOwnFile(path);
  return s.ok() ? RenameDurable(tmp, path) : s;
}

Status WriteFileAtomic(const std::string& path, const std::string& data, int mode) {
  if (Status own = CheckOwnFile(path); !own.ok()) return own;  // nothing written
  std::string tmp = TempBeside(path);
  bool replacing = ModeOf(path, -1) >= 0;  // its access stays (ShareAccess), umask or not
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, replacing ? 0600 : mode);
  if (fd < 0) return Status::FromErrno("cannot write " + tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::FromErrno("cannot write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("cannot write " + tmp, err);
  }
  Status s = replacing ? ShareAccess(tmp, {path}, 0600, true) : Status::Ok();
  if (s.ok()) s = PublishDurable(tmp, path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

int ModeOf(const std::string& path, int fallback) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0666) : fallback;
}

namespace {

// The bits (of 07, as a group's: read, write, search/execute) an ACL entry of `type` grants,
// -1 when none.
int AclBits(acl_t acl, acl_tag_t type) {
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t set;
    if (::acl_get_tag_type(e, &tag) != 0 || tag != type || ::acl_get_permset(e, &set) != 0)
      continue;
    return (::acl_get_perm(set, ACL_READ) == 1 ? 4 : 0) |
           (::acl_get_perm(set, ACL_WRITE) == 1 ? 2 : 0) |
           (::acl_get_perm(set, ACL_EXECUTE) == 1 ? 1 : 0);
  }
  return -1;
}

// The mode's group bits of a file or folder with an access ACL are its mask, not what its
// owning group may do: the owning group's own entry counts, within the mask (breakZ Z17 for
// files, breakAA A1 for the folders above them). Bits of 0777.
int OwnBits(const std::string& path, const struct stat& st) {
  int bits = static_cast<int>(st.st_mode & 0777);
  acl_t acl = ::acl_get_file(path.c_str(), ACL_TYPE_ACCESS);
  if (acl == nullptr) return bits;
  int group = AclBits(acl, ACL_GROUP_OBJ), mask = AclBits(acl, ACL_MASK);
  ::acl_free(acl);
  if (group < 0 || mask < 0) return bits;  // no mask: the mode is the ACL
  return (bits & ~0070) | ((group & mask) << 3);
}

// The bits of `st` (the file at `source`) that others can use: its folders must let them
// through (search permission on every one above it). A folder closed to others takes the
// other bits away, and the group bits when it is not open to the file's group (breakZ Z4: a
// 0644 database in a 0700 folder is private; its dump in a 0755 folder must be too). Folders
// above `dest` too (where the new file goes) guard both alike and are not counted.
int ReachableBits(const std::string& source, const struct stat& st, const std::string& dest) {
  int bits = OwnBits(source, st) & 0666;
  std::error_code ec;
  std::filesystem::path at = std::filesystem::canonical(source, ec);
  if (ec) return bits & 0600;  // where it is cannot be told: the owner's bits only
  std::filesystem::path to = std::filesystem::canonical(dest, ec).parent_path();
  auto shared = [&](const std::filesystem::path& dir) {  // `dir` is `to` or above it
    auto d = dir.begin(), t = to.begin();
    for (; d != dir.end(); ++d, ++t)
      if (t == to.end() || *d != *t) return false;
    return true;
  };
  while (at.has_parent_path() && at.parent_path() != at) {
    at = at.parent_path();
    if (!ec && shared(at)) break;
    struct stat dir {};
    if (::stat(at.c_str(), &dir) != 0) return bits & 0600;
    // Named users and groups of a folder's ACL are not counted: a file made from the source
    // does not carry them, so they can only narrow what it gives (the safe way).
    int search = OwnBits(at.string(), dir);
    if ((search & S_IXOTH) == 0) {
      bits &= ~0006;
      if ((search & S_IXGRP) == 0 || dir.st_gid != st.st_gid) bits &= ~0060;
    }
  }
  return bits;
}

// The access ACL of `from` (its named users and groups, its mask) given to `to`, after its
// mode: a replaced file's ACL is part of who may open it (breakZ Z5: the backend's account,
// named in the database's ACL, was locked out). Nothing to do without one.
Status KeepAcl(const std::string& from, const std::string& to) {
  acl_t acl = ::acl_get_file(from.c_str(), ACL_TYPE_ACCESS);
  if (acl == nullptr) return Status::Ok();  // no ACL support there: the mode is all
  int entries = 0;
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; ::acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) ++entries;
  Status s = Status::Ok();
  if (entries > 3 && ::acl_set_file(to.c_str(), ACL_TYPE_ACCESS, acl) != 0)  // more than u/g/o
    s = Status::FromErrno("cannot give " + to + " the ACL of " + from, errno);
  ::acl_free(acl);
  return s;
}

// `path` given the owner of the file it replaces (`source`, as `was`), and its group when
// `mode` gives the group anything. Only root may give a file away, and only a member may give
// it a group: where runbook cannot, it refuses rather than hand back a file its owner or
// group can no longer open (breakAA A6: a 0640 nobody:daemon database restored by nobody came
// back 0600 nobody:nobody, and the backend in group daemon lost it).
Status KeepOwner(const std::string& path, const std::string& source, const struct stat& was,
                 int mode) {
  struct stat self {};
  if (::stat(path.c_str(), &self) != 0) return Status::FromErrno("cannot examine " + path, errno);
  bool uid_differs = self.st_uid != was.st_uid;
  bool gid_differs = self.st_gid != was.st_gid;
  if (!uid_differs && !gid_differs) return Status::Ok();
  if (::chown(path.c_str(), was.st_uid, was.st_gid) == 0) return Status::Ok();
  // A group that may do nothing with the file (0600) need not be kept.
  if (!uid_differs && (mode & 0070) == 0) return Status::Ok();
  int err = errno;
  std::string whose = uid_differs ? "owner (uid " + std::to_string(was.st_uid) + ")"
                                  : "group (gid " + std::to_string(was.st_gid) + ")";
  return Status::Error(
      "cannot keep the " + whose + " of " + source +
      " on the file that replaces it: " + std::strerror(err) + " (runbook runs as uid " +
      std::to_string(::geteuid()) + ", gid " + std::to_string(::getegid()) +
      "; only root may give a file to another user, and only a member of a group to "
      "that group); it is left as it was: run as root or as its owner");
}

}  // namespace

Status ShareAccess(const std::string& path, const std::vector<std::string>& sources, int fallback,
                   bool owner) {
  int mode = 0666;
  bool any = false, one_group = true;
  gid_t group = 0;
  for (const std::string& source : sources) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) continue;
    one_group = one_group && (!any || st.st_gid == group);
    group = st.st_gid;
    any = true;
    // A file that replaces its source keeps its bits; one made from it, what reaches it.
    mode &= owner ? static_cast<int>(st.st_mode & 0666) : ReachableBits(source, st, path);
  }
  if (!any) mode = fallback;
  struct stat was {};
  if (owner && sources.size() == 1 && ::stat(sources[0].c_str(), &was) == 0)
    if (Status s = KeepOwner(path, sources[0], was, mode); !s.ok()) return s;
  struct stat self {};
  if (::stat(path.c_str(), &self) != 0) return Status::FromErrno("cannot examine " + path, errno);
  bool group_readable = (mode & 0060) != 0;
  if (any && group_readable && self.st_gid != group &&
      (!one_group || ::chown(path.c_str(), static_cast<uid_t>(-1), group) != 0))
    mode &= ~0070;  // the group that would read it is not the sources' group
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
    return Status::FromErrno("cannot set the mode of " + path, errno);
  return owner && sources.size() == 1 ? KeepAcl(sources[0], path) : Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes) {
  auto opened = OpenInputStream(path);
  if (!opened.ok()) return opened.status();
  FILE* f = opened.value();
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > max_bytes) {
      std::fclose(f);
      return Status::Error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::Error("cannot read " + path);
  return out;
}

Result<std::vector<std::string>> ExpandGlobs(const std::vector<std::string>& patterns,
                                             const StopCheck& stop) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;  // a set: a linear search here made 50,000 files take 11 s
  for (const std::string& pattern : patterns) {
    if (stop && stop()) return Status::Error(kStoppedMessage);
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc == GLOB_NOMATCH) {
      globfree(&g);
      return Status::Error("'" + pattern + "' matches no file");
    }
    if (rc != 0) {
      globfree(&g);
      return Status::Error("cannot expand '" + pattern + "'");
    }
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    std::sort(found.begin(), found.end());
    for (std::string& f : found)
      if (seen.insert(f).second) out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<std::string>> MakeFolders(const std::string& path) {
  std::vector<std::string> missing;
  std::error_code ec;
  for (std::filesystem::path p(path.empty() ? "." : path);
       !p.empty() && !std::filesystem::is_directory(p, ec); p = p.parent_path()) {
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      return Status::Error("cannot examine " + Printable(p.string()) + ": " + ec.message());
    if (std::filesystem::symlink_status(p, ec).type() != std::filesystem::file_type::not_found)
      return Status::Error("cannot make folder " + Printable(path) + ": " + Printable(p.string()) +
                           " is not a folder");
    missing.push_back(p.string());
    if (p == p.parent_path() || p.parent_path().empty()) break;
  }
  std::vector<std::string> created;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) == 0) {
      created.push_back(*it);
    } else if (errno != EEXIST) {
      return Status::FromErrno("cannot make folder " + Printable(*it), errno);
    }
  }
  return created;
}

void NoteCreated(const std::vector<std::string>& created,
                 const std::function<void(std::string_view)>& log) {
  // Absolute, whatever the parameter said: the operator sees where it is (newcomer round).
  std::error_code ec;
  for (const std::string& folder : created) {
    std::filesystem::path at = std::filesystem::absolute(folder, ec);
    log("created folder " + Printable(ec ? folder : at.lexically_normal().string()) +
        " (mode 0700)");
  }
}

Status MakeFolderSaying(const std::string& folder,
                        const std::function<void(std::string_view)>& log) {
  auto made = MakeFolders(folder.empty() ? "." : folder);
  if (!made.ok()) return made.status();
  NoteCreated(made.value(), log);
  return Status::Ok();
}

std::string NotThere(const std::string& path, const std::string& kind) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    return "cannot examine " + path + ": " + ec.message();
  bool there = kind == "folder" ? std::filesystem::is_directory(st) : std::filesystem::exists(st);
  return there ? "" : "no " + kind + " " + (kind == "database" ? "at " : "") + path;
}

}  // namespace runbook
