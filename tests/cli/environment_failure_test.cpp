// The real binary when its environment fails under it: the audit store deleted, renamed or
// replaced during a run (exit 3, naming the store), and a file-size limit (ulimit -f):
// SIGXFSZ is ignored, so a write past the limit is an error with a message, not a silent
// death.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/support.h"

using namespace runbook::test;

namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// A runbook whose first step runs `script` (sh) and whose second step, after it, and finally
// step leave marker files in `dir`.
std::string TwoSteps(const std::string& dir, const std::string& script) {
  return WriteFile(
      dir, "run.yaml",
      "version: 1\nname: t\nsteps:\n"
      "  - id: a\n    uses: exec\n    with:\n      shell: true\n      run: |\n        " +
          script + "\n  - {id: b, needs: [a], uses: exec, with: {run: [touch, " + dir +
          "/b-ran]}}\n"
          "finally:\n  - {id: cleanup, uses: exec, with: {run: [touch, " +
          dir + "/cleaned]}}\n");
}

// Runs the runbook whose first step does `script` to the store `db`.
Command RunAgainstStore(const std::string& dir, const std::string& db, const std::string& script) {
  std::string file = TwoSteps(dir, script);
  return Shell(Binary() + " run --audit-db " + db + " " + file);
}

}  // namespace

TEST_CASE("the audit store deleted during a run stops it with exit 3 naming the store",
          "[cli][audit-identity]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = RunAgainstStore(dir, db, "rm -f " + db);
  CHECK(c.exit_code == 3);
  CHECK_THAT(c.err, Catch::Contains("runbook: error: the audit store cannot be written: audit "
                                    "store " +
                                    db + " is gone during the run (No such file or directory)"));
  CHECK_FALSE(Exists(dir + "/b-ran"));
}

TEST_CASE("the audit store replaced by another SQLite file or a folder stops the run",
          "[cli][audit-identity]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command file = RunAgainstStore(
      dir, db, kSqliteWaiting + db + ".new 'create table t(x)' && mv " + db + ".new " + db);
  CHECK(file.exit_code == 3);
  CHECK_THAT(file.err, Catch::Contains("audit store " + db +
                                       " was replaced during the run (another file is at its "
                                       "path now)"));
  CHECK_FALSE(Exists(dir + "/b-ran"));

  std::string dir2 = TempDir(), db2 = dir2 + "/audit.db";
  Command folder = RunAgainstStore(dir2, db2, "mv " + db2 + " " + db2 + ".away && mkdir " + db2);
  CHECK(folder.exit_code == 3);
  CHECK_THAT(folder.err,
             Catch::Contains("audit store " + db2 + " was replaced during the run (a folder"));
  CHECK_FALSE(Exists(dir2 + "/b-ran"));
}

TEST_CASE("the audit store renamed away or its folder removed stops the run",
          "[cli][audit-identity]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command renamed = RunAgainstStore(dir, db, "mv " + db + " " + dir + "/elsewhere.db");
  CHECK(renamed.exit_code == 3);
  CHECK_THAT(renamed.err, Catch::Contains("audit store " + db + " is gone during the run"));

  std::string dir2 = TempDir(), store_dir = dir2 + "/store", db2 = store_dir + "/audit.db";
  REQUIRE(Shell("mkdir " + store_dir).exit_code == 0);
  Command removed = RunAgainstStore(dir2, db2, "rm -rf " + store_dir);
  CHECK(removed.exit_code == 3);
  CHECK_THAT(removed.err, Catch::Contains("audit store " + db2 + " is gone during the run"));
  CHECK_FALSE(Exists(dir2 + "/b-ran"));
}

TEST_CASE("a store replaced by another SQLite file: that file's data survives the run",
          "[cli][audit-identity]") {
  // breakE 3: runbook left its -wal/-shm at the path; the next open merged them into the new
  // file ("no such table: x" or "database disk image is malformed").
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = RunAgainstStore(dir, db,
                              kSqliteWaiting + db +
                                  ".new 'create table x(a); insert into x values(42)'"
                                  " && mv " +
                                  db + ".new " + db);
  CHECK(c.exit_code == 3);
  CHECK(Shell(kSqliteWaiting + db + " 'select a from x'").out == "42\n");
  Command history = Shell(Binary() + " history --audit-db " + db);
  CHECK(history.exit_code == 3);  // not a store: it is read, never given our tables
  CHECK_THAT(history.err, Catch::Contains("not a runbook audit store (it has no runbook schema)"));
  Command after = Shell(kSqliteWaiting + db + " 'pragma integrity_check; select a from x'");
  CHECK(after.out == "ok\n42\n");
  CHECK(Shell(kSqliteWaiting + db + " 'select count(*) from sqlite_schema'").out == "1\n");
}

