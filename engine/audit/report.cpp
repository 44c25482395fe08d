#include "engine/audit/report.h"

#include "engine/util/duration.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

const Value& Field(const Value& v, const char* key) { return ReportField(v, key); }

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
                          {"output_tail", Value(a.output_tail)},
                          {"ended_processes", Value(std::move(ended))},
                          {"run_id", Value(a.run_id)}});
}

Value StepValue(const StepView& s) {
  Value::List attempts;
  for (const AttemptView& a : s.attempts) attempts.push_back(AttemptValue(a));
  return Value(Value::Map{{"id", Value(s.id)},
                          {"name", Value(s.name)},
                          {"type", Value(s.type)},
                          {"outcome", Value(s.outcome.empty() ? "unfinished" : s.outcome)},
                          {"reason", Value(s.reason)},
                          {"duration_ms", Value(s.duration_ms)},
                          {"outputs", Value(s.outputs)},
                          {"restored_from", Value(s.restored_from)},
                          {"stopped", Value(s.stopped)},
                          {"attempts", Value(std::move(attempts))}});
}

Value OptInt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); }

Value RunChainValue(const RunRecord& r) {
  Value::List runs;
  for (const RunRow& row : r.run_chain)
    runs.push_back(Value(Value::Map{{"run_id", Value(row.run_id)},
                                    {"status", Value(row.status)},
                                    {"started_at", Value(row.started_at)},
                                    {"finished_at", Value(row.finished_at)},
                                    {"duration_ms", OptInt(row.duration_ms)},
                                    {"resumed_from", Value(row.resumed_from)},
                                    {"runbook_sha256", Value(row.runbook_sha256)},
                                    // for people: an interrupted run's finished_at is when it
                                    // was found gone (breakGG G12)
                                    {"end", Value(row.end_text)},
                                    {"this_run", Value(row.run_id == r.run_id)}}));
  return Value(std::move(runs));
}

Value EvidenceValue(const RunRecord& r) {
  Value::List out;
  for (const Artifact& a : Artifacts(r))
    out.push_back(Value(Value::Map{{"step", Value(a.step)},
                                   {"name", Value(a.name)},
                                   {"sha256", Value(a.sha256)},
                                   {"bytes", OptInt(a.bytes)},
                                   {"etag", Value(a.etag)},
                                   {"note", Value(a.note)},
                                   {"taken_at", Value(a.taken_at)},
                                   {"age_ms", OptInt(a.age_ms)}}));
  return Value(std::move(out));
}

Value AuditChainValue(const RunRecord& r) {
  return Value(Value::Map{{"altered_seq", Value(r.altered_seq)},
                          {"chain_problem", Value(r.chain_problem)},
                          {"first_seq", Value(r.first_seq)},
                          {"last_seq", Value(r.last_seq)},
                          {"events", Value(r.events)},
                          {"last_hash", Value(r.last_hash)},
                          {"store_head_seq", Value(r.store_head_seq)},
                          {"store_head_hash", Value(r.store_head_hash)},
                          {"store", Value(r.store_path)}});
}

Value EndedLeftoversValue(const RunRecord& r) {
  Value::List lines;
  for (const std::string& line : r.ended_leftovers) lines.push_back(Value(line));
  return Value(std::move(lines));
}

Value ApprovalsValue(const RunRecord& r) {
  Value::List approvals;
  for (const ApprovalView& a : r.approvals) {
    approvals.push_back(Value(Value::Map{{"step", Value(a.step)},
                                         {"by", Value(a.by)},
                                         {"at", Value(a.at)},
                                         {"waited_ms", Value(a.waited_ms)},
                                         {"inputs", Value(a.inputs)},
                                         {"run_id", Value(a.run_id)},
                                         {"rerun", Value(a.rerun)},
                                         {"prompt", Value(a.prompt)}}));
  }
  return Value(std::move(approvals));
}

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

std::string TriggerText(const RunRecord& r) {
  const Value& t = ReportField(r.started, "trigger");
  if (!t.is_map()) return "";
  std::string kind = ReportField(t, "kind").ToText();
  if (kind == "schedule")
    return "schedule '" + ReportField(t, "cron").ToText() + "' (" +
           ReportField(t, "timezone").ToText() + "), fire " + ReportField(t, "fire_at").ToText();
  if (kind == "restart")  // serve/restart.h
    return "serve's restart: run " + ReportField(t, "resumes").ToText() +
           " waited for an approval when serve stopped";
  std::string out = kind + " call by " + ReportField(t, "by").ToText();
  if (!ReportField(t, "from").ToText().empty()) out += " from " + ReportField(t, "from").ToText();
  return kind == "api" ? "API" + out.substr(3) : out;
}

const Value& ReportField(const Value& v, const char* key) {
  static const Value kNull;
  const Value* f = v.is_map() ? v.Find(key) : nullptr;
  return f != nullptr ? *f : kNull;
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
  Value::List steps;
  for (const StepView& s : r.steps) steps.push_back(StepValue(s));
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
      {"trigger", Field(s, "trigger")},  // runbook serve: a schedule or an API call
      {"notifications", Value(Value::List(r.notifications))},
      {"approvals_waiting", Value(Value::List(r.approvals_waiting))},
      {"host", Field(s, "host")},
      {"engine_version", Field(s, "engine_version")},
      {"params", Field(s, "params")},
      {"resumed_from", Field(s, "resumed_from")},
      {"adopted_from", Field(s, "adopted_from")},  // resume --adopt (breakP P10)
      {"status", Value(r.status)},
      {"started_at", Value(r.started_at)},
      {"finished_at", Value(r.finished_at)},
      {"duration_ms", Field(r.finished, "duration_ms")},
      {"rto", MeasuredObjective(r, "rto")},
      {"rpo", MeasuredObjective(r, "rpo")},
      {"objectives_met", Field(r.finished, "objectives_met")},
      {"interrupted_reason", Value(r.interrupted_reason)},
      {"steps", Value(std::move(steps))},
      {"approvals", ApprovalsValue(r)},
      {"ended_leftovers", EndedLeftoversValue(r)},
      {"graph", Field(s, "graph")},
      {"objectives", Field(s, "objectives")},
      {"incident_started_at", Field(s, "incident_started_at")},
      {"rto_clock", Value(RtoClock(r))},
      {"rto_clock_text", Value(RtoClockText(r))},
      {"run_chain", RunChainValue(r)},
      {"evidence", EvidenceValue(r)},
      {"audit_chain", AuditChainValue(r)},
  });
}

std::string ReportJson(const RunRecord& r) { return ToJsonShown(ReportValue(r), 2) + "\n"; }

}  // namespace runbook
