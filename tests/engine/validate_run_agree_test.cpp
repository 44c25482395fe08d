// What `validate` accepts in an expression, the run evaluates; what the run cannot evaluate,
// `validate` rejects with its location (breakII2 II2-4: a step's own env in its `if:` and the
// bare `run` context passed validate and plan, then failed the step at run time, after the
// work before it had run).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A runbook whose step `e` writes `expr`'s value to out.txt, with a runbook env, a step env,
// a param and an upstream step's output to read.
std::string WithExpression(const std::string& expr, const std::string& where) {
  std::string step =
      "  - id: e\n    uses: exec\n    needs: [a]\n    env: {OWN: mine}\n" +
      (where == "if"
           ? "    if: \"${{ " + expr + " }}\"\n" +
                 "    with: {shell: true, run: 'echo ran > out.txt'}\n"
           : "    with: {run: [sh, -c, 'printf %s \"$0\" > out.txt', \"${{ " + expr + " }}\"]}\n");
  return "version: 1\nname: v\nparams:\n  p: {default: pv}\nenv: {RB: rbv}\nsteps:\n"
         "  - {id: a, uses: exec, with: {shell: true, run: 'echo \"k=v\" >> "
         "\"$RUNBOOK_OUTPUT\"'}}\n" +
         step;
}

}  // namespace

TEST_CASE("an expression validate accepts is evaluated by the run", "[engine][expressions]") {
  std::string dir = TempDir();
  const std::vector<std::pair<std::string, std::string>> accepted = {
      {"contains(toJSON(run), 'success')", "if"},  // bare run: every field (II2-4)
      {"run.id != ''", "if"},
      {"env.RB == 'rbv'", "if"},                 // the runbook's env in an if:
      {"contains(toJSON(params), 'pv')", "if"},  // bare params
      {"steps.a.outputs.k == 'v'", "if"},
      {"contains(toJSON(steps.a.outputs), 'v')", "if"},
      {"toJSON(run)", "with"},
      {"env.OWN", "with"},  // the step's own env, outside its if:
  };
  for (const auto& [expr, where] : accepted) {
    CAPTURE(expr, where);
    WriteFile(dir, "rb.yaml", WithExpression(expr, where));
    Shell("rm -f " + dir + "/out.txt");
    Command v = Shell("cd " + dir + " && " + Binary() + " validate rb.yaml");
    CHECK(v.exit_code == 0);
    Command r = Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db </dev/null");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(!ReadFile(dir + "/out.txt").empty());
  }
}

TEST_CASE("an expression the run cannot evaluate is a located validate error",
          "[engine][expressions]") {
  std::string dir = TempDir();
  struct Case {
    std::string expr, where, says;
  };
  const std::vector<Case> rejected = {
      {"env.OWN == 'mine'", "if", "env 'OWN' is set by this step's own env:"},  // II2-4
      {"startsWith(env.OWN, 'm')", "if", "env 'OWN' is set by this step's own env:"},
      {"toJSON(env) != ''", "if", "'env' must name a variable"},
      {"toJSON(env)", "with", "'env' must name a variable"},
      {"toJSON(steps)", "with", "'steps' must name a step"},
  };
  for (const Case& c : rejected) {
    CAPTURE(c.expr, c.where);
    WriteFile(dir, "rb.yaml", WithExpression(c.expr, c.where));
    Command v = Shell("cd " + dir + " && " + Binary() + " validate rb.yaml");
    CHECK(v.exit_code == 2);
    CHECK_THAT(v.err, Catch::Contains("rb.yaml:12:") && Catch::Contains(c.says));
    Command r = Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db </dev/null");
    CHECK(r.exit_code == 2);  // refused before any step ran
    CHECK(Shell("test -e " + dir + "/a.db").exit_code != 0);
  }
}

