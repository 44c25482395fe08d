#include "engine/output_so_far.h"

namespace runbook {
namespace {

// The last `n` bytes of `text`, from the start of a line when one begins in them.
std::string LastBytes(const std::string& text, size_t n) {
  if (text.size() <= n) return text;
  size_t from = text.size() - n;
  size_t newline = text.find('\n', from);
  if (newline != std::string::npos && newline + 1 < text.size()) from = newline + 1;
  return text.substr(from);
}

}  // namespace

void OutputSoFar::Add(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  text_.append(line).push_back('\n');
  if (text_.size() > 2 * kOutputSoFarBytes) text_ = LastBytes(text_, kOutputSoFarBytes);
  changed_ = true;
}

std::string OutputSoFar::Text() {
  std::lock_guard<std::mutex> lock(mu_);
  return LastBytes(text_, kOutputSoFarBytes);
}

std::optional<std::string> OutputSoFar::TakeIfChanged() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!changed_) return std::nullopt;
  changed_ = false;
  return LastBytes(text_, kOutputSoFarBytes);
}

}  // namespace runbook
