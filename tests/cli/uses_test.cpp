// Reusable runbooks (`uses: ./lib/x.yaml`, engine/calls.h) through the real binary: mistakes
// across files located in the file that has them, the child's steps run inside the parent's
// run with its params from `with:` and its outputs read downstream, a failure inside skips
// what needs the call, resume continues inside the child, history shows the calls.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::string In(const std::string& dir, const std::string& args, const std::string& env = "") {
  return "cd " + dir + " && " + env + Binary() + " " + args + " --audit-db a.db";
}

// A fresh folder with lib/ in it, for the used runbooks.
std::string Folder() {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/lib");
  return dir;
}

// The "FILE:LINE:COL: error: ..." lines of `err`, in order.
std::vector<std::string> ErrorLines(const std::string& err) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t nl; (nl = err.find('\n', at)) != std::string::npos; at = nl + 1) {
    std::string line = err.substr(at, nl - at);
    if (line.find(": error: ") != std::string::npos) out.push_back(line);
  }
  return out;
}

// A used runbook: `word` (required) and `times` (default 2) in, `said` and `times` out; its
// `check` step fails while the file `fail-<word>` exists in the run's folder.
const char* kChild =
    "version: 1\nname: child\nparams:\n"
    "  word: {type: string, required: true}\n"
    "  times: {type: integer, default: 2}\n"
    "env:\n  GREETING: 'hi ${{ params.word }}'\n"
    "steps:\n"
    "  - id: say\n    uses: exec\n    idempotent: true\n"
    "    with: {run: [sh, -c, 'echo \"said=$GREETING\" >> \"$RUNBOOK_OUTPUT\"; echo \"say "
    "$GREETING\" "
    ">> ran']}\n"
    "  - id: check\n    uses: exec\n    idempotent: true\n    needs: [say]\n"
    "    env: {W: '${{ params.word }}'}\n"
    "    with: {run: [sh, -c, 'echo \"check $W\" >> ran; test ! -e \"fail-$W\"']}\n"
    "outputs:\n  said: '${{ steps.say.outputs.said }}'\n  times: '${{ params.times }}'\n";

}  // namespace

TEST_CASE("a used runbook's mistakes and the caller's are located in their own files, all at once",
          "[uses][cli][validate]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/child.yaml", kChild);
  WriteFile(dir, "lib/bad.yaml",
            "version: 1\nname: bad\nsteps:\n  - id: a\n    uses: exec\n"
            "    with: {run: [echo, '${{ steps.nope.outputs.x }}']}\n");
  WriteFile(dir, "lib/a.yaml", "version: 1\nname: a\nsteps:\n  - id: b\n    uses: ./b.yaml\n");
  WriteFile(dir, "lib/b.yaml", "version: 1\nname: b\nsteps:\n  - id: a\n    uses: ./a.yaml\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n"
            "  - id: one\n    uses: ./lib/child.yaml\n    with: {wrd: x}\n"                // 4-6
            "  - id: two\n    uses: ./lib/child.yaml\n    with: {word: x, times: many}\n"  // 7-9
            "  - id: three\n    uses: ./lib/bad.yaml\n"                                    // 10-11
            "  - id: four\n    uses: ./lib/a.yaml\n"                                       // 12-13
            "  - id: five\n    uses: ./lib/missing.yaml\n"                                 // 14-15
            "  - id: six\n    uses: ./lib/child.yaml\n    timeout: 5m\n    with: {word: x}\n"
            "  - id: after\n    uses: log\n    needs: [two]\n"
            "    with: {message: '${{ steps.two.outputs.sad }}'}\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate p.yaml");
  INFO(v.err);
  CHECK(v.exit_code == 2);
  std::vector<std::string> want = {
      "lib/a.yaml:5:11: error: runbook ./b.yaml has errors (reported in lib/b.yaml)",
      "lib/b.yaml:5:11: error: uses ./a.yaml, which uses this runbook again: a cycle (a.yaml -> "
      "b.yaml -> a.yaml)",
      "lib/bad.yaml:6:29: error: unknown step 'nope'",
      "p.yaml:5:11: error: step 'one' (./lib/child.yaml) is missing required parameter 'word'",
      "p.yaml:6:12: error: unknown key 'wrd' in the parameters of step type './lib/child.yaml'; "
      "did you mean 'word'?",
      "p.yaml:9:28: error: parameter 'times': expected an integer, found string 'many'",
      "p.yaml:11:11: error: runbook ./lib/bad.yaml has errors (reported in lib/bad.yaml)",
      "p.yaml:13:11: error: runbook ./lib/a.yaml has errors (reported in lib/a.yaml)",
      "p.yaml:15:11: error: uses ./lib/missing.yaml (lib/missing.yaml): cannot read the file: No "
      "such file or directory",
      "p.yaml:18:5: error: timeout is not for a step that uses a runbook (./lib/child.yaml): set "
      "it on that runbook's steps",
      "p.yaml:23:26: error: step 'two' (./lib/child.yaml) has no output 'sad'; did you mean "
      "'said'?"};
  CHECK(ErrorLines(v.err) == want);
  // The excerpt under an error in the used file is that file's line.
  CHECK(v.err.find("    6 |     with: {run: [echo, '${{ steps.nope.outputs.x }}']}") !=
        std::string::npos);
}

