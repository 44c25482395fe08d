#include "engine/util/proc_identity.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

// The fields of /proc/PID/stat after the command name, from field 3 (the state letter) on;
// "" when there is no such process.
std::string StatFields(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  return close == std::string::npos || close + 2 >= stat.size() ? "" : stat.substr(close + 2);
}

// Field 22 of StatFields' text: the process's start time in clock ticks after boot.
std::string StartTimeIn(const std::string& fields) {
  std::istringstream in(fields);
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i) {
    if (i == 22) return field;
  }
  return {};
}

std::string StartTime(int pid) { return StartTimeIn(StatFields(pid)); }

// What IsAlive decides, from `fields` (StatFields of who.pid) read once.
bool AliveIn(const ProcessIdentity& who, const std::string& fields) {
  std::string start = StartTimeIn(fields);
  if (start.empty()) return false;  // no such process
  if (!who.start.empty() && start != who.start) return false;
  // A zombie has ended; only its parent has not reaped it yet (breakO O5: a killed runbook
  // under a parent that never waits held its lock, and its run was "running", for as long as
  // that parent lived).
  return fields[0] != 'Z' && fields[0] != 'X';
}

// The account name of `uid`; "" when it has none.
std::string AccountOf(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (getpwuid_r(uid, &entry, buf.data(), buf.size(), &found) != 0 || found == nullptr) return "";
  return found->pw_name;
}

}  // namespace

std::string CurrentUser() {
  uid_t uid = getuid();
  std::string account = AccountOf(uid);
  const char* sudo_user = std::getenv("SUDO_USER");
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (uid == 0 && sudo_user && *sudo_user && sudo_uid && *sudo_uid) {
    char* end = nullptr;
    unsigned long n = std::strtoul(sudo_uid, &end, 10);
    if (*end == '\0' && AccountOf(static_cast<uid_t>(n)) == sudo_user) return sudo_user;
  }
  return account.empty() ? "uid " + std::to_string(uid) : account;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string WhereToken() {
  static const std::string token = [] {
    std::ifstream id("/etc/machine-id");
    std::string machine((std::istreambuf_iterator<char>(id)), std::istreambuf_iterator<char>());
    std::error_code ec;
    std::string ns = std::filesystem::read_symlink("/proc/self/ns/pid", ec).string();
    return Sha256Hex(HostName() + "\n" + machine + "\n" + ns).substr(0, 8);
  }();
  return token;
}

ProcessIdentity SelfIdentity() {
  int pid = static_cast<int>(getpid());
  return {HostName(), pid, StartTime(pid)};
}

bool IsAlive(const ProcessIdentity& who) {
  if (who.host != HostName() || who.pid <= 0) return true;
  return AliveIn(who, StatFields(who.pid));
}

bool IsStopped(const ProcessIdentity& who) {
  if (who.host != HostName() || who.pid <= 0) return false;
  std::string fields = StatFields(who.pid);
  return AliveIn(who, fields) && fields[0] == 'T';
}

}  // namespace runbook
