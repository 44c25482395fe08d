#include "engine/util/file_access.h"

#include <acl/libacl.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/acl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace runbook {

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

// Whether the access ACL at `path` names a user or a group it gives less than `needed` (bits
// of 07, within the mask): such an entry keeps that user or group from what the file's other
// classes allow, which a new file's mode cannot say (breakBB2 F1: "user:nobody:---" on the
// database or its folder, and the dump was 0644 for nobody to read).
bool NamesNarrower(const std::string& path, int needed) {
  acl_t acl = ::acl_get_file(path.c_str(), ACL_TYPE_ACCESS);
  if (acl == nullptr) return false;
  int mask = AclBits(acl, ACL_MASK);
  bool narrower = false;
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; !narrower && ::acl_get_entry(acl, id, &e) == 1;
       id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t set;
    if (::acl_get_tag_type(e, &tag) != 0 || (tag != ACL_USER && tag != ACL_GROUP) ||
        ::acl_get_permset(e, &set) != 0)
      continue;
    int bits = (::acl_get_perm(set, ACL_READ) == 1 ? 4 : 0) |
               (::acl_get_perm(set, ACL_WRITE) == 1 ? 2 : 0) |
               (::acl_get_perm(set, ACL_EXECUTE) == 1 ? 1 : 0);
    if (mask >= 0) bits &= mask;
    narrower = (bits & needed) != needed;
  }
  ::acl_free(acl);
  return narrower;
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
  if (NamesNarrower(source, 4)) return bits & 0600;  // someone named may not read it
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
    // A folder naming a user or group it keeps out: the file made from its source has only
    // its owner's bits, since its mode cannot keep that one out (breakBB2 F1).
    if (NamesNarrower(at.string(), 1)) return bits & 0600;
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
// named in the database's ACL, was locked out). A `from` without named entries gives `to`
// none either: the entries `to` inherited from its folder's default ACL go (breakEE E7: an
// account the 0640 mode kept out could read the replaced file).
Status KeepAcl(const std::string& from, const std::string& to) {
  acl_t acl = ::acl_get_file(from.c_str(), ACL_TYPE_ACCESS);
  if (acl == nullptr) return Status::Ok();  // no ACL support there: the mode is all
  acl_t mine = ::acl_get_file(to.c_str(), ACL_TYPE_ACCESS);
  auto entries = [](acl_t a) {
    int n = 0;
    acl_entry_t e;
    for (int id = ACL_FIRST_ENTRY; a != nullptr && ::acl_get_entry(a, id, &e) == 1;
         id = ACL_NEXT_ENTRY)
      ++n;
    return n;
  };
  Status s = Status::Ok();
  bool needed = entries(acl) > 3 || entries(mine) > 3;  // more than u/g/o on either side
  if (needed && ::acl_set_file(to.c_str(), ACL_TYPE_ACCESS, acl) != 0)
    s = Status::FromErrno("cannot give " + to + " the ACL of " + from, errno);
  ::acl_free(acl);
  if (mine != nullptr) ::acl_free(mine);
  return s;
}

// Why the owner (or group) of `source` (as `was`) cannot be kept on a file replacing it.
std::string CannotKeep(const std::string& source, const struct stat& was, bool owner,
                       const std::string& reason) {
  std::string whose = owner ? "owner (uid " + std::to_string(was.st_uid) + ")"
                            : "group (gid " + std::to_string(was.st_gid) + ")";
  return "cannot keep the " + whose + " of " + source + " on the file that replaces it: " + reason +
         " (runbook runs as uid " + std::to_string(::geteuid()) + ", gid " +
         std::to_string(::getegid()) +
         "; only root may give a file to another user, and only a member of a group to "
         "that group); it is left as it was: run as root or as its owner";
}