TEST_CASE(
    "a used runbook runs inside the run: params from with:, outputs downstream, a loop of calls",
    "[uses][cli]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/child.yaml", kChild);
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n"
            "  - id: first\n    uses: log\n    with: {outputs: {w: world}}\n"
            "  - id: greet\n    uses: ./lib/child.yaml\n    needs: [first]\n"
            "    with: {word: '${{ steps.first.outputs.w }}', times: 3}\n"
            "  - id: each\n    uses: ./lib/child.yaml\n    for_each: [a, b]\n"
            "    with: {word: '${{ item }}'}\n"
            "  - id: after\n    uses: exec\n    needs: [greet, each]\n"
            "    env: {S: '${{ steps.greet.outputs.said }} ${{ steps.greet.outputs.times }} "
            "${{ steps.greet.outcome }} ${{ join(steps.each.outputs.said, '','') }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$S\" > after']}\n");
  Command run = Shell(In(dir, "run p.yaml"));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(ReadFile(dir + "/after") == "hi world 3 success hi a,hi b\n");
  Command history = Shell(In(dir, "history"));
  CHECK(history.out.find("  └ greet uses ./lib/child.yaml: success\n") != std::string::npos);
  CHECK(history.out.find("  └ each[1] uses ./lib/child.yaml: success\n") != std::string::npos);
  Command show = Shell(In(dir, "show " + LatestRunId(dir + "/a.db")));
  CHECK(show.out.find("\n  greet.@start (./lib/child.yaml)  success") != std::string::npos);
  CHECK(show.out.find("\n    greet.say (exec)  success") != std::string::npos);
  CHECK(show.out.find("\n      attempt 1  ") != std::string::npos);  // under its step
  CHECK(show.out.find("\n  greet (./lib/child.yaml)  success") != std::string::npos);
}

