// A command's own output never replaces the audit store (breakJ J22): `report --output`
// naming the store (or its -shm) wrote the report over it with exit 0, `--metrics-file` the
// metrics; every run recorded there was lost. Refused, naming both; the store stays whole.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::string Runs(const std::string& dir) {
  return Shell(kSqliteWaiting + dir + "/a.db 'select count(*) from runs'").out;
}

bool Verified(const std::string& dir) {
  return Shell("cd " + dir + " && " + Binary() + " audit verify --audit-db a.db").exit_code == 0;
}

}  // namespace

TEST_CASE("own store: report --output and --metrics-file never write over the store",
          "[cli][own-store]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db").exit_code == 0);
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  id.pop_back();
  for (const std::string& out : {std::string("a.db"), dir + "/a.db", std::string("./a.db-shm")}) {
    CAPTURE(out);
    Command c = Shell("cd " + dir + " && " + Binary() + " report " + id +
                      " --audit-db a.db --format md --output " + out);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("refusing to write " + out + ": it is ") &&
                          Catch::Contains("runbook's audit store " + dir + "/a.db"));
    CHECK(Runs(dir) == "1\n");
    CHECK(Verified(dir));
  }
  Command m =
      Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db --metrics-file a.db");
  INFO(m.out << m.err);
  CHECK_THAT(m.err, Catch::Contains("refusing to write " + dir +
                                    "/a.db: it is runbook's audit "
                                    "store") &&
                        Catch::Contains("nothing was run"));
  CHECK(m.exit_code == 3);    // as report --output's (breakFF F7)
  CHECK(Runs(dir) == "1\n");  // refused before the run started
  CHECK(Verified(dir));
  CHECK_THAT(Shell("head -c 16 " + dir + "/a.db").out, Catch::Contains("SQLite format 3"));
}
