// Listing runs as evidence (history, the API's run list): each run as its chained events
// record it, with the runs index checked against them (run_index.h). The index is outside
// the hash chain: an edited row ("rto_ms=500, objectives_met=1" for a run that missed) is
// shown as its events say and marked, never taken as fact (breakGG G7).
#pragma once

#include <string>
#include <vector>

#include "engine/audit/store.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

struct ListedRun {
  RunRow row;  // folded from the run's chained events
  // How the record disagrees with itself, one phrase each: a runs-index field that differs
  // from the events ("rto_ms 500 (its events: 1520)"), "missing from the runs index", or an
  // event whose content no longer gives its recorded hash ("its run_finished event #12 was
  // edited after it was recorded"). Empty when it agrees.
  std::vector<std::string> altered;
  // The run that resumed it (the first chained run_started naming it), "" when none.
  std::string resumed_as;
};

struct RunListing {
  std::vector<ListedRun> runs;  // newest first (in the order the store recorded their starts)
  // Runs the index lists (under the same runbook filter) that no chained run_started
  // records: rows added to the table by hand.
  std::vector<std::string> index_only;
  bool Altered() const;
};

// The runs of `runbook` ("" any), at most `limit` (> 0), from the store's chained events:
// the newest `limit` runs (AuditStore::NewestRunIds), each folded by ListedRunOf; who resumed
// whom (AuditStore::FirstResumes); the index's rows no run_started records, whatever the
// limit. Each event's hash is computed again; the whole chain (links between
// events, deleted events) is `audit verify`'s. Errors: the store's.
Result<RunListing> ListRuns(AuditStore& store, const std::string& runbook, int limit);

// Run `run_id` (a full id) as ListRuns gives each run: folded from its chained events, with
// what its runs row says otherwise in `altered` — a witness of its record, e.g. a
// run_finished deleted from the end of an unsigned chain while the index still says the run
// ended (breakGG G6). Reports take the runs of an incident's chain from it (breakHH HH2).
// `resumed_as` is left empty. Errors: the store's, or no run_started event for `run_id`.
Result<ListedRun> ListedRunOf(AuditStore& store, const std::string& run_id);

// RunRowValue (run_record.h) with `altered` (the phrases, [] when none) and `resumed_as`
// ("" when none) added.
Value ListedRunValue(const ListedRun& r);

}  // namespace runbook
