// Capped capture of one output stream: the head and the tail are kept, the middle is
// counted and marked; complete lines are handed to a callback as they arrive.
// Internal to the process runner. Not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "engine/plugin/process.h"

namespace runbook {

class StreamCapture {
 public:
  StreamCapture(size_t head, size_t tail, std::function<void(std::string_view)> on_line)
      : head_limit_(head), tail_limit_(tail), on_line_(std::move(on_line)) {}

  void Append(std::string_view data);
  CapturedStream Finish();  // flushes a last partial line

 private:
  void Lines(std::string_view data);

  size_t head_limit_;
  size_t tail_limit_;
  std::function<void(std::string_view)> on_line_;
  std::string head_;
  std::string tail_;
  std::string partial_;
  size_t total_ = 0;
};

}  // namespace runbook
