#include "serve/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "engine/executor.h"
#include "engine/util/clock.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

std::vector<std::string> Argv(const std::string& self, const std::string& audit_db,
                              const std::string& run_id, const LaunchRequest& r) {
  std::vector<std::string> argv = {self};
  if (r.resume_id.empty()) {
    argv.insert(argv.end(), {"run", r.file});
  } else {
    argv.insert(argv.end(), {"resume", r.resume_id, "--runbook", r.file});
  }
  // --wait: a lock another runbook holds is waited for, not a failure (docs/serve.md).
  argv.insert(argv.end(),
              {"--audit-db", audit_db, "--run-id", run_id, "--wait", "--approvals-via-api"});
  if (!r.trigger.is_null()) argv.insert(argv.end(), {"--trigger", ToJson(r.trigger)});
  for (const auto& [name, value] : r.sets) argv.insert(argv.end(), {"--set", name + "=" + value});
  for (const std::string& step : r.reruns) argv.insert(argv.end(), {"--rerun", step});
  if (r.end_leftovers) argv.push_back("--end-leftovers");
  return argv;
}

// In the child, between fork and exec: only async-signal-safe calls (serve has threads).
// `exec_fd` (close-on-exec) closes at the exec; on failure it gets the errno.
[[noreturn]] void ExecChild(pid_t parent, int log_fd, int null_fd, int exec_fd, char* const* argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // serve died before prctl took effect
  ::setpgid(0, 0);  // its own group: serve's terminal signals do not reach it twice
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  ::execv(argv[0], argv);
  int err = errno;
  (void)!::write(exec_fd, &err, sizeof err);
  ::_exit(127);
}

// Waits until the child has exec'd (its end of `fds` closed) or failed to: a cancel sent
// before would reach a copy of serve, whose handler takes the signal, and the run would then
// start and never see it (found by the scheduler's cancel_running test). 0, or the errno.
int WaitForExec(int fds[2]) {
  ::close(fds[1]);
  int err = 0;
  ssize_t got;
  do got = ::read(fds[0], &err, sizeof err);
  while (got < 0 && errno == EINTR);
  ::close(fds[0]);
  return got == static_cast<ssize_t>(sizeof err) ? err : 0;
}

std::string Marker(const std::string& log_dir, const std::string& run_id) {
  return log_dir + "/" + run_id + ".running";
}

}  // namespace

std::vector<std::string> Launcher::LeftRunning(const std::string& log_dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    std::string name = entry.path().filename().string();
    const std::string suffix = ".running";
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    ids.push_back(name.substr(0, name.size() - suffix.size()));
    ::unlink(entry.path().c_str());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string SetText(const Value& value) {
  return value.is_string() ? value.as_string() : ToJson(value);
}

Launcher::Launcher(std::string self, std::string audit_db, std::string log_dir)
    : self_(std::move(self)), audit_db_(std::move(audit_db)), log_dir_(std::move(log_dir)) {}

Result<pid_t> Launcher::SpawnLocked(std::vector<std::string> args, const std::string& log,
                                    int log_flags) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | log_flags, 0600);
  if (log_fd < 0) return Status::FromErrno("cannot open " + log, errno);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int exec_fds[2];
  if (::pipe2(exec_fds, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return Status::FromErrno("cannot start a run", err);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) ExecChild(parent, log_fd, null_fd, exec_fds[1], argv.data());
  int err = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    ::close(exec_fds[0]);
    ::close(exec_fds[1]);
    return Status::FromErrno("cannot start a run", err);
  }
  if (int failed = WaitForExec(exec_fds); failed != 0) {
    ::waitpid(pid, nullptr, 0);
    return Status::FromErrno("cannot run " + self_, failed);
  }
  return pid;
}

Result<LaunchedRun> Launcher::Start(const LaunchRequest& request) {
  LaunchedRun run;
  run.run_id = NewRunId(SystemClock());
  run.runbook = request.runbook;
  run.log = log_dir_ + "/" + run.run_id + ".log";
  run.file = request.file;
  run.sets = request.sets;
  std::lock_guard<std::mutex> lock(mu_);
  auto pid = SpawnLocked(Argv(self_, audit_db_, run.run_id, request), run.log, O_CREAT | O_EXCL);
  if (!pid.ok()) return pid.status();
  run.pid = pid.value();
  running_[run.pid] = run;
  int marker = ::open(Marker(log_dir_, run.run_id).c_str(),
                      O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (marker >= 0) ::close(marker);  // best effort: without it a restart resumes less
  return run;
}

bool Launcher::MayBeLost(int exit_code) {
  return exit_code != 0 && exit_code != 1 && exit_code != 4;
}

Status Launcher::NotifyIfLost(const EndedRun& ended) {
  std::vector<std::string> args = {self_,
                                   "run",
                                   ended.run.file,
                                   "--audit-db",
                                   audit_db_,
                                   "--run-id",
                                   ended.run.run_id,
                                   "--lost-exit",
                                   std::to_string(ended.exit_code)};
  for (const auto& [name, value] : ended.run.sets)
    args.insert(args.end(), {"--set", name + "=" + value});
  std::lock_guard<std::mutex> lock(mu_);
  auto pid = SpawnLocked(std::move(args), ended.run.log, O_APPEND);
  if (!pid.ok()) return pid.status();
  helpers_[pid.value()] = ended.run.run_id;
  return Status::Ok();
}

std::vector<LaunchedRun> Launcher::Running(const std::string& runbook) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  std::vector<LaunchedRun> out;
  for (const auto& [pid, run] : running_) {
    if (run.runbook == runbook) out.push_back(run);
  }
  return out;
}

bool Launcher::IsRunning(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (const auto& [pid, run] : running_) {
    if (run.run_id == run_id) return true;
  }
  return false;
}

bool Launcher::Cancel(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (const auto& [pid, run] : running_) {
    if (run.run_id == run_id) return ::kill(pid, SIGINT) == 0;
  }
  return false;
}

std::vector<EndedRun> Launcher::Reap() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  return std::exchange(unreported_, {});
}

// Every query reaps first: a child that has ended is never taken as running (a cancel
// answered 202 for a run already over).
void Launcher::ReapLocked() const {
  for (auto it = helpers_.begin(); it != helpers_.end();) {
    int status = 0;
    if (::waitpid(it->first, &status, WNOHANG) != it->first) {
      ++it;
      continue;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
      helper_failures_.push_back("run " + it->second + ": its failure was not sent (exit " +
                                 std::to_string(code) + "): see " + LogOf(it->second));
    it = helpers_.erase(it);
  }
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    if (::waitpid(it->first, &status, WNOHANG) != it->first) {
      ++it;
      continue;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::unlink(Marker(log_dir_, it->second.run_id).c_str());
    unreported_.push_back({it->second, code});
    ended_.push_back(unreported_.back());
    if (ended_.size() > 100) ended_.erase(ended_.begin());
    it = running_.erase(it);
  }
}

std::vector<std::string> Launcher::UnsentFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  return std::exchange(helper_failures_, {});
}

std::optional<EndedRun> Launcher::Launched(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  for (const auto& [pid, run] : running_) {
    if (run.run_id == run_id) return EndedRun{run, -1};
  }
  for (const EndedRun& e : ended_) {
    if (e.run.run_id == run_id) return e;
  }
  return std::nullopt;
}

}  // namespace runbook
