// `runbook test` (docs/testing.md, engine/testing/): scenarios run a runbook with scripted
// steps, their expectations are compared and located, coverage says which branches they
// took; every shipped runbook's scenario file passes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Test(const std::string& dir, const std::string& args) {
  return "cd " + dir + " && " + Binary() + " test " + args;
}

// A runbook with a retried step, an if: failure() rollback, a tolerated failure, an approval
// and a finally step. `apply` would write a file if it ran for real.
const char* kRunbook =
    "version: 1\nname: t\nparams:\n  region: {type: string, default: eu}\n"
    "steps:\n"
    "  - id: gate\n    uses: approval\n    with: {prompt: 'Go?'}\n"
    "  - id: fetch\n    uses: exec\n    needs: [gate]\n"
    "    retry: {max_attempts: 3, delay: 30s}\n"
    "    with: {run: [sh, -c, 'echo path=/x >> \"$RUNBOOK_OUTPUT\"']}\n"
    "  - id: note\n    uses: log\n    needs: [fetch]\n"
    "    with: {message: 'got ${{ steps.fetch.outputs.path }}', outputs: {seen: "
    "'${{ steps.fetch.outputs.path }}'}}\n"
    "  - id: apply\n    uses: exec\n    needs: [note]\n"
    "    with: {run: [touch, applied-for-real]}\n"
    "  - id: lint\n    uses: exec\n    needs: [fetch]\n    continue_on_error: true\n"
    "    with: {run: ['true']}\n"
    "  - id: rollback\n    uses: exec\n    needs: [apply]\n    if: ${{ failure() }}\n"
    "    with: {run: ['true']}\n"
    "finally:\n  - id: tidy\n    uses: exec\n    with: {run: ['true']}\n";

}  // namespace

TEST_CASE("runbook test plays scripted outcomes and says which branches the scenarios took",
          "[runbook-test][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml", kRunbook);
  WriteFile(dir, "t.test.yaml",
            "defaults:\n  steps:\n    fetch: {outputs: {path: /dumps/a.gz}}\n"
            "scenarios:\n"
            "  - name: happy\n    expect: {status: success, steps: {rollback: skipped}}\n"
            "  - name: retried then applied\n"
            "    steps:\n      fetch: {attempts: [timeout, failure, {outputs: {path: /b}}]}\n"
            "    expect: {status: success, attempts: {fetch: 3}}\n"
            "  - name: apply fails and is rolled back\n"
            "    steps: {apply: {outcome: failure, error: boom}, lint: failure}\n"
            "    expect: {status: failure, steps: {rollback: success, lint: failure, tidy: "
            "success}}\n"
            "  - name: declined\n    steps: {gate: decline}\n"
            "    expect: {status: failure, steps: {fetch: skipped, tidy: success}}\n");
  Command t = Shell(Test(dir, "t.yaml"));
  INFO(t.out << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("ok   happy\nok   retried then applied\nok   apply fails and is rolled back\n"
                   "ok   declined\n") == 0);
  CHECK(t.out.find("coverage: 6 of 6 branches\n4 scenario(s): 4 passed, 0 failed\n") !=
        std::string::npos);
  // Nothing ran for real; the log step did, reading the scripted output.
  CHECK_FALSE(std::filesystem::exists(dir + "/applied-for-real"));
  // Retries did not wait their 30 s (three scenarios retry or not: seconds at most).
}

