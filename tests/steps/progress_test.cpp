// Every step that moves or reads data reports progress (issue 14 #5): the real steps, run
// in-process on real files, a real SQLite database and a real S3 server (s3rver), recorded
// as the observers get it. Each phase ends at its total; `done` never goes back within a
// phase; the meter bounds how often it reports. Through the real binary: off a terminal at
// most one line per RUNBOOK_PROGRESS_INTERVAL, none for a quick step by default; on a
// terminal (tmux) the live block shows done of total and percent.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "support/s3rver.h"
#include "support/support.h"
#include "support/tmux.h"

using namespace runbook;
using namespace runbook::test;

namespace {

struct Phase {
  uint64_t reports = 0;
  StepProgress last;
  bool went_back = false;
};

// The phases of step `id`, in order of their first report.
std::vector<std::pair<std::string, Phase>> PhasesOf(const Ran& ran, const std::string& id) {
  std::vector<std::pair<std::string, Phase>> out;
  for (const auto& [step, p] : ran.recorded.progress) {
    if (step != id) continue;
    if (out.empty() || out.back().first != p.phase) out.push_back({p.phase, Phase{}});
    Phase& ph = out.back().second;
    if (ph.reports > 0 && (p.done < ph.last.done || p.items_done < ph.last.items_done))
      ph.went_back = true;
    ++ph.reports;
    ph.last = p;
  }
  return out;
}

std::string Sqlite(const std::string& db, const std::string& sql) {
  Command c = Shell("sqlite3 " + db + " \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
  return c.out;
}

// A database of about `mib` MiB of random (incompressible) rows.
// A shell prefix: in `dir`, a writer takes an exclusive lock on `db` (and inserts a row) for
// 3 s; what follows runs once it holds it, with progress every 500 ms.
std::string WhileLocked(const std::string& dir, const std::string& db) {
  WriteFile(dir, "lock.py",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('begin exclusive'); c.execute('insert into blobs(b) values (1)')\n"
            "print('locked', flush=True); time.sleep(3); c.execute('commit')\n");
  return "cd " + dir + " && (python3 lock.py " + db +
         " > lk.out &) && for i in $(seq 100); do grep -q locked lk.out 2>/dev/null && break; "
         "sleep 0.05; done; RUNBOOK_PROGRESS_INTERVAL=500ms ";
}

void BigDb(const std::string& path, int mib) {
  Sqlite(path,
         "CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB); WITH RECURSIVE n(i) AS "
         "(SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<" +
             std::to_string(mib * 256) + ") INSERT INTO blobs(b) SELECT randomblob(4000) FROM n;");
}

uint64_t SizeOf(const std::string& path) { return std::stoull(Shell("stat -c %s " + path).out); }

}  // namespace

TEST_CASE("backup, integrity-check and restore report each phase up to its total",
          "[steps][progress]") {
  std::string dir = TempDir();
  BigDb(dir + "/app.sqlite", 8);
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: p\nsteps:\n"
      "  - {id: b, uses: backup, with: {database: " +
          dir + "/app.sqlite, dest: " + dir +
          "/dumps, name: app}}\n"
          "  - {id: ic, uses: integrity-check, needs: [b], with: {source: " +
          dir + "/dumps/app.sqlite.gz, workspace: " + dir +
          "/ws/copy.sqlite}}\n"
          "  - {id: r, uses: restore, needs: [ic], with: {source: " +
          dir + "/dumps/app.sqlite.gz, target: " + dir + "/live/app.sqlite}}\n",
      rb);
  REQUIRE(ran.result.status == "success");
  uint64_t db = SizeOf(dir + "/app.sqlite"), gz = SizeOf(dir + "/dumps/app.sqlite.gz");

  // One phase: the snapshot is read and compressed in one pass (issue 15), page for page.
  auto b = PhasesOf(ran, "b");
  REQUIRE(b.size() == 1);
  CHECK(b[0].first == "copying the database");
  CHECK(b[0].second.last.total == db);
  CHECK(b[0].second.last.done == db);
  for (const auto& [name, ph] : b) CHECK_FALSE(ph.went_back);

  auto ic = PhasesOf(ran, "ic");
  REQUIRE(ic.size() >= 2);
  CHECK(ic[0].first == "decompressing");
  CHECK(ic[0].second.last.done == gz);
  CHECK(ic[0].second.last.total == gz);
  CHECK(ic[1].first == "integrity check");
  CHECK_FALSE(ic[1].second.last.total);  // PRAGMA integrity_check tells no total

  auto r = PhasesOf(ran, "r");
  REQUIRE_FALSE(r.empty());
  CHECK(r[0].first == "decompressing");
  CHECK(r[0].second.last.done == gz);
  // A few MiB in 1 MiB chunks and 1024-page batches: bounded, not one report per chunk.
  for (const auto& [name, ph] : b) CHECK(ph.reports <= 8);
}

