// When a cron expression fires in a time zone. Time zones come from the system's tz database
// (/usr/share/zoneinfo, Debian's tzdata) through Howard Hinnant's date library, only in
// fire_times.cpp.
//
// Daylight saving time (docs/format.md "Schedules"), as cronie does for fixed times:
// - a local time that a spring-forward skips fires once, at the instant the gap ends (02:30 on
//   a night that jumps from 02:00 to 03:00 fires at 03:00 new time; `*/15` in that hour fires
//   once there, not four times);
// - a local time that a fall-back repeats fires once, at its first occurrence.
// Thread-safe: the tz database is loaded once and only read.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/schedule/cron.h"

namespace runbook {

using SysSeconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// A zone of the tz database by its IANA name ("Europe/Madrid", "UTC").
class TimeZone {
 public:
  // The zone named `name`; nullopt with `error` set when the database has no such zone
  // ("unknown time zone 'Europe/Madird'; did you mean 'Europe/Madrid'?") or cannot be read.
  static std::optional<TimeZone> Find(const std::string& name, std::string& error);
  static TimeZone Utc() { return TimeZone("UTC"); }
  const std::string& name() const { return name_; }

 private:
  explicit TimeZone(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// The first fire strictly after `after`; nullopt when none comes within eight years (only a
// day-of-month the chosen months never have, which ParseCron already refuses).
std::optional<SysSeconds> NextFire(const CronExpr& cron, const TimeZone& zone, SysSeconds after);

// Up to `count` fires in order, the first strictly after `after`.
std::vector<SysSeconds> NextFires(const CronExpr& cron, const TimeZone& zone, SysSeconds after,
                                  int count);

// The latest fire in (`from`, `to`]: the one missed fire a catch-up runs. nullopt when none.
std::optional<SysSeconds> LatestFireIn(const CronExpr& cron, const TimeZone& zone, SysSeconds from,
                                       SysSeconds to);

// `at` as local time in `zone` with its offset, ISO 8601: "2026-03-29T03:00:00+02:00".
std::string LocalTimeText(const TimeZone& zone, SysSeconds at);

}  // namespace runbook
