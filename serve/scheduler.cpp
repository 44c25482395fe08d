#include "serve/scheduler.h"

#include <algorithm>
#include <utility>

#include "engine/audit/store.h"
#include "engine/util/json.h"
#include "engine/util/private_file.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

// A fire up to this late is on time: ticks come every second, a busy machine may lag.
constexpr std::chrono::seconds kOnTime{60};

std::string UtcText(SysSeconds t) { return FormatUtc(Clock::Wall(t)); }

// What the state file holds: the last tick, the fires the queue held (their triggers), and
// the fires started whose runs had not recorded their start (run id, trigger).
struct SavedState {
  std::optional<SysSeconds> last_tick;
  std::vector<Value> queued;
  std::vector<std::pair<std::string, Value>> launched;
};

// One queued fire per runbook at most, and as many running: more is a damaged file (UU3).
constexpr size_t kMaxQueued = 10000;

// Reads the state file; `problem` says what of a file that is there cannot be taken up
// (damaged): a missing last tick (missed fires are then not caught up), a "queued" or
// "launched" that is not a list of at most kMaxQueued, a launched entry without a run id and
// trigger. Every entry it holds is either taken up or said (breakVV VV6, breakWW WW6): the
// queued and launched fires are read with or without a last tick. A file of the first format
// (last_tick only) reads with no queue.
SavedState ReadState(const std::string& path, std::string& problem) {
  SavedState state;
  auto said = [&](const std::string& what) {
    problem += (problem.empty() ? "" : "; ") + path + " holds " + what;
  };
  std::optional<std::string> text = ReadPrivateFile(path);
  if (!text) return state;
  auto json = ParseJson(*text);
  if (!json.ok() || !json.value().is_map()) {
    said("no JSON object (damaged?): fires missed before now are not caught up, and none it " +
         std::string("kept queued or launched is run"));
    return state;
  }
  const Value* tick = json.value().Find("last_tick");
  std::optional<Clock::Wall> at = tick ? ParseUtc(tick->ToText()) : std::nullopt;
  if (at)
    state.last_tick = std::chrono::floor<std::chrono::seconds>(*at);
  else
    said("no last tick (damaged?): fires missed before now are not caught up");
  const Value* queued = json.value().Find("queued");
  if (queued != nullptr && !queued->is_list())
    said("a \"queued\" that is not a list (damaged?): no queued fire is run");
  else if (queued != nullptr && queued->as_list().size() > kMaxQueued)
    said(std::to_string(queued->as_list().size()) + " queued fires (damaged?): none is run");
  else if (queued != nullptr)
    state.queued = queued->as_list();
  const Value* launched = json.value().Find("launched");
  if (launched != nullptr && !launched->is_list()) {
    said(
        "a \"launched\" that is not a list (damaged?): fires whose runs had not started are "
        "not judged again");
  } else if (launched != nullptr && launched->as_list().size() > kMaxQueued) {
    said(std::to_string(launched->as_list().size()) +
         " launched fires (damaged?): none is judged again");
  } else if (launched != nullptr) {
    size_t damaged = 0;
    for (const Value& l : launched->as_list()) {
      const Value* id = l.is_map() ? l.Find("run_id") : nullptr;
      const Value* trigger = l.is_map() ? l.Find("trigger") : nullptr;
      if (id != nullptr && id->is_string() && trigger != nullptr && trigger->is_map())
        state.launched.emplace_back(id->as_string(), *trigger);
      else
        ++damaged;
    }
    if (damaged > 0)
      said(std::to_string(damaged) +
           " launched fire(s) without a run id and trigger (damaged?): not judged again");
  }
  return state;
}

// The trigger run `run_id` recorded in its run_started event, as JSON; "" when none.
std::string RecordedTrigger(AuditStore& store, const std::string& run_id) {
  auto events = store.RunEvents(run_id);
  if (!events.ok() || events.value().empty()) return "";
  auto body = ParseJson(events.value().front().body);
  const Value* trigger = body.ok() ? body.value().Find("trigger") : nullptr;
  return trigger != nullptr ? ToJson(*trigger) : "";
}

std::string What(const DueFire& f) {
  const ScheduleDecl& s = f.runbook->on.schedules[f.schedule];
  return f.runbook->name + " (" + s.cron_text + " " + s.timezone + ", fire " + UtcText(f.fire_at) +
         ")";
}

}  // namespace

