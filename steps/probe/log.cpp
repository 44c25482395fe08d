#include <regex.h>

#include <filesystem>
#include <fstream>

#include "engine/util/duration.h"
#include "steps/common/files.h"
#include "steps/probe/kinds.h"

namespace runbook {
namespace {

// The newest file among the glob's matches.
Result<std::string> Newest(const std::string& glob) {
  auto files = ExpandGlobs({glob});
  if (!files.ok()) return files.status();
  std::string best;
  std::filesystem::file_time_type best_time;
  for (const std::string& f : files.value()) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(f, ec);
    if (!ec && (best.empty() || t > best_time)) {
      best = f;
      best_time = t;
    }
  }
  if (best.empty()) return Status::Error("no readable file matches '" + glob + "'");
  return best;
}

}  // namespace

AttemptResult ProbeLog(StepContext& ctx) {
  const Value& p = ctx.params;
  auto file = Newest(p.Find("path")->ToText());
  if (!file.ok()) return AttemptResult::Failure(file.status().message());
  std::error_code ec;
  auto age = std::filesystem::file_time_type::clock::now() -
             std::filesystem::last_write_time(file.value(), ec);
  int64_t age_s = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  AttemptResult r;
  r.outputs = {{"file", Value(file.value())}, {"age_s", Value(age_s)}, {"line", Value("")}};
  if (const Value* max_age = p.Find("max_age")) {
    Millis limit = *ParseDuration(max_age->ToText());
    if (age > limit) {
      r.error = file.value() + " was last written " + HumanDuration(Millis(age_s * 1000)) +
                " ago, more than max_age " + max_age->ToText() + " (is the job running?)";
      return r;
    }
  }
  if (const Value* contains = p.Find("contains")) {
    regex_t re;
    if (regcomp(&re, contains->ToText().c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
      r.error = "contains '" + contains->ToText() + "' is not a valid regular expression";
      return r;
    }
    std::ifstream in(file.value());
    std::string line, last;
    while (std::getline(in, line))
      if (regexec(&re, line.c_str(), 0, nullptr, 0) == 0) last = line;
    regfree(&re);
    if (last.empty()) {
      r.error = "no line of " + file.value() + " matches '" + contains->ToText() + "'";
      return r;
    }
    r.outputs["line"] = Value(last);
  }
  ctx.log("newest log " + file.value() + ", " + std::to_string(age_s) + "s old");
  r.status = AttemptStatus::kSuccess;
  return r;
}

}  // namespace runbook
