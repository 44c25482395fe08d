// Cron expressions: the five-field grammar of Vixie cron and crontab(5), which GitHub Actions'
// `on.schedule[].cron` also uses. Parsing and matching only; time zones are fire_times.h's.
//
// Grammar (docs/format.md "Schedules"):
//   minute hour day-of-month month day-of-week, separated by spaces or tabs;
//   each field a comma list of `*`, `N`, `N-M`, each optionally `/STEP`; `N/STEP` is
//   `N-<field's maximum>/STEP` (cronie's reading);
//   months `jan`..`dec` and weekdays `sun`..`sat` by name, any case; weekday 7 is Sunday;
//   the macros @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Day of month and day of week: when both are restricted (neither field starts with `*`), a
// day matches when either does (Vixie cron's rule, kept by cronie and GitHub Actions).
// Pure functions of their input; thread-safe.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace runbook {

struct CronExpr {
  std::bitset<60> minutes;           // 0-59
  std::bitset<24> hours;             // 0-23
  std::bitset<32> days;              // 1-31 (bit 0 unused)
  std::bitset<13> months;            // 1-12 (bit 0 unused)
  std::bitset<7> weekdays;           // 0-6, 0 is Sunday
  bool days_restricted = false;      // day-of-month did not start with '*'
  bool weekdays_restricted = false;  // day-of-week did not start with '*'
};

// Where a cron text is wrong: a byte range of the text and a message in the project's
// diagnostic style ("minute 61 is out of range 0-59").
struct CronError {
  int offset = 0;
  int length = 1;
  std::string message;
};

// Parses `text`; nullopt with `error` set on any mistake (the first found). A schedule that can
// never fire (`0 0 30 2 *`) is an error too: it would be silently dead.
std::optional<CronExpr> ParseCron(std::string_view text, CronError& error);

// A civil date's fields: year, month 1-12, day 1-31, weekday 0-6 (0 Sunday).
struct CivilDay {
  int year = 1970;
  int month = 1;
  int day = 1;
  int weekday = 4;
};

// Whether `day` is one of the expression's days (months, day of month and day of week).
bool CronDayMatches(const CronExpr& cron, const CivilDay& day);

}  // namespace runbook
