#include "steps/common/progress.h"

#include <algorithm>
#include <filesystem>

#include "steps/common/stop.h"

namespace runbook {

std::optional<uint64_t> FileSizeOf(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return size;
}

ProgressMeter::ProgressMeter(const StepContext& ctx, std::string phase,
                             std::optional<uint64_t> total_bytes)
    : ctx_(ctx) {
  shape_.phase = std::move(phase);
  if (total_bytes) total_ = *total_bytes;
  shape_.unit = ProgressUnit::kBytes;
  Report(true);  // the phase is shown as it begins
}

void ProgressMeter::CountItems(std::string noun, uint64_t total) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shape_.items_noun = std::move(noun);
    shape_.items_total = total;
  }
  Report(true);  // "0 of N" is shown before the first item ends (or when none ever does)
}

void ProgressMeter::SetTotal(uint64_t bytes) {
  total_ = bytes;
  Report(true);
}

void ProgressMeter::Waiting(const std::string& what) {
  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = shape_.waiting.empty() != what.empty();
    shape_.waiting = what;
    waiting_ = !what.empty();
  }
  Report(changed);  // its start and end are shown at once, the wait's length as it goes
}

void ProgressMeter::Add(uint64_t bytes) {
  if (waiting_.load()) Waiting("");
  uint64_t done = done_.fetch_add(bytes) + bytes;
  uint64_t total = total_.load();
  Report(total != kNoTotal && done >= total);
}

void ProgressMeter::ItemDone() {
  uint64_t items = items_done_.fetch_add(1) + 1;
  Report(items >= shape_.items_total);
}

Work ProgressMeter::ForWork() {
  return Work(
      StopFor(ctx_), [this](uint64_t bytes) { Add(bytes); },
      [this](uint64_t bytes) { SetTotal(bytes); },
      [this](const std::string& what) { Waiting(what); });
}

void ProgressMeter::Report(bool now) {
  if (!ctx_.progress) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() && !now) return;  // another thread is reporting
  if (!lock.owns_lock()) lock.lock();
  Clock::Mono t = ctx_.clock.Now();
  if (!now && last_ && t - *last_ < kProgressEvery) return;
  last_ = t;
  StepProgress p = shape_;
  p.done = done_.load();
  p.items_done = items_done_.load();
  if (uint64_t total = total_.load(); total != kNoTotal) p.total = std::max(total, p.done);
  ctx_.progress(p);
}

}  // namespace runbook
