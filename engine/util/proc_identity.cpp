#include "engine/util/proc_identity.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/util/crypto.h"

namespace runbook {
namespace {

std::string StartTime(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return {};
}

}  // namespace

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
  std::string start = StartTime(who.pid);
  if (start.empty()) return false;  // no such process
  return who.start.empty() || start == who.start;
}

bool IsStopped(const ProcessIdentity& who) {
  if (who.host != HostName() || who.pid <= 0 || !IsAlive(who)) return false;
  std::ifstream in("/proc/" + std::to_string(who.pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
}

}  // namespace runbook
