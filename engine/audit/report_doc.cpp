// BuildReportDocument: the facts of a run's report as blocks, in the Markdown report's order.
#include "engine/audit/report_doc.h"

#include <string>
#include <utility>
#include <vector>

#include "engine/audit/report.h"

namespace runbook {
namespace {

using Style = ReportSpan::Style;
using Kind = ReportBlock::Kind;

const Value& Field(const Value& v, const char* key) { return ReportField(v, key); }

ReportSpan P(std::string s) { return {Style::kPlain, std::move(s)}; }
ReportSpan B(std::string s) { return {Style::kStrong, std::move(s)}; }
ReportSpan C(std::string s) { return {Style::kCode, std::move(s)}; }

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

ReportBlock Heading(int level, std::string title) {
  ReportBlock b;
  b.kind = Kind::kHeading;
  b.level = level;
  b.text = {P(std::move(title))};
  return b;
}

ReportBlock Paragraph(ReportText text) {
  ReportBlock b;
  b.kind = Kind::kParagraph;
  b.text = std::move(text);
  return b;
}

ReportBlock Table(std::vector<std::string> header) {
  ReportBlock b;
  b.kind = Kind::kTable;
  for (std::string& h : header) b.header.push_back({P(std::move(h))});
  return b;
}

ReportBlock List(Kind kind) {
  ReportBlock b;
  b.kind = kind;
  return b;
}

void Objective(ReportBlock& t, const char* label, const Value& v, const char* got) {
  if (!Field(v, got).is_number() && !Field(v, "objective_ms").is_number()) return;
  std::string measured =
      Field(v, got).is_number() ? HumanMs(Field(v, got).as_int()) : std::string("-");
  if (Field(v, "objective_ms").is_number())
    measured += " vs objective " + HumanMs(Field(v, "objective_ms").as_int());
  ReportText cell = {P(measured + " — "), B(ObjectiveText(v))};
  if (std::string(label) == "RTO" && Field(v, "approval_wait_ms").is_number())
    cell.push_back(P(" (approval wait " + HumanMs(Field(v, "approval_wait_ms").as_int()) + ")"));
  if (!ObjectiveDetail(v).empty()) cell.push_back(P(ObjectiveDetail(v)));
  t.rows.push_back({{P(label)}, cell});
}

void Header(ReportDocument& d, const RunRecord& r) {
  const Value& fin = r.finished;
  d.blocks.push_back(
      Heading(2, "Runbook report: " + r.Text("runbook") + " (" + r.Text("kind") + ")"));
  ReportBlock t = Table({"", ""});
  auto row = [&t](const char* label, ReportText value) {
    t.rows.push_back({{P(label)}, std::move(value)});
  };
  ReportText run = {C(r.run_id)};
  if (!r.Text("resumed_from").empty())
    run.insert(run.end(), {P(" (resumes "), C(r.Text("resumed_from")), P(")")});
  row("run", run);
  row("status", {B(r.status)});
  row("started", {P(r.started_at + " by " + r.Text("user") + " on " + r.Text("host"))});
  if (!TriggerText(r).empty()) row("triggered by", {P(TriggerText(r))});
  if (!r.Text("adopted_from").empty())  // breakP P10: another account's choices, taken
    row("adopted",
        {P("from a run started by " + r.Text("adopted_from") + " ("), C("resume --adopt"), P(")")});
  if (!r.finished_at.empty()) row("finished", {P(FinishedText(r))});
  if (Field(fin, "duration_ms").is_number())
    row("duration", {P(HumanMs(Field(fin, "duration_ms").as_int()) + " (this run)")});
  Objective(t, "RTO", MeasuredObjective(r, "rto"), "elapsed_ms");
  Objective(t, "RPO", MeasuredObjective(r, "rpo"), "age_ms");
  row("RTO clock", {P(RtoClockText(r))});
  ReportText runbook = {C(r.Text("path")), P(" sha256 "), C(r.Text("runbook_sha256"))};
  if (!r.Text("git_commit").empty())
    runbook.insert(runbook.end(), {P(" commit "), C(r.Text("git_commit"))});
  row("runbook", runbook);
  row("engine", {P("runbook " + r.Text("engine_version"))});
  if (!r.interrupted_reason.empty()) row("interrupted", {P(r.interrupted_reason)});
  d.blocks.push_back(std::move(t));
}

void Params(ReportDocument& d, const RunRecord& r) {
  const std::map<std::string, std::string> params = RecordedParamTexts(r);
  if (params.empty()) return;
  d.blocks.push_back(Heading(3, "Parameters"));
  ReportBlock t = Table({"name", "value"});
  for (const auto& [k, text] : params) t.rows.push_back({{P(k)}, {C(text)}});
  d.blocks.push_back(std::move(t));
}

void Chain(ReportDocument& d, const RunRecord& r) {
  if (r.run_chain.size() < 2) return;
  d.blocks.push_back(Heading(3, "Runs of this incident"));
  ReportBlock list = List(Kind::kNumbered);
  for (size_t i = 0; i < r.run_chain.size(); ++i) {
    const RunRow& row = r.run_chain[i];
    ReportText item = {C(row.run_id)};
    item.push_back(
        P(std::string(" ") + (i == 0 ? "original" : "resume") + ", " + row.status + ", " +
          row.started_at + " → " + (row.end_text.empty() ? row.finished_at : row.end_text) +
          (row.duration_ms ? " (" + HumanMs(*row.duration_ms) + ")" : "") + ", runbook "));
    item.push_back(C(row.runbook_sha256.substr(0, 12)));
    if (RunbookEdited(r, i))
      item.insert(item.end(), {P(" "), B("(edited since the run before: resumed with --force)")});
    if (row.run_id == r.run_id) item.insert(item.end(), {P(" — "), B("this report")});
    list.items.push_back(std::move(item));
  }
  d.blocks.push_back(std::move(list));
}

void Integrity(ReportDocument& d, const RunRecord& r) {
  auto lines = IntegrityLines(r);
  if (lines.empty()) return;
  d.blocks.push_back(Heading(3, "Integrity"));
  ReportBlock list = List(Kind::kList);
  for (std::string& line : lines) list.items.push_back({C(std::move(line))});
  d.blocks.push_back(std::move(list));
}

void Approvals(ReportDocument& d, const RunRecord& r) {
  if (r.approvals.empty()) return;
  d.blocks.push_back(Heading(3, "Approvals"));
  ReportBlock t = Table({"step", "approved by", "at", "waited", "inputs", "run"});
  for (const ApprovalView& a : r.approvals) {
    std::vector<std::string> inputs;
    for (const auto& [k, v] : a.inputs) inputs.push_back(k + "=" + v.ToText());
    std::string step = a.rerun.empty() ? a.step : a.step + " (re-run confirmed: " + a.rerun + ")";
    if (!a.prompt.empty()) step += ": “" + a.prompt + "”";
    t.rows.push_back({{P(step)},
                      {P(a.by)},
                      {P(a.at)},
                      {P(HumanMs(a.waited_ms))},
                      {C(Joined(inputs))},
                      {P(a.run_id == r.run_id || a.run_id.empty() ? "this run" : a.run_id)}});
  }
  d.blocks.push_back(std::move(t));
}

// What a resume ended before it started: processes the run it resumes had left (breakN N23).
void EndedLeftovers(ReportDocument& d, const RunRecord& r) {
  if (r.ended_leftovers.empty()) return;
  d.blocks.push_back(Heading(3, "Processes ended before this run"));
  d.blocks.push_back(Paragraph({P("Left running by "), C(r.Text("resumed_from")),
                                P(", ended by this resume ("), C("--end-leftovers"), P("):")}));
  ReportBlock list = List(Kind::kList);
  for (const std::string& line : r.ended_leftovers) list.items.push_back({P(line)});
  d.blocks.push_back(std::move(list));
}

void Evidence(ReportDocument& d, const RunRecord& r) {
  auto artifacts = Artifacts(r);
  if (!artifacts.empty()) {
    d.blocks.push_back(Heading(3, "Evidence"));
    ReportBlock t = Table({"step", "artifact", "sha256", "bytes", "ETag", "note"});
    for (const Artifact& a : artifacts)
      t.rows.push_back({{P(a.step)},
                        {C(a.name)},
                        {C(a.sha256)},
                        {P(a.bytes ? std::to_string(*a.bytes) : "")},
                        {C(a.etag)},
                        {P(a.note)}});
    d.blocks.push_back(std::move(t));
  }
  ReportBlock list = List(Kind::kList);
  for (const StepView& s : r.steps) {
    auto results = ScalarOutputs(s);
    if (!results.empty()) list.items.push_back({C(s.id), P(": " + Joined(results))});
  }
  if (list.items.empty()) return;
  d.blocks.push_back(Heading(3, "Step results"));
  d.blocks.push_back(std::move(list));
}

void Steps(ReportDocument& d, const RunRecord& r) {
  ReportBlock graph;
  graph.kind = Kind::kStepGraph;
  graph.text = {P("Step graph")};
  d.blocks.push_back(std::move(graph));
  d.blocks.push_back(Heading(3, "Steps"));
  ReportBlock t = Table({"step", "type", "outcome", "attempts", "duration", "note"});
  for (const StepView& s : r.steps)
    t.rows.push_back({{P(s.id + (s.name.empty() ? "" : " — " + s.name))},
                      {P(s.type)},
                      {P(s.outcome.empty() ? "unfinished" : s.outcome)},
                      {P(std::to_string(s.attempts.size()))},
                      {P(StepDurationText(s))},
                      {P(StepNote(s))}});
  d.blocks.push_back(std::move(t));
}

// Each attempt that failed or left output worth reading: its error, then the last lines it
// printed, and the processes runbook ended with it (as the HTML report shows them).
void FailedAttempts(ReportDocument& d, const RunRecord& r) {
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts) {
      if (a.error.empty() && a.stderr_tail.empty() && a.ended_processes.empty()) continue;
      d.blocks.push_back(Heading(4, s.id + " attempt " + std::to_string(a.number)));
      ReportBlock pre;
      pre.kind = Kind::kPreformatted;
      pre.text = {P(a.error + (a.error.empty() ? "" : "\n") +
                    (a.error.empty() ? a.stderr_tail : a.LastOutput()))};
      d.blocks.push_back(std::move(pre));
      if (a.ended_processes.empty()) continue;
      ReportBlock list = List(Kind::kList);
      for (const std::string& line : a.ended_processes) list.items.push_back({P("ended " + line)});
      d.blocks.push_back(std::move(list));
    }
}

}  // namespace

ReportDocument BuildReportDocument(const RunRecord& r) {
  ReportDocument d;
  Header(d, r);
  Params(d, r);
  Chain(d, r);
  Integrity(d, r);
  Approvals(d, r);
  EndedLeftovers(d, r);
  Evidence(d, r);
  Steps(d, r);
  FailedAttempts(d, r);
  d.blocks.push_back(Heading(3, "Audit chain"));
  d.blocks.push_back(Paragraph({P(AuditPositionText(r))}));
  d.blocks.push_back(
      Paragraph({P("Check it with "), C(VerifyCommand(r)), P("; "), C("runbook audit export"),
                 P(" on the same store lists these events.")}));
  return d;
}

std::string PlainText(const ReportText& t) {
  std::string out;
  for (const ReportSpan& s : t) out += s.text;
  return out;
}

}  // namespace runbook