TEST_CASE("runbook test locates a broken expectation, says what was not covered, exit 1",
          "[runbook-test][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml", kRunbook);
  WriteFile(dir, "t.test.yaml",
            "defaults: {steps: {fetch: {outputs: {path: /x}}}}\n"
            "scenarios:\n"
            "  - name: wrong\n"
            "    expect:\n      status: failure\n      steps: {rollback: success}\n"
            "      attempts: {fetch: 2}\n");
  Command t = Shell(Test(dir, "t.yaml"));
  CHECK(t.exit_code == 1);
  CHECK(t.out.find("FAIL wrong\n") == 0);
  CHECK(t.out.find("t.test.yaml:5:15: the run ended success, expected failure\n") !=
        std::string::npos);
  CHECK(t.out.find("t.test.yaml:6:15: step 'rollback' ended skipped (condition is false: ${{ "
                   "failure() }}), expected success\n") != std::string::npos);
  CHECK(t.out.find("t.test.yaml:7:18: step 'fetch' made 1 attempt(s), expected 2\n") !=
        std::string::npos);
  CHECK(t.out.find("coverage: 2 of 6 branches; not taken: fetch retried, lint failure "
                   "tolerated, rollback if: true, tidy after a failed run\n") != std::string::npos);
  // The same as JSON, for CI.
  Command j = Shell(Test(dir, "t.yaml --format json"));
  CHECK(j.exit_code == 1);
  auto v = ParseJson(j.out);
  REQUIRE(v.ok());
  CHECK(v.value().Find("coverage")->Find("covered")->as_int() == 2);
  CHECK(v.value().Find("scenarios")->as_list().at(0).Find("passed")->as_bool() == false);
}

TEST_CASE("runbook test refuses a scenario file with mistakes, each located, exit 2",
          "[runbook-test][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml", kRunbook);
  WriteFile(dir, "t.test.yaml",
            "scenarios:\n"
            "  - name: a\n    steps: {fetch: explode}\n    expect: {status: success}\n"
            "  - name: b\n"
            "  - name: c\n    expect: {steps: {fetch: passed}}\n");
  Command t = Shell(Test(dir, "t.yaml"));
  CHECK(t.exit_code == 2);
  CHECK(t.err.find("t.test.yaml:3:20: error: invalid scripted outcome 'explode'; expected one of: "
                   "success, failure, timeout, decline") != std::string::npos);
  CHECK(t.err.find("t.test.yaml:5:5: error: scenario 'b' has no expect: it would prove nothing") !=
        std::string::npos);
  CHECK(t.err.find("t.test.yaml:7:29: error: invalid expected outcome 'passed'; expected one of: "
                   "success, warning, failure, skipped, cancelled") != std::string::npos);
  // A step the runbook does not have: located, with the closest id.
  WriteFile(dir, "u.test.yaml",
            "scenarios:\n  - name: typo\n    steps: {fecth: failure}\n    expect: {status: "
            "failure}\n");
  Command u = Shell(Test(dir, "t.yaml --scenarios u.test.yaml"));
  CHECK(u.exit_code == 2);
  CHECK(u.out.find("u.test.yaml:3:13: steps names step 'fecth', which the runbook does not have; "
                   "did you mean 'fetch'?") != std::string::npos);
  // No scenario file at all.
  Command none = Shell(Test(dir, "t.yaml --scenarios missing.test.yaml"));
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("missing.test.yaml") != std::string::npos);
}

TEST_CASE("runbook test refuses scripts a step cannot play: located, exit 2",
          "[runbook-test][cli]") {
  // break20 (newcomer): a call's own steps scripted, decline on an exec step, outputs the
  // type never reports or of the wrong type were played silently.
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/lib");
  WriteFile(dir, "lib/c.yaml",
            "version: 1\nname: c\nsteps:\n  - {id: x, uses: exec, with: {run: ['true']}}\n");
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: call, uses: ./lib/c.yaml}\n"
            "  - {id: h, uses: hash, needs: [call], with: {files: [a]}}\n");
  WriteFile(dir, "t.test.yaml",
            "scenarios:\n"
            "  - name: bad\n    steps:\n      call: failure\n      call.x: decline\n"
            "      h: {outputs: {verified: many, bogus: 1}}\n"
            "    expect: {status: failure}\n");
  Command t = Shell(Test(dir, "t.yaml"));
  INFO(t.out);
  CHECK(t.exit_code == 2);
  CHECK(t.out.find("t.test.yaml:4:7: step 'call' is the engine's own step of a call of "
                   "./lib/c.yaml: script the steps inside it (call.<id>)") != std::string::npos);
  CHECK(t.out.find("t.test.yaml:5:15: decline is for an approval; step 'call.x' is exec (script "
                   "failure instead)") != std::string::npos);
  CHECK(t.out.find("step 'h' (hash) has no output 'bogus'") != std::string::npos);
  CHECK(t.out.find("output 'verified' of step 'h': ") != std::string::npos);
  // An empty expect proves nothing; an error on a success and an exit code on one too.
  WriteFile(dir, "e.test.yaml",
            "scenarios:\n  - name: empty\n    expect: {}\n"
            "  - name: odd\n    steps: {h: {error: x, exit_code: 3}}\n    expect: {status: "
            "success}\n");
  Command e = Shell(Test(dir, "t.yaml --scenarios e.test.yaml"));
  CHECK(e.exit_code == 2);
  CHECK(e.err.find("e.test.yaml:3:13: error: expect is empty: it would prove nothing") !=
        std::string::npos);
  CHECK(e.err.find("error is for an attempt that does not succeed") != std::string::npos);
  CHECK(e.err.find("exit_code is for an attempt that fails") != std::string::npos);
}

