#include "cli/run_place.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "cli/others_write.h"
#include "engine/runbook_place.h"
#include "engine/util/strings.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

// The last component of the way: what it leads to, owned by this user (root too when
// `root_ok`), not writable by every user (a 1777 folder such as /tmp, a 0666 file), nor by
// another group (breakR R2: a .runbook/ at 0775 of another group was used, and a member
// renamed its audit.db away or put one of theirs there).
std::string ForeignEnd(const std::string& path, const std::string& name, const struct stat& st,
                       bool root_ok) {
  if (st.st_uid != ::geteuid() && !(root_ok && st.st_uid == 0))
    return name + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
           std::to_string(::geteuid()) + ")";
  if ((st.st_mode & S_IWOTH) != 0)
    return name + " is writable by every user (mode " + OctalMode(st.st_mode) + ")";
  if (std::string why = OthersMayWrite(path, st); !why.empty()) return name + " " + why;
  return "";
}

// A folder on the way: another account that owns it, or every user when it is writable by
// all without the sticky bit, can rename what is in it after it was checked (breakP P1).
std::string ForeignFolder(const std::string& folder, const std::string& name,
                          const struct stat& st) {
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return Printable(folder) + ", a folder on the way to " + name + ", is owned by uid " +
           std::to_string(st.st_uid) + ", not by you (uid " + std::to_string(::geteuid()) +
           "): that account can swap what it holds";
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0)
    return Printable(folder) + ", a folder on the way to " + name +
           ", is writable by every user (mode " + OctalMode(st.st_mode) + ")";
  // Its group's members may rename what is in it too (breakQ Q9), unless no account but
  // you and root can hold that group (GroupTrusted).
  if (std::string why = OthersMayWrite(folder, st); !why.empty())
    return Printable(folder) + ", a folder on the way to " + name + ", " + why;
  return "";
}

// Why the `.runbook` folder `mark` may not hold this user's records, "" when it may
// (ForeignPath; as git refuses a repository another user owns, CVE-2022-24765; breakK K20,
// breakO O9).
std::string NotYours(const fs::path& mark) {
  std::string why = ForeignPath(mark.string(), false);
  return why.empty() ? ""
                     : why + ": another user could read or replace the records there; " +
                           "give --audit-db or RUNBOOK_AUDIT_DB, or make the folder yours";
}

// The nearest folder at or above `start` holding a `.runbook` folder, "" when none. A
// `.runbook` that is there but is not a folder one can enter (a file, a dangling link, a
// link loop, an unmounted share) stops the walk with an error, as a broken .git stops git:
// never a silent fall-through to another store (breakK K6).
Result<std::string> NearestRunbookFolder(const fs::path& start) {
  for (fs::path dir = KernelPath(start);; dir = dir.parent_path()) {
    fs::path mark = dir / ".runbook";
    // Whether a folder holds a .runbook is its owner's choice: another account's folder, or
    // one every user may write without the sticky bit, stops the walk (breakP P1: hidden for
    // an instant, root's records fell through to the default store; shown, to another's).
    if (struct stat st{}; ::stat(dir.c_str(), &st) == 0) {
      std::string why = ForeignFolder(dir.string(), Printable(mark.string()), st);
      if (!why.empty())
        return Status::Error(why +
                             "; runbook does not look for a .runbook there or above: give "
                             "--audit-db or RUNBOOK_AUDIT_DB");
    }
    std::error_code ec;
    fs::file_status here = fs::symlink_status(mark, ec);
    if (!ec && fs::exists(here)) {
      std::error_code ec2;
      if (fs::is_directory(mark, ec2)) {
        if (std::string why = NotYours(mark); !why.empty()) return Status::Error(why);
        return dir.string();
      }
      std::string what = fs::is_symlink(here) ? "a link that leads to no folder" : "not a folder";
      return Status::Error(Printable(mark.string()) + " is " + what +
                           (ec2 ? " (" + ec2.message() + ")" : "") +
                           ": the project's audit store would be there; fix it, or give "
                           "--audit-db or RUNBOOK_AUDIT_DB");
    }
    if (dir == dir.root_path() || dir.parent_path() == dir) return std::string();
  }
}

// Why the store file `file` of a discovered or default store may not hold this user's
// records, "" when it may or does not exist yet: as its folder, it is yours and writable by
// no other account (breakR R2: a 0666 audit.db, or another account's, was recorded into
// silently while the fingerprint key beside it was refused for the same).
std::string ForeignStoreFile(const fs::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) return "";
  std::string why = ForeignPath(file.string(), false);
  return why.empty() ? ""
                     : why + ": another user could read or replace the records there; " +
                           "give --audit-db or RUNBOOK_AUDIT_DB, or make the file yours";
}

}  // namespace

