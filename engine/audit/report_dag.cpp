// The step graph for the HTML report, laid out by Graphviz's dot in-process (cgraph builds
// the graph, gvc lays it out and renders SVG). The only file that includes Graphviz.
// Only two plugins are linked in and preloaded, dot's layout and the core SVG renderer:
// text is measured with Graphviz's own font metrics, not pango (whose plugin keeps a
// pointer into a freed context after gvFreeContext, a use-after-free on the second report
// in one process, and leaks fontconfig's caches), so the layout does not depend on the
// fonts installed either.
#include <gvc.h>
#include <gvplugin.h>

#include <memory>
#include <string>

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

void AddNode(Agraph_t* g, const RunRecord& r, const Value& step) {
  std::string id = Id(step);
  Agnode_t* n = agnode(g, const_cast<char*>(id.c_str()), 1);
  const StepView* v = r.FindStep(id);
  std::string outcome = v == nullptr ? "" : v->outcome.empty() ? "unfinished" : v->outcome;
  const Value* uses = step.Find("uses");
  Set(n, "label", GvText(id));
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
  agseterr(AGMAX);  // no warnings on stderr: a failure is said in the report
  std::unique_ptr<GVC_t, ContextFree> gvc(gvContextPlugins(kPlugins, 0));
  std::unique_ptr<Agraph_t, GraphFree> g(agopen(const_cast<char*>("steps"), Agdirected, nullptr));
  if (!gvc || !g) return "<p>graph not drawn: Graphviz could not start</p>\n";
  Defaults(g.get());
  for (const Value& step : graph->as_list()) AddNode(g.get(), r, step);
  for (const Value& step : graph->as_list()) AddEdges(g.get(), step);
  std::string svg = Render(gvc.get(), g.get());
  if (svg.empty()) return "<p>graph not drawn: Graphviz's dot layout failed</p>\n";
  return "<div class=\"dag\">" + svg + "</div>\n";
}

}  // namespace runbook
