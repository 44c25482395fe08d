// The cron grammar (engine/schedule/cron.h): what each form selects, and every mistake
// located at its characters.
#include "engine/schedule/cron.h"

#include <catch2/catch.hpp>

using namespace runbook;

namespace {

CronExpr Parsed(const std::string& text) {
  CronError error;
  auto c = ParseCron(text, error);
  INFO(text << ": " << error.message);
  REQUIRE(c.has_value());
  return *c;
}

CronError Refused(const std::string& text) {
  CronError error;
  auto c = ParseCron(text, error);
  INFO(text);
  REQUIRE_FALSE(c.has_value());
  REQUIRE_FALSE(error.message.empty());
  return error;
}

template <size_t N>
std::vector<int> On(const std::bitset<N>& bits) {
  std::vector<int> out;
  for (size_t i = 0; i < N; ++i) {
    if (bits[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace

TEST_CASE("cron: lists, ranges, steps and names select what crontab(5) says", "[schedule][cron]") {
  CronExpr c = Parsed("0,30 9-17/4 1,15 jan-MAR mon-fri");
  CHECK(On(c.minutes) == std::vector<int>{0, 30});
  CHECK(On(c.hours) == std::vector<int>{9, 13, 17});
  CHECK(On(c.days) == std::vector<int>{1, 15});
  CHECK(On(c.months) == std::vector<int>{1, 2, 3});
  CHECK(On(c.weekdays) == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(c.days_restricted);
  CHECK(c.weekdays_restricted);

  CHECK(On(Parsed("*/15 * * * *").minutes) == std::vector<int>{0, 15, 30, 45});
  CHECK(On(Parsed("50/5 * * * *").minutes) == std::vector<int>{50, 55});  // N/STEP: N to the end
  CHECK(On(Parsed("0 0 * * 7").weekdays) == std::vector<int>{0});         // 7 is Sunday
  CHECK(On(Parsed("0 0 * * 5-7").weekdays) == std::vector<int>{0, 5, 6});
  CHECK(On(Parsed("0 0 * * *").weekdays).size() == 7);
  CHECK(On(Parsed("\t0  3 * *\t* ").hours) == std::vector<int>{3});  // spaces and tabs
  CHECK_FALSE(Parsed("0 0 */2 * *").days_restricted);  // starts with '*': Vixie's DOM_STAR
}

TEST_CASE("cron: the macros are their five-field forms", "[schedule][cron]") {
  auto same = [](const CronExpr& a, const CronExpr& b) {
    return a.minutes == b.minutes && a.hours == b.hours && a.days == b.days &&
           a.months == b.months && a.weekdays == b.weekdays;
  };
  CHECK(same(Parsed("@daily"), Parsed("0 0 * * *")));
  CHECK(same(Parsed("@midnight"), Parsed("0 0 * * *")));
  CHECK(same(Parsed("@hourly"), Parsed("0 * * * *")));
  CHECK(same(Parsed("@weekly"), Parsed("0 0 * * 0")));
  CHECK(same(Parsed("@monthly"), Parsed("0 0 1 * *")));
  CHECK(same(Parsed("@yearly"), Parsed("0 0 1 1 *")));
  CHECK(same(Parsed("@ANNUALLY"), Parsed("0 0 1 1 *")));
}

TEST_CASE("cron: day of month and day of week, either when both are given", "[schedule][cron]") {
  CronExpr both = Parsed("0 0 13 * fri");
  CHECK(CronDayMatches(both, {2026, 11, 13, 5}));  // a Friday the 13th
  CHECK(CronDayMatches(both, {2026, 12, 4, 5}));   // any Friday
  CHECK(CronDayMatches(both, {2026, 12, 13, 0}));  // any 13th
  CHECK_FALSE(CronDayMatches(both, {2026, 12, 14, 1}));
  CronExpr star = Parsed("0 0 */2 * fri");  // a '*' field: both must match
  CHECK(CronDayMatches(star, {2026, 12, 11, 5}));
  CHECK_FALSE(CronDayMatches(star, {2026, 12, 4, 5}));
  CHECK_FALSE(CronDayMatches(Parsed("0 0 * 6 *"), {2026, 12, 4, 5}));  // month first
}

TEST_CASE("cron: each mistake is named and located", "[schedule][cron]") {
  CronError e = Refused("61 * * * *");
  CHECK(e.message == "minute 61 is out of range 0-59");
  CHECK((e.offset == 0 && e.length == 2));

  e = Refused("0 24 * * *");
  CHECK(e.message == "hour 24 is out of range 0-23");
  CHECK(e.offset == 2);

  e = Refused("0 3 * jnu *");
  CHECK(e.message == "unknown month 'jnu'; expected jan..dec or 1-12; did you mean 'jun'?");
  CHECK((e.offset == 6 && e.length == 3));

  e = Refused("0 3 * * mon-fir");
  CHECK(e.offset == 12);
  CHECK(e.message.find("unknown day of week 'fir'") == 0);

  e = Refused("0 3 * * fri-mon");
  CHECK(e.message ==
        "range 'fri-mon' of the day of week goes backwards; write it as two "
        "ranges, each in order");
  CHECK((e.offset == 8 && e.length == 7));

  e = Refused("*/0 * * * *");
  CHECK(e.message == "step 0 of the minute must be 1-60");
  CHECK(e.offset == 2);

  e = Refused("1,,2 * * * *");
  CHECK(e.message == "empty item in the minute list");
  CHECK(e.offset == 2);

  // break23a D3: it said "expected a number as the value of the minute, found ''".
  e = Refused("-1 * * * *");
  CHECK(e.message == "'-1' is no value of the minute: cron has no negative numbers; expected 0-59");
  CHECK(e.offset == 0);

  e = Refused("0 3 ? * *");
  CHECK(e.message == "unexpected '?' in the day of month; '?' is Quartz syntax, write '*'");
  CHECK(e.offset == 4);

  e = Refused("0 0 3 * * *");
  CHECK(e.message ==
        "expected 5 fields (minute hour day-of-month month day-of-week), found 6; "
        "seconds and years are not cron fields here");

  CHECK(Refused("").message.find("found 0") != std::string::npos);
  CHECK(Refused("@dialy").message.find("did you mean '@daily'?") != std::string::npos);
  CHECK(Refused("@reboot").message.find("not a time") != std::string::npos);
  CHECK(Refused("0 0 1 1 L").message.find("unknown day of week 'L'") == 0);
  CHECK(Refused("0 0 5-2 * *").message.find("goes backwards") != std::string::npos);
  CHECK(Refused("0 0 * 13 *").message == "month 13 is out of range 1-12");
  CHECK(Refused("0 0 * * 8").message == "day of week 8 is out of range 0-7");
  CHECK(Refused("99999 * * * *").message.find("expected a number") == 0);
}

TEST_CASE("cron: a schedule that can never fire is refused, one that can is kept",
          "[schedule][cron]") {
  CronError e = Refused("0 0 30 2 *");
  CHECK(e.message == "this schedule never fires: none of its months has any of its days");
  CHECK((e.offset == 4 && e.length == 4));
  CHECK(Refused("0 0 31 apr,jun,sep,nov *").message.find("never fires") != std::string::npos);
  Parsed("0 0 29 2 *");     // leap years
  Parsed("0 0 30 2 mon");   // either: every Monday of February
  Parsed("0 0 31 1-12 *");  // the months that have one
}
