#include "serve/starting_runs.h"

namespace runbook {

namespace {

// Whether `line` (without its '\n') says the run waits: for its lock ("runbook: waiting for
// lock ..."), or for a store another process holds ("runbook: the audit store is busy: waiting
// to record the run (--wait)", "... (database is locked): still waiting for lock ...").
bool SaysWaiting(std::string_view line) {
  // "runbook: waiting: lock 'L' is held by what run ID left: ..." too (its processes).
  constexpr std::string_view kWaiting = "runbook: waiting",
                             kBusy = "runbook: the audit store is busy";
  return line.substr(0, kWaiting.size()) == kWaiting ||
         (line.substr(0, kBusy.size()) == kBusy && line.find(" waiting ") != std::string::npos);
}

}  // namespace

std::string WaitingLine(const std::string& log) {
  constexpr size_t kPrefix = 9;  // "runbook: "
  std::string found;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string_view line(log.data() + start, end - start);
    if (SaysWaiting(line)) found = std::string(line.substr(kPrefix));
    start = end + 1;
  }
  return found;
}

Value StartingRunValue(const LaunchedRun& run, const std::string& kind, const std::string& log) {
  return Value(Value::Map{{"run_id", Value(run.run_id)},
                          {"runbook", Value(run.runbook)},
                          {"kind", Value(kind)},
                          {"status", Value("starting")},
                          {"started_at", Value("")},  // recorded once it begins
                          {"finished_at", Value("")},
                          {"duration_ms", Value()},
                          {"rto_ms", Value()},
                          {"rto_objective_ms", Value()},
                          {"rpo_ms", Value()},
                          {"rpo_objective_ms", Value()},
                          {"objectives_met", Value()},
                          {"resumed_from", Value(run.resumes)},
                          {"altered", Value(Value::List{})},
                          {"resumed_as", Value("")},
                          {"trigger", run.trigger},
                          {"user", Value("")},  // the account it records, once it does
                          {"waiting", Value(WaitingLine(log))}});
}

Value StartingParams(const std::optional<KeptParams>& kept) {
  if (!kept) return Value();
  Value::Map params = kept->params;
  for (const std::string& name : kept->withheld) {
    auto mask = kept->masks.find(name);
    params[name] = mask != kept->masks.end() ? mask->second : Value("***");
  }
  return Value(std::move(params));
}

}  // namespace runbook
