// Capped capture of one output stream: the head and the tail are kept, the middle is
// counted and marked; complete lines are handed to a callback as they arrive. With a
// `redact` function every text leaves masked, each cut piece with the edges it was cut at.
// Internal to the process runner. Not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "engine/plugin/process.h"

namespace runbook {

class StreamCapture {
 public:
  using Redact = std::function<std::string(std::string text, unsigned cut_edges)>;
  StreamCapture(size_t head, size_t tail, std::function<void(std::string_view)> on_line,
                Redact redact = {})
      : head_limit_(head),
        tail_limit_(tail),
        on_line_(std::move(on_line)),
        redact_(std::move(redact)) {}

  void Append(std::string_view data);
  CapturedStream Finish();  // flushes a last partial line

 private:
  void Lines(std::string_view data);
  void Emit(unsigned edges);  // partial_ to on_line_, masked
  std::string Masked(std::string text, unsigned edges) const;

  size_t head_limit_;
  size_t tail_limit_;
  std::function<void(std::string_view)> on_line_;
  Redact redact_;
  bool continued_ = false;  // partial_ continues a line cut at kMaxLine
  std::string head_;
  std::string tail_;
  std::string partial_;
  size_t total_ = 0;
};

}  // namespace runbook
