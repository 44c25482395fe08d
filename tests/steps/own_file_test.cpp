// The one rule for a file a step publishes or appends to (issue 12 kind A, breakH H9, H6,
// H2, H3; engine/util/own_file.h): a symbolic link, a non-regular file or a second hard link
// at the name is refused with a clear error and nothing changes; archive never packs its
// own output.
#include "engine/util/own_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs one step (a YAML flow mapping) from `dir`.
Command RunStep(const std::string& dir, const std::string& step) {
  WriteFile(dir, "r.yaml", "version: 1\nname: r\nsteps:\n  - " + step + "\n");
  return Shell("cd " + dir + " && " + Binary() + " run r.yaml --audit-db a.db");
}

std::string Cat(const std::string& path) { return ReadFile(path); }
bool IsLink(const std::string& path) { return Shell("test -L " + path).exit_code == 0; }

// The member names of a zip, one a line.
std::string Members(const std::string& zip) {
  return Shell(
             "python3 -c \"import zipfile, sys; print('\\n'.join(zipfile.ZipFile(sys.argv[1])"
             ".namelist()))\" " +
             zip)
      .out;
}

// The step failed, saying `why`.
void CheckRefused(const Command& c, const std::string& why) {
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.out + c.err, Catch::Contains(why));
}

}  // namespace

TEST_CASE("own files: a service log planted as a link is refused, its target untouched",
          "[steps][own-file]") {
  for (const char* plant : {"ln -s ../out/p.txt logs/svc.log", "ln out/p.txt logs/svc.log"}) {
    CAPTURE(plant);
    std::string dir = TempDir();
    REQUIRE(Shell("cd " + dir + " && mkdir logs out && echo PRECIOUS > out/p.txt && " + plant)
                .exit_code == 0);
    Command c = RunStep(dir,
                        "{id: svc, uses: service, with: {run: [sh, -c, 'echo SERVICE-OUTPUT; "
                        "exec sleep 30'], log: logs/svc.log}}");
    INFO(c.err);
    CheckRefused(c, "refusing to use logs/svc.log");
    CHECK(Cat(dir + "/out/p.txt") == "PRECIOUS\n");
  }
}

TEST_CASE("own files: an inventory that is a link is refused, not replaced", "[steps][own-file]") {
  std::string dir = TempDir();
  std::string empty = "{\"version\": 1, \"entries\": []}\n";
  WriteFile(dir, "data.txt", "data\n");
  Shell("mkdir -p " + dir + "/out");
  WriteFile(dir, "out/real.json", empty);
  REQUIRE(Shell("cd " + dir + " && ln -s out/real.json inv.json && ln out/real.json hl.json")
              .exit_code == 0);
  for (std::string inv : {"inv.json", "hl.json"}) {
    CAPTURE(inv);
    Command c = RunStep(dir,
                        "{id: h, uses: hash, with: {files: [data.txt], verify: none, "
                        "inventory: " +
                            inv + "}}");
    CheckRefused(c, "refusing to use " + inv);
    CHECK(Cat(dir + "/out/real.json") == empty);
  }
  CHECK(IsLink(dir + "/inv.json"));
  CHECK(Shell("stat -c %h " + dir + "/hl.json").out == "2\n");  // still the same file
  // Its lock file is the step's own too: a dangling link there creates nothing elsewhere.
  std::string elsewhere = TempDir();
  REQUIRE(Shell("ln -s " + elsewhere + "/made " + dir + "/new.json.lock").exit_code == 0);
  Command lock = RunStep(dir,
                         "{id: h, uses: hash, with: {files: [data.txt], verify: none, "
                         "inventory: new.json}}");
  CheckRefused(lock, "refusing to use new.json.lock: it is a symbolic link");
  CHECK(Shell("test -e " + elsewhere + "/made").exit_code != 0);
}

