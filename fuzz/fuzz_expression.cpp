// libFuzzer target: any text through the template and expression parsers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  runbook::ExprError error;
  runbook::ParseTemplate(text, error);
  if (auto e = runbook::ParseExpression(text, error)) runbook::ExprToString(*e);
  return 0;
}
