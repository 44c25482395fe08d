// breakM M17: a run killed under a step kept nothing the step printed, yet the resume tells
// the operator to "check what it did". What running attempts print is kept as they run.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("what a step printed before runbook was killed is shown, masked, by show --step",
          "[cli][show][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "pw", "Zebra-Plum-7731\n");
  WriteFile(dir, "k.yaml",
            "version: 1\nname: k\nsecrets:\n  pw: {file: " + dir +
                "/pw}\nsteps:\n  - id: work\n    uses: exec\n    env: {PW: '${{ secrets.pw }}'}\n"
                "    with: {shell: true, run: 'for i in $(seq 300); do echo \"row $i copied\"; "
                "done; echo \"login with $PW\"; echo half-way >&2; sleep 3; echo started >> " +
                dir + "/marks; " + SleepMarker(9) + "'}\n");
  std::string id = RunUntilStartedThenKill(dir, "k.yaml", "");
  REQUIRE_FALSE(id.empty());
  Shell("pkill -f '" + SleepMarker(9) + "'");
  Command step =
      Shell("cd " + dir + " && " + Binary() + " show " + id + " --step work --audit-db a.db");
  INFO(step.out << step.err);
  CHECK(step.exit_code == 0);
  CHECK_THAT(step.out, Catch::Contains("never finished") && Catch::Contains("kept while it ran") &&
                           Catch::Contains("row 300 copied") && Catch::Contains("login with ***") &&
                           Catch::Contains("half-way") && !Catch::Contains("Zebra-Plum-7731"));
  // Its last 4 KiB, from a line's start: the first rows are gone, no row is cut in two.
  CHECK_THAT(step.out, !Catch::Contains("row 1 copied") && !Catch::Contains("\n        ow "));
  // `show RUN` gives the last lines, and the resume's refusal says where to look.
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + id + " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Contains("half-way") && !Catch::Contains("row 280 copied"));
  Command resume =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db </dev/null");
  CHECK(resume.exit_code == 2);
  CHECK_THAT(resume.err, Catch::Contains("(runbook show " + id + " --step work)"));
  // Nothing is kept apart for an attempt that finished: its record has its output.
  Shell("cd " + dir + " && " + Binary() + " resume " + id + " --rerun work --audit-db a.db & " +
        "sleep 4; pkill -f '" + SleepMarker(9) + "'; wait");
  std::string next = LatestRunId(dir + "/a.db");
  Command finished =
      Shell("cd " + dir + " && " + Binary() + " show " + next + " --step work --audit-db a.db");
  CHECK_THAT(finished.out,
             Catch::Contains("row 300 copied") && !Catch::Contains("kept while it ran"));
}
