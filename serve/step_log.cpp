#include "serve/step_log.h"

#include <sstream>

namespace runbook {

std::optional<std::string> StepLogText(const RunRecord& r, const std::string& step,
                                       bool& finished) {
  for (const StepView& s : r.steps) {
    if (s.id != step) continue;
    std::string text;
    for (const AttemptView& a : s.attempts) {
      text += "attempt " + std::to_string(a.number) + " " +
              (a.status.empty() ? "running" : a.status) + "\n";
      for (const std::string& line : a.log_lines) text += "log: " + line + "\n";
      if (!a.error.empty()) text += "error: " + a.error + "\n";
      text += a.status.empty() && !a.output_so_far.empty() ? a.output_so_far : a.LastOutput();
      if (!text.empty() && text.back() != '\n') text += "\n";
    }
    finished = !s.outcome.empty() || r.status != "running";
    return text;
  }
  finished = r.status != "running";
  return std::nullopt;
}

std::string StepEnd(const RunRecord& r, const std::string& step) {
  for (const StepView& s : r.steps) {
    if (s.id == step && !s.outcome.empty()) return s.outcome;
  }
  return r.status;
}

std::string SseEvent(const std::string& event, const std::string& data) {
  std::string out = event.empty() ? "" : "event: " + event + "\n";
  std::istringstream lines(data);
  for (std::string line; std::getline(lines, line);) out += "data: " + line + "\n";
  if (data.empty()) out += "data:\n";
  return out + "\n";
}

std::string SseDelta(const std::string& sent, const std::string& now) {
  if (now == sent) return "";
  if (now.compare(0, sent.size(), sent) == 0) return SseEvent("log", now.substr(sent.size()));
  return SseEvent("reset", now);
}

}  // namespace runbook
