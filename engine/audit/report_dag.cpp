// The step graph for the HTML report, laid out by Graphviz's dot in-process (cgraph builds
// the graph, gvc lays it out and renders SVG). The only file that includes Graphviz.
// Only two plugins are linked in and preloaded, dot's layout and the core SVG renderer:
// text is measured with Graphviz's own font metrics, not pango (whose plugin keeps a
// pointer into a freed context after gvFreeContext, a use-after-free on the second report
// in one process, and leaks fontconfig's caches), so the layout does not depend on the
// fonts installed either.
#include <gvc.h>
#include <gvplugin.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/audit/report.h"

extern "C" {
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;
}

namespace runbook {
namespace {

lt_symlist_t kPlugins[] = {
    {"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
    {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
    {nullptr, nullptr},
};

// Graphviz reads escapes (\N, \G, \n, \l) in labels and tooltips: a backslash in a name
// stays a backslash. The SVG writer escapes <, >, &, " and - itself.
std::string GvText(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return out;
}

void Set(void* obj, const char* name, const std::string& value) {
  agsafeset(obj, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

struct Attr {
  int kind;  // AGRAPH, AGNODE or AGEDGE
  const char* name;
  const char* value;
};
constexpr Attr kDefaults[] = {
    {AGRAPH, "rankdir", "TB"},         {AGRAPH, "nodesep", "0.25"},
    {AGRAPH, "ranksep", "0.3"},        {AGRAPH, "bgcolor", "transparent"},
    {AGNODE, "shape", "box"},          {AGNODE, "style", "rounded,filled"},
    {AGNODE, "fontname", "Helvetica"}, {AGNODE, "fontsize", "11"},
    {AGNODE, "fontcolor", "white"},    {AGNODE, "height", "0.3"},
    {AGEDGE, "color", "#555555"},      {AGEDGE, "arrowsize", "0.6"},
};

void Defaults(Agraph_t* g) {
  for (const Attr& a : kDefaults)
    agattr(g, a.kind, const_cast<char*>(a.name), const_cast<char*>(a.value));
}

std::string Id(const Value& step) {
  const Value* id = step.Find("id");
  return id != nullptr ? id->ToText() : std::string();
}

// Label lines of at most this many characters: a long step id is a box a few lines high, not
// one wider than the window (breakQ Q5: a 151-character id ran out of its box).
constexpr size_t kLabelLine = 20;

// `id` broken into lines of at most kLabelLine characters, after a '-', '_' or '.' where one
// leaves a line at least half full, else at the limit.
std::vector<std::string> LabelLines(const std::string& id) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (id.size() - start > kLabelLine) {
    size_t cut = start + kLabelLine;
    for (size_t k = cut; k > start + kLabelLine / 2; --k) {
      char c = id[k - 1];
      if (c == '-' || c == '_' || c == '.') {
        cut = k;
        break;
      }
    }
    lines.push_back(id.substr(start, cut - start));
    start = cut;
  }
  lines.push_back(id.substr(start));
  return lines;
}

// The label and its horizontal margin (inches). Graphviz sizes the box with Helvetica's
// metrics; the viewer's font may be wider (DejaVu Sans, the fallback on Debian, is up to 45%
// wider for an 'i' and 17% for an 'm'), so the margin grows with the text: 0.011 in a
// character a side covers 1.6 pt a character of 11 pt text.
std::pair<std::string, std::string> NodeLabel(const std::string& id) {
  std::string label;
  size_t longest = 0;
  for (const std::string& line : LabelLines(id)) {
    label += (label.empty() ? "" : "\\n") + GvText(line);
    longest = std::max(longest, line.size());
  }
  double margin = std::max(0.11, 0.011 * static_cast<double>(longest));
  return {label, std::to_string(margin) + ",0.055"};
}

void AddNode(Agraph_t* g, const RunRecord& r, const Value& step) {
  std::string id = Id(step);
  Agnode_t* n = agnode(g, const_cast<char*>(id.c_str()), 1);
  const StepView* v = r.FindStep(id);
  std::string outcome = v == nullptr ? "" : v->outcome.empty() ? "unfinished" : v->outcome;
  const Value* uses = step.Find("uses");
  auto [label, margin] = NodeLabel(id);
  Set(n, "label", label);
  Set(n, "margin", margin);
  Set(n, "fillcolor", OutcomeColour(outcome));
  Set(n, "tooltip",
      GvText(id + " (" + (uses ? uses->ToText() : "") +
             "): " + (outcome.empty() ? "not run" : outcome)));
  const Value* fin = step.Find("finally");
  if (fin != nullptr && fin->is_bool() && fin->as_bool()) Set(n, "style", "rounded,filled,dashed");
  if (fin != nullptr && fin->is_bool() && fin->as_bool()) Set(n, "color", "#222222");
}

void AddEdges(Agraph_t* g, const Value& step) {
  std::string id = Id(step);
  const Value* needs = step.Find("needs");
  if (needs == nullptr || !needs->is_list()) return;
  Agnode_t* to = agnode(g, const_cast<char*>(id.c_str()), 0);
  for (const Value& d : needs->as_list()) {
    Agnode_t* from = agnode(g, const_cast<char*>(d.ToText().c_str()), 0);
    if (from != nullptr && to != nullptr) agedge(g, from, to, nullptr, 1);
  }
}

// The most steps in one layer (a step's layer: one past the deepest step it needs), from
// the recorded graph; a cycle cannot be recorded, and is cut at the graph's size.
size_t WidestLayer(const Value::List& graph) {
  std::map<std::string, const Value*> by_id;
  for (const Value& step : graph) by_id[Id(step)] = &step;
  std::map<std::string, size_t> layer;
  std::function<size_t(const std::string&, size_t)> depth = [&](const std::string& id,
                                                                size_t guard) -> size_t {
    if (auto it = layer.find(id); it != layer.end()) return it->second;
    auto step = by_id.find(id);
    if (step == by_id.end() || guard > graph.size()) return 0;
    size_t d = 0;
    if (const Value* needs = step->second->Find("needs"); needs && needs->is_list())
      for (const Value& n : needs->as_list()) d = std::max(d, depth(n.ToText(), guard + 1) + 1);
    return layer[id] = d;
  };
  std::map<size_t, size_t> count;
  size_t widest = 0;
  for (const Value& step : graph) widest = std::max(widest, ++count[depth(Id(step), 0)]);
  return widest;
}

// Above this many steps side by side, layers are laid out left to right, so a wide layer (a
// loop over 30 databases) is a readable column instead of a strip scaled down to the page
// (breakN N28: 4760 pt wide, labels unreadable at 1400 px).
constexpr size_t kWidestTopToBottom = 8;

struct GraphFree {
  void operator()(Agraph_t* g) const { agclose(g); }
};
struct ContextFree {
  void operator()(GVC_t* c) const { gvFreeContext(c); }
};

// Renders `g` to SVG; "" when Graphviz fails.
std::string Render(GVC_t* gvc, Agraph_t* g) {
  if (gvLayout(gvc, g, "dot") != 0) return "";
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc, g, "svg", &data, &length);
  std::string svg = rc == 0 && data != nullptr ? std::string(data, length) : std::string();
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  size_t start = svg.find("<svg");  // drop the XML declaration and DOCTYPE
  return start == std::string::npos ? "" : svg.substr(start);
}

}  // namespace

std::string DagSvg(const RunRecord& r) {
  const Value* graph = r.started.Find("graph");
  if (graph == nullptr || !graph->is_list()) return "<p>no graph recorded</p>\n";
  // Graphviz is not thread-safe (its error level, memory disciplines and plugin tables are
  // process-wide): serve drew two reports at once and crashed in libcgraph (breakHH HH1).
  static std::mutex graphviz;
  std::lock_guard<std::mutex> one_at_a_time(graphviz);
  agseterr(AGMAX);  // no warnings on stderr: a failure is said in the report
  std::unique_ptr<GVC_t, ContextFree> gvc(gvContextPlugins(kPlugins, 0));
  std::unique_ptr<Agraph_t, GraphFree> g(agopen(const_cast<char*>("steps"), Agdirected, nullptr));
  if (!gvc || !g) return "<p>graph not drawn: Graphviz could not start</p>\n";
  Defaults(g.get());
  if (WidestLayer(graph->as_list()) > kWidestTopToBottom) Set(g.get(), "rankdir", "LR");
  for (const Value& step : graph->as_list()) AddNode(g.get(), r, step);
  for (const Value& step : graph->as_list()) AddEdges(g.get(), step);
  std::string svg = Render(gvc.get(), g.get());
  if (svg.empty()) return "<p>graph not drawn: Graphviz's dot layout failed</p>\n";
  return "<div class=\"dag\">" + svg + "</div>\n";
}

}  // namespace runbook
