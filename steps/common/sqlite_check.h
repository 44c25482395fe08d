// The checks integrity-check runs on a database copy, on two connections at once (issue 15:
// both cores), reaching the verdict of one `PRAGMA integrity_check`.
//
// Why the split is the same check (https://www.sqlite.org/pragma.html#pragma_integrity_check):
// `quick_check` does everything `integrity_check` does — every b-tree's structure, the
// freelist, pages never used or used twice, NOT NULL and CHECK constraints — except
// verifying that index content matches table content and UNIQUE indexes.
// `integrity_check(T)` does all of it for one table and its indexes. So quick_check on the
// whole file plus integrity_check(T) for every table that has an index covers the full
// check; a table without an index adds nothing to quick_check. The tasks (those checks, row
// counts, foreign_key_check) go to two read-only connections, biggest first (weighed by
// max(rowid), free to read). A problem both report (a damaged page of an indexed table) is
// kept once. The split walks an indexed table's pages twice, so it is made only when no
// table outweighs all others together; else one integrity_check runs while the other
// connection counts rows and checks foreign keys.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/util/crypto.h"
#include "steps/common/sqlite_info.h"

namespace runbook {

struct CopyCheck {
  // integrity problems (each at most once), then foreign-key violations; empty when ok.
  // The integrity ones are at most `max`, as are the foreign-key ones.
  std::vector<std::string> problems;
  DatabaseInfo info;  // version, pages, tables with row counts (ReadDatabaseInfo's)
  // integrity_check was split (quick_check and per-table checks); false when one table
  // outweighs the rest, with `quick`, or with no index: one whole check then, the row counts
  // and foreign_key_check beside it on the other connection.
  bool split = false;
};

// Opens the database file `path` twice (it must be a private copy in rollback-journal mode:
// nothing is written, but the connections are read-write, see OpenTuned) and runs the checks:
// `quick` gives quick_check's verdict, else integrity_check's; foreign_key_check in both. `stop`
// (called from both threads) ends the work with an error whose message starts with "interrupted".
// Errors: the file cannot be opened or read as a database.
Result<CopyCheck> CheckCopy(const std::string& path, bool quick, size_t max, const StopCheck& stop);

}  // namespace runbook
