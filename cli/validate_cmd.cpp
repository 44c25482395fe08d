// runbook validate: every mistake of every file, as text, JSON or GitHub annotations.
#include <iostream>

#include "cli/commands.h"
#include "cli/load.h"
#include "engine/util/json.h"

namespace runbook {

int CmdValidate(const StepRegistry& registry, const ValidateOptions& o) {
  bool any_error = false;
  Value::List report;
  for (const std::string& file : o.files) {
    Diagnostics diags;
    SourceText source;
    auto rb = LoadQuiet(registry, file, diags, source);
    any_error = any_error || diags.has_errors();
    if (o.format == "text") {
      PrintDiagnostics(diags, &source);
      if (!diags.has_errors()) std::cout << file << ": ok (" << rb->steps.size() << " steps)\n";
    } else if (o.format == "github") {
      for (const Diagnostic& d : diags.all()) std::cout << RenderGithub(d) << "\n";
    }
    Value::List items;
    for (const Diagnostic& d : diags.all()) {
      items.push_back(Value(Value::Map{
          {"file", Value(d.file)},
          {"line", Value(d.loc.line)},
          {"column", Value(d.loc.col)},
          {"severity", Value(d.severity == Diagnostic::Severity::kError ? "error" : "warning")},
          {"message", Value(d.message)}}));
    }
    report.push_back(Value(Value::Map{{"file", Value(file)},
                                      {"valid", Value(!diags.has_errors())},
                                      {"diagnostics", Value(std::move(items))}}));
  }
  if (o.format == "json") std::cout << ToJson(Value(std::move(report)), 2) << "\n";
  return any_error ? kExitInvalid : kExitOk;
}

}  // namespace runbook
