// Background processes (services): started into their own process group with output
// appended to a log file, watched without blocking, stopped with SIGTERM, a grace period
// and SIGKILL to the whole group. The leader is noted with WNOWAIT and reaped only after
// its group has been killed, so the group id can never be recycled under us. Descendants that
// left the group (setsid) belong to the service: found by its tracking id, they are ended
// when it stops, not when the step that started it ends.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "engine/process_runner.h"
#include "engine/process_tree.h"
#include "engine/spawn.h"
#include "engine/step_cgroup.h"
#include "engine/util/input_file.h"
#include "engine/util/own_file.h"

namespace runbook {
namespace {

class PosixBackgroundProcess final : public BackgroundProcess {
 public:
  PosixBackgroundProcess(pid_t pid, std::string tracking_id, Masker mask,
                         std::unique_ptr<StepCgroup> cgroup)
      : pid_(pid),
        pidfd_(PidfdOpen(pid)),
        tracking_id_(std::move(tracking_id)),
        mask_(std::move(mask)),
        cgroup_(std::move(cgroup)) {}
  ~PosixBackgroundProcess() override { Stop(Millis(0)); }

  int pid() const override { return pid_; }

  std::optional<std::string> Exited() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!LeaderExited(false)) return std::nullopt;
    Release();
    return ended_;
  }

  std::string Stop(Millis grace) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string how = StopGroup(grace);
    for (const std::string& line :
         EndTracked(tracking_id_, pid_, pid_, grace, mask_, {}, cgroup_.get()))
      how += "; ended " + line + ", which had left the service's process group";
    return how;
  }

 private:
  std::string StopGroup(Millis grace) {
    if (LeaderExited(false)) {
      Release();
      return stopped_ ? ended_ : "had already exited (" + ended_ + ")";
    }
    stopped_ = true;
    kill(-pid_, SIGTERM);
    auto until = Clock::Mono::clock::now() + grace;
    while (!LeaderExited(false) && Clock::Mono::clock::now() < until) WaitExit(until);
    bool graceful = leader_exited_;
    if (!graceful) {
      kill(-pid_, SIGKILL);
      LeaderExited(true);
    }
    Release();
    ended_ = graceful ? "stopped with SIGTERM (" + ended_ + ")"
                      : "killed with SIGKILL after " + FormatDuration(grace) + " (" + ended_ + ")";
    return ended_;
  }

  // Notes (without reaping) whether the leader has exited, and how.
  bool LeaderExited(bool block) {
    if (leader_exited_) return true;
    siginfo_t info{};
    int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, flags) != 0 || info.si_pid != pid_)
      return false;
    leader_exited_ = true;
    ended_ = info.si_code == CLD_EXITED ? "exit code " + std::to_string(info.si_status)
                                        : "killed by " + SignalName(info.si_status);
    return true;
  }

  void WaitExit(Clock::Mono until) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::Mono::clock::now()).count();
    int ms = static_cast<int>(std::max<long long>(1, std::min<long long>(left, 50)));
    if (pidfd_ < 0) {
      usleep(static_cast<useconds_t>(ms) * 1000);
      return;
    }
    pollfd p{pidfd_, POLLIN, 0};
    poll(&p, 1, ms);
  }

  // The leader is gone: whatever it left in its group goes too, then the zombie is freed.
  void Release() {
    if (released_) return;
    released_ = true;
    kill(-pid_, SIGKILL);
    ReleaseChild(pid_);
    if (pidfd_ >= 0) close(pidfd_);
    pidfd_ = -1;
  }

  std::mutex mu_;
  pid_t pid_;
  int pidfd_;
  std::string tracking_id_;             // in the environment of the service and its descendants
  Masker mask_;                         // for the command lines of what Stop ends
  std::unique_ptr<StepCgroup> cgroup_;  // holding them all, where one could be made
  bool leader_exited_ = false;
  bool stopped_ = false;
  bool released_ = false;  // the group has been killed and the leader reaped
  std::string ended_;      // how the leader ended, once it has
};

// Opens (creating its folder) the log a service appends to; -1 with `error` set. The log
// is the step's own file (engine/util/own_file.h): a link, a FIFO or a second hard link
// planted at its name is refused, never written through.
int OpenLog(const std::string& path, std::string& error) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // 0600: a service's output goes there as it is, unmasked (breakI I11: a secret it printed
  // was readable by every local user in /tmp).
  auto fd = OpenOwnFile(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (!fd.ok()) error = "cannot use log '" + path + "': " + fd.status().message();
  return fd.ok() ? fd.value() : -1;
}

}  // namespace

std::unique_ptr<BackgroundProcess> PosixProcessRunner::Start(const BackgroundRequest& req,
                                                             std::string& error) {
  std::string exe = ResolveArgv0(req.argv, req.env, error);
  if (exe.empty()) return nullptr;
  int fd = OpenLog(req.log_path, error);
  if (fd < 0) return nullptr;
  EnvMap env = req.env;
  std::string tracking_id = NewTrackingId();
  env[kTrackingVar] = tracking_id;
  BecomeSubreaper();
  std::unique_ptr<StepCgroup> cgroup = StepCgroup::Create(tracking_id);  // null where none
  pid_t pid = SpawnTiedToParent(
      {exe, req.argv, req.cwd, env, fd, fd, cgroup ? cgroup->procs_fd() : -1, ""}, error);
  close(fd);
  if (pid < 0) return nullptr;
  return std::make_unique<PosixBackgroundProcess>(pid, std::move(tracking_id), req.redact,
                                                  std::move(cgroup));
}

}  // namespace runbook
