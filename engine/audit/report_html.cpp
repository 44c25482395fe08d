// The HTML report: one self-contained page (inline CSS and SVG, no script, no external
// asset) with the summary, objectives, approvals, evidence, the DAG (report_dag.cpp) with
// a legend, a timeline of steps and attempts, and a print stylesheet for A4.
#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/audit/report.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

// HTML-escaped, with control characters shown as \xNN (PrintableLines): a step's output or a
// param holding an escape sequence reaches the page as text (breakN N3).
std::string Esc(const std::string& raw) {
  std::string out, s = PrintableLines(raw);
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

int64_t Ms(const std::string& at) {
  auto t = ParseUtc(at);
  return t ? UnixMillis(*t) : 0;
}

// A step id as the timeline's label column holds it: ids past kTimelineLabelChars keep their
// start and end around an ellipsis, the whole id in the label's tooltip (breakQ Q5: a long id
// ran under the bars). Ids are ASCII (runbook_keys.cpp), so a byte is a character.
constexpr size_t kTimelineLabelChars = 24;
std::string TimelineLabel(const std::string& id) {
  if (id.size() <= kTimelineLabelChars) return Esc(id);
  size_t head = kTimelineLabelChars / 2 - 1, tail = kTimelineLabelChars - head - 1;
  return Esc(id.substr(0, head)) + "\u2026" + Esc(id.substr(id.size() - tail)) + "<title>" +
         Esc(id) + "</title>";
}

std::string Timeline(const RunRecord& r) {
  // From the first attempt of the incident: a step a resume carried over is drawn where it
  // ran, in the earlier run, on the clock its RTO counts (breakN N22).
  int64_t start = Ms(r.started_at);
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts)
      if (!a.started_at.empty()) start = std::min(start, Ms(a.started_at));
  int64_t end = std::max(start + 1, Ms(r.finished_at.empty() ? r.started_at : r.finished_at));
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts) end = std::max(end, Ms(a.finished_at));
  const int label = 180, width = 720, row = 22;
  int height = row * static_cast<int>(r.steps.size()) + 30;
  std::ostringstream o;
  o << "<svg class=\"timeline\" role=\"img\" aria-label=\"timeline\" width=\"" << label + width + 20
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << label + width + 20 << " " << height
    << "\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    << "<clipPath id=\"timeline-labels\"><rect x=\"0\" y=\"0\" width=\"" << label - 4
    << "\" height=\"" << height << "\"/></clipPath>\n";  // whatever the viewer's font
  double scale = static_cast<double>(width) / static_cast<double>(end - start);
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const StepView& s = r.steps[i];
    int y = static_cast<int>(i) * row + 4;
    o << "<text x=\"0\" y=\"" << y + 14 << "\" clip-path=\"url(#timeline-labels)\">"
      << TimelineLabel(s.id) << "</text>\n";
    for (const AttemptView& a : s.attempts) {
      int64_t a0 = Ms(a.started_at), a1 = a.finished_at.empty() ? end : Ms(a.finished_at);
      int x = label + static_cast<int>((a0 - start) * scale);
      int w = std::max(2, static_cast<int>((a1 - a0) * scale));
      o << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << row - 6
        << "\" fill=\"" << OutcomeColour(a.status.empty() ? "failure" : a.status) << "\"><title>"
        << Esc(s.id) << " attempt " << a.number << ": " << Esc(a.status) << " " << HumanMs(a1 - a0)
        << (a.run_id.empty() ? "" : " (in run " + Esc(a.run_id) + ")") << "</title></rect>\n";
    }
  }
  o << "<text x=\"" << label << "\" y=\"" << height - 6 << "\">0</text><text x=\""
    << label + width - 60 << "\" y=\"" << height - 6 << "\">" << HumanMs(end - start)
    << "</text>\n</svg>\n";
  return o.str();
}

