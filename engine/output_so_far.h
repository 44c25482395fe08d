// What a running attempt has printed so far, kept for the record of a run that may be killed
// before the attempt ends (breakM M17: after kill -9 nothing the step printed was kept, yet
// the resume says "check what it did"). The attempt's thread adds lines; the executor's loop
// takes the text now and then and the journal keeps it outside the chain.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace runbook {

// The last kOutputSoFarBytes of the lines added (cut at a line's start when it can be), and
// whether they changed since last taken. Thread-safe.
class OutputSoFar {
 public:
  static constexpr size_t kOutputSoFarBytes = 4096;  // as much as a tail `show` prints

  // One line as shown (already masked); a newline is added.
  void Add(std::string_view line);
  // The text when lines were added since the last call, else nullopt.
  std::optional<std::string> TakeIfChanged();
  // The text now (its last kOutputSoFarBytes).
  std::string Text();

 private:
  std::mutex mu_;
  std::string text_;
  bool changed_ = false;
};

}  // namespace runbook
