// The run's inputs are bound with the rules every other input has (breakI I20, I13): a secret
// file is a regular file of at most 1 MiB (a FIFO blocked the run, /dev/zero took all memory,
// a folder was "shorter than 4 characters"); a number is finite (nan, inf, 1e400 became null).
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("secret files: a FIFO, a device, a folder or a huge file is refused at once",
          "[engine][bind]") {
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && mkfifo fifo && mkdir folder && head -c 2000000 /dev/zero | " +
                "tr '\\\\0' x > huge && printf 'K3yMaterialPart0ne\\000rest-of-key' > nul")
              .exit_code == 0);
  for (const auto& [path, why] : std::vector<std::pair<std::string, std::string>>{
           {dir + "/fifo", "is a FIFO, not a regular file"},
           {"/dev/zero", "not a regular file"},
           {dir + "/folder", "not a regular file"},
           {dir + "/huge", "is larger than 1 MiB"},
           // break23a A4: the command got the text before the NUL, which nothing masked.
           {dir + "/nul", "holds a NUL byte; a secret reaches commands as text"}}) {
    CAPTURE(path);
    WriteFile(dir, "s.yaml",
              "version: 1\nname: s\nsecrets:\n  tok: {file: " + path +
                  "}\nsteps:\n  - {id: a, uses: exec, with: {run: [echo, hi]}}\n");
    Command c =
        Shell("cd " + dir + " && timeout -s KILL 20 " + Binary() + " run s.yaml --audit-db a.db");
    CHECK(c.exit_code == 3);  // as a secret missing from the environment
    CHECK_THAT(c.err, Catch::Contains("secret 'tok': ") && Catch::Contains(why));
  }
}

TEST_CASE("number params: nan, inf and values past a double are refused, never null",
          "[engine][bind]") {
  std::string dir = TempDir();
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nparams:\n  n: {type: number, default: 1}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, 'n=${{ params.n }}']}}\n");
  for (const char* bad : {"1e400", "-1e400", "nan", "inf"}) {
    CAPTURE(bad);
    Command c =
        Shell("cd " + dir + " && " + Binary() + " run n.yaml --audit-db a.db --set n=" + bad);
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("expected a finite number"));
  }
  WriteFile(dir, "d.yaml",
            "version: 1\nname: d\nparams:\n  n: {type: number, default: 1e400}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, 'n=${{ params.n }}']}}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate d.yaml");
  CHECK(v.exit_code == 2);
  CHECK_THAT(v.err + v.out, Catch::Contains("d.yaml:4:"));
}
