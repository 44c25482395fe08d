// Crash windows of backup, restore and integrity-check: the real binary is killed at the
// N-th rename (link), fsync or unlink it makes (strace -e inject=...:signal=KILL:when=N),
// for N = 1, 2, ... until a run is not killed. After each kill the live database holds the
// old or the new rows, a published dump has its metadata, and `runbook resume` succeeds
// with nobody deleting anything; after it no scratch file is left.
#include <catch2/catch.hpp>
#include <functional>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// strace counts each system call separately (per thread): the 1st link and the 1st rename
// are both "when=1", so each family gets its own round of kills.
const char* kRenames = "rename,renameat,renameat2";
const char* kLinks = "link,linkat";
// Only fsync: runbook's own. SQLite's fdatasync is counted per thread by strace, and the
// audit store's (on the main thread) would always come first; the restore test kills at
// the fdatasyncs on the live database's files alone (-P).
const char* kSyncs = "fsync";
const char* kUnlinks = "unlink,unlinkat";

// The newest run's id and status ("" when the kill came before it was recorded).
std::pair<std::string, std::string> LastRun(const Site& s) {
  Command c = Shell(Rb("history --audit-db " + s.db + " --limit 1 --format json") +
                    " | python3 -c 'import json,sys; r=json.load(sys.stdin); "
                    "print(r[0][\"run_id\"], r[0][\"status\"]) if r else print()'");
  size_t space = c.out.find(' ');
  if (space == std::string::npos) return {"", ""};
  return {c.out.substr(0, space), c.out.substr(space + 1, c.out.size() - space - 2)};
}

// Resumes the killed run (or runs again when it was never recorded): must succeed.
void Recover(const Site& s) {
  auto [id, status] = LastRun(s);
  Command c = id.empty() || status == "success"
                  ? Shell("cd " + s.dir + " && " + Rb("run rb.yaml --audit-db " + s.db))
                  : Shell("cd " + s.dir + " && " + Rb("resume " + id + " --audit-db " + s.db));
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
}

// Names of scratch files (".x.tmp-<pid>-<hex>") left in `dir`.
std::string Debris(const Site& s, const std::string& dir) {
  return Shell("ls -A " + s.Path(dir) + " 2>/dev/null | grep -- '\\.tmp-' ; true").out;
}

// Kills at the 1st, 2nd, ... call of `syscalls` until a run completes. After each kill
// `after_kill` checks what it left, the run is resumed, and `after_recovery` checks again.
// Returns how many kills there were.
struct Checks {
  std::function<void()> setup = [] {};  // before each run: the same start every time
  std::function<void()> after_kill = [] {};
  std::function<void()> after_recovery = [] {};
};

int KillEach(const Site& s, const std::string& syscalls, int max_kills, const Checks& checks,
             const std::string& paths = "") {
  for (int n = 1; n <= max_kills + 1; ++n) {
    checks.setup();
    Command c = Shell("cd " + s.dir + " && " + std::string(kStrace) +
                      " -f -qq -o /dev/null -e trace=" + syscalls + " -e inject=" + syscalls +
                      ":signal=KILL:when=" + std::to_string(n) + " " + paths + " " +
                      Rb("run rb.yaml --audit-db " + s.db));
    INFO("kill at call " << n << " of " << syscalls);
    if (c.exit_code != 128 + 9) {
      INFO(c.err);
      CHECK(c.exit_code == 0);
      checks.after_recovery();
      WARN((n - 1) << " kills at " << syscalls);
      return n - 1;
    }
    checks.after_kill();
    Recover(s);
    checks.after_recovery();
  }
  FAIL("still killed after " << max_kills << " calls of " << syscalls);
  return max_kills;
}

bool StraceWorks() {
  std::string dir = TempDir();
  return Shell("cd " + dir + " && touch a && " + std::string(kStrace) +
               " -f -qq -o /dev/null -e trace=" + kRenames + " -e inject=" + kRenames +
               ":signal=KILL:when=1 mv a b; echo $? ; ls")
             .out == "137\na\n";
}

}  // namespace

TEST_CASE("strace can kill a process at a chosen system call here", "[steps][crash]") {
  REQUIRE(StraceWorks());
}

