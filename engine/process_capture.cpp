#include "engine/process_capture.h"

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

void StreamCapture::Lines(std::string_view data) {
  if (!on_line_) return;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(data.substr(0, kMaxLine - std::min(kMaxLine, partial_.size())));
      if (partial_.size() >= kMaxLine) {
        on_line_(partial_);
        partial_.clear();
      }
      return;
    }
    partial_.append(data.substr(0, std::min(nl, kMaxLine)));
    on_line_(partial_);
    partial_.clear();
    data.remove_prefix(nl + 1);
  }
}

CapturedStream StreamCapture::Finish() {
  if (on_line_ && !partial_.empty()) on_line_(partial_);
  partial_.clear();
  CapturedStream out;
  out.total_bytes = total_;
  if (tail_.size() > tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
  size_t dropped = total_ - head_.size() - tail_.size();
  out.truncated = dropped > 0;
  out.text = head_;
  if (out.truncated) out.text += "\n[... " + std::to_string(dropped) + " bytes truncated ...]\n";
  out.text += tail_;
  return out;
}

}  // namespace runbook
