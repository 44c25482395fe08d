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

#include "engine/util/clock.h"

namespace runbook {

// The ranges `backup` declares for its parameters (checked at load).
constexpr int64_t kMaxKeepLast = 100000;
constexpr int64_t kMaxKeepDays = 36500;  // a hundred years

struct RetentionPolicy {
  std::optional<int64_t> keep_last;  // >= 1
  std::optional<int64_t> keep_days;  // >= 1; compared in whole days, cannot overflow
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
};

// Which database the dumps are of: its absolute path and its instance (backup's `instance`,
// by default the host name). A dump counts when its metadata names both; one whose metadata
// has no `instance` (written before it was recorded) counts by its path alone.
struct DumpSource {
  std::string path;
  std::string instance;
};

// Deletes what the policy lets go and returns the dumps removed. `keep` (the dump just
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
