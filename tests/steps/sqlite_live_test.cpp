// backup and integrity-check of a database that is in use: a writer that keeps committing
// (the copy is one read transaction's snapshot, done in bounded time), a lock held past the
// step's timeout or a Ctrl-C (the copy stops at once, leaving nothing), and paths that SQLite
// would take for special names (`:memory:`, `file:...?mode=memory`) opened as files.
#include <catch2/catch.hpp>
#include <chrono>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs `steps` in a site with a dumps folder; `took`: its duration in seconds. With
// `interrupt`, SIGINT reaches the run after one second and "rc=N" is its exit status.
Command TimedRun(const Site& s, const std::string& steps, double& took, bool interrupt = false) {
  Shell("mkdir -p " + s.Path("dumps"));
  WriteFile(s.dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
  std::string run = Rb("run rb.yaml --audit-db " + s.db);
  if (interrupt) run = "{ " + run + " & p=$!; sleep 1; kill -INT $p; wait $p; echo rc=$?; }";
  auto start = std::chrono::steady_clock::now();
  Command c = Shell("cd " + s.dir + " && " + run);
  took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c;
}

// A ~24 MB WAL database and a writer committing a row every 20 ms for `seconds`; its pid
// is in writer.pid.
void BusyWriter(const Site& s, int seconds) {
  s.Sql("big.sqlite",
        "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<6000) "
        "INSERT INTO t(b) SELECT randomblob(4000) FROM n;");
  std::string py =
      "import sqlite3, time; c = sqlite3.connect('big.sqlite'); end = time.time() + " +
      std::to_string(seconds) +
      "\nwhile time.time() < end:\n c.execute('INSERT INTO t(b) VALUES(randomblob(100))')\n "
      "c.commit()\n time.sleep(0.02)\n";
  WriteFile(s.dir, "writer.py", py);
  REQUIRE(
      Shell("cd " + s.dir + " && (setsid python3 writer.py & echo $! > writer.pid) && sleep 0.5")
          .exit_code == 0);
}

bool WriterAlive(const Site& s) {
  return Shell("kill -0 $(cat " + s.Path("writer.pid") + ")").exit_code == 0;
}

// A rollback-journal database locked exclusively by another process for `seconds`.
void Locked(const Site& s, int seconds) {
  s.Sql("app.sqlite",
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);"
        "INSERT INTO users(email) VALUES('a@x');");
  std::string py =
      "import sqlite3, time; c = sqlite3.connect('app.sqlite', isolation_level=None)"
      "; c.execute('BEGIN EXCLUSIVE'); open('locked', 'w').close(); time.sleep(" +
      std::to_string(seconds) + ")";
  REQUIRE(Shell("cd " + s.dir + " && (setsid python3 -c \"" + py +
                "\" &) && for i in $(seq 50); do test -e locked && break; sleep 0.1; done; test -e "
                "locked")
              .exit_code == 0);
}

}  // namespace

TEST_CASE("backup and integrity-check finish while a writer keeps committing",
          "[steps][backup][integrity][sqlite-live]") {
  Site s;
  BusyWriter(s, 15);
  double took = 0;
  Command c = TimedRun(
      s,
      "  - {id: b, uses: backup, with: {database: big.sqlite, dest: dumps, name: big}}\n"
      "  - {id: c, uses: integrity-check, with: {source: big.sqlite, workspace: ws.sqlite}}\n"
      "  - {id: out, uses: exec, needs: [b, c], with: {run: [echo, "
      "'ROWS=${{ steps.c.outputs.rows.t }}']}}\n",
      took);
  bool alive = WriterAlive(s);
  Shell("kill $(cat " + s.Path("writer.pid") + ")");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(alive);  // both copies were done while the writer still committed
  CHECK(took < 10);
  CHECK((c.out + c.err).find("ROWS=60") !=
        std::string::npos);  // 6000 rows and those committed since
}

TEST_CASE("a backup waiting for a lock stops at the step's timeout, leaving nothing",
          "[steps][backup][sqlite-live]") {
  Site s;
  Locked(s, 8);
  double took = 0;
  Command c = TimedRun(s,
                       "  - {id: b, uses: backup, timeout: 1s, with: {database: app.sqlite, "
                       "dest: dumps, name: app, busy_timeout: 30s}}\n",
                       took);
  INFO(c.out << c.err);
  CHECK(c.exit_code != 0);
  CHECK((c.out + c.err).find("timeout") != std::string::npos);
  CHECK(took < 4);
  CHECK(Shell("ls -A " + s.Path("dumps")).out == "");
}

TEST_CASE("Ctrl-C stops an integrity-check waiting for a lock, leaving nothing",
          "[steps][integrity][sqlite-live]") {
  Site s;
  Locked(s, 8);
  double took = 0;
  Command c = TimedRun(s,
                       "  - {id: c, uses: integrity-check, with: {source: app.sqlite, "
                       "workspace: tmp/ws.sqlite}}\n",
                       took, true);
  INFO(c.out << c.err);
  CHECK((c.out + c.err).find("rc=0") == std::string::npos);
  CHECK(took < 3.5);
  CHECK(Shell("ls -A " + s.Path("tmp")).out == "");
}

