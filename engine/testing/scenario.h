// Scenarios for `runbook test` (docs/testing.md): a YAML file beside a runbook that runs it
// with its steps replaced by scripted outcomes (fail the first attempt, time out, succeed
// with these outputs, decline this approval) and says what each run must end as. Nothing
// runs for real, so retries, finally steps, `if: failure()` branches and rollbacks are
// exercised in CI without the systems they act on. Neither Dagu, Rundeck, Argo nor GitHub
// Actions has this; DR runbooks run rarely, so their failure paths rot unseen (issue 19).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/source/diagnostics.h"
#include "engine/util/value.h"

namespace runbook {

// One attempt's scripted end.
struct ScriptedAttempt {
  enum class Kind { kSuccess, kFailure, kTimeout, kDecline };
  Kind kind = Kind::kSuccess;
  std::string error;             // failure: why (default "scripted failure")
  std::optional<int> exit_code;  // failure: its exit code (retry.exit_codes reads it)
  Value::Map outputs;            // success: the step's outputs (others: none)
  bool has_outputs = false;      // outputs were written (else the type's declared ones, defaulted)
  Loc loc;
};

// What a step does in a scenario: its attempts in order, the last repeated for any more
// (`failure` alone fails every attempt; `attempts: [failure, success]` fails the first).
struct StepScript {
  std::vector<ScriptedAttempt> attempts;
  Loc loc;
  const ScriptedAttempt& Attempt(int number) const {  // 1-based
    size_t i = static_cast<size_t>(number - 1);
    return attempts[i < attempts.size() ? i : attempts.size() - 1];
  }
};

struct Expectation {
  std::optional<std::string> status;  // success | failure | cancelled
  Loc status_loc;
  std::vector<std::pair<std::string, std::string>> outcomes;  // step id -> outcome word
  std::vector<Loc> outcome_locs;
  std::vector<std::pair<std::string, int>> attempts;  // step id -> attempts made
  std::vector<Loc> attempt_locs;
};

struct Scenario {
  std::string name;
  Loc loc;
  std::vector<std::pair<std::string, std::string>> params;  // as --set NAME=VALUE
  std::vector<Loc> param_locs;
  std::vector<bool> param_is_collection;    // given as a YAML list or mapping
  std::map<std::string, StepScript> steps;  // by step id (dotted in calls)
  Expectation expect;
};

struct ScenarioFile {
  SourceText source;
  // `defaults.steps`: every scenario's scripts; a scenario's own script of a step replaces
  // the default one whole.
  std::map<std::string, StepScript> defaults;
  // `defaults.params`: every scenario's, a scenario's own value of one replacing it.
  std::vector<std::pair<std::string, std::string>> default_params;
  std::vector<Scenario> scenarios;
};

// The scenario file of `runbook_path`: "x.yaml" -> "x.test.yaml" beside it.
std::string ScenarioPathOf(const std::string& runbook_path);
// Whether `path` names a scenario file ("*.test.yaml", "*.test.yml"), not a runbook: the
// folders serve and schedule read skip them, validate checks them as scenario files, and
// the commands that run a runbook refuse them (as Go's tools treat *_test.go beside code).
bool IsScenarioFile(const std::string& path);
// The runbook a scenario file is beside: "x.test.yaml" -> "x.yaml".
std::string RunbookPathOf(const std::string& scenario_path);

// Reads and checks a scenario file's shape (keys, outcome words, types), every mistake
// located in `diags`; nullopt when it has errors. Step ids are checked against the runbook
// by the runner (they exist only once the runbook is expanded).
std::optional<ScenarioFile> LoadScenarioFile(const std::string& path, Diagnostics& diags);

}  // namespace runbook
