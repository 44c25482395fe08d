// What backup, integrity-check and restore read from a SQLite file: version, pages,
// tables with row counts, and the results of the integrity checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/util/sqlite.h"
#include "engine/util/value.h"

namespace runbook {

struct DatabaseInfo {
  std::string sqlite_version;
  int64_t page_size = 0;
  int64_t page_count = 0;
  Value::Map tables;  // name -> row count
};

Result<DatabaseInfo> ReadDatabaseInfo(Db& db);
// `PRAGMA integrity_check` (or quick_check): the problems found, at most `max` lines;
// empty when the database is ok.
Result<std::vector<std::string>> IntegrityProblems(Db& db, bool quick, size_t max);
// `PRAGMA foreign_key_check`: one line per violation, at most `max`.
Result<std::vector<std::string>> ForeignKeyProblems(Db& db, size_t max);

}  // namespace runbook
