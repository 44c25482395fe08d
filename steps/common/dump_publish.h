// What every engine of `backup` shares once its dump is in a scratch file beside the final
// name: the default name (a stem with a UTC timestamp, made unique), the signed metadata, the
// publish (the .meta.json's rename is the commit point) and retention. The protocol is in
// docs/backup.md ("Crash protocol"); the engines (SQLite, PostgreSQL) differ only in how the
// dump is made and what the metadata says of its source.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "engine/util/status.h"
#include "engine/util/value.h"
#include "steps/common/retention.h"

namespace runbook {

// `base` (a file's stem, or a database name) and the UTC time `at`, compact:
// "app-20261127T190203Z". What a file name cannot hold in `base` ('/', a control character)
// becomes '_' (breakKK KK11: a PostgreSQL database "sh/op"), so the default name is always
// one file name; "." and ".." get the time appended and are names like any other.
std::string TimestampedStem(const std::string& base, const Clock::Wall& at);

// A dump or its metadata is at `path` already; a path that cannot be examined counts as free
// (what writes there then fails with the reason).
bool DumpTaken(const std::string& path);

// `stem`, or the first "<stem>-N" (N from 2) whose `<dest>/<name><suffix>` is free: a resume in
// the same second gets "-2".
std::string FreeStem(const std::string& dest, const std::string& stem, const std::string& suffix);

// Removes its files unless released: whatever happens, no temporary is left behind.
struct ScratchFiles {
  std::vector<std::string> paths;
  std::string Add(std::string p);
  ~ScratchFiles();
};

// Adds `key_id` and `signature` (Ed25519 over MetaSigningText) to `meta`; `key` is a PEM
// file's path or the PEM text. Errors: an unreadable or invalid key.
Status SignMeta(Value::Map& meta, const std::string& key);

// Publishes the dump at `tmp` as `path` with the metadata `meta_for(path)` gives (signed),
// returned. The metadata is written first under a scratch name, then the dump is renamed into
// place, then the metadata: its rename is the commit point. Both under a lock on the folder
// (breakM M15: two backups publishing one name at once). A name found taken is refused, unless
// `stem` is given (the default name): then `path` becomes the next free "<stem>-N<suffix>".
Result<Value::Map> PublishDump(
    const std::string& tmp, std::string& path, const std::string& stem, const std::string& suffix,
    const std::function<Result<Value::Map>(const std::string&)>& meta_for, ScratchFiles& temps);

// The outputs of a backup that published `path` with `meta` (as PublishDump returned it),
// each taken from the metadata: path, meta, sha256, size, created_at, raw_sha256 ("" when the
// engine makes no uncompressed form), key_id ("" unsigned); and `deleted` (RetainDumps).
AttemptResult PublishedBackup(const std::string& path, const Value::Map& meta, Value deleted);

// Which instance the dumps are of: the step's `instance`, else this host's name (breakH H14).
std::string InstanceOf(const StepParams& p);

// Applies the step's keep_last / keep_days or keep (tiers; verified with sign_key when set,
// the newest verified dumps kept: steps/common/retention.h) to the dumps of `source` in
// `dest`, `keep` (the dump just written) kept; returns the removed paths, each said with why.
// Deletes nothing while a later step reads a path not known yet (breakEE E4).
Value RetainDumps(const StepParams& p, const std::string& dest, const DumpSource& source,
                  const std::string& keep, Clock::Wall now, StepContext& ctx);

// A dry run's retention: logs, for each dump of `source` in `dest`, whether the run would keep
// or delete it and why, the dump it is about to write counted as the newest. Changes nothing.
void DescribeRetention(const StepParams& p, const std::string& dest, const DumpSource& source,
                       Clock::Wall now, StepContext& ctx);

}  // namespace runbook
