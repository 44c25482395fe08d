#include "engine/audit/unrecorded.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <sstream>

#include "engine/util/clock.h"
#include "engine/util/json.h"
#include "engine/util/own_file.h"
#include "engine/util/private_file.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

constexpr const char* kLate = "recorded_late";

Value FactValue(const AuditStore::NewEvent& e, const std::string& now) {
  return Value(Value::Map{{"kind", Value(e.kind)},
                          {"step", Value(e.step)},
                          {"attempt", Value(e.attempt)},
                          {"body", e.body},
                          {"happened_at", Value(now)}});
}

std::string Text(const Value& v, const std::string& key) {
  const Value* f = v.Find(key);
  return f != nullptr && f->is_string() ? f->as_string() : "";
}

int64_t Int(const Value& v, const std::string& key) {
  const Value* f = v.Find(key);
  return f != nullptr && f->is_int() ? f->as_int() : 0;
}

// The event a "facts" item says; nullopt when it is not one (its happened_at no UTC time
// included: the run writes FormatUtc's).
std::optional<AuditStore::NewEvent> FactOf(const Value& item) {
  const Value* body = item.Find("body");
  std::string kind = Text(item, "kind");
  if (!item.is_map() || kind.empty() || IsWriteAhead(kind) || body == nullptr || !body->is_map() ||
      !ParseUtc(Text(item, "happened_at")))
    return std::nullopt;
  Value::Map with_time = body->as_map();
  with_time[kLate] = Value(Value::Map{{"happened_at", Value(Text(item, "happened_at"))}});
  return AuditStore::NewEvent{kind, Text(item, "step"), Int(item, "attempt"),
                              Value(std::move(with_time))};
}

// `fact` with its happened_at kept within [`started_at`, `now`] (both FormatUtc's): a
// run never ends before it began, nor in the future (breakAA AA6: a forged line
// dated before the run's start was taken as its end, and the API said it finished before it
// started; a wall clock stepped back between the two does the same).
AuditStore::NewEvent WithinRun(AuditStore::NewEvent fact, const std::string& started_at,
                               const std::string& now) {
  Value::Map body = fact.body.as_map();
  const std::string at = Text(body[kLate], "happened_at");
  auto when = ParseUtc(at);
  auto first = ParseUtc(started_at), last = ParseUtc(now);
  std::string kept = at;
  if (when && first && *when < *first) kept = started_at;
  if (when && last && *when > *last) kept = now;
  body[kLate] = Value(Value::Map{{"happened_at", Value(kept)}});
  fact.body = Value(std::move(body));
  return fact;
}

// When the run of `events` (its record, oldest first; not empty) began: its run_started's
// time, or the time that start happened when it was recorded late (a run that never began,
// recorded by serve's helper, breakBB BB2): what it sent meanwhile is no earlier.
std::string StartedAt(const std::vector<AuditEvent>& events) {
  const AuditEvent& first = events.front();
  auto body = ParseJson(first.body);
  if (first.kind != "run_started" || !body.ok() || !body.value().is_map()) return first.at;
  const Value* late = body.value().Find(kLate);
  const std::string at = late != nullptr ? Text(*late, "happened_at") : "";
  return ParseUtc(at) && at < first.at ? at : first.at;
}

// `body` without its recorded_late field: what the run meant to record.
Value WithoutLate(Value body) {
  if (!body.is_map()) return body;
  Value::Map map = body.as_map();
  map.erase(kLate);
  return Value(std::move(map));
}

// What identifies an event whatever its recorded_late: its kind, step, attempt and body.
std::string Key(const AuditStore::NewEvent& e) {
  return e.kind + "\n" + e.step + "\n" + std::to_string(e.attempt) + "\n" +
         ToJson(WithoutLate(e.body));
}

}  // namespace

bool IsWriteAhead(const std::string& kind) {
  return kind == "run_started" || kind == "attempt_started";
}

