#include "steps/common/scratch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>

#include "engine/util/proc_identity.h"
#include "steps/common/files.h"

namespace runbook {
namespace {

// Groups: 1 the base name, 2 the pid, 3 its start time, 4 the place (WhereToken), 5 a
// SQLite companion suffix. Older names lack 3 and 4.
const std::regex& ScratchPattern() {
  static const std::regex re(
      R"(^\.(.+)\.tmp-([0-9]{1,10})(?:-([0-9]{1,20}))?(?:-w([0-9a-f]{8}))?-[0-9a-f]{16})"
      R"((-wal|-shm|-journal)?$)");
  return re;
}

// A foreign place's scratch file (another host, container or pid namespace) is not judged
// by its pid: it is debris only once it has not changed for this long.
constexpr auto kForeignDebrisAge = std::chrono::hours(24 * 7);

// The file at `path` has not been modified for kForeignDebrisAge.
bool Stale(const std::string& path) {
  std::error_code ec;
  auto at = std::filesystem::last_write_time(path, ec);
  return !ec && std::filesystem::file_time_type::clock::now() - at > kForeignDebrisAge;
}

// The pid runs and, when the name records its start time, is the process that made it.
// kill(pid, 0): ESRCH means no such process; EPERM means one runs (another user's).
bool Running(long pid, const std::string& start) {
  if (pid <= 0) return false;
  if (pid == static_cast<long>(::getpid())) return true;
  if (!start.empty()) return IsAlive({HostName(), static_cast<int>(pid), start});
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

}  // namespace

std::string ScratchName(const std::string& name) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const std::string self = [] {
    ProcessIdentity me = SelfIdentity();
    return std::to_string(me.pid) + (me.start.empty() ? "" : "-" + me.start) + "-w" + WhereToken();
  }();
  char random[24];
  std::snprintf(random, sizeof random, "-%016llx", static_cast<unsigned long long>(rng()));
  const std::string suffix = ".tmp-" + self + random;
  const size_t room = NAME_MAX - std::strlen("-journal") - 1 - suffix.size();
  size_t keep = std::min(name.size(), room);
  while (keep > 1 && keep < name.size() && (static_cast<unsigned char>(name[keep]) & 0xc0) == 0x80)
    --keep;  // never cut a UTF-8 character in two
  return "." + name.substr(0, keep) + suffix;
}

std::string ScratchBeside(const std::string& path) {
  return DirName(path) + "/" + ScratchName(BaseName(path));
}

long ScratchOwner(const std::string& name) {
  std::smatch m;
  if (!std::regex_match(name, m, ScratchPattern())) return 0;
  return std::stol(m[2].str());
}

bool ScratchOfDeadRun(const std::string& dir, const std::string& name) {
  std::smatch m;
  if (!std::regex_match(name, m, ScratchPattern())) return false;
  if (m[4].matched && m[4].str() != WhereToken()) return Stale(dir + "/" + name);
  return !Running(std::stol(m[2].str()), m[3].str());
}

std::vector<std::string> RemoveDebris(const std::string& dir,
                                      const std::function<bool(const std::string&)>& owns) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    std::smatch m;
    if (!ScratchOfDeadRun(dir, name) || !std::regex_match(name, m, ScratchPattern())) continue;
    if (owns && !owns(m[1].str())) continue;
    if (::unlink(entry.path().c_str()) == 0) removed.push_back(entry.path().string());
  }
  return removed;
}

Status WriteNewFile(const std::string& path, const std::string& data, int mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::FromErrno("cannot create " + path, errno);
  size_t done = 0;
  int err = 0;
  while (done < data.size() && err == 0) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0)
      done += static_cast<size_t>(n);
    else if (n == 0 || errno != EINTR)
      err = n == 0 ? EIO : errno;
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0) return Status::Ok();
  ::unlink(path.c_str());
  return Status::FromErrno("cannot write " + path, err);
}

void RemoveWithCompanions(const std::string& path) {
  // The companions first: a kill in between leaves the database itself, which tells whose
  // they were (integrity-check's marker names it); companions alone prove nothing (breakY Y8).
  for (const char* side : {"-wal", "-shm", "-journal", ""}) {
    std::string file = path + side;
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0) ::unlink(file.c_str());
  }
}

}  // namespace runbook
