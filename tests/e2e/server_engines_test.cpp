// The shipped runbooks/postgres and runbooks/mysql, as an operator runs them (--set for the
// connection and the folders), against real servers the test starts: a backup while a writer
// writes, then the drill that picks the newest dump, verifies its signature, restores it in
// isolation and matches its manifest; a damaged newest dump stops the drill before any
// restore, and the live database is untouched.
#include <catch2/catch.hpp>
#include <string>

#include "support/mariadb_server.h"
#include "support/pg_server.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

std::string Shipped(const std::string& name) {
  return std::string(RUNBOOK_SOURCE_DIR) + "/runbooks/" + name;
}

void Keys(const std::string& dir) {
  Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null && " +
        "openssl pkey -in key.pem -pubout -out pub.pem");
}

// Runs the shipped backup then drill; returns the drill.
Command BackupThenDrill(const std::string& dir, const std::string& engine,
                        const std::string& backup_sets, const std::string& drill_sets) {
  std::string run = "cd " + dir + " && " + Binary() + " run ";
  Command backup =
      Shell(run + Shipped(engine + "/backup.yaml") + " --audit-db a.db --set dest=" + dir +
            "/dumps --set sign_key=" + dir + "/key.pem " + backup_sets);
  INFO(backup.err);
  REQUIRE(backup.exit_code == 0);
  return Shell(run + Shipped(engine + "/drill.yaml") + " --audit-db a.db --set dumps=" + dir +
               "/dumps --set public_key=" + dir + "/pub.pem " + drill_sets);
}

// After a drill verified the dump of the first backup: a second backup, then a dry run with
// keep_last=1. The dump about to be written counts as the newest: the second would go, the
// first (verified) stays; nothing changes (issue 18: "a retention dry run that keeps the
// verified dump").
void DryRunKeepsVerified(const std::string& dir, const std::string& engine,
                         const std::string& backup_sets) {
  std::string run = "cd " + dir + " && " + Binary() + " run " + Shipped(engine + "/backup.yaml") +
                    " --audit-db a.db --set dest=" + dir + "/dumps --set sign_key=" + dir +
                    "/key.pem " + backup_sets;
  std::string first = Shell("ls " + dir + "/dumps | grep -v meta.json | sort | head -1").out;
  REQUIRE(Shell(run).exit_code == 0);
  std::string before = Shell("ls " + dir + "/dumps").out;
  Command dry = Shell(run + " --set keep_last=1 --dry-run");
  INFO(dry.err);
  INFO(Shell("cd " + dir + " && " + Binary() + " backups --audit-db a.db 2>&1").out);
  CHECK(dry.exit_code == 0);
  first.pop_back();
  CHECK_THAT(dry.err, Catch::Contains("retention: would keep " + dir + "/dumps/" + first +
                                      ": the newest verified (by step "));
  CHECK_THAT(dry.err,
             Catch::Contains("retention: would delete ") && Catch::Contains("beyond keep_last 1"));
  CHECK(Shell("ls " + dir + "/dumps").out == before);
}

// The shipped restore.yaml of `engine` (declared by --approve): the newest dump verified,
// restored into a new database, switched by rename; returns the run.
Command ShippedRestore(const std::string& dir, const std::string& engine, const std::string& sets) {
  return Shell("cd " + dir + " && " + Binary() + " run " + Shipped(engine + "/restore.yaml") +
               " --audit-db a.db --approve declare --set dumps=" + dir +
               "/dumps --set public_key=" + dir + "/pub.pem --set env_file=" + dir +
               "/backend.env " + sets);
}

}  // namespace

