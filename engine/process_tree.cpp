// Phases of ending a set of processes (EndWhile): scan /proc for them (each held by a pidfd
// opened before its identity is checked, so the pidfd names the process that was checked),
// SIGTERM the new ones, wait on the pidfds, rescan (a daemon may fork meanwhile); when the
// grace is over, SIGKILL what is left; reap the zombies that are runbook's own.
#include "engine/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "engine/redact.h"
#include "engine/spawn.h"
#include "engine/step_cgroup.h"
#include "engine/util/clock.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

std::mutex g_children_mu;
std::set<pid_t> g_children;  // leaders a spawner waits for itself

std::string ReadSmall(const std::string& path, size_t max) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  ssize_t got;
  while (out.size() < max && (got = read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(got));
  close(fd);
  return out;
}

struct Stat {
  char state = '?';
  pid_t ppid = 0;
  pid_t pgid = 0;
};

// /proc/PID/stat: "pid (comm) S ppid pgrp ..."; comm may hold spaces and parentheses.
bool ReadStat(pid_t pid, Stat& st) {
  std::string text = ReadSmall("/proc/" + std::to_string(pid) + "/stat", 1024);
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return false;
  int ppid = 0, pgid = 0;
  if (sscanf(text.c_str() + close_paren + 1, " %c %d %d", &st.state, &ppid, &pgid) != 3)
    return false;
  st.ppid = ppid;
  st.pgid = pgid;
  return true;
}

void ForEachPid(const std::function<void(pid_t)>& fn) {
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return;
  pid_t self = getpid();
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid <= 0 || pid == self) continue;
    fn(static_cast<pid_t>(pid));
  }
  closedir(dir);
}

// Appends the children of `pid`, from each thread's /proc/PID/task/TID/children (an orphan
// may be reparented to any thread). False where the kernel lacks these files.
bool ChildrenOf(pid_t pid, std::vector<pid_t>& out) {
  std::string tasks = "/proc/" + std::to_string(pid) + "/task/";
  bool listed = false;
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return false;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::string path = tasks + e->d_name + "/children";
    if (access(path.c_str(), R_OK) != 0) continue;
    listed = true;
    std::string text = ReadSmall(path, 1 << 20);
    for (const char* p = text.c_str(); *p != '\0';) {
      char* end = nullptr;
      long child = strtol(p, &end, 10);
      if (end == p) break;
      out.push_back(static_cast<pid_t>(child));
      p = end;
    }
  }
  closedir(dir);
  return listed;
}

// Every process whose parent is `parent`, from a scan of /proc (kernels without children
// files).
std::vector<pid_t> ScanChildren(const std::map<pid_t, pid_t>& parents, pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& [pid, ppid] : parents)
    if (ppid == parent) out.push_back(pid);
  return out;
}

// runbook's children.
std::vector<pid_t> OwnChildren() {
  std::vector<pid_t> out;
  if (ChildrenOf(getpid(), out)) return out;
  pid_t self = getpid();
  ForEachPid([&](pid_t pid) {
    Stat st;
    if (ReadStat(pid, st) && st.ppid == self) out.push_back(pid);
  });
  return out;
}