Value ScheduleTrigger(const Runbook& rb, size_t schedule, SysSeconds fire_at) {
  const ScheduleDecl& s = rb.on.schedules[schedule];
  return Value(Value::Map{{"kind", Value("schedule")},
                          {"runbook", Value(rb.name)},
                          {"schedule", Value(static_cast<int64_t>(schedule))},
                          {"cron", Value(s.cron_text)},
                          {"timezone", Value(s.timezone)},
                          {"fire_at", Value(UtcText(fire_at))}});
}

Scheduler::Scheduler(const Clock& clock, Launcher& launcher, std::string audit_db,
                     std::string state_path, std::function<void(const std::string&)> say)
    : clock_(clock),
      launcher_(launcher),
      audit_db_(std::move(audit_db)),
      state_path_(std::move(state_path)),
      say_(std::move(say)) {
  SavedState saved = ReadState(state_path_, read_problem_);
  last_ = saved.last_tick;
  saved_queue_ = std::move(saved.queued);
  for (auto& [id, trigger] : saved.launched)
    saved_launched_.push_back({id, std::move(trigger), "", {}, 0});
}

Result<std::vector<std::string>> Scheduler::TakeUpLaunched(
    const std::function<bool(const std::string&)>& owed,
    const std::vector<std::pair<std::string, Value>>& marked) {
  std::vector<std::string> ids;
  auto is_fire = [](const Value& trigger) {
    const Value* kind = trigger.is_map() ? trigger.Find("kind") : nullptr;
    return kind != nullptr && kind->ToText() == "schedule";
  };
  const bool any_marked =
      std::any_of(marked.begin(), marked.end(), [&](const auto& m) { return is_fire(m.second); });
  if (saved_launched_.empty() && !any_marked) return ids;
  auto store = AuditStore::OpenExisting(audit_db_);
  if (!store.ok()) return store.status();
  for (const Launched& l : saved_launched_) {
    auto row = store.value()->IndexRow(l.run_id);
    if (!row.ok()) return row.status();
    // A run of the store under that id that another fire (or none) started does not stand
    // for this fire (breakVV VV6: a damaged entry naming it dropped the fire); the fire is
    // judged again, and AlreadyRan keeps it from running twice.
    if ((row.value() && RecordedTrigger(*store.value(), l.run_id) == ToJson(l.trigger)) ||
        owed(l.run_id))
      continue;  // it ran (or was refused): as any run
    ids.push_back(l.run_id);
    refire_.push_back(l.trigger);
  }
  std::vector<std::pair<std::string, Value>> unsaved;
  for (const auto& [id, trigger] : marked) {
    if (!is_fire(trigger) || std::find(ids.begin(), ids.end(), id) != ids.end() ||
        std::any_of(saved_launched_.begin(), saved_launched_.end(),
                    [&](const Launched& l) { return l.run_id == id; }))
      continue;
    auto row = store.value()->IndexRow(id);
    if (!row.ok()) return row.status();
    if (!row.value() && !owed(id)) unsaved.emplace_back(id, trigger);
  }
  saved_launched_.clear();
  for (auto& [id, trigger] : unsaved) {
    ids.push_back(id);
    RefireUnsaved(std::move(trigger));
  }
  return ids;
}

void Scheduler::RefireUnsaved(Value trigger) {
  const std::string json = ToJson(trigger);
  auto same = [&](const Value& t) { return ToJson(t) == json; };
  if (std::any_of(saved_queue_.begin(), saved_queue_.end(), same) ||
      std::any_of(refire_.begin(), refire_.end(), same))
    return;  // the state file keeps it: judged again as that
  const Value* at_text = trigger.Find("fire_at");
  std::optional<Clock::Wall> at = at_text ? ParseUtc(at_text->ToText()) : std::nullopt;
  if (at && last_ && std::chrono::floor<std::chrono::seconds>(*at) > *last_)
    return;  // past the last tick kept: one of the next tick's due fires
  refire_.push_back(std::move(trigger));
}