bool InGroup(gid_t gid) {
  if (::getegid() == gid) return true;
  std::vector<gid_t> groups(static_cast<size_t>(std::max(0, ::getgroups(0, nullptr))));
  int n = ::getgroups(static_cast<int>(groups.size()), groups.data());
  return std::find(groups.begin(), groups.begin() + std::max(0, n), gid) != groups.end();
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
  return Status::Error(CannotKeep(source, was, uid_differs, std::strerror(errno)));
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

std::string KeepOwnerProblem(const std::string& path) {
  struct stat was {};
  if (::geteuid() == 0 || ::stat(path.c_str(), &was) != 0) return "";
  if (was.st_uid != ::geteuid()) return CannotKeep(path, was, true, "not its owner");
  // A file made here gets the folder's group in a setgid folder, else this process's; a
  // group that may do nothing with the file (0600) need not be kept.
  struct stat dir {};
  std::string folder = std::filesystem::path(path).parent_path().string();
  bool setgid = ::stat(folder.empty() ? "." : folder.c_str(), &dir) == 0 &&
                (dir.st_mode & S_ISGID) != 0 && dir.st_gid == was.st_gid;
  if ((was.st_mode & 0070) == 0 || setgid || InGroup(was.st_gid)) return "";
  return CannotKeep(path, was, false, "not a member of that group");
}

Status ReplaceAccess(const std::string& path, const std::string& replaced,
                     const std::vector<std::string>& sources, const std::string& shown) {
  struct stat was {};
  if (replaced.empty() || ::stat(replaced.c_str(), &was) != 0) return ShareAccess(path, sources);
  int mode = static_cast<int>(was.st_mode & 0666);
  for (const std::string& source : sources) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) continue;
    int bits = ReachableBits(source, st, path);
    // Another group gets what the source gives others, no more (it never was the source's).
    if (st.st_gid != was.st_gid) bits = (bits & ~0070) | ((bits & 0007) << 3);
    mode &= bits;
  }
  if (Status s = KeepOwner(path, shown.empty() ? replaced : shown, was, mode); !s.ok()) return s;
  if (Status s = KeepAcl(replaced, path); !s.ok()) return s;
  // After the ACL: chmod sets its mask, so a named entry gets no more than the group bits.
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
    return Status::FromErrno("cannot set the mode of " + path, errno);
  return Status::Ok();
}

Status OwnLike(int fd, const std::string& of, const std::string& shown) {
  struct stat file {
  }, self{};
  if (::geteuid() != 0 || ::stat(of.c_str(), &file) != 0 || ::fstat(fd, &self) != 0)
    return Status::Ok();
  if (self.st_uid == file.st_uid && self.st_gid == file.st_gid) return Status::Ok();
  if (::fchown(fd, file.st_uid, file.st_gid) != 0)
    return Status::FromErrno("cannot give " + shown + " the owner of " + of, errno);
  return Status::Ok();
}

Status FolderOwnedLikeParent(int parent_fd, const std::string& name, const std::string& shown) {
  struct stat parent {
  }, made{};
  if (::geteuid() != 0 || ::fstat(parent_fd, &parent) != 0 ||
      ::fstatat(parent_fd, name.c_str(), &made, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(made.st_mode))
    return Status::Ok();
  if (made.st_uid == parent.st_uid && made.st_gid == parent.st_gid) return Status::Ok();
  if (::fchownat(parent_fd, name.c_str(), parent.st_uid, parent.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
    return Status::FromErrno("cannot give folder " + shown + " the owner of the folder it is in",
                             errno);
  return Status::Ok();
}

std::string ReplaceProblem(const std::string& path) {
  if (std::string why = KeepOwnerProblem(path); !why.empty()) return why;
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return "";
  int flags = 0;
  bool fixed =
      ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0;
  ::close(fd);
  if (!fixed) return "";
  return path +
         " is immutable or append-only (chattr +i or +a): it cannot be replaced; it is "
         "left as it was (chattr -i -a lets it be)";
}

}  // namespace runbook
