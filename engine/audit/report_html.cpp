// The HTML report: one self-contained page (inline CSS and SVG, no script, no external
// asset) with the summary, a timeline of steps and attempts, and the DAG.
#include <algorithm>
#include <map>
#include <sstream>

#include "engine/audit/report.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

std::string Esc(const std::string& s) {
  std::string out;
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

const char* Colour(const std::string& status) {
  if (status == "success") return "#2e8540";
  if (status == "warning") return "#b07d00";
  if (status == "skipped" || status.empty()) return "#8a8a8a";
  if (status == "cancelled") return "#6b5b95";
  return "#c0392b";
}

std::string Timeline(const RunRecord& r) {
  int64_t start = Ms(r.started_at);
  int64_t end = std::max(start + 1, Ms(r.finished_at.empty() ? r.started_at : r.finished_at));
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts) end = std::max(end, Ms(a.finished_at));
  const int label = 180, width = 720, row = 22;
  int height = row * static_cast<int>(r.steps.size()) + 30;
  std::ostringstream o;
  o << "<svg class=\"timeline\" role=\"img\" aria-label=\"timeline\" width=\"" << label + width + 20
    << "\" height=\"" << height << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  double scale = static_cast<double>(width) / static_cast<double>(end - start);
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const StepView& s = r.steps[i];
    int y = static_cast<int>(i) * row + 4;
    o << "<text x=\"0\" y=\"" << y + 14 << "\">" << Esc(s.id) << "</text>\n";
    for (const AttemptView& a : s.attempts) {
      int64_t a0 = Ms(a.started_at), a1 = a.finished_at.empty() ? end : Ms(a.finished_at);
      int x = label + static_cast<int>((a0 - start) * scale);
      int w = std::max(2, static_cast<int>((a1 - a0) * scale));
      o << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << row - 6
        << "\" fill=\"" << Colour(a.status.empty() ? "failure" : a.status) << "\"><title>"
        << Esc(s.id) << " attempt " << a.number << ": " << Esc(a.status) << " " << HumanMs(a1 - a0)
        << "</title></rect>\n";
    }
  }
  o << "<text x=\"" << label << "\" y=\"" << height - 6 << "\">0</text><text x=\""
    << label + width - 60 << "\" y=\"" << height - 6 << "\">" << HumanMs(end - start)
    << "</text>\n</svg>\n";
  return o.str();
}

