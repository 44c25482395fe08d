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

// A used runbook's call inside a run (engine/calls.h): the child run recorded under its
// parent, as `history` shows it.
struct CallSummary {
  std::string id;       // the call's step id ("dump", "dump[1]", "dump.inner")
  std::string uses;     // the runbook file as the call names it
  std::string outcome;  // failure when one of its steps failed; else its outputs step's
};

struct ListedRun {
  RunRow row;  // folded from the run's chained events
  // How the record disagrees with itself, one phrase each: a runs-index field that differs
  // from the events ("rto_ms 500 (its events: 1520)"), "missing from the runs index", or an
  // event whose content no longer gives its recorded hash ("its run_finished event #12 was
  // edited after it was recorded"). Empty when it agrees.
  std::vector<std::string> altered;
  // The run that resumed it (the first chained run_started naming it), "" when none.
  std::string resumed_as;
  int64_t first_seq = 0;  // its run_started event's seq
  // From its run_started: what started it ({"kind": "schedule" | "api" | "restart", ...},
  // null from a terminal) and who (the account it ran as).
  Value trigger;
  std::string user;
  std::vector<CallSummary> calls;  // from its run_finished, in step order (none while running)
};

struct RunListing {
  std::vector<ListedRun> runs;  // newest first (in the order the store recorded their starts)
  // Runs the index lists (under the same runbook filter) that no chained run_started
  // records: rows added to the table by hand.
  std::vector<std::string> index_only;
  // Where the chain breaks in the part walked (ChainWalk), "" when it holds: "event 12: its
  // content does not match its hash ...".
  std::string chain_problem;
  bool Altered() const;
};

// How much of the hash chain a listing walks (VerifyChainFrom).
enum class ChainWalk {
  // From the first event of the oldest run listed to the chain's end; the whole chain when
  // the listing holds every run of its runbook (fewer than `limit`). Every event that may
  // be a listed run's, or a run's hidden from the listing by an edit, is checked with its
  // link to the one before (breakHH HH4: a run_started whose kind was edited hid its run;
  // HH5: one event edited and hashed again was believed).
  kListed,
  kNone,  // the caller walks the whole chain itself (audit verify)
};

// The runs of `runbook` ("" any), at most `limit` (> 0), from the store's chained events:
// the newest `limit` runs (AuditStore::NewestRunIds), each folded by ListedRunOf; who resumed
// whom (AuditStore::FirstResumes); the index's rows no run_started records, whatever the
// limit; and the part of the chain `walk` says. What it cannot see: a chain computed again
// from an edited event to its end (no signed head covers it: docs/audit.md), events deleted
// from the chain's end whose runs the index no longer lists. Errors: the store's.
Result<RunListing> ListRuns(AuditStore& store, const std::string& runbook, int limit,
                            ChainWalk walk = ChainWalk::kListed);

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
