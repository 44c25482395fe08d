// The five-field cron grammar (cron.h). Hand-written on purpose: it is small, its errors must
// point at the wrong character of a runbook file, and no packaged C++ library parses
// crontab(5) with located errors.
#include "engine/schedule/cron.h"

#include <array>
#include <cctype>
#include <vector>

#include "engine/util/strings.h"

namespace runbook {
namespace {

struct FieldSpec {
  const char* name;
  int lo;
  int hi;
  std::vector<std::string> names;  // names[i] is the value lo + i (months, weekdays)
};

const std::array<FieldSpec, 5>& Fields() {
  static const std::array<FieldSpec, 5> kFields{
      FieldSpec{"minute", 0, 59, {}}, FieldSpec{"hour", 0, 23, {}},
      FieldSpec{"day of month", 1, 31, {}},
      FieldSpec{
          "month",
          1,
          12,
          {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      FieldSpec{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}};
  return kFields;
}

// One field being read: its text, where it starts in the whole expression, and its rules.
class FieldParser {
 public:
  FieldParser(std::string_view text, int offset, const FieldSpec& spec, CronError& error)
      : text_(text), offset_(offset), spec_(spec), error_(error) {}

  // The values the field selects (bit v for value v), or nullopt with the error set.
  std::optional<std::vector<bool>> Parse() {
    std::vector<bool> out(static_cast<size_t>(spec_.hi) + 1, false);
    size_t start = 0;
    while (true) {
      size_t comma = text_.find(',', start);
      size_t end = comma == std::string_view::npos ? text_.size() : comma;
      if (!Item(start, end, out)) return std::nullopt;
      if (comma == std::string_view::npos) return out;
      start = comma + 1;
    }
  }

 private:
  bool Fail(size_t at, size_t length, std::string message) {
    error_.offset = offset_ + static_cast<int>(at);
    error_.length = static_cast<int>(std::max<size_t>(length, 1));
    error_.message = std::move(message);
    return false;
  }

  // `N`, `N-M`, `*`, each optionally followed by `/STEP`, in text_[start, end).
  bool Item(size_t start, size_t end, std::vector<bool>& out) {
    std::string_view item = text_.substr(start, end - start);
    if (item.empty())
      return Fail(start, 1, std::string("empty item in the ") + spec_.name + " list");
    size_t slash = item.find('/');
    std::string_view base = item.substr(0, slash);
    int lo = spec_.lo;
    int hi = spec_.hi == 7 ? 6 : spec_.hi;  // weekday 7 is Sunday: '*' means 0-6
    if (base != "*") {
      size_t dash = base.find('-');
      // A leading '-' is no range: "found ''" said nothing of the '-1' written (break23a D3).
      if (dash == 0)
        return Fail(start, base.size(),
                    "'" + std::string(base) + "' is no value of the " + spec_.name +
                        ": cron has no negative numbers; expected " + std::to_string(spec_.lo) +
                        "-" + std::to_string(spec_.hi));
      auto first = Value(start, base.substr(0, dash));
      if (!first) return false;
      lo = hi = *first;
      if (dash != std::string_view::npos) {
        auto last = Value(start + dash + 1, base.substr(dash + 1));
        if (!last) return false;
        if (*last < *first)
          return Fail(start, base.size(),
                      "range '" + std::string(base) + "' of the " + spec_.name +
                          " goes backwards; write it as two ranges, each in order");
        hi = *last;
      } else if (slash != std::string_view::npos) {
        hi = spec_.hi;  // N/STEP: from N to the end (cronie)
      }
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      auto s = Number(start + slash + 1, item.substr(slash + 1), "step");
      if (!s) return false;
      if (*s < 1 || *s > spec_.hi - spec_.lo + 1)
        return Fail(start + slash + 1, item.size() - slash - 1,
                    "step " + std::to_string(*s) + " of the " + spec_.name + " must be 1-" +
                        std::to_string(spec_.hi - spec_.lo + 1));
      step = *s;
    }
    for (int v = lo; v <= hi; v += step) out[static_cast<size_t>(v)] = true;
    return true;
  }

  std::optional<int> Number(size_t at, std::string_view digits, const char* what) {
    if (digits.empty() || digits.size() > 4) {
      return Fail(at, digits.size(),
                  std::string("expected a number as the ") + what + " of the " + spec_.name +
                      ", found '" + std::string(digits) + "'"),
             std::nullopt;
    }
    int v = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(digits[i])))
        return Fail(at + i, 1,
                    std::string("unexpected '") + digits[i] + "' in the " + spec_.name +
                        (digits[i] == '?' ? "; '?' is Quartz syntax, write '*'" : "")),
               std::nullopt;
      v = v * 10 + (digits[i] - '0');
    }
    return v;
  }

  // A number or a name within the field's range.
  std::optional<int> Value(size_t at, std::string_view word) {
    if (!word.empty() && std::isalpha(static_cast<unsigned char>(word[0]))) return Name(at, word);
    auto v = Number(at, word, "value");
    if (!v) return std::nullopt;
    if (*v < spec_.lo || *v > spec_.hi)
      return Fail(at, word.size(),
                  std::string(spec_.name) + " " + std::to_string(*v) + " is out of range " +
                      std::to_string(spec_.lo) + "-" + std::to_string(spec_.hi)),
             std::nullopt;
    return *v;
  }

