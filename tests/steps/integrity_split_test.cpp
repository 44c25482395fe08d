// Issue 15: integrity-check's checks on two connections (quick_check on the whole file plus
// integrity_check(T) per indexed table) reach the verdict of one PRAGMA integrity_check, as
// the sqlite3 shell gives it, on the same corruptions: index content, UNIQUE, NOT NULL,
// CHECK, a damaged page, pages never used.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "steps/common/sqlite_check.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Three tables of about the same size, each with an index: the check splits.
std::string ThreeTables(const std::string& dir) {
  std::string db = dir + "/app.db";
  std::string sql =
      "PRAGMA page_size=4096;"
      "CREATE TABLE t1(a, b); CREATE TABLE t2(a, b); CREATE TABLE t3(a, b);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<3000)"
      "  INSERT INTO t1 SELECT i, i % 7 FROM n;"
      "INSERT INTO t2 SELECT a, b FROM t1; INSERT INTO t3 SELECT a % 50, b FROM t1;"
      "CREATE INDEX t1_i ON t1(a); CREATE INDEX t2_i ON t2(a); CREATE INDEX t3_i ON t3(a);";
  REQUIRE(Shell("sqlite3 " + db + " '" + sql + "'").exit_code == 0);
  return db;
}

// The sqlite3 shell's own `PRAGMA integrity_check` lines; empty for "ok".
std::set<std::string> ShellVerdict(const std::string& db) {
  Command c = Shell("sqlite3 " + db + " 'PRAGMA integrity_check(1000)'");
  std::set<std::string> lines;
  std::istringstream in(c.out);
  for (std::string l; std::getline(in, l);)
    if (l != "ok" && !l.empty()) lines.insert(l);
  return lines;
}

std::set<std::string> OurVerdict(const std::string& db, bool& split) {
  auto checked = CheckCopy(db, false, 1000, {});
  REQUIRE(checked.ok());
  split = checked.value().split;
  return {checked.value().problems.begin(), checked.value().problems.end()};
}

// Overwrites `n` bytes at `offset` of `file` with 0xff.
void Smash(const std::string& file, int64_t offset, int n) {
  REQUIRE(Shell("printf '%*s' " + std::to_string(n) + " '' | tr ' ' '\\377' | dd of=" + file +
                " bs=1 seek=" + std::to_string(offset) + " conv=notrunc status=none")
              .exit_code == 0);
}

int64_t RootPage(const std::string& db, const std::string& name) {
  Command c =
      Shell("sqlite3 " + db + " \"SELECT rootpage FROM sqlite_master WHERE name='" + name + "'\"");
  return std::stoll(c.out);
}

}  // namespace

TEST_CASE("split integrity checks find what one integrity_check finds", "[steps][integrity]") {
  struct Damage {
    const char* what;
    std::string sql;  // run with writable_schema on
  };
  std::vector<Damage> kinds = {
      {"index content",
       "DROP INDEX t1_i; CREATE INDEX t1_i ON t1(a) WHERE a>10; "
       "PRAGMA writable_schema=ON; UPDATE sqlite_master SET "
       "sql='CREATE INDEX t1_i ON t1(a)' WHERE name='t1_i'"},
      {"UNIQUE",
       "UPDATE sqlite_master SET sql='CREATE UNIQUE INDEX t3_i ON t3(a)' "
       "WHERE name='t3_i'"},
      {"NOT NULL",
       "UPDATE t2 SET a=NULL WHERE rowid=5; UPDATE sqlite_master SET "
       "sql='CREATE TABLE t2(a NOT NULL, b)' WHERE name='t2'"},
      {"CHECK",
       "UPDATE sqlite_master SET sql='CREATE TABLE t2(a, b CHECK(b<6))' "
       "WHERE name='t2'"},
      // breakX X6: hand-edited schema text that SQLite reads without case or ignores; the
      // check then runs whole (not split), and still finds the damage.
      {"an index row naming its table in other case",
       "DROP INDEX t1_i; CREATE INDEX t1_i ON t1(a) WHERE a>10; PRAGMA writable_schema=ON; "
       "UPDATE sqlite_master SET sql='CREATE INDEX t1_i ON t1(a)', tbl_name='T1' "
       "WHERE name='t1_i'"},
      {"an index row typed INDEX",
       "DROP INDEX t1_i; CREATE INDEX t1_i ON t1(a) WHERE a>10; PRAGMA writable_schema=ON; "
       "UPDATE sqlite_master SET sql='CREATE INDEX t1_i ON t1(a)', type='INDEX' "
       "WHERE name='t1_i'"},
      {"a table row renamed in other case",
       "DROP INDEX t2_i; CREATE INDEX t2_i ON t2(a) WHERE a>10; PRAGMA writable_schema=ON; "
       "UPDATE sqlite_master SET sql='CREATE INDEX t2_i ON t2(a)' WHERE name='t2_i'; "
       "UPDATE sqlite_master SET name='T2', tbl_name='T2', sql='CREATE TABLE T2(a, b)' "
       "WHERE name='t2'"},
      {"a table without an index",
       "CREATE TABLE t4(a); INSERT INTO t4 VALUES(NULL); "
       "UPDATE sqlite_master SET sql='CREATE TABLE t4(a NOT NULL)' "
       "WHERE name='t4'"},
  };
  for (const Damage& d : kinds) {
    CAPTURE(d.what);
    std::string dir = TempDir();
    std::string db = ThreeTables(dir);
    WriteFile(dir, "damage.sql", "PRAGMA writable_schema=ON;\n" + d.sql + ";\n");
    REQUIRE(Shell("sqlite3 " + db + " < " + dir + "/damage.sql").exit_code == 0);
    std::set<std::string> shell = ShellVerdict(db);
    REQUIRE_FALSE(shell.empty());  // the damage is real
    bool split = false;
    CHECK(OurVerdict(db, split) == shell);
  }
}

