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
