// The backup catalog (`runbook backups`, docs/backups.md): every dump the audit store records
// a step publishing, with where it is, whether a later step proved it sound and where it was
// copied — read from the recorded steps' outputs by their OutputRole (engine/plugin/spec.h),
// so that it knows no step type. The recorded state: a file deleted or an object removed by
// hand since is shown by `present` (a local file is looked at now), never by the record.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/audit/store.h"
#include "engine/plugin/registry.h"
#include "engine/util/clock.h"
#include "engine/util/value.h"

namespace runbook {

// A run's step that recorded something about a dump.
struct CatalogMention {
  std::string run_id;
  std::string runbook;  // its runbook's name
  std::string kind;     // its runbook's kind (drill, backup, ...; "" when none)
  std::string step;
  std::string at;  // when the step ended (RFC 3339 UTC)
};

// One dump file (two files of equal bytes are two dumps, each proved by a check of either).
struct CatalogDump {
  std::string sha256;
  std::string path;      // absolute (a relative output joined with its run's base)
  bool present = false;  // a file is at `path` now, of `size` bytes (and, for the newest
                         // verified dump of each runbook, of its sha256: re-hashed)
  // A file is at `path` but is not this dump: another dump recorded later at the same path
  // replaced it (a fixed `name:` reused), or (the newest verified, re-hashed) its bytes
  // changed since it was verified. "" when neither.
  std::string replaced;
  int64_t size = 0;        // bytes
  std::string created_at;  // the snapshot's time (RFC 3339 UTC)
  CatalogMention made;     // the step that published it
  // Passed steps that proved it sound (an integrity check of the file with this sha256),
  // oldest first.
  std::vector<CatalogMention> verified_by;
  // Where copies were made (an s3-sync's destination objects with this sha256): location
  // (s3://bucket/key or an absolute path), and the step, oldest first. A local copy no longer
  // there with the dump's size is left out.
  std::vector<std::pair<std::string, CatalogMention>> copies;
  // Something to restore from: the file is here, or a copy was made (an object is not looked
  // at now).
  bool Available() const { return present || !copies.empty(); }
};

// The dumps of the store, newest created_at first; `runbook` ("" all) keeps those published
// by runs of that runbook. A dump is a (path, sha256) a step published: a path published again
// with other bytes is a second dump, and only the one recorded last can be present (breakMM
// MM2). Local files are looked at (stat) now; per runbook, the newest present verified dump is
// hashed, and the next one when its bytes changed since (MM1: the RPO the catalog reports
// rests on it). A copy whose location is a local path is looked at too (MM7). Errors: the store
// cannot be read.
Result<std::vector<CatalogDump>> ReadBackupCatalog(AuditStore& store, const StepRegistry& registry,
                                                   const std::string& runbook);

// The sha256 of every dump a passed step proved sound (kVerifiedSha256), with the first step
// that did: what retention never deletes the newest of (steps/common/retention.h).
Result<std::map<std::string, CatalogMention>> VerifiedDumps(AuditStore& store,
                                                            const StepRegistry& registry);

// What the catalog says of one runbook's dumps: how many were recorded, are available (the
// file here, or a copy made) and are available and verified; the created_at (RFC 3339 UTC)
// of the newest available and of the newest available verified one ("" when none).
// A dump dated more than kFutureSkew after `now` (a host whose clock ran ahead) is counted in
// `future` and is never the newest: its age would hide a stale RPO (breakMM MM6).
struct BackupSummary {
  int64_t dumps = 0, available = 0, verified = 0, future = 0;
  std::string newest, newest_verified;
};
constexpr std::chrono::minutes kFutureSkew{5};
// Per runbook name (the runbook that published them); `dumps` as ReadBackupCatalog orders them.
std::map<std::string, BackupSummary> SummarizeCatalog(const std::vector<CatalogDump>& dumps,
                                                      Clock::Wall now);

// Why the store's record cannot be believed ("" when it can): its hash chain breaks, or a
// signed head no longer matches (engine/audit/verify.h), as `runbook history` finds it.
// Errors are said the same way ("cannot walk the chain: ...").
std::string CatalogStoreProblem(AuditStore& store);

// The catalog as JSON (docs/backups.md's fields): {"dumps": [...], "runbooks": [{name, dumps
// (recorded), available (Available), verified (available and verified), newest_created_at,
// newest_age_seconds, newest_verified_created_at, newest_verified_age_seconds (the RPO of
// what a drill proved)}]}, the newest among the available. Ages from `now`, in whole seconds;
// null when there is none.
// `dumps` as ReadBackupCatalog orders them.
Value CatalogJson(const std::vector<CatalogDump>& dumps, Clock::Wall now);

}  // namespace runbook
