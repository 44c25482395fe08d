// runbook's entry point: builds the step registry from the built-in registrations, parses
// the command line with CLI11 and hands over to one subcommand (cli/*_cmd.cpp).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace runbook;
  StepRegistry registry = MakeBuiltinRegistry();
  CLI::App app{"runbook - declarative runbooks: validate, plan and run them with evidence"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("runbook ") + RUNBOOK_VERSION);

  ValidateOptions validate;
  auto* v = app.add_subcommand("validate", "check runbooks; every mistake with file:line:col");
  v->add_option("files", validate.files, "runbook files")->required();
  v->add_option("--format", validate.format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));

  PlanOptions plan;
  auto* p =
      app.add_subcommand("plan", "what would run, in which order, and what each step would do");
  p->add_option("file", plan.file, "runbook file")->required();
  p->add_option("--set", plan.sets, "param value NAME=VALUE (repeatable)");
  p->add_option("--format", plan.format, "text or json")->check(CLI::IsMember({"text", "json"}));

  PlanOptions graph;
  graph.format = "dot";
  auto* g = app.add_subcommand("graph", "the step graph as Graphviz dot or Mermaid");
  g->add_option("file", graph.file, "runbook file")->required();
  g->add_option("--format", graph.format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));

  RunCliOptions run;
  auto* r = app.add_subcommand("run", "run a runbook");
  r->add_option("file", run.file, "runbook file")->required();
  r->add_option("--set", run.sets, "param value NAME=VALUE (repeatable)");
  r->add_flag("--dry-run", run.dry_run, "describe every step instead of running it");
  r->add_option("--approve", run.approvals, "approve the approval step with this id (repeatable)");
  r->add_option("--input", run.inputs, "approval input STEP.NAME=VALUE (repeatable)");
  r->add_flag("--yes", run.yes, "approve every approval step");
  r->add_option("--max-parallel", run.max_parallel, "steps running at once")
      ->check(CLI::PositiveNumber);

  std::string steps_type, steps_format = "text";
  auto* st = app.add_subcommand("steps", "step types with their parameters and outputs");
  st->add_option("type", steps_type, "one step type");
  st->add_option("--format", steps_format, "text, json or md")
      ->check(CLI::IsMember({"text", "json", "md"}));

  auto* sc = app.add_subcommand("schema", "print the runbook JSON Schema");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInvalid;
  }
  if (v->parsed()) return CmdValidate(registry, validate);
  if (p->parsed()) return CmdPlan(registry, plan);
  if (g->parsed()) return CmdGraph(registry, graph);
  if (r->parsed()) return CmdRun(registry, run);
  if (st->parsed()) return CmdSteps(registry, steps_type, steps_format);
  if (sc->parsed()) return CmdSchema(registry);
  return kExitInvalid;
}
