#include "engine/audit/unrecorded.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "engine/util/json.h"
#include "engine/util/private_file.h"

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

// The event a "facts" item says; nullopt when it is not one.
std::optional<AuditStore::NewEvent> FactOf(const Value& item) {
  const Value* body = item.Find("body");
  std::string kind = Text(item, "kind");
  if (!item.is_map() || kind.empty() || IsWriteAhead(kind) || body == nullptr || !body->is_map())
    return std::nullopt;
  Value::Map with_time = body->as_map();
  with_time[kLate] = Value(Value::Map{{"happened_at", Value(Text(item, "happened_at"))}});
  return AuditStore::NewEvent{kind, Text(item, "step"), Int(item, "attempt"),
                              Value(std::move(with_time))};
}

// `body` without its recorded_late field: what the run meant to record.
Value WithoutLate(Value body) {
  if (!body.is_map()) return body;
  Value::Map map = body.as_map();
  map.erase(kLate);
  return Value(std::move(map));
}

bool SameEvent(const AuditEvent& recorded, const AuditStore::NewEvent& fact) {
  if (recorded.kind != fact.kind || recorded.step != fact.step || recorded.attempt != fact.attempt)
    return false;
  auto body = ParseJson(recorded.body);
  return body.ok() && WithoutLate(body.value()) == WithoutLate(fact.body);
}

}  // namespace

bool IsWriteAhead(const std::string& kind) {
  return kind == "run_started" || kind == "attempt_started";
}

Result<int64_t> KeepUnrecorded(const std::string& path,
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
  if (!facts.empty()) lines += ToJson(Value(Value::Map{{"facts", Value(std::move(facts))}})) + "\n";
  if (starting) lines += ToJson(Value(Value::Map{{"starting", *starting}})) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && (lines.empty() || ::write(fd, lines.data(), lines.size()) ==
                                                           static_cast<ssize_t>(lines.size()));
  int error = errno;
  ::close(fd);
  if (!ok) return Status::FromErrno("cannot write " + path, error);
  return static_cast<int64_t>(st.st_size);
}

Status SyncUnrecorded(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  bool ok = ::fdatasync(fd) == 0;
  int error = errno;
  ::close(fd);
  return ok ? Status::Ok() : Status::FromErrno("cannot sync " + path, error);
}

Status Unkeep(const std::string& path, int64_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0;
  int error = errno;
  ::close(fd);
  return ok ? Status::Ok() : Status::FromErrno("cannot cut " + path, error);
}

Unrecorded ReadUnrecorded(const std::string& path) {
  Unrecorded out;
  std::istringstream lines(ReadPrivateFile(path).value_or(""));
  for (std::string line; std::getline(lines, line);) {
    if (lines.eof()) break;  // no '\n': cut short by a kill
    auto v = ParseJson(line);
    if (!v.ok() || !v.value().is_map()) continue;
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

bool KeptEnd(const std::string& path) {
  const Unrecorded kept = ReadUnrecorded(path);
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

Result<LateRecord> RecordUnrecorded(AuditStore& store, const std::string& run_id,
                                    const std::string& path) {
  const Unrecorded kept = ReadUnrecorded(path);
  if (kept.facts.empty()) return LateRecord{};
  auto events = store.RunEvents(run_id);
  if (!events.ok()) return events.status();
  std::vector<AuditStore::NewEvent> missing;
  for (const AuditStore::NewEvent& fact : kept.facts) {
    bool there = false;
    for (const AuditEvent& e : events.value()) there = there || SameEvent(e, fact);
    if (!there) missing.push_back(fact);
  }
  if (missing.empty()) return LateRecord{};
  // A notification first would skip AppendLate's check: the run's own facts decide it.
  std::stable_partition(missing.begin(), missing.end(),
                        [](const AuditStore::NewEvent& e) { return e.kind != "notification"; });
  if (missing.front().kind != "notification")
    if (Status open = store.TakesLate(run_id); !open.ok()) {
      if (open.busy()) return open;
      return LateRecord{0, open.message()};
    }
  Status s = store.AppendLate(run_id, missing);
  if (!s.ok()) return s;
  return LateRecord{missing.size(), ""};
}

}  // namespace runbook
