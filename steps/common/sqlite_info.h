// What backup, integrity-check and restore read from a SQLite file: version, pages,
// tables with row counts, the results of the integrity checks, and the comparison with a
// dump's manifest. Also the one way they copy a database file: through SQLite, into a
// single file with nothing beside it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "engine/util/sqlite.h"
#include "engine/util/value.h"
#include "steps/common/stop.h"

namespace runbook {

struct DatabaseInfo {
  std::string sqlite_version;
  int64_t page_size = 0;
  int64_t page_count = 0;
  Value::Map tables;  // name -> row count
};

Result<DatabaseInfo> ReadDatabaseInfo(Db& db);
// ReadDatabaseInfo without the tables: version and pages only.
Result<DatabaseInfo> ReadDatabaseShape(Db& db);
// `name` as an SQL identifier: in double quotes, a quote in it doubled.
std::string QuoteIdentifier(const std::string& name);
// The first column of every row `sql` gives, as text; `arg`, when given, is bound to its
// one `?`.
Result<std::vector<std::string>> TextColumn(Db& db, const std::string& sql,
                                            const std::string* arg = nullptr);
// The tables a manifest lists, by name: those of sqlite_master but SQLite's own.
Result<std::vector<std::string>> UserTables(Db& db);
// `SELECT count(*)` of `table` (any name: quoted as an identifier).
Result<int64_t> CountRows(Db& db, const std::string& table);

// A Db::ReportWaits handler that tells `waiting` how long a connection has waited for a lock
// ("waiting 4s of at most 5s for a lock held by another connection"; breakK K11).
std::function<void(int waited_ms, int limit_ms)> LockWaitReport(const Waiting& waiting);

// A consistent copy of the database `source` into `dest` (created; must not exist) through
// SQLite's online backup API, so committed rows still only in its -wal are included. The
// copy is left as one file in rollback-journal mode: no -wal or -shm stays beside it, and
// opening it read-only never creates one. `writable`: open the source read-write (may roll
// back a hot journal; closing may checkpoint it); otherwise read-only, its files unchanged.
// The copy is the source as it was when the copy began (one read transaction), however
// often others commit meanwhile. `work` (see StopFor) interrupts it between bounded batches
// and is told the bytes each batch copied.
// `dest` is created 0600 when missing. On failure `dest` and its companions are removed.
Status SnapshotDatabase(const std::string& source, const std::string& dest, int timeout_ms,
                        bool writable, const Work& work = {});
// Whether the database file `path` says it is in WAL mode (header bytes 18-19 are 2,
// https://www.sqlite.org/fileformat2.html 1.3.3): opening it read-only then needs a -wal and
// -shm beside it. Read with a plain read: only for files no connection has open (a copy of
// ours). False when it cannot be read.
bool IsWalFile(const std::string& path);
// Turns the database file `path` (no other connection) into one file in `journal_mode`
// ("DELETE" or "WAL"); on return nothing is beside it. Fails when SQLite cannot read it.
Status SettleJournal(const std::string& path, const std::string& journal_mode);
// The differences between a dump's manifest (`tables` of its .meta.json: name -> rows) and
// the tables found, one line per table, naming it. Empty when they agree.
std::vector<std::string> CompareManifest(const Value& manifest, const Value::Map& found);
// `PRAGMA integrity_check` (or quick_check): the problems found, one per line (a row SQLite
// gives with several lines is split), at most `max`; empty when the database is ok. When the
// check stops on damage (SQLITE_CORRUPT) its message is the last problem, not an error.
Result<std::vector<std::string>> IntegrityProblems(Db& db, bool quick, size_t max);
// `PRAGMA integrity_check(table)`: the checks of one table and its indexes (SQLite 3.33+),
// without the file-wide ones (freelist, pages never used); at most `max` lines.
Result<std::vector<std::string>> TableIntegrityProblems(Db& db, const std::string& table,
                                                        size_t max);
// `PRAGMA foreign_key_check`: one line per violation, at most `max`.
Result<std::vector<std::string>> ForeignKeyProblems(Db& db, size_t max);

}  // namespace runbook
