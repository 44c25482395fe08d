// The log step: in-process, its outputs keep their types and feed later steps.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("log publishes typed outputs that later steps read", "[steps][log]") {
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(
      "version: 1\nname: t\nparams:\n  n: {type: integer, default: 2}\nsteps:\n"
      "  - id: compute\n    uses: log\n"
      "    with: {message: 'n is ${{ params.n }}', outputs: {twice: '${{ params.n * 2 }}'}}\n"
      "  - id: use\n    uses: exec\n    needs: [compute]\n"
      "    if: ${{ steps.compute.outputs.twice == 4 }}\n"
      "    with: {run: [sh, -c, 'echo got=$0 >> $RUNBOOK_OUTPUT', "
      "'${{ steps.compute.outputs.twice }}']}\n",
      rb);
  CHECK(ran.result.status == "success");
  CHECK(ran.Step(*rb, "compute").outputs.at("twice") == Value(int64_t{4}));
  CHECK(ran.Step(*rb, "use").outcome == Outcome::kSuccess);
  CHECK(ran.Step(*rb, "use").outputs.at("got") == Value("4"));
}

TEST_CASE("log with an unknown parameter is a located error", "[steps][log]") {
  CHECK(Diagnose("version: 1\nname: t\nsteps:\n  - id: l\n    uses: log\n"
                 "    with: {mesage: hi}\n") ==
        "test.yaml:6:12: error: unknown key 'mesage' in the parameters of step type 'log'; "
        "did you mean 'message'?\n"
        "    6 |     with: {mesage: hi}\n"
        "      |            ^~~~~~\n");
}
