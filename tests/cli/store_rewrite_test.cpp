// The audit store's file rewritten in place during a run (same inode: `: > audit.db`,
// `cp other.db audit.db`, random bytes) stops the run with exit 3 naming what happened and is
// never checkpointed into (breakG #6); a mistyped --audit-db naming someone's SQLite database
// never gets our tables or journal mode; read-only commands never create a store.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A store with one finished run, then a run whose first step does `rewrite` (sh) and whose
// second step leaves `b-ran`. Returns the second run.
Command RewriteDuringRun(const std::string& dir, const std::string& rewrite) {
  std::string file = WriteFile(dir, "run.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - id: a\n    uses: exec\n    with:\n      shell: true\n"
                               "      run: \"" +
                                   rewrite +
                                   "; sleep 1.5\"\n"
                                   "  - {id: b, needs: [a], uses: exec, with: {run: [touch, " +
                                   dir + "/b-ran]}}\n");
  std::string first = WriteFile(dir, "first.yaml",
                                "version: 1\nname: f\nsteps:\n"
                                "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell(Binary() + " run --audit-db " + dir + "/audit.db " + first).exit_code == 0);
  return Shell(Binary() + " run --audit-db " + dir + "/audit.db " + file);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("a store truncated in place during a run stops it with exit 3", "[cli][store-rewrite]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = RewriteDuringRun(dir, ": > " + db);
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("audit store " + db + " was truncated in place (from "));
  CHECK_THAT(c.err, Catch::Contains(" to 0 bytes) during the run, by another program"));
  CHECK_THAT(c.err, Catch::Contains("is kept aside as " + db + "-wal.rewritten-"));
  CHECK_FALSE(Exists(dir + "/b-ran"));
  // The run's events are in the log kept aside: the step that started is there.
  Command aside = Shell("ls " + db + "-wal.rewritten-* | wc -l");
  CHECK(aside.out == "1\n");
  CHECK_FALSE(Exists(db + "-wal"));
}

TEST_CASE("a store overwritten in place by a smaller or larger SQLite file stops the run",
          "[cli][store-rewrite]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command smaller = RewriteDuringRun(
      dir, kSqliteWaiting + dir + "/o.db 'create table t(x)' && cp " + dir + "/o.db " + db);
  CHECK(smaller.exit_code == 3);
  CHECK_THAT(smaller.err, Catch::Contains("was truncated in place"));
  CHECK_FALSE(Exists(dir + "/b-ran"));

  // Variant: a foreign database larger than the store: same size floor passes, the header's
  // application id does not.
  std::string dir2 = TempDir(), db2 = dir2 + "/audit.db";
  Command larger = RewriteDuringRun(dir2, kSqliteWaiting + dir2 +
                                              "/o.db 'create table t(x); insert into t "
                                              "select zeroblob(1000) from generate_series(1,300)' "
                                              "&& cp " +
                                              dir2 + "/o.db " + db2);
  CHECK(larger.exit_code == 3);
  CHECK_THAT(larger.err, Catch::Contains("was overwritten in place (an SQLite database with page "
                                         "size 4096 and application id 0"));
  CHECK(Shell(kSqliteWaiting + db2 + " 'select count(*) from t'").out == "300\n");
  CHECK_FALSE(Exists(dir2 + "/b-ran"));
}

TEST_CASE("a store overwritten in place with other bytes stops the run", "[cli][store-rewrite]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = RewriteDuringRun(
      dir, "head -c 200000 /dev/urandom | dd of=" + db + " conv=notrunc status=none");
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("was overwritten in place (not an SQLite database now"));
  CHECK_FALSE(Exists(dir + "/b-ran"));
}

TEST_CASE("an --audit-db naming an application's database never writes into it",
          "[cli][store-rewrite]") {
  std::string dir = TempDir(), app = dir + "/app.db";
  REQUIRE(Shell(kSqliteWaiting + app + " 'create table users(id); insert into users values(7)'")
              .exit_code == 0);
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  Command c = Shell(Binary() + " run --audit-db " + app + " " + file);
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("not a runbook audit store (it holds other tables)"));
  CHECK(Shell(kSqliteWaiting + app + " 'pragma journal_mode; select count(*) from sqlite_schema'")
            .out == "delete\n1\n");
  // Variant: an empty database of another application (its own application id).
  std::string other = dir + "/other.db";
  REQUIRE(Shell(kSqliteWaiting + other + " 'pragma application_id=1234; vacuum'").exit_code == 0);
  Command d = Shell(Binary() + " run --audit-db " + other + " " + file);
  CHECK(d.exit_code == 3);
  CHECK_THAT(d.err, Catch::Contains("not a runbook audit store (its application id is 1234)"));
}

