// The CLI's stderr with Unicode bidi formatting characters shown as \uXXXX, whatever wrote
// them: an error quoting an argument (`--set`, `show ID`, `steps TYPE`), a runbook's enum
// values in the `--input` check, a message from a step (breakT T5). One guard at the sink,
// as PrintableStdout is for stdout, instead of an escape at each message; control characters
// pass (the live view's own terminal sequences; messages escape them with Printable).
#pragma once

#include <memory>
#include <streambuf>

namespace runbook {

// While it lives, std::cerr writes through the escape.
class BidiSafeStderr {
 public:
  BidiSafeStderr();
  ~BidiSafeStderr();
  BidiSafeStderr(const BidiSafeStderr&) = delete;
  BidiSafeStderr& operator=(const BidiSafeStderr&) = delete;

 private:
  std::unique_ptr<std::streambuf> filter_;
  std::streambuf* real_;
};

}  // namespace runbook