TEST_CASE("hash and archive count files and bytes, from several threads", "[steps][progress]") {
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir -p " + dir + "/f && cd " + dir +
                "/f && for i in $(seq 1 120); do head -c $((i * 1000)) /dev/urandom > f$i.bin; "
                "done")
              .exit_code == 0);
  uint64_t total = 0;
  for (int i = 1; i <= 120; ++i) total += static_cast<uint64_t>(i) * 1000;
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: p\nsteps:\n"
      "  - {id: h, uses: hash, with: {files: ['" +
          dir +
          "/f/*.bin'], verify: none, parallel: 4, inventory: ''}}\n"
          "  - {id: a, uses: archive, with: {files: ['" +
          dir + "/f/*.bin'], output: " + dir + "/out/all.zip}}\n",
      rb);
  REQUIRE(ran.result.status == "success");
  for (const char* id : {"h", "a"}) {
    auto phases = PhasesOf(ran, id);
    REQUIRE(phases.size() == 1);
    const Phase& ph = phases[0].second;
    CHECK_FALSE(ph.went_back);
    CHECK(ph.last.total == total);
    CHECK(ph.last.items_total == 120);
    CHECK(ph.last.items_done == 120);
    CHECK(ph.last.done == total);
    // 120 files, 240 calls: the meter sends the first, the last and a few between.
    CHECK(ph.reports < 20);
  }
  CHECK(PhasesOf(ran, "h")[0].first == "hashing");
  CHECK(PhasesOf(ran, "h")[0].second.last.items_noun == "files");
  CHECK(PhasesOf(ran, "a")[0].first == "packing");
  CHECK(PhasesOf(ran, "a")[0].second.last.items_noun == "members");
}

TEST_CASE("s3-sync counts objects and bytes up and down", "[steps][progress][s3]") {
  S3rver server("backups");
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir -p " + dir + "/src && cd " + dir +
                "/src && for i in $(seq 1 40); do head -c 3000 /dev/urandom > o$i; done")
              .exit_code == 0);
  auto run = [&](const std::string& from, const std::string& to) {
    std::unique_ptr<Runbook> rb;
    Ran ran = RunText("version: 1\nname: p\nsteps:\n  - {id: s, uses: s3-sync, with: {source: '" +
                          from + "', dest: '" + to + "', endpoint: '" + server.endpoint() +
                          "', access_key: S3RVER, secret_key: S3RVER, inventory: ''}}\n",
                      rb);
    REQUIRE(ran.result.status == "success");
    auto phases = PhasesOf(ran, "s");
    REQUIRE(phases.size() == 1);
    return phases[0];
  };
  auto up = run(dir + "/src", "s3://backups/daily");
  CHECK(up.first == "uploading");
  CHECK(up.second.last.items_noun == "objects");
  CHECK(up.second.last.items_done == 40);
  CHECK(up.second.last.items_total == 40);
  CHECK(up.second.last.done == 40 * 3000);
  CHECK(up.second.last.total == 40u * 3000);
  CHECK_FALSE(up.second.went_back);
  auto down = run("s3://backups/daily", dir + "/back");
  CHECK(down.first == "downloading");
  CHECK(down.second.last.done == 40 * 3000);
  // Every upload fails (s3rver never confirms encryption): none counts as done (breakK K21).
  Shell("cd " + dir + "/src && for i in $(seq 1 5); do echo new$i > n$i; done");
  std::unique_ptr<Runbook> rb;
  Ran failing =
      RunText("version: 1\nname: p\nsteps:\n  - {id: s, uses: s3-sync, with: {source: '" + dir +
                  "/src', dest: 's3://backups/daily', endpoint: '" + server.endpoint() +
                  "', access_key: S3RVER, secret_key: S3RVER, inventory: '', require_encryption: "
                  "true}}\n",
              rb);
  CHECK(failing.result.status == "failure");
  auto phases = PhasesOf(failing, "s");
  REQUIRE(phases.size() == 1);
  CHECK(phases[0].second.last.items_total == 5);
  CHECK(phases[0].second.last.items_done == 0);  // the bytes were sent; no object is done
}

