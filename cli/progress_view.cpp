#include "cli/progress_view.h"

#include <cmath>
#include <cstdio>

#include "engine/util/strings.h"

namespace runbook {

void RateWindow::Add(Clock::Mono at, uint64_t done) {
  if (!samples_.empty() && done < samples_.back().second) samples_.clear();  // a new count
  samples_.emplace_back(at, done);
  while (samples_.size() > 2 && at - samples_[1].first >= window_) samples_.pop_front();
}

std::optional<double> RateWindow::PerSecond() const {
  if (samples_.size() < 2) return std::nullopt;
  double seconds =
      std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
  if (seconds < 1.0) return std::nullopt;
  return static_cast<double>(samples_.back().second - samples_.front().second) / seconds;
}

namespace {

std::string Amount(uint64_t n, ProgressUnit unit) {
  return unit == ProgressUnit::kBytes ? HumanBytes(n) : std::to_string(n);
}

std::string Rate(double per_second, ProgressUnit unit) {
  if (unit == ProgressUnit::kBytes)
    return HumanBytes(static_cast<uint64_t>(std::llround(per_second))) + "/s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", per_second);
  return buf;
}

}  // namespace

std::string ProgressText(const StepProgress& p, std::optional<double> per_second) {
  if (!p.waiting.empty()) return p.phase + (p.phase.empty() ? "" : ": ") + p.waiting;
  std::string out = p.phase;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  if (!p.items_noun.empty() && p.items_total > 0)
    add(std::to_string(p.items_done) + " of " + std::to_string(p.items_total) + " " + p.items_noun +
        ",");
  if (p.total) {
    int percent = *p.total == 0 ? 100
                                : static_cast<int>(std::min<uint64_t>(
                                      100, p.done * 100 / std::max<uint64_t>(*p.total, 1)));
    add(Amount(p.done, p.unit) + " of " + Amount(*p.total, p.unit) + " (" +
        std::to_string(percent) + "%)");
  } else if (p.done > 0) {
    add(Amount(p.done, p.unit));
  }
  if (per_second && *per_second > 0) {
    out += ", " + Rate(*per_second, p.unit);
    if (p.total && *p.total > p.done) {
      double seconds = static_cast<double>(*p.total - p.done) / *per_second;
      long long whole = std::llround(seconds);
      if (seconds < 360000)
        out += ", about " +
               (whole < 60 ? std::to_string(whole) + "s" : HumanDuration(Millis(whole * 1000))) +
               " left";
    }
  }
  if (!out.empty() && out.back() == ',') out.pop_back();
  return out;
}

Millis PlainProgressInterval(const char* env_value, std::string& error) {
  const Millis fallback(10000);
  if (env_value == nullptr || *env_value == '\0') return fallback;
  if (std::string(env_value) == "0") return Millis(0);
  std::optional<Millis> d = ParseDuration(env_value);
  if (!d) {
    error = "RUNBOOK_PROGRESS_INTERVAL='" + Printable(env_value) +
            "' is not a duration (like 10s or 500ms): progress every 10s";
    return fallback;
  }
  return *d;
}

}  // namespace runbook
