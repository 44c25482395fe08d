// Running a runbook's scenarios (engine/testing/scenario.h) in this process, with the
// executor of real runs and scripted step types (engine/testing/scripted_step.h), and what
// they covered of its branches. docs/testing.md.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/plan.h"
#include "engine/testing/scenario.h"

namespace runbook {

// One scenario's verdict: `problems` empty when the run ended as it expects. A problem that
// is a mistake in the scenario file (an unknown step id, a param refused) is located there.
struct ScenarioVerdict {
  std::string name;
  std::string status;  // how the run ended ("" when it could not start)
  std::vector<std::string> problems;
  // The scenario itself is wrong for this runbook (a step id it does not have, a param it
  // refuses): exit 2, as an invalid file is.
  bool invalid = false;
  bool passed() const { return problems.empty(); }
};

// The branches of a runbook scenarios can take, and which they took: a step's `if:` true and
// false, a retried step tried again, a tolerated failure, a finally step after a failed and
// after a successful run. Keyed by the expanded step ids ("dump.verify if: true").
class Coverage {
 public:
  void Observe(const Runbook& expanded, const RunResult& result);
  size_t total() const { return branches_.size(); }
  size_t covered() const;
  std::vector<std::string> Uncovered() const;  // in step order

 private:
  void Branch(const std::string& what, bool taken);
  std::vector<std::string> order_;
  std::map<std::string, bool> branches_;
};

// Runs `scenario` against `loaded` (a runbook as loaded: not expanded), the file's default
// scripts under its own. Steps that change nothing and wait for nobody (log) run as they are
// unless scripted; every other step plays its script (unscripted: success, declared outputs
// defaulted). Retries do not wait. `file` locates the scenario's mistakes.
ScenarioVerdict RunScenario(const Runbook& loaded, const ScenarioFile& file,
                            const Scenario& scenario, Coverage& coverage);

}  // namespace runbook
