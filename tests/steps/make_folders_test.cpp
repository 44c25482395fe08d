// A step that writes into a folder that does not exist makes it, mode 0700, and says so
// (issue 14 #9): backup's dest, archive's output folder, restore's target folder. A path
// through a file is refused in words.
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "steps/common/files.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

int ModeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

Command RunIn(const std::string& dir, const std::string& steps) {
  WriteFile(dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
  return Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db");
}

}  // namespace

TEST_CASE("backup into a folder that does not exist makes it with mode 0700 and says so",
          "[steps][folders]") {
  std::string dir = TempDir();
  REQUIRE(
      Shell("sqlite3 " + dir + "/app.db 'create table t(x); insert into t values (1)'").exit_code ==
      0);
  Command r =
      RunIn(dir, "  - {id: b, uses: backup, with: {database: " + dir + "/app.db, dest: " + dir +
                     "/backups/daily}}\n"
                     "  - {id: z, uses: archive, needs: [b], with: {files: ['" +
                     dir + "/backups/daily/*.gz'], output: " + dir + "/out/zips/b.zip}}\n");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("created folder " + dir + "/backups (mode 0700)") &&
                        Catch::Contains("created folder " + dir + "/backups/daily (mode 0700)") &&
                        Catch::Contains("created folder " + dir + "/out/zips (mode 0700)"));
  CHECK(ModeOf(dir + "/backups") == 0700);
  CHECK(ModeOf(dir + "/backups/daily") == 0700);
  CHECK(ModeOf(dir + "/out/zips") == 0700);
  CHECK(Shell("ls " + dir + "/backups/daily/*.sqlite.gz").exit_code == 0);
  CHECK(Shell("test -s " + dir + "/out/zips/b.zip").exit_code == 0);
  // A second run: the folders are there, nothing is said about them.
  Command again = RunIn(dir, "  - {id: b, uses: backup, with: {database: " + dir +
                                 "/app.db, dest: " + dir + "/backups/daily}}\n");
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, !Catch::Contains("created folder"));
}

TEST_CASE("a folder path through a file is refused in words, nothing is made", "[steps][folders]") {
  std::string dir = TempDir();
  WriteFile(dir, "plain", "x");
  auto made = MakeFolders(dir + "/plain/sub/deeper");
  REQUIRE_FALSE(made.ok());
  CHECK_THAT(made.status().message(), Catch::Contains(dir + "/plain is not a folder"));
  CHECK(Shell("test -e " + dir + "/plain/sub").exit_code != 0);
  auto there = MakeFolders(dir);
  REQUIRE(there.ok());
  CHECK(there.value().empty());
  // A symlink to a folder is a folder (as for mkdir -p).
  REQUIRE(Shell("mkdir " + dir + "/real && ln -s real " + dir + "/link").exit_code == 0);
  auto through = MakeFolders(dir + "/link/new");
  REQUIRE(through.ok());
  CHECK(through.value() == std::vector<std::string>{dir + "/link/new"});
  CHECK(ModeOf(dir + "/real/new") == 0700);
}

TEST_CASE(
    "every step that writes into a folder makes it 0700 and says so: sync destination, "
    "inventory, service log (breakL L23)",
    "[steps][folders]") {
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir " + dir + "/src").exit_code == 0);
  WriteFile(dir + "/src", "a.txt", "a\n");
  Command r =
      RunIn(dir, "  - {id: sync, uses: s3-sync, with: {source: " + dir + "/src, dest: " + dir +
                     "/q2/sub, inventory: ''}}\n"
                     "  - {id: hs, uses: hash, with: {files: [" +
                     dir + "/src/a.txt], verify: none, inventory: " + dir +
                     "/q5/sub/inv.json}}\n"
                     "  - {id: svc, uses: service, with: {run: [sleep, '5'], log: " +
                     dir + "/q3/sub/svc.log}}\n");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  for (const char* folder : {"q2", "q2/sub", "q5", "q5/sub", "q3", "q3/sub"}) {
    CAPTURE(folder);
    CHECK_THAT(r.err, Catch::Contains("created folder " + dir + "/" + folder + " (mode 0700)"));
    CHECK(Shell("stat -c %a " + dir + "/" + folder).out == "700\n");
  }
  CHECK(ReadFile(dir + "/q2/sub/a.txt") == "a\n");
}

TEST_CASE("steps making the same folder at once both have it, neither says it is not a folder",
          "[steps][folders]") {
  // CI 2026-12-06: two parallel backup steps into one new `dumps`: one made it between the
  // other's look and its check, which then said "dumps is not a folder" and failed.
  std::string dir = TempDir();
  int failed = 0;
  for (int round = 0; round < 200; ++round) {
    const std::string path = dir + "/r" + std::to_string(round) + "/a/b/c";
    std::vector<std::thread> makers;
    std::atomic<int> bad{0};
    for (int t = 0; t < 4; ++t)
      makers.emplace_back([&] {
        if (!MakeFolders(path).ok()) ++bad;
      });
    for (std::thread& m : makers) m.join();
    failed += bad;
  }
  CHECK(failed == 0);
}
