// exec's success_codes: a list of exit codes, checked at load where written and at run time
// where computed; a failure says which codes would have passed (break22 #7).
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string WithCodes(const std::string& codes, const std::string& command = "'true'") {
  return "version: 1\nname: t\nparams:\n  c: {type: list, default: []}\nsteps:\n"
         "  - {id: e, uses: exec, with: {run: [" +
         command + "], success_codes: " + codes + "}}\n";
}

}  // namespace

TEST_CASE("exec success_codes: each item is an exit code from 0 to 255, located",
          "[steps][exec][codes]") {
  for (const char* bad :
       {"[\"O\"]", "[256]", "[-1]", "[1.5]", "[99999999999999999999]", "[0, x]"}) {
    CAPTURE(bad);
    std::string d = Diagnose(WithCodes(bad));
    CHECK_THAT(d, Catch::Contains("is not an exit code (an integer from 0 to 255)"));
    CHECK_THAT(d, Catch::Contains(":6:"));  // the step's line
  }
  CHECK(Diagnose(WithCodes("[0, 1, 255]")) == "(valid)");
  CHECK(Diagnose(WithCodes("\"${{ params.c }}\"")) == "(valid)");  // known at run time
}

TEST_CASE(
    "exec success_codes: computed items are checked when the step runs, a failure names "
    "the codes",
    "[steps][exec][codes]") {
  std::unique_ptr<Runbook> rb;
  Ran bad = RunText(WithCodes("\"${{ fromJSON('[0, 300]') }}\""), rb);
  REQUIRE(rb != nullptr);
  CHECK(bad.result.status == "failure");
  CHECK_THAT(bad.Step(*rb, "e").reason,
             Catch::Contains("success_codes: '300' is not an exit code"));
  Ran other = RunText(WithCodes("[1, 2]", "sh, -c, 'exit 3'"), rb);
  CHECK_THAT(other.Step(*rb, "e").reason,
             Catch::StartsWith("exit code 3, not one of success_codes [1,2]"));
  Ran passes = RunText(WithCodes("[3]", "sh, -c, 'exit 3'"), rb);
  CHECK(passes.result.status == "success");
}