TEST_CASE("env entries read only the entries above them, as the run resolves them",
          "[engine][expressions][env]") {
  // breakJJ JJ1: a forward, self or cyclic reference passed validate and plan; the run then
  // failed (exit 3 for the runbook's env, the step for a step's).
  std::string dir = TempDir();
  auto validate = [&](const std::string& body) {
    WriteFile(dir, "e.yaml", "version: 1\nname: e\n" + body);
    return Shell("cd " + dir + " && " + Binary() + " validate e.yaml");
  };
  Command forward = validate(
      "env:\n  A: \"${{ env.B }}-a\"\n  B: b\nsteps:\n  - {id: s, uses: "
      "log, with: {message: \"${{ env.A }}\"}}\n");
  CHECK(forward.exit_code == 2);
  CHECK_THAT(forward.err,
             Catch::Contains("e.yaml:4:") && Catch::Contains("env 'B' is set after this entry"));
  Command steps = validate(
      "steps:\n  - id: s\n    uses: log\n    env:\n      D: \"${{ env.C }}\"\n      C: c\n"
      "      S: \"${{ env.S }}x\"\n    with: {message: \"${{ env.D }}\"}\n");
  CHECK(steps.exit_code == 2);
  CHECK_THAT(steps.err, Catch::Contains("env 'C' is set after this entry") &&
                            Catch::Contains("env 'S' is this entry itself"));
  // What is above, and the runbook's env under a step's entry of the same name, run.
  WriteFile(dir, "ok.yaml",
            "version: 1\nname: ok\nenv:\n  A: a\n  B: \"${{ env.A }}b\"\nsteps:\n  - id: s\n"
            "    uses: exec\n    env:\n      B: \"${{ env.B }}+\"\n      C: \"${{ env.B }}c\"\n"
            "    with: {shell: true, run: 'printf %s \"$B/$C\" > out.txt'}\n");
  Command ran = Shell("cd " + dir + " && " + Binary() + " run ok.yaml --audit-db a.db");
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ReadFile(dir + "/out.txt") == "ab+/ab+c");
}

TEST_CASE("a lock reads params and secrets only, and plan and a dry run resolve it",
          "[engine][expressions][lock]") {
  // breakJJ JJ2: env and run.* passed validate and plan, the run refused the lock (exit 2); a
  // lock the params cannot resolve passed plan and the dry run.
  std::string dir = TempDir();
  for (std::string lock : {"${{ env.E }}", "${{ run.status }}", "${{ toJSON(run) }}"}) {
    CAPTURE(lock);
    WriteFile(dir, "l.yaml",
              "version: 1\nname: l\nenv: {E: e}\nlock: \"L-" + lock +
                  "\"\nsteps:\n  - {id: s, uses: log, with: {message: hi}}\n");
    Command v = Shell("cd " + dir + " && " + Binary() + " validate l.yaml");
    CHECK(v.exit_code == 2);
    CHECK_THAT(v.err, Catch::Contains("l.yaml:4:") &&
                          Catch::Contains("a lock is taken before the run starts: it may read "
                                          "params and secrets only"));
  }
  WriteFile(dir, "p.yaml",
            "version: 1\nname: p\nsecrets:\n  s: {env: LOCK_SECRET}\nparams:\n  c: {default: "
            "'{\"x\": 1}'}\nlock: \"L-${{ fromJSON(params.c).x }}-${{ secrets.s }}\"\nsteps:\n"
            "  - {id: s, uses: log, with: {message: hi}}\n");
  std::string env = "cd " + dir + " && LOCK_SECRET=lock-secret-1 " + Binary() + " ";
  CHECK(Shell(env + "plan p.yaml").exit_code == 0);
  CHECK(Shell(env + "run p.yaml --dry-run").exit_code == 0);  // the secret: a placeholder
  for (const char* cmd : {"plan p.yaml --set c=notjson", "run p.yaml --dry-run --set c=notjson",
                          "run p.yaml --audit-db a.db --set c=notjson"}) {
    CAPTURE(cmd);
    Command c = Shell(env + std::string(cmd));
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("lock: invalid JSON"));
  }
  CHECK(Shell(env + "run p.yaml --audit-db a.db").exit_code == 0);
}
