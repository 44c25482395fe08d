// integrity-check and restore read a database-file source through SQLite (rows still only
// in its -wal count), and compare a dump with its manifest (tables and row counts).
#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Commits `rows` orders in WAL mode and dies without closing (no checkpoint): the rows are
// only in app.sqlite-wal. With `hold_s`, the writer stays alive that long instead.
void WalOnlyRows(const Site& s, int rows, int hold_s = 0) {
  std::string py =
      "import sqlite3, os, time; c = sqlite3.connect('app.sqlite'); "
      "c.execute('PRAGMA wal_autocheckpoint=0'); "
      "c.executemany('INSERT INTO orders(user_id) VALUES(1)', [()] * " +
      std::to_string(rows) + "); c.commit(); " +
      (hold_s ? "print(os.getpid(), flush=True); time.sleep(" + std::to_string(hold_s) + "); "
              : "") +
      "os._exit(0)";
  std::string cmd = "cd " + s.dir + " && python3 -c \"" + py + "\"";
  // The writer prints its pid once it committed: waited for, not a fixed second (under load
  // python took longer, and the -wal was still empty).
  if (hold_s)
    cmd = "(" + cmd + " > " + s.Path("writer.out") + " &) ; for i in $(seq 200); do test -s " +
          s.Path("writer.out") + " && exit 0; sleep 0.05; done; exit 1";
  REQUIRE(Shell(cmd).exit_code == 0);
  REQUIRE(Shell("test -s " + s.Path("app.sqlite-wal")).exit_code == 0);
  // Read from the main file alone, the orders are not there.
  REQUIRE(Shell("cd " + s.dir +
                " && cp app.sqlite main-only.sqlite && sqlite3 main-only.sqlite "
                "'SELECT count(*) FROM orders'")
              .out == "0\n");
}

std::string Sums(const Site& s) {
  return Shell("cd " + s.dir + " && sha256sum app.sqlite app.sqlite-wal").out;
}

void SetManifest(const std::string& gz, const std::string& tables_json) {
  REQUIRE(Shell("python3 -c \"import json; p='" + gz +
                ".meta.json'; m=json.load(open(p)); m['tables']=" + tables_json +
                "; json.dump(m, open(p, 'w'))\"")
              .exit_code == 0);
}

const char* kCheckAndRestore =
    "  - {id: c, uses: integrity-check, with: {source: app.sqlite, workspace: tmp/ws.sqlite}}\n"
    "  - {id: r, uses: restore, needs: [c], with: {source: app.sqlite, target: "
    "live/app.sqlite}}\n"
    "  - {id: out, uses: exec, needs: [r], with: {run: [echo, "
    "'ORDERS=${{ steps.c.outputs.rows.orders }} V=${{ steps.c.outputs.integrity }}']}}\n";

}  // namespace

TEST_CASE("integrity-check and restore of a live WAL database read the rows in its -wal",
          "[steps][integrity][restore][sqlite-source]") {
  Site s;
  s.MakeDb();
  WalOnlyRows(s, 100);
  std::string before = Sums(s);
  Command c = s.Run(kCheckAndRestore);
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("integrity ok: no manifest to compare (2 tables") != std::string::npos);
  CHECK(c.err.find("ORDERS=100 V=ok: no manifest to compare (2 tables, 2100 rows)") !=
        std::string::npos);
  CHECK(c.err.find("source verified by step 'c'") != std::string::npos);
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM orders'").out ==
        "100\n");
  CHECK(Sums(s) == before);  // read-only: the source's files are as they were
  CHECK(Shell("ls -A " + s.Path("tmp") + " " + s.Path("live")).out.find(".tmp-") ==
        std::string::npos);
}

TEST_CASE("integrity-check and restore of a WAL database whose writer is still running",
          "[steps][integrity][restore][sqlite-source]") {
  Site s;
  s.MakeDb();
  WalOnlyRows(s, 37, 8);
  Command c = s.Run(kCheckAndRestore);
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("ORDERS=37 ") != std::string::npos);
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM orders'").out ==
        "37\n");
  Shell("kill $(cat " + s.Path("writer.out") + ")");  // the writer, by its pid
}

TEST_CASE("an empty database against a manifest of 100 orders fails, naming the table",
          "[steps][integrity][restore][manifest]") {
  Site s;
  s.Sql("empty.sqlite", "PRAGMA user_version=1;");
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("live"));
  REQUIRE(s.Run("  - {id: b, uses: backup, with: {database: empty.sqlite, dest: dumps, name: "
                "app}}\n")
              .exit_code == 0);
  std::string gz = s.Path("dumps/app.sqlite.gz");
  SetManifest(gz, "{'orders': 100}");
  Command c = s.Run(
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "tmp/ws.sqlite}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("table 'orders' of the manifest (100 rows) is missing from the copy") !=
        std::string::npos);
  CHECK(c.err.find("100 %") == std::string::npos);
  s.MakeDb("live/app.sqlite");
  std::string live = Shell("sha256sum " + s.Path("live/app.sqlite")).out;
  Command r = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("untouched: the copy does not match the manifest: table 'orders'") !=
        std::string::npos);
  CHECK(Shell("sha256sum " + s.Path("live/app.sqlite")).out == live);
}

TEST_CASE("a row count or a table that differs from the manifest fails, a match says 100 %",
          "[steps][integrity][manifest]") {
  Site s;
  std::string gz = s.UnsignedDump();
  const char* check =
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "tmp/ws.sqlite}}\n"
      "  - {id: out, uses: exec, needs: [c], with: {run: [echo, "
      "'V=${{ steps.c.outputs.integrity }} M=${{ steps.c.outputs.manifest }}']}}\n";
  Command ok = s.Run(check);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("V=ok: 100 % (2 tables, 2000 rows) M=matched") != std::string::npos);
  SECTION("a row count") {
    SetManifest(gz, "{'users': 1999, 'orders': 0}");
    Command c = s.Run(check);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("table 'users' has 2000 rows; the manifest says 1999") != std::string::npos);
  }
  SECTION("a table the manifest does not know") {
    SetManifest(gz, "{'users': 2000}");
    Command c = s.Run(check);
    CHECK(c.exit_code == 1);
    CHECK(c.err.find("table 'orders' (0 rows) is not in the manifest") != std::string::npos);
  }
  SECTION("no metadata at all: ok, and the verdict says there was nothing to compare") {
    Shell("rm " + gz + ".meta.json");
    Command c = s.Run(check);
    CHECK(c.exit_code == 0);
    CHECK(c.err.find("V=ok: no manifest to compare (2 tables, 2000 rows) M=none") !=
          std::string::npos);
  }
}

TEST_CASE("a hash of a database file's main file does not vouch for rows in its -wal",
          "[steps][restore][sqlite-source]") {
  Site s;
  s.MakeDb();
  std::string sha = Shell("sha256sum " + s.Path("app.sqlite") + " | cut -c1-64").out;
  sha.pop_back();
  // Rows committed into the -wal after the main file was verified: its bytes are unchanged.
  WalOnlyRows(s, 100);
  REQUIRE(Shell("sha256sum " + s.Path("app.sqlite") + " | cut -c1-64").out == sha + "\n");
  Command c =
      s.Run("  - {id: v, uses: hash, with: {files: [app.sqlite], verify: none, expected: '" + sha +
            "', inventory: ''}}\n"
            "  - {id: r, uses: restore, needs: [v], with: {source: app.sqlite, target: "
            "live/app.sqlite}}\n");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("refusing to restore") != std::string::npos);
  CHECK(Shell("test -e " + s.Path("live/app.sqlite")).exit_code != 0);
}
