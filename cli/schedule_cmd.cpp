// runbook schedule [PATH...]: each runbook's schedules and their next fire times, in the
// schedule's own zone and in UTC. A folder means the runbooks directly in it (*.yaml, *.yml).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "engine/runbook_place.h"
#include "engine/schedule/fire_times.h"
#include "engine/testing/scenario.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "serve/schedule_value.h"

namespace runbook {
namespace {

// The runbook files a path names: itself, or a folder's *.yaml and *.yml in name order.
std::vector<std::string> RunbookFiles(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return {path};
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    std::string ext = entry.path().extension().string();
    // A scenario file beside a runbook (x.test.yaml, docs/testing.md) is no runbook.
    if ((ext == ".yaml" || ext == ".yml") && !IsScenarioFile(entry.path().string()) &&
        entry.is_regular_file(ec))
      out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

SysSeconds ToSeconds(Clock::Wall t) { return std::chrono::floor<std::chrono::seconds>(t); }

Value RunbookJson(const std::string& file, const Runbook& rb, SysSeconds from, int count) {
  Value::List schedules;
  for (const ScheduleDecl& s : rb.on.schedules) schedules.push_back(ScheduleValue(s, from, count));
  return Value(Value::Map{{"file", Value(file)},
                          {"name", Value(rb.name)},
                          {"schedules", Value(std::move(schedules))},
                          {"catchup_ms", Value(static_cast<int64_t>(rb.on.catchup.count()))},
                          {"overlap", Value(OverlapName(rb.on.overlap))}});
}

void PrintText(const Value& entry) {
  const Value::List& schedules = entry.Find("schedules")->as_list();
  std::cout << Printable(entry.Find("file")->as_string()) << " (" << entry.Find("name")->as_string()
            << ")" << (schedules.empty() ? ": no schedule" : "") << "\n";
  for (const Value& s : schedules) {
    std::cout << "  " << s.Find("cron")->as_string() << "  " << s.Find("timezone")->as_string();
    std::string params;
    for (const auto& [name, value] : s.Find("params")->as_map())
      params += (params.empty() ? "" : ", ") + name + "=" + TextAsSent(value);
    std::cout << (params.empty() ? "" : "  params: " + Printable(params)) << "\n";
    for (const Value& n : s.Find("next")->as_list())
      std::cout << "    " << n.Find("local")->as_string() << "  (" << n.Find("utc")->as_string()
                << ")\n";
  }
}

}  // namespace

int CmdSchedule(const StepRegistry& registry, const ScheduleOptions& o) {
  SysSeconds from = ToSeconds(std::chrono::system_clock::now());
  if (!o.from.empty()) {
    auto parsed = ParseUtc(o.from);
    if (!parsed) {
      std::cerr << "runbook: --from '" << Printable(o.from)
                << "' is not a UTC time such as 2026-12-01T03:00:00Z\n";
      return kExitInvalid;
    }
    from = ToSeconds(*parsed);
  }
  bool any_error = false;
  Value::List report;
  // No path: the current folder, as `runbook schedule [DIR]` (audit of issue 16, L1).
  const std::vector<std::string> paths = o.paths.empty() ? std::vector<std::string>{"."} : o.paths;
  for (const std::string& path : paths) {
    for (const std::string& file : RunbookFiles(path)) {
      Diagnostics diags;
      SourceText source;
      std::unique_ptr<Runbook> rejected;
      auto rb = LoadQuiet(registry, file, diags, source, &rejected);
      if (!rb) {
        PrintDiagnostics(diags, &source, rejected.get());
        any_error = true;
        continue;
      }
      // A declaration holding a secret's text, masked as the run masks it (break24a S2).
      report.push_back(MaskForRunbook(*rb, RunbookJson(file, *rb, from, o.count)));
      if (o.format == "text") PrintText(report.back());
    }
  }
  if (o.format == "json") std::cout << ToJsonShown(Value(std::move(report)), 2) << "\n";
  return any_error ? kExitInvalid : kExitOk;
}

}  // namespace runbook