const char* kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1300px}"
    "table{border-collapse:collapse;margin:.4em 0}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}th{overflow-wrap:normal}h1,h2,h3{overflow-wrap:anywhere}"
    "table.fixed{width:100%;table-layout:fixed}"
    "code{font:12px ui-monospace,monospace;word-break:break-all}"
    "svg{max-width:100%;height:auto}.timeline text{font:12px system-ui,sans-serif}"
    ".missed{color:#c0392b;font-weight:bold}.met{color:#2e8540;font-weight:bold}"
    "pre{background:#f5f5f5;padding:6px;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".graph{display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap}"
    ".legend{list-style:none;padding:0}.legend li{margin:.2em 0}"
    ".sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:middle;"
    "margin-right:6px;border:1px solid #222}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{margin:0;font-size:9.5pt;max-width:none}h2{break-after:avoid}"
    "tr,.graph,.timeline{break-inside:avoid}code{font-size:8pt}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

std::string Row(const std::string& th, const std::string& td_html) {
  return "<tr><th>" + Esc(th) + "</th><td>" + td_html + "</td></tr>\n";
}

// The start of a table whose columns take the given shares of the page's width (percent;
// 0: what is left), headed by their names. A fixed layout: one long unbreakable value (a
// note, a one-line stack trace) wraps in its cell instead of squeezing the other columns
// to a letter a line (breakO O23).
std::string FixedTable(const std::vector<std::pair<const char*, int>>& columns) {
  std::string cols, heads;
  for (const auto& [name, percent] : columns) {
    cols += percent > 0 ? "<col style=\"width:" + std::to_string(percent) + "%\">" : "<col>";
    heads += "<th>" + std::string(name) + "</th>";
  }
  return "<table class=\"fixed\">\n<colgroup>" + cols + "</colgroup>\n<thead><tr>" + heads +
         "</tr></thead>\n";
}

std::string Code(const std::string& s) { return s.empty() ? "" : "<code>" + Esc(s) + "</code>"; }

std::string Objective(const RunRecord& r, const char* key) {
  Value measured = MeasuredObjective(r, key);
  const Value* o = measured.is_map() ? &measured : nullptr;
  if (o == nullptr) return "";
  bool rto = std::string(key) == "rto";
  std::string verdict = ObjectiveText(*o);
  const Value* got = o->Find(rto ? "elapsed_ms" : "age_ms");
  const Value* want = o->Find("objective_ms");
  const Value* wait = o->Find("approval_wait_ms");
  std::string cls = verdict == "MISSED" ? "missed" : verdict == "met" ? "met" : "none";
  return Row(
      rto ? "RTO" : "RPO",
      (got && got->is_number() ? HumanMs(got->as_int()) : "-") +
          (want && want->is_number() ? " vs " + HumanMs(want->as_int()) : "") + " <span class=\"" +
          cls + "\">" + verdict + "</span>" +
          (rto && wait && wait->is_number() ? " (approval wait " + HumanMs(wait->as_int()) + ")"
                                            : "") +
          Esc(ObjectiveDetail(*o)));
}

void Header(std::ostringstream& o, const RunRecord& r) {
  o << "<table>\n" << Row("run", Code(r.run_id)) << Row("status", Esc(r.status));
  if (!r.Text("resumed_from").empty()) o << Row("resumes", Code(r.Text("resumed_from")));
  if (!r.Text("adopted_from").empty())  // breakP P10
    o << Row("adopted", "from a run started by " + Esc(r.Text("adopted_from")) +
                            " (<code>resume --adopt</code>)");
  o << Row("runbook", Code(r.Text("path")))
    << Row("runbook sha256", Code(r.Text("runbook_sha256")));
  if (!r.Text("git_commit").empty()) o << Row("git commit", Code(r.Text("git_commit")));
  o << Row("started", Esc(r.started_at) + " by <b>" + Esc(r.Text("user")) + "</b> on <b>" +
                          Esc(r.Text("host")) + "</b>");
  if (!TriggerText(r).empty()) o << Row("triggered by", Esc(TriggerText(r)));
  if (!r.finished_at.empty()) o << Row("finished", Esc(FinishedText(r)));
  const Value* d = r.finished.is_map() ? r.finished.Find("duration_ms") : nullptr;
  if (d != nullptr && d->is_number()) o << Row("duration", HumanMs(d->as_int()) + " (this run)");
  o << Row("engine", "runbook " + Esc(r.Text("engine_version")));
  if (!r.interrupted_reason.empty()) o << Row("interrupted", Esc(r.interrupted_reason));
  o << "</table>\n<h2>Objectives</h2>\n<table>\n"
    << Objective(r, "rto") << Objective(r, "rpo") << Row("RTO clock", Esc(RtoClockText(r)))
    << "</table>\n";
}