void Scheduler::Tick(const Catalog& catalog) {
  SysSeconds now = std::chrono::floor<std::chrono::seconds>(clock_.WallNow());
  if (!read_problem_.empty()) say_("warning: " + std::exchange(read_problem_, ""));
  // A last tick ahead of now (a clock set back, an edited file): taken as now, said; else
  // no fire would come until that time (breakServe2: one in the year 3000 stopped them all).
  if (last_ && *last_ > now + kOnTime) {
    say_("warning: the last tick in " + state_path_ + " (" + UtcText(*last_) +
         ") is ahead of this clock; taken as now");
    last_ = now;
  }
  if (!last_) last_ = now;
  for (const Value& trigger : std::exchange(saved_queue_, {}))
    Requeue(trigger, catalog, now, false);
  for (const Value& trigger : std::exchange(refire_, {})) Requeue(trigger, catalog, now, true);
  for (const DueFire& fire : DueFires(catalog.Runbooks(), *last_, now, kOnTime)) {
    if (fire.earlier_skipped > 0)
      say_(std::string("not run: ") +
           (fire.earlier_skipped >= kMaxCountedFires ? "at least " : "") +  // audit 16, L9
           std::to_string(fire.earlier_skipped) + " earlier missed fire(s) of " +
           fire.runbook->name + " (only the latest is caught up)");
    if (const CatalogEntry* entry = catalog.Find(fire.runbook->name)) Handle(fire, *entry);
  }
  StartQueued();
  PruneLaunched(now);
  last_ = now;
  WriteState(now);
}

void Scheduler::PruneLaunched(SysSeconds now) {
  // The ended ones wait for RunEnded, which judges them, and are no longer in the state file.
  for (auto it = launched_.begin(); it != launched_.end();) {
    if (launcher_.IsRunning(it->run_id)) {
      ++it;
      continue;
    }
    ended_.push_back(std::move(*it));
    it = launched_.erase(it);
  }
  if (ended_.size() > 100) ended_.erase(ended_.begin(), ended_.end() - 100);
  if (launched_.empty() || (store_read_ && now - *store_read_ < std::chrono::seconds(10))) return;
  store_read_ = now;
  auto store = AuditStore::OpenExisting(audit_db_);
  if (!store.ok()) return;
  std::erase_if(launched_, [&store](const Launched& l) {
    auto row = store.value()->IndexRow(l.run_id);
    return row.ok() && row.value();
  });
}

void Scheduler::WriteState(SysSeconds now) {
  Value::List queue;
  for (const auto& [name, q] : queued_) queue.push_back(q.request.trigger);
  Value::List launched;
  for (const std::vector<Launched>* list : {&launched_, &saved_launched_})
    for (const Launched& l : *list)
      launched.push_back(Value(Value::Map{{"run_id", Value(l.run_id)}, {"trigger", l.trigger}}));
  // Private as the rest of the state folder (breakFF FF6: it was written 0644).
  Status written =
      WritePrivateFile(state_path_, ToJson(Value(Value::Map{{"last_tick", Value(UtcText(now))},
                                                            {"queued", Value(queue)},
                                                            {"launched", Value(launched)}})) +
                                        "\n");
  // Said when it starts failing and when it mends, not every tick (breakRR RR6: a full disk
  // wrote the same line twice a second).
  std::string error = written.ok() ? "" : written.message();
  if (error != state_error_)
    say_(error.empty() ? "written again: " + state_path_ : "error: " + error);
  state_error_ = error;
}

void Scheduler::Handle(const DueFire& fire, const CatalogEntry& entry) {
  if (!fire.run) {
    say_("skipped " + What(fire) + ": " + fire.why);
    return;
  }
  if (AlreadyRan(fire)) {
    say_("skipped " + What(fire) + ": a run of the store already carries this fire");
    return;
  }
  LaunchRequest request = RequestOf(fire, entry);
  std::vector<LaunchedRun> running = launcher_.Running(request.runbook);
  if (running.empty()) return Start(request, What(fire), fire.why);
  switch (fire.runbook->on.overlap) {
    case Overlap::kSkip:
      say_("skipped " + What(fire) + ": run " + running.front().run_id +
           " still runs (overlap: skip)");
      return;
    case Overlap::kQueue:
      if (queued_.count(request.runbook) != 0)
        say_("skipped " + queued_.at(request.runbook).what +
             ": a later fire replaces it in the queue");
      say_("queued " + What(fire) + ": run " + running.front().run_id +
           " still runs (overlap: queue)");
      queued_[request.runbook] = {What(fire), request};
      return;
    case Overlap::kCancelRunning:
      for (const LaunchedRun& r : running) launcher_.Cancel(r.run_id);
      say_("cancelling run " + running.front().run_id + " for " + What(fire) +
           " (overlap: cancel_running)");
      queued_[request.runbook] = {What(fire), request};
      return;
  }
}

