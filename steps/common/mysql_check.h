// integrity-check with `engine: mysql`: a mysqldump of one database (`.sql.gz`, as backup's
// engine: mysql writes it) restored into a scratch MariaDB/MySQL server the step starts in a
// folder of `workspace` (its own data folder and socket, no network, no grants), checked with
// mariadb-check --extended (CHECK TABLE ... EXTENDED on every table), its rows counted against
// the dump's manifest, then the server stopped and its folder removed, whatever happened.
// Every command goes through the engine's process runner (timeouts and Ctrl-C apply); the
// live server is never touched.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/plugin/step.h"

namespace runbook {

// Outputs as the PostgreSQL check's (ok, errors, tables, rows, manifest, authenticated, ...;
// page_count 0). With `public_key` the metadata must be signed and describe the dump before
// anything is decompressed. Failure: the dump does not restore (the client's error), a table
// does not check, a count differs from the manifest; the scratch server cannot start (its
// error log's last line).
AttemptResult MysqlIntegrityCheck(StepContext& ctx);

// A MariaDB/MySQL program: from `bin_dir` when given, else PATH, else /usr/sbin and /usr/bin
// (Debian puts mariadbd in /usr/sbin, outside a user's PATH); the first of `names` found, else
// the first name (the process runner then reports it missing).
std::string MysqlProgram(std::initializer_list<const char*> names, const std::string& bin_dir,
                         const EnvMap& env);

// What mariadb-check's output says is wrong (at most 20, "mariadb-check: TABLE: STATUS :
// TEXT"): a table whose check says error or warning, or a line it does not explain. Its
// notes are not faults (breakOO OO10: a SEQUENCE's "The storage engine for the table doesn't
// support check" refused every dump of a database holding one), nor a table that says OK.
std::vector<std::string> CheckOutputProblems(const std::string& out);

}  // namespace runbook
