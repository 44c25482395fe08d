// backup with `engine: postgres` against a real PostgreSQL 15 (support/pg_server.h): pg_dump of
// one exported snapshot, its manifest counted in that snapshot (exact under write load), the
// password a declared secret, atomic publish, retention; integrity-check compares the restored
// counts with the manifest and, with public_key, refuses a dump its metadata does not describe.
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>

#include "support/pg_server.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

// A role `backup` that must give its password (scram) over the socket; every other role
// keeps trust.
void RequirePassword(const PgServer& pg, const std::string& password) {
  REQUIRE(pg.Psql("postgres", "CREATE ROLE backup LOGIN SUPERUSER PASSWORD '" + password + "'")
              .exit_code == 0);
  std::string hba = pg.data + "/pg_hba.conf";
  REQUIRE(Shell("sed -i '1i local all backup scram-sha-256' " + hba +
                " && runuser -u postgres -- " + kPgBin + "/pg_ctl -D " + pg.data +
                " reload > /dev/null")
              .exit_code == 0);
}

std::string Keys(const std::string& dir) {
  Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null && " +
        "openssl pkey -in key.pem -pubout -out pub.pem");
  return dir;
}

// Backs up `shop` as `backup` (the secret from $PG_PW), then checks the dump in a scratch
// database against its manifest, signed and verified.
std::string BackupAndCheck(const PgServer& pg) {
  return "version: 1\nname: pgb\nsecrets:\n  pw: {env: PG_PW}\nsteps:\n"
         "  - id: b\n    uses: backup\n    with:\n      engine: postgres\n"
         "      database: 'host=" +
         pg.sock + " port=" + std::to_string(pg.port) +
         " user=backup dbname=shop'\n"
         "      password: ${{ secrets.pw }}\n      dest: dumps\n      sign_key: key.pem\n"
         "      keep_last: 2\n"
         "  - id: check\n    uses: integrity-check\n    needs: [b]\n    with:\n"
         "      engine: postgres\n      source: ${{ steps.b.outputs.path }}\n"
         "      server: '" +
         pg.Conn() + "'\n      public_key: pub.pem\n";
}

}  // namespace

TEST_CASE("a postgres backup under write load is one snapshot, and its check matches it",
          "[steps][backup][postgres]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  const std::string pw = "pg-Secret-4711-xyz";
  RequirePassword(pg, pw);
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop",
                  "CREATE TABLE users(id serial PRIMARY KEY, email text); INSERT INTO users(email) "
                  "SELECT 'u' || i FROM generate_series(1, 200000) i; CREATE SCHEMA sales; "
                  "CREATE TABLE sales.orders(id int); INSERT INTO sales.orders SELECT "
                  "generate_series(1, 77)")
              .exit_code == 0);
  std::string dir = Keys(pg.dir);
  WriteFile(dir, "b.yaml", BackupAndCheck(pg));
  // A writer inserts all along (one transaction a row, as a backend does).
  int writer = StartBackground(
      {"sh", "-c",
       "while :; do psql -X -q -d '" + pg.Conn() +
           " dbname=shop' -c \"INSERT INTO users(email) VALUES ('w'); INSERT INTO sales.orders "
           "VALUES (1)\"; done"},
      dir + "/writer.log");
  std::string before = pg.Value("shop", "SELECT count(*) FROM users");
  Command run =
      Shell("cd " + dir + " && PG_PW=" + pw + " " + Binary() + " run b.yaml --audit-db a.db");
  std::string after = pg.Value("shop", "SELECT count(*) FROM users");
  StopServer(writer);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(std::stol(after) > std::stol(before));  // the writer did write during the run
  CHECK_THAT(run.err, Catch::Contains("row counts as the manifest says"));
  // The manifest: exact counts of the dump's own snapshot, both schemas.
  Command meta = Shell("cat " + dir + "/dumps/*.pgdump.meta.json");
  CHECK_THAT(meta.out, Catch::Contains("\"engine\": \"postgres\"") &&
                           Catch::Contains("\"row_counts\": \"exact\"") &&
                           Catch::Contains("\"public.users\"") &&
                           Catch::Contains("\"sales.orders\"") &&
                           Catch::Contains("\"server_version\": \"15.") &&
                           Catch::Contains("\"dump_tool\": \"pg_dump (PostgreSQL) 15.") &&
                           Catch::Contains("\"signature\""));
  // One snapshot: the writer adds a row to each table per transaction (psql -c sends both
  // statements as one), so the manifest keeps the difference they started with.
  CHECK(Shell("python3 -c \"import json,glob; m=json.load(open(glob.glob('" + dir +
              "/dumps/*.meta.json')[0])); print(m['tables']['public.users'] - "
              "m['tables']['sales.orders'])\"")
            .out == "199923\n");
  // The dump is pg_dump's custom format (pg_restore lists it) and only its owner reads it.
  CHECK(Shell("pg_restore -l " + dir + "/dumps/*.pgdump | grep -q 'TABLE DATA public users'")
            .exit_code == 0);
  CHECK(Shell("stat -c %a " + dir + "/dumps/*.pgdump").out == "600\n");
  // The password never reaches the store, nor the output.
  CHECK(Shell("grep -c '" + pw + "' " + dir + "/a.db").out == "0\n");
  CHECK(run.out.find(pw) == std::string::npos);
  CHECK(run.err.find(pw) == std::string::npos);
  // The wrong password: refused by the server, nothing published.
  Command wrong =
      Shell("cd " + dir + " && PG_PW=not-the-password " + Binary() + " run b.yaml --audit-db a.db");
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Catch::Contains("cannot connect") &&
                            Catch::Contains("password authentication failed"));
  CHECK(Shell("ls " + dir + "/dumps | grep -c 'pgdump$'").out == "1\n");
}

