// runbook plan (waves, resolved parameters, dry-run descriptions) and runbook graph.
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run_place.h"
#include "engine/calls.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/preview.h"
#include "engine/process_runner.h"
#include "engine/runbook_place.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// A value on one line: JSON, so "" and " x" stay visible; control characters as \xNN.
std::string Shown(const Value& v) { return Printable(ToJsonShown(v)); }

// `head` then each line of `text`; lines after the first indented under it. Each line is
// Printable: a value can neither forge a plan line nor send a terminal escape.
void PrintLines(const std::string& head, const std::string& indent, const std::string& text) {
  size_t start = 0;
  for (bool first = true; first || start < text.size();
       first = false) {  // no line after a final \n
    size_t end = std::min(text.find('\n', start), text.size());
    std::cout << (first ? head : indent) << Printable(text.substr(start, end - start)) << "\n";
    start = end + 1;
  }
}

// `name = value (note)`; a text of several lines as a block below `name = |`.
void PrintEntry(const std::string& indent, const std::string& name, const Value& v,
                const std::string& note = "") {
  std::string head = indent + Printable(name) + " = ";
  if (v.is_string() && v.as_string().find('\n') != std::string::npos) {
    std::cout << head << "|" << note << "\n";
    PrintLines(indent + "    ", indent + "    ", v.as_string());
  } else {
    std::cout << head << Shown(v) << note << "\n";
  }
}

// The entries of `map` (sorted: Value maps are), under `title` when there are any.
void PrintMap(const std::string& indent, const std::string& title, const Value* map) {
  if (map == nullptr || map->as_map().empty()) return;
  std::cout << indent << title << ":\n";
  for (const auto& [k, v] : map->as_map()) PrintEntry(indent + "  ", k, v);
}

void PrintHeader(const Value& plan) {
  std::cout << "runbook " << plan.Find("runbook")->ToText() << " (" << plan.Find("kind")->ToText()
            << ")";
  if (const Value* rto = plan.Find("objectives")->Find("rto"))
    std::cout << ", RTO objective " << rto->ToText();
  if (const Value* rpo = plan.Find("objectives")->Find("rpo"))
    std::cout << ", RPO objective " << rpo->ToText();
  std::cout << "\n";
  int64_t parallel = plan.Find("max_parallel")->as_int();
  std::cout << "max_parallel: " << (parallel > 0 ? std::to_string(parallel) : "one per core")
            << "\n";
  if (const Value* lock = plan.Find("lock")) std::cout << "lock: " << Shown(*lock) << "\n";
  std::cout << "working directory: " << Printable(plan.Find("working_directory")->ToText())
            << " (relative paths resolve here; relative to the runbook's folder)\n";
  const Value* sources = plan.Find("param_sources");
  if (!plan.Find("params")->as_map().empty()) std::cout << "params:\n";
  for (const auto& [k, v] : plan.Find("params")->as_map())
    PrintEntry("  ", k, v, " (" + sources->Find(k)->ToText() + ")");
  if (!plan.Find("secrets")->as_map().empty()) std::cout << "secrets:\n";
  for (const auto& [k, v] : plan.Find("secrets")->as_map())
    std::cout << "  " << Printable(k) << " from " << Printable(v.ToText()) << "\n";
  PrintMap("", "env", plan.Find("env"));
}

// "retry: 3 attempts, exponential delay 1s (at most 1m), jitter, on failure and timeout"
std::string RetryLine(const Value& r) {
  std::string line = std::to_string(r.Find("max_attempts")->as_int()) + " attempts, " +
                     r.Find("backoff")->ToText() + " delay " + r.Find("delay")->ToText() +
                     " (at most " + r.Find("max_delay")->ToText() + ")";
  if (r.Find("jitter")->as_bool()) line += ", jitter";
  std::vector<std::string> on;
  for (const Value& o : r.Find("on")->as_list()) on.push_back(o.ToText());
  line += on.empty() ? ", on nothing" : ", on " + Join(on, " and ");
  if (!r.Find("exit_codes")->as_list().empty())
    line += ", exit codes " + ToJsonShown(*r.Find("exit_codes"));
  return line;
}

