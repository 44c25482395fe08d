#include "cli/run_place.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "engine/util/strings.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

// `p` absolute and normal, naming the file the kernel would open: a `..` after a link leads
// to the link target's parent, so a path holding `..` has its links resolved as far as it
// exists (breakO O17: `a/lnk/../r.yaml` ran b/r.yaml but was recorded, based and stored as
// a/r.yaml); one without keeps its links (a linked file's own name is the recorded path).
fs::path Normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  for (const fs::path& part : abs)
    if (part == "..") {
      fs::path real = fs::weakly_canonical(abs, ec);
      if (!ec) return real;
      break;
    }
  return abs.lexically_normal();
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
  for (fs::path dir = Normal(start);; dir = dir.parent_path()) {
    fs::path mark = dir / ".runbook";
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

// `p` absolute with its links resolved as far as it exists (realpath): the one spelling of
// a folder, as the kernel resolves `..` for every other path of the run (breakK K10).
fs::path Resolved(const fs::path& p) {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(Normal(p), ec);
  return ec ? Normal(p) : real;
}

}  // namespace

std::string ForeignPath(const std::string& path, bool root_ok) {
  std::string name = Printable(path), you = std::to_string(::geteuid());
  auto trusted = [&](uid_t uid) { return uid == ::geteuid() || (root_ok && uid == 0); };
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0)
    return "cannot examine " + name + ": " + std::strerror(errno);
  if (S_ISLNK(link.st_mode) && !trusted(link.st_uid) && link.st_uid != 0)
    return name + " is a link made by uid " + std::to_string(link.st_uid) + ", not by you (uid " +
           you + ")";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot examine " + name + ": " + std::strerror(errno);
  if (!trusted(st.st_uid))
    return name + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " + you +
           ")";
  if ((st.st_mode & S_IWOTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return name + " is writable by every user (mode " + mode + ")";
  }
  return "";
}

std::string AbsoluteFromHere(const std::string& path) {
  if (path.empty()) return path;
  if (path.front() == '/') {  // as given, unless a `..` must be resolved as the kernel does
    bool dots = false;
    for (const fs::path& part : fs::path(path)) dots = dots || part == "..";
    if (!dots) return path;
  }
  return Normal(path).string();
}

Result<StoreChoice> ChooseAuditStore(const std::string& flag, const std::string& start) {
  if (!flag.empty()) return StoreChoice{AbsoluteFromHere(flag), "--audit-db", false};
  const char* env = std::getenv("RUNBOOK_AUDIT_DB");
  if (env != nullptr && *env != '\0')
    return StoreChoice{AbsoluteFromHere(env), "RUNBOOK_AUDIT_DB", false};
  const fs::path from = Normal(start.empty() ? fs::path(".") : fs::path(start));
  auto nearest = NearestRunbookFolder(from);
  if (!nearest.ok()) return nearest.status();
  const std::string& found = nearest.value();
  if (!found.empty())
    return StoreChoice{(fs::path(found) / ".runbook" / "audit.db").string(),
                       "the nearest .runbook/ above " + from.string(), false};
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
  return StoreChoice{(Normal(base) / "runbook" / "audit.db").string(),
                     "no .runbook/ above " + from.string() + ": the default", true};
}

std::string RunbookFolder(const std::string& runbook_path) {
  // The file's own link too (breakN N10: ~/bin/restore.yaml -> /srv/app/runbooks/restore.yaml
  // ran at ~/bin, with another store and another realpath() lock).
  return Resolved(Normal(runbook_path)).parent_path().string();
}

Result<std::string> RunbookBase(const Runbook& rb) {
  fs::path folder = RunbookFolder(rb.path());
  if (rb.working_directory.empty()) return folder.string();
  fs::path base = (folder / rb.working_directory).lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(base, ec))
    return Status::Error("working_directory '" + Printable(rb.working_directory) + "' (" +
                         Printable(base.string()) + ") is not a folder");
  return base.string();
}

Status EnterBase(const std::string& base) {
  if (::chdir(base.c_str()) != 0)
    return Status::FromErrno("cannot enter the runbook's folder " + Printable(base), errno);
  return Status::Ok();
}

}  // namespace runbook
