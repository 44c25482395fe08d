// Runs serve started that are not in the store yet ("starting"): their process waits for the
// runbook's lock (another run holds it) or for a locked store to record its start, or reads
// its runbook. The API lists them with the recorded runs and shows each (GET /api/v1/runs,
// GET /api/v1/runs/ID, docs/api.md), so that a run waiting an hour for its lock is not
// invisible to the operator who started it (newcomer round of issue 16: it was missing from
// the runs list while /metrics counted it running). As Dagu and Argo list a queued or pending
// run with its reason.
#pragma once

#include <optional>
#include <string>

#include "engine/util/value.h"
#include "serve/kept_params.h"
#include "serve/launcher.h"

namespace runbook {

// What run output `log` (its text so far) says it waits for: its last line that says it
// waits, without "runbook: " ("waiting for lock 'shared', held by run ID (pid N on HOST,
// since TIME)", "the audit store is busy: waiting to record the run (--wait)"); "" when none.
std::string WaitingLine(const std::string& log);

// Run `run` as the runs list gives a recorded one (engine/audit/run_listing.h
// ListedRunValue's fields), status "starting", `kind` its runbook's kind ("" when not
// known), times and measures null, plus `waiting` (WaitingLine of `log`).
Value StartingRunValue(const LaunchedRun& run, const std::string& kind, const std::string& log);

// The params of a starting run as its kept params say them (serve/kept_params.h): each value
// as bound, a withheld one (a secret's text, or lost) as its mask ("***" when none was kept),
// never its text; null when none are kept yet (newcomer round of issue 16: a run waiting an
// hour for its lock showed nothing of what it would run with).
Value StartingParams(const std::optional<KeptParams>& kept);

}  // namespace runbook