TEST_CASE("a scripted exit code decides a retry limited to exit codes", "[runbook-test][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - id: a\n    uses: exec\n"
            "    retry: {max_attempts: 3, exit_codes: [75]}\n    with: {run: ['true']}\n");
  WriteFile(dir, "t.test.yaml",
            "scenarios:\n"
            "  - name: temporary\n"
            "    steps: {a: {attempts: [{outcome: failure, exit_code: 75}, success]}}\n"
            "    expect: {status: success, attempts: {a: 2}}\n"
            "  - name: permanent\n    steps: {a: {outcome: failure, exit_code: 1}}\n"
            "    expect: {status: failure, attempts: {a: 1}}\n");
  Command t = Shell(Test(dir, "t.yaml"));
  INFO(t.out);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("coverage: 1 of 1 branches") != std::string::npos);
}

TEST_CASE(
    "scenario files beside runbooks: validate checks them, run refuses them, serve skips them",
    "[runbook-test][cli][validate]") {
  // break20 (newcomer): `validate runbooks/*.yaml` (README, the demo, CI) took drill.test.yaml
  // for a runbook and failed.
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml", kRunbook);
  WriteFile(dir, "t.test.yaml", "scenarios:\n  - name: a\n    expect: {status: success}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate t.yaml t.test.yaml");
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("t.test.yaml: ok (1 scenarios; runbook test t.yaml runs them)") !=
        std::string::npos);
  Command run = Shell("cd " + dir + " && " + Binary() + " plan t.test.yaml");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("t.test.yaml: error: is a scenario file, not a runbook: runbook test t.yaml "
                     "runs its scenarios") != std::string::npos);
  Command schedule = Shell("cd " + dir + " && " + Binary() + " schedule .");
  INFO(schedule.out << schedule.err);
  CHECK(schedule.exit_code == 0);
  CHECK((schedule.out + schedule.err).find("t.test.yaml") == std::string::npos);
}

TEST_CASE("runbook test verdicts and coverage follow what a real run would do (break21)",
          "[runbook-test][cli]") {
  std::string dir = TempDir();
  // #1: a finally step after passing main steps is "after a successful run", whatever it ends.
  // #3: an unscripted approval answers with its inputs' defaults, as a real one approved is.
  // #9: a loop's id scripts and expects its items.
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n"
            "  - id: gate\n    uses: approval\n"
            "    with: {prompt: go, inputs: {pct: {type: integer, default: 5, enum: [5, 10]}}}\n"
            "  - id: use\n    uses: log\n    needs: [gate]\n"
            "    if: ${{ steps.gate.outputs.pct == 5 }}\n    with: {message: ok}\n"
            "  - id: each\n    uses: exec\n    needs: [use]\n    for_each: [a, b]\n"
            "    with: {run: ['true']}\n"
            "finally:\n  - {id: cleanup, uses: exec, with: {run: ['true']}}\n");
  WriteFile(dir, "c.test.yml",  // .test.yml is found too (#7)
            "scenarios:\n"
            "  - name: cleanup fails after a passing run\n    steps: {cleanup: failure}\n"
            "    expect: {status: failure, steps: {use: success, each: success}}\n"
            "  - name: every item fails\n    steps: {each: failure}\n"
            "    expect:\n      status: failure\n      steps:\n        each: failure\n"
            "        each[1]: failure\n");
  Command t = Shell(Test(dir, "c.yaml"));
  INFO(t.out << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("coverage: 3 of 4 branches; not taken: use if: false\n") != std::string::npos);
}

