// The subcommands. main.cpp parses the command line (CLI11) into these option structs and
// calls one function, which returns the process exit code (docs/cli.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/plugin/registry.h"

namespace runbook {

// Exit codes, as in the spec.
constexpr int kExitOk = 0;
constexpr int kExitStepFailed = 1;
constexpr int kExitInvalid = 2;
constexpr int kExitEnvironment = 3;
constexpr int kExitObjectiveMissed = 4;

struct ValidateOptions {
  std::vector<std::string> files;
  std::string format = "text";  // text | json | github
};
int CmdValidate(const StepRegistry& registry, const ValidateOptions& o);

struct PlanOptions {
  std::string file;
  std::vector<std::string> sets;  // k=v
  std::string format = "text";    // text | json (plan); dot | mermaid (graph)
};
int CmdPlan(const StepRegistry& registry, const PlanOptions& o);
int CmdGraph(const StepRegistry& registry, const PlanOptions& o);

struct RunCliOptions {
  std::string file;
  std::vector<std::string> sets;
  std::vector<std::string> approvals;  // step ids
  std::vector<std::string> inputs;     // STEP.NAME=VALUE for approval inputs
  bool yes = false;
  bool dry_run = false;
  int max_parallel = 0;
};
int CmdRun(const StepRegistry& registry, const RunCliOptions& o);

int CmdSteps(const StepRegistry& registry, const std::string& type, const std::string& format);
int CmdSchema(const StepRegistry& registry);

}  // namespace runbook
