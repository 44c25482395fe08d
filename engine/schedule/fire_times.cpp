// Fire times of a cron expression in a tz-database zone (fire_times.h). The only file that
// includes Howard Hinnant's date/tz.h; its exceptions end here.
#include "engine/schedule/fire_times.h"

#include <date/tz.h>

#include <cstdio>
#include <exception>

#include "engine/util/strings.h"

namespace runbook {
namespace {

using LocalMinutes = date::local_time<std::chrono::minutes>;

const date::time_zone* Zone(const TimeZone& zone) {
  try {
    return date::locate_zone(zone.name());
  } catch (const std::exception&) {
    return nullptr;  // Find() checked the name; only a tz database removed since gets here
  }
}

// The instant a local time names, by the DST rules of fire_times.h: a skipped time maps to
// the end of the gap, a repeated one to its first occurrence.
SysSeconds Instant(const date::time_zone* tz, LocalMinutes local) {
  date::local_seconds l{std::chrono::duration_cast<std::chrono::seconds>(local.time_since_epoch())};
  date::local_info info = tz->get_info(l);
  if (info.result == date::local_info::nonexistent) return info.first.end;
  return SysSeconds{l.time_since_epoch() - info.first.offset};
}

CivilDay DayOf(date::local_days day) {
  date::year_month_day ymd{day};
  date::weekday wd{day};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(wd.c_encoding())};
}

// The first candidate of `day` at or after `from` whose instant is after `after`.
std::optional<SysSeconds> FireOnDay(const CronExpr& cron, const date::time_zone* tz,
                                    date::local_days day, LocalMinutes from, SysSeconds after) {
  for (int h = 0; h < 24; ++h) {
    if (!cron.hours[static_cast<size_t>(h)]) continue;
    for (int m = 0; m < 60; ++m) {
      if (!cron.minutes[static_cast<size_t>(m)]) continue;
      LocalMinutes local = day + std::chrono::hours(h) + std::chrono::minutes(m);
      if (local < from) continue;
      SysSeconds at = Instant(tz, local);
      if (at > after) return at;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<TimeZone> TimeZone::Find(const std::string& name, std::string& error) {
  try {
    date::locate_zone(name);
    return TimeZone(name);
  } catch (const std::exception&) {
  }
  std::vector<std::string> names;
  try {
    for (const date::time_zone& z : date::get_tzdb().zones) names.emplace_back(z.name());
  } catch (const std::exception& e) {
    error = "cannot read the time zone database (/usr/share/zoneinfo; install tzdata): " +
            std::string(e.what());
    return std::nullopt;
  }
  error = "unknown time zone '" + Printable(name) +
          "'; expected an IANA name such as "
          "'Europe/Madrid' or 'UTC'";
  std::string close = ClosestName(name, names);
  if (!close.empty()) error += "; did you mean '" + close + "'?";
  return std::nullopt;
}

std::optional<SysSeconds> NextFire(const CronExpr& cron, const TimeZone& zone, SysSeconds after) {
  const date::time_zone* tz = Zone(zone);
  if (tz == nullptr) return std::nullopt;
  // Candidates from the minute holding `after`, in local order; their instants never go
  // down (Instant's rules), so the first one after `after` is the next fire.
  auto local = tz->to_local(after);
  LocalMinutes from = date::floor<std::chrono::minutes>(local);
  date::local_days day = date::floor<date::days>(local);
  for (int i = 0; i < 8 * 366 + 2; ++i, day += date::days(1)) {
    if (!CronDayMatches(cron, DayOf(day))) continue;
    if (auto at = FireOnDay(cron, tz, day, from, after)) return at;
  }
  return std::nullopt;
}

std::vector<SysSeconds> NextFires(const CronExpr& cron, const TimeZone& zone, SysSeconds after,
                                  int count) {
  std::vector<SysSeconds> out;
  while (static_cast<int>(out.size()) < count) {
    auto next = NextFire(cron, zone, out.empty() ? after : out.back());
    if (!next) break;
    out.push_back(*next);
  }
  return out;
}

std::optional<SysSeconds> LatestFireIn(const CronExpr& cron, const TimeZone& zone, SysSeconds from,
                                       SysSeconds to) {
  std::optional<SysSeconds> latest;
  for (auto next = NextFire(cron, zone, from); next && *next <= to;
       next = NextFire(cron, zone, *next)) {
    latest = next;
  }
  return latest;
}

std::string LocalTimeText(const TimeZone& zone, SysSeconds at) {
  const date::time_zone* tz = Zone(zone);
  if (tz == nullptr) return date::format("%FT%TZ", at);
  date::zoned_seconds z{tz, at};
  std::string text = date::format("%FT%T%z", z);  // +0200
  if (text.size() >= 5) text.insert(text.size() - 2, ":");
  return text;
}

}  // namespace runbook
