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

StreamCapture::StreamCapture(size_t head, size_t tail,
                             std::function<void(std::string_view)> on_line, Redact redact,
                             LiveLines::Masking live)
    : head_limit_(head),
      tail_limit_(tail),
      on_line_(std::move(on_line)),
      redact_(std::move(redact)) {
  if (on_line_ && redact_ && live.form_begun_at_end && live.mask_part)
    live_.emplace(on_line_, std::move(live));
}

std::string StreamCapture::Masked(std::string text, unsigned edges) const {
  return redact_ ? redact_(std::move(text), edges) : text;
}

void StreamCapture::Emit(bool ends_line) {
  if (live_) {
    live_->Add(std::move(partial_), ends_line, LiveLines::Steady::now());
  } else {
    unsigned edges = (continued_ ? kCutBefore : kCutNone) | (ends_line ? kCutNone : kCutAfter);
    on_line_(Masked(std::move(partial_), edges));
  }
  partial_.clear();
  continued_ = !ends_line;
}

void StreamCapture::Tick() {
  if (live_) live_->FlushIfQuiet(LiveLines::Steady::now());
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
      if (partial_.size() >= kMaxLine) Emit(false);
      continue;
    }
    partial_.append(data.substr(0, nl));
    Emit(true);
    data.remove_prefix(nl + 1);
  }
}

CapturedStream StreamCapture::Finish() {
  if (on_line_ && !partial_.empty()) Emit(true);
  if (live_) live_->Flush();
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
