// The live view's lines of one output stream, masked knowing the text around them: a
// secret's form may span a line break (hex and base64 wrapped at 60 to 76 columns, over as
// many lines as it takes) or the 4 KiB cut of a long line. Each unit (a line, or a piece of a
// line cut at 4 KiB) is shown once no form of a secret that may still go on begins in it:
// while the stream's end is a proper beginning of a form (kMinCutFragment bytes or more), the
// units holding it wait for what comes next, for at most kQuietFlush of silence or the end of
// the stream. What was shown of a form in progress (under kMinCutFragment bytes) is kept as
// context, so what completes it is masked too (break27a #1, #2: a form over 3 lines, or after a
// cut, reached the console). Internal to the process runner (engine/process_capture.h). Not
// thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/duration.h"

namespace runbook {

// How long a unit held for what may complete a form waits in silence before it is shown as
// it is: wrapped output comes in one write, so a pause that long means the form ended there.
inline constexpr Millis kQuietFlush{1000};

class LiveLines {
 public:
  using Steady = std::chrono::steady_clock;
  struct Masking {
    // ProcessRequest::form_begun_at_end and ::redact_part.
    std::function<size_t(std::string_view text)> form_begun_at_end;
    std::function<std::string(std::string_view text, size_t begin, size_t end, unsigned edges)>
        mask_part;
  };
  LiveLines(std::function<void(std::string_view)> show, Masking masking)
      : show_(std::move(show)), masking_(std::move(masking)) {}

  // A unit, raw: a whole line (`ends_line`, without its '\n') or a piece of one cut at 4 KiB.
  void Add(std::string unit, bool ends_line, Steady::time_point now);
  // Shows what waits once nothing came for kQuietFlush.
  void FlushIfQuiet(Steady::time_point now);
  // Shows everything: the stream ended.
  void Flush() { Settle(true); }

 private:
  struct Unit {
    std::string text;
    bool ends_line = true;
  };
  // Shows the units no form in progress begins in; with `all`, every one.
  void Settle(bool all);

  std::function<void(std::string_view)> show_;
  Masking masking_;
  std::string context_;     // shown already, raw: the start of a form that may go on
  bool after_cut_ = false;  // the last unit shown was a piece cut at 4 KiB
  std::vector<Unit> held_;
  std::optional<Steady::time_point> held_since_;
};

}  // namespace runbook
