#include "engine/audit/report.h"

#include <sstream>

#include "engine/util/duration.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

const Value kNull;

const Value& Field(const Value& v, const char* key) {
  const Value* f = v.is_map() ? v.Find(key) : nullptr;
  return f != nullptr ? *f : kNull;
}

Value AttemptValue(const AttemptView& a) {
  Value::List ended;
  for (const std::string& line : a.ended_processes) ended.push_back(Value(line));
  return Value(Value::Map{{"number", Value(int64_t{a.number})},
                          {"started_at", Value(a.started_at)},
                          {"finished_at", Value(a.finished_at)},
                          {"status", Value(a.status)},
                          {"exit_code", a.exit_code},
                          {"error", Value(a.error)},
                          {"duration_ms", Value(a.duration_ms)},
                          {"params", Value(a.params)},
                          {"outputs", Value(a.outputs)},
                          {"stdout_tail", Value(a.stdout_tail)},
                          {"stderr_tail", Value(a.stderr_tail)},
                          {"ended_processes", Value(std::move(ended))}});
}

Value StepValue(const StepView& s) {
  Value::List attempts;
  for (const AttemptView& a : s.attempts) attempts.push_back(AttemptValue(a));
  return Value(Value::Map{{"id", Value(s.id)},
                          {"type", Value(s.type)},
                          {"outcome", Value(s.outcome.empty() ? "unfinished" : s.outcome)},
                          {"reason", Value(s.reason)},
                          {"duration_ms", Value(s.duration_ms)},
                          {"outputs", Value(s.outputs)},
                          {"restored_from", Value(s.restored_from)},
                          {"stopped", Value(s.stopped)},
                          {"attempts", Value(std::move(attempts))}});
}

std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

// Integrity checks in the run: outputs named like integrity results (integrity, ok,
// verified) of steps, shown on their own in reports.
}  // namespace

std::vector<std::string> IntegrityLines(const RunRecord& r) {
  std::vector<std::string> lines;
  for (const StepView& s : r.steps) {
    for (const auto& [k, v] : s.outputs) {
      if (k == "integrity" || k == "verified" || k == "integrity_ok" || k == "integrity_percent") {
        lines.push_back(s.id + "." + k + " = " + v.ToText());
      }
    }
  }
  return lines;
}

std::string HumanMs(int64_t ms) { return HumanDuration(Millis(ms)); }

std::string StepNote(const StepView& s) {
  std::string note = !s.restored_from.empty() ? "carried over from " + s.restored_from : s.reason;
  if (!s.stopped.empty()) note += (note.empty() ? "" : "; ") + s.stopped;
  return note;
}

std::string ObjectiveText(const Value& o) {
  if (!Field(o, "objective_ms").is_number()) return "no objective";
  if (!Field(o, "measured").is_bool() || !Field(o, "measured").as_bool()) return "not measured";
  return Field(o, "met").is_bool() && Field(o, "met").as_bool() ? "met" : "MISSED";
}

Value ReportValue(const RunRecord& r) {
  Value::List steps, approvals;
  for (const StepView& s : r.steps) steps.push_back(StepValue(s));
  for (const ApprovalView& a : r.approvals) {
    approvals.push_back(Value(Value::Map{{"step", Value(a.step)},
                                         {"by", Value(a.by)},
                                         {"at", Value(a.at)},
                                         {"waited_ms", Value(a.waited_ms)},
                                         {"inputs", Value(a.inputs)}}));
  }
  const Value& s = r.started;
  return Value(Value::Map{
      {"format_version", Value(int64_t{kReportFormatVersion})},
      {"run_id", Value(r.run_id)},
      {"runbook", Field(s, "runbook")},
      {"path", Field(s, "path")},
      {"kind", Field(s, "kind")},
      {"runbook_sha256", Field(s, "runbook_sha256")},
      {"git_commit", Field(s, "git_commit")},
      {"user", Field(s, "user")},
      {"host", Field(s, "host")},
      {"engine_version", Field(s, "engine_version")},
      {"params", Field(s, "params")},
      {"resumed_from", Field(s, "resumed_from")},
      {"status", Value(r.status)},
      {"started_at", Value(r.started_at)},
      {"finished_at", Value(r.finished_at)},
      {"duration_ms", Field(r.finished, "duration_ms")},
      {"rto", Field(r.finished, "rto")},
      {"rpo", Field(r.finished, "rpo")},
      {"objectives_met", Field(r.finished, "objectives_met")},
      {"interrupted_reason", Value(r.interrupted_reason)},
      {"steps", Value(std::move(steps))},
      {"approvals", Value(std::move(approvals))},
      {"graph", Field(s, "graph")},
  });
}

