#include "serve/schedule_value.h"

#include "engine/util/json.h"
#include "engine/util/time_format.h"

namespace runbook {

std::string UtcSecondsText(SysSeconds t) {
  std::string text = FormatUtc(Clock::Wall(t));
  size_t dot = text.find('.');  // whole seconds: no ".000"
  return dot == std::string::npos ? text : text.substr(0, dot) + "Z";
}

Value ScheduleValue(const ScheduleDecl& s, SysSeconds from, int count) {
  std::string error;
  TimeZone zone = TimeZone::Find(s.timezone, error).value_or(TimeZone::Utc());
  Value::List next;
  for (SysSeconds at : NextFires(s.cron, zone, from, count))
    next.push_back(Value(
        Value::Map{{"local", Value(LocalTimeText(zone, at))}, {"utc", Value(UtcSecondsText(at))}}));
  Value::Map params;
  for (const auto& [name, value] : s.params) params[name] = value;
  Value::Map written = TextsAsSent(params);  // `3.10`, `[0755]`: as written (break24a C2)
  return Value(Value::Map{{"cron", Value(s.cron_text)},
                          {"timezone", Value(s.timezone)},
                          {"params", Value(std::move(params))},
                          {"params_written", Value(std::move(written))},
                          {"next", Value(std::move(next))}});
}

}  // namespace runbook