TEST_CASE("the shipped postgres backup and drill prove a dump taken under writes",
          "[e2e][postgres][backup]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop",
                  "CREATE TABLE orders(id serial PRIMARY KEY, total numeric); INSERT "
                  "INTO orders(total) SELECT i FROM generate_series(1, 50000) i")
              .exit_code == 0);
  Keys(pg.dir);
  int writer =
      StartBackground({"sh", "-c",
                       "while :; do psql -X -q -d '" + pg.Conn() +
                           " dbname=shop' -c 'INSERT INTO orders(total) VALUES (1)'; done"},
                      pg.dir + "/writer.log");
  Command drill =
      BackupThenDrill(pg.dir, "postgres", "--set database='" + pg.Conn() + " dbname=shop'",
                      "--set server='" + pg.Conn() + "'");
  StopServer(writer);
  INFO(drill.err);
  CHECK(drill.exit_code == 0);
  CHECK_THAT(drill.err, Catch::Contains("ok: 100 % (1 table,") &&
                            Catch::Contains("(manifest matched)") && Catch::Contains("RTO"));
  DryRunKeepsVerified(pg.dir, "postgres", "--set database='" + pg.Conn() + " dbname=shop'");
  // The shipped restore: rows lost after the newest backup come back; the database they were
  // lost from is kept.
  Command restored =
      ShippedRestore(pg.dir, "postgres", "--set database='" + pg.Conn() + " dbname=shop'");
  INFO(restored.err);
  CHECK(restored.exit_code == 0);
  CHECK_THAT(restored.err, Catch::Contains("row counts as the manifest says") &&
                               Catch::Contains("previous kept as shop_before_"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE "
                 "'shop_before_%'") == "1");
  CHECK_THAT(ReadFile(pg.dir + "/backend.env"), Catch::Contains("DATABASE_NAME=shop"));
  // The newest dump damaged: the drill stops at its verification, nothing restored.
  std::string live = pg.Value("shop", "SELECT count(*) FROM orders");
  Shell("f=$(ls " + pg.dir +
        "/dumps/*.pgdump | sort | tail -n 1) && printf X | dd of=$f bs=1 "
        "seek=500 conv=notrunc 2>/dev/null");
  Command damaged =
      Shell("cd " + pg.dir + " && " + Binary() + " run " + Shipped("postgres/drill.yaml") +
            " --audit-db a.db --set dumps=" + pg.dir + "/dumps --set public_key=" + pg.dir +
            "/pub.pem --set server='" + pg.Conn() + "'");
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.err, Catch::Contains("FAIL verify"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE "
                 "'runbook_check_%'") == "0");
  CHECK(pg.Value("shop", "SELECT count(*) FROM orders") == live);
}

TEST_CASE("the shipped mysql backup and drill prove a dump taken under writes",
          "[e2e][mysql][backup]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  REQUIRE(db.Sql("CREATE DATABASE shop; CREATE TABLE shop.orders(id int AUTO_INCREMENT PRIMARY "
                 "KEY, total decimal(10,2)) ENGINE=InnoDB")
              .exit_code == 0);
  Keys(db.dir);
  int writer =
      StartBackground({"sh", "-c",
                       "while :; do mariadb --no-defaults -S " + db.sock +
                           " -u root shop -e 'INSERT INTO orders(total) VALUES (1)'; done"},
                      db.dir + "/writer.log");
  Command drill = BackupThenDrill(
      db.dir, "mysql", "--set database='mysql://root@localhost/shop?socket=" + db.sock + "'",
      "--set workspace=" + db.dir + "/ws/check");
  StopServer(writer);
  INFO(drill.err);
  CHECK(drill.exit_code == 0);
  CHECK_THAT(drill.err,
             Catch::Contains("ok: 100 % (1 table,") && Catch::Contains("(manifest matched)"));
  CHECK(Shell("ls -A " + db.dir + "/ws").out.empty());  // the scratch server's folder is gone
  DryRunKeepsVerified(db.dir, "mysql",
                      "--set database='mysql://root@localhost/shop?socket=" + db.sock + "'");
  Command restored =
      ShippedRestore(db.dir, "mysql",
                     "--set database='mysql://root@localhost/shop?socket=" + db.sock +
                         "' --set workspace=" + db.dir + "/ws/sql");
  INFO(restored.err);
  CHECK(restored.exit_code == 0);
  CHECK_THAT(restored.err, Catch::Contains("row counts as the manifest says") &&
                               Catch::Contains("previous kept as shop_before_"));
  CHECK(db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                 "'shop_before_%'") == "1");
  CHECK(Shell("ls -A " + db.dir + "/ws").out.empty());
}
