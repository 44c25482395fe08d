#include "engine/step_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/process_tree.h"

namespace runbook {
namespace {

// The cgroup2 mount point, from /proc/self/mountinfo; "" when there is none.
std::string Cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string id, parent, dev, root, mount;
    if (fields >> id >> parent >> dev >> root >> mount) return mount;
  }
  return "";
}

// This process's cgroup2 path ("/" or "/system.slice/x.service"): the "0::" line.
std::string OwnCgroup(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

// Whether the runbook that made base `dir` (named `name`) is gone. A base named
// runbook-<pid>-<n>- is held by its runbook with a shared flock on the folder for as long as
// it lives, so an exclusive one succeeds only once it is gone, in whatever pid namespace it
// ran (breakN N6: a runbook that is pid 1 of a container made runbook-1, and pid 1 here is
// init, always alive, so its cgroups stayed forever). A base of the older form runbook-<pid>
// is judged by its pid.
bool OwnerGone(const std::filesystem::path& dir, const std::string& name) {
  std::string rest = name.substr(8);
  if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos) {
    long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid == 1) return true;  // runbook-1 was another pid namespace's: init is pid 1 here
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool gone = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return gone;
}

// Removes the empty cgroups of runbooks that no longer run (runbook-* folders under
// `parent` whose owner is gone: a killed run's). A cgroup still holding processes (a killed
// run's leftovers, which `resume` names) cannot be removed and stays.
void RemoveDeadBases(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("runbook-", 0) != 0 || !entry.is_directory(ec)) continue;
    if (!OwnerGone(entry.path(), name)) continue;
    for (const auto& step : std::filesystem::directory_iterator(entry.path(), ec))
      if (step.is_directory(ec)) ::rmdir(step.path().c_str());
    ::rmdir(entry.path().c_str());
  }
}

// runbook-<tracking prefix> under runbook's own cgroup: {folder, relative path}; {"", ""}
// when it cannot be made. Made once per process, held (OwnerGone) while it lives, removed at
// its exit when empty.
const std::pair<std::string, std::string>& Base() {
  static const std::pair<std::string, std::string> base =
      []() -> std::pair<std::string, std::string> {
    std::string mount = Cgroup2Mount(), own = OwnCgroup(getpid());
    if (mount.empty() || own.empty()) return {"", ""};
    std::string relative = (own == "/" ? "" : own) + "/runbook-" + TrackingPrefix();
    std::string dir = mount + relative;
    RemoveDeadBases(mount + (own == "/" ? "" : own));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return {"", ""};
    int held = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // never closed
    if (held < 0 || ::flock(held, LOCK_SH) != 0) {
      ::rmdir(dir.c_str());
      return {"", ""};
    }
    static const std::string* at_exit = new std::string(dir);  // outlives every static
    std::atexit([] { ::rmdir(at_exit->c_str()); });
    return {dir, relative};
  }();
  return base;
}

}  // namespace

std::unique_ptr<StepCgroup> StepCgroup::Create(const std::string& name) {
  const auto& [base, base_relative] = Base();
  if (base.empty()) return nullptr;
  std::string dir = base + "/" + name;
  if (::mkdir(dir.c_str(), 0755) != 0) return nullptr;
  int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    ::rmdir(dir.c_str());
    return nullptr;
  }
  return std::unique_ptr<StepCgroup>(new StepCgroup(dir, base_relative + "/" + name, fd));
}

StepCgroup::~StepCgroup() {
  ::close(procs_fd_);
  ::rmdir(dir_.c_str());
}

std::vector<pid_t> StepCgroup::Members() const {
  std::vector<pid_t> pids;
  std::ifstream in(dir_ + "/cgroup.procs");
  for (long pid; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

bool StepCgroup::Holds(pid_t pid) const { return OwnCgroup(pid) == relative_; }

bool InStepCgroupOf(pid_t pid, const std::string& prefix) {
  if (prefix.empty()) return false;
  std::string path = OwnCgroup(pid);
  size_t last = path.rfind('/');
  if (last == std::string::npos || last == 0) return false;
  size_t parent = path.rfind('/', last - 1);
  if (parent == std::string::npos) return false;
  return path.compare(parent + 1, 8, "runbook-") == 0 &&
         path.compare(last + 1, prefix.size(), prefix) == 0;
}

}  // namespace runbook