TEST_CASE(
    "a failure inside a used runbook skips what needs the call, and its if: false skips it all",
    "[uses][cli]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/child.yaml", kChild);
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  go: {type: boolean, default: true}\nsteps:\n"
            "  - id: greet\n    uses: ./lib/child.yaml\n    if: ${{ params.go }}\n"
            "    with: {word: x}\n"
            "  - id: after\n    uses: exec\n    needs: [greet]\n"
            "    with: {run: [touch, after]}\n"
            "  - id: handler\n    uses: exec\n    needs: [greet]\n    if: ${{ failure() }}\n"
            "    env: {O: '${{ steps.greet.outcome }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$O\" > handled']}\n");
  Shell("touch " + dir + "/fail-x");
  Command failed = Shell(In(dir, "run p.yaml"));
  CHECK(failed.exit_code == 1);
  CHECK(ReadFile(dir + "/after").empty());
  CHECK(ReadFile(dir + "/handled") == "failure\n");
  Command history = Shell(In(dir, "history"));
  CHECK(history.out.find("  └ greet uses ./lib/child.yaml: failure\n") != std::string::npos);
  Shell("rm " + dir + "/ran " + dir + "/handled");
  Command skipped = Shell(In(dir, "run p.yaml --set go=false"));
  INFO(skipped.err);
  CHECK(skipped.exit_code == 0);
  CHECK(ReadFile(dir + "/ran").empty());  // no step of the call ran
  CHECK(skipped.err.find("greet.say") != std::string::npos);
  CHECK(Shell(In(dir, "history")).out.find("  └ greet uses ./lib/child.yaml: skipped\n") !=
        std::string::npos);
}

TEST_CASE("resume continues inside a used runbook, and refuses one edited since",
          "[uses][cli][resume]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/child.yaml", kChild);
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n"
            "  - id: greet\n    uses: ./lib/child.yaml\n    with: {word: x}\n"
            "  - id: after\n    uses: exec\n    needs: [greet]\n"
            "    env: {S: '${{ steps.greet.outputs.said }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$S\" > after']}\n");
  Shell("touch " + dir + "/fail-x");
  CHECK(Shell(In(dir, "run p.yaml")).exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  CHECK(ReadFile(dir + "/ran") == "say hi x\ncheck x\n");
  // An edited used runbook is not the one the run used.
  std::string edited = std::string(kChild) + "# edited\n";
  WriteFile(dir, "lib/child.yaml", edited);
  Command refused = Shell(In(dir, "resume " + id));
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("lib/child.yaml, a runbook") != std::string::npos);
  // Resumed from another folder, by the runbook's absolute path: the same files.
  Shell("rm " + dir + "/fail-x");
  CHECK(refused.err.find("changed since run " + id) != std::string::npos);
  WriteFile(dir, "lib/child.yaml", kChild);
  Command again = Shell("cd / && " + Binary() + " resume " + id + " --audit-db " + dir + "/a.db");
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(ReadFile(dir + "/ran") == "say hi x\ncheck x\ncheck x\n");  // `say` carried over
  CHECK(ReadFile(dir + "/after") == "hi x\n");                      // its output too
}

TEST_CASE("an approval inside a used runbook is named by its dotted id", "[uses][cli][approval]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/gate.yaml",
            "version: 1\nname: gate\nsteps:\n"
            "  - id: declare\n    uses: approval\n"
            "    with: {prompt: 'Go?', inputs: {ticket: {type: string}}}\n"
            "outputs:\n  ticket: '${{ steps.declare.outputs.ticket }}'\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - id: inc\n    uses: ./lib/gate.yaml\n"
            "  - id: after\n    uses: exec\n    needs: [inc]\n"
            "    env: {T: '${{ steps.inc.outputs.ticket }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$T\" > ticket']}\n");
  Command run = Shell(
      In(dir, "run p.yaml --approve inc.declare --input inc.declare.ticket=INC-7 </dev/null"));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(ReadFile(dir + "/ticket") == "INC-7\n");
}

