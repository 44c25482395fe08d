// A real PostgreSQL 15 started for one test on a private port and socket folder, owned by the
// `postgres` account (the server refuses root), stopped (fast) when destroyed.
#pragma once

#include <string>

#include "support/support.h"

namespace runbook::test {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

class PgServer {
 public:
  PgServer();  // REQUIREs initdb and start to succeed
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // libpq connection string without dbname: "host=SOCK port=N user=postgres".
  std::string Conn() const;
  // Runs `sql` in database `db` with psql (stop on the first error).
  Command Psql(const std::string& db, const std::string& sql) const;
  // `sql`'s single value, trimmed ("" on failure).
  std::string Value(const std::string& db, const std::string& sql) const;

  std::string dir = TempDir();
  std::string data = dir + "/data", sock = dir + "/sock";
  int port = 0;

 private:
  std::string As(const std::string& cmd) const;
  bool up_ = false;
};

}  // namespace runbook::test
