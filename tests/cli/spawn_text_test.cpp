// What a command is started with is what the runbook made, or the step fails saying why:
// an argument or an environment value holding a NUL (it would be cut there) and an
// environment name empty or holding '=' (it would set another variable), made at run time
// by an expression (break23a C3's kind past the loader: fromJSON(), a `with.env` map from an
// expression). engine/spawn.cpp ImageProblem; against real runs.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("a command whose argv or env an expression made unpassable is refused, said",
          "[cli][exec][written]") {
  struct Case {
    std::string step, says;
  };
  const Case cases[] = {
      {"    with: {run: [sh, -c, 'echo ran > ran', \"${{ fromJSON('\\\"a\\\\u0000b\\\"') }}\"]}\n",
       "argument 3 of the command holds a NUL character"},
      {"    env: {V: \"${{ fromJSON('\\\"a\\\\u0000b\\\"') }}\"}\n"
       "    with: {run: [sh, -c, 'echo ran > ran']}\n",
       "the value of environment variable V holds a NUL character"},
      {"    with: {run: [sh, -c, 'echo ran > ran'], env: \"${{ fromJSON('{\\\"A=B\\\": "
       "\\\"x\\\"}') "
       "}}\"}\n",
       "the environment variable name 'A=B' is empty or holds '='"},
      {"    with: {run: [sh, -c, 'echo ran > ran'], env: \"${{ fromJSON('{\\\"\\\": \\\"x\\\"}') "
       "}}\"}\n",
       "the environment variable name '' is empty"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.step);
    std::string dir = TempDir();
    WriteFile(dir, "s.yaml", "version: 1\nname: s\nsteps:\n  - id: a\n    uses: exec\n" + k.step);
    Command c = Shell("cd " + dir + " && " + Binary() + " run s.yaml --audit-db a.db", 60);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err + c.out, Catch::Contains(k.says));
    CHECK(ReadFile(dir + "/ran").empty());  // nothing ran with a cut or changed text
  }
}
