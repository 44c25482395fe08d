// Capped capture of one output stream: the head and the tail are kept, the middle is
// counted and marked; complete lines are handed to a callback as they arrive. With a
// `redact` function every text leaves masked, each cut piece with the edges it was cut at;
// with `live` masking too, the lines go through LiveLines (engine/live_lines.h), which masks
// each knowing the text around it. Internal to the process runner. Not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/live_lines.h"
#include "engine/plugin/process.h"

namespace runbook {

class StreamCapture {
 public:
  using Redact = std::function<std::string(std::string text, unsigned cut_edges)>;
  StreamCapture(size_t head, size_t tail, std::function<void(std::string_view)> on_line,
                Redact redact = {}, LiveLines::Masking live = {});

  void Append(std::string_view data);
  // Shows a line the live view held for what may complete a form, once the stream was quiet
  // for kQuietFlush (called from the supervising loop, at least once a second).
  void Tick();
  CapturedStream Finish();  // flushes a last partial line

 private:
  void Lines(std::string_view data);
  // partial_ to the live view: a whole line, or a piece of one cut at kMaxLine.
  void Emit(bool ends_line);
  std::string Masked(std::string text, unsigned edges) const;

  size_t head_limit_;
  size_t tail_limit_;
  std::function<void(std::string_view)> on_line_;
  Redact redact_;
  bool continued_ = false;         // partial_ continues a line cut at kMaxLine
  std::optional<LiveLines> live_;  // with masking: the lines, masked with their context
  std::string head_;
  std::string tail_;
  std::string partial_;
  size_t total_ = 0;
};

}  // namespace runbook
