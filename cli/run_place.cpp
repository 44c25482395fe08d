#include "cli/run_place.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "engine/util/strings.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

fs::path Normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal();
}

// The nearest folder at or above `start` holding a `.runbook` folder, "" when none.
std::string NearestRunbookFolder(const fs::path& start) {
  for (fs::path dir = Normal(start);; dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::is_directory(dir / ".runbook", ec)) return dir.string();
    if (dir == dir.root_path() || dir.parent_path() == dir) return "";
  }
}

}  // namespace

std::string AbsoluteFromHere(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return Normal(path).string();
}

Result<StoreChoice> ChooseAuditStore(const std::string& flag, const std::string& start) {
  if (!flag.empty()) return StoreChoice{AbsoluteFromHere(flag), "--audit-db", false};
  const char* env = std::getenv("RUNBOOK_AUDIT_DB");
  if (env != nullptr && *env != '\0')
    return StoreChoice{AbsoluteFromHere(env), "RUNBOOK_AUDIT_DB", false};
  const fs::path from = Normal(start.empty() ? fs::path(".") : fs::path(start));
  std::string found = NearestRunbookFolder(from);
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
  return Normal(runbook_path).parent_path().string();
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