TEST_CASE("s3-sync shows progress within one large object, single and multipart",
          "[steps][progress][s3]") {
  S3rver server("backups");
  std::string dir = TempDir();
  REQUIRE(
      Shell("mkdir -p " + dir + "/src && head -c 50331648 /dev/urandom > " + dir + "/src/big.gz")
          .exit_code == 0);
  for (const char* threshold : {"1GiB", "8MiB"}) {  // one PUT; 6 parts of 8 MiB
    CAPTURE(threshold);
    std::string prefix = std::string("s3://backups/") + (threshold[0] == '1' ? "one" : "parts");
    auto run = [&](const std::string& from, const std::string& to) {
      std::unique_ptr<Runbook> rb;
      Ran ran = RunText(
          "version: 1\nname: p\nsteps:\n  - {id: s, uses: s3-sync, with: {source: '" + from +
              "', dest: '" + to + "', endpoint: '" + server.endpoint() +
              "', access_key: S3RVER, secret_key: S3RVER, inventory: '', multipart_threshold: " +
              threshold + "}}\n",
          rb);
      REQUIRE(ran.result.status == "success");
      // Reports between nothing and all of the one object: progress within it.
      int within = 0;
      for (const auto& [step, p] : ran.recorded.progress)
        if (p.done > 0 && p.done < 50331648u && p.items_done == 0) ++within;
      auto phases = PhasesOf(ran, "s");
      REQUIRE(phases.size() == 1);
      CHECK(phases[0].second.last.done == 50331648u);
      CHECK(phases[0].second.last.items_done == 1);
      CHECK_FALSE(phases[0].second.went_back);
      return within;
    };
    CHECK(run(dir + "/src", prefix) > 0);
    // Downloads from s3rver on loopback end within one report interval (250 ms), so only
    // their totals are checked here; S3Client's byte reports: tests/steps/s3_protocol_test.
    run(prefix, dir + "/back-" + prefix.substr(15));
  }
}

TEST_CASE("off a terminal, progress is one line per interval and none for a quick step",
          "[steps][progress][cli]") {
  std::string dir = TempDir();
  BigDb(dir + "/app.sqlite", 48);
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {database: app.sqlite, "
            "dest: dumps, level: 9}}\n");
  // Every 50 ms: several lines, each naming the step, the phase, done of total and percent.
  Command often = Shell("cd " + dir + " && RUNBOOK_PROGRESS_INTERVAL=50ms " + Binary() +
                        " run b.yaml --audit-db a.db 2>&1");
  REQUIRE(often.exit_code == 0);
  CHECK_THAT(often.out,
             Catch::Matches("(.|\n)*b \\| (copying the database|compressing) [0-9.]+ [KMG]?i?B of "
                            "[0-9.]+ MiB \\([0-9]+%\\)(.|\n)*"));
  // The default, 10 s: a backup of a few seconds prints none, and the run reads as before.
  Command quiet =
      Shell("cd " + dir + " && rm -rf dumps && " + Binary() + " run b.yaml --audit-db a.db 2>&1");
  REQUIRE(quiet.exit_code == 0);
  CHECK_THAT(quiet.out, !Catch::Contains("compressing"));
  CHECK_THAT(quiet.out, !Catch::Contains("copying the database"));
  // Not a duration: a warning, and the default.
  Command bad = Shell("cd " + dir + " && rm -rf dumps && RUNBOOK_PROGRESS_INTERVAL=soon " +
                      Binary() + " run b.yaml --audit-db a.db 2>&1");
  CHECK(bad.exit_code == 0);
  CHECK_THAT(bad.out, Catch::Contains("warning: RUNBOOK_PROGRESS_INTERVAL='soon' is not a "
                                      "duration"));
}

TEST_CASE("on a terminal the live block shows done of total and the rate",
          "[steps][progress][tty]") {
  std::string dir = TempDir();
  // The rate needs a second of one phase (RateWindow) and a repaint after it: 192 MiB is
  // about 4 s here, so a machine twice as fast still shows it for a second (CI once missed it
  // with 96 MiB).
  BigDb(dir + "/app.sqlite", 192);
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {database: app.sqlite, "
            "dest: dumps, level: 12}}\n");
  Tmux term("cd " + dir + " && TERM=xterm NO_COLOR=1 " + Binary() + " run b.yaml --audit-db a.db");
  bool percent = false, rate = false;
  for (int i = 0; i < 600 && !(percent && rate); ++i) {
    std::string screen = term.Screen();
    if (screen.find("__END__") != std::string::npos) break;
    for (const char* phase : {"copying the database ", "compressing "}) {
      size_t at = screen.find(std::string("... b (backup)"));
      if (at == std::string::npos || screen.find(phase, at) == std::string::npos) continue;
      std::string line = screen.substr(at, screen.find('\n', at) - at);
      percent = percent || line.find("%)") != std::string::npos;
      rate = rate || (line.find("/s, about ") != std::string::npos &&
                      line.find(" left") != std::string::npos);
    }
    usleep(50 * 1000);
  }
  CHECK(percent);
  CHECK(rate);
  int code = -1;
  std::string end = term.ScreenAtEnd(code);
  CHECK(code == 0);
  CHECK_THAT(end, !Catch::Contains("%)"));  // the live block is gone once the step ends
}