// Every live descendant of runbook (children, their children, ...), found from runbook down:
// only these may ever be signalled. A process elsewhere on the host that copied a tracking
// id is not among them.
std::vector<pid_t> OwnDescendants() {
  std::vector<pid_t> out;
  if (ChildrenOf(getpid(), out)) {
    for (size_t i = 0; i < out.size(); ++i) ChildrenOf(out[i], out);
    return out;
  }
  std::map<pid_t, pid_t> parents;
  ForEachPid([&](pid_t pid) {
    Stat st;
    if (ReadStat(pid, st)) parents[pid] = st.ppid;
  });
  out = ScanChildren(parents, getpid());
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<pid_t> more = ScanChildren(parents, out[i]);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

// Whether runbook is an ancestor of `pid` now (its parent chain reaches runbook; as runbook
// is a subreaper, orphaned descendants stay under it).
bool DescendsFromUs(pid_t pid) {
  pid_t self = getpid();
  for (int depth = 0; depth < 4096 && pid > 1; ++depth) {
    Stat st;
    if (!ReadStat(pid, st)) return false;
    if (st.ppid == self) return true;
    pid = st.ppid;
  }
  return false;
}

constexpr size_t kCommandRead = 4096;  // bytes of /proc/PID/cmdline read
constexpr size_t kCommandShown = 200;  // bytes of a masked command line shown

// The command line as read (arguments joined by spaces), and whether it was longer.
std::pair<std::string, bool> CommandLine(pid_t pid) {
  std::string text = ReadSmall("/proc/" + std::to_string(pid) + "/cmdline", kCommandRead + 1);
  bool cut = text.size() > kCommandRead;
  if (cut) text.resize(kCommandRead);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return {std::move(text), cut};
}

// Whether the environment of `pid` holds `needle` ("\0NAME=VALUE\0"), read in pieces to
// the end however large it is.
bool HoldsId(pid_t pid, const std::string& needle) {
  int fd = open(("/proc/" + std::to_string(pid) + "/environ").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string window(1, '\0');  // the first variable has no NUL before it
  char buf[65536];
  bool found = false;
  ssize_t got;
  while (!found && (got = read(fd, buf, sizeof buf)) > 0) {
    window.append(buf, static_cast<size_t>(got));
    found = window.find(needle) != std::string::npos;
    if (window.size() >= needle.size()) window.erase(0, window.size() - needle.size() + 1);
  }
  close(fd);
  return found;
}

// A pidfd for `pid`, kept only when `still_it` holds after it was opened.
TrackedProcess Track(pid_t pid, const std::function<bool(pid_t, const Stat&)>& still_it) {
  TrackedProcess p;
  Stat st;
  int fd = PidfdOpen(pid);
  if (fd < 0) return p;
  if (!ReadStat(pid, st) || st.state == 'Z' || !still_it(pid, st)) {
    close(fd);
    return p;
  }
  auto [command, cut] = CommandLine(pid);
  p = {pid, st.pgid, fd, std::move(command), cut, st.state == 'T' || st.state == 't'};
  return p;
}

using Finder = std::function<std::vector<TrackedProcess>()>;

// Reaps `p` when it is runbook's child and no spawner waits for it.
void ReapIfOurs(const TrackedProcess& p) {
  std::lock_guard<std::mutex> lock(g_children_mu);
  if (g_children.count(p.pid) != 0) return;
  siginfo_t info{};
  waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(p.pidfd), &info, WEXITED | WNOHANG);
}

class Ender {
 public:
  Ender(pid_t group, Millis grace, Masker mask, std::function<bool()> hurry)
      : group_(group),
        kill_at_(Clock::Mono::clock::now() + grace),
        grace_(grace),
        mask_(std::move(mask)),
        hurry_(std::move(hurry)) {}

  // Runs until nothing `find` returns is alive, or a while after SIGKILL.
  std::vector<std::string> Run(const Finder& find) {
    for (;;) {
      for (TrackedProcess& p : find()) Add(std::move(p));
      Collect();
      if (alive_ == 0) break;
      auto now = Clock::Mono::clock::now();
      if (!killed_ && hurry_ && hurry_()) kill_at_ = now;  // a second ^C: no more grace
      if (now >= kill_at_ && !killed_) KillAll();
      if (now >= kill_at_ + Millis(2000)) break;  // unkillable (D state): stop waiting
      Wait(now >= kill_at_ ? Millis(20) : std::min(Millis(50), ToMs(kill_at_ - now)));
    }
    for (auto& [pid, e] : procs_) close(e.p.pidfd);
    return lines_;
  }

 private:
  struct Entry {
    TrackedProcess p;
    bool gone = false;
    bool termed = false;  // got SIGTERM first
    int last_signal = 0;
    bool hurried = false;  // SIGKILL before the grace was over
  };

  static Millis ToMs(Clock::Mono::duration d) {
    return std::max(Millis(1), std::chrono::duration_cast<Millis>(d));
  }

  void Add(TrackedProcess p) {
    auto it = procs_.find(p.pid);
    if (it != procs_.end() && !it->second.gone) {
      close(p.pidfd);
      return;
    }
    if (it != procs_.end()) close(it->second.p.pidfd);
    Entry e{std::move(p)};
    ++alive_;
    if (killed_)
      Signal(e, SIGKILL);
    else if (group_ == 0 || e.p.pgid != group_)  // the caller has signalled its own group
      Signal(e, SIGTERM);
    procs_[e.p.pid] = std::move(e);
  }

  void Signal(Entry& e, int sig) {
    // glibc 2.36 declares pidfd_send_signal without C linkage: the syscall itself.
    if (syscall(SYS_pidfd_send_signal, e.p.pidfd, sig, nullptr, 0) != 0) return;
    // A stopped process would hold SIGTERM pending until SIGKILL: continue it (as systemd).
    if (sig == SIGTERM) syscall(SYS_pidfd_send_signal, e.p.pidfd, SIGCONT, nullptr, 0);
    e.last_signal = sig;
    e.termed = e.termed || sig == SIGTERM;
  }

  void KillAll() {
    killed_ = true;
    bool early = hurry_ && hurry_();
    for (auto& [pid, e] : procs_) {
      if (e.gone) continue;
      e.hurried = early;
      Signal(e, SIGKILL);
    }
  }

  std::string How(const Entry& e) const {
    std::string how = e.last_signal == SIGTERM   ? "SIGTERM"
                      : e.last_signal != SIGKILL ? "exited by itself"
                      : e.hurried                ? "SIGKILL (a second signal: no grace)"
                      : e.termed ? "SIGKILL after " + FormatDuration(grace_) + " (SIGTERM ignored)"
                                 : "SIGKILL";
    if (e.p.stopped && e.last_signal != 0) how += " (it was stopped: SIGCONT sent)";
    return how;
  }

  void Collect() {
    for (auto& [pid, e] : procs_) {
      if (e.gone) continue;
      pollfd p{e.p.pidfd, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) continue;
      e.gone = true;
      --alive_;
      ReapIfOurs(e.p);
      if (group_ != 0 && e.p.pgid == group_) continue;
      lines_.push_back(ProcessName(e.p, mask_) + ": " + How(e));
    }
  }

  void Wait(Millis ms) {
    std::vector<pollfd> fds;
    for (auto& [pid, e] : procs_)
      if (!e.gone) fds.push_back({e.p.pidfd, POLLIN, 0});
    poll(fds.data(), fds.size(), static_cast<int>(ms.count()));
  }

  pid_t group_;
  Clock::Mono kill_at_;
  Millis grace_;
  Masker mask_;
  std::function<bool()> hurry_;  // true: kill now (a second signal to runbook)
  bool killed_ = false;
  int alive_ = 0;
  std::map<pid_t, Entry> procs_;
  std::vector<std::string> lines_;
};

}  // namespace

