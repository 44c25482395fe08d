#include "engine/util/proc_identity.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

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

}  // namespace runbook