TEST_CASE("a WAL database's copy counts its pages, not its main file (breakK K1)",
          "[steps][progress]") {
  std::string dir = TempDir();
  // 24 MiB of rows only in the -wal, held there by an open connection.
  WriteFile(dir, "hold.py",
            "import sqlite3, os, time\n"
            "c = sqlite3.connect('" +
                dir +
                "/wal.db')\n"
                "c.execute('pragma journal_mode=wal'); c.execute('pragma wal_autocheckpoint=0')\n"
                "c.execute('create table t(x)'); c.commit()\n"
                "for i in range(24): c.execute('insert into t values(?)', (os.urandom(1 << 20),))\n"
                "c.commit(); open('" +
                dir + "/ready', 'w').close(); time.sleep(30)\n");
  REQUIRE(Shell("cd " + dir + " && (python3 " + dir +
                "/hold.py > /dev/null 2>&1 &) && "
                "for i in $(seq 100); "
                "do test -e ready && break; sleep 0.1; done; test -e ready")
              .exit_code == 0);
  REQUIRE(SizeOf(dir + "/wal.db") < (1u << 20));
  std::unique_ptr<Runbook> rb;
  Ran ran =
      RunText("version: 1\nname: p\nsteps:\n  - {id: b, uses: backup, with: {database: " + dir +
                  "/wal.db, dest: " + dir + "/dumps, name: w}}\n",
              rb);
  Shell("pkill -f " + dir + "/hold.py");
  REQUIRE(ran.result.status == "success");
  auto b = PhasesOf(ran, "b");
  REQUIRE_FALSE(b.empty());
  CHECK(b[0].first == "copying the database");
  CHECK(b[0].second.last.done > (24u << 20));
  CHECK(b[0].second.last.total == b[0].second.last.done);  // the pages, as copied
}

TEST_CASE(
    "a backup that waits for a writer's lock says so, and its rate starts after the wait "
    "(breakK K11)",
    "[steps][progress][cli]") {
  std::string dir = TempDir();
  BigDb(dir + "/app.sqlite", 16);
  Sqlite(dir + "/app.sqlite", "PRAGMA journal_mode=delete;");
  WriteFile(dir, "b.yaml",
            "version: 1\nname: b\nsteps:\n  - {id: b, uses: backup, with: {database: app.sqlite, "
            "dest: dumps, name: app1, level: 1}}\n");
  // A writer holds an exclusive lock for 3 s; the backup starts while it holds it.
  Command run =
      Shell(WhileLocked(dir, "app.sqlite") + Binary() + " run b.yaml --audit-db a.db 2>&1");
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Matches("(.|\n)*b \\| copying the database: waiting [0-9]+s of at "
                                     "most 30s for a lock held by another connection\n(.|\n)*"));
  // No estimate measured across the wait: the copy after it takes well under a minute.
  CHECK_THAT(run.out, !Catch::Matches("(.|\n)*about [0-9]+m(.|\n)*"));
  // Off the lock, the same backup shows no wait.
  Command free = Shell("cd " + dir + " && rm -rf dumps && RUNBOOK_PROGRESS_INTERVAL=50ms " +
                       Binary() + " run b.yaml --audit-db a.db 2>&1");
  CHECK(free.exit_code == 0);
  CHECK_THAT(free.out, Catch::Contains("b | copying the database"));
  CHECK_THAT(free.out, !Catch::Contains("waiting for a lock"));
}

// breakL L20: the restore's switch waited up to 5 s on the live database's lock in silence.
TEST_CASE("a restore whose live database is held says it waits for the lock (breakL L20)",
          "[steps][progress][cli]") {
  std::string dir = TempDir();
  BigDb(dir + "/new.sqlite", 1);
  BigDb(dir + "/live.sqlite", 1);
  Sqlite(dir + "/live.sqlite", "PRAGMA journal_mode=wal;");
  WriteFile(dir, "r.yaml",
            "version: 1\nname: r\nsteps:\n  - {id: r, uses: restore, with: {source: new.sqlite, "
            "target: live.sqlite, force: true}}\n");
  // A writer holds the live database (WAL mode, its -wal there) for 3 s.
  Command run =
      Shell(WhileLocked(dir, "live.sqlite") + Binary() + " run r.yaml --audit-db a.db 2>&1");
  INFO(run.out);
  CHECK_THAT(run.out, Catch::Matches("(.|\n)*r \\| making the live database one file: waiting "
                                     "[0-9]+s of at most 5s for a lock held by another "
                                     "connection\n(.|\n)*"));
}
