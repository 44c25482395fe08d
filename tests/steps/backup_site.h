// The fixture of the backup, integrity-check and restore tests: a folder with an audit
// store, runbooks written inline and run through the real binary, SQLite files made with
// the sqlite3 shell. Tests only.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

namespace runbook::test {

inline std::string Rb(const std::string& args) { return Binary() + " " + args; }

struct Site {
  std::string dir = TempDir();
  std::string db = dir + "/audit.db";
  std::string Path(const std::string& p) const { return dir + "/" + p; }
  // Runs a runbook written inline, from the site's folder.
  Command Run(const std::string& steps, const std::string& extra = "") const {
    WriteFile(dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
    return Shell("cd " + dir + " && " + extra + Rb("run rb.yaml --audit-db " + db));
  }
  void Sql(const std::string& file, const std::string& sql) const {
    REQUIRE(Shell("sqlite3 " + Path(file) + " \"" + sql + "\"").exit_code == 0);
  }
  // A WAL database with users and orders.
  void MakeDb(const std::string& file = "app.sqlite") const {
    Sql(file,
        "PRAGMA journal_mode=WAL; CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);"
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<2000) "
        "INSERT INTO users(email) SELECT 'u' || i || '@x' FROM n;");
  }
  void Keys() const {
    REQUIRE(Shell("cd " + dir +
                  " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null && openssl "
                  "pkey -in key.pem -pubout -out pub.pem && openssl genpkey -algorithm ed25519 "
                  "-out other.pem 2>/dev/null && openssl pkey -in other.pem -pubout -out "
                  "other.pub")
                .exit_code == 0);
  }
  // An unsigned dump of a fresh MakeDb() database, dumps/app.sqlite.gz.
  std::string UnsignedDump() const {
    MakeDb();
    Shell("mkdir -p " + Path("dumps"));
    REQUIRE(Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: "
                "app}}\n")
                .exit_code == 0);
    return Path("dumps/app.sqlite.gz");
  }
  // A signed dump named dumps/app.sqlite.gz.
  std::string Dump() const {
    Keys();
    Shell("mkdir -p " + Path("dumps"));
    Command c =
        Run("  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app, "
            "sign_key: key.pem}}\n");
    REQUIRE(c.exit_code == 0);
    return Path("dumps/app.sqlite.gz");
  }
};

inline const char* kVerify =
    "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], public_key: pub.pem}}\n";

}  // namespace runbook::test
