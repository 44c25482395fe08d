// runbook validate: every mistake of every file, as text, JSON or GitHub annotations.
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "engine/calls.h"
#include "engine/executor.h"
#include "engine/preview.h"
#include "engine/run_scope.h"
#include "engine/runbook_place.h"
#include "engine/template.h"
#include "engine/testing/scenario.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

// At most kMaxShownDiagnostics annotations, then a notice with the count of the rest, masked
// as PrintDiagnostics masks.
void PrintGithub(const std::string& file, const std::vector<Diagnostic>& all,
                 const Redactor& redactor) {
  std::string out;
  for (size_t i = 0; i < all.size() && i < kMaxShownDiagnostics; ++i)
    out += RenderGithub(all[i]) + "\n";
  std::string omitted = OmittedLine(all, kMaxShownDiagnostics);
  if (!omitted.empty()) out += "::notice file=" + GithubProperty(file) + "::" + omitted + "\n";
  std::cout << redactor.Apply(out);
}

// One file's entry: at most kMaxShownDiagnostics diagnostics; "omitted" counts the rest.
Value JsonReport(const std::string& file, const Diagnostics& diags) {
  const std::vector<Diagnostic>& all = diags.all();
  Value::List items;
  for (size_t i = 0; i < all.size() && i < kMaxShownDiagnostics; ++i) {
    const Diagnostic& d = all[i];
    items.push_back(Value(Value::Map{
        {"file", Value(d.file)},
        {"line", Value(d.loc.line)},
        {"column", Value(d.loc.col)},
        {"severity", Value(d.severity == Diagnostic::Severity::kError ? "error" : "warning")},
        {"message", Value(ShownMessage(d))}}));
  }
  size_t omitted = all.size() - items.size();
  return Value(Value::Map{{"file", Value(file)},
                          {"valid", Value(!diags.has_errors())},
                          {"diagnostics", Value(std::move(items))},
                          {"omitted", Value(static_cast<int64_t>(omitted))}});
}

// `s` (an error of the runbook `file` found past loading) as a diagnostic at its site
// (Status::site): FILE:LINE:COL in the file it was found in, a used runbook's included, the
// words that placed it in the message dropped (break23a D1: GitHub annotations and JSON said
// line 0, the place only in the text, and a used runbook's line under the caller's name).
void ErrorAtSite(Diagnostics& diags, const std::string& file, const Status& s) {
  const ErrorSite* site = s.site();
  const std::string where = site && !site->file.empty() ? site->file : file;
  std::string message = s.message();
  // "FILE: " once: the diagnostic names the file (a used runbook's chain of callers before it)
  if (size_t at = message.find(where + ": "); at != std::string::npos)
    message.erase(0, at + where.size() + 2);
  if (site == nullptr || site->line < 1) return diags.Error(where, {}, message);
  if (size_t at = message.find(LocationWords(site->line, site->col)); at != std::string::npos)
    message.erase(at, LocationWords(site->line, site->col).size());
  diags.Error(where, Loc{site->line, site->col, 1}, message);
}

// What only expanding the runbook finds (its loops over written lists, the runbooks it uses
// with the params they are given): too many steps, a used runbook's loop over a list that is
// not one (break20 #5: validate said ok, plan refused it). Params not given are not known:
// their loops stay one step, as plan shows them.
void ExpandCheck(const Runbook& rb, const std::string& file, Diagnostics& diags) {
  auto params = BindParams(rb, {}, /*plan_unset=*/true);
  if (!params.ok()) return;
  Runbook expanded = rb;
  if (Status s = ExpandRunbook(expanded, params.value(), /*plan_unset=*/true); !s.ok())
    ErrorAtSite(diags, file, s);
}

// The runbook's env bound as a run binds it, params not given and secrets unknown: an entry
// that fails from what is written alone (break22 #6: an env doubling itself past the 4 MiB
// limit of a value passed validate, and the run was refused).
void EnvCheck(const Runbook& rb, const std::string& file, Diagnostics& diags) {
  auto params = BindParams(rb, {}, /*plan_unset=*/true);
  if (!params.ok() || rb.env.empty()) return;
  SystemClock clock;  // plan's values: run.id never empty (break22c #5: it was "")
  RunValues values = PlanValues(rb, params.value(), clock);
  RunScope scope(rb, values, nullptr, clock);
  if (Status s = BindRunbookEnv(rb, scope, values); !s.ok()) ErrorAtSite(diags, file, s);
}

}  // namespace

int CmdValidate(const StepRegistry& registry, const ValidateOptions& o) {
  bool any_error = false;
  Value::List report;
  for (const std::string& file : o.files) {
    Diagnostics diags;
    SourceText source;
    // A scenario file (x.test.yaml, docs/testing.md) is checked as one: `validate
    // runbooks/*.yaml` takes them with the runbooks.
    std::optional<ScenarioFile> scenarios;
    std::unique_ptr<Runbook> rb, rejected;
    if (IsScenarioFile(file)) {
      scenarios = LoadScenarioFile(file, diags);
      if (scenarios) source = scenarios->source;
    } else {
      rb = LoadQuiet(registry, file, diags, source, &rejected);
    }
    if (rb && !diags.has_errors()) ExpandCheck(*rb, file, diags);
    if (rb && !diags.has_errors()) EnvCheck(*rb, file, diags);
    any_error = any_error || diags.has_errors();
    // One per file, for every format: its secrets are read once.
    const Redactor redactor = RunbookRedactor(rb ? rb.get() : rejected.get());
    if (o.format == "text") {
      PrintDiagnostics(diags, &source, redactor);
      if (!diags.has_errors() && scenarios)
        std::cout << file << ": ok (" << scenarios->scenarios.size() << " scenarios; runbook test "
                  << RunbookPathOf(file) << " runs them)\n";
      else if (!diags.has_errors())
        std::cout << file << ": ok (" << rb->steps.size() << " steps)\n";
    } else if (o.format == "github") {
      PrintGithub(file, diags.all(), redactor);
    } else {
      report.push_back(redactor.Apply(JsonReport(file, diags)));
    }
  }
  if (o.format == "json") std::cout << ToJsonShown(Value(std::move(report)), 2) << "\n";
  return any_error ? kExitInvalid : kExitOk;
}

}  // namespace runbook
