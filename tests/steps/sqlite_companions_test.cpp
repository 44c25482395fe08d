// SQLite writes a database's -wal, -shm and -journal by name, so a link planted there is
// written through (breakJ J1, J12): restore emptied a hard link at its target's -wal and left
// one at its -shm for the application to overwrite; backup and integrity-check wrote the
// wal-index into a hard link at their source's -shm. Every SQLite path runbook opens has its
// companions under the own_file rule (engine/util/own_file.h): refused in words, the file
// outside untouched.
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/support.h"

using namespace runbook::test;

namespace {

Command RunStep(const std::string& dir, const std::string& step) {
  WriteFile(dir, "r.yaml", "version: 1\nname: r\nsteps:\n  - " + step + "\n");
  return Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db");
}

void MakeWalDb(const std::string& dir, const std::string& name, const std::string& v) {
  REQUIRE(Shell("cd " + dir + " && sqlite3 " + name + " \"pragma journal_mode=wal; create " +
                "table t(v); insert into t values('" + v + "')\" > /dev/null")
              .exit_code == 0);
}

// `dir`/out/victim, 12345 bytes of text, planted at `at` by `how` ("ln" or "ln -s").
void Plant(const std::string& dir, const std::string& how, const std::string& at) {
  std::string target = how == "ln" ? "out/victim" : dir + "/out/victim";
  REQUIRE(Shell("cd " + dir +
                " && mkdir -p out dumps && yes VICTIM | head -c 12345 > out/victim && " + how +
                " " + target + " " + at)
              .exit_code == 0);
}

std::string Size(const std::string& dir) { return Shell("stat -c %s " + dir + "/out/victim").out; }

void CheckRefused(const Command& c, const std::string& companion) {
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("refusing to use ") && Catch::Contains(companion));
}

}  // namespace

TEST_CASE("sqlite companions: restore refuses a link at its target's -wal or -shm",
          "[steps][sqlite-companions]") {
  for (const char* how : {"ln", "ln -s"}) {
    for (const char* side : {"-wal", "-shm"}) {
      CAPTURE(how, side);
      std::string dir = TempDir();
      Shell("mkdir -p " + dir + "/live");
      MakeWalDb(dir, "new.db", "new");
      MakeWalDb(dir, "live/app.db", "old");
      Plant(dir, how, std::string("live/app.db") + side);
      Command c = RunStep(dir,
                          "{id: r, uses: restore, with: {source: new.db, target: live/app.db, "
                          "force: true}}");
      CheckRefused(c, std::string("live/app.db") + side);
      CHECK(Size(dir) == "12345\n");
      CHECK_THAT(ReadFile(dir + "/out/victim"), Catch::StartsWith("VICTIM\nVICTIM\n"));
      CHECK(Shell("test -e " + dir + "/live/app.db.before-restore").exit_code != 0);
    }
  }
}

TEST_CASE("sqlite companions: backup and integrity-check refuse a link at the source's -shm",
          "[steps][sqlite-companions]") {
  for (const char* step :
       {"{id: i, uses: integrity-check, with: {source: app.db, workspace: ws.db}}",
        "{id: b, uses: backup, with: {database: app.db, dest: dumps, name: z}}"}) {
    CAPTURE(step);
    std::string dir = TempDir();
    MakeWalDb(dir, "app.db", "v");
    Plant(dir, "ln", "app.db-shm");
    Command c = RunStep(dir, step);
    CheckRefused(c, "app.db-shm");
    CHECK(Size(dir) == "12345\n");
    CHECK_THAT(ReadFile(dir + "/out/victim"), Catch::StartsWith("VICTIM\n"));
  }
  // A symbolic link at the -journal of a database in rollback mode: the same.
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && sqlite3 app.db 'create table t(v)'").exit_code == 0);
  Plant(dir, "ln -s", "app.db-journal");
  Command c = RunStep(dir, "{id: b, uses: backup, with: {database: app.db, dest: dumps, name: z}}");
  CheckRefused(c, "app.db-journal");
  CHECK(Size(dir) == "12345\n");
}

// break22a #7: a database a writer left in the middle of a transaction (a hot -journal, its
// uncommitted pages already in the file) was refused by integrity-check and restore with
// "attempt to write a readonly database". Refusing is right (nothing uncommitted is read);
// the words now say why and what to do. backup rolls it back and dumps the committed rows.
TEST_CASE("sqlite: a hot rollback journal is named as the reason a source cannot be read",
          "[steps][sqlite]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir +
                " && python3 -c \"import sqlite3, os\n"
                "c = sqlite3.connect('hot.db', isolation_level=None)\n"
                "c.execute('pragma journal_mode=delete'); c.execute('pragma cache_size=5')\n"
                "c.execute('create table orders(id integer primary key, v text)')\n"
                "c.execute('begin'); [c.execute(\\\"insert into orders(v) values('x')\\\") "
                "for _ in range(100)]; c.execute('commit')\n"
                "c.execute('begin'); [c.execute('insert into orders(v) values(?)', ('y' * 200,)) "
                "for _ in range(5000)]\n"
                "os._exit(0)\"")
              .exit_code == 0);
  REQUIRE(std::filesystem::exists(dir + "/hot.db-journal"));
  const std::string why =
      "it has a hot rollback journal beside it (a writer stopped in the middle of a "
      "transaction), which only a connection that may write rolls back";
  for (const char* step :
       {"{id: ic, uses: integrity-check, with: {source: hot.db, workspace: ws/c.sqlite}}",
        "{id: rs, uses: restore, with: {source: hot.db, target: out/app.db, force: true}}"}) {
    Command c = RunStep(dir, step);
    INFO(c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains(why));
    CHECK(c.err.find("attempt to write a readonly database") == std::string::npos);
  }
  Command backup = RunStep(dir, "{id: b, uses: backup, with: {database: hot.db, dest: dumps}}");
  INFO(backup.err);
  CHECK(backup.exit_code == 0);
}