TEST_CASE("backup killed at each rename, fsync and unlink: dumps complete or rolled back",
          "[steps][backup][crash]") {
  Site s;
  s.MakeDb();
  s.Sql("app.sqlite", "INSERT INTO orders(user_id) VALUES(1),(2);");
  Shell("mkdir -p " + s.Path("dumps"));
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: b, uses: backup, with: {database: "
            "app.sqlite, dest: dumps, keep_last: 2}}\n");
  // Dumps without their metadata (allowed right after a kill, never after a run), and
  // dumps that do not verify against it.
  auto unpublished = [&] {
    return Shell("cd " + s.dir +
                 " && for f in dumps/*.sqlite.gz; do [ -e \"$f\" ] || continue; "
                 "[ -e \"$f.meta.json\" ] || echo \"$f\"; done")
        .out;
  };
  // Right after a kill: the source has its rows, and every published dump (one with its
  // .meta.json) is complete: present, of the sha256 its metadata says.
  auto source_intact = [&] {
    CHECK(Shell("sqlite3 " + s.Path("app.sqlite") + " 'SELECT count(*) FROM orders'").out == "2\n");
    Command bad = Shell("cd " + s.Path("dumps") +
                        " && python3 -c \"import glob, json, hashlib; [print(m) for m in "
                        "glob.glob('*.meta.json') for d in [json.load(open(m))] if "
                        "hashlib.sha256(open(d['file'], 'rb').read()).hexdigest() != "
                        "d['sha256']]\"");
    CHECK(bad.exit_code == 0);  // a published dump that is missing raises
    CHECK(bad.out == "");
  };
  auto recovered = [&] {
    CHECK(unpublished() == "");
    CHECK(Debris(s, "dumps") == "");
    CHECK(Shell("ls -A " + s.Path("dumps") + " | grep -c -- '-wal$\\|-shm$' ; true").out == "0\n");
    CHECK(Shell("cd " + s.dir + " && " + Rb("run v.yaml --audit-db " + s.Path("verify.db")))
              .exit_code == 0);
  };
  WriteFile(s.dir, "v.yaml",
            "version: 1\nname: v\nsteps:\n  - {id: v, uses: hash, with: {files: "
            "['dumps/*.sqlite.gz'], inventory: ''}}\n");
  int kills = 0;
  for (const char* calls : {kRenames, kSyncs, kUnlinks})
    kills += KillEach(s, calls, 60, {[] {}, source_intact, recovered});
  CHECK(kills >= 10);  // 2 renames, 3 fsyncs and a few unlinks in the step alone
  // An explicit name: a kill past the commit point leaves the complete dump under it, and
  // the resume finds the same snapshot there instead of failing with "already exists".
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: b, uses: backup, with: {database: "
            "app.sqlite, dest: dumps, name: fixed}}\n");
  for (const char* calls : {kRenames, kSyncs})
    CHECK(KillEach(s, calls, 20,
                   {[&] { Shell("rm -f " + s.Path("dumps/fixed.*")); }, source_intact, recovered}) >
          0);
  // break22a #5: the backend writes on between the kill and the resume. A dump the killed
  // run published under the name is still the step's result (it was refused as "another
  // snapshot", every resume, until someone deleted it); one it had not published is made anew.
  auto fresh = [&] {
    Shell("rm -f " + s.Path("dumps/fixed.*"));
    s.Sql("app.sqlite", "DELETE FROM orders WHERE user_id = 3;");
  };
  auto writes_on = [&] { s.Sql("app.sqlite", "INSERT INTO orders(user_id) VALUES(3);"); };
  for (const char* calls : {kRenames, kSyncs})
    CHECK(KillEach(s, calls, 20, {fresh, writes_on, recovered}) > 0);
}