Masker MaskerOf(const Redactor& r) {
  return [&r](std::string text, unsigned edges) { return r.ApplyCut(std::move(text), edges); };
}

std::string ProcessName(const TrackedProcess& p, const Masker& mask) {
  std::string text = mask ? mask(p.command, p.command_cut ? kCutAfter : kCutNone) : p.command;
  std::string shown;
  for (char c : text) {  // one line whatever the arguments hold
    if (c == '\n')
      shown += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      shown += '?';
    else
      shown += c;
  }
  if (p.command_cut || shown.size() > kCommandShown) {
    shown = shown.substr(0, Utf8CutAt(shown, kCommandShown)) + "...";
  }
  return "process " + std::to_string(p.pid) + " (" + shown + ")";
}

bool BecomeSubreaper() {
  static const bool ok = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
  return ok;
}

std::string TrackingPrefix() {
  static const std::string prefix =
      std::to_string(getpid()) + "-" + std::to_string(std::random_device{}()) + "-";
  return prefix;
}

std::string NewTrackingId() {
  static std::atomic<unsigned> counter{0};
  return TrackingPrefix() + std::to_string(++counter);
}

namespace {

// Whether `pid`'s real uid is one of `accounts` (/proc/PID/status "Uid:", its first field).
bool OfAccounts(pid_t pid, const Accounts& accounts) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    unsigned long uid = 0;
    return static_cast<bool>(fields >> uid) && accounts.count(static_cast<uid_t>(uid)) > 0;
  }
  return false;
}

}  // namespace

std::vector<TrackedProcess> FindLeftovers(const std::string& prefix, const Accounts& accounts) {
  std::vector<TrackedProcess> found;
  if (prefix.empty()) return found;
  std::string needle = std::string(1, '\0') + kTrackingVar + "=" + prefix;
  pid_t self = getpid();
  // By its step's cgroup, which env -i cannot leave (breakM M7), or by its environment when
  // it runs as one of the run's accounts: anyone may copy an id into theirs (breakN N20),
  // and a step's command that changes account (sudo, su) drops the variable with the rest of
  // the environment anyway.
  auto ours = [&](pid_t pid) {
    return InStepCgroupOf(pid, prefix) || (HoldsId(pid, needle) && OfAccounts(pid, accounts));
  };
  ForEachPid([&](pid_t pid) {
    if (pid == self || !ours(pid)) return;
    TrackedProcess p = Track(pid, [&](pid_t, const Stat&) { return ours(pid); });
    if (p.pidfd >= 0) found.push_back(std::move(p));
  });
  return found;
}