TEST_CASE("a store renamed away during a run keeps the events committed before",
          "[cli][audit-identity]") {
  // breakE 4: the events stayed in the stale audit.db-wal; `show` on the renamed file found
  // no run. Variant: a new store created at the old path afterwards starts clean.
  std::string dir = TempDir(), db = dir + "/audit.db", moved = dir + "/renamed.db";
  Command c = RunAgainstStore(dir, db, "mv " + db + " " + moved);
  CHECK(c.exit_code == 3);
  CHECK_FALSE(Exists(db + "-wal"));
  CHECK_FALSE(Exists(db + "-shm"));
  Command events =
      Shell(kSqliteWaiting + moved + " \"select kind from events where step='a' order by seq\"");
  CHECK(events.out == "attempt_started\n");
  std::string run_id = Shell(kSqliteWaiting + moved + " 'select run_id from runs'").out;
  REQUIRE(run_id.size() > 1);
  Command show =
      Shell(Binary() + " show --audit-db " + moved + " " + run_id.substr(0, run_id.size() - 1));
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::Contains("attempt 1"));
  // Nothing is at the old path now: a reader says so and creates nothing there.
  Command fresh = Shell(Binary() + " history --audit-db " + db);
  CHECK(fresh.exit_code == 3);
  CHECK_THAT(fresh.err, Catch::Contains("no audit store at " + db));
  CHECK_FALSE(Exists(db));
}

TEST_CASE("the audit store deleted while a long step runs stops it within seconds",
          "[cli][audit-identity]") {
  // breakE 13: detection waited for the next event; the step could work for hours.
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = Shell("start=$(date +%s); " + Binary() + " run --audit-db " + db + " " +
                    TwoSteps(dir, "rm -f " + db + "; sleep 20") +
                    "; echo rc=$? s=$(( $(date +%s) - start ))");
  CHECK_THAT(c.out, Catch::StartsWith("rc=3 s="));
  CHECK(std::stoi(c.out.substr(c.out.find("s=") + 2)) < 8);
  CHECK_THAT(c.err, Catch::Contains("audit store " + db + " is gone during the run"));
}

TEST_CASE("the audit store deleted while a service runs: the service is stopped, exit 3",
          "[cli][audit-identity]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  std::string marker = "sleep 95." + std::to_string(getpid());
  std::string file = WriteFile(dir, "svc.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: svc, uses: service, with: {run: [sh, -c, '" +
                                   marker + "'], log: " + dir +
                                   "/svc.log}}\n"
                                   "  - {id: a, needs: [svc], uses: exec, with: {run: [rm, -f, " +
                                   db +
                                   "]}}\n"
                                   "  - {id: b, needs: [a], uses: exec, with: {run: [touch, " +
                                   dir + "/b-ran]}}\n");
  Command c =
      Shell(Binary() + " run --audit-db " + db + " " + file + "; echo rc=$?; pgrep -f '[s]" +
            marker.substr(1) + "' > /dev/null && echo alive || echo gone");
  CHECK(c.out == "rc=3\ngone\n");
  CHECK_THAT(c.err, Catch::Contains("audit store " + db + " is gone during the run"));
  CHECK_FALSE(Exists(dir + "/b-ran"));
}

TEST_CASE("an untouched audit store: the same runbook passes", "[cli][audit-identity]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  Command c = RunAgainstStore(dir, db, "true");
  CHECK(c.exit_code == 0);
  CHECK(Exists(dir + "/b-ran"));
  CHECK(Exists(dir + "/cleaned"));
}

