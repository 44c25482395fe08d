// Processes that leave a step's process group (setsid, double fork): runbook is a child
// subreaper and tags each spawn with RUNBOOK_TRACKING_ID (as GitHub Actions' runner does with
// RUNNER_TRACKING_ID); holders of a tag are found in /proc, ended through pidfds (SIGTERM,
// grace, SIGKILL) and reaped. Also the registry of children a spawner waits for itself.
// Linux only; thread-safe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/util/duration.h"

namespace runbook {

class Redactor;

constexpr const char* kTrackingVar = "RUNBOOK_TRACKING_ID";

// prctl(PR_SET_CHILD_SUBREAPER) for the whole process, once. False where refused.
bool BecomeSubreaper();

// What every tracking id of this process starts with: "<pid>-<random>-". A run records it
// (run_started's `tracking_prefix`), so the resume of a killed run can find what that run's
// steps left running.
std::string TrackingPrefix();

// An id unique on this host for the life of this process: TrackingPrefix() + "<n>".
std::string NewTrackingId();

// Masks the secrets in a text cut at `cut_edges` (engine/redact.h CutEdge), as
// Redactor::ApplyCut; empty: there is nothing to mask. Every line below that names a process
// passes its command line through it whole, before anything is cut from it.
using Masker = std::function<std::string(std::string text, unsigned cut_edges)>;

// Redactor::ApplyCut of `r`, which must outlive the Masker.
Masker MaskerOf(const Redactor& r);

// A live process that holds a tracking id; owns `pidfd` (closed by EndTracked).
struct TrackedProcess {
  pid_t pid = 0;
  pid_t pgid = 0;
  int pidfd = -1;
  std::string command;       // its command line as read (NULs as spaces): unmasked, not to print
  bool command_cut = false;  // the command line is longer than the 4 KiB read
  bool stopped = false;      // stopped (SIGSTOP, SIGTSTP) when found
};

class StepCgroup;

// "process 123 (sleep 100)": the command line masked with `mask` first, then put on one line
// (\n escaped, control characters as '?') and shortened to 200 bytes plus "...".
std::string ProcessName(const TrackedProcess& p, const Masker& mask);

// Live descendants of runbook (not zombies) whose environment holds `id`, except `except`,
// and the live members of `cgroup` (when there is one: also those that dropped or forged the
// id). Only descendants and members: a process elsewhere that copied the id is never returned.
std::vector<TrackedProcess> FindTracked(const std::string& id, pid_t except = 0,
                                        const StepCgroup* cgroup = nullptr);

// Live members of process group `pgid` among runbook's descendants, `except` left out, one
// line each: "process 124 (sleep 100)" (ProcessName). For naming what a step left in its own
// group.
std::vector<std::string> GroupMembers(pid_t pgid, pid_t except, const Masker& mask);

// The accounts whose processes may claim a killed run's tracking id (FindLeftovers): the
// run's own account is among them (a run without step cgroups, any non-root account's, is
// found only by the id; breakO O21: root ignored a cron account's leftovers and ran the step
// again beside them), another account's copy of an id is no claim (breakN N20).
using Accounts = std::set<uid_t>;

// Live processes anywhere on this host in a step cgroup named by `prefix` (InStepCgroupOf:
// what cleared its environment too), or of one of `accounts` (real uid) holding a tracking
// id that starts with `prefix`, runbook itself excepted: what a killed runbook's steps left
// running (they reparented to init or a subreaper). Empty prefix: none.
std::vector<TrackedProcess> FindLeftovers(const std::string& prefix, const Accounts& accounts);
// Whether FindLeftovers(prefix, accounts) finds any (their pidfds closed).
bool AnyLeftovers(const std::string& prefix, const Accounts& accounts);

// Ends FindLeftovers(prefix, accounts) as EndTracked does (SIGTERM, `grace`, SIGKILL), one
// line each.
std::vector<std::string> EndLeftovers(const std::string& prefix, const Accounts& accounts,
                                      Millis grace, const Masker& mask);

// Ends every process holding `id`, rescanning until none is left: SIGTERM (and SIGCONT, so a
// stopped one can act on it), up to `grace` for them to exit, then SIGKILL; at once when
// `hurry` returns true (a second signal to runbook). Zombies that are runbook's children are
// reaped. Returns one line per process outside `group` (0: report all):
// "process 123 (sleep 100): SIGTERM", named by ProcessName with `mask`.
std::vector<std::string> EndTracked(const std::string& id, pid_t except, pid_t group, Millis grace,
                                    const Masker& mask, const std::function<bool()>& hurry = {},
                                    const StepCgroup* cgroup = nullptr);

// Children runbook's spawners wait for themselves (step and service leaders): hold the lock
// from before the spawn until NoteChild, and around the final waitpid and ForgetChild, so
// ReapAdopted never takes a zombie a spawner still needs.
std::unique_lock<std::mutex> LockChildren();
void NoteChild(pid_t pid);    // with the lock held
void ForgetChild(pid_t pid);  // with the lock held

// Whether nothing of a step whose leader has exited can be left anywhere: its `cgroup` (not
// null) holds no process, and runbook has no child that no spawner waits for (what left the
// cgroup, as root may, was reparented to runbook when the leader exited; were it in the
// cgroup when that was read, the cgroup was not empty). Then EndTracked, GroupMembers and the
// group's signals have nothing to find: one read of cgroup.procs and one of runbook's
// children instead of three walks of its descendants (issue 15: the 1,000-step chain).
bool NothingLeft(const StepCgroup& cgroup);

// Reaps zombies that reparented to runbook (it is their subreaper) and that no spawner
// waits for. Returns how many. Cheap enough to call a few times a second.
int ReapAdopted();

// Processes still reparented to runbook that no spawner waits for (descendants that left
// without a tracking id): SIGTERM, up to `grace`, SIGKILL, reaped. Lines as EndTracked.
std::vector<std::string> EndAdopted(Millis grace, const Masker& mask,
                                    const std::function<bool()>& hurry = {});

}  // namespace runbook