std::string ReportJson(const RunRecord& r) { return ToJson(ReportValue(r), 2) + "\n"; }

std::string ReportMarkdown(const RunRecord& r) {
  std::ostringstream o;
  const Value& fin = r.finished;
  o << "## Runbook report: " << r.Text("runbook") << " (" << r.Text("kind") << ")\n\n";
  o << "| | |\n|---|---|\n";
  o << "| run | `" << r.run_id << "`"
    << (r.Text("resumed_from").empty() ? "" : " (resumes `" + r.Text("resumed_from") + "`)")
    << " |\n";
  o << "| status | **" << r.status << "** |\n";
  o << "| started | " << r.started_at << " by " << r.Text("user") << " on " << r.Text("host")
    << " |\n";
  if (!r.finished_at.empty()) o << "| finished | " << r.finished_at << " |\n";
  if (Field(fin, "duration_ms").is_number())
    o << "| duration | " << HumanMs(Field(fin, "duration_ms").as_int()) << " |\n";
  const Value& rto = Field(fin, "rto");
  if (Field(rto, "elapsed_ms").is_number()) {
    o << "| RTO | " << HumanMs(Field(rto, "elapsed_ms").as_int());
    if (Field(rto, "objective_ms").is_number())
      o << " vs objective " << HumanMs(Field(rto, "objective_ms").as_int());
    o << " — **" << ObjectiveText(rto) << "** (approval wait "
      << HumanMs(Field(rto, "approval_wait_ms").as_int()) << ") |\n";
  }
  const Value& rpo = Field(fin, "rpo");
  if (Field(rpo, "age_ms").is_number()) {
    o << "| RPO | " << HumanMs(Field(rpo, "age_ms").as_int());
    if (Field(rpo, "objective_ms").is_number())
      o << " vs objective " << HumanMs(Field(rpo, "objective_ms").as_int());
    o << " — **" << ObjectiveText(rpo) << "** |\n";
  }
  o << "| runbook | `" << r.Text("path") << "` sha256 `" << r.Text("runbook_sha256").substr(0, 16)
    << "`"
    << (r.Text("git_commit").empty() ? "" : " commit `" + r.Text("git_commit").substr(0, 12) + "`")
    << " |\n";
  if (!r.interrupted_reason.empty())
    o << "| interrupted | " << MdCell(r.interrupted_reason) << " |\n";
  auto integrity = IntegrityLines(r);
  if (!integrity.empty()) {
    o << "\n### Integrity\n\n";
    for (const std::string& line : integrity) o << "- `" << line << "`\n";
  }
  o << "\n### Steps\n\n| step | type | outcome | attempts | duration | note |\n"
    << "|---|---|---|---|---|---|\n";
  for (const StepView& s : r.steps) {
    std::string note = StepNote(s);
    o << "| " << s.id << " | " << s.type << " | " << (s.outcome.empty() ? "unfinished" : s.outcome)
      << " | " << s.attempts.size() << " | " << HumanMs(s.duration_ms) << " | " << MdCell(note)
      << " |\n";
  }
  if (!r.approvals.empty()) {
    o << "\n### Approvals\n\n";
    for (const ApprovalView& a : r.approvals)
      o << "- `" << a.step << "` approved by " << a.by << " at " << a.at << " after "
        << HumanMs(a.waited_ms) << "\n";
  }
  return o.str();
}

}  // namespace runbook
