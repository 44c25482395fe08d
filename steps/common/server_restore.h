// What restore's server engines (postgres, mysql) share: the names of the new and the kept
// database, the dump's first look (verified by a step of this run, its metadata believed),
// the markers that tell runbook's databases apart, the verdict against the manifest and the
// env file. The rule they implement (docs/backup.md, "Restoring PostgreSQL and MySQL"): the
// dump goes into a new database, is verified there, and only then becomes the live one (by
// rename, or by the env file the backend reads); the live database is never dropped, and the
// one it replaces is kept under a dated name.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "steps/common/backup_meta.h"

namespace runbook {

// `<live>_restore_<stamp>` (where the dump is restored) and `<live>_before_<stamp>` (what the
// live database becomes), stamp YYYYMMDDTHHMMSSZ from `now`; the live name is cut (on a UTF-8
// boundary) so each fits `max_bytes` (PostgreSQL 63, MySQL 64).
struct RestoreNames {
  std::string fresh, kept;
};
// When a database named `name` was made, if the name is one runbook gives the databases it
// makes: NamesFor's `<db>_restore_<stamp>` (and `..._<stamp>_N`), integrity-check's
// `runbook_check_<stamp>_<8 hex>` (PostgreSQL); nullopt for any other name. The sweeps of
// killed runs' databases drop only such names (break18 R3: a marker comment alone, which a
// role with ALTER on a database can write, had a user's database dropped as root).
std::optional<Clock::Wall> RunbookNameMade(const std::string& name);

// `now` as YYYYMMDDTHHMMSSZ (16 characters, UTC): the stamp in the names runbook gives the
// databases it makes, read back by the sweep of killed runs' ones (pg_restore.h).
std::string NameStamp(Clock::Wall now);
// `nth` > 1 adds "_<nth>" after the stamp (a second restore of the database in one second).
RestoreNames NamesFor(const std::string& live, Clock::Wall now, size_t max_bytes, int nth = 1);
// The first of NamesFor(..., 1), (..., 2) ... (..., 9) of which neither name is `taken` (the
// server has a database so named: switch: env keeps the restored one, so two restores of one
// database in one second collided, "database exists"). Errors: `taken`'s, or all nine taken.
Result<RestoreNames> FreeNames(const std::string& live, Clock::Wall now, size_t max_bytes,
                               const std::function<Result<bool>(const std::string&)>& taken);

// The dump as restore believes it: its sha256, its metadata (read once), which step of this
// run verified it ("" with force: true), whether the metadata is authenticated.
struct CheckedSource {
  std::string path;  // absolute
  std::string sha256;
  std::optional<LoadedMeta> meta;
  std::string verified_by;
  bool authenticated = false;
};
// Hashes `source`, finds the passed `hash` or `integrity-check` of this run that verified it
// (refused without one unless `force`), reads and believes its metadata (`public_key`:
// signed, describing it). Returns "" and fills `out`, or why the restore is refused.
std::string CheckServerSource(const StepContext& ctx, CheckedSource& out);

// The comment a database runbook is restoring into carries, and whether a comment found on
// a database is one whose restore is gone (this host, its process not running): that
// database is debris of a killed restore, dropped by the next one.
std::string InProgressMarker(const std::string& run_id);
bool IsOrphanMarker(const std::string& comment);
// The comment of a database a restore made live: the dump it holds (its sha256) and the run
// that restored it ("runbook restored: sha256=HEX run=ID").
std::string RestoredMarker(const std::string& sha256, const std::string& run_id);
// Whether `comment` says that run `run_id`, or a run it continues (`continues`, as
// StepContext::continues: a resume's; may be null), restored the dump `sha256`: only then is the
// live database taken to hold it already (a restore killed or failed after its switch, retried or
// resumed). Another run restores again: the database may have been changed since with its row
// counts unchanged (breakQQ QQ8: an UPDATE of every row was taken for the dump).
bool RestoredByThisRun(const std::string& comment, const std::string& sha256,
                       const std::string& run_id, const std::vector<std::string>* continues);

// The restored database's row counts against the dump's manifest (none: no problem). Metadata
// without a manifest (`tables`) is a problem: nothing says what the restore should hold
// (breakOO OO14); so is a restore that holds no table when no metadata says it should be
// empty (OO2: a dump that filled another database left the new one empty, and that was live).
std::vector<std::string> AgainstManifest(const std::optional<LoadedMeta>& meta,
                                         const Value::Map& rows);

// The verdict on the new database `fresh` holding `rows` (table: count): AgainstManifest's
// problems appended to `problems`, and the line said of it ("restored into FRESH: 3 tables,
// row counts as the manifest says").
std::string JudgeRestored(const std::string& fresh, const std::optional<LoadedMeta>& meta,
                          const Value::Map& rows, std::vector<std::string>& problems);

// The database the dump was taken of, from its metadata's `source`
// (`postgres://host:port/DB`, `mysql://host:port/DB`, `mysql://localhost/DB?socket=...`); ""
// when the metadata does not say.
std::string SourceDatabaseOf(const CheckedSource& source);
// Why the dump is not one of the live database `live`: its source is another database and
// `from` (the step's parameter, for a copy restored under another name) does not name it
// (breakOO OO5: the newest dump of a shared folder, another database's, replaced the live one);
// or the metadata does not say (none, with force: true) and `from` is not set to say it
// (breakQQ QQ9: a bare dump of another database replaced the live one). "" when it is.
std::string SourceMismatch(const CheckedSource& source, const std::string& live,
                           const StepParams& p);

// Why the env file could not hold DATABASE_URL=`url` and DATABASE_NAME=`db` (with `env`),
// known before anything is restored (breakOO OO8: a name with '"' was refused after the
// switch). "" when it can, or no env_file is set.
std::string EnvValuesProblem(const StepParams& p, const std::string& url, const std::string& db);

// Writes `env_file` when set: `env`, with DATABASE_URL=`url` and DATABASE_NAME=`db` unless
// `env` names them. Returns the file written ("" when none). Errors: a key or value the env
// file cannot hold, the file cannot be written.
Result<std::string> WriteServerEnvFile(const StepParams& p, const std::string& url,
                                       const std::string& db);

// The step's outputs (target: the live database as the dump's metadata names a source;
// database: the one the backend now uses; previous: the one kept, "" when none).
AttemptResult ServerRestored(const std::string& target, const std::string& database,
                             const std::string& previous, const CheckedSource& source,
                             const std::string& env_file);

}  // namespace runbook
