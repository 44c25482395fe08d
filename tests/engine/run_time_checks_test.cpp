// A value an expression gives is held to the same rules as one written in the runbook: the
// step type's own checks run again on the resolved parameters, and every parameter error
// found at run time names where the parameter is written (breakJ J20, J25).
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

Command RunWith(const std::string& dir, const std::string& set) {
  return Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db " + set);
}

}  // namespace

TEST_CASE("s3-sync's part_size from an expression is checked as a literal one is",
          "[engine][params][s3]") {
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir " + dir + "/src && echo x > " + dir + "/src/a.txt").exit_code == 0);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: ps\nparams:\n  p: {type: string, default: 8MiB}\nsteps:\n"
            "  - id: s\n    uses: s3-sync\n    with:\n      source: src\n      dest: mirror\n"
            "      part_size: \"${{ params.p }}\"\n");
  for (const char* bad : {"1KiB", "4MiB", "0", "-5MiB", "6GiB"}) {
    CAPTURE(bad);
    Command c = RunWith(dir, std::string("--set p=") + bad);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("part_size must be from 5MiB to 5GiB (S3's part limits), "
                                      "not '" +
                                      std::string(bad) + "' (at line 11, column 18)") ||
                          Catch::Contains("part_size must be a size such as '8MiB'"));
    CHECK(Shell("test -e " + dir + "/mirror/a.txt").exit_code != 0);  // nothing was synced
  }
  Command word = RunWith(dir, "--set p=abc");
  CHECK(word.exit_code == 1);
  CHECK_THAT(word.err, Catch::Contains("part_size must be a size such as '8MiB' or '16MB' (at "
                                       "line 11, column 18)"));
  Command good = RunWith(dir, "--set p=16MiB");
  CHECK(good.exit_code == 0);
  CHECK(Shell("test -e " + dir + "/mirror/a.txt").exit_code == 0);
}

TEST_CASE("a parameter out of its range at run time names where it is written",
          "[engine][params]") {
  std::string dir = TempDir();
  REQUIRE(Shell(kSqliteWaiting + dir + "/app.db 'create table t(x)'").exit_code == 0);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: kl\nparams:\n  keep: {type: integer, default: 3}\nsteps:\n"
            "  - id: b\n    uses: backup\n    with:\n      database: app.db\n      dest: dumps\n"
            "      keep_last: \"${{ params.keep }}\"\n");
  Command c = RunWith(dir, "--set keep=0");
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("parameter 'keep_last': ") &&
                        Catch::Contains("(at line 11, column 18)"));
}