TEST_CASE("restore killed at each rename, link, fsync and unlink: the live database keeps its rows",
          "[steps][restore][crash]") {
  Site s;
  s.UnsignedDump();
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: v, uses: hash, with: {files: [dumps/app.sqlite.gz], inventory: ''}}\n"
            "  - {id: r, uses: restore, needs: [v], with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite}}\n");
  Checks checks;
  // The live database in WAL mode, its 5 committed rows only in its -wal.
  checks.setup = [&] {
    REQUIRE(Shell("cd " + s.dir +
                  " && rm -rf live && mkdir live && python3 -c \"import "
                  "sqlite3, os; c = sqlite3.connect('live/app.sqlite'); c.execute('PRAGMA "
                  "journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0'); "
                  "c.execute('CREATE TABLE old(x)'); c.executemany('INSERT INTO old VALUES(1)', "
                  "[()] * 5); c.commit(); os._exit(0)\" && test -s live/app.sqlite-wal")
                .exit_code == 0);
  };
  // Old (5 rows in old) or new (2000 users), never missing, never without its rows.
  auto old_or_new = [&] {
    std::string old =
        Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM old' 2>&1").out;
    std::string users =
        Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM users' 2>&1").out;
    CHECK((old == "5\n" || users == "2000\n"));
  };
  checks.after_kill = old_or_new;
  checks.after_recovery = [&] {
    CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'SELECT count(*) FROM users'").out ==
          "2000\n");
    CHECK(
        Shell("sqlite3 " + s.Path("live/app.sqlite.before-restore") + " 'SELECT count(*) FROM old'")
            .out == "5\n");
    CHECK(Debris(s, "live") == "");
  };
  int kills = 0;
  for (const char* calls : {kRenames, kLinks, kSyncs, kUnlinks})
    kills += KillEach(s, calls, 60, checks);
  CHECK(kills >= 6);
  // The checkpoint of the live database's -wal, at each of its fdatasyncs.
  CHECK(KillEach(s, "fdatasync", 20, checks,
                 "-P " + s.Path("live/app.sqlite") + " -P " + s.Path("live/app.sqlite-wal")) > 0);
}

TEST_CASE("integrity-check killed at each rename, fsync and unlink: the next run recovers",
          "[steps][integrity][crash]") {
  Site s;
  // A dump whose database is marked WAL (as older backups wrote them): checking it makes
  // SQLite create a -wal beside the copy.
  s.MakeDb("wal.sqlite");
  Shell("mkdir -p " + s.Path("dumps") + " && gzip -c " + s.Path("wal.sqlite") + " > " +
        s.Path("dumps/app.sqlite.gz"));
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: c, uses: integrity-check, with: {source: "
            "dumps/app.sqlite.gz, workspace: tmp/ws.sqlite, keep: true}}\n");
  Checks checks;
  checks.after_recovery = [&] {
    CHECK(Debris(s, "tmp") == "");
    CHECK(Shell("ls -A " + s.Path("tmp")).out == "ws.sqlite\nws.sqlite.integrity-check\n");
    CHECK(Shell("sqlite3 " + s.Path("tmp/ws.sqlite") + " 'SELECT count(*) FROM users'").out ==
          "2000\n");
  };
  int kills = 0;
  for (const char* calls : {kRenames, kSyncs, kUnlinks}) kills += KillEach(s, calls, 40, checks);
  CHECK(kills >= 4);
}

TEST_CASE("a restore killed after keeping the live file under a stamped name: the rerun reuses it",
          "[steps][restore][crash]") {
  Site s;
  s.UnsignedDump();
  WriteFile(s.dir, "rb.yaml",
            "version: 1\nname: t\nsteps:\n"
            "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite, force: true}}\n");
  Checks checks;
  // A live WAL database with rows in its -wal, and the copy an earlier restore kept: a new
  // restore keeps the live file as .before-restore-<time>.
  checks.setup = [&] {
    REQUIRE(Shell("cd " + s.dir +
                  " && rm -rf live && mkdir live && sqlite3 live/app.sqlite.before-restore "
                  "'CREATE TABLE earlier(x)' && python3 -c \"import sqlite3, os; c = "
                  "sqlite3.connect('live/app.sqlite'); c.execute('PRAGMA journal_mode=WAL'); "
                  "c.execute('PRAGMA wal_autocheckpoint=0'); c.execute('CREATE TABLE old(x)'); "
                  "c.execute('INSERT INTO old VALUES(1)'); c.commit(); os._exit(0)\"")
                .exit_code == 0);
  };
  checks.after_recovery = [&] {
    // One stamped name for the database it replaced, no second name, no stray -wal link.
    CHECK(Shell("cd " + s.Path("live") + " && ls -A | grep -c '^app.sqlite.before-restore-" +
                "[0-9TZ:.-]*$'")
              .out == "1\n");
    CHECK(Shell("ls -A " + s.Path("live") + " | grep -- '-wal$'; true").out == "");
    CHECK(Debris(s, "live") == "");
  };
  int kills = 0;
  for (const char* calls : {kLinks, kSyncs}) kills += KillEach(s, calls, 30, checks);
  CHECK(kills >= 2);
}
