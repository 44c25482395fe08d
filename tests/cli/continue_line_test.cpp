// After kill -9 no run printed how to continue (breakL L14): `show` of a failed, cancelled or
// interrupted run prints the one command that continues it, with every flag it needs, and a
// resume that refuses lists every reason at once and ends with that one command. The
// printed command is then followed as printed.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// The line of `text` that holds `marker`, from the marker's end to the line's end.
std::string After(const std::string& text, const std::string& marker) {
  size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return text.substr(at, text.find('\n', at) - at);
}

}  // namespace

TEST_CASE(
    "continue line: show and a refused resume give one command with every flag, and it "
    "works",
    "[cli][resume]") {
  std::string dir = TempDir();
  WriteFile(
      dir, "k.yaml",
      "version: 1\nname: k\nsteps:\n"
      "  - {id: a, uses: exec, with: {run: [sh, -c, 'echo started >> marks; test -f go || exec " +
          SleepMarker(2) +
          "']}}\n"
          "  - {id: b, uses: exec, needs: [a], with: {run: [echo, b ran]}}\n");
  // Run options a resume keeps are recorded, so show has them too (breakM M2).
  std::string id = RunUntilStartedThenKill(dir, "k.yaml", "--max-parallel 1 --wait");
  REQUIRE(!id.empty());
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + id + " --audit-db a.db");
  INFO(show.out << show.err);
  std::string expected = "runbook resume " + id + " --audit-db " + dir +
                         "/a.db --rerun a --end-leftovers --max-parallel 1 --wait";
  CHECK_THAT(show.out, Catch::Contains("to continue, after checking what the steps to --rerun "
                                       "did: " +
                                       expected));
  CHECK_THAT(show.out, Catch::Contains("a (exec)  unfinished\n") &&
                           Catch::Contains("never finished\n") && !Catch::Contains("0ms"));
  // Every reason at once, then the one command.
  Command bare =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db </dev/null");
  INFO(bare.err);
  CHECK(bare.exit_code == 2);
  CHECK_THAT(bare.err, Catch::Contains("resume with --rerun a") &&
                           Catch::Contains("left 1 process(es) running") &&
                           Catch::Contains("after checking, to continue: " + expected));
  CHECK(ProcessAlive(SleepMarker(2)));  // a refused resume ends nothing
  // Followed as printed, from another folder (after checking: the step may now pass).
  Command followed = Shell("touch " + dir + "/go && cd / && " + Binary() +
                           After(show.out, ": runbook") + " </dev/null");
  INFO(followed.err);
  CHECK(followed.exit_code == 0);
  CHECK_THAT(followed.err, Catch::Contains("b ran"));
  CHECK_FALSE(ProcessAlive(SleepMarker(2)));
  // The run that was continued points to the run that continued it.
  Command again = Shell(Binary() + " show " + id + " --audit-db " + dir + "/a.db");
  CHECK_THAT(again.out, Catch::Contains("resumed as " + LatestRunId(dir + "/a.db") + " (success)"));
}

TEST_CASE("continue line: show of a failed run with a masked param names --set for it",
          "[cli][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\nsecrets:\n  pw: {env: PW}\nparams:\n  url: {type: string}\n"
            "steps:\n  - {id: a, uses: exec, with: {run: [test, -f, go]}}\n");
  REQUIRE(Shell("cd " + dir + " && PW=SuperSecret123 " + Binary() +
                " run m.yaml --audit-db a.db --set url=https://u:SuperSecret123@h/x")
              .exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell(Binary() + " show " + id + " --audit-db " + dir + "/a.db");
  CHECK_THAT(show.out, Catch::Contains("to continue: runbook resume " + id) &&
                           Catch::Contains(" --set url=VALUE") &&
                           !Catch::Contains("SuperSecret123"));
}

TEST_CASE("a runbook under a path that is not UTF-8 is resumed from its very file (breakU U3)",
          "[cli][resume]") {
  std::string dir = TempDir();
  std::string odd = dir + "/d\xff\xfe";  // bytes JSON cannot hold
  REQUIRE(Shell("mkdir '" + odd + "'").exit_code == 0);
  WriteFile(odd, "rb.yaml",
            "version: 1\nname: u3\nsteps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'test -e ok'}}\n");
  Command failed =
      Shell("cd '" + odd + "' && " + Binary() + " run rb.yaml --audit-db " + dir + "/a.db");
  REQUIRE(failed.exit_code == 1);
  std::string line = After(failed.err, "to continue this run: ");
  REQUIRE_FALSE(line.empty());
  REQUIRE(Shell("touch '" + odd + "/ok'").exit_code == 0);
  // Followed as printed, from elsewhere: the record gives back the path's own bytes.
  Command resumed = Shell("cd / && " + Binary() + line.substr(line.find(' ')));
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("success"));
}