std::string ForeignPath(const std::string& path, bool root_ok) {
  // Resolved component by component, as the kernel does, each link and folder looked at on
  // the way (breakP P1: a link in the middle, made by another account, was never looked at).
  std::string name = Printable(path);
  std::vector<std::string> todo;  // components still to walk, the next one last
  auto push = [&todo](const std::string& p) {
    std::vector<std::string> parts;
    for (const fs::path& part : fs::path(p).relative_path()) parts.push_back(part.string());
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  };
  push(fs::absolute(path).string());
  fs::path at = "/";
  for (int links = 0; !todo.empty();) {
    std::string part = todo.back();
    todo.pop_back();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      at = at.parent_path();
      continue;
    }
    fs::path next = at / part;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0)
      return "cannot examine " + Printable(next.string()) + ": " + std::strerror(errno);
    if (S_ISLNK(st.st_mode)) {
      if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return (todo.empty() ? name : Printable(next.string()) + ", on the way to " + name) +
               " is a link made by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
               std::to_string(::geteuid()) + ")";
      if (++links > 40) return "cannot examine " + name + ": too many links";
      std::error_code ec;
      fs::path target = fs::read_symlink(next, ec);
      if (ec) return "cannot examine " + Printable(next.string()) + ": " + ec.message();
      if (target.is_absolute()) at = "/";
      push(target.string());
      continue;
    }
    if (todo.empty()) return ForeignEnd(next.string(), name, st, root_ok);
    if (std::string why = ForeignFolder(next.string(), name, st); !why.empty()) return why;
    at = next;
  }
  struct stat st {};  // it ended in "/", ".", ".." or a link to a folder already walked
  if (::stat(at.c_str(), &st) != 0)
    return "cannot examine " + Printable(at.string()) + ": " + std::strerror(errno);
  return ForeignEnd(at.string(), name, st, root_ok);
}

std::string AbsoluteFromHere(const std::string& path) {
  if (path.empty()) return path;
  if (path.front() == '/') {  // as given, unless a `..` must be resolved as the kernel does
    bool dots = false;
    for (const fs::path& part : fs::path(path)) dots = dots || part == "..";
    if (!dots) return path;
  }
  return KernelPath(path).string();
}

Result<StoreChoice> ChooseAuditStore(const std::string& flag, const std::string& start) {
  if (!flag.empty()) return StoreChoice{AbsoluteFromHere(flag), "--audit-db", false};
  const char* env = std::getenv("RUNBOOK_AUDIT_DB");
  if (env != nullptr && *env != '\0')
    return StoreChoice{AbsoluteFromHere(env), "RUNBOOK_AUDIT_DB", false};
  const fs::path from = KernelPath(start.empty() ? fs::path(".") : fs::path(start));
  auto nearest = NearestRunbookFolder(from);
  if (!nearest.ok()) return nearest.status();
  const std::string& found = nearest.value();
  if (!found.empty()) {
    fs::path file = fs::path(found) / ".runbook" / "audit.db";
    if (std::string why = ForeignStoreFile(file); !why.empty()) return Status::Error(why);
    return StoreChoice{file.string(), "the nearest .runbook/ above " + from.string(), false};
  }
  const char* state = std::getenv("XDG_STATE_HOME");
  fs::path base;
  if (state != nullptr && *state == '/') {
    base = state;
  } else {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home != '/')
      return Status::Error(
          "no audit store: no .runbook/ folder above " + from.string() +
          ", and neither XDG_STATE_HOME nor HOME names a folder for the default; give "
          "--audit-db or RUNBOOK_AUDIT_DB");
    base = fs::path(home) / ".local" / "state";
  }
  fs::path folder = KernelPath(base) / "runbook";
  // The default gets the checks a .runbook gets (breakP P14: root with another user's HOME,
  // `sudo -E`, recorded into a folder that user owns, who swapped the store): the folder, or
  // what of it exists, and the way to it.
  fs::path existing = folder;
  for (std::error_code ec; !fs::exists(existing, ec) && existing.has_relative_path();)
    existing = existing.parent_path();
  // A folder above it may be root's (it is made below there); the folder itself must be yours.
  if (std::string why = ForeignPath(existing.string(), existing != folder); !why.empty())
    return Status::Error("the default audit store's folder " + Printable(folder.string()) + ": " +
                         why +
                         "; give --audit-db or RUNBOOK_AUDIT_DB, or set HOME or "
                         "XDG_STATE_HOME to your own");
  if (std::string why = ForeignStoreFile(folder / "audit.db"); !why.empty())
    return Status::Error(why);
  return StoreChoice{(folder / "audit.db").string(),
                     "no .runbook/ above " + from.string() + ": the default", true};
}

Status EnterBase(const std::string& base) {
  if (::chdir(base.c_str()) != 0)
    return Status::FromErrno("cannot enter the runbook's folder " + Printable(base), errno);
  return Status::Ok();
}

}  // namespace runbook
