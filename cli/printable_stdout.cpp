#include "cli/printable_stdout.h"

#include "engine/util/strings.h"

namespace runbook {

PrintableStdout::PrintableStdout() : real_(std::cout.rdbuf(collected_.rdbuf())) {}

PrintableStdout::~PrintableStdout() {
  std::cout.rdbuf(real_);
  std::cout << PrintableLines(collected_.str());
  std::cout.flush();
}

}  // namespace runbook
