// backup with `engine: mysql`: mariadb-dump (or mysqldump) --single-transaction, one
// consistent snapshot of the InnoDB tables, streamed through runbook's parallel gzip into
// `<dest>/<name>.sql.gz` while its rows are counted (mysql_dump_scan.h: the manifest is the
// dump's own rows); published and retained as every backup is (dump_publish.h).
#pragma once

#include <string>
#include <vector>

#include "engine/plugin/step.h"
#include "engine/util/status.h"

namespace runbook {

// Where the dump tool connects: from `database`, a URL
// `mysql://USER@HOST:PORT/DBNAME` (or `mariadb://`; `?socket=/run/mysqld/mysqld.sock` for a
// local socket). The password is never in it (backup's `password`, a declared secret).
struct MysqlTarget {
  std::string user, host, socket, db;
  int port = 0;  // 0: the tool's default (3306)
  // "mysql://HOST:PORT/DB" or "mysql://localhost/DB?socket=PATH": what retention compares.
  std::string Source() const;
  // The client options that connect to it (--user, --protocol, --socket or --host/--port),
  // appended to `argv`: the same for mariadb-dump, mariadb and mariadb-check.
  void AppendConnection(std::vector<std::string>& argv) const;
};
// Errors: not such a URL, no database name, a password written in it.
Result<MysqlTarget> ParseMysqlTarget(const std::string& database);

// An option file's quoted value: backslash and double quote escaped (MariaDB's option file
// syntax). The value must hold no control character (a newline would start a new option).
std::string MysqlOptionValue(const std::string& v);

// Runs the dump (its password through a 0600 option file beside the dump, removed after;
// never on a command line), counts its rows, compresses it, writes the metadata (engine,
// server and dump tool versions from the dump's header, tables with exact counts,
// created_at: the time just before the dump started, at or before its snapshot) and
// publishes. Outputs as backup's (raw_sha256: of the SQL text). Failure: the tool fails
// (its last stderr line), nothing is left under the final names.
AttemptResult MysqlBackup(StepContext& ctx);

}  // namespace runbook
