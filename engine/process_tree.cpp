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

#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "engine/spawn.h"
#include "engine/util/clock.h"

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

// runbook's children, from each thread's /proc/self/task/TID/children (an orphan may be
// reparented to any thread); a scan of every process's parent where the kernel lacks them.
std::vector<pid_t> OwnChildren() {
  std::vector<pid_t> out;
  bool listed = false;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      int fd = open(("/proc/self/task/" + std::string(e->d_name) + "/children").c_str(),
                    O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      close(fd);
      listed = true;
      std::string text =
          ReadSmall("/proc/self/task/" + std::string(e->d_name) + "/children", 1 << 20);
      for (const char* p = text.c_str(); *p != '\0';) {
        char* end = nullptr;
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        out.push_back(static_cast<pid_t>(pid));
        p = end;
      }
    }
    closedir(dir);
  }
  if (listed) return out;
  pid_t self = getpid();
  ForEachPid([&](pid_t pid) {
    Stat st;
    if (ReadStat(pid, st) && st.ppid == self) out.push_back(pid);
  });
  return out;
}

std::string CommandLine(pid_t pid) {
  std::string text = ReadSmall("/proc/" + std::to_string(pid) + "/cmdline", 4096);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (char& c : text)
    if (c == '\0') c = ' ';
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

bool HoldsId(pid_t pid, const std::string& needle) {
  std::string env = ReadSmall("/proc/" + std::to_string(pid) + "/environ", 1 << 20);
  return ('\0' + env).find(needle) != std::string::npos;
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
  p = {pid, st.pgid, fd, CommandLine(pid)};
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
  Ender(pid_t group, Millis grace)
      : group_(group), kill_at_(Clock::Mono::clock::now() + grace), grace_(grace) {}

  // Runs until nothing `find` returns is alive, or a while after SIGKILL.
  std::vector<std::string> Run(const Finder& find) {
    for (;;) {
      for (TrackedProcess& p : find()) Add(std::move(p));
      Collect();
      if (alive_ == 0) break;
      auto now = Clock::Mono::clock::now();
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
    e.last_signal = sig;
    e.termed = e.termed || sig == SIGTERM;
  }

  void KillAll() {
    killed_ = true;
    for (auto& [pid, e] : procs_)
      if (!e.gone) Signal(e, SIGKILL);
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
      std::string how = e.last_signal == SIGTERM   ? "SIGTERM"
                        : e.last_signal != SIGKILL ? "exited by itself"
                        : e.termed
                            ? "SIGKILL after " + FormatDuration(grace_) + " (SIGTERM ignored)"
                            : "SIGKILL";
      lines_.push_back("process " + std::to_string(pid) + " (" + e.p.command + "): " + how);
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
  bool killed_ = false;
  int alive_ = 0;
  std::map<pid_t, Entry> procs_;
  std::vector<std::string> lines_;
};

}  // namespace

bool BecomeSubreaper() {
  static const bool ok = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
  return ok;
}

std::string NewTrackingId() {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}();
  return std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + std::to_string(salt);
}

std::vector<TrackedProcess> FindTracked(const std::string& id, pid_t except) {
  std::string needle = std::string(1, '\0') + kTrackingVar + "=" + id + '\0';
  std::vector<TrackedProcess> found;
  ForEachPid([&](pid_t pid) {
    // Checked again once the pidfd is open: the pid may have been reused in between.
    if (pid == except || !HoldsId(pid, needle)) return;
    TrackedProcess p = Track(pid, [&](pid_t, const Stat&) { return HoldsId(pid, needle); });
    if (p.pidfd >= 0) found.push_back(std::move(p));
  });
  return found;
}

std::vector<std::string> EndTracked(const std::string& id, pid_t except, pid_t group,
                                    Millis grace) {
  auto lines = Ender(group, grace).Run([&] { return FindTracked(id, except); });
  ReapAdopted();
  return lines;
}

std::unique_lock<std::mutex> LockChildren() { return std::unique_lock<std::mutex>(g_children_mu); }
void NoteChild(pid_t pid) { g_children.insert(pid); }
void ForgetChild(pid_t pid) { g_children.erase(pid); }

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

std::vector<std::string> EndAdopted(Millis grace) {
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
  auto lines = Ender(0, grace).Run(find);
  ReapAdopted();
  return lines;
}

}  // namespace runbook