TEST_CASE("a damaged postgres dump or manifest is refused, retention keeps the newest",
          "[steps][backup][postgres][retention]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  const std::string pw = "pg-Secret-4711-xyz";
  RequirePassword(pg, pw);
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop", "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, 500)")
              .exit_code == 0);
  std::string dir = Keys(pg.dir);
  WriteFile(dir, "b.yaml", BackupAndCheck(pg));
  std::string env = "cd " + dir + " && PG_PW=" + pw + " ";
  for (int i = 0; i < 3; ++i)
    REQUIRE(Shell(env + Binary() + " run b.yaml --audit-db a.db").exit_code == 0);
  // keep_last: 2 (signed dumps of this database): the oldest went, with its metadata.
  CHECK(Shell("ls " + dir + "/dumps | grep -c 'pgdump$'").out == "2\n");
  CHECK(Shell("ls " + dir + "/dumps | grep -c 'meta.json$'").out == "2\n");
  std::string dump = Shell("ls -t " + dir + "/dumps/*.pgdump | head -1").out;
  dump.pop_back();
  std::string check =
      "version: 1\nname: c\nsteps:\n  - id: c\n    uses: integrity-check\n    with: {engine: "
      "postgres, source: '" +
      dump + "', server: '" + pg.Conn() + "'";
  // A byte changed: with public_key, refused before anything is restored.
  Shell("cp " + dump + " " + dir + "/good && printf 'X' | dd of=" + dump +
        " bs=1 seek=3000 conv=notrunc 2>/dev/null");
  WriteFile(dir, "c.yaml", check + ", public_key: pub.pem}\n");
  Command forged = Shell(env + Binary() + " run c.yaml --audit-db a.db");
  CHECK(forged.exit_code == 1);
  CHECK_THAT(forged.err,
             Catch::Contains("not authentic") && Catch::Contains("checked before restoring"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE "
                 "'runbook_check_%'") == "0");
  // The dump intact, its manifest edited (unsigned check): the restored counts disagree.
  Shell("cp " + dir + "/good " + dump + " && sed -i 's/\"public.t\": 500/\"public.t\": 501/' " +
        dump + ".meta.json");
  WriteFile(dir, "c.yaml", check + "}\n");
  Command edited = Shell(env + Binary() + " run c.yaml --audit-db a.db");
  CHECK(edited.exit_code == 1);
  CHECK_THAT(edited.err, Catch::Contains("table 'public.t' has 500 rows; the manifest says 501"));
}