bool AnyLeftovers(const std::string& prefix, const Accounts& accounts) {
  std::vector<TrackedProcess> found = FindLeftovers(prefix, accounts);
  for (TrackedProcess& p : found) close(p.pidfd);
  return !found.empty();
}

std::vector<std::string> EndLeftovers(const std::string& prefix, const Accounts& accounts,
                                      Millis grace, const Masker& mask) {
  auto lines = Ender(0, grace, mask, {}).Run([&] { return FindLeftovers(prefix, accounts); });
  ReapAdopted();
  return lines;
}

std::vector<TrackedProcess> FindTracked(const std::string& id, pid_t except,
                                        const StepCgroup* cgroup) {
  std::string needle = std::string(1, '\0') + kTrackingVar + "=" + id + '\0';
  std::vector<TrackedProcess> found;
  std::set<pid_t> seen;
  for (pid_t pid : OwnDescendants()) {
    // Checked again once the pidfd is open: the pid may have been reused in between.
    if (pid == except || !HoldsId(pid, needle)) continue;
    TrackedProcess p =
        Track(pid, [&](pid_t, const Stat&) { return HoldsId(pid, needle) && DescendsFromUs(pid); });
    if (p.pidfd >= 0) seen.insert(pid), found.push_back(std::move(p));
  }
  for (pid_t pid : cgroup ? cgroup->Members() : std::vector<pid_t>{}) {
    if (pid == except || seen.count(pid)) continue;
    TrackedProcess p = Track(pid, [&](pid_t, const Stat&) { return cgroup->Holds(pid); });
    if (p.pidfd >= 0) found.push_back(std::move(p));
  }
  return found;
}

std::vector<std::string> GroupMembers(pid_t pgid, pid_t except, const Masker& mask) {
  std::vector<std::string> lines;
  for (pid_t pid : OwnDescendants()) {
    Stat st;
    if (pid == except || !ReadStat(pid, st) || st.pgid != pgid || st.state == 'Z') continue;
    TrackedProcess p;
    p.pid = pid;
    std::tie(p.command, p.command_cut) = CommandLine(pid);
    lines.push_back(ProcessName(p, mask));
  }
  return lines;
}

std::vector<std::string> EndTracked(const std::string& id, pid_t except, pid_t group, Millis grace,
                                    const Masker& mask, const std::function<bool()>& hurry,
                                    const StepCgroup* cgroup) {
  auto lines =
      Ender(group, grace, mask, hurry).Run([&] { return FindTracked(id, except, cgroup); });
  ReapAdopted();
  return lines;
}

std::unique_lock<std::mutex> LockChildren() { return std::unique_lock<std::mutex>(g_children_mu); }
void NoteChild(pid_t pid) { g_children.insert(pid); }
void ForgetChild(pid_t pid) { g_children.erase(pid); }

bool NothingLeft(const StepCgroup& cgroup) {
  if (!cgroup.Members().empty()) return false;  // first: what leaves it after is a child then
  std::lock_guard<std::mutex> lock(g_children_mu);
  for (pid_t pid : OwnChildren())
    if (g_children.count(pid) == 0) return false;
  return true;
}

int ReapAdopted() {
  std::lock_guard<std::mutex> lock(g_children_mu);
  int reaped = 0;
  for (pid_t pid : OwnChildren()) {
    Stat st;
    if (g_children.count(pid) != 0 || !ReadStat(pid, st)) continue;
    if (st.state == 'Z' && waitpid(pid, nullptr, WNOHANG) == pid) ++reaped;
  }
  return reaped;
}

std::vector<std::string> EndAdopted(Millis grace, const Masker& mask,
                                    const std::function<bool()>& hurry) {
  pid_t self = getpid();
  auto find = [self] {
    std::vector<TrackedProcess> found;
    std::lock_guard<std::mutex> lock(g_children_mu);
    for (pid_t pid : OwnChildren()) {
      if (g_children.count(pid) != 0) continue;
      TrackedProcess p = Track(pid, [&](pid_t, const Stat& st) { return st.ppid == self; });
      if (p.pidfd >= 0) found.push_back(std::move(p));
    }
    return found;
  };
  auto lines = Ender(0, grace, mask, hurry).Run(find);
  ReapAdopted();
  return lines;
}

}  // namespace runbook
