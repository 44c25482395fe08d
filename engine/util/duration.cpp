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

std::optional<Millis> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    long long number = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i++] - '0');
      if (++digits > 12) return std::nullopt;
    }
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
    total += number * unit->millis;
    if (total > 100LL * 365 * 24 * 3600000) return std::nullopt;
  }
  return Millis(total);
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
