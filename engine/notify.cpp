#include "engine/notify.h"

#include <algorithm>

namespace runbook {

std::vector<std::string> RaisedEvents(const RunResult& result, const std::string& previous_status) {
  return RaisedEvents(result.status, result.objectives_met(), previous_status);
}

std::vector<std::string> RaisedEvents(const std::string& status, bool objectives_met,
                                      const std::string& previous_status) {
  std::vector<std::string> out;
  if (status == "failure") out.push_back("failure");
  if (status == "success" && !objectives_met) out.push_back("objective_missed");
  if (status == "success") out.push_back("success");
  if (status == "success" && !previous_status.empty() && previous_status != "success")
    out.push_back("recovered");
  return out;
}

namespace {
bool Lists(const std::vector<std::string>& on, const std::string& event) {
  return std::find(on.begin(), on.end(), event) != on.end();
}
}  // namespace

std::vector<AlertChange> AlertChanges(const std::vector<std::string>& on, const std::string& event,
                                      const std::string& status, bool objectives_met,
                                      bool another_run_waits) {
  const bool all = Lists(on, "success") || Lists(on, "recovered");
  const bool waiting = event == "approval_waiting";
  const bool failed = !waiting && (status == "failure" || status == "interrupted");
  const bool succeeded = !waiting && status == "success";
  const bool ended = failed || succeeded || (!waiting && status == "cancelled");
  std::vector<AlertChange> out;
  if ((all || Lists(on, "failure")) && (failed || succeeded))
    out.push_back({"RunbookFailed", "critical", failed});
  if ((all || Lists(on, "objective_missed")) && succeeded)
    out.push_back({"RunbookObjectiveMissed", "critical", !objectives_met});
  if ((all || Lists(on, "approval_waiting")) && (waiting || (ended && !another_run_waits)))
    out.push_back({"RunbookApprovalWaiting", "warning", waiting});
  return out;
}

bool AnotherRunWaits(const Value& message) {
  const Value* others = message.Find("other_runs_waiting");
  return others != nullptr && others->is_list() && !others->as_list().empty();
}

std::vector<std::string> EventsToSend(const std::string& channel,
                                      const std::vector<std::string>& on,
                                      const std::vector<std::string>& raised,
                                      const std::string& status, bool objectives_met,
                                      bool another_run_waits) {
  std::vector<std::string> out;
  for (const std::string& e : raised)
    if (Lists(on, e)) out.push_back(e);
  if (channel != "alertmanager") return out;
  // A cancelled run raises nothing, yet its gate no longer waits: named by its status.
  std::string event = !out.empty() ? out.front() : !raised.empty() ? raised.front() : status;
  if (AlertChanges(on, event, status, objectives_met, another_run_waits).empty()) return {};
  return {event};
}

std::string UrlOrigin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string name = url.substr(0, scheme);
  if (name != "http" && name != "https" && name != "smtp" && name != "smtps") return "";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string authority = url.substr(scheme + 3, end == std::string::npos ? end : end - scheme - 3);
  size_t at = authority.rfind('@');  // user:password@ never shown
  if (at != std::string::npos) authority = authority.substr(at + 1);
  return name + "://" + authority;
}

}  // namespace runbook