TEST_CASE("plan shows a used runbook's steps in the run's graph", "[uses][cli][plan]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/child.yaml", kChild);
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n"
            "  - id: greet\n    uses: ./lib/child.yaml\n    with: {word: x}\n");
  Command plan = Shell("cd " + dir + " && " + Binary() + " plan p.yaml --format json");
  INFO(plan.err);
  CHECK(plan.exit_code == 0);
  for (const char* id : {"\"greet.@start\"", "\"greet.say\"", "\"greet.check\"", "\"greet\""})
    CHECK(plan.out.find(id) != std::string::npos);
  // A used runbook's expressions name its steps as the run does (break20 #13: the caller's
  // step of the same id was what `steps.say` seemed to mean).
  Command text = Shell("cd " + dir + " && " + Binary() + " plan p.yaml");
  CHECK(text.out.find("said = \"${{ steps.greet.say.outputs.said }}\"") != std::string::npos);
  Command graph = Shell("cd " + dir + " && " + Binary() + " graph p.yaml");
  CHECK(graph.exit_code == 0);
  CHECK(graph.out.find("greet.say") != std::string::npos);
  // Mermaid ids: no '.' or '@', which Mermaid reads as syntax.
  Command mermaid = Shell("cd " + dir + " && " + Binary() + " graph p.yaml --format mermaid");
  CHECK(mermaid.out.find("  greet____at_start --> greet___say\n") != std::string::npos);
  CHECK(mermaid.out.find("greet___say[\"greet.say (exec)\"]") != std::string::npos);
  // The tree: a call's steps boxed under its name and file.
  CHECK(graph.out.find("  subgraph \"cluster_greet\" {\n    label=\"greet: child "
                       "(./lib/child.yaml)\"; style=rounded;\n    \"greet.@start\";\n"
                       "    \"greet.say\";\n    \"greet.check\";\n    \"greet\";\n  }\n") !=
        std::string::npos);
  CHECK(mermaid.out.find("  subgraph greet_call[\"greet: child (./lib/child.yaml)\"]\n") !=
        std::string::npos);
}

TEST_CASE("max_parallel and fail_fast on a loop of used runbooks bound whole calls",
          "[uses][cli][loops]") {
  std::string dir = Folder();
  WriteFile(dir, "lib/slow.yaml",
            "version: 1\nname: slow\nparams:\n  db: {type: string, required: true}\nsteps:\n"
            "  - id: a\n    uses: exec\n    env: {DB: '${{ params.db }}'}\n"
            "    with: {run: [sh, -c, 'echo \"start $DB\" >> log; sleep 0.3']}\n"
            "  - id: b\n    uses: exec\n    needs: [a]\n    env: {DB: '${{ params.db }}'}\n"
            "    with: {run: [sh, -c, 'echo \"end $DB\" >> log; test \"$DB\" != bad']}\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nparams:\n  dbs: {type: list, default: [x, y, z]}\nsteps:\n"
            "  - id: each\n    uses: ./lib/slow.yaml\n    for_each: ${{ params.dbs }}\n"
            "    max_parallel: 1\n    with: {db: '${{ item }}'}\n");
  Command run = Shell(In(dir, "run p.yaml"));
  INFO(run.err);
  CHECK(run.exit_code == 0);
  // One call at a time: each ends before the next starts.
  CHECK(ReadFile(dir + "/log") == "start x\nend x\nstart y\nend y\nstart z\nend z\n");
  Shell("rm " + dir + "/log");
  Command failed = Shell(In(dir, "run p.yaml --set 'dbs=[\"x\",\"bad\",\"z\"]'"));
  CHECK(failed.exit_code == 1);
  CHECK(ReadFile(dir + "/log") == "start x\nend x\nstart bad\nend bad\n");  // z never started
  CHECK(failed.err.find("an item of 'each' failed, and fail_fast is on") != std::string::npos);
}