void Params(std::ostringstream& o, const RunRecord& r) {
  const std::map<std::string, std::string> params = RecordedParamTexts(r);
  if (params.empty()) return;
  o << "<h2>Parameters</h2>\n<table>\n";
  for (const auto& [k, text] : params) o << Row(k, Code(text));
  o << "</table>\n";
}

void Chain(std::ostringstream& o, const RunRecord& r) {
  if (r.run_chain.size() < 2) return;
  o << "<h2>Runs of this incident</h2>\n<ol class=\"chain\">\n";
  for (size_t i = 0; i < r.run_chain.size(); ++i) {
    const RunRow& row = r.run_chain[i];
    o << "<li>" << Code(row.run_id) << " " << (i == 0 ? "original" : "resume") << ", "
      << Esc(row.status) << ", " << Esc(row.started_at) << " → "
      << Esc(row.end_text.empty() ? row.finished_at : row.end_text)
      << (row.duration_ms ? " (" + HumanMs(*row.duration_ms) + ")" : "") << ", runbook "
      << Code(row.runbook_sha256.substr(0, 12))
      << (RunbookEdited(r, i) ? " <b>(edited since the run before: resumed with --force)</b>" : "")
      << (row.run_id == r.run_id ? " <b>— this report</b>" : "") << "</li>\n";
  }
  o << "</ol>\n";
}

void Approvals(std::ostringstream& o, const RunRecord& r) {
  if (r.approvals.empty()) return;
  o << "<h2>Approvals</h2>\n"
    << FixedTable({{"step", 17},
                   {"approved by", 14},
                   {"at", 18},
                   {"waited", 9},
                   {"inputs", 0},
                   {"run", 18}});
  for (const ApprovalView& a : r.approvals) {
    std::string inputs;
    for (const auto& [k, v] : a.inputs) inputs += Esc(k) + " = " + Code(v.ToText()) + "<br>";
    std::string step = a.rerun.empty()
                           ? Esc(a.step)
                           : Esc(a.step) + " <i>(re-run confirmed: " + Esc(a.rerun) + ")</i>";
    if (!a.prompt.empty()) step += "<br><i>“" + Esc(a.prompt) + "”</i>";
    o << "<tr><td>" << step << "</td><td>" << Esc(a.by) << "</td><td>" << Esc(a.at) << "</td><td>"
      << HumanMs(a.waited_ms) << "</td><td>" << inputs << "</td><td>"
      << (a.run_id == r.run_id || a.run_id.empty() ? "this run" : Esc(a.run_id)) << "</td></tr>\n";
  }
  o << "</table>\n";
}

// What a resume ended before it started: processes the run it resumes had left (breakN N23).
void EndedLeftovers(std::ostringstream& o, const RunRecord& r) {
  if (r.ended_leftovers.empty()) return;
  o << "<h2>Processes ended before this run</h2>\n<p>Left running by "
    << Code(r.Text("resumed_from")) << ", ended by this resume (<code>--end-leftovers</code>):"
    << "</p>\n<ul>\n";
  for (const std::string& line : r.ended_leftovers) o << "<li>" << Code(line) << "</li>\n";
  o << "</ul>\n";
}

void Evidence(std::ostringstream& o, const RunRecord& r) {
  auto artifacts = Artifacts(r);
  if (!artifacts.empty()) {
    o << "<h2>Evidence</h2>\n"
      << FixedTable({{"step", 9},
                     {"artifact", 27},
                     {"sha256", 25},
                     {"bytes", 7},
                     {"ETag", 10},
                     {"note", 0}});
    for (const Artifact& a : artifacts)
      o << "<tr><td>" << Esc(a.step) << "</td><td>" << Code(a.name) << "</td><td>" << Code(a.sha256)
        << "</td><td>" << (a.bytes ? std::to_string(*a.bytes) : "") << "</td><td>" << Code(a.etag)
        << "</td><td>" << Esc(a.note) << "</td></tr>\n";
    o << "</table>\n";
  }
  std::string results;
  for (const StepView& s : r.steps) {
    std::string line;
    for (const std::string& kv : ScalarOutputs(s)) line += (line.empty() ? "" : ", ") + kv;
    if (!line.empty()) results += "<li><b>" + Esc(s.id) + "</b>: " + Code(line) + "</li>\n";
  }
  if (!results.empty()) o << "<h3>Step results</h3>\n<ul>\n" << results << "</ul>\n";
}

