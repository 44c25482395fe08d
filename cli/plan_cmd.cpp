// runbook plan (waves, resolved parameters, dry-run descriptions) and runbook graph.
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/preview.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

void PrintTextPlan(const Value& plan) {
  std::cout << "runbook " << plan.Find("runbook")->ToText() << " (" << plan.Find("kind")->ToText()
            << ")";
  if (const Value* rto = plan.Find("objectives")->Find("rto"))
    std::cout << ", RTO objective " << rto->ToText();
  std::cout << "\n";
  int n = 0;
  for (const Value& wave : plan.Find("waves")->as_list()) {
    std::cout << "\nwave " << ++n << ":\n";
    for (const Value& step : wave.as_list()) {
      std::cout << "  " << step.Find("id")->ToText() << " (" << step.Find("uses")->ToText() << ")";
      if (step.Find("finally")->as_bool()) std::cout << " [finally]";
      if (const Value* cond = step.Find("if")) std::cout << " if " << cond->ToText();
      std::cout << "\n";
      if (const Value* error = step.Find("error"))
        std::cout << "      error: " << error->ToText() << "\n";
      for (const Value& a : step.Find("actions")->as_list())
        std::cout << "      would " << a.ToText() << "\n";
    }
  }
}

struct Prepared {
  std::unique_ptr<Runbook> rb;
  Value::Map params;
};

bool Prepare(const StepRegistry& registry, const PlanOptions& o, Prepared& p) {
  p.rb = LoadForCommand(registry, o.file);
  if (!p.rb) return false;
  std::vector<std::pair<std::string, std::string>> sets;
  if (!SplitSets(o.sets, sets)) return false;
  auto params = BindParams(*p.rb, sets);
  if (!params.ok()) {
    std::cerr << "runbook: error: " << params.status().message() << "\n";
    return false;
  }
  p.params = params.value();
  return true;
}

std::string MermaidId(const std::string& id) {
  std::string out;
  for (char c : id) out += c == '-' ? '_' : c;
  return out;
}

}  // namespace

int CmdPlan(const StepRegistry& registry, const PlanOptions& o) {
  Prepared p;
  if (!Prepare(registry, o, p)) return kExitInvalid;
  Graph g = BuildGraph(*p.rb);
  Value plan = PlanPreview(*p.rb, g, p.params);
  if (o.format == "json")
    std::cout << ToJson(plan, 2) << "\n";
  else
    PrintTextPlan(plan);
  return kExitOk;
}

int CmdGraph(const StepRegistry& registry, const PlanOptions& o) {
  Prepared p;
  if (!Prepare(registry, o, p)) return kExitInvalid;
  const Runbook& rb = *p.rb;
  bool dot = o.format != "mermaid";
  std::cout << (dot ? "digraph \"" + rb.name + "\" {\n  rankdir=LR;\n  node [shape=box];\n"
                    : "flowchart LR\n");
  for (const StepDecl& s : rb.steps) {
    std::string label = s.id + "\\n(" + s.uses + ")";
    if (dot) {
      std::cout << "  \"" << s.id << "\" [label=\"" << label << "\""
                << (s.is_finally ? ", style=dashed" : "") << "];\n";
    } else {
      std::cout << "  " << MermaidId(s.id) << "[\"" << s.id << " (" << s.uses << ")\"]\n";
    }
    for (const std::string& n : s.needs) {
      if (dot)
        std::cout << "  \"" << n << "\" -> \"" << s.id << "\";\n";
      else
        std::cout << "  " << MermaidId(n) << " --> " << MermaidId(s.id) << "\n";
    }
  }
  if (dot) std::cout << "}\n";
  return kExitOk;
}

}  // namespace runbook
