// The Markdown report: the same facts as the JSON, for a ticket.
#include <algorithm>
#include <sstream>
#include <string_view>

#include "engine/audit/report.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

const Value& Field(const Value& v, const char* key) { return ReportField(v, key); }

// Text that reaches a ticket as text, not markup: CommonMark's backslash escape before the
// characters that start HTML, links, images, emphasis, code and strikethrough (breakN N12: a
// step's `<script>` and `[approved](http://...)` were rendered), '|' escaped for the table
// (GFM), a newline as a space, other control characters as \xNN (Printable: a name's escape
// sequence never reaches a terminal showing the report; K9).
std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|~&!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return Printable(out);
}

// A code span: its content is literal (no escapes work in it, so markup in it is shown as
// typed); fenced by one backtick more than the longest run in it, '|' escaped for the table
// (GFM reads \| in a cell's code span as a pipe).
std::string Code(const std::string& s) {
  if (s.empty()) return "";
  std::string body;
  size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    body += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  }
  std::string fence(longest + 1, '`');
  std::string pad = !body.empty() && (body.front() == '`' || body.back() == '`') ? " " : "";
  return fence + pad + Printable(body) + pad + fence;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

void Objective(std::ostringstream& o, const char* label, const Value& v, const char* got) {
  if (!Field(v, got).is_number() && !Field(v, "objective_ms").is_number()) return;
  o << "| " << label << " | "
    << (Field(v, got).is_number() ? HumanMs(Field(v, got).as_int()) : std::string("-"));
  if (Field(v, "objective_ms").is_number())
    o << " vs objective " << HumanMs(Field(v, "objective_ms").as_int());
  o << " — **" << ObjectiveText(v) << "**";
  if (std::string(label) == "RTO" && Field(v, "approval_wait_ms").is_number())
    o << " (approval wait " << HumanMs(Field(v, "approval_wait_ms").as_int()) << ")";
  o << MdCell(ObjectiveDetail(v)) << " |\n";
}

void Header(std::ostringstream& o, const RunRecord& r) {
  const Value& fin = r.finished;
  o << "## Runbook report: " << r.Text("runbook") << " (" << r.Text("kind") << ")\n\n";
  o << "| | |\n|---|---|\n";
  o << "| run | `" << r.run_id << "`"
    << (r.Text("resumed_from").empty() ? "" : " (resumes `" + r.Text("resumed_from") + "`)")
    << " |\n";
  o << "| status | **" << r.status << "** |\n";
  o << "| started | " << r.started_at << " by " << MdCell(r.Text("user")) << " on "
    << MdCell(r.Text("host")) << " |\n";
  if (!TriggerText(r).empty()) o << "| triggered by | " << MdCell(TriggerText(r)) << " |\n";
  if (!r.Text("adopted_from").empty())  // breakP P10: another account's choices, taken
    o << "| adopted | from a run started by " << MdCell(r.Text("adopted_from"))
      << " (`resume --adopt`) |\n";
  if (!r.finished_at.empty()) o << "| finished | " << FinishedText(r) << " |\n";
  if (Field(fin, "duration_ms").is_number())
    o << "| duration | " << HumanMs(Field(fin, "duration_ms").as_int()) << " (this run) |\n";
  Objective(o, "RTO", MeasuredObjective(r, "rto"), "elapsed_ms");
  Objective(o, "RPO", MeasuredObjective(r, "rpo"), "age_ms");
  o << "| RTO clock | " << MdCell(RtoClockText(r)) << " |\n";
  o << "| runbook | " << Code(r.Text("path")) << " sha256 `" << r.Text("runbook_sha256") << "`"
    << (r.Text("git_commit").empty() ? "" : " commit `" + r.Text("git_commit") + "`") << " |\n";
  o << "| engine | runbook " << r.Text("engine_version") << " |\n";
  if (!r.interrupted_reason.empty())
    o << "| interrupted | " << MdCell(r.interrupted_reason) << " |\n";
}

void Params(std::ostringstream& o, const RunRecord& r) {
  const Value& params = Field(r.started, "params");
  if (!params.is_map() || params.as_map().empty()) return;
  o << "\n### Parameters\n\n| name | value |\n|---|---|\n";
  for (const auto& [k, v] : params.as_map())
    o << "| " << MdCell(k) << " | " << Code(v.ToText()) << " |\n";
}