  std::optional<int> Name(size_t at, std::string_view word) {
    std::string lower = AsciiLower(word);
    for (size_t i = 0; i < spec_.names.size(); ++i) {
      if (spec_.names[i] == lower) return spec_.lo + static_cast<int>(i);
    }
    std::string message = "unknown " + std::string(spec_.name) + " '" + std::string(word) + "'";
    if (spec_.names.empty()) {
      message += "; expected a number " + std::to_string(spec_.lo) + "-" + std::to_string(spec_.hi);
    } else {
      message += "; expected " + spec_.names.front() + ".." + spec_.names.back() + " or " +
                 std::to_string(spec_.lo) + "-" + std::to_string(spec_.hi);
      std::string close = ClosestName(lower, spec_.names);
      if (!close.empty()) message += "; did you mean '" + close + "'?";
    }
    return Fail(at, word.size(), message), std::nullopt;
  }

  std::string_view text_;
  int offset_;
  const FieldSpec& spec_;
  CronError& error_;
};

struct Macro {
  const char* name;
  const char* expansion;
};

constexpr Macro kMacros[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
                             {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                             {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                             {"@hourly", "0 * * * *"}};

std::optional<CronExpr> ParseMacro(std::string_view text, int offset, CronError& error) {
  std::string lower = AsciiLower(text);
  std::vector<std::string> names;
  for (const Macro& m : kMacros) {
    if (lower == m.name) return ParseCron(m.expansion, error);
    names.push_back(m.name);
  }
  error.offset = offset;
  error.length = static_cast<int>(text.size());
  if (lower == "@reboot") {
    error.message = "'@reboot' is not a time: a schedule fires at times of day";
    return std::nullopt;
  }
  error.message = "unknown cron macro '" + std::string(text) + "'; expected " + Join(names, ", ");
  std::string close = ClosestName(lower, names);
  if (!close.empty()) error.message += "; did you mean '" + close + "'?";
  return std::nullopt;
}

// The fields of `text` with their offsets, split at spaces and tabs.
std::vector<std::pair<int, std::string_view>> SplitFields(std::string_view text) {
  std::vector<std::pair<int, std::string_view>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.emplace_back(static_cast<int>(start), text.substr(start, i - start));
  }
  return out;
}

constexpr int kDaysIn[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// A day-of-month restriction with no day that any chosen month has (`30 2`).
bool SomeMonthHasADay(const CronExpr& c) {
  for (int m = 1; m <= 12; ++m) {
    for (int d = 1; d <= kDaysIn[m] && c.months[static_cast<size_t>(m)]; ++d) {
      if (c.days[static_cast<size_t>(d)]) return true;
    }
  }
  return false;
}

template <size_t N>
void Copy(const std::vector<bool>& from, std::bitset<N>& to) {
  for (size_t v = 0; v < from.size() && v < N; ++v) to[v] = from[v];
}

}  // namespace

std::optional<CronExpr> ParseCron(std::string_view text, CronError& error) {
  auto fields = SplitFields(text);
  if (fields.size() == 1 && fields[0].second.front() == '@')
    return ParseMacro(fields[0].second, fields[0].first, error);
  if (fields.size() != 5) {
    error.offset = 0;
    error.length = static_cast<int>(std::max<size_t>(text.size(), 1));
    error.message = "expected 5 fields (minute hour day-of-month month day-of-week), found " +
                    std::to_string(fields.size()) +
                    (fields.size() > 5 ? "; seconds and years are not cron fields here" : "");
    return std::nullopt;
  }
  std::vector<bool> values[5];
  for (size_t f = 0; f < 5; ++f) {
    auto parsed = FieldParser(fields[f].second, fields[f].first, Fields()[f], error).Parse();
    if (!parsed) return std::nullopt;
    values[f] = std::move(*parsed);
  }
  CronExpr c;
  Copy(values[0], c.minutes);
  Copy(values[1], c.hours);
  Copy(values[2], c.days);
  Copy(values[3], c.months);
  Copy(values[4], c.weekdays);
  if (values[4][7]) c.weekdays[0] = true;  // 7 is Sunday too
  c.days_restricted = fields[2].second.front() != '*';
  c.weekdays_restricted = fields[4].second.front() != '*';
  if (!c.weekdays_restricted && !SomeMonthHasADay(c)) {
    error.offset = fields[2].first;
    error.length = fields[3].first + static_cast<int>(fields[3].second.size()) - fields[2].first;
    error.message = "this schedule never fires: none of its months has any of its days";
    return std::nullopt;
  }
  return c;
}

bool CronDayMatches(const CronExpr& c, const CivilDay& day) {
  if (!c.months[static_cast<size_t>(day.month)]) return false;
  bool dom = c.days[static_cast<size_t>(day.day)];
  bool dow = c.weekdays[static_cast<size_t>(day.weekday)];
  if (c.days_restricted && c.weekdays_restricted) return dom || dow;
  return dom && dow;
}

}  // namespace runbook
