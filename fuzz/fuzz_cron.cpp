// libFuzzer target: any text through the cron grammar; what parses is matched and its next
// fires computed in a zone with DST, checking that fires are strictly increasing and that an
// error always points inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/schedule/fire_times.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  runbook::CronError error;
  auto cron = runbook::ParseCron(text, error);
  if (!cron) {
    if (error.message.empty() || error.offset < 0 || error.length < 1 ||
        static_cast<size_t>(error.offset) > text.size())
      std::abort();
    return 0;
  }
  static const runbook::TimeZone zone = [] {
    std::string why;
    return runbook::TimeZone::Find("Europe/Madrid", why).value_or(runbook::TimeZone::Utc());
  }();
  runbook::SysSeconds from{std::chrono::seconds(1774652400)};  // 2026-03-28T00:00:00Z
  auto fires = runbook::NextFires(*cron, zone, from, 4);
  if (fires.empty()) std::abort();  // ParseCron refuses what never fires
  for (size_t i = 0; i < fires.size(); ++i) {
    if (fires[i] <= (i == 0 ? from : fires[i - 1])) std::abort();
  }
  return 0;
}
