// A postgres restore killed after its switch, then resumed (issue 18 item 3: "the live
// database is never dropped before the new one is verified"; a resume must not restore a
// second time over what the killed run already made live): runbook is killed with SIGKILL
// while the step writes its env file, after the rename made the restored database live; the
// resume finds the live database holding this dump, restored by the run it continues, and
// replaces nothing. The window is held open by the rename seam (tests/seams/fail_rename.cpp):
// the env file's rename waits until the test has killed the run.
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/mariadb_server.h"
#include "support/pg_server.h"
#include "support/server_runbooks.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// Runs restore.yaml in `dir` on `dump` with its env file's rename held, waits until
// `switched()` says the restored database is live, then kills runbook with SIGKILL. Returns
// the killed run's id.
template <typename Switched>
std::string RestoreKilledAfterSwitch(const std::string& dir, const std::string& dump,
                                     Switched switched) {
  Shell("mkdir -p " + dir + "/env");
  int run = StartBackground(
      {"env", "LD_PRELOAD=" + std::string(RUNBOOK_FAIL_RENAME), "RUNBOOK_TEST_FAIL_RENAME=app.env",
       "RUNBOOK_TEST_FAIL_RENAME_NONE=1", "RUNBOOK_TEST_DELAY_RENAME_MS=60000", "sh", "-c",
       "cd " + dir + " && exec " + Binary() +
           " run restore.yaml --audit-db a.db --set dump=" + dump},
      dir + "/run.log");
  for (int i = 0; i < 600 && !switched(); ++i) Shell("sleep 0.1");
  REQUIRE(switched());
  Shell("sleep 0.5");     // the step logs the switch, then writes the env file: held
  ::kill(-run, SIGKILL);  // runbook and its session: nothing records the step's end
  StopServer(run);
  CHECK(ReadFile(dir + "/env/app.env").empty());  // the rename never happened
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(!id.empty());
  return id;
}

// `runbook resume ID`, the runbook named: a server's folder is its account's, and resume runs
// a runbook from a folder another account owns only when named.
Command Resume(const std::string& dir, const std::string& id) {
  Command c = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                    " --audit-db a.db --yes --runbook " + dir + "/restore.yaml");
  INFO(ReadFile(dir + "/run.log") << c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.err, Catch::Contains("shop already holds this dump (restored before, or a "
                                    "restore stopped after its switch): nothing replaced"));
  CHECK_THAT(ReadFile(dir + "/env/app.env"), Catch::Contains("DATABASE_NAME=shop"));
  return c;
}

}  // namespace

TEST_CASE("a postgres restore killed after its switch is resumed without restoring twice",
          "[e2e][postgres][restore][resume]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop",
                  "CREATE TABLE orders(id serial PRIMARY KEY, total numeric); "
                  "INSERT INTO orders(total) SELECT i FROM generate_series(1, 3000) i")
              .exit_code == 0);
  WriteRunbooks(pg.dir, "postgres", pg.Conn() + " dbname=shop", "server: '" + pg.Conn() + "'", "");
  REQUIRE(Run(pg.dir, "backup.yaml").exit_code == 0);
  std::string dump = NewestDump(pg.dir);
  REQUIRE(pg.Psql("shop", "DELETE FROM orders WHERE id > 1000").exit_code == 0);

  // Killed once the restored database is live and the one it replaced kept.
  auto kept = [&] {
    return pg.Value("postgres",
                    "SELECT count(*) FROM pg_database WHERE datname LIKE 'shop_before_%'");
  };
  std::string id = RestoreKilledAfterSwitch(pg.dir, dump, [&] { return kept() == "1"; });
  REQUIRE(pg.Value("shop", "SELECT count(*) FROM orders") == "3000");
  Resume(pg.dir, id);
  // Nothing restored a second time: the restored rows, one kept database (not a second one
  // holding the restored data), no new database left.
  CHECK(pg.Value("shop", "SELECT count(*) FROM orders") == "3000");
  CHECK(kept() == "1");
  std::string before =
      pg.Value("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'shop_before_%'");
  CHECK(pg.Value(before, "SELECT count(*) FROM orders") == "1000");
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE 'shop_restore_%'") == "0");
}

TEST_CASE("a mysql restore killed after its switch is resumed without restoring twice",
          "[e2e][mysql][restore][resume]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  REQUIRE(db.Sql("CREATE DATABASE shop; CREATE TABLE shop.t(id int PRIMARY KEY); INSERT INTO "
                 "shop.t SELECT seq FROM shop.seq_1_to_300")
              .exit_code == 0);
  std::string live = "mysql://root@localhost/shop?socket=" + db.sock;
  WriteRunbooks(db.dir, "mysql", live, "workspace: " + db.dir + "/ws/check",
                "      workspace: " + db.dir + "/ws/restore\n");
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string dump = NewestDump(db.dir);
  REQUIRE(db.Sql("DELETE FROM shop.t WHERE id > 7").exit_code == 0);
  auto schemas = [&](const std::string& like) {
    return db.Value("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE '" +
                    like + "'");
  };
  // Switched: the table moved into the kept database by the one RENAME TABLE.
  std::string id = RestoreKilledAfterSwitch(db.dir, dump, [&] {
    return db.Value(
               "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE "
               "'shop\\_before\\_%'") == "1";
  });
  REQUIRE(db.Value("SELECT count(*) FROM shop.t") == "300");
  Resume(db.dir, id);
  CHECK(db.Value("SELECT count(*) FROM shop.t") == "300");
  CHECK(schemas("shop\\_before\\_%") == "1");
  CHECK(schemas("shop\\_restore\\_%") == "0");
}

// A second restore of one database in the same second (CI, stop 50: a test's two restores
// with switch: env, the first keeping `shop_restore_<stamp>` as the new live database, the
// second refused "database exists"): the next free name is taken, `<stamp>_2`. Made certain
// here by taking the names of the next ten seconds before the restore runs.
TEST_CASE("a mysql restore whose names are taken this second uses the next free ones",
          "[e2e][mysql][restore]") {
  REQUIRE(Shell("command -v mariadbd mariadb-dump mariadb-install-db >/dev/null").exit_code == 0);
  MariadbServer db;
  REQUIRE(db.Sql("CREATE DATABASE shop; CREATE TABLE shop.t(id int PRIMARY KEY); INSERT INTO "
                 "shop.t SELECT seq FROM shop.seq_1_to_30")
              .exit_code == 0);
  std::string live = "mysql://root@localhost/shop?socket=" + db.sock;
  WriteRunbooks(db.dir, "mysql", live, "",
                "      workspace: " + db.dir + "/ws/restore\n      force: true\n", false);
  REQUIRE(Run(db.dir, "backup.yaml").exit_code == 0);
  std::string dump = NewestDump(db.dir);
  Command taken = Shell(
      "s=$(date +%s); for i in $(seq 0 10); do printf 'CREATE DATABASE "
      "shop_restore_%s;' $(date -u -d @$((s+i)) +%Y%m%dT%H%M%SZ); done");
  REQUIRE(db.Sql(taken.out).exit_code == 0);
  Command r = Run(db.dir, "restore.yaml --set switch=env --set dump=" + dump);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  std::string fresh = db.Value(
      "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE "
      "'shop\\_restore\\_%\\_2'");
  REQUIRE_FALSE(fresh.empty());
  CHECK(db.Value("SELECT count(*) FROM " + fresh + ".t") == "30");
  CHECK_THAT(ReadFile(db.dir + "/env/app.env"), Catch::Contains("DATABASE_NAME=" + fresh));
}
