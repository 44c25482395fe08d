// `on:` of a runbook file: schedules (cron in a time zone, the params of their runs),
// catch-up and overlap. Every mistake located; a schedule's params are checked as --set's are.
#include "engine/loader_internal.h"
#include "engine/plugin/check_value.h"
#include "engine/schedule/fire_times.h"
#include "engine/source/snode_value.h"
#include "engine/util/strings.h"

namespace runbook {
namespace {

void ReadCron(FieldReader& r, const SNode& node, ScheduleDecl& out) {
  CronError error;
  auto cron = ParseCron(node.text, error);
  if (!cron) {
    r.Error(r.LocIn(node, error.offset, error.length),
            "invalid cron '" + node.text + "': " + error.message);
    return;
  }
  out.cron_text = node.text;
  out.cron = *cron;
}

void ReadZone(FieldReader& r, const SNode& node, ScheduleDecl& out) {
  std::string error;
  if (auto zone = TimeZone::Find(node.text, error)) {
    out.timezone = zone->name();
  } else {
    r.Error(node.loc, error);
  }
}

// Each param is declared and its value passes its type, as a --set value must; a required
// param without a default must be given, or every fire would fail.
void ReadScheduleParams(FieldReader& r, const SNode* node, const Runbook& rb, ScheduleDecl& out,
                        const Loc& entry) {
  if (node != nullptr && !r.ExpectMap(*node, "schedule params")) return;
  for (size_t i = 0; node != nullptr && i < node->entries.size(); ++i) {
    const auto& [key, value] = node->entries[i];
    const ParamSpec* spec = rb.FindParam(key.text);
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const ParamSpec& p : rb.params) names.push_back(p.name);
      std::string close = ClosestName(key.text, names);
      r.Error(key.loc, "unknown param '" + key.text + "' in a schedule" +
                           (close.empty() ? "" : "; did you mean '" + close + "'?"));
      continue;
    }
    Value v = ToValue(value);
    std::string error = CheckValue(*spec, v);
    if (!error.empty()) {
      r.Error(value.loc, "param '" + key.text + "' of a schedule: " + error);
      continue;
    }
    out.params.emplace_back(key.text, NormaliseValue(*spec, v));
  }
  for (const ParamSpec& p : rb.params) {
    bool given = node != nullptr && node->Get(p.name) != nullptr;
    if (p.required && !given && p.default_value.is_null())
      r.Error(entry, "this schedule fires without param '" + p.name +
                         "', which is required and has no default; give it in params");
  }
}

void ReadSchedule(FieldReader& r, const SNode& node, const Runbook& rb, TriggersDecl& out) {
  if (!r.ExpectMap(node, "a schedule")) return;
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("schedule"));
  ScheduleDecl s;
  s.loc = node.loc;
  if (const SNode* n = c.Get("cron")) ReadCron(r, *n, s);
  if (const SNode* n = c.Get("timezone")) ReadZone(r, *n, s);
  ReadScheduleParams(r, c.Get("params"), rb, s, node.loc);
  out.schedules.push_back(std::move(s));
}

Overlap OverlapNamed(const std::string& name) {
  if (name == "queue") return Overlap::kQueue;
  if (name == "cancel_running") return Overlap::kCancelRunning;
  return Overlap::kSkip;
}

}  // namespace

void ReadTriggers(FieldReader& r, const SNode& node, const Runbook& rb, TriggersDecl& out) {
  CheckedBlock c = CheckBlock(r, node, RunbookBlock("on"));
  const SNode* schedule = c.Get("schedule");
  for (size_t i = 0; schedule != nullptr && i < schedule->items.size(); ++i)
    ReadSchedule(r, schedule->items[i], rb, out);
  bool fires = schedule != nullptr && !schedule->items.empty();
  for (const char* key : {"catchup", "overlap"}) {
    const SNode* n = c.Get(key);
    if (n != nullptr && !fires)
      r.Error(n->loc,
              std::string("on.") + key + " without a schedule: nothing fires to apply it to");
  }
  if (const SNode* n = c.Get("catchup")) out.catchup = ParseDuration(n->text).value_or(Millis{0});
  if (const SNode* n = c.Get("overlap")) out.overlap = OverlapNamed(n->text);
}

void ReadNotify(FieldReader& r, const SNode& node, Runbook& rb) {
  for (const SNode& item : node.items) {
    if (!r.ExpectMap(item, "a notify entry")) continue;
    CheckedBlock c = CheckBlock(r, item, RunbookBlock("notify"));
    NotifyDecl n;
    n.loc = item.loc;
    if (const SNode* on = c.Get("on")) n.on = r.StringList(*on, "notify event").value_or(n.on);
    for (const char* channel : {"webhook", "slack", "alertmanager", "email"}) {
      const SNode* config = c.Get(channel);
      if (config == nullptr) continue;
      CheckBlock(r, *config, RunbookBlock(channel));
      n.channel = channel;
      n.config = r.Tree(*config);
    }
    if (!n.channel.empty()) rb.notify.push_back(std::move(n));
  }
}

}  // namespace runbook