TEST_CASE("split checks find damaged pages and pages never used", "[steps][integrity]") {
  SECTION("a table's page overwritten: reported once, with what the whole check said") {
    std::string db = ThreeTables(TempDir());
    Smash(db, (RootPage(db, "t2") - 1) * 4096 + 8, 64);  // its cell pointers
    // The shell's check prints what it found, then stops: "database disk image is malformed".
    std::set<std::string> shell = ShellVerdict(db);
    REQUIRE_FALSE(shell.empty());
    auto checked = CheckCopy(db, false, 1000, {});
    INFO(checked.status().message());
    REQUIRE(checked.ok());
    CHECK(checked.value().split);
    const std::vector<std::string>& ours = checked.value().problems;
    for (const std::string& line : shell) CHECK(std::count(ours.begin(), ours.end(), line) == 1);
    CHECK(std::count(ours.begin(), ours.end(), "database disk image is malformed") == 1);
  }
  SECTION("free pages cut from the freelist: only the whole-file check sees them") {
    std::string db = ThreeTables(TempDir());
    REQUIRE(Shell("sqlite3 " + db +
                  " 'CREATE TABLE gone(x); INSERT INTO gone SELECT "
                  "randomblob(3000) FROM t1 LIMIT 40; DROP TABLE gone'")
                .exit_code == 0);
    REQUIRE(Shell("printf '\\0\\0\\0\\0\\0\\0\\0\\0' | dd of=" + db +
                  " bs=1 seek=32 conv=notrunc status=none")  // no freelist
                .exit_code == 0);
    std::set<std::string> shell = ShellVerdict(db);
    REQUIRE_FALSE(shell.empty());
    CHECK(shell.count("Page 55 is never used") == 1);
    bool split = false;
    CHECK(OurVerdict(db, split) == shell);
    CHECK(split);
  }
}

TEST_CASE("one table outweighing the rest is checked whole", "[steps][integrity]") {
  std::string dir = TempDir();
  std::string db = dir + "/big.db";
  REQUIRE(Shell("sqlite3 " + db +
                " 'CREATE TABLE big(a); CREATE TABLE small(a); CREATE INDEX bi ON big(a); "
                "CREATE INDEX si ON small(a); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                "SELECT i+1 FROM n WHERE i<5000) INSERT INTO big SELECT i FROM n; "
                "INSERT INTO small VALUES(1),(2)'")
              .exit_code == 0);
  auto whole = CheckCopy(db, false, 1000, {});
  REQUIRE(whole.ok());
  CHECK_FALSE(whole.value().split);
  CHECK(whole.value().problems.empty());
  CHECK(whole.value().info.tables.at("big").as_int() == 5000);
  CHECK(whole.value().info.tables.at("small").as_int() == 2);
  REQUIRE(Shell("sqlite3 " + db +
                " \"INSERT INTO small VALUES(1); PRAGMA writable_schema=ON; UPDATE "
                "sqlite_master SET sql='CREATE UNIQUE INDEX si ON small(a)' WHERE name='si'\"")
              .exit_code == 0);
  bool split = true;
  CHECK(OurVerdict(db, split) == ShellVerdict(db));
  CHECK_FALSE(split);
  // quick never splits, and finds no UNIQUE problem (quick_check's documented gap).
  auto quick = CheckCopy(db, true, 1000, {});
  REQUIRE(quick.ok());
  CHECK_FALSE(quick.value().split);
  CHECK(quick.value().problems.empty());
}

TEST_CASE("integrity-check fails a damaged copy found by the split check", "[steps][integrity]") {
  std::string dir = TempDir();
  std::string db = ThreeTables(dir);
  REQUIRE(Shell("sqlite3 " + db +
                " \"PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql='CREATE INDEX t1_i "
                "ON t1(b)' WHERE name='t1_i'\"")
              .exit_code == 0);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: ic\nsteps:\n  - id: c\n    uses: integrity-check\n    with:\n"
            "      source: app.db\n      workspace: ws/copy.db\n");
  Command run = Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out + run.err, Catch::Contains("missing from index t1_i"));
}

TEST_CASE("restore's quick_check sees a CHECK constraint broken in the copy",
          "[steps][integrity][restore]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && mkdir live && sqlite3 live/app.db 'CREATE TABLE keep(x)' && " +
                "sqlite3 src.db \"CREATE TABLE t(a, b); INSERT INTO t VALUES(1, 7); PRAGMA " +
                "writable_schema=ON; UPDATE sqlite_master SET sql='CREATE TABLE t(a, b " +
                "CHECK(b<6))' WHERE name='t'\"")
              .exit_code == 0);
  std::string before = Shell("sha256sum " + dir + "/live/app.db").out;
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: r\nsteps:\n  - id: r\n    uses: restore\n    with:\n"
            "      source: src.db\n      target: live/app.db\n      force: true\n");
  Command run = Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db");
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.out + run.err,
             Catch::Contains("quick_check failed on the restored copy: CHECK constraint failed "
                             "in t"));
  CHECK(Shell("sha256sum " + dir + "/live/app.db").out == before);
}
