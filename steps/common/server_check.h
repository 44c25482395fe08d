// What integrity-check's server engines (postgres, mysql) share around their scratch restore:
// the dump's first look (its sha256 and metadata, authenticated when `public_key` is set),
// and the verdict (the restored counts against the manifest, the outputs, the log line).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "steps/common/backup_meta.h"

namespace runbook {

// The dump `source` before anything is done with it: present, hashed, its metadata read once
// (ReadMetaForCheck, `before` as it takes it). Fills `sha256` and `meta`; "" when the check
// may go on, else why not.
std::string FirstLook(const StepContext& ctx, const std::string& source, const std::string& before,
                      std::string& sha256, std::optional<LoadedMeta>& meta);

// What a scratch restore found: the rows per table, the problems (pg_amcheck's, CHECK
// TABLE's, the restore's), how long it took.
struct ScratchFindings {
  Value::Map rows;
  std::vector<std::string> problems;
  std::chrono::milliseconds took{0};
};

// The step's result: `found` against the manifest of `meta` (a table missing, added or counted
// otherwise is a problem; `manifest`: matched, not matched or none), the outputs every engine
// of integrity-check gives (page_count 0), and the log line ("<engine> integrity ok: ...").
AttemptResult ServerCheckResult(StepContext& ctx, const std::string& engine,
                                const std::string& source, const std::string& sha256,
                                const std::optional<LoadedMeta>& meta, ScratchFindings found);

}  // namespace runbook
