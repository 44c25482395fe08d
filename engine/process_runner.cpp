// Phases of Run(): resolve argv[0] in the child's PATH, spawn into a new process group with
// a fresh tracking id in its environment, then one poll loop until the leader has exited and
// both pipes are closed, or a short drain after its exit has passed (a descendant that left
// the group may hold them). Deadline and cancellation send SIGTERM to the group, SIGKILL
// after the grace. When the leader exits, the rest of its group gets SIGTERM; then every
// process holding the tracking id is ended (process_tree.h) and named in the step's stderr.
#include "engine/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/process_capture.h"
#include "engine/process_tree.h"
#include "engine/spawn.h"
#include "engine/step_cgroup.h"

extern char** environ;

namespace runbook {
namespace {

// How long the pipes may stay open after the leader exited: only a descendant that left the
// group holds them that long, and it is ended anyway.
constexpr Millis kDrainGrace{500};

struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) close(fd);
    }
  }
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

class Supervisor {
 public:
  Supervisor(const ProcessRequest& req, const Clock& clock, const CancelToken& cancel, pid_t pid,
             std::string tracking_id, const StepCgroup* cgroup, Pipes& pipes, ProcessResult& result)
      : req_(req),
        clock_(clock),
        cancel_(cancel),
        pid_(pid),
        tracking_id_(std::move(tracking_id)),
        cgroup_(cgroup),
        pipes_(pipes),
        result_(result),
        out_(req.capture_head, req.capture_tail, LineSink(false), req.redact,
             {req.form_begun_at_end, req.redact_part}),
        err_(req.capture_head, req.capture_tail, LineSink(true), req.redact,
             {req.form_begun_at_end, req.redact_part}) {}

  void Loop() {
    int pidfd = PidfdOpen(pid_);
    while (!reaped_ || pipes_.out[0] >= 0 || pipes_.err[0] >= 0) {
      if (!Step(pidfd)) break;
    }
    if (pidfd >= 0) close(pidfd);
    if (!reaped_) Reap(true);
    if (!nothing_left_) {
      EndDescendants();
      kill(-pid_, SIGKILL);  // nothing of the step outlives it; the zombie keeps the id ours
    }
    ReleaseChild(pid_);  // now release the zombie
    result_.out = out_.Finish();
    result_.err = err_.Finish();
  }

 private:
  std::function<void(std::string_view)> LineSink(bool is_stderr) {
    if (!req_.on_line) return {};
    return [this, is_stderr](std::string_view line) { req_.on_line(is_stderr, line); };
  }

  // One poll round. Returns false when the loop must stop.
  bool Step(int pidfd) {
    pollfd fds[4];
    int n = 0;
    int out_i = -1, err_i = -1, pid_i = -1, cancel_i = -1;
    if (pipes_.out[0] >= 0) fds[out_i = n++] = {pipes_.out[0], POLLIN, 0};
    if (pipes_.err[0] >= 0) fds[err_i = n++] = {pipes_.err[0], POLLIN, 0};
    if (!reaped_ && pidfd >= 0) fds[pid_i = n++] = {pidfd, POLLIN, 0};
    if (!result_.cancelled && cancel_.wait_fd() >= 0)
      fds[cancel_i = n++] = {cancel_.wait_fd(), POLLIN, 0};
    int rc = poll(fds, n, PollTimeoutMs(pidfd));
    if (rc < 0 && errno != EINTR) return false;
    if (out_i >= 0 && fds[out_i].revents) Read(pipes_.out[0], out_, req_.on_stdout_data);
    if (err_i >= 0 && fds[err_i].revents) Read(pipes_.err[0], err_);
    if ((pid_i >= 0 && fds[pid_i].revents) || (pidfd < 0 && !reaped_)) Reap(pidfd >= 0);
    if (cancel_i >= 0 && fds[cancel_i].revents) OnCancel();
    out_.Tick();  // a line the live view held, shown after a quiet second
    err_.Tick();
    return CheckTimers();
  }