// dash's `ulimit -f` counts 512-byte blocks.
TEST_CASE("ulimit -f: a step writing past the limit fails with a message, finally runs",
          "[cli][file-size]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "pack.yaml",
                               "version: 1\nname: t\nsteps:\n"
                               "  - {id: pack, uses: archive, with: {output: " +
                                   dir + "/out.zip, files: [" + dir +
                                   "/big.bin]}}\n"
                                   "finally:\n  - {id: cleanup, uses: exec, with: {run: [touch, " +
                                   dir + "/cleaned]}}\n");
  Command c = Shell("head -c 3000000 /dev/urandom > " + dir + "/big.bin && ulimit -f 4096 && " +
                    Binary() + " run --audit-db " + dir + "/audit.db " + file + "; echo rc=$?");
  CHECK_THAT(c.out, Catch::EndsWith("rc=1\n"));
  CHECK_THAT(c.err, Catch::Contains("in " + dir + "/.out.zip.tmp-") &&
                        Catch::Contains(": Write error (File too large)"));
  CHECK(Exists(dir + "/cleaned"));
}

TEST_CASE("ulimit -f: an exec step's tool gets SIGXFSZ as usual, finally runs",
          "[cli][file-size]") {
  std::string dir = TempDir();
  std::string file = TwoSteps(dir, "head -c 4000000 /dev/zero > " + dir + "/big");
  Command c = Shell("ulimit -f 4096 && " + Binary() + " run --audit-db " + dir + "/audit.db " +
                    file + "; echo rc=$?");
  CHECK_THAT(c.out, Catch::EndsWith("rc=1\n"));
  // The shell saw its child killed by SIGXFSZ (128 + 25); with SIGXFSZ ignored, head would
  // have failed with EFBIG ("File too large") and exit 1.
  CHECK_THAT(c.err, Catch::Contains("a attempt 1 failure: exit code 153: File size limit"));
  CHECK(Exists(dir + "/cleaned"));
}

TEST_CASE("ulimit -f: an audit store that cannot grow stops the run with exit 3 and a message",
          "[cli][file-size]") {
  std::string dir = TempDir(), db = dir + "/audit.db";
  std::string steps = "version: 1\nname: t\nsteps:\n";
  for (int i = 0; i < 25; ++i)
    steps += "  - {id: s" + std::to_string(i) + ", uses: exec, with: {run: [seq, '3000']}}\n";
  std::string file = WriteFile(dir, "many.yaml", steps);
  REQUIRE(Shell(Binary() + " run --audit-db " + db + " " + file).exit_code == 0);
  // The store as it is now fits; the write-ahead log of the next run does not (its -shm
  // needs 32 KiB).
  Command c = Shell("size=$(stat -c %s " + db + "); ulimit -f $(( (size + 40000) / 512 )) && " +
                    Binary() + " run --audit-db " + db + " " + file + "; echo rc=$?");
  CHECK_THAT(c.out, Catch::EndsWith("rc=3\n"));
  // SQLite's reason ("disk I/O error") and the system's (breakE 12: EFBIG was missing).
  CHECK_THAT(c.err,
             Catch::Contains("runbook: error: the audit store cannot be written: " + db + ": ") &&
                 Catch::Contains("(File too large)"));
}

TEST_CASE("ulimit -f: a backup that cannot write its dump names the file and the OS error",
          "[cli][file-size]") {
  // breakE 11: it said "backup of live.db failed: disk I/O error" (the source, no EFBIG). The
  // snapshot is streamed into the dump since issue 15: the dump's scratch file is named.
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir +
                " && mkdir dumps && sqlite3 live.db 'create table t(x); insert "
                "into t select randomblob(1000) from generate_series(1, 3000)'")
              .exit_code == 0);
  std::string file = WriteFile(dir, "b.yaml",
                               "version: 1\nname: t\nsteps:\n  - {id: snapshot, uses: backup, "
                               "with: {database: live.db, dest: dumps, name: one}}\n");
  Command c = Shell("cd " + dir + " && ulimit -f 2000 && " + Binary() + " run --audit-db " + dir +
                    "/audit.db " + file + "; echo rc=$?");
  CHECK_THAT(c.out, Catch::EndsWith("rc=1\n"));
  CHECK_THAT(c.err, Catch::Contains("snapshot: cannot write dumps/.one.sqlite.gz.tmp-") &&
                        Catch::Contains("File too large"));
  CHECK(Shell("ls -A " + dir + "/dumps").out.empty());
}

