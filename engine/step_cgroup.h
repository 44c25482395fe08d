// A cgroup (v2) for each process tree runbook spawns, where one can be made: membership is
// inherited by every descendant and cannot be dropped by clearing the environment (env -i,
// env -u RUNBOOK_TRACKING_ID, a forged id) nor by setsid or a double fork, so what a step
// leaves running is found and ended with the step (issue 12 E; systemd ends a unit's
// processes the same way). Where none can be made (no cgroup2 mount, not writable: a
// non-root user without delegation) the tracking id alone is used (process_tree.h).
// Layout: <cgroup2 mount><runbook's own cgroup>/runbook-<tracking prefix>/<name>, removed
// when empty; the runbook-* folder is held with a shared flock while its runbook lives, and
// the next runbook removes it once it is gone and empty, in any pid namespace (breakN N6).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace runbook {

class StepCgroup {
 public:
  // A new, empty cgroup named `name` (a tracking id) under this process's
  // runbook-<tracking prefix> folder; nullptr where cgroups cannot be made here. Never throws.
  static std::unique_ptr<StepCgroup> Create(const std::string& name);
  ~StepCgroup();  // removes the cgroup (best effort: it must be empty by then)
  StepCgroup(const StepCgroup&) = delete;
  StepCgroup& operator=(const StepCgroup&) = delete;

  // An fd open for writing on its cgroup.procs: a child writes "0" there before exec to
  // move itself in (async-signal-safe: one write(2)), so nothing it starts is ever outside.
  int procs_fd() const { return procs_fd_; }
  // The pids in it now (live or zombie), in no order.
  std::vector<pid_t> Members() const;
  // Whether `pid` is in it now (/proc/PID/cgroup), for checking a pid again once its pidfd
  // is open.
  bool Holds(pid_t pid) const;

 private:
  StepCgroup(std::string dir, std::string relative, int procs_fd)
      : dir_(std::move(dir)), relative_(std::move(relative)), procs_fd_(procs_fd) {}
  std::string dir_;       // its folder in the cgroup2 mount
  std::string relative_;  // its path as /proc/PID/cgroup's "0::" line gives it
  int procs_fd_ = -1;
};

// Whether `pid` is in a step cgroup of the runbook process whose tracking prefix is `prefix`
// (TrackingPrefix(): its cgroup is ".../runbook-<prefix>/<prefix><n>"). Read from
// /proc/PID/cgroup, so it holds after that runbook was killed, for any later command, and
// whatever the process did to its environment (breakM M7: env -i escaped the leftover check).
bool InStepCgroupOf(pid_t pid, const std::string& prefix);

}  // namespace runbook
