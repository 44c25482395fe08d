// posix_spawn into a new process group, shared by the step runner (process_runner.cpp) and
// background processes (background_process.cpp). No threads of its own; safe to call from
// several threads at once.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "engine/plugin/process.h"

namespace runbook {

struct SpawnSpec {
  std::string exe;  // resolved path of argv[0]
  const std::vector<std::string>& argv;
  const std::string& cwd;  // empty: the current directory
  const EnvMap& env;       // the complete environment
  int stdout_fd = -1;      // becomes the child's fd 1
  int stderr_fd = -1;      // becomes the child's fd 2
  // An fd on a cgroup's cgroup.procs (step_cgroup.h), or -1: the child moves itself in
  // before exec, so every process it starts is in the cgroup too.
  int cgroup_procs_fd = -1;
  // The child's stdin, opened read-only; empty: /dev/null.
  std::string stdin_path;
};

// Starts the child in its own process group (pgid = pid), stdin from spec.stdin_path (default
// /dev/null), default
// dispositions for every signal (SIGXFSZ and SIGPIPE too, which runbook ignores, and glibc's
// internal 32 and 33) and an empty mask.
// The child is noted as one its spawner waits for: release it with ReleaseChild. Returns its pid,
// or -1 with `error` set. posix_spawn, or vfork where the child must enter a cgroup first.
pid_t SpawnInGroup(const SpawnSpec& spec, std::string& error);

// As SpawnInGroup, and the child gets SIGTERM when the thread that spawned it dies
// (PR_SET_PDEATHSIG), so a `kill -9` of runbook does not leave it running. Uses vfork (a
// posix_spawn attribute cannot set it): for rare, long-lived children such as services.
pid_t SpawnTiedToParent(const SpawnSpec& spec, std::string& error);

// Reaps a child started by the functions above (blocking until it exits) and stops
// counting it as one a spawner waits for (process_tree.h). Call it once per child.
void ReleaseChild(pid_t pid);

// argv[0] resolved in the PATH of `env`; "" with `error` set when it cannot be found.
std::string ResolveArgv0(const std::vector<std::string>& argv, const EnvMap& env,
                         std::string& error);

// "SIGTERM", or "signal 77" for one without a name.
std::string SignalName(int sig);

// A pidfd for `pid` (readable once it exits), or -1 where the kernel has none.
int PidfdOpen(pid_t pid);

}  // namespace runbook