// break22a #4: the soft CPU-time limit's SIGXCPU (ulimit -S -t, systemd's LimitCPU=), like
// SIGUSR1 or SIGALRM sent by mistake, killed runbook at once: no message, no finally, the
// steps' processes left running. Each is now a cancel.
TEST_CASE("ulimit -S -t: the CPU-time limit cancels the run in words, finally runs",
          "[cli][cpu-limit]") {
  std::string dir = TempDir();
  // Hashing a 20 GiB sparse file: seconds of runbook's own CPU, no disk.
  std::string file =
      WriteFile(dir, "h.yaml",
                "version: 1\nname: t\nsteps:\n  - {id: h, uses: hash, with: {files: [" + dir +
                    "/big.bin], verify: none}}\nfinally:\n  - {id: cleanup, uses: exec, with: "
                    "{run: [touch, " +
                    dir + "/cleaned]}}\n");
  Command c = Shell("truncate -s 20G " + dir + "/big.bin && ulimit -S -t 1 && " + Binary() +
                    " run --audit-db " + dir + "/audit.db " + file + "; echo rc=$?");
  CHECK_THAT(c.out, Catch::EndsWith("rc=152\n"));  // 128 + SIGXCPU
  CHECK_THAT(c.err, Catch::Contains(": cancelled (by SIGXCPU: the CPU-time limit) in "));
  CHECK(Exists(dir + "/cleaned"));
}

TEST_CASE("SIGUSR1 and SIGALRM cancel the run: the step's processes end, finally runs",
          "[cli][cpu-limit]") {
  for (const char* sig : {"USR1", "ALRM"}) {
    CAPTURE(sig);
    std::string dir = TempDir();
    std::string file = WriteFile(
        dir, "s.yaml",
        "version: 1\nname: t\nsteps:\n  - id: busy\n    uses: exec\n    with: {run: [sh, -c, "
        "'setsid sleep 41 & while [ \"$(ps -o sid= -p $!)\" = \"$(ps -o sid= -p $$)\" ]; "
        "do sleep 0.05; done; echo started > " +
            dir + "/started; sleep 41']}\nfinally:\n  - {id: cleanup, uses: exec, with: {run: " +
            "[touch, " + dir + "/cleaned]}}\n");
    Command c =
        Shell(Binary() + " run --audit-db " + dir + "/audit.db " + file + " & P=$!; while [ ! -e " +
              dir + "/started ]; do sleep 0.1; done; kill -" + sig + " $P; wait $P; echo rc=$?");
    CHECK_THAT(c.out, Catch::EndsWith(std::string("rc=") + (sig[0] == 'U' ? "138" : "142") + "\n"));
    CHECK_THAT(c.err, Catch::Contains(std::string(": cancelled (by SIG") + sig + ") in "));
    CHECK_THAT(c.err, Catch::Contains("which had left the step's process group"));
    CHECK(Exists(dir + "/cleaned"));
  }
  CHECK(Shell("pgrep -f '^sleep 41'").exit_code != 0);  // nothing left running
}

TEST_CASE("a damaged store is named in every reading command's error", "[cli][audit]") {
  // break23a D3: `history` said "database disk image is malformed", naming no file.
  std::string dir = TempDir(), db = dir + "/audit.db";
  std::string file = WriteFile(dir, "q.yaml",
                               "version: 1\nname: q\nsteps:\n  - {id: a, uses: log, with: "
                               "{message: x}}\n");
  for (int i = 0; i < 2; ++i)
    REQUIRE(Shell(Binary() + " run " + file + " --audit-db " + db).exit_code == 0);
  // Every 97th byte past the first page overwritten: pages SQLite reads and finds damaged.
  REQUIRE(Shell("python3 -c \"import random,sys\nd=bytearray(open(sys.argv[1],'rb').read())\n"
                "random.seed(1)\nfor i in range(4096, len(d), 97): d[i]=random.randrange(256)\n"
                "open(sys.argv[1],'wb').write(d)\" " +
                db)
              .exit_code == 0);
  for (const char* command : {"history", "backups", "audit export", "audit verify"}) {
    CAPTURE(command);
    Command c = Shell(Binary() + " " + command + " --audit-db " + db);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("runbook: error: audit store " + db + ": "));
  }
}