Result<int64_t> KeepUnrecorded(const std::string& path, const std::string& run_id,
                               const std::vector<AuditStore::NewEvent>& events,
                               const std::string& now) {
  Value::List facts;
  std::optional<Value> starting;
  for (const AuditStore::NewEvent& e : events) {
    if (!IsWriteAhead(e.kind)) facts.push_back(FactValue(e, now));
    if (e.kind == "attempt_started")
      starting = Value(Value::Map{
          {"step", Value(e.step)},
          {"attempt", Value(e.attempt)},
          {"type",
           Value(e.body.Find("type") != nullptr ? e.body.Find("type")->ToText() : std::string())}});
  }
  std::string lines;
  if (!facts.empty())
    lines += ToJson(Value(Value::Map{{"run", Value(run_id)}, {"facts", Value(std::move(facts))}})) +
             "\n";
  if (starting)
    lines += ToJson(Value(Value::Map{{"run", Value(run_id)}, {"starting", *starting}})) + "\n";
  // Never through a link, never a FIFO that would block, nothing but a file of its own
  // (breakZZ ZZ6: a FIFO there hung the run in open()).
  auto fd = OpenOwnFile(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (!fd.ok()) return fd.status();
  struct stat st {};
  bool ok = ::fstat(fd.value(), &st) == 0 &&
            (lines.empty() ||
             ::write(fd.value(), lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()));
  int error = errno;
  ::close(fd.value());
  if (!ok) return Status::FromErrno("cannot write " + path, error);
  return static_cast<int64_t>(st.st_size);
}

Status SyncUnrecorded(const std::string& path) {
  auto fd = OpenOwnFile(path, O_WRONLY);
  if (!fd.ok()) return fd.status();
  bool ok = ::fdatasync(fd.value()) == 0;
  int error = errno;
  ::close(fd.value());
  return ok ? Status::Ok() : Status::FromErrno("cannot sync " + path, error);
}

Status Unkeep(const std::string& path, int64_t size) {
  auto fd = OpenOwnFile(path, O_WRONLY);
  if (!fd.ok()) return fd.status();
  bool ok = ::ftruncate(fd.value(), static_cast<off_t>(size)) == 0;
  int error = errno;
  ::close(fd.value());
  return ok ? Status::Ok() : Status::FromErrno("cannot cut " + path, error);
}

Unrecorded ReadUnrecorded(const std::string& path, const std::string& run_id) {
  Unrecorded out;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && st.st_size > kMaxUnrecordedBytes) {  // breakZZ ZZ4
    out.unreadable = path + " is " + std::to_string(st.st_size) +
                     " bytes, more than a run keeps (" + std::to_string(kMaxUnrecordedBytes) +
                     "): not read";
    return out;
  }
  std::istringstream lines(ReadPrivateFile(path).value_or(""));
  for (std::string line; std::getline(lines, line);) {
    if (lines.eof()) break;  // no '\n': cut short by a kill
    auto v = ParseJson(line);
    if (!v.ok() || !v.value().is_map() || Text(v.value(), "run") != run_id) continue;
    const Value* facts = v.value().Find("facts");
    const Value* starting = v.value().Find("starting");
    if (facts != nullptr && facts->is_list()) {
      for (const Value& item : facts->as_list())
        if (auto fact = FactOf(item)) out.facts.push_back(std::move(*fact));
      out.waiting = true;
    } else if (starting != nullptr && starting->is_map() && !Text(*starting, "step").empty()) {
      out.starting = StartingAttempt{Text(*starting, "step"), Int(*starting, "attempt"),
                                     Text(*starting, "type")};
      out.waiting = true;
    }
  }
  return out;
}

bool KeptEnd(const std::string& path, const std::string& run_id) {
  const Unrecorded kept = ReadUnrecorded(path, run_id);
  return std::any_of(kept.facts.begin(), kept.facts.end(),
                     [](const AuditStore::NewEvent& e) { return e.kind == "run_finished"; });
}

Result<bool> EndRecordedLate(AuditStore& store, const std::string& run_id) {
  auto events = store.RunEvents(run_id);
  if (!events.ok()) return events.status();
  for (const AuditEvent& e : events.value()) {
    if (e.kind != "run_finished") continue;
    auto body = ParseJson(e.body);
    return body.ok() && body.value().Find(kLate) != nullptr;
  }
  return false;
}

namespace {

// What a run's record holds, to judge a fact kept for it: only what the run could have done
// and has not recorded yet is taken (breakZZ ZZ2: any kind, attempts that never began and
// another run's facts were recorded; ZZ4: a line kept twice was recorded twice).
class RecordState {
 public:
  explicit RecordState(const std::vector<AuditEvent>& events) {
    for (const AuditEvent& e : events) {
      auto body = ParseJson(e.body);
      AuditStore::NewEvent event{e.kind, e.step, e.attempt, body.ok() ? body.value() : Value()};
      recorded_.insert(Key(event));
      Note(event);
    }
  }
  // Whether the store has `fact` already (recorded_late aside).
  bool Recorded(const AuditStore::NewEvent& fact) const { return recorded_.count(Key(fact)) != 0; }
  // Whether `fact` is one the run could still record; taken into the state when it is.
  bool Takes(const AuditStore::NewEvent& fact) {
    const auto attempt = std::make_pair(fact.step, fact.attempt);
    bool takes = false;
    if (fact.kind == "attempt_finished") takes = began_.count(attempt) && !ended_.count(attempt);
    if (fact.kind == "approval") takes = began_.count(attempt) && !approved_.count(attempt);
    if (fact.kind == "step_finished") {
      const Value* attempts = fact.body.Find("attempts");
      const Value* outcome = fact.body.Find("outcome");
      const std::string o = outcome != nullptr ? outcome->ToText() : "";
      bool any = attempts == nullptr || !attempts->is_int() || attempts->as_int() > 0;
      // One that never began was skipped or cancelled, nothing else (breakAA AA2).
      takes = !steps_done_.count(fact.step) &&
              (any ? steps_begun_.count(fact.step) != 0 : o == "skipped" || o == "cancelled");
    }
    // A run ends once every attempt it began has (breakAA AA2: one that died mid-step was
    // recorded a success).
    if (fact.kind == "run_finished") takes = !run_ended_ && began_.size() == ended_.size();
    if (fact.kind == "resource_stopped" || fact.kind == "notification")
      takes = others_.count(Key(fact)) == 0;
    // Sent once it ended, or was marked interrupted (a lost run's, told by serve's helper).
    if (fact.kind == "notification") takes = takes && (run_ended_ || interrupted_);
    if (takes) Note(fact);
    return takes;
  }