void PrintStep(const Value& step) {
  std::cout << "  " << step.Find("id")->ToText() << " (" << step.Find("uses")->ToText() << ")";
  if (const Value* name = step.Find("name"); name && name->ToText() != step.Find("id")->ToText())
    std::cout << " \"" << Printable(name->ToText()) << "\"";  // breakFF F3
  if (step.Find("finally")->as_bool()) std::cout << " [finally]";
  if (const Value* cond = step.Find("if")) std::cout << " if " << Printable(cond->ToText());
  std::cout << "\n";
  const std::string in = "      ";
  if (!step.Find("needs")->as_list().empty())
    std::cout << in << "needs: " << ToJsonShown(*step.Find("needs")) << "\n";
  if (step.Find("waits_for_people")->as_bool()) std::cout << in << "waits for a person\n";
  if (const Value* t = step.Find("timeout")) std::cout << in << "timeout: " << t->ToText() << "\n";
  if (step.Find("max_attempts")->as_int() > 1)
    std::cout << in << "retry: " << RetryLine(*step.Find("retry")) << "\n";
  if (step.Find("continue_on_error")->ToText() != "false")
    std::cout << in << "continue_on_error: " << step.Find("continue_on_error")->ToText() << "\n";
  if (const Value* rto = step.Find("rto")) std::cout << in << "rto: " << rto->ToText() << "\n";
  if (const Value* loop = step.Find("loop")) {
    const Value* of = loop->Find("of");
    const Value* parallel = loop->Find("max_parallel");
    std::cout << in
              << (of ? "item " + loop->Find("index")->ToText() + " of loop '" + of->ToText() + "'"
                     : "for each item of " + Printable(loop->Find("items")->ToText()) +
                           " (not known here)")
              << (parallel ? ", " + parallel->ToText() + " at once" : std::string())
              << (loop->Find("fail_fast")->as_bool() ? ", fail_fast" : ", every item runs") << "\n";
  }
  if (!step.Find("idempotent")->as_bool())
    std::cout << in << "not idempotent: stopped mid-way, it runs again only when confirmed\n";
  if (const Value* skipped = step.Find("skipped"))
    PrintLines(in + "skipped: ", in + "    ", skipped->ToText());
  PrintMap(in, "env", step.Find("env"));
  PrintMap(in, "with", step.Find("params"));
  if (const Value* omitted = step.Find("values_not_shown"))
    std::cout << in << "values not shown: " << omitted->ToText() << "\n";
  if (const Value* error = step.Find("error"))
    PrintLines(in + "error: ", in + "    ", error->ToText());
  for (const Value& a : step.Find("actions")->as_list())
    PrintLines(in + "would ", in + "    ", a.ToText());
}

// Stable for diffs: no path, no clock; maps sorted; steps in wave order.
void PrintTextPlan(const Value& plan) {
  PrintHeader(plan);
  int n = 0;
  for (const Value& wave : plan.Find("waves")->as_list()) {
    std::cout << "\nwave " << ++n << ":\n";
    for (const Value& step : wave.as_list()) PrintStep(step);
  }
}

struct Prepared {
  std::unique_ptr<Runbook> rb;
  PlanInputs in;
};

bool Prepare(const StepRegistry& registry, const PlanOptions& o, Prepared& p) {
  p.rb = LoadForCommand(registry, o.file);
  if (!p.rb) return false;
  std::vector<std::pair<std::string, std::string>> sets;
  if (!SplitSets(o.sets, sets)) return false;
  auto params = BindParams(*p.rb, sets, /*plan_unset=*/true);
  if (!params.ok()) {
    std::cerr << "runbook: error: " << MaskForRunbook(*p.rb, params.status().message()) << "\n";
    return false;
  }
  p.in.params = params.value();
  for (const auto& [key, value] : sets) p.in.set_on_command_line.insert(key);
  // Every item of a loop whose list the params give (engine/loops.h); one step otherwise.
  if (Status s = ExpandRunbook(*p.rb, p.in.params, /*plan_unset=*/true); !s.ok()) {
    std::cerr << "runbook: error: " << MaskForRunbook(*p.rb, s.message()) << "\n";
    return false;
  }
  return true;
}

// The steps whose values cannot be resolved with these params (a list index past its end, a
// wrong type), each said on stderr: the run would fail there, so plan, printed, is exit 2
// (breakFF N5: `plan --set 'dbs=["orders"]'` exited 0 while dump-1 could never run). Values
// not known before the run (outputs, unset required params) are no such error.
bool FailingSteps(const Value& plan, const Redactor& redactor) {
  bool any = false;
  for (const char* refusal : {"env_error", "lock_error"}) {  // refused before any step
    const Value* why = plan.Find(refusal);
    if (why == nullptr) continue;
    std::cerr << "runbook: error: " << (std::string(refusal) == "lock_error" ? "lock: " : "")
              << redactor.Apply(why->ToText())
              << " (a run with these params is refused before its first step)\n";
    any = true;
  }
  const Value* waves = plan.Find("waves");
  for (const Value& wave : waves && waves->is_list() ? waves->as_list() : Value::List{})
    for (const Value& step : wave.is_list() ? wave.as_list() : Value::List{}) {
      const Value* fails = step.Find("fails_run");
      if (fails == nullptr || !fails->is_bool() || !fails->as_bool()) continue;
      std::cerr << "runbook: error: step '" << Printable(step.Find("id")->ToText())
                << "': " << redactor.Apply(step.Find("error")->ToText())
                << " (a run with these params fails there)\n";
      any = true;
    }
  return any;
}