TEST_CASE("runbook test refuses scenarios that prove nothing or hold impossible values (break21)",
          "[runbook-test][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "a.yaml",
            "version: 1\nname: a\nparams:\n  s: {type: string, default: x}\n"
            "  n: {type: integer, default: 1}\nsteps:\n"
            "  - id: gate\n    uses: approval\n"
            "    with: {prompt: go, inputs: {pct: {type: integer, default: 5, enum: [5, 10]}}}\n"
            "  - {id: w, uses: exec, needs: [gate], retry: {max_attempts: 2, exit_codes: [75]}, "
            "with: {run: ['true']}}\n");
  WriteFile(dir, "a.test.yaml",
            "scenarios:\n"
            "  - name: [a]\n    expect: {steps: {}}\n"                                  // 2-3
            "  - name: b\n    steps: {w: {outcome: failure, exit_code: 4294967371}}\n"  // 4-5
            "    expect: {attempts: {w: -1}}\n"                                         // 6
            "  - name: c\n    steps: {w: {outcome: failure, error: {a: 1}}}\n"          // 7-8
            "    expect: {status: failure}\n");
  Command bad = Shell(Test(dir, "a.yaml --format json"));
  CHECK(bad.exit_code == 2);
  for (const char* e : {"a scenario's name must be a text that says what it proves",
                        "expect is empty: it would prove nothing",
                        "exit_code of a failure must be 1 to 255, found 4294967371",
                        "the attempts of step 'w' cannot be negative", "error must be a text"})
    CHECK(bad.err.find(e) != std::string::npos);
  auto json = ParseJson(bad.out);  // #10: still one JSON document, with the errors
  REQUIRE(json.ok());
  CHECK(json.value().Find("errors")->as_list().size() == 5);
  WriteFile(dir, "b.test.yaml",
            "scenarios:\n"
            "  - name: params\n    params: {s: [p], n: abc}\n    expect: {status: success}\n"
            "  - name: inputs\n    steps:\n      gate: {outputs: {pct: 7, pcnt: 5}}\n"
            "      w: {attempts: [failure, failure, success]}\n"
            "    expect: {status: success}\n");
  Command b = Shell(Test(dir, "a.yaml --scenarios b.test.yaml"));
  INFO(b.out);
  CHECK(b.exit_code == 2);
  CHECK(b.out.find("ERROR params\n") != std::string::npos);
  CHECK(b.out.find("b.test.yaml:3:14: params: param 's' is string, not a list or mapping") !=
        std::string::npos);
  CHECK(b.out.find("b.test.yaml:3:22: params: ") != std::string::npos);  // n, located too
  CHECK(b.out.find("input 'pct' of approval 'gate': ") != std::string::npos);
  CHECK(b.out.find("approval 'gate' has no input 'pcnt'; did you mean 'pct'?") !=
        std::string::npos);
  CHECK(b.out.find("the script of step 'w' has 3 attempts, but it makes at most 2") !=
        std::string::npos);
}

TEST_CASE("every shipped runbook's scenarios pass", "[runbook-test][cli][shipped]") {
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::string(RUNBOOK_SOURCE_DIR) + "/runbooks")) {
    std::string path = entry.path().string();
    const std::string suffix = ".test.yaml";
    if (path.size() < suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string runbook = path.substr(0, path.size() - suffix.size()) + ".yaml";
    Command t = Shell(Binary() + " test " + runbook);
    INFO(runbook << "\n" << t.out << t.err);
    CHECK(t.exit_code == 0);
    ++files;
  }
  CHECK(files >= 2);  // drill and restore at least
}