void Chain(std::ostringstream& o, const RunRecord& r) {
  if (r.run_chain.size() < 2) return;
  o << "\n### Runs of this incident\n\n";
  for (size_t i = 0; i < r.run_chain.size(); ++i) {
    const RunRow& row = r.run_chain[i];
    o << i + 1 << ". `" << row.run_id << "` " << (i == 0 ? "original" : "resume") << ", "
      << row.status << ", " << row.started_at << " → "
      << (row.end_text.empty() ? row.finished_at : row.end_text)
      << (row.duration_ms ? " (" + HumanMs(*row.duration_ms) + ")" : "") << ", runbook `"
      << row.runbook_sha256.substr(0, 12) << "`"
      << (RunbookEdited(r, i) ? " **(edited since the run before: resumed with --force)**" : "")
      << (row.run_id == r.run_id ? " — **this report**" : "") << "\n";
  }
}

void Approvals(std::ostringstream& o, const RunRecord& r) {
  if (r.approvals.empty()) return;
  o << "\n### Approvals\n\n| step | approved by | at | waited | inputs | run |\n"
    << "|---|---|---|---|---|---|\n";
  for (const ApprovalView& a : r.approvals) {
    std::vector<std::string> inputs;
    for (const auto& [k, v] : a.inputs) inputs.push_back(k + "=" + v.ToText());
    std::string step = a.rerun.empty() ? a.step : a.step + " (re-run confirmed: " + a.rerun + ")";
    if (!a.prompt.empty()) step += ": “" + a.prompt + "”";
    o << "| " << MdCell(step) << " | " << MdCell(a.by) << " | " << a.at << " | "
      << HumanMs(a.waited_ms) << " | " << Code(Joined(inputs)) << " | "
      << (a.run_id == r.run_id || a.run_id.empty() ? "this run" : MdCell(a.run_id)) << " |\n";
  }
}

// What a resume ended before it started: processes the run it resumes had left (breakN N23).
void EndedLeftovers(std::ostringstream& o, const RunRecord& r) {
  if (r.ended_leftovers.empty()) return;
  o << "\n### Processes ended before this run\n\nLeft running by `" << r.Text("resumed_from")
    << "`, ended by this resume (`--end-leftovers`):\n\n";
  for (const std::string& line : r.ended_leftovers) o << "- " << MdCell(line) << "\n";
}

void Evidence(std::ostringstream& o, const RunRecord& r) {
  auto artifacts = Artifacts(r);
  if (!artifacts.empty()) {
    o << "\n### Evidence\n\n| step | artifact | sha256 | bytes | ETag | note |\n"
      << "|---|---|---|---|---|---|\n";
    for (const Artifact& a : artifacts)
      o << "| " << MdCell(a.step) << " | " << Code(a.name) << " | " << Code(a.sha256) << " | "
        << (a.bytes ? std::to_string(*a.bytes) : "") << " | " << Code(a.etag) << " | "
        << MdCell(a.note) << " |\n";
  }
  bool any = false;
  for (const StepView& s : r.steps) {
    auto results = ScalarOutputs(s);
    if (results.empty()) continue;
    if (!any) o << "\n### Step results\n\n";
    any = true;
    o << "- " << Code(s.id) << ": " << MdCell(Joined(results)) << "\n";
  }
}

void Steps(std::ostringstream& o, const RunRecord& r) {
  o << "\n### Steps\n\n| step | type | outcome | attempts | duration | note |\n"
    << "|---|---|---|---|---|---|\n";
  for (const StepView& s : r.steps) {
    o << "| " << MdCell(s.id + (s.name.empty() ? "" : " — " + s.name)) << " | " << MdCell(s.type)
      << " | " << (s.outcome.empty() ? "unfinished" : s.outcome) << " | " << s.attempts.size()
      << " | " << StepDurationText(s) << " | " << MdCell(StepNote(s)) << " |\n";
  }
}

}  // namespace

std::string ReportMarkdown(const RunRecord& r) {
  std::ostringstream o;
  Header(o, r);
  Params(o, r);
  Chain(o, r);
  auto integrity = IntegrityLines(r);
  if (!integrity.empty()) {
    o << "\n### Integrity\n\n";
    for (const std::string& line : integrity) o << "- " << Code(line) << "\n";
  }
  Approvals(o, r);
  EndedLeftovers(o, r);
  Evidence(o, r);
  Steps(o, r);
  o << "\n### Audit chain\n\n"
    << AuditPositionText(r) << "\n\nCheck it with " << Code(VerifyCommand(r))
    << "; `runbook audit export` on the same store lists these events.\n";
  return o.str();
}

}  // namespace runbook