// Layers by longest path from a root; one column per layer.
std::string Dag(const RunRecord& r) {
  const Value* graph = r.started.Find("graph");
  if (graph == nullptr || !graph->is_list()) return "<p>no graph recorded</p>";
  std::map<std::string, int> layer;
  std::map<std::string, std::vector<std::string>> needs;
  for (const Value& s : graph->as_list()) {
    std::string id = s.Find("id") ? s.Find("id")->ToText() : "";
    if (const Value* n = s.Find("needs"); n && n->is_list())
      for (const Value& d : n->as_list()) needs[id].push_back(d.ToText());
    layer[id] = 0;
  }
  for (size_t pass = 0; pass < layer.size(); ++pass)  // relax; the graph is acyclic
    for (auto& [id, deps] : needs)
      for (const std::string& d : deps) layer[id] = std::max(layer[id], layer[d] + 1);
  std::map<int, int> filled;
  std::map<std::string, std::pair<int, int>> pos;
  for (const Value& s : graph->as_list()) {
    std::string id = s.Find("id")->ToText();
    int l = layer[id];
    pos[id] = {20 + l * 190, 20 + filled[l]++ * 50};
  }
  int w = 0, h = 0;
  for (auto& [id, p] : pos) {
    w = std::max(w, p.first + 180);
    h = std::max(h, p.second + 50);
  }
  std::ostringstream o;
  o << "<svg class=\"dag\" role=\"img\" aria-label=\"step graph\" width=\"" << w << "\" height=\""
    << h << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  for (auto& [id, deps] : needs)
    for (const std::string& d : deps) {
      if (!pos.count(d)) continue;
      o << "<line x1=\"" << pos[d].first + 160 << "\" y1=\"" << pos[d].second + 15 << "\" x2=\""
        << pos[id].first << "\" y2=\"" << pos[id].second + 15
        << "\" stroke=\"#555\" stroke-width=\"1.5\"/>\n";
    }
  for (auto& [id, p] : pos) {
    const StepView* v = r.FindStep(id);
    o << "<rect x=\"" << p.first << "\" y=\"" << p.second
      << "\" width=\"160\" height=\"30\" rx=\"4\" "
      << "fill=\"" << Colour(v ? v->outcome : "") << "\" fill-opacity=\"0.8\"/><text x=\""
      << p.first + 8 << "\" y=\"" << p.second + 20 << "\" fill=\"#fff\">" << Esc(id) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace

std::string ReportHtml(const RunRecord& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>runbook "
    << Esc(r.Text("runbook")) << " " << Esc(r.run_id) << "</title>\n<style>\n"
    << "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    << "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    << "svg text{font:12px system-ui,sans-serif}.missed{color:#c0392b;font-weight:bold}"
    << ".met{color:#2e8540;font-weight:bold}pre{background:#f5f5f5;padding:6px}\n"
    << "</style></head><body>\n";
  o << "<h1>" << Esc(r.Text("runbook")) << " <small>(" << Esc(r.Text("kind")) << ")</small></h1>\n";
  o << "<table>\n<tr><th>run</th><td>" << Esc(r.run_id) << "</td></tr>\n<tr><th>status</th><td>"
    << Esc(r.status) << "</td></tr>\n<tr><th>started</th><td>" << Esc(r.started_at) << " by "
    << Esc(r.Text("user")) << " on " << Esc(r.Text("host")) << "</td></tr>\n";
  for (const char* key : {"rto", "rpo"}) {
    const Value* o2 = r.finished.is_map() ? r.finished.Find(key) : nullptr;
    if (o2 == nullptr) continue;
    std::string verdict = ObjectiveText(*o2);
    const Value* got = o2->Find(std::string(key) == "rto" ? "elapsed_ms" : "age_ms");
    const Value* want = o2->Find("objective_ms");
    o << "<tr><th>" << (std::string(key) == "rto" ? "RTO" : "RPO") << "</th><td>"
      << (got && got->is_number() ? HumanMs(got->as_int()) : "-")
      << (want && want->is_number() ? " vs " + HumanMs(want->as_int()) : "") << " <span class=\""
      << (verdict == "MISSED" ? "missed"
          : verdict == "met"  ? "met"
                              : "none")
      << "\">" << verdict << "</span></td></tr>\n";
  }
  o << "</table>\n";
  auto integrity = IntegrityLines(r);
  if (!integrity.empty()) {
    o << "<h2>Integrity</h2>\n<ul>\n";
    for (const std::string& line : integrity) o << "<li><code>" << Esc(line) << "</code></li>\n";
    o << "</ul>\n";
  }
  o << "<h2>Timeline</h2>\n" << Timeline(r) << "<h2>Steps</h2>\n" << Dag(r);
  o << "<table>\n<tr><th>step</th><th>type</th><th>outcome</th><th>attempts</th><th>duration</th>"
    << "<th>note</th></tr>\n";
  for (const StepView& s : r.steps) {
    o << "<tr><td>" << Esc(s.id) << "</td><td>" << Esc(s.type) << "</td><td>"
      << Esc(s.outcome.empty() ? "unfinished" : s.outcome) << "</td><td>" << s.attempts.size()
      << "</td><td>" << HumanMs(s.duration_ms) << "</td><td>" << Esc(StepNote(s)) << "</td></tr>\n";
  }
  o << "</table>\n";
  for (const StepView& s : r.steps)
    for (const AttemptView& a : s.attempts)
      if (!a.error.empty() || !a.stderr_tail.empty() || !a.ended_processes.empty()) {
        o << "<h3>" << Esc(s.id) << " attempt " << a.number << "</h3><pre>" << Esc(a.error)
          << (a.error.empty() ? "" : "\n") << Esc(a.stderr_tail) << "</pre>\n";
        for (const std::string& line : a.ended_processes) o << "<p>ended " << Esc(line) << "</p>\n";
      }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace runbook
