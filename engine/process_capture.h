// Capped capture of one output stream: the head and the tail are kept, the middle is
// counted and marked; complete lines are handed to a callback as they arrive. With a
// `redact` function every text leaves masked, each cut piece with the edges it was cut at.
// With `form_begun` too, a line is masked with its neighbours as context where a secret's
// form may go on across the line break (a wrapped base64 or hex form): with the line before
// (kLineBefore) when that one's end may begin such a form, and with the line after
// (kLineAfter) when its own end may begin one of kMinCutFragment bytes or more — such a line
// is held until the next line comes or the stream ends. Internal to the process runner. Not
// thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/plugin/process.h"

namespace runbook {

class StreamCapture {
 public:
  using Redact = std::function<std::string(std::string text, unsigned cut_edges)>;
  // ProcessRequest::form_begun_at_end.
  using FormBegunAtEnd = std::function<size_t(std::string_view line)>;
  StreamCapture(size_t head, size_t tail, std::function<void(std::string_view)> on_line,
                Redact redact = {}, FormBegunAtEnd form_begun = {})
      : head_limit_(head),
        tail_limit_(tail),
        on_line_(std::move(on_line)),
        redact_(std::move(redact)),
        form_begun_(std::move(form_begun)) {}

  void Append(std::string_view data);
  CapturedStream Finish();  // flushes a last partial line

 private:
  void Lines(std::string_view data);
  void Emit(unsigned edges);  // partial_ to on_line_, masked
  // A complete line (partial_), masked with the lines around it where needed.
  void EmitLine();
  void FlushHeld(const std::string* next);  // the held line, with `next` as its context
  std::string Masked(std::string text, unsigned edges) const;
  size_t FormBegun(const std::string& line) const {
    return redact_ && form_begun_ ? form_begun_(line) : 0;
  }

  size_t head_limit_;
  size_t tail_limit_;
  std::function<void(std::string_view)> on_line_;
  Redact redact_;
  FormBegunAtEnd form_begun_;
  bool continued_ = false;  // partial_ continues a line cut at kMaxLine
  // The last complete line when a form may go on from its end to the next line's start.
  std::optional<std::string> before_;
  // A line held for the next one (its end may begin a form), with its own line before.
  std::optional<std::string> held_, held_before_;
  std::string head_;
  std::string tail_;
  std::string partial_;
  size_t total_ = 0;
};

}  // namespace runbook