// A Mermaid node id for step `id`: Mermaid reads brackets as a node's shape (`d[0]` drew node
// `d`: break19 L4) and `-` as an edge, so a loop item `ID[N]` is `ID__N` and `-` is `_` (a step
// that is itself named `ID__N` or `a_b` beside `a-b` would share a node; its label tells).
// A used runbook's steps (engine/calls.h) `X.id` and `X.@start` are `X___id`, `X____at_start`.
std::string MermaidId(const std::string& id) {
  std::string out;
  for (char c : id) {
    if (c == '-' || c == '[')
      out += c == '[' ? "__" : "_";
    else if (c == '.')
      out += "___";
    else if (c == '@')
      out += "_at_";
    else if (c != ']')
      out += c;
  }
  return out;
}

}  // namespace

int CmdPlan(const StepRegistry& registry, const PlanOptions& o) {
  Prepared p;
  if (!Prepare(registry, o, p)) return kExitInvalid;
  Graph g = BuildGraph(*p.rb);
  // Masked as the run masks: the secrets that can be read now (their values stay
  // placeholders) and credential-named variables of this environment.
  Redactor redactor = RunbookRedactor(*p.rb);
  p.in.redactor = &redactor;
  Value plan = PlanPreview(*p.rb, g, p.in);
  if (o.format == "json")
    std::cout << ToJsonShown(plan, 2) << "\n";
  else
    PrintTextPlan(plan);
  return FailingSteps(plan, redactor) ? kExitInvalid : kExitOk;
}

// Text inside a DOT double-quoted string, or a Mermaid "..." label: a used runbook's path may
// hold a quote.
std::string Quoted(const std::string& text, bool dot) {
  std::string out;
  for (char c : text) {
    if (dot && (c == '"' || c == '\\'))
      out += std::string("\\") + c;
    else if (!dot && c == '"')
      out += "#quot;";
    else
      out += c;
  }
  return out;
}

// The steps of call `frame` (engine/calls.h) boxed together, the calls inside it nested: the
// tree of used runbooks in the run's graph.
void PrintCall(std::ostream& out, const Runbook& rb, const std::string& frame, bool dot,
               int depth) {
  const CallFrame& call = rb.calls.at(frame);
  std::string indent(2 * depth, ' ');
  std::string label = frame + ": " + call.callee->name + " (" + rb.FindStep(frame)->uses + ")";
  if (dot)
    out << indent << "subgraph \"cluster_" << Quoted(frame, true) << "\" {\n"
        << indent << "  label=\"" << Quoted(label, true) << "\"; style=rounded;\n";
  else
    out << indent << "subgraph " << MermaidId(frame) << "_call[\"" << Quoted(label, false)
        << "\"]\n";
  for (const StepDecl& s : rb.steps)
    if (s.call_of == frame)
      out << indent << "  " << (dot ? "\"" + s.id + "\";" : MermaidId(s.id)) << "\n";
  for (const auto& [id, inner] : rb.calls)
    if (inner.parent == frame) PrintCall(out, rb, id, dot, depth + 1);
  out << indent << (dot ? "}" : "end") << "\n";
}

int CmdGraph(const StepRegistry& registry, const PlanOptions& o) {
  Prepared p;
  if (!Prepare(registry, o, p)) return kExitInvalid;
  const Runbook& rb = *p.rb;
  bool dot = o.format != "mermaid";
  std::ostringstream out;  // masked whole, as the run's console masks ids (break24a S3)
  out << (dot ? "digraph \"" + rb.name + "\" {\n  rankdir=LR;\n  node [shape=box];\n"
              : "flowchart LR\n");
  for (const StepDecl& s : rb.steps) {
    std::string label = s.id + "\\n(" + Quoted(s.uses, true) + ")";
    if (dot) {
      out << "  \"" << s.id << "\" [label=\"" << label << "\""
          << (s.is_finally ? ", style=dashed" : "") << "];\n";
    } else {
      out << "  " << MermaidId(s.id) << "[\"" << s.id << " (" << Quoted(s.uses, false) << ")\"]\n";
    }
    for (const std::string& n : s.needs) {
      if (dot)
        out << "  \"" << n << "\" -> \"" << s.id << "\";\n";
      else
        out << "  " << MermaidId(n) << " --> " << MermaidId(s.id) << "\n";
    }
  }
  std::vector<std::string> top;  // calls written in the runbook itself, in step order
  for (const StepDecl& s : rb.steps)
    if (s.call_role == CallRole::kOutputs && rb.calls.count(s.call_of) &&
        rb.calls.at(s.call_of).parent.empty())
      top.push_back(s.call_of);
  for (const std::string& frame : top) PrintCall(out, rb, frame, dot, 1);
  if (dot) out << "}\n";
  std::cout << MaskForRunbook(rb, out.str());
  return kExitOk;
}

}  // namespace runbook
