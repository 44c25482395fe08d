// The POSIX process runner: posix_spawn into a new process group, stdout/stderr through
// pipes, a poll loop over the pipes, a pidfd (exit), the cancel token and the deadline.
// Modelled on ninja's subprocess loop. Why not Boost.Process: its 1.74 wait_for blocks on
// exited children, swaps the SIGCHLD handler and loses exit codes of groups
// (docs/architecture.md). Descendants that leave the group are ended with the step
// (process_tree.h). Thread-safe: each Run() owns its child. A request's deadline and the
// result's duration are read on the Clock given (the executor's); the grace periods between
// SIGTERM and SIGKILL and the drain after the leader's exit are real time (clock.h).
#pragma once

#include "engine/plugin/process.h"

namespace runbook {

class PosixProcessRunner final : public ProcessRunner {
 public:
  explicit PosixProcessRunner(const Clock& clock = RealClock()) : clock_(clock) {}
  ProcessResult Run(const ProcessRequest& request, const CancelToken& cancel) override;
  // background_process.cpp
  std::unique_ptr<BackgroundProcess> Start(const BackgroundRequest& request,
                                           std::string& error) override;

 private:
  const Clock& clock_;
};

// Where `name` is found in `path_var` (a PATH value); "" when not found or not executable.
std::string FindExecutable(const std::string& name, const std::string& path_var);

// The current process's environment as a map.
EnvMap CurrentEnvironment();

}  // namespace runbook
