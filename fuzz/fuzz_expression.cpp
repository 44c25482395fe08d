// libFuzzer target: any text through the template and expression parsers, then the checker
// and the evaluator (names resolve to a short string), so the limits of
// engine/expression_limits.h are exercised on what parses.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/expression_eval.h"
#include "engine/template.h"

namespace {

struct AnyScope final : runbook::CheckScope, runbook::EvalScope {
  runbook::SType Lookup(const std::vector<std::string>&, std::string&) const override {
    return runbook::SType::kAny;
  }
  bool AllowStatusFunctions() const override { return true; }
  runbook::Result<runbook::Value> Lookup(const std::vector<std::string>& path) const override {
    return runbook::Value(path.back());
  }
  bool StatusFunction(const std::string&) const override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  runbook::ExprError error;
  AnyScope scope;
  if (auto t = runbook::ParseTemplate(text, error)) runbook::RenderTemplate(*t, scope);
  if (auto e = runbook::ParseExpression(text, error)) {
    runbook::ExprToString(*e);
    runbook::CheckExpression(*e, scope, error);
    runbook::Evaluate(*e, scope);
  }
  return 0;
}