TEST_CASE("two postgres backups of one database in the same second keep both dumps",
          "[steps][backup][postgres]") {
  // The newcomer's exec + pg_dump overwrote a dump when two runs landed in the same second.
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  REQUIRE(pg.Psql("shop", "CREATE TABLE t(x int)").exit_code == 0);
  std::string conn = pg.Conn() + " dbname=shop";
  WriteFile(pg.dir, "two.yaml",
            "version: 1\nname: two\nsteps:\n"
            "  - {id: a, uses: backup, with: {engine: postgres, database: '" +
                conn +
                "', dest: dumps}}\n"
                "  - {id: b, uses: backup, with: {engine: postgres, database: '" +
                conn +
                "', dest: dumps}}\n"
                "  - {id: named, uses: backup, needs: [a], with: {engine: postgres, database: '" +
                conn +
                "', dest: dumps, name: fixed}}\n"
                "  - {id: again, uses: backup, needs: [named], with: {engine: postgres, "
                "database: '" +
                conn + "', dest: dumps, name: fixed}}\n");
  Command run = Shell("cd " + pg.dir + " && " + Binary() + " run two.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);  // `again` refuses to overwrite `fixed`
  CHECK_THAT(run.err,
             Catch::Contains("fixed.pgdump already exists; a backup never overwrites one"));
  CHECK(Shell("ls " + pg.dir + "/dumps | grep -c 'pgdump$'").out == "3\n");
  CHECK(Shell("ls " + pg.dir + "/dumps | grep -c 'meta.json$'").out == "3\n");
}

TEST_CASE("backup's postgres-only parameters are refused for sqlite, located",
          "[steps][backup][postgres][loader]") {
  std::string dir = TempDir();
  WriteFile(
      dir, "b.yaml",
      "version: 1\nname: b\nsteps:\n"
      "  - {id: b, uses: backup, with: {database: app.db, dest: d, password: x, bin_dir: /x}}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate b.yaml");
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err, Catch::Contains("b.yaml:4:") &&
                        Catch::Contains("password applies to engine: postgres or mysql only") &&
                        Catch::Contains("bin_dir applies to engine: postgres or mysql only"));
}

