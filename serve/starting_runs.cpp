#include "serve/starting_runs.h"

namespace runbook {

std::string WaitingLine(const std::string& log) {
  constexpr std::string_view kPrefix = "runbook: waiting ";
  std::string found;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    if (log.compare(start, kPrefix.size(), kPrefix) == 0)
      found = log.substr(start + 9, end - start - 9);  // without "runbook: "
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

}  // namespace runbook