  // At most a second: a Clock that is moved on (a test's) is looked at again within one.
  int PollTimeoutMs(int pidfd) const {
    long long wait = pidfd < 0 && !reaped_ ? 10 : 1000;  // without a pidfd, poll waitpid
    auto consider = [&](std::optional<Clock::Mono> at, Clock::Mono now) {
      if (!at) return;
      auto ms = std::chrono::duration_cast<Millis>(*at - now).count() + 1;
      wait = std::max<long long>(0, std::min<long long>(wait, ms));
    };
    if (!result_.timed_out && !result_.cancelled) consider(req_.deadline, clock_.Now());
    if (!killed_) consider(kill_at_, RealNow());
    if (reaped_) consider(give_up_at_, RealNow());
    if (result_.cancelled && !forced_) wait = std::min<long long>(wait, 100);  // watch for a 2nd ^C
    return static_cast<int>(wait);
  }

  // Reads what is there into `capture`, or to `consumer` when one is given.
  void Read(int& fd, StreamCapture& capture,
            const std::function<void(std::string_view)>& consumer = {}) {
    char buf[65536];
    ssize_t got = read(fd, buf, sizeof buf);
    if (got > 0 && consumer) {
      consumer(std::string_view(buf, static_cast<size_t>(got)));
    } else if (got > 0) {
      capture.Append(std::string_view(buf, static_cast<size_t>(got)));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseFd(fd);
    }
  }

  // Notes the leader's exit without reaping it: the zombie keeps its pid, and so the
  // group id, reserved, so signalling the group can never hit a recycled pid.
  void Reap(bool block) {
    siginfo_t info{};
    int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, flags) != 0 || info.si_pid != pid_) return;
    reaped_ = true;
    if (info.si_code == CLD_EXITED)
      result_.exit_code = info.si_status;
    else
      result_.term_signal = info.si_status;
    // Nothing of the step left (its cgroup empty, no stray child): nothing to name or end.
    nothing_left_ = cgroup_ != nullptr && NothingLeft(*cgroup_);
    if (nothing_left_) return Drained();
    // Anything the leader left in its group goes too, named first; its pipes then close.
    if (!termed_) result_.left_in_group = GroupMembers(pid_, pid_, req_.redact);
    Terminate(false);
    Drained();
  }

  // The leader is gone: the pipes are read until they close, for at most kDrainGrace.
  void Drained() {
    if (!give_up_at_) give_up_at_ = RealNow() + kDrainGrace;
  }

  // Every process still holding the step's tracking id: the rest of its group (already
  // sent SIGTERM) and what left the group (setsid, double fork), which the log names.
  // Named in result_.ended, never in the tool's own stderr; a second ^C ends the grace.
  void EndDescendants() {
    Millis grace = forced_ ? Millis(0) : req_.grace;
    const CancelToken& cancel = cancel_;
    result_.ended = EndTracked(
        tracking_id_, pid_, pid_, grace, req_.redact, [&] { return cancel.forced(); }, cgroup_);
  }

  void OnCancel() {
    result_.cancelled = true;
    Terminate(cancel_.forced());
  }

  // One SIGTERM per group, whatever asks for it (deadline, ^C, the leader's exit): a nested
  // runbook would take a second one as a second ^C.
  void Terminate(bool now) {
    if (!now && termed_) return;
    termed_ = termed_ || !now;
    if (kill(-pid_, now ? SIGKILL : SIGTERM) != 0 && errno == ESRCH) return;
    if (!now) kill(-pid_, SIGCONT);  // a stopped member would hold SIGTERM until SIGKILL
    if (!kill_at_) kill_at_ = RealNow() + (now ? Millis(0) : req_.grace);
  }

  // The grace periods and reaping are real time; the deadline is the Clock's (clock.h).
  static Clock::Mono RealNow() { return Clock::Mono::clock::now(); }

  bool CheckTimers() {
    auto now = RealNow();
    if (result_.cancelled && cancel_.forced() && !forced_) {
      forced_ = true;
      kill(-pid_, SIGKILL);
    }
    if (!result_.timed_out && !result_.cancelled && req_.deadline &&
        clock_.Now() >= *req_.deadline) {
      result_.timed_out = true;
      Terminate(false);
    }
    if (kill_at_ && now >= *kill_at_ && !killed_) {
      killed_ = true;
      kill(-pid_, SIGKILL);
    }
    if (now >= next_reap_) {  // zombies of orphans that reparented to runbook
      ReapAdopted();
      next_reap_ = now + Millis(1000);
    }
    // A descendant that escaped the group (setsid) may hold the pipes open: stop waiting.
    if (give_up_at_ && now >= *give_up_at_ && reaped_) {
      CloseFd(pipes_.out[0]);
      CloseFd(pipes_.err[0]);
    }
    return true;
  }

  const ProcessRequest& req_;
  const Clock& clock_;
  const CancelToken& cancel_;
  pid_t pid_;
  std::string tracking_id_;   // in the environment of the leader and its descendants
  const StepCgroup* cgroup_;  // holding the leader and its descendants; null where none
  Pipes& pipes_;
  ProcessResult& result_;
  StreamCapture out_;
  StreamCapture err_;
  bool reaped_ = false;  // the leader has exited (noted, not yet released)
  bool killed_ = false;
  bool termed_ = false;        // the group has had its SIGTERM
  bool nothing_left_ = false;  // NothingLeft() once the leader exited: no ending to do
  bool forced_ = false;
  std::optional<Clock::Mono> kill_at_;
  std::optional<Clock::Mono> give_up_at_;
  Clock::Mono next_reap_ = RealNow() + Millis(1000);
};

}  // namespace

