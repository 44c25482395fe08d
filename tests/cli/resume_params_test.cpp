// A forced resume with a runbook whose params changed since the run (breakL L26, L27): a
// param added is taken from --set or its default, and a required one without either is
// asked for before anything runs, as `run` asks; a param removed or renamed is dropped with
// a note; a recorded value the new declaration refuses is refused. No path leads to a
// run that fails mid-way on a param, or to advice that contradicts itself.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A run of `first` that fails at step a (no file `go`), then `second` written over it and
// `go` made: the resume has the changed runbook. Returns the failed run's id.
std::string FailThenChange(const std::string& dir, const std::string& first,
                           const std::string& second, const std::string& env = "",
                           const std::string& flags = "") {
  WriteFile(dir, "r.yaml", first);
  Command failed =
      Shell("cd " + dir + " && " + env + " " + Binary() + " run r.yaml --audit-db a.db " + flags);
  REQUIRE(failed.exit_code == 1);
  WriteFile(dir, "r.yaml", second);
  Shell("touch " + dir + "/go");
  return LatestRunId(dir + "/a.db");
}

Command Resume(const std::string& dir, const std::string& id, const std::string& flags,
               const std::string& env = "") {
  return Shell("cd " + dir + " && " + env + " " + Binary() + " resume " + id +
               " --audit-db a.db --force " + flags + " </dev/null");
}

const char* kSteps =
    "steps:\n  - {id: a, uses: exec, with: {run: [test, -f, go]}}\n"
    "  - {id: b, uses: exec, needs: [a], with: {run: [echo, \"got ${{ params }}\"]}}\n";

}  // namespace

TEST_CASE("resume params: a required param added since the run is asked for before any step",
          "[cli][resume]") {
  std::string dir = TempDir();
  std::string id = FailThenChange(dir, std::string("version: 1\nname: r\n") + kSteps,
                                  std::string("version: 1\nname: r\nparams:\n"
                                              "  target: {type: string, required: true}\n"
                                              "  n: {type: integer, minimum: 1, required: true}\n"
                                              "  mode: {type: string, default: fast}\n") +
                                      kSteps);
  Command bare = Resume(dir, id, "");
  INFO(bare.err);
  CHECK(bare.exit_code == 2);
  CHECK_THAT(bare.err, Catch::Contains("param 'target' is declared by the runbook since run " + id +
                                       " and is required; give it with --set target=VALUE") &&
                           Catch::Contains("give it with --set n=VALUE"));
  CHECK(LatestRunId(dir + "/a.db") == id);  // nothing was run
  // The command that continues names them (breakM M3: it was refused the same way for ever).
  CHECK_THAT(bare.err, Catch::Contains("after checking, to continue: runbook resume " + id) &&
                           Catch::Contains("--force --set target=VALUE --set n=VALUE"));
  Command low = Resume(dir, id, "--set target=prod --set n=0");
  CHECK(low.exit_code == 2);
  CHECK_THAT(low.err, Catch::Contains("--set n: value 0 is below the minimum 1"));
  Command given = Resume(dir, id, "--set target=prod --set n=2");
  INFO(given.out << given.err);
  CHECK(given.exit_code == 0);
  CHECK_THAT(given.err, Catch::Contains("\"target\":\"prod\"") && Catch::Contains("\"n\":2") &&
                            Catch::Contains("\"mode\":\"fast\""));
}

TEST_CASE("resume params: a param renamed since the run is dropped with a note, the new name set",
          "[cli][resume]") {
  std::string dir = TempDir();
  const std::string env = "PW=SuperSecret123";
  std::string id =
      FailThenChange(dir,
                     std::string("version: 1\nname: r\nsecrets:\n  pw: {env: PW}\nparams:\n"
                                 "  url: {type: string}\n") +
                         kSteps,
                     std::string("version: 1\nname: r\nsecrets:\n  pw: {env: PW}\nparams:\n"
                                 "  uri: {type: string}\n") +
                         kSteps,
                     env + " ", "--set 'url=https://u:SuperSecret123@h/x'");
  // The old name is no param now: one error, the new name suggested, no "give it again".
  Command old_name = Resume(dir, id, "--set 'url=https://u:SuperSecret123@h/x'", env);
  INFO(old_name.err);
  CHECK(old_name.exit_code == 2);
  CHECK_THAT(old_name.err, Catch::Contains("param 'url' of run " + id +
                                           " is not declared by the runbook any more: dropped") &&
                               Catch::Contains("unknown param 'url'; did you mean 'uri'?") &&
                               !Catch::Contains("give it again"));
  Command resumed = Resume(dir, id, "--set 'uri=https://u:x@h/y'", env);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("https://u:x@h/y"));
}

TEST_CASE("resume params: a recorded value the changed declaration refuses is not run with",
          "[cli][resume]") {
  std::string dir = TempDir();
  std::string id = FailThenChange(
      dir, std::string("version: 1\nname: r\nparams:\n  n: {type: string}\n") + kSteps,
      std::string("version: 1\nname: r\nparams:\n  n: {type: integer}\n") + kSteps, "",
      "--set n=abc");
  Command c = Resume(dir, id, "");
  INFO(c.err);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("param 'n' of run " + id +
                                    " does not fit the runbook's declaration now") &&
                        Catch::Contains("a resume cannot change a parameter"));
  CHECK(LatestRunId(dir + "/a.db") == id);
}

TEST_CASE("resume params: an --input holding a secret's text is never repeated masked",
          "[cli][resume]") {
  // breakM M27: the refused resume's line gave --input 'gate.code=***', which was accepted.
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsecrets:\n  pw: {file: pw.txt}\nsteps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'echo started >> marks; exec " +
                SleepMarker(3) +
                "'}}\n"
                "  - id: gate\n    uses: approval\n    needs: [a]\n    with:\n"
                "      prompt: go on\n      inputs: {code: {type: string}}\n");
  WriteFile(dir, "pw.txt", "SuperSecret123\n");
  std::string id = RunUntilStartedThenKill(dir, "g.yaml", "--approve gate");
  REQUIRE(!id.empty());
  Shell("pkill -f '" + SleepMarker(3) + "'; sleep 0.3");
  Command refused = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                          " --audit-db a.db --approve gate --input gate.code=SuperSecret123 "
                          "</dev/null");
  INFO(refused.err);
  CHECK(refused.exit_code == 2);  // step a must be confirmed with --rerun
  CHECK_THAT(refused.err, Catch::Contains("--input gate.code=VALUE") &&
                              !Catch::Contains("SuperSecret123") && !Catch::Contains("=***"));
  Command masked = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                         " --audit-db a.db --rerun a --approve gate --input 'gate.code=***' "
                         "</dev/null");
  CHECK(masked.exit_code == 2);
  CHECK_THAT(masked.err, Catch::Contains("--input gate.code: give the value itself"));
}
