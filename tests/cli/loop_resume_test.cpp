// Loops (engine/loops.h) through the real binary: resume runs again only the items that did
// not pass, and makes the items from the params as completed on the resume's command line.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::string In(const std::string& dir, const std::string& args, const std::string& env = "") {
  return "cd " + dir + " && " + env + Binary() + " " + args + " --audit-db a.db";
}

}  // namespace

TEST_CASE("resume runs again only the loop items that did not pass", "[loops][cli][resume]") {
  std::string dir = TempDir();
  WriteFile(dir, "l.yaml",
            "version: 1\nname: l\nparams:\n  dbs: {type: list, default: [shop, orders, users]}\n"
            "steps:\n  - id: dump\n    uses: exec\n    idempotent: true\n"
            "    for_each: ${{ params.dbs }}\n    max_parallel: 1\n    env: {DB: '${{ item }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$DB\" >> ran; test \"$DB\" != orders || test -e "
            "fixed']}\n");
  Command first = Shell(In(dir, "run l.yaml"));
  CHECK(first.exit_code == 1);
  CHECK(ReadFile(dir + "/ran") == "shop\norders\n");  // fail_fast: users never started
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/fixed");
  Command again = Shell(In(dir, "resume " + id));
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(ReadFile(dir + "/ran") == "shop\norders\norders\nusers\n");  // shop carried
}

TEST_CASE("a resume makes a loop's items from the params given again, never their masked record",
          "[loops][cli][resume][secrets]") {
  // break19 L1: a list param holding a secret's text is recorded masked; the resume took the
  // items from that record, and an item ran on "***" and passed.
  std::string dir = TempDir();
  WriteFile(dir, "s.yaml",
            "version: 1\nname: s\nparams:\n  dbs: {type: list, default: [shop]}\n"
            "secrets:\n  pw: {env: LOOP_PW}\nsteps:\n"
            "  - {id: gate, uses: exec, idempotent: true, with: {run: [test, -e, open]}}\n"
            "  - id: d\n    uses: exec\n    needs: [gate]\n    for_each: ${{ params.dbs }}\n    "
            "max_parallel: 1\n"
            "    env: {DB: '${{ item }}'}\n"
            "    with: {run: [sh, -c, 'echo \"$DB\" >> got']}\n");
  std::string env = "LOOP_PW=hunter2secret7 ";
  std::string set = " --set 'dbs=[\"shop\",\"hunter2secret7\"]'";
  CHECK(Shell(In(dir, "run s.yaml" + set, env)).exit_code == 1);  // the gate is shut
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/open");
  Command again = Shell(In(dir, "resume " + id + set, env));
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(ReadFile(dir + "/got") == "shop\nhunter2secret7\n");
  CHECK(again.err.find("hunter2secret7") == std::string::npos);  // masked where it is shown
}

TEST_CASE("graph draws a loop's items as Mermaid nodes of their own", "[loops][cli][graph]") {
  // break19 L4: `d[0]` in Mermaid is node `d` with a shape: every item was one node.
  std::string dir = TempDir();
  WriteFile(dir, "g.yaml",
            "version: 1\nname: g\nsteps:\n  - {id: d, uses: exec, for_each: [x, y], with: {run: "
            "['true']}}\n  - {id: after, uses: exec, needs: [d], with: {run: ['true']}}\n");
  Command g = Shell("cd " + dir + " && " + Binary() + " graph --format mermaid g.yaml");
  CHECK(g.out ==
        "flowchart LR\n  d__0[\"d[0] (exec)\"]\n  d__1[\"d[1] (exec)\"]\n  after[\"after "
        "(exec)\"]\n  d__0 --> after\n  d__1 --> after\n");
}

TEST_CASE("a loop of approvals is approved by naming the loop in --approve",
          "[loops][cli][approval]") {
  // break19 L9: each item had to be named, or --yes given, which approves every gate.
  std::string dir = TempDir();
  WriteFile(dir, "a.yaml",
            "version: 1\nname: a\nsteps:\n"
            "  - {id: gate, uses: approval, for_each: [eu, us], with: {prompt: 'Fail over "
            "${{ item }}?'}}\n"
            "  - {id: other, uses: approval, with: {prompt: 'Other?'}}\n");
  Command named = Shell("cd " + dir + " && " + Binary() +
                        " run a.yaml --approve gate --approve other --audit-db a.db < /dev/null");
  INFO(named.err);
  CHECK(named.exit_code == 0);
  // Only the loop's: the other gate still needs its own word.
  Command only = Shell("cd " + dir + " && " + Binary() +
                       " run a.yaml --approve gate --audit-db a.db < /dev/null");
  CHECK(only.exit_code == 2);
  CHECK_THAT(only.err, Catch::Contains("approval 'other' needs a person"));
  CHECK_THAT(only.err, !Catch::Contains("approval 'gate["));
}
