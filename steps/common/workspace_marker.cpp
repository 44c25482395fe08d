#include "steps/common/workspace_marker.h"

#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include "steps/common/files.h"

namespace runbook {

namespace {

constexpr size_t kMarkerMax = 128;

bool IsMarkerText(const std::string& text) {
  static const std::regex line("[0-9]+ [0-9]+ [0-9]+ [0-9]+\\.[0-9]+\n");
  return std::regex_match(text, line);
}

}  // namespace

std::string MarkerPath(const std::string& workspace) { return workspace + ".integrity-check"; }

std::string MarkerLine(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  return std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " " +
         std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + "\n";
}

Result<std::string> ReadMarker(const std::string& workspace) {
  std::string path = MarkerPath(workspace);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::string();
  auto text = S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= kMarkerMax
                  ? ReadWholeFile(path, kMarkerMax)
                  : Result<std::string>(Status::Error(""));
  if (text.ok() && IsMarkerText(text.value())) return text.value();
  return Status::Error(path +
                       " exists and is not integrity-check's marker (a line naming the "
                       "kept copy): it is left alone; move it, or choose another workspace");
}

Status WriteMarker(const std::string& workspace, const std::string& copy) {
  auto existing = ReadMarker(workspace);  // again, right before: never over another's file
  if (!existing.ok()) return existing.status();
  return WriteFileAtomic(MarkerPath(workspace), MarkerLine(copy), 0600);
}

void RemoveMarker(const std::string& workspace) {
  auto existing = ReadMarker(workspace);
  if (existing.ok() && !existing.value().empty()) ::unlink(MarkerPath(workspace).c_str());
}

}  // namespace runbook