TEST_CASE(
    "postgres: a password in the connection string is refused, dotted names stay apart, a "
    "timed-out check drops its scratch database",
    "[steps][backup][postgres][integrity]") {
  REQUIRE(Shell(std::string("test -x ") + kPgBin + "/pg_ctl && id postgres").exit_code == 0);
  PgServer pg;
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE shop").exit_code == 0);
  // breakKK KK9: "s.chema"."t.x" and s."chema.t.x" were one manifest key, and matched.
  REQUIRE(pg.Psql("shop",
                  "CREATE SCHEMA \\\"s.chema\\\"; CREATE TABLE \\\"s.chema\\\".\\\"t.x\\\"(id "
                  "int); INSERT INTO \\\"s.chema\\\".\\\"t.x\\\" VALUES (1),(2),(3); CREATE "
                  "SCHEMA s; CREATE TABLE s.\\\"chema.t.x\\\"(id int); INSERT INTO "
                  "s.\\\"chema.t.x\\\" SELECT generate_series(1, 7)")
              .exit_code == 0);
  std::string dir = pg.dir;
  auto backup = [&](const std::string& database, const std::string& extra = "") {
    WriteFile(dir, "b.yaml",
              "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {engine: postgres, "
              "database: '" +
                  database + "', dest: dumps" + extra + "}}\n");
    return Shell("cd " + dir + " && " + Binary() + " run b.yaml --audit-db a.db");
  };
  // breakKK KK6: pg_dump's command line would show it.
  for (const std::string& conn : {pg.Conn() + " dbname=shop password=hunter2-pw",
                                  std::string("postgresql://postgres:hunter2-pw@127.0.0.1/shop")}) {
    CAPTURE(conn);
    Command refused = backup(conn);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("the password goes in 'password'"));
  }
  // breakKK KK11: the default name of a database named with a '/' is one file name.
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE \\\"sh/op\\\"").exit_code == 0);
  WriteFile(dir, "slash.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {engine: postgres, "
            "database: '" +
                pg.Conn() + " dbname=sh/op', dest: slash}}\n");
  Command slash = Shell("cd " + dir + " && " + Binary() + " run slash.yaml --audit-db a.db");
  INFO(slash.err);
  CHECK(slash.exit_code == 0);
  CHECK(Shell("ls " + dir + "/slash/sh_op-*.pgdump").exit_code == 0);
  REQUIRE(backup(pg.Conn() + " dbname=shop").exit_code == 0);
  Command meta = Shell("cat " + dir + "/dumps/*.meta.json");
  CHECK_THAT(meta.out, Catch::Contains("\"\\\"s.chema\\\".\\\"t.x\\\"\": 3") &&
                           Catch::Contains("\"s.\\\"chema.t.x\\\"\": 7"));
  std::string dump = Shell("ls " + dir + "/dumps/*.pgdump").out;
  dump.pop_back();
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n  - {id: c, uses: integrity-check, with: {engine: "
            "postgres, source: '" +
                dump + "', server: '" + pg.Conn() + "'}}\n");
  Command checked = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  INFO(checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.err, Catch::Contains("2 tables, row counts as the manifest says"));
  // breakKK KK3: a restore slowed by a CHECK that sleeps, cut by the step's timeout: the
  // scratch database is dropped anyway.
  REQUIRE(pg.Psql("postgres", "CREATE DATABASE slow").exit_code == 0);
  REQUIRE(pg.Psql("slow",
                  "CREATE FUNCTION nap(i int) RETURNS bool LANGUAGE sql AS 'SELECT "
                  "pg_sleep(0.5) IS NOT NULL'; CREATE TABLE t(i int CHECK (nap(i))); INSERT INTO "
                  "t SELECT generate_series(1, 20)")
              .exit_code == 0);
  REQUIRE(Shell("pg_dump -Fc -d '" + pg.Conn() + " dbname=slow' -f " + dir + "/slow.pgdump")
              .exit_code == 0);
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: c, uses: integrity-check, timeout: 2s, with: "
            "{engine: postgres, source: slow.pgdump, server: '" +
                pg.Conn() + "'}}\n");
  Command timed = Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db");
  CHECK(timed.exit_code == 1);
  CHECK_THAT(timed.err, Catch::Contains("timed out") || Catch::Contains("timeout"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE "
                 "'runbook_check_%'") == "0");
  // ... and killed (kill -9): the next check on this host drops it (its comment names a
  // process that is gone).
  Shell("sed -i 's/timeout: 2s/timeout: 60s/' " + dir + "/t.yaml");
  int killed = StartBackground(
      {"sh", "-c", "cd " + dir + " && exec " + Binary() + " run t.yaml --audit-db k.db"},
      dir + "/killed.log");
  for (int i = 0; i < 100 && pg.Value("postgres",
                                      "SELECT count(*) FROM pg_database WHERE datname LIKE "
                                      "'runbook_check_%'") != "1";
       ++i)
    Shell("sleep 0.1");
  ::kill(killed, SIGKILL);
  Shell("sleep 0.3");
  REQUIRE(pg.Value("postgres",
                   "SELECT count(*) FROM pg_database WHERE datname LIKE 'runbook_check_%'") == "1");
  Command next = Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK_THAT(next.err, Catch::Contains("left by a killed run"));
  CHECK(pg.Value("postgres",
                 "SELECT count(*) FROM pg_database WHERE datname LIKE "
                 "'runbook_check_%'") == "0");
}
