// Retention of dumps: among the dumps (DumpSuffixes: `.sqlite.gz`, `.pgdump`) of a folder whose
// metadata names the same source database (path and instance: breakH H14), keep the newest
// `keep_last` and those younger than `keep_days`. A dump without readable metadata is never
// deleted; with a verify key, neither is one whose metadata that key did not sign (nor does it
// count as newer: a forged dump cannot push a genuine one out). Also the recovery of a folder of
// dumps after a killed backup or retention (the protocol is in docs/backup.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "engine/util/clock.h"
#include "engine/util/status.h"
#include "engine/util/value.h"

namespace runbook {

// The ranges `backup` declares for its parameters (checked at load).
constexpr int64_t kMaxKeepLast = 100000;
constexpr int64_t kMaxKeepDays = 36500;  // a hundred years

// Grandfather-father-son tiers (backup's `keep:`; restic's --keep-last/-daily/-weekly/
// -monthly): the newest `last` dumps, and the newest dump of each of the newest `daily` days,
// `weekly` ISO weeks and `monthly` months that have one (UTC calendar). A dump any tier keeps
// stays: the tiers are a union, as restic's are.
struct KeepTiers {
  std::optional<int64_t> last, daily, weekly, monthly;  // each >= 1
};

// backup's `keep:` mapping read into tiers: keys last, daily, weekly, monthly, each a whole
// number from 1 to kMaxKeepLast, at least one. Errors: another key, another value, none.
Result<KeepTiers> ParseKeepTiers(const Value& keep);

struct RetentionPolicy {
  // keep_last and keep_days (backup's parameters of those names) each delete: a dump is
  // kept only when both let it stay. Not with `tiers`.
  std::optional<int64_t> keep_last;  // >= 1
  std::optional<int64_t> keep_days;  // >= 1; compared in whole days, cannot overflow
  std::optional<KeepTiers> tiers;
  // Ed25519 key (PEM path or text; the signing key itself will do): only dumps whose
  // metadata carries its valid signature and names the dump with its size count. Empty:
  // every dump with readable metadata counts (a backup that does not sign).
  std::string verify_key;
  // Whether a run id (the metadata's `run_id`) is this run or one it continues: such a dump
  // was made by this run's own steps, which may still read it (a safety dump before a swap,
  // then a nightly one with keep_last: 1 into the same folder: breakCC C17), and is never
  // deleted; it still counts among the newest. Empty: no dump is the run's own.
  std::function<bool(const std::string&)> own_run = {};
  // Whether another step of the run reads a dump's path (StepContext::ReadElsewhere): such a
  // dump is never deleted (breakCC C25: a safety backup's keep_last deleted the dump the same
  // runbook was about to verify and restore). Empty: none is.
  std::function<bool(const std::string&)> still_read = {};
  // Who proved the dump of a sha256 sound ("" none: StepContext::verified_by). Whatever the
  // counts say, the newest verified dump is kept, and with `tiers` so is the newest verified
  // dump among those each tier spans (its newest N dumps, days, weeks, months): a run of
  // unverified dumps never pushes out the last one a drill proved. Empty: none is verified.
  std::function<std::string(const std::string& sha256)> verified_by = {};
  // What verified_by rests on (StepContext::verified_state): with `hold`, nothing is deleted
  // and every decision says why; `unknown` is said beside each deletion (nothing is known
  // verified). The newest verified dump is hashed before it is kept as such: one whose bytes
  // changed since is not (breakMM MM1), and the next verified one is.
  VerifiedState verified_state;
  // A dry run: the dump the run is about to write counts as the newest (at `now`), as it
  // will when the run writes it; it is not among the decisions.
  bool count_one_more = false;
};

// What retention decides about one dump, and why, for the step's log and a dry run:
// "kept: daily 2026-12-03", "kept: the newest verified (step check of run ...)", "deleted:
// not among the newest 7 nor the newest of a kept day, week or month".
struct RetentionDecision {
  std::string path;
  bool keep = true;
  std::string why;
};

// Which database the dumps are of: its absolute path and its instance (backup's `instance`,
// by default the host name). A dump counts when its metadata names both; one whose metadata
// has no `instance` (written before it was recorded) counts by its path alone.
struct DumpSource {
  std::string path;
  std::string instance;
};

// The decisions for every dump of `source` in `dir` (newest first) under `policy`, deleting
// nothing. `keep` (the dump just written; "" none) is always kept. No policy: none.
std::vector<RetentionDecision> PlanRetention(const std::string& dir, const DumpSource& source,
                                             const std::string& keep, const RetentionPolicy& policy,
                                             Clock::Wall now);

// Unpublishes `dump` (its metadata renamed to a scratch name), then deletes it, then that
// scratch file. False when it could not be deleted (it is then unpublished or untouched).
bool DeleteDump(const std::string& dump);

// Deletes what PlanRetention lets go and returns the dumps removed. `keep` (the dump just
// written) is always kept. Each deletion first renames the metadata to a scratch name (the
// dump is no longer published), then removes the dump, then that scratch file.
std::vector<std::string> ApplyRetention(const std::string& dir, const DumpSource& source,
                                        const std::string& keep, const RetentionPolicy& policy,
                                        Clock::Wall now);

// Finishes what a killed backup or retention left in `dir`: a dump without its .meta.json
// whose pending metadata (a scratch file of a dead run) describes it is removed, then every
// scratch file of a dead run. Returns one line per action, for the step's log.
std::vector<std::string> RecoverDumps(const std::string& dir);

}  // namespace runbook