TEST_CASE(
    "a call's with: is checked when it starts, its outcome is one everywhere, an empty one runs",
    "[uses][cli]") {
  std::string dir = Folder();
  // break20 #4: a value under the param's minimum reached the used runbook, whose first
  // (destructive) step ran before a later one read it.
  WriteFile(dir, "lib/c.yaml",
            "version: 1\nname: c\nparams:\n  keep: {type: integer, minimum: 1, default: 7}\n"
            "steps:\n  - {id: destroy, uses: exec, with: {run: [touch, destroyed]}}\n"
            "  - {id: prune, uses: log, needs: [destroy], with: {message: 'keep "
            "${{ params.keep }}'}}\n");
  // break20 #3: a used runbook without main steps skipped the call and what needed it.
  WriteFile(dir, "lib/empty.yaml", "version: 1\nname: e\nsteps: []\noutputs: {o: x}\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n"
            "  - {id: up, uses: log, with: {outputs: {k: '-5'}}}\n"
            "  - id: c\n    uses: ./lib/c.yaml\n    needs: [up]\n"
            "    with: {keep: '${{ fromJSON(steps.up.outputs.k) }}'}\n"
            "  - {id: e, uses: ./lib/empty.yaml}\n"
            "  - {id: d, uses: exec, needs: [e], env: {O: '${{ steps.e.outputs.o }}'}, "
            "with: {run: [sh, -c, 'echo \"$O\" > d']}}\n");
  Command run = Shell(In(dir, "run p.yaml"));
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(dir + "/destroyed"));
  CHECK(run.err.find("FAIL c.@start  ") != std::string::npos);
  CHECK(run.err.find("value -5 is below the minimum 1") != std::string::npos);
  CHECK(ReadFile(dir + "/d") == "x\n");
  // break20 #9: the call's outputs step says the call's outcome in the summary too.
  CHECK(run.err.find("\nc                            failure ") != std::string::npos);
}

TEST_CASE("fail_fast skips the steps of calls of a loop once one failed, parallel or not",
          "[uses][cli][loops]") {
  // break20 #2: every call's start step ran at once, so no call counted as not started and
  // fail_fast skipped nothing: six destructive items ran after the first failed.
  std::string dir = Folder();
  WriteFile(
      dir, "lib/c.yaml",
      "version: 1\nname: c\nparams:\n  n: {type: integer}\nsteps:\n"
      "  - id: w\n    uses: exec\n    env: {N: '${{ params.n }}'}\n"
      "    with: {run: [sh, -c, 'echo \"item $N\" >> trace; sleep 0.2; test \"$N\" != 0']}\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - id: c\n    uses: ./lib/c.yaml\n"
            "    for_each: [0, 1, 2, 3, 4, 5]\n    with: {n: '${{ item }}'}\n");
  Command run = Shell(In(dir, "run p.yaml --max-parallel 1"));
  CHECK(run.exit_code == 1);
  CHECK(ReadFile(dir + "/trace") == "item 0\n");
  CHECK(run.err.find("skip c[5].w  (an item of 'c' failed, and fail_fast is on)") !=
        std::string::npos);
}

TEST_CASE("validate finds what only expanding the used runbooks finds, in the file that has it",
          "[uses][cli][validate]") {
  // break20 #5: validate said ok, plan refused the run (over the step limit).
  std::string dir = Folder();
  std::string big = "version: 1\nname: big\nsteps:\n";
  for (int i = 0; i < 5001; ++i) big += "  - {id: s" + std::to_string(i) + ", uses: log}\n";
  WriteFile(dir, "lib/big.yaml", big);
  WriteFile(dir, "p.yaml", "version: 1\nname: p\nsteps:\n  - id: c\n    uses: ./lib/big.yaml\n");
  Command v = Shell("cd " + dir + " && " + Binary() + " validate p.yaml");
  CHECK(v.exit_code == 2);
  CHECK(v.err.find("p.yaml:5:11: error: uses ./lib/big.yaml: the run would have over 5000 steps "
                   "once its runbooks are expanded\n") != std::string::npos);
}

TEST_CASE("an error inside a used runbook's step names the file its line is in", "[uses][cli]") {
  // break20 #8: "(at line 8, column 6)" was read in the caller's file.
  std::string dir = Folder();
  WriteFile(dir, "lib/c.yaml",
            "version: 1\nname: c\nparams:\n  j: {type: string}\nsteps:\n"
            "  - id: s\n    uses: exec\n    with: {run: [echo, '${{ fromJSON(params.j) }}']}\n");
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsteps:\n  - id: c\n    uses: ./lib/c.yaml\n"
            "    with: {j: 'not json'}\n");
  Command run = Shell(In(dir, "run p.yaml"));
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("(at lib/c.yaml line 8, column 24)") != std::string::npos);
}
