#include "engine/process_capture.h"

#include "engine/redact.h"

namespace runbook {
namespace {
constexpr size_t kMaxLine = 4096;  // longer lines reach the live view in pieces
}

void StreamCapture::Append(std::string_view data) {
  total_ += data.size();
  if (head_.size() < head_limit_) {
    size_t take = std::min(head_limit_ - head_.size(), data.size());
    head_.append(data.substr(0, take));
    Lines(data.substr(0, take));
    data.remove_prefix(take);
  }
  if (data.empty()) return;
  Lines(data);
  tail_.append(data);
  if (tail_.size() > 2 * tail_limit_ + 65536) tail_.erase(0, tail_.size() - tail_limit_);
}

std::string StreamCapture::Masked(std::string text, unsigned edges) const {
  return redact_ ? redact_(std::move(text), edges) : text;
}

// A piece of a long line: the cut edges say what is around it, and a first piece has the
// line before it as a whole line has.
void StreamCapture::Emit(unsigned edges) {
  const bool first = !continued_;
  std::optional<std::string> before;
  if (first) {
    FlushHeld(&partial_);
    before = std::move(before_);
  }
  before_.reset();
  edges |= first ? kCutNone : kCutBefore;
  on_line_(before ? Masked(*before + "\n" + partial_, edges | kLineBefore)
                  : Masked(std::move(partial_), edges));
  partial_.clear();
  continued_ = edges & kCutAfter;
}

void StreamCapture::EmitLine() {
  if (continued_) return Emit(kCutNone);  // the end of a long line's pieces
  std::string line = std::move(partial_);
  partial_.clear();
  FlushHeld(&line);
  std::optional<std::string> before = std::move(before_);
  before_.reset();
  const size_t begun = FormBegun(line);
  if (begun > 0) before_ = line;
  if (begun >= kMinCutFragment) {
    held_ = std::move(line);
    held_before_ = std::move(before);
    return;
  }
  on_line_(before ? Masked(*before + "\n" + line, kLineBefore) : Masked(std::move(line), kCutNone));
}

void StreamCapture::FlushHeld(const std::string* next) {
  if (!held_) return;
  std::string text = held_before_ ? *held_before_ + "\n" + *held_ : std::move(*held_);
  unsigned edges = held_before_ ? kLineBefore : kCutNone;
  if (next != nullptr) {
    text += "\n" + *next;
    edges |= kLineAfter;
  }
  held_.reset();
  held_before_.reset();
  on_line_(Masked(std::move(text), edges));
}

// A line longer than kMaxLine goes out in pieces of kMaxLine bytes, each masked with the
// edges it was cut at.
void StreamCapture::Lines(std::string_view data) {
  if (!on_line_) return;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t room = kMaxLine - std::min(kMaxLine, partial_.size());
    if (nl == std::string_view::npos || nl > room) {
      size_t take = std::min(room, data.size());
      partial_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (partial_.size() >= kMaxLine) Emit(kCutAfter);
      continue;
    }
    partial_.append(data.substr(0, nl));
    EmitLine();
    data.remove_prefix(nl + 1);
  }
}

CapturedStream StreamCapture::Finish() {
  if (on_line_ && !partial_.empty()) EmitLine();
  FlushHeld(nullptr);
  partial_.clear();
  CapturedStream out;
  out.total_bytes = total_;
  if (tail_.size() > tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
  size_t dropped = total_ - head_.size() - tail_.size();
  out.truncated = dropped > 0;
  if (!out.truncated) {
    out.text = Masked(head_ + tail_, kCutNone);
    return out;
  }
  out.text = Masked(head_, kCutAfter) + "\n[... " + std::to_string(dropped) +
             " bytes truncated ...]\n" + Masked(tail_, kCutBefore);
  return out;
}

}  // namespace runbook
