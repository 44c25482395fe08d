#include "engine/audit/run_listing.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "engine/audit/chain.h"
#include "engine/audit/run_index.h"
#include "engine/audit/run_record.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

struct Start {
  AuditEvent event;
  Value body;
  bool parsed = false;
};

std::string RunbookOf(const Start& s) {
  const Value* v = s.parsed ? s.body.Find("runbook") : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

// Folds one event into `r`, noting an event whose content no longer gives its hash or whose
// body is no JSON (both edits: the store writes canonical JSON under the hash).
void Fold(ListedRun& r, const AuditEvent& e, const Value* body) {
  if (EventHash(e) != e.hash)
    r.altered.push_back("its " + e.kind + " event #" + std::to_string(e.seq) +
                        " was edited after it was recorded");
  if (body == nullptr) {
    auto parsed = ParseJson(e.body);
    if (!parsed.ok()) {
      r.altered.push_back("its " + e.kind + " event #" + std::to_string(e.seq) + " holds no JSON");
      return;
    }
    FoldIntoRow(r.row, e, parsed.value());
    return;
  }
  FoldIntoRow(r.row, e, *body);
}

// The run `s` starts, folded from its events and checked against `indexed` (its runs row,
// null when the table has none).
Result<ListedRun> Listed(AuditStore& store, const Start& s, const RunRow* indexed) {
  ListedRun r;
  r.row.run_id = s.event.run_id;
  auto events = store.IndexedEvents(s.event.run_id);
  if (!events.ok()) return events.status();
  for (const AuditEvent& e : events.value())
    Fold(r, e, e.seq == s.event.seq && s.parsed ? &s.body : nullptr);
  if (indexed == nullptr) {
    r.altered.push_back("missing from the runs index");
  } else {
    for (std::string& d : IndexDifferences(r.row, *indexed))
      r.altered.push_back("the runs index says " + d);
  }
  return r;
}

}  // namespace

bool RunListing::Altered() const {
  if (!index_only.empty()) return true;
  for (const ListedRun& r : runs)
    if (!r.altered.empty()) return true;
  return false;
}

Result<RunListing> ListRuns(AuditStore& store, const std::string& runbook, int limit) {
  auto events = store.EventsOfKind("run_started");
  if (!events.ok()) return events.status();
  std::vector<Start> starts;
  std::map<std::string, std::string> resumed_as;  // run -> the first run resuming it
  std::set<std::string> recorded;
  for (AuditEvent& e : events.value()) {
    Start s{std::move(e), Value(), false};
    auto body = ParseJson(s.event.body);
    if (body.ok()) s.body = std::move(body).value(), s.parsed = true;
    recorded.insert(s.event.run_id);
    const Value* from = s.parsed ? s.body.Find("resumed_from") : nullptr;
    if (from != nullptr && from->is_string() && !from->as_string().empty())
      resumed_as.emplace(from->as_string(), s.event.run_id);
    if (runbook.empty() || RunbookOf(s) == runbook) starts.push_back(std::move(s));
  }
  std::sort(starts.begin(), starts.end(), [](const Start& a, const Start& b) {
    return a.event.at != b.event.at ? a.event.at > b.event.at : a.event.seq > b.event.seq;
  });
  if (static_cast<int>(starts.size()) > limit) starts.resize(static_cast<size_t>(limit));
  auto rows = store.Runs("", 1 << 30);  // all: a row may have been renamed away from `runbook`
  if (!rows.ok()) return rows.status();
  std::map<std::string, RunRow> indexed;
  RunListing out;
  for (RunRow& row : rows.value()) {
    if (!recorded.count(row.run_id) && (runbook.empty() || row.runbook == runbook))
      out.index_only.push_back(row.run_id);
    indexed.emplace(row.run_id, std::move(row));
  }
  for (const Start& s : starts) {
    auto it = indexed.find(s.event.run_id);
    auto listed = Listed(store, s, it == indexed.end() ? nullptr : &it->second);
    if (!listed.ok()) return listed.status();
    auto next = resumed_as.find(s.event.run_id);
    if (next != resumed_as.end()) listed.value().resumed_as = next->second;
    out.runs.push_back(std::move(listed).value());
  }
  return out;
}

Result<ListedRun> ListedRunOf(AuditStore& store, const std::string& run_id) {
  auto events = store.IndexedEvents(run_id);
  if (!events.ok()) return events.status();
  if (events.value().empty() || events.value().front().kind != "run_started")
    return Status::Error("no run_started event records run " + run_id);
  Start start{events.value().front(), Value(), false};
  auto body = ParseJson(start.event.body);
  if (body.ok()) start.body = std::move(body).value(), start.parsed = true;
  auto row = store.FindRun(run_id);
  std::optional<RunRow> indexed;
  if (row.ok() && row.value().run_id == run_id) indexed = row.value();
  return Listed(store, start, indexed ? &*indexed : nullptr);
}

Value ListedRunValue(const ListedRun& r) {
  Value::Map m = RunRowValue(r.row).as_map();
  Value::List altered;
  for (const std::string& a : r.altered) altered.push_back(Value(a));
  m["altered"] = Value(std::move(altered));
  m["resumed_as"] = Value(r.resumed_as);
  return Value(std::move(m));
}

}  // namespace runbook
