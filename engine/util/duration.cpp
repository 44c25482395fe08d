#include "engine/util/duration.h"

#include <array>
#include <cstdio>

namespace runbook {
namespace {

struct Unit {
  std::string_view name;
  long long millis;
};
// Longest suffix first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 4> kUnits = {{{"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}}};

int UnitRank(long long millis) {
  switch (millis) {
    case 3600000:
      return 0;
    case 60000:
      return 1;
    case 1000:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

namespace {

constexpr long long kLongestMillis = 100LL * 365 * 24 * 3600000;  // 876000h

// ParseDuration; `too_long` says the text was well formed but past kLongestMillis.
std::optional<Millis> Parse(std::string_view text, bool& too_long) {
  too_long = false;
  bool big = false;
  if (text.empty()) return std::nullopt;
  long long total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    long long number = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits <= 12) number = number * 10 + (text[i] - '0');
      ++i;
    }
    if (digits > 12) big = true;
    if (digits == 0) return std::nullopt;
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    int rank = UnitRank(unit->millis);
    if (rank <= last_rank) return std::nullopt;  // units must descend: "1h30m", not "30m1h"
    last_rank = rank;
    i += unit->name.size();
    if (!big) total += number * unit->millis;
    if (total > kLongestMillis) big = true;
  }
  too_long = big;  // well formed, past the longest
  if (big) return std::nullopt;
  return Millis(total);
}

}  // namespace

std::optional<Millis> ParseDuration(std::string_view text) {
  bool too_long = false;
  return Parse(text, too_long);
}

std::string DurationProblem(std::string_view text) {
  bool too_long = false;
  if (Parse(text, too_long)) return "";
  if (too_long)
    return "duration '" + std::string(text) + "' is out of range: at most 876000h (100 years)";
  return "invalid duration '" + std::string(text) +
         "'; expected a duration such as '500ms', '30s', '10m', '2h' or '1h30m'";
}

std::string FormatDuration(Millis d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (long long unit : {3600000LL, 60000LL, 1000LL, 1LL}) {
    if (ms >= unit) {
      out += std::to_string(ms / unit);
      out += unit == 3600000 ? "h" : unit == 60000 ? "m" : unit == 1000 ? "s" : "ms";
      ms %= unit;
    }
  }
  return out;
}

std::string HumanDuration(Millis d) {
  long long ms = d.count();
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", ms);
  } else if (ms < 60000) {
    std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000.0);
  } else if (ms < 3600000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60000, (ms / 1000) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3600000, (ms / 60000) % 60);
  }
  return buf;
}

}  // namespace runbook
