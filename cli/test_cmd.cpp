// `runbook test FILE`: a runbook's scenarios, run with scripted steps (docs/testing.md).
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "engine/testing/scenario_run.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

Value VerdictValue(const ScenarioVerdict& v) {
  Value::List problems;
  for (const std::string& p : v.problems) problems.push_back(Value(p));
  return Value(Value::Map{{"name", Value(v.name)},
                          {"passed", Value(v.passed())},
                          {"status", Value(v.status)},
                          {"problems", Value(std::move(problems))}});
}

Value CoverageValue(const Coverage& c) {
  Value::List uncovered;
  for (const std::string& u : c.Uncovered()) uncovered.push_back(Value(u));
  return Value(Value::Map{{"branches", Value(static_cast<int64_t>(c.total()))},
                          {"covered", Value(static_cast<int64_t>(c.covered()))},
                          {"uncovered", Value(std::move(uncovered))}});
}

void PrintText(const std::vector<ScenarioVerdict>& verdicts, const Coverage& coverage) {
  size_t failed = 0;
  for (const ScenarioVerdict& v : verdicts) {
    failed += !v.passed();
    // ERROR: the scenario does not fit the runbook (exit 2), not a verdict on it.
    std::cout << (v.passed()  ? "ok   "
                  : v.invalid ? "ERROR "
                              : "FAIL ")
              << Printable(v.name) << "\n";
    for (const std::string& p : v.problems) std::cout << "     " << Printable(p) << "\n";
  }
  std::cout << "coverage: " << coverage.covered() << " of " << coverage.total() << " branches";
  std::vector<std::string> uncovered = coverage.Uncovered();
  if (!uncovered.empty()) std::cout << "; not taken: " << Printable(Join(uncovered, ", "));
  std::cout << "\n"
            << verdicts.size() << " scenario(s): " << verdicts.size() - failed << " passed, "
            << failed << " failed\n";
}

// With --format json, a load that failed is still one JSON document (break21 #10: CI read an
// empty stdout): its errors, as validate's JSON gives them.
int LoadFailed(const TestOptions& o, const std::string& path, const Diagnostics& diags) {
  if (o.format != "json") return kExitInvalid;
  Value::List errors;
  for (const Diagnostic& d : diags.all())
    errors.push_back(Value(Value::Map{{"file", Value(d.file)},
                                      {"line", Value(static_cast<int64_t>(d.loc.line))},
                                      {"column", Value(static_cast<int64_t>(d.loc.col))},
                                      {"message", Value(ShownMessage(d))}}));
  std::cout << ToJsonShown(Value(Value::Map{{"runbook", Value(o.file)},
                                            {"scenarios_file", Value(path)},
                                            {"errors", Value(std::move(errors))}}),
                           2)
            << "\n";
  return kExitInvalid;
}

}  // namespace

int CmdTest(const StepRegistry& registry, const TestOptions& o) {
  std::string path = o.scenarios_given ? o.scenarios : ScenarioPathOf(o.file);
  Diagnostics diags;
  SourceText source;
  std::unique_ptr<Runbook> rejected;
  auto rb = LoadQuiet(registry, o.file, diags, source, &rejected);
  PrintDiagnostics(diags, &source, rb ? rb.get() : rejected.get());
  if (!rb) return LoadFailed(o, path, diags);
  Diagnostics scenario_diags;
  auto file = LoadScenarioFile(path, scenario_diags);
  PrintDiagnostics(scenario_diags, file ? &file->source : nullptr, rb.get());
  if (!file) return LoadFailed(o, path, scenario_diags);
  std::vector<ScenarioVerdict> verdicts;
  Coverage coverage;
  for (const Scenario& s : file->scenarios)
    verdicts.push_back(RunScenario(*rb, *file, s, coverage));
  bool all = true, invalid = false;
  for (const ScenarioVerdict& v : verdicts) {
    all = all && v.passed();
    invalid = invalid || v.invalid;
  }
  if (o.format == "json") {
    Value::List list;
    for (const ScenarioVerdict& v : verdicts) list.push_back(VerdictValue(v));
    std::cout << ToJsonShown(Value(Value::Map{{"runbook", Value(o.file)},
                                              {"scenarios_file", Value(path)},
                                              {"scenarios", Value(std::move(list))},
                                              {"coverage", CoverageValue(coverage)}}),
                             2)
              << "\n";
  } else {
    PrintText(verdicts, coverage);
  }
  return invalid ? kExitInvalid : all ? kExitOk : kExitStepFailed;
}

}  // namespace runbook
