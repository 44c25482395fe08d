#include "serve/due_fires.h"

#include "engine/audit/report.h"

namespace runbook {
namespace {

// Fires of `s` in (from, to), counted up to a bound (a minute-schedule over a long downtime).
int64_t FiresBetween(const ScheduleDecl& s, const TimeZone& zone, SysSeconds from, SysSeconds to) {
  int64_t n = 0;
  for (auto next = NextFire(s.cron, zone, from); next && *next < to && n < kMaxCountedFires;
       next = NextFire(s.cron, zone, *next))
    ++n;
  return n;
}

}  // namespace

bool IsFireOf(const ScheduleDecl& s, SysSeconds at) {
  std::string error;
  auto zone = TimeZone::Find(s.timezone, error);
  if (!zone) return false;
  auto next = NextFire(s.cron, *zone, at - std::chrono::seconds(1));
  return next && *next == at;
}

DueFire DecideFire(const Runbook& rb, size_t index, SysSeconds fire_at, SysSeconds now,
                   std::chrono::seconds on_time) {
  DueFire d;
  d.runbook = &rb;
  d.schedule = index;
  d.fire_at = fire_at;
  d.late_seconds = (now - fire_at).count();
  auto late = std::chrono::seconds(d.late_seconds);
  std::string late_text = HumanMs(d.late_seconds * 1000) + " late";
  if (late <= on_time) {
    d.run = true;
    d.why = "on time";
  } else if (late <= rb.on.catchup) {
    d.run = true;
    d.why = late_text + ", within catchup " + HumanMs(rb.on.catchup.count());
  } else {
    d.why = late_text + (rb.on.catchup.count() == 0
                             ? ", and the runbook sets no catchup: skipped"  // breakVV VV7
                             : ", beyond catchup " + HumanMs(rb.on.catchup.count()) + ": skipped");
  }
  return d;
}

std::vector<DueFire> DueFires(const std::vector<const Runbook*>& runbooks, SysSeconds last,
                              SysSeconds now, std::chrono::seconds on_time) {
  std::vector<DueFire> out;
  for (const Runbook* rb : runbooks) {
    for (size_t i = 0; i < rb->on.schedules.size(); ++i) {
      const ScheduleDecl& s = rb->on.schedules[i];
      std::string error;
      auto zone = TimeZone::Find(s.timezone, error);
      if (!zone) continue;  // checked at load; a zone removed from tzdata since does not fire
      auto latest = LatestFireIn(s.cron, *zone, last, now);
      if (!latest) continue;
      DueFire d = DecideFire(*rb, i, *latest, now, on_time);
      d.earlier_skipped = FiresBetween(s, *zone, last, *latest);
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace runbook
