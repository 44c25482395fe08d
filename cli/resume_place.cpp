#include "cli/resume_place.h"

#include <filesystem>
#include <system_error>

#include "cli/run_place.h"
#include "engine/util/strings.h"

namespace runbook {
namespace fs = std::filesystem;

namespace {

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) || AbsoluteFromHere(a) == AbsoluteFromHere(b);
}

}  // namespace

Result<ResumeFile> ResumeRunbookFile(const RunRecord& r, const std::string& flag) {
  std::string recorded = r.Text("path");
  if (!flag.empty()) return ResumeFile{flag, !SameFile(flag, recorded)};
  std::error_code ec;
  if (fs::is_regular_file(recorded, ec)) return ResumeFile{recorded, false};
  return Status::Error("the runbook of run " + r.run_id + " was " + Printable(recorded) +
                       ", which cannot be read now" + (ec ? " (" + ec.message() + ")" : "") +
                       "; if it moved, name it: runbook resume " + r.run_id +
                       " --runbook FILE (its sha256 must be the recorded one, " +
                       r.Text("runbook_sha256").substr(0, 12) + ")");
}

Result<std::string> ResumeBase(const RunRecord& r, const Runbook& rb, const ResumeFile& file,
                               std::string& notice) {
  notice.clear();
  auto own = RunbookBase(rb);
  std::string recorded = r.Text("base");
  if (recorded.empty()) return own;  // recorded before bases were kept
  if (file.moved) {
    if (own.ok() && own.value() != recorded)
      notice = "run " + r.run_id + " ran in " + Printable(recorded) + "; the runbook moved, so " +
               "this resume runs in " + Printable(own.value()) + ", its base at its new place";
    return own;
  }
  std::error_code ec;
  if (!fs::is_directory(recorded, ec))
    return Status::Error("run " + r.run_id + " ran in " + Printable(recorded) +
                         ", which is no longer a folder; the outputs it carries over name " +
                         "files there");
  if (!own.ok() || own.value() != recorded)
    notice = "the runbook's working_directory now gives " +
             (own.ok() ? Printable(own.value()) : std::string("no folder")) + "; resuming in " +
             Printable(recorded) + ", where run " + r.run_id +
             " ran (the outputs it carries over name files there)";
  return recorded;
}

}  // namespace runbook
