// The runs index: one row per run (RunRow), folded from the run's chained events, kept in the
// store's `runs` table so that listings need not read every event. The table is outside the
// hash chain (an edit of it breaks nothing `audit verify` walks), so whoever shows a row as
// fact folds it again from the events and compares (run_listing.h, breakGG G7).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/audit/chain.h"
#include "engine/audit/store.h"
#include "engine/util/value.h"

namespace runbook {

// The event kinds that make or change a run's row, in the order a run writes them.
inline constexpr std::string_view kIndexedKinds[] = {"run_started", "run_finished",
                                                     "run_interrupted"};
bool IndexesRun(std::string_view kind);

// Folds event `e` of run `row.run_id` (its body parsed: `body`) into `row`, as the store's
// index applies it: run_started fills what the run started with (status "running");
// run_finished sets status, finished_at (the event's time), duration_ms, rto_ms (rto.elapsed_ms),
// rpo_ms (rpo.age_ms) and objectives_met (none when not measured: breakGG G11);
// run_interrupted sets status "interrupted" and finished_at. Any other kind leaves it.
void FoldIntoRow(RunRow& row, const AuditEvent& e, const Value& body);

// How `indexed` (the runs table's row) differs from `chained` (folded from the events), one
// phrase per field: "rto_ms 500 (its events: 1520)". Empty when they agree. Compares every
// column of the table.
std::vector<std::string> IndexDifferences(const RunRow& chained, const RunRow& indexed);

}  // namespace runbook
