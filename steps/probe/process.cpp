#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "steps/common/bounded_regex.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

std::string CmdLine(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : s)
    if (c == '\0') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int ParentOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  int ppid = 0;
  std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid);
  return ppid;
}

// runbook and the processes that started it (a shell, sudo, cron) contain the pattern
// in their own command lines ("runbook run backup.yaml"): they never count.
std::set<int> SelfAndAncestors() {
  std::set<int> out;
  for (int pid = static_cast<int>(getpid()); pid > 1 && out.insert(pid).second;)
    pid = ParentOf(pid);
  return out;
}

}  // namespace

AttemptResult ProbeProcess(StepContext& ctx) {
  std::string pattern = ctx.params.Str("pattern");
  bool want_present = ctx.params.Str("expect") == "present";
  auto re = BoundedRegex::Compile(pattern);
  if (!re.ok()) return AttemptResult::Failure("pattern: " + re.status().message());
  std::set<int> skip = SelfAndAncestors();
  Value::List matches;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      std::string name = e->d_name;
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      int pid = std::stoi(name);
      if (skip.count(pid)) continue;
      std::string cmd = CmdLine(name);
      if (cmd.empty()) continue;
      auto hit = re.value().Search(cmd);
      if (!hit.ok()) {
        closedir(proc);
        return AttemptResult::Failure("pattern: " + hit.status().message());
      }
      if (!hit.value()) continue;
      matches.push_back(Value(Value::Map{{"pid", Value(int64_t{pid})}, {"cmdline", Value(cmd)}}));
    }
    closedir(proc);
  }
  int64_t count = static_cast<int64_t>(matches.size());
  bool ok = want_present ? count > 0 : count == 0;
  std::string first = count ? matches.front().Find("cmdline")->ToText() : "";
  AttemptResult r =
      ok ? AttemptResult::Success()
         : AttemptResult::Failure(want_present
                                      ? "no running process matches '" + pattern + "'"
                                      : std::to_string(count) + " process(es) match '" + pattern +
                                            "', e.g. pid " + matches.front().Find("pid")->ToText() +
                                            ": " + first);
  ctx.log(std::to_string(count) + " process(es) match '" + pattern + "'");
  r.outputs = {{"count", Value(count)}, {"matches", Value(std::move(matches))}};
  return r;
}

}  // namespace runbook