std::string FindExecutable(const std::string& name, const std::string& path_var) {
  if (name.find('/') != std::string::npos) return name;
  size_t start = 0;
  while (start <= path_var.size()) {
    size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

EnvMap CurrentEnvironment() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

std::string ProcessResult::Describe() const {
  if (!spawned) return spawn_error;
  // runbook's own signal, said as such (newcomer N9: "killed by SIGTERM" after a Ctrl-C read
  // as if something else had killed it).
  if (timed_out)
    return "timed out" +
           (term_signal ? " (runbook ended its processes: " + SignalName(term_signal) + ")" : "");
  if (cancelled)
    return "cancelled" +
           (term_signal ? " (runbook ended its processes: " + SignalName(term_signal) + ")" : "");
  if (term_signal) return "killed by " + SignalName(term_signal);
  return "exit code " + std::to_string(exit_code);
}

ProcessResult PosixProcessRunner::Run(const ProcessRequest& req, const CancelToken& cancel) {
  ProcessResult result;
  auto start = clock_.Now();
  std::string exe = ResolveArgv0(req.argv, req.env, result.spawn_error);
  if (exe.empty()) return result;
  Pipes pipes;
  if (pipe2(pipes.out, O_CLOEXEC) != 0 || pipe2(pipes.err, O_CLOEXEC) != 0) {
    result.spawn_error = std::string("cannot create pipes: ") + std::strerror(errno);
    return result;
  }
  BecomeSubreaper();  // orphans of the step reparent to runbook, not to init
  EnvMap env = req.env;
  std::string tracking_id = NewTrackingId();
  env[kTrackingVar] = tracking_id;
  std::unique_ptr<StepCgroup> cgroup =
      req.contain ? StepCgroup::Create(tracking_id) : nullptr;  // null where none
  SpawnSpec spec{exe,
                 req.argv,
                 req.cwd,
                 env,
                 pipes.out[1],
                 pipes.err[1],
                 cgroup ? cgroup->procs_fd() : -1,
                 req.stdin_path};
  pid_t pid = req.die_with_runbook ? SpawnTiedToParent(spec, result.spawn_error)
                                   : SpawnInGroup(spec, result.spawn_error);
  CloseFd(pipes.out[1]);
  CloseFd(pipes.err[1]);
  if (pid < 0) return result;
  result.spawned = true;
  Supervisor(req, clock_, cancel, pid, std::move(tracking_id), cgroup.get(), pipes, result).Loop();
  result.duration = std::chrono::duration_cast<Millis>(clock_.Now() - start);
  return result;
}

}  // namespace runbook