LaunchRequest Scheduler::RequestOf(const DueFire& fire, const CatalogEntry& entry) {
  LaunchRequest request;
  request.runbook = fire.runbook->name;
  request.file = entry.file;
  for (const auto& [name, value] : fire.runbook->on.schedules[fire.schedule].params)
    request.sets.emplace_back(name, TextAsSent(value));
  request.trigger = ScheduleTrigger(*fire.runbook, fire.schedule, fire.fire_at);
  return request;
}

void Scheduler::Requeue(const Value& trigger, const Catalog& catalog, SysSeconds now,
                        bool launched) {
  const Value* name = trigger.Find("runbook");
  const Value* schedule = trigger.Find("schedule");
  const Value* fire_at = trigger.Find("fire_at");
  std::optional<Clock::Wall> at = fire_at ? ParseUtc(fire_at->ToText()) : std::nullopt;
  const CatalogEntry* entry = name ? catalog.Find(name->ToText()) : nullptr;
  const std::string stopped =
      launched ? "its run had not started when serve stopped (it had recorded nothing)"
               : "it waited in the queue when serve stopped";
  const std::string said = "the fire " + ToJson(trigger) + " (" + stopped + ")";
  // Not the shape ScheduleTrigger writes: a damaged entry, not a runbook gone (breakWW WW6).
  const Value* kind = trigger.Find("kind");
  if (!trigger.is_map() || kind == nullptr || kind->ToText() != "schedule" || name == nullptr ||
      !name->is_string() || schedule == nullptr || !schedule->is_int() || !at)
    return say_("not run: the entry " + ToJson(trigger) + " of " + state_path_ +
                " is not a fire (damaged?)");
  if (entry == nullptr || entry->runbook == nullptr || schedule->as_int() < 0 ||
      static_cast<size_t>(schedule->as_int()) >= entry->runbook->on.schedules.size())
    return say_("not run: " + said + ": its runbook or schedule is no longer here");
  const size_t index = static_cast<size_t>(schedule->as_int());
  const SysSeconds when = std::chrono::floor<std::chrono::seconds>(*at);
  if (ToJson(ScheduleTrigger(*entry->runbook, index, when)) != ToJson(trigger))
    return say_("not run: " + said + ": its schedule changed since");
  // Only a past fire of its schedule, once (breakUU UU3: a time in the future, or no fire of
  // the cron, written there ran at once; a second entry replaced the first). Past the last
  // tick, it would also be one of this tick's due fires, and run twice.
  if (launched && queued_.count(entry->runbook->name) != 0)
    return say_("not run: " + said +
                (ToJson(queued_.at(entry->runbook->name).request.trigger) == ToJson(trigger)
                     ? ": the same fire is queued already (named twice in the state file)"
                     : ": another fire of its runbook waits in the queue"));
  if (when > now || when > *last_ || !IsFireOf(entry->runbook->on.schedules[index], when) ||
      queued_.count(entry->runbook->name) != 0)
    return say_("not run: " + said + ": not a past fire of its schedule, or its runbook's " +
                "second (damaged state file?)");
  DueFire fire = DecideFire(*entry->runbook, index, when, now, kOnTime);
  if (!fire.run) return say_("skipped " + What(fire) + " (" + stopped + "): " + fire.why);
  if (AlreadyRan(fire))
    return say_("skipped " + What(fire) + ": a run of the store already carries this fire");
  if (std::string later = LaterFireRan(fire); !later.empty())
    return say_("skipped " + What(fire) + ": a later fire of its schedule (" + later +
                ") ran already; only the latest runs");
  say_("queued again " + What(fire) + ": " + stopped + " (" + fire.why + ")");
  queued_[fire.runbook->name] = {What(fire), RequestOf(fire, *entry)};
}

void Scheduler::StartQueued() {
  for (auto it = queued_.begin(); it != queued_.end();) {
    if (!launcher_.Running(it->first).empty()) {
      ++it;
      continue;
    }
    // A fire whose run died before it started is started again at once, not late (breakWW
    // WW10: its reason grew a "queued, now free" per death).
    Start(it->second.request, it->second.what,
          it->second.relaunches > 0 ? "started again (its run was killed before it started)"
                                    : "queued, now free",
          it->second.relaunches);
    it = queued_.erase(it);
  }
}

void Scheduler::Start(const LaunchRequest& request, const std::string& what, const std::string& why,
                      int relaunches) {
  auto run = launcher_.Start(request);
  if (!run.ok()) {
    say_("error: cannot start " + what + ": " + run.status().message());
    return;
  }
  say_("fired " + what + ": " + why + " as run " + run.value().run_id);
  launched_.push_back({run.value().run_id, request.trigger, what, request, relaunches});
}