TEST_CASE("an application's database with a user_version of its own is never changed",
          "[cli][store-rewrite]") {
  // breakI I23: switched to WAL and stamped with runbook's application id before refused.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  for (const char* version : {"1", "2", "7"}) {
    CAPTURE(version);
    std::string app = dir + "/app" + version + ".db";
    REQUIRE(Shell(kSqliteWaiting + app + " 'pragma user_version=" + version +
                  "; create table heads(a); insert into heads values(1)'")
                .exit_code == 0);
    for (const std::string& cmd : {"run --audit-db " + app + " " + file,
                                   "history --audit-db " + app, "audit verify --audit-db " + app}) {
      CAPTURE(cmd);
      Command c = Shell(Binary() + " " + cmd);
      CHECK(c.exit_code == 3);
      CHECK_THAT(c.err, Catch::Contains("not a runbook audit store"));
      CHECK(Shell(kSqliteWaiting + app +
                  " 'pragma journal_mode; pragma application_id; pragma "
                  "user_version'")
                .out == std::string("delete\n0\n") + version + "\n");
    }
  }
}

TEST_CASE("a store with a second hard link, or a linked -wal, is not written through",
          "[cli][store-rewrite]") {
  // breakI I9: runs through the second name were never recorded (two write-ahead logs), exit
  // 0; I10: a hard link planted at <store>-wal was overwritten with WAL frames.
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell(Binary() + " run --audit-db " + dir + "/s.db " + file).exit_code == 0);
  REQUIRE(Shell("ln " + dir + "/s.db " + dir + "/alias.db").exit_code == 0);
  for (const char* name : {"/s.db", "/alias.db"}) {
    Command c = Shell(Binary() + " run --audit-db " + dir + name + " " + file);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("has 2 hard links"));
  }
  CHECK(Shell(Binary() + " history --audit-db " + dir + "/alias.db").exit_code == 0);  // reads
  REQUIRE(Shell("rm " + dir + "/alias.db && echo precious > " + dir + "/victim && rm -f " + dir +
                "/s.db-wal && ln " + dir + "/victim " + dir + "/s.db-wal")
              .exit_code == 0);
  Command wal = Shell(Binary() + " run --audit-db " + dir + "/s.db " + file);
  CHECK(wal.exit_code == 3);
  CHECK_THAT(wal.err, Catch::Contains("refusing " + dir + "/s.db-wal"));
  CHECK(ReadFile(dir + "/victim") == "precious\n");
}

TEST_CASE("read-only commands never create a store: a missing one is exit 3 naming the path",
          "[cli][store-rewrite]") {
  std::string dir = TempDir(), db = dir + "/typo.db";
  for (const char* cmd : {"history", "audit verify", "audit export", "show X", "report X",
                          "audit sign --sign-key k", "resume X"}) {
    Command c = Shell(Binary() + " " + cmd + " --audit-db " + db);
    INFO(cmd << ": " << c.err);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("no audit store at " + db + ": nothing has been recorded"));
    CHECK_FALSE(Exists(db));
  }
}

namespace {

// Runs `commands` (sh, `$R` is the binary, `$M` the mount) in a private mount namespace
// where `$M` is a small tmpfs holding a copy of `store`, after `prepare` (sh) ran there.
Command OnOwnMount(const std::string& store, const std::string& prepare,
                   const std::string& commands) {
  std::string mount = TempDir();
  return Shell("unshare -m sh -c 'M=" + mount + "; R=" + Binary() +
               "; mount -t tmpfs -o size=300k tmpfs $M && cp " + store + " $M/audit.db && " +
               prepare + " && " + commands + "'");
}

// A store holding one finished run; returns its path.
std::string StoreWithRun(const std::string& dir) {
  std::string file = WriteFile(dir, "t.yaml",
                               "version: 1\nname: ro\nsteps:\n"
                               "  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell(Binary() + " run --audit-db " + dir + "/audit.db " + file).exit_code == 0);
  return dir + "/audit.db";
}

const char* kReaders =
    "$R history --audit-db $M/audit.db && $R audit verify --audit-db $M/audit.db && "
    "$R audit export --audit-db $M/audit.db | wc -l && "
    "$R show --audit-db $M/audit.db $($R history --audit-db $M/audit.db --format json | "
    "sed -n \"s/.*run_id.: .\\(.*\\).,/\\1/p\") | head -1";

}  // namespace

TEST_CASE("history, show, audit verify and export read a store on read-only media",
          "[cli][store-rewrite]") {
  std::string store = StoreWithRun(TempDir());
  Command c = OnOwnMount(store, "mount -o remount,ro $M", kReaders);
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains(" ro ") && Catch::Contains("success"));
  CHECK_THAT(c.out, Catch::Contains("audit.db: ok, 5 events, chain intact"));
  CHECK_THAT(c.out, Catch::Contains("\n5\nrun "));  // five exported events, then show's header
}

