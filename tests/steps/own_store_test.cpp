// Files runbook itself owns are never a step's output (breakJ J22, engine/util/own_file.h):
// restore's env_file, archive's output, canary-compare's summary and an s3-sync mirror with
// delete naming the audit store (or its -wal/-shm/-journal, or the runbook file) replaced or
// deleted the store, all history lost. Each is refused before anything is written, naming
// both; the store keeps every run.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// Runs one step (a YAML flow mapping) from `dir` with the store `dir`/`store`.
Command RunStoreStep(const std::string& dir, const std::string& step,
                     const std::string& store = "a.db") {
  WriteFile(dir, "r.yaml", "version: 1\nname: r\nsteps:\n  - " + step + "\n");
  return Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db " + store);
}

// A folder whose store `store` holds one successful run.
std::string WithStore(const std::string& store = "a.db") {
  std::string dir = TempDir();
  Shell("mkdir -p $(dirname " + dir + "/" + store + ")");
  REQUIRE(RunStoreStep(dir, "{id: a, uses: exec, with: {run: [/bin/true]}}", store).exit_code == 0);
  return dir;
}

std::string Runs(const std::string& dir, const std::string& store = "a.db") {
  return Shell("sqlite3 " + dir + "/" + store + " 'select count(*) from runs'").out;
}

// The step was refused naming the file and the store, and the store is whole: `runs` runs
// recorded, the chain verified.
void CheckStoreKept(const std::string& dir, const Command& c, const std::string& runs,
                    const std::string& store = "a.db") {
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("refusing to ") &&
                        Catch::Contains("runbook's audit store " + dir + "/" + store));
  CHECK(Runs(dir, store) == runs);
  Command v = Shell("cd " + dir + " && " + Binary() + " audit verify --audit-db " + store);
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
}

}  // namespace

TEST_CASE("own store: restore env_file, archive output, canary summary never replace it",
          "[steps][own-store]") {
  std::string dir = WithStore();
  Shell("mkdir -p " + dir + "/live");
  MakeValueDb(dir, "new.db", "new");
  MakeValueDb(dir, "live/app.db", "old");
  WriteFile(dir, "in.txt", "input\n");
  WriteFile(dir, "cur.json",
            R"({"checks": {"c": {"p95": 1, "p99": 1, "requests": 5, "errors": 0}}})");
  Shell("cp " + dir + "/cur.json " + dir + "/base.json");
  // The store given by its absolute path, as the finding did (through `--set` there).
  std::string store = dir + "/a.db";
  int runs = 2;
  for (const std::string& step :
       {"{id: r, uses: restore, with: {source: new.db, target: live/app.db, force: true, "
        "env_file: " +
            store + "}}",
        "{id: z, uses: archive, with: {files: [in.txt], output: " + store + "}}",
        "{id: c, uses: canary-compare, with: {current: cur.json, baseline: base.json, summary: " +
            store + "}}"}) {
    CAPTURE(step);
    Command c = RunStoreStep(dir, step);
    CheckStoreKept(dir, c, std::to_string(runs++) + "\n");
  }
  // Refused before anything: the restore did not happen.
  CHECK(Shell("sqlite3 " + dir + "/live/app.db 'select v from t'").out == "old\n");
}

TEST_CASE("own store: its -wal, -shm, -journal by any spelling, and the runbook, are refused",
          "[steps][own-store]") {
  std::string dir = WithStore();
  Shell("mkdir -p " + dir + "/sub");
  WriteFile(dir, "in.txt", "input\n");
  int runs = 2;
  for (const char* out : {"sub/../a.db-wal", "./a.db-shm", "a.db-journal", "sub/../a.db"}) {
    CAPTURE(out);
    Command c = RunStoreStep(dir, std::string("{id: z, uses: archive, with: {files: [in.txt], ") +
                                      "output: " + out + "}}");
    CheckStoreKept(dir, c, std::to_string(runs++) + "\n");
  }
  // integrity-check's workspace at the store's -journal (missing in WAL mode).
  Shell("cd " + dir + " && sqlite3 w.db 'create table t(v)'");
  Command w = RunStoreStep(dir,
                           "{id: i, uses: integrity-check, with: {source: w.db, workspace: "
                           "a.db-journal, keep: true}}");
  CheckStoreKept(dir, w, std::to_string(runs++) + "\n");
  CHECK(Shell("test -e " + dir + "/a.db-journal").exit_code != 0);  // nothing made there
  // The runbook file itself.
  Command self =
      RunStoreStep(dir, "{id: z, uses: archive, with: {files: [in.txt], output: r.yaml}}");
  INFO(self.err);
  CHECK(self.exit_code == 1);
  CHECK_THAT(self.err, Catch::Contains("refusing to write r.yaml: it is the runbook r.yaml"));
  CHECK_THAT(ReadFile(dir + "/r.yaml"), Catch::Contains("uses: archive"));
}

TEST_CASE("own store: a mirror with delete into the store's folder deletes nothing",
          "[steps][own-store]") {
  // The finding: "3 deleted" were the store, its -wal and -shm.
  std::string dir = WithStore("x/a.db");
  Shell("mkdir -p " + dir + "/src && echo new > " + dir + "/src/f.txt");
  std::string step =
      "{id: s, uses: s3-sync, with: {source: src, dest: x, delete: true, force_delete: true, "
      "inventory: ''}}";
  Command c = RunStoreStep(dir, step, "x/a.db");
  CheckStoreKept(dir, c, "2\n", "x/a.db");
  CHECK_THAT(c.err, Catch::Contains("refusing to delete"));
  CHECK(Shell("test -e " + dir + "/x/f.txt").exit_code != 0);  // refused before any copy
  // A source file of the store's name would replace it: refused the same way.
  Shell("echo fake > " + dir + "/src/a.db");
  Command r = RunStoreStep(dir, step, "x/a.db");
  CheckStoreKept(dir, r, "3\n", "x/a.db");
  CHECK_THAT(r.err, Catch::Contains("refusing to replace"));
}