TEST_CASE("own files: canary-compare's baseline and summary links are refused",
          "[steps][own-file]") {
  std::string dir = TempDir();
  std::string base = "{\"checks\": [{\"name\": \"a\", \"durationMs\": 200, \"ok\": true}]}";
  WriteFile(dir, "real-base.json", base);
  WriteFile(dir, "cur.json",
            "{\"checks\": [{\"name\": \"a\", \"durationMs\": 201, \"ok\": true}]}");
  WriteFile(dir, "real.md", "old summary\n");
  REQUIRE(
      Shell("cd " + dir + " && ln -s real-base.json base.json && ln -s real.md sum.md").exit_code ==
      0);
  Command promote = RunStep(dir,
                            "{id: c, uses: canary-compare, with: {current: cur.json, "
                            "baseline: base.json, promote: true}}");
  CheckRefused(promote, "refusing to use base.json: it is a symbolic link");
  CHECK(Cat(dir + "/real-base.json") == base);
  CHECK(IsLink(dir + "/base.json"));
  Command summary = RunStep(dir,
                            "{id: c, uses: canary-compare, with: {current: cur.json, "
                            "baseline: real-base.json, summary: sum.md}}");
  CheckRefused(summary, "refusing to use sum.md: it is a symbolic link");
  CHECK(Cat(dir + "/real.md") == "old summary\n");
}

TEST_CASE("own files: a flags file with a second hard link is refused", "[steps][own-file]") {
  std::string dir = TempDir();
  std::string flags = "{\n  \"flags\": {\n    \"flag.x\": { \"rollout\": 10 }\n  }\n}\n";
  Shell("mkdir -p " + dir + "/app");
  WriteFile(dir, "app/flags.json", flags);
  REQUIRE(Shell("cd " + dir + " && mkdir cfg && ln app/flags.json cfg/flags.json").exit_code == 0);
  Command c = RunStep(dir,
                      "{id: f, uses: flag-update, with: {file: cfg/flags.json, flag: flag.x, "
                      "rollout: 60}}");
  CheckRefused(c, "refusing to use cfg/flags.json: it has 2 hard links");
  CHECK(Cat(dir + "/app/flags.json") == flags);
  CHECK(Shell("stat -c %h " + dir + "/cfg/flags.json").out == "2\n");
}

TEST_CASE("own files: archive never packs its own output or scratch files", "[steps][own-file]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/in");
  WriteFile(dir, "in/a.txt", "a\n");
  const char* step =
      "{id: s, uses: archive, with: {output: in/self.zip, files: ['in/*'], optional: ['in/.*']}}";
  REQUIRE(RunStep(dir, step).exit_code == 0);
  // A scratch file beside the output (as a killed run of another step leaves one).
  WriteFile(dir, "in/.other.zip.tmp-1-1-0123456789abcdef", "scratch\n");
  Command again = RunStep(dir, step);
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(Members(dir + "/in/self.zip") == "in/a.txt\nMANIFEST.sha256\n");
  // Named as is, the output is refused as an input of itself: at validate now (a step never
  // writes what it reads, breakEE E1).
  Command named =
      RunStep(dir, "{id: s, uses: archive, with: {output: in/self.zip, files: [in/self.zip]}}");
  CHECK(named.exit_code == 2);
  CHECK_THAT(named.err, Catch::Contains("parameter 'output' writes a path that its own parameter "
                                        "'files' reads"));
}

TEST_CASE("own files: OpenOwnFile and OwnFileProblem", "[steps][own-file]") {
  std::string dir = TempDir();
  WriteFile(dir, "target", "keep\n");
  REQUIRE(Shell("cd " + dir + " && ln -s target sym && ln target hard && mkfifo fifo").exit_code ==
          0);
  CHECK(OwnFileProblem(dir + "/missing").empty());
  auto made = OpenOwnFile(dir + "/new.log", O_WRONLY | O_APPEND | O_CREAT);
  REQUIRE(made.ok());
  ::close(made.value());
  CHECK(OwnFileProblem(dir + "/new.log").empty());
  for (const char* bad : {"sym", "hard", "fifo"}) {
    CAPTURE(bad);
    auto fd = OpenOwnFile(dir + "/" + bad, O_WRONLY | O_APPEND | O_CREAT);  // never blocks
    REQUIRE_FALSE(fd.ok());
    CHECK(fd.status().message() == OwnFileProblem(dir + "/" + bad));
    CHECK_THAT(fd.status().message(), Catch::Contains(dir + "/" + bad));
  }
  CHECK(ReadFile(dir + "/target") == "keep\n");
}

