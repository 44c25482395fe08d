#include "engine/audit/run_listing.h"

#include <algorithm>
#include <cstdint>

#include "engine/audit/chain.h"
#include "engine/audit/run_index.h"
#include "engine/audit/run_record.h"
#include "engine/audit/verify.h"
#include "engine/util/json.h"

namespace runbook {
namespace {

// Folds one event into `r`, noting an event whose content no longer gives its hash or whose
// body is no JSON (both edits: the store writes canonical JSON under the hash).
// A run_finished event's calls (engine/calls.h): the child runs under their parent.
void FoldCalls(ListedRun& r, const Value& body) {
  const Value* calls = body.Find("calls");
  if (calls == nullptr || !calls->is_list()) return;
  for (const Value& c : calls->as_list()) {
    auto text = [&](const char* key) {
      const Value* v = c.Find(key);
      return v != nullptr ? v->ToText() : std::string();
    };
    r.calls.push_back({text("id"), text("uses"), text("outcome")});
  }
}

void Fold(ListedRun& r, const AuditEvent& e) {
  if (EventHash(e) != e.hash)
    r.altered.push_back("its " + e.kind + " event #" + std::to_string(e.seq) +
                        " was edited after it was recorded");
  auto body = ParseJson(e.body);
  if (!body.ok()) {
    r.altered.push_back("its " + e.kind + " event #" + std::to_string(e.seq) + " holds no JSON");
    return;
  }
  FoldIntoRow(r.row, e, body.value());
  if (e.kind == "run_finished") FoldCalls(r, body.value());
  if (e.kind != "run_started") return;
  if (const Value* trigger = body.value().Find("trigger")) r.trigger = *trigger;
  if (const Value* user = body.value().Find("user")) r.user = user->ToText();
}

}  // namespace

bool RunListing::Altered() const {
  if (!index_only.empty() || !chain_problem.empty()) return true;
  for (const ListedRun& r : runs)
    if (!r.altered.empty()) return true;
  return false;
}

Result<RunListing> ListRuns(AuditStore& store, const std::string& runbook, int limit,
                            ChainWalk walk) {
  // The newest `limit` runs only, then what each needs (breakHH HH6: every run's start was
  // read and parsed for a listing of 5); who resumed whom in one pass, not one per run.
  auto ids = store.NewestRunIds(runbook, limit);
  if (!ids.ok()) return ids.status();
  RunListing out;
  auto index_only = store.IndexOnlyRuns(runbook);
  if (!index_only.ok()) return index_only.status();
  out.index_only = std::move(index_only).value();
  int64_t oldest = INT64_MAX;
  for (const std::string& id : ids.value()) {
    auto listed = ListedRunOf(store, id);
    if (!listed.ok()) return listed.status();
    oldest = std::min(oldest, listed.value().first_seq);
    out.runs.push_back(std::move(listed).value());
  }
  auto resumes = store.FirstResumes(out.runs.empty() ? 0 : oldest);
  if (!resumes.ok()) return resumes.status();
  for (ListedRun& listed : out.runs)
    if (auto next = resumes.value().find(listed.row.run_id); next != resumes.value().end())
      listed.resumed_as = next->second;
  if (walk == ChainWalk::kNone) return out;
  // From the oldest listed run's start; from the first event when every run is listed
  // (a run hidden by an edit may lie before them all).
  int64_t from = static_cast<int>(out.runs.size()) < limit ? 1 : INT64_MAX;
  for (const ListedRun& r : out.runs) from = std::min(from, r.first_seq);
  auto walked = VerifyChainFrom(store, from);
  if (!walked.ok()) return walked.status();
  if (!walked.value().ok) {
    out.chain_problem = walked.value().problem;
    return out;
  }
  auto head = HeadProblem(store);  // a cut the walk cannot see (breakII II1)
  if (!head.ok()) return head.status();
  out.chain_problem = head.value();
  return out;
}

Result<ListedRun> ListedRunOf(AuditStore& store, const std::string& run_id) {
  auto events = store.IndexedEvents(run_id);
  if (!events.ok()) return events.status();
  const std::vector<AuditEvent>& all = events.value();
  auto start = std::find_if(all.begin(), all.end(),
                            [](const AuditEvent& e) { return e.kind == "run_started"; });
  if (start == all.end()) return Status::Error("no run_started event records run " + run_id);
  ListedRun r;
  r.row.run_id = run_id;
  r.first_seq = start->seq;
  // An event of the run before its start was moved there (breakII II2: one made every
  // listing fail, exit 3): said, and not folded.
  for (auto e = all.begin(); e != start; ++e)
    r.altered.push_back("its " + e->kind + " event #" + std::to_string(e->seq) +
                        " lies before its run_started #" + std::to_string(start->seq));
  for (auto e = start; e != all.end(); ++e) Fold(r, *e);
  auto row = store.IndexRow(run_id);
  if (!row.ok()) return row.status();
  if (!row.value()) {
    r.altered.push_back("missing from the runs index");
  } else {
    for (std::string& d : IndexDifferences(r.row, *row.value()))
      r.altered.push_back("the runs index says " + d);
  }
  return r;
}

Value ListedRunValue(const ListedRun& r) {
  Value::Map m = RunRowValue(r.row).as_map();
  Value::List altered;
  for (const std::string& a : r.altered) altered.push_back(Value(a));
  m["altered"] = Value(std::move(altered));
  m["resumed_as"] = Value(r.resumed_as);
  m["trigger"] = r.trigger;
  m["user"] = Value(r.user);
  Value::List calls;
  for (const CallSummary& c : r.calls)
    calls.push_back(Value(
        Value::Map{{"id", Value(c.id)}, {"uses", Value(c.uses)}, {"outcome", Value(c.outcome)}}));
  m["calls"] = Value(std::move(calls));
  return Value(std::move(m));
}

}  // namespace runbook
