#include "steps/common/server_scratch.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/util/strings.h"
#include "steps/common/files.h"
#include "steps/common/scratch.h"
#include "steps/common/server_restore.h"

namespace runbook {
namespace {

// The scratch server `dir` started, when it still runs: its pid file names a process whose
// command line holds --datadir=<dir>/data (not another process that took the pid).
pid_t OrphanServer(const std::string& dir) {
  auto text = ReadWholeFile(dir + "/server.pid");
  if (!text.ok()) return 0;
  std::string pid_text = text.value();
  while (!pid_text.empty() && (pid_text.back() == '\n' || pid_text.back() == ' '))
    pid_text.pop_back();
  if (pid_text.empty() || pid_text.size() > 9 ||
      pid_text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  auto cmdline = ReadWholeFile("/proc/" + pid_text + "/cmdline");
  if (pid <= 0 || !cmdline.ok()) return 0;
  std::string want = "--datadir=" + dir + "/data";
  return cmdline.value().find(want + '\0') != std::string::npos ? pid : 0;
}

}  // namespace

Status MarkScratchFolder(const std::string& dir, const std::string& run_id) {
  return WriteNewFile(dir + "/owner", InProgressMarker(run_id) + "\n", 0600);
}

void SweepScratchFolders(const std::string& workspace, const std::string& suffix,
                         const std::function<void(std::string_view)>& log) {
  std::string prefix = BaseName(workspace) + suffix;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DirName(workspace), ec)) {
    std::string name = entry.path().filename().string(), dir = entry.path().string();
    if (name.size() != prefix.size() + 6 || name.rfind(prefix, 0) != 0 || !entry.is_directory(ec) ||
        entry.is_symlink(ec))
      continue;
    auto owner = ReadWholeFile(dir + "/owner");
    std::string marker = owner.ok() ? owner.value() : "";
    while (!marker.empty() && marker.back() == '\n') marker.pop_back();
    if (!IsOrphanMarker(marker)) continue;
    if (pid_t server = OrphanServer(dir)) {
      ::kill(server, SIGKILL);
      for (int i = 0; i < 50 && ::kill(server, 0) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      log("stopped the scratch server " + std::to_string(server) + " of a killed run");
    }
    std::filesystem::remove_all(dir, ec);
    if (!ec) log("removed " + dir + ", left by a killed run");
  }
}

}  // namespace runbook
