// What a MySQL/MariaDB dump may hold to be restored into a new database on the live server
// (restore, engine mysql): what `mariadb-dump DB` writes for one database's tables, and
// nothing that reaches beyond the database it is replayed into. The client replays a dump
// into `--database=NEW`, but its statements choose: `USE other`, `DROP DATABASE live`,
// `CREATE DATABASE`, an account or a grant, `INSERT INTO other.t`, a trigger `ON live.t` run
// on the live server while the new database is still unverified (breakOO OO1, OO2, OO3,
// OO6). The integrity-check's scratch server cannot stand in for this: there, such a
// statement succeeds harmlessly. Checked on the decompressed dump before it is replayed.
#pragma once

#include <string>
#include <vector>

namespace runbook {

struct DumpScanRules {
  // The dump's source database and the live one: a name qualified with either (`shop`.`t`)
  // in a statement's target reaches the live database.
  std::vector<std::string> databases;
  // switch: rename moves tables only: a view, trigger, routine or event is refused here,
  // before anything changes (breakOO OO3: it was refused after the replay had run).
  bool tables_only = false;
};

// The problems found in the SQL file `path` (at most 5, each "line N: ..." naming the line
// the statement begins on), empty when the dump holds only what a one-database mariadb-dump
// writes: SET, CREATE/DROP/ALTER TABLE, LOCK/UNLOCK TABLES, a table's rows (INSERT INTO an
// unqualified table VALUES, no query among them), a sequence (CREATE/DROP SEQUENCE, DO
// SETVAL), DELIMITER, and (unless tables_only) views, triggers, routines and events whose
// names and trigger tables are unqualified and whose bodies name no other database's table.
// The dump is split into statements as the client splits it (literals, quoted names and
// comments carry over line ends: breakSS SS2), each judged whole; a table's rows are not kept
// (their literals are data). Version comments (/*!50003 ... */) are read as the server reads
// them. Errors are problems (the file cannot be read; a statement over 16 MiB that is not a
// table's rows).
std::vector<std::string> DumpReachesBeyond(const std::string& path, const DumpScanRules& rules);

}  // namespace runbook