void Graph(std::ostringstream& o, const RunRecord& r) {
  o << "<h2>Step graph</h2>\n<div class=\"graph\">" << DagSvg(r) << "<ul class=\"legend\">\n";
  for (const char* outcome : {"success", "warning", "failure", "cancelled", "unfinished"})
    o << "<li><span class=\"sw\" style=\"background:" << OutcomeColour(outcome) << "\"></span>"
      << outcome << (std::string(outcome) == "unfinished" ? " (interrupted)" : "") << "</li>\n";
  o << "<li><span class=\"sw\" style=\"background:" << OutcomeColour("skipped")
    << "\"></span>skipped or not run</li>\n"
    << "<li><span class=\"sw\" style=\"background:#fff;border:2px dashed #222\"></span>"
    << "dashed border: a finally step</li>\n"
    << "<li>→ arrow: the step below needs the one above</li>\n</ul></div>\n";
}

void StepTable(std::ostringstream& o, const RunRecord& r) {
  o << "<h2>Steps</h2>\n"
    << FixedTable({{"step", 17},
                   {"type", 12},
                   {"outcome", 11},
                   {"attempts", 11},
                   {"duration", 11},
                   {"note", 0}});
  for (const StepView& s : r.steps) {
    o << "<tr><td>" << Esc(s.id) << (s.name.empty() ? "" : "<br><small>" + Esc(s.name) + "</small>")
      << "</td><td>" << Esc(s.type) << "</td><td>"
      << Esc(s.outcome.empty() ? "unfinished" : s.outcome) << "</td><td>" << s.attempts.size()
      << "</td><td>" << StepDurationText(s) << "</td><td>" << Esc(StepNote(s)) << "</td></tr>\n";
  }
  o << "</table>\n";
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts)
      if (!a.error.empty() || !a.stderr_tail.empty() || !a.ended_processes.empty()) {
        o << "<h3>" << Esc(s.id) << " attempt " << a.number << "</h3><pre>" << Esc(a.error)
          << (a.error.empty() ? "" : "\n") << Esc(a.error.empty() ? a.stderr_tail : a.LastOutput())
          << "</pre>\n";
        for (const std::string& line : a.ended_processes) o << "<p>ended " << Esc(line) << "</p>\n";
      }
}
}  // namespace

std::string ReportHtml(const RunRecord& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>runbook "
    << Esc(r.Text("runbook")) << " " << Esc(r.run_id) << "</title>\n<style>\n"
    << kStyle << "</style></head><body>\n";
  o << "<h1>" << Esc(r.Text("runbook")) << " <small>(" << Esc(r.Text("kind")) << ")</small></h1>\n";
  Header(o, r);
  Params(o, r);
  Chain(o, r);
  Approvals(o, r);
  EndedLeftovers(o, r);
  Evidence(o, r);
  auto integrity = IntegrityLines(r);
  if (!integrity.empty()) {
    o << "<h2>Integrity</h2>\n<ul>\n";
    for (const std::string& line : integrity) o << "<li><code>" << Esc(line) << "</code></li>\n";
    o << "</ul>\n";
  }
  Graph(o, r);
  o << "<h2>Timeline</h2>\n" << Timeline(r);
  StepTable(o, r);
  o << "<h2>Audit chain</h2>\n<p>" << Esc(AuditPositionText(r)) << "</p>\n<p>Check it with "
    << Code(VerifyCommand(r)) << "; <code>runbook audit export</code>"
    << " on the same store lists these events.</p>\n</body></html>\n";
  return o.str();
}
}  // namespace runbook