 private:
  void Note(const AuditStore::NewEvent& e) {
    const auto attempt = std::make_pair(e.step, e.attempt);
    if (e.kind == "attempt_started") began_.insert(attempt), steps_begun_.insert(e.step);
    if (e.kind == "attempt_finished") ended_.insert(attempt);
    if (e.kind == "approval") approved_.insert(attempt);
    if (e.kind == "step_finished") steps_done_.insert(e.step);
    if (e.kind == "run_finished") run_ended_ = true;
    if (e.kind == "run_interrupted") interrupted_ = true;
    if (e.kind == "resource_stopped" || e.kind == "notification") others_.insert(Key(e));
  }
  std::set<std::pair<std::string, int64_t>> began_, ended_, approved_;
  std::set<std::string> steps_begun_, steps_done_;
  bool run_ended_ = false;
  bool interrupted_ = false;
  std::set<std::string> others_;    // Key of each resource_stopped and notification
  std::set<std::string> recorded_;  // Key of each event the store had
};

}  // namespace

Result<LateRecord> RecordUnrecorded(AuditStore& store, const std::string& run_id,
                                    const std::string& path) {
  const Unrecorded kept = ReadUnrecorded(path, run_id);
  if (!kept.unreadable.empty()) return LateRecord{0, 0, kept.unreadable};
  if (kept.facts.empty()) return LateRecord{};
  auto events = store.RunEvents(run_id);
  if (!events.ok()) return events.status();
  RecordState state(events.value());
  std::vector<AuditStore::NewEvent> missing;
  size_t skipped = 0;
  const std::string started_at = events.value().empty() ? "" : StartedAt(events.value());
  const std::string now = FormatUtc(SystemClock().WallNow());
  for (const AuditStore::NewEvent& fact : kept.facts) {
    // A run the store lacks yet (its helper records it, then them: breakCC CC1): its
    // deliveries wait in the file, never recorded before the run's start.
    if (events.value().empty() && fact.kind == "notification") continue;
    if (state.Takes(fact))
      missing.push_back(WithinRun(fact, started_at, now));
    else if (!state.Recorded(fact))
      ++skipped;  // neither recorded nor the run's to record
  }
  if (missing.empty()) return LateRecord{0, skipped, ""};
  // A notification first would skip AppendLate's check: the run's own facts decide it.
  std::stable_partition(missing.begin(), missing.end(),
                        [](const AuditStore::NewEvent& e) { return e.kind != "notification"; });
  if (missing.front().kind != "notification")
    if (Status open = store.TakesLate(run_id); !open.ok()) {
      if (open.busy()) return open;
      return LateRecord{0, skipped, open.message()};
    }
  Status s = store.AppendLate(run_id, missing);
  if (!s.ok()) return s;
  return LateRecord{missing.size(), skipped, ""};
}

std::vector<LateRecordLine> SayLateRecord(const LateRecord& late, const std::string& run_id,
                                          const std::string& path) {
  std::vector<LateRecordLine> out;
  if (!late.refused.empty())
    out.push_back({true, "run " + run_id + ": what it did that the store could not take is not " +
                             "recorded: " + late.refused});
  else if (late.recorded > 0)
    out.push_back({false, "run " + run_id + ": " + std::to_string(late.recorded) +
                              " event(s) the store could not take when they happened are "
                              "recorded now"});
  if (late.skipped > 0)
    out.push_back({true, "run " + run_id + ": " + std::to_string(late.skipped) +
                             " event(s) kept in " + path +
                             " were not recorded: recorded already, or not the run's to record"});
  return out;
}

}  // namespace runbook
