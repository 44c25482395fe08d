#include "engine/spawn.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "engine/process_runner.h"
#include "engine/process_tree.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// argv and envp as exec wants them, built before spawning: after a fork only
// async-signal-safe calls may run, so nothing is allocated in the child.
struct ExecImage {
  explicit ExecImage(const SpawnSpec& spec) : args(spec.argv) {
    for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
  }
  std::vector<std::string> args, env_strings;
  std::vector<char*> argv, envp;
};

// The interpreter a script's `#!` line names when that program is not there (the kernel's
// ENOENT for a script that exists: breakX X9), else "".
std::string MissingInterpreter(const SpawnSpec& spec) {
  std::string path = spec.argv[0];
  if (path.empty()) return "";
  if (path[0] != '/' && !spec.cwd.empty()) path = spec.cwd + "/" + path;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("#!", 0) != 0) return "";
  size_t start = line.find_first_not_of(" \t", 2);
  if (start == std::string::npos) return "";
  std::string interpreter = line.substr(start, line.find_first_of(" \t\r", start) - start);
  return ::access(interpreter.c_str(), F_OK) == 0 ? "" : interpreter;
}

// "cannot start 'x': <strerror>", naming the folder when it may be the missing part, or the
// interpreter of a script that is there.
std::string SpawnError(const SpawnSpec& spec, int err) {
  std::string error = "cannot start '" + spec.argv[0] + "': " + std::strerror(err);
  if (err != ENOENT) return error;
  if (std::string interpreter = MissingInterpreter(spec); !interpreter.empty())
    return "cannot start '" + spec.argv[0] + "': its interpreter '" + Printable(interpreter) +
           "' (its #! line) does not exist";
  if (!spec.cwd.empty()) error += " (or no directory '" + spec.cwd + "')";
  return error;
}

// Why the command cannot be started as asked, "" when it can: exec takes NUL-terminated
// strings and splits `NAME=VALUE` at the first '=', so a NUL would cut an argument or a value
// short and a name holding '=' (or empty) would set another variable, all without a word.
// Checked here, where every command of every step is started, whatever made the text (an
// output, fromJSON(), a `with.env` map of an expression; break23a C3 at run time). Names are
// said (Printable); values never: they may be secrets.
std::string ImageProblem(const SpawnSpec& spec) {
  for (size_t i = 0; i < spec.argv.size(); ++i)
    if (spec.argv[i].find('\0') != std::string::npos)
      return "argument " + std::to_string(i) +
             " of the command holds a NUL character, which "
             "cannot be passed to a program (it would be cut there)";
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos)
      return "the environment variable name '" + Printable(name) +
             "' is empty or holds '=' or a NUL (it would set another variable)";
    if (value.find('\0') != std::string::npos)
      return "the value of environment variable " + name +
             " holds a NUL character, which cannot be passed to a program (it would be cut "
             "there)";
  }
  return "";
}

}  // namespace

pid_t SpawnForked(const SpawnSpec& spec, bool tie_to_parent, std::string& error);

pid_t SpawnInGroup(const SpawnSpec& spec, std::string& error) {
  if (error = ImageProblem(spec); !error.empty()) return -1;
  if (spec.cgroup_procs_fd >= 0) return SpawnForked(spec, false, error);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(
      &actions, 0, spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, spec.stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, spec.stderr_fd, 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  // Own process group (pgid = pid) so the whole tree can be signalled; default signal
  // dispositions and an empty mask, whatever runbook itself blocks or ignores.
  // glibc's sigfillset leaves out its internal signals (32, 33), and its posix_spawn then
  // sets them to SIG_IGN in the child: every bit set instead, so they are default too.
  sigset_t all, none;
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_USEVFORK);
  ExecImage image(spec);
  pid_t pid = -1;
  auto children = LockChildren();
  int rc =
      posix_spawn(&pid, spec.exe.c_str(), &actions, &attr, image.argv.data(), image.envp.data());
  if (rc == 0) NoteChild(pid);
  children.unlock();
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    error = SpawnError(spec, rc);
    return -1;
  }
  return pid;
}

namespace {

// In the child: own group, its cgroup, tied to the parent thread (`parent` > 0), default
// signals, the fds, the folder. The child of a vfork: it shares the parent's memory and
// stack, so only async-signal-safe calls, nothing allocated, and it never returns; an exec
// that fails leaves its errno in `*failed` for the parent.
[[noreturn]] void ExecChild(const SpawnSpec& spec, ExecImage& image, pid_t parent,
                            volatile int* failed) {
  setpgid(0, 0);
  if (spec.cgroup_procs_fd >= 0) {
    ssize_t moved = write(spec.cgroup_procs_fd, "0", 1);  // refused: tracked by its id only
    (void)moved;
  }
  if (parent > 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died before the tie was made
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  int in = open(spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path.c_str(), O_RDONLY);
  int rc = in < 0 || dup2(in, 0) < 0 || dup2(spec.stdout_fd, 1) < 0 || dup2(spec.stderr_fd, 2) < 0;
  if (rc == 0 && (spec.cwd.empty() || chdir(spec.cwd.c_str()) == 0))
    execve(spec.exe.c_str(), image.argv.data(), image.envp.data());
  *failed = errno;
  _exit(127);
}

}  // namespace

pid_t SpawnTiedToParent(const SpawnSpec& spec, std::string& error) {
  if (error = ImageProblem(spec); !error.empty()) return -1;
  return SpawnForked(spec, true, error);
}

// vfork, not fork (issue 15): fork copied the page tables of runbook's whole address space
// for every step that gets a cgroup, some milliseconds each. Every signal stays blocked in
// this thread until the child has exec'd, so no handler of ours runs in the child, which
// shares our memory (glibc's posix_spawn does the same around its CLONE_VFORK).
pid_t SpawnForked(const SpawnSpec& spec, bool tie_to_parent, std::string& error) {
  ExecImage image(spec);
  pid_t parent = getpid();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  volatile int child_errno = 0;
  auto children = LockChildren();  // held until the child is noted (or waited for)
  pid_t pid = vfork();
  if (pid == 0) ExecChild(spec, image, tie_to_parent ? parent : 0, &child_errno);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0 || child_errno != 0) {
    int e = pid < 0 ? fork_errno : child_errno;
    if (pid > 0) waitpid(pid, nullptr, 0);
    error = SpawnError(spec, e);
    return -1;
  }
  NoteChild(pid);
  return pid;
}

void ReleaseChild(pid_t pid) {
  auto children = LockChildren();
  int status = 0;
  waitpid(pid, &status, 0);
  ForgetChild(pid);
}

std::string ResolveArgv0(const std::vector<std::string>& argv, const EnvMap& env,
                         std::string& error) {
  if (argv.empty() || argv[0].empty()) {
    error = "empty command";
    return "";
  }
  auto path_it = env.find("PATH");
  std::string exe = FindExecutable(argv[0], path_it == env.end() ? "" : path_it->second);
  if (exe.empty()) error = "command not found: '" + argv[0] + "' (not in PATH)";
  return exe;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace runbook