TEST_CASE("history, show, audit verify and export read a store on a full disk",
          "[cli][store-rewrite]") {
  std::string store = StoreWithRun(TempDir());
  Command c = OnOwnMount(store, "(dd if=/dev/zero of=$M/fill bs=4k 2>/dev/null; true)", kReaders);
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("audit.db: ok, 5 events, chain intact"));
  CHECK_THAT(c.out, Catch::Contains("\n5\nrun "));
}

// break22 #5: a store on read-only media with its -wal (a killed run's events) but no -shm
// was read immutable, without the -wal: `audit verify` said a shorter chain was intact.
TEST_CASE("a store on read-only media with a -wal and no -shm is read with its -wal, said",
          "[cli][store-rewrite]") {
  std::string dir = TempDir();
  std::string store = StoreWithRun(dir);
  std::string file = WriteFile(dir, "k.yaml",
                               "version: 1\nname: killed\nsteps:\n"
                               "  - {id: a, uses: log, with: {message: hi}}\n"
                               "  - {id: b, uses: exec, needs: [a], with: {run: [sleep, '30']}}\n");
  Shell(Binary() + " run --audit-db " + store + " " + file + " >/dev/null 2>&1 & P=$!; " +
        "for i in $(seq 100); do [ -s " + store + "-wal ] && " + kSqliteWaiting + store +
        " \"select 1 from events where kind='attempt_started' and step='b'\" | grep -q 1 && " +
        "break; sleep 0.1; done; kill -9 $P; wait $P; pkill -f 'sleep 30$'; true");
  std::string keep = TempDir();  // as the kill left them, before anything reads them
  REQUIRE(Shell("cp " + store + " " + store + "-wal " + keep).exit_code == 0);
  std::string count = TempDir();  // what SQLite reads with the -wal (a copy: it checkpoints)
  std::string all = Shell("cp " + keep + "/* " + count + " && sqlite3 " + count +
                          "/audit.db 'select count(*) from events'")
                        .out;
  REQUIRE(std::stoi(all) > 5);  // the killed run's events were in the -wal
  Command c = OnOwnMount(keep + "/audit.db",
                         "cp " + keep + "/audit.db-wal $M/audit.db-wal && mount -o remount,ro $M",
                         "$R audit verify --audit-db $M/audit.db && "
                         "$R history --audit-db $M/audit.db | grep -c killed");
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("audit.db: ok, " + std::to_string(std::stoi(all)) +
                                    " events, chain intact"));
  CHECK_THAT(c.out, Catch::EndsWith("\n1\n"));  // the killed run is listed
  CHECK_THAT(c.err, Catch::Contains("read from a private copy of both"));
  CHECK(Shell("ls /tmp | grep -c runbook-store-copy; true").out == "0\n");  // removed after
  // Variant (break22c #9): nowhere to copy it to ($TMPDIR on the same read-only media): said
  // so, never "no such file", never read without the -wal.
  Command nowhere = OnOwnMount(keep + "/audit.db",
                               "cp " + keep +
                                   "/audit.db-wal $M/audit.db-wal && "
                                   "mount -o remount,ro $M",
                               "TMPDIR=$M $R audit verify --audit-db $M/audit.db");
  CHECK(nowhere.exit_code == 3);
  CHECK_THAT(nowhere.err, Catch::Contains("its -wal holds events that only a copy could read "
                                          "here, and no folder for one can be made in "));
}

// break22b #8: `run` on a store on read-only media said "unable to open database file (No
// such file or directory)" although the file was there; readers still read it.
TEST_CASE("run on a store on read-only media says so in words, exit 3", "[cli][store-rewrite]") {
  std::string dir = TempDir();
  std::string store = StoreWithRun(dir);
  std::string file = dir + "/t.yaml";
  Command c = OnOwnMount(store, "mount -o remount,ro $M",
                         "$R run --audit-db $M/audit.db " + file + "; echo exit=$?");
  INFO(c.err);
  CHECK_THAT(c.out, Catch::Contains("exit=3"));
  CHECK_THAT(c.err, Catch::Contains("the store is on a read-only file system: a run records "
                                    "into the store and writes its -wal and -shm beside it"));
  CHECK(c.err.find("No such file") == std::string::npos);
  Command history = OnOwnMount(store, "mount -o remount,ro $M",
                               "$R history --audit-db $M/audit.db | grep -c \" ro \"");
  CHECK(history.out == "1\n");  // read as before
}
