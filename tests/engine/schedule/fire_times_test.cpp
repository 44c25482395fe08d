// Fire times (engine/schedule/fire_times.h) in the system's tz database: checked against a
// minute-by-minute scan in UTC, and by hand across both kinds of DST change.
#include "engine/schedule/fire_times.h"

#include <catch2/catch.hpp>
#include <ctime>
#include <random>

using namespace runbook;

namespace {

CronExpr Cron(const std::string& text) {
  CronError error;
  auto c = ParseCron(text, error);
  INFO(text << ": " << error.message);
  REQUIRE(c.has_value());
  return *c;
}

TimeZone Zone(const std::string& name) {
  std::string error;
  auto z = TimeZone::Find(name, error);
  INFO(error);
  REQUIRE(z.has_value());
  return *z;
}

// "2026-03-29T01:00:00Z" -> seconds since the epoch.
SysSeconds Utc(const std::string& text) {
  std::tm tm{};
  REQUIRE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
  return SysSeconds{std::chrono::seconds(timegm(&tm))};
}

std::string Text(SysSeconds t) {
  std::time_t s = static_cast<std::time_t>(t.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Next(const std::string& cron, const std::string& zone, const std::string& after) {
  auto at = NextFire(Cron(cron), Zone(zone), Utc(after));
  return at ? Text(*at) : "none";
}

// The oracle: the first whole minute after `after` whose UTC fields match, one by one.
std::optional<SysSeconds> Scan(const CronExpr& c, SysSeconds after, int limit_minutes) {
  auto t = std::chrono::floor<std::chrono::minutes>(after) + std::chrono::minutes(1);
  for (int i = 0; i < limit_minutes; ++i, t += std::chrono::minutes(1)) {
    std::time_t s = static_cast<std::time_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    std::tm tm{};
    gmtime_r(&s, &tm);
    if (c.minutes[static_cast<size_t>(tm.tm_min)] && c.hours[static_cast<size_t>(tm.tm_hour)] &&
        CronDayMatches(c, {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday}))
      return SysSeconds{std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch())};
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("fire times in UTC agree with a minute-by-minute scan", "[schedule][fire]") {
  std::mt19937 rng(20261203);
  const std::vector<std::string> fields[5] = {{"*", "0", "*/7", "5,35", "10-20", "59"},
                                              {"*", "0", "3", "*/6", "9-17", "23"},
                                              {"*", "1", "13", "*/10", "28-31", "15,30"},
                                              {"*", "2", "*/3", "jan,jul", "11-12"},
                                              {"*", "0", "mon-fri", "5", "sat,sun"}};
  int compared = 0;
  for (int i = 0; i < 300; ++i) {
    std::string text;
    for (const auto& choices : fields) {
      text += choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)] + " ";
    }
    CronError error;
    auto c = ParseCron(text, error);
    if (!c) continue;  // a day the chosen months never have
    SysSeconds after = Utc("2026-01-01T00:00:00Z") +
                       std::chrono::seconds(std::uniform_int_distribution<int>(0, 3e7)(rng));
    auto expected = Scan(*c, after, 400 * 24 * 60);
    if (!expected) continue;  // beyond the scan's year
    INFO(text << " after " << Text(after));
    CHECK(NextFire(*c, TimeZone::Utc(), after) == expected);
    ++compared;
  }
  CHECK(compared > 250);
}

TEST_CASE("fire times follow the zone's offset in winter and summer", "[schedule][fire]") {
  CHECK(Next("0 3 * * *", "Europe/Madrid", "2026-12-01T12:00:00Z") == "2026-12-02T02:00:00Z");
  CHECK(Next("0 3 * * *", "Europe/Madrid", "2026-07-01T12:00:00Z") == "2026-07-02T01:00:00Z");
  CHECK(Next("0 3 * * *", "UTC", "2026-07-01T03:00:00Z") == "2026-07-02T03:00:00Z");  // strictly
  CHECK(Next("0 3 * * *", "UTC", "2026-07-01T02:59:59Z") == "2026-07-01T03:00:00Z");
  CHECK(Next("0 9 * * mon-fri", "America/New_York", "2026-12-04T15:00:00Z") ==
        "2026-12-07T14:00:00Z");  // Friday after 9:00 -> Monday
}

TEST_CASE("a time a spring-forward skips fires once, when the gap ends", "[schedule][fire][dst]") {
  // Europe/Madrid, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
  CHECK(Next("30 2 * * *", "Europe/Madrid", "2026-03-28T12:00:00Z") == "2026-03-29T01:00:00Z");
  CHECK(Next("30 2 * * *", "Europe/Madrid", "2026-03-29T01:00:00Z") == "2026-03-30T00:30:00Z");
  // Every quarter of the skipped hour is one fire, not four, and 03:00 is the same instant.
  auto fires =
      NextFires(Cron("*/15 2,3 * * *"), Zone("Europe/Madrid"), Utc("2026-03-29T00:00:00Z"), 4);
  REQUIRE(fires.size() == 4);
  CHECK(Text(fires[0]) == "2026-03-29T01:00:00Z");
  CHECK(Text(fires[1]) == "2026-03-29T01:15:00Z");
  CHECK(Text(fires[2]) == "2026-03-29T01:30:00Z");
  // America/New_York, 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z).
  CHECK(Next("15 2 * * *", "America/New_York", "2026-03-08T00:00:00Z") == "2026-03-08T07:00:00Z");
}

TEST_CASE("a time a fall-back repeats fires once, at its first occurrence",
          "[schedule][fire][dst]") {
  // Europe/Madrid, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
  CHECK(Next("30 2 * * *", "Europe/Madrid", "2026-10-24T12:00:00Z") == "2026-10-25T00:30:00Z");
  CHECK(Next("30 2 * * *", "Europe/Madrid", "2026-10-25T00:30:00Z") == "2026-10-26T01:30:00Z");
  // Asked from inside the second 02:xx hour, the next is not a repeat either.
  CHECK(Next("45 2 * * *", "Europe/Madrid", "2026-10-25T01:10:00Z") == "2026-10-26T01:45:00Z");
  // An hourly schedule fires through the night without a double 02:00.
  auto fires = NextFires(Cron("0 * * * *"), Zone("Europe/Madrid"), Utc("2026-10-24T23:30:00Z"), 3);
  REQUIRE(fires.size() == 3);
  CHECK(Text(fires[0]) == "2026-10-25T00:00:00Z");  // 02:00 CEST
  CHECK(Text(fires[1]) == "2026-10-25T02:00:00Z");  // 03:00 CET; the second 02:00 is skipped
}

TEST_CASE("the latest missed fire in a window, and local time as text", "[schedule][fire]") {
  CronExpr daily = Cron("0 3 * * *");
  auto latest = LatestFireIn(daily, TimeZone::Utc(), Utc("2026-12-01T00:00:00Z"),
                             Utc("2026-12-03T12:00:00Z"));
  REQUIRE(latest.has_value());
  CHECK(Text(*latest) == "2026-12-03T03:00:00Z");
  CHECK_FALSE(
      LatestFireIn(daily, TimeZone::Utc(), Utc("2026-12-03T03:00:00Z"), Utc("2026-12-03T12:00:00Z"))
          .has_value());
  CHECK(LocalTimeText(Zone("Europe/Madrid"), Utc("2026-07-02T01:00:00Z")) ==
        "2026-07-02T03:00:00+02:00");
}

TEST_CASE("an unknown time zone is refused with the closest name", "[schedule][fire]") {
  std::string error;
  CHECK_FALSE(TimeZone::Find("Europe/Madird", error).has_value());
  CHECK(error ==
        "unknown time zone 'Europe/Madird'; expected an IANA name such as "
        "'Europe/Madrid' or 'UTC'; did you mean 'Europe/Madrid'?");
  CHECK(TimeZone::Find("Etc/UTC", error).has_value());
  CHECK(TimeZone::Find("US/Eastern", error).has_value());  // a link
}