TEST_CASE("database paths that look like SQLite special names are opened as files",
          "[steps][backup][integrity][sqlite-live]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("dumps") + " && cd " + s.dir +
        " && cp app.sqlite ':memory:' && cp app.sqlite 'file:x?mode=memory' && cp app.sqlite "
        "'file:y.sqlite'");
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: ':memory:', dest: dumps, name: m}}\n"
      "  - {id: c, uses: integrity-check, with: {source: 'file:x?mode=memory', workspace: "
      "ws.sqlite}}\n"
      "  - {id: d, uses: integrity-check, with: {source: 'file:y.sqlite', workspace: "
      "ws2.sqlite}}\n"
      "  - {id: out, uses: exec, needs: [b, c, d], with: {run: [echo, "
      "'C=${{ steps.c.outputs.rows.users }} D=${{ steps.d.outputs.rows.users }}']}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK((c.out + c.err).find("C=2000 D=2000") != std::string::npos);
  CHECK(ReadFile(s.Path("dumps/m.sqlite.gz.meta.json")).find("\"users\": 2000") !=
        std::string::npos);
}

TEST_CASE("a restore refused because the database is in use leaves nothing beside it",
          "[steps][restore][sqlite-live]") {
  Site s;
  s.MakeDb();
  std::string py =
      "import sqlite3, time; c = sqlite3.connect('live/app.sqlite', isolation_level=None); "
      "c.execute('PRAGMA wal_autocheckpoint=0'); c.execute(\\\"INSERT INTO users(email) "
      "VALUES('held')\\\"); open('held', 'w').close(); time.sleep(8)";
  REQUIRE(Shell("cd " + s.dir + " && mkdir live && cp app.sqlite live/ && (setsid python3 -c \"" +
                py + "\" & echo $! > holder.pid) && for i in $(seq 50); do test -e held && " +
                "break; sleep 0.1; done; test -e held")
              .exit_code == 0);
  std::string before = Shell("ls -A " + s.Path("live")).out;
  Command c = s.Run(
      "  - {id: r, uses: restore, with: {source: app.sqlite, target: "
      "live/app.sqlite, force: true}}\n");
  Shell("kill $(cat " + s.Path("holder.pid") + ")");
  INFO(c.out << c.err);
  CHECK(c.exit_code != 0);
  CHECK((c.out + c.err).find("in use") != std::string::npos);
  CHECK(before == "app.sqlite\napp.sqlite-shm\napp.sqlite-wal\n");
  CHECK(Shell("ls -A " + s.Path("live")).out == before);
}

TEST_CASE("restore writes its env_file through a scratch name and removes killed runs' ones",
          "[steps][restore][sqlite-live]") {
  Site s;
  s.MakeDb();
  std::string dead = ".app.env.tmp-4999999-0123456789abcdef";  // beyond pid_max: no process
  Shell("mkdir -p " + s.Path("conf") + " && touch " + s.Path("conf/" + dead));
  Command c = s.Run(
      "  - {id: r, uses: restore, with: {source: app.sqlite, target: "
      "live/app.sqlite, force: true, env_file: conf/app.env}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(Shell("ls -A " + s.Path("conf")).out == "app.env\n");
}

TEST_CASE("steps remove only the scratch files of what they write themselves",
          "[steps][backup][integrity][sqlite-live]") {
  Site s;
  s.MakeDb();
  std::string other = ".unrelated.txt.tmp-4999999-0123456789abcdef";  // no such pid
  std::string mine = ".app.sqlite.gz.tmp-4999999-0123456789abcdef";
  Shell("mkdir -p " + s.Path("dumps") + " " + s.Path("tmp") + " && touch " +
        s.Path("dumps/" + other) + " " + s.Path("dumps/" + mine) + " " + s.Path("tmp/" + other));
  Command c = s.Run(
      "  - {id: b, uses: backup, with: {database: app.sqlite, dest: dumps, name: app}}\n"
      "  - {id: c, uses: integrity-check, with: {source: app.sqlite, workspace: tmp/ws.sqlite}}\n");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(Shell("LC_ALL=C ls -A " + s.Path("dumps")).out ==
        other + "\napp.sqlite.gz\napp.sqlite.gz.meta.json\n");
  CHECK(Shell("ls -A " + s.Path("tmp")).out == other + "\n");
}

TEST_CASE("a restore run again after its switch reports the kept old database as previous",
          "[steps][restore][sqlite-live]") {
  Site s;
  s.MakeDb();
  Shell("mkdir -p " + s.Path("live") + " && cp " + s.Path("app.sqlite") + " " +
        s.Path("live/app.sqlite"));
  s.Sql("live/app.sqlite", "CREATE TABLE old(x)");  // the old database differs from the dump
  std::string steps =
      "  - {id: r, uses: restore, with: {source: app.sqlite, target: live/app.sqlite, force: "
      "true}}\n  - {id: out, uses: exec, needs: [r], with: {run: [echo, "
      "'PREV=${{ steps.r.outputs.previous }}']}}\n";
  for (int run = 1; run <= 2; ++run) {  // the second is what a resume after the switch does
    INFO("run " << run);
    Command c = s.Run(steps);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK((c.out + c.err).find("PREV=" + s.Path("live/app.sqlite.before-restore") + "\n") !=
          std::string::npos);
  }
  CHECK(Shell("LC_ALL=C ls -A " + s.Path("live")).out == "app.sqlite\napp.sqlite.before-restore\n");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite.before-restore") +
              " \"SELECT count(*) FROM sqlite_master WHERE name='old'\"")
            .out == "1\n");
}
