#include "engine/audit/run_listing.h"

#include <optional>

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
  // The newest `limit` starts only, then what each needs (breakHH HH6: every run's start was
  // read and parsed for a listing of 5).
  auto starts = store.NewestRunStarts(runbook, limit);
  if (!starts.ok()) return starts.status();
  RunListing out;
  auto index_only = store.IndexOnlyRuns(runbook);
  if (!index_only.ok()) return index_only.status();
  out.index_only = std::move(index_only).value();
  for (AuditEvent& e : starts.value()) {
    Start s{std::move(e), Value(), false};
    auto body = ParseJson(s.event.body);
    if (body.ok()) s.body = std::move(body).value(), s.parsed = true;
    auto row = store.FindRun(s.event.run_id);
    std::optional<RunRow> indexed;
    if (row.ok() && row.value().run_id == s.event.run_id) indexed = std::move(row).value();
    auto listed = Listed(store, s, indexed ? &*indexed : nullptr);
    if (!listed.ok()) return listed.status();
    auto next = store.FirstResumeOf(s.event.run_id);
    if (!next.ok()) return next.status();
    listed.value().resumed_as = next.value();
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
