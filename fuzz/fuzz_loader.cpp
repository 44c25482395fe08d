// libFuzzer target: any bytes through the whole loader (YAML, checks, expressions).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const runbook::StepRegistry registry = runbook::MakeBuiltinRegistry();
  runbook::Diagnostics diags;
  runbook::LoadRunbookText("fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size),
                           registry, diags);
  return 0;
}