bool Scheduler::RunEnded(const EndedRun& ended) {
  auto mine = [&](const Launched& l) { return l.run_id == ended.run.run_id; };
  std::optional<Launched> found;
  for (std::vector<Launched>* list : {&launched_, &ended_}) {
    auto it = std::find_if(list->begin(), list->end(), mine);
    if (it == list->end()) continue;
    found = std::move(*it);
    list->erase(it);
  }
  if (!found) return false;
  Launched launched = std::move(*found);
  const int code = ended.exit_code;
  if (code <= 128 || code == kDiedWithServe || ended.run.cancelled) return false;
  auto store = AuditStore::OpenExisting(audit_db_);
  if (!store.ok()) return false;
  auto row = store.value()->IndexRow(launched.run_id);
  if (!row.ok() || row.value()) return false;  // it started: its end is told as any run's
  const std::string died = "run " + launched.run_id + " (" + launched.what +
                           ") was killed before it started (exit " + std::to_string(code) + ")";
  if (launched.relaunches >= kMaxRelaunches) {
    say_(died + "; its runs died so " + std::to_string(launched.relaunches + 1) +
         " times: its fire is not started again, and the failure is told");
    return false;
  }
  // Nothing is owed for it from here: forgotten before anything else is kept.
  launcher_.Forget(launched.run_id);
  launcher_.MarkRequeued(launched.run_id);
  if (queued_.count(launched.request.runbook) != 0) {
    say_(died + ": a later fire of " + launched.request.runbook +
         " waits in the queue and runs instead; nothing is owed");
    return true;
  }
  // One started since (its run still going, or ended) stands for it too: never an older fire
  // after a newer one (breakWW WW7).
  for (const std::vector<Launched>* list : {&launched_, &ended_})
    for (const Launched& l : *list)
      if (l.request.runbook == launched.request.runbook) {
        say_(died + ": a later fire of " + launched.request.runbook + " (run " + l.run_id +
             ") was started since, instead; nothing is owed");
        return true;
      }
  queued_[launched.request.runbook] = {launched.what, launched.request, launched.relaunches + 1};
  // Kept in the state file at once, with the last tick as it was: a serve killed or stopped
  // before the next tick keeps the fire queued (breakWW WW3: it was in memory only, and lost).
  if (last_) WriteState(*last_);
  say_(died + ": its fire is queued again (nothing is owed)");
  return true;
}

// Whether a run of the store was started by this very fire (the restart after a crash
// between the launch and the state file's write).
std::vector<Value> Scheduler::RecordedTriggers(const std::string& runbook) const {
  std::vector<Value> out;
  auto store = AuditStore::OpenExisting(audit_db_);
  if (!store.ok()) return out;
  auto runs = store.value()->Runs(runbook, 20);
  if (!runs.ok()) return out;
  for (const RunRow& row : runs.value()) {
    auto events = store.value()->RunEvents(row.run_id);
    if (!events.ok() || events.value().empty()) continue;
    auto body = ParseJson(events.value().front().body);
    if (body.ok() && body.value().Find("trigger") != nullptr)
      out.push_back(*body.value().Find("trigger"));
  }
  return out;
}

bool Scheduler::AlreadyRan(const DueFire& fire) const {
  const std::string want = ToJson(ScheduleTrigger(*fire.runbook, fire.schedule, fire.fire_at));
  for (const Value& trigger : RecordedTriggers(fire.runbook->name))
    if (ToJson(trigger) == want) return true;
  return false;
}

std::string Scheduler::LaterFireRan(const DueFire& fire) const {
  for (const Value& trigger : RecordedTriggers(fire.runbook->name)) {
    const Value* kind = trigger.Find("kind");
    const Value* schedule = trigger.Find("schedule");
    const Value* at = trigger.Find("fire_at");
    if (kind == nullptr || kind->ToText() != "schedule" || schedule == nullptr ||
        !schedule->is_int() || static_cast<size_t>(schedule->as_int()) != fire.schedule ||
        at == nullptr)
      continue;
    auto ran_at = ParseUtc(at->ToText());
    if (ran_at && std::chrono::floor<std::chrono::seconds>(*ran_at) > fire.fire_at)
      return at->ToText();
  }
  return "";
}

}  // namespace runbook