namespace {

// A SQLite database at `dir`/`name` holding one row `v` (the sqlite3 shell).
std::string DbValue(const std::string& path) {
  return Shell("sqlite3 " + path + " 'select v from t'").out;
}

}  // namespace

TEST_CASE("own files: restore refuses a target that is a link, or shared, or not a file",
          "[steps][own-file]") {
  std::string restore =
      "{id: r, uses: restore, with: {source: new.db, target: live/app.db, force: true}}";
  // breakG #9: the link was replaced by a regular file and data/real.db kept the old data.
  for (const char* plant : {"ln -s ../data/real.db live/app.db", "ln data/real.db live/app.db",
                            "rm -f data/real.db && mkdir live/app.db"}) {
    CAPTURE(plant);
    std::string dir = TempDir();
    Shell("mkdir -p " + dir + "/live " + dir + "/data");
    MakeValueDb(dir, "data/real.db", "old");
    MakeValueDb(dir, "new.db", "new");
    REQUIRE(Shell("cd " + dir + " && " + plant).exit_code == 0);
    Command c = RunStep(dir, restore);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err + c.out, Catch::Contains("live/app.db untouched"));
    if (std::filesystem::exists(dir + "/data/real.db"))
      CHECK(DbValue(dir + "/data/real.db") == "old\n");
    CHECK(Shell("ls " + dir + "/live | grep -c before-restore").out == "0\n");
  }
}

TEST_CASE("own files: restore goes on with the kept link a killed restore left",
          "[steps][own-file]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/live");
  MakeValueDb(dir, "live/app.db", "old");
  MakeValueDb(dir, "new.db", "new");
  // Killed after keeping the current database (a hard link), before its switch.
  REQUIRE(Shell("cd " + dir + " && ln live/app.db live/app.db.before-restore").exit_code == 0);
  Command c = RunStep(dir,
                      "{id: r, uses: restore, with: {source: new.db, target: live/app.db, "
                      "force: true}}");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(DbValue(dir + "/live/app.db") == "new\n");
  CHECK(DbValue(dir + "/live/app.db.before-restore") == "old\n");
}

TEST_CASE("own files: restore's env_file never names the database or the dump it restores",
          "[steps][own-file]") {
  // breakI I29: env_file: live/app.db replaced the restored database with env text; naming
  // the source dump destroyed the only dump.
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/live");
  MakeValueDb(dir, "new.db", "new");
  MakeValueDb(dir, "live/app.db", "old");
  REQUIRE(Shell("cd " + dir + " && ln -s ../new.db live/link.env").exit_code == 0);
  for (const char* env : {"live/app.db", "new.db", "live/app.db-wal", "live/app.db.before-restore",
                          "live/link.env"}) {
    CAPTURE(env);
    Command c = RunStep(dir, std::string("{id: r, uses: restore, with: {source: new.db, target: ") +
                                 "live/app.db, force: true, env_file: " + env + "}}");
    INFO(c.err);
    CHECK(c.exit_code != 0);
    CHECK(DbValue(dir + "/live/app.db") == "old\n");
    CHECK(DbValue(dir + "/new.db") == "new\n");
  }
  // Named literally, it is a located error at load, before anything runs.
  WriteFile(dir, "v.yaml",
            "version: 1\nname: r\nsteps:\n  - {id: r, uses: restore, with: {source: new.db, "
            "target: live/app.db, env_file: live/app.db}}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate v.yaml");
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.out + v.err, Catch::Contains("v.yaml:4:") &&
                                Catch::Contains("is the restored database, one of its files"));
}
