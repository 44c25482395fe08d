#include "engine/util/time_format.h"

#include <cstdio>
#include <ctime>

namespace runbook {

std::string FormatUtc(Clock::Wall t) {
  int64_t ms = UnixMillis(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::optional<Clock::Wall> ParseUtc(const std::string& text) {
  std::tm tm{};
  int millis = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6) {
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<size_t>(used));
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    int scale = 100;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i, scale /= 10)
      millis += (rest[i] - '0') * scale;
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00" && rest != "z") return std::nullopt;
  // A real date and time, within what a system_clock time point holds (its nanoseconds end
  // in 2262): 2026-13-45 or 2026-02-30 are refused, not normalised (breakServe2).
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = tm.tm_year;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (year < 1970 || year > 2200 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
      tm.tm_mday > kDays[tm.tm_mon - 1] || (tm.tm_mon == 2 && tm.tm_mday == 29 && !leap) ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return Clock::Wall(std::chrono::milliseconds(static_cast<int64_t>(secs) * 1000 + millis));
}

int64_t UnixMillis(Clock::Wall t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace runbook
