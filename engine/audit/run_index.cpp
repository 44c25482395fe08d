#include "engine/audit/run_index.h"

#include <algorithm>
#include <optional>

namespace runbook {
namespace {

std::optional<int64_t> BodyInt(const Value& body, const char* a, const char* b = nullptr) {
  const Value* v = body.Find(a);
  if (v != nullptr && b != nullptr) v = v->is_map() ? v->Find(b) : nullptr;
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->as_int();
}

std::string BodyText(const Value& body, const char* key) {
  const Value* v = body.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

std::string Shown(const std::string& v) { return "'" + v + "'"; }
std::string Shown(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "null"; }
std::string Shown(const std::optional<bool>& v) {
  return v ? (*v ? "true" : "false") : std::string("null");
}

template <typename T>
void Compare(std::vector<std::string>& out, const char* field, const T& indexed, const T& chained) {
  if (indexed != chained)
    out.push_back(std::string(field) + " " + Shown(indexed) + " (its events: " + Shown(chained) +
                  ")");
}

// When an event recorded late (its body's recorded_late.happened_at) happened; `at` (its
// record's time) for any other.
std::string LateOr(const Value& body, const std::string& at) {
  const Value* late = body.Find("recorded_late");
  const std::string happened = late != nullptr ? BodyText(*late, "happened_at") : "";
  return happened.empty() ? at : happened;
}

}  // namespace

bool IndexesRun(std::string_view kind) {
  return std::find(std::begin(kIndexedKinds), std::end(kIndexedKinds), kind) !=
         std::end(kIndexedKinds);
}

void FoldIntoRow(RunRow& row, const AuditEvent& e, const Value& body) {
  if (e.kind == "run_started") {
    row.runbook = BodyText(body, "runbook");
    row.path = BodyText(body, "path");
    row.kind = BodyText(body, "kind");
    row.status = "running";
    row.started_at = LateOr(body, e.at);  // a run that never began: its request (breakBB BB2)
    row.rto_objective_ms = BodyInt(body, "objectives", "rto_ms");
    row.rpo_objective_ms = BodyInt(body, "objectives", "rpo_ms");
    row.resumed_from = BodyText(body, "resumed_from");
    row.owner = {BodyText(body, "host"), static_cast<int>(BodyInt(body, "pid").value_or(0)),
                 BodyText(body, "pid_start")};
  } else if (e.kind == "run_finished") {
    row.status = BodyText(body, "status");
    // An end recorded late ended when it happened (engine/audit/unrecorded.h; breakZZ ZZ8).
    row.finished_at = LateOr(body, e.at);
    row.duration_ms = BodyInt(body, "duration_ms");
    row.rto_ms = BodyInt(body, "rto", "elapsed_ms");
    row.rpo_ms = BodyInt(body, "rpo", "age_ms");
    const Value* met = body.Find("objectives_met");
    row.objectives_met = met && met->is_bool() ? std::optional<bool>(met->as_bool()) : std::nullopt;
  } else if (e.kind == "run_interrupted") {
    row.status = "interrupted";
    row.finished_at = e.at;
  }
}

std::vector<std::string> IndexDifferences(const RunRow& chained, const RunRow& indexed) {
  std::vector<std::string> out;
  Compare(out, "runbook", indexed.runbook, chained.runbook);
  Compare(out, "path", indexed.path, chained.path);
  Compare(out, "kind", indexed.kind, chained.kind);
  Compare(out, "status", indexed.status, chained.status);
  Compare(out, "started_at", indexed.started_at, chained.started_at);
  Compare(out, "finished_at", indexed.finished_at, chained.finished_at);
  Compare(out, "duration_ms", indexed.duration_ms, chained.duration_ms);
  Compare(out, "rto_ms", indexed.rto_ms, chained.rto_ms);
  Compare(out, "rto_objective_ms", indexed.rto_objective_ms, chained.rto_objective_ms);
  Compare(out, "rpo_ms", indexed.rpo_ms, chained.rpo_ms);
  Compare(out, "rpo_objective_ms", indexed.rpo_objective_ms, chained.rpo_objective_ms);
  Compare(out, "objectives_met", indexed.objectives_met, chained.objectives_met);
  Compare(out, "resumed_from", indexed.resumed_from, chained.resumed_from);
  Compare(out, "host", indexed.owner.host, chained.owner.host);
  Compare(out, "pid", std::optional<int64_t>(indexed.owner.pid),
          std::optional<int64_t>(chained.owner.pid));
  Compare(out, "pid_start", indexed.owner.start, chained.owner.start);
  return out;
}

}  // namespace runbook
