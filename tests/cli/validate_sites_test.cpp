// Every validate error is placed as FILE:LINE:COL, in text, GitHub annotations and JSON alike,
// in the file that holds the mistake (break23a D1: an env entry past the 4 MiB limit and a
// run of over 5,000 steps once its runbooks are expanded said line 0 in --format github and
// json, the place only in the message's words, and under the caller's name for a line of a
// runbook it uses). Status::site carries the place; cli/validate_cmd.cpp ErrorAtSite.
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// format() nested `levels` deep around params.s, ten copies a level.
std::string Doubling(int levels) {
  std::string e = "params.s";
  for (int i = 0; i < levels; ++i) e = "format('{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}', " + e + ")";
  return e;
}

}  // namespace

TEST_CASE("validate places an env entry past a limit at its line in every format",
          "[validate][cli][limits]") {
  std::string dir = TempDir();
  WriteFile(dir, "envtop.yaml",
            "version: 1\nname: envtop\nparams:\n  s: {type: string, default: abcdefghij}\nenv:\n"
            "  E: \"${{ " +
                Doubling(9) + " }}\"\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  const std::string validate = "cd " + dir + " && " + Binary() + " validate ";
  Command text = Shell(validate + "envtop.yaml", 60);
  CHECK(text.exit_code == 2);
  CHECK_THAT(text.err, Catch::StartsWith("envtop.yaml:6:6: error: env E: format() would produce "
                                         "more than 4 MiB"));
  CHECK_THAT(text.err, !Catch::Contains("(at line"));
  CHECK_THAT(Shell(validate + "--format github envtop.yaml", 60).out,
             Catch::StartsWith("::error file=envtop.yaml,line=6,col=6::env E: format()"));
  auto json = ParseJson(Shell(validate + "--format json envtop.yaml", 60).out);
  REQUIRE(json.ok());
  const Value& d = json.value().as_list()[0].Find("diagnostics")->as_list()[0];
  CHECK(d.Find("line")->ToText() == "6");
  CHECK(d.Find("column")->ToText() == "6");
}

TEST_CASE("validate places a used runbook's error in that runbook's file",
          "[validate][cli][calls]") {
  // m0 uses m1 ten times, m1 uses m2 ten times ...: past 5,000 steps somewhere down the chain.
  std::string dir = TempDir();
  for (int k = 0; k < 4; ++k) {
    std::string rb = "version: 1\nname: m" + std::to_string(k) + "\nsteps:\n";
    for (int i = 0; i < 10; ++i)
      rb += "  - {id: c" + std::to_string(i) + ", uses: ./m" + std::to_string(k + 1) + ".yaml}\n";
    WriteFile(dir, "m" + std::to_string(k) + ".yaml", rb);
  }
  WriteFile(dir, "m4.yaml",
            "version: 1\nname: m4\nsteps:\n  - {id: a, uses: log, with: {message: x}}\n");
  Command github = Shell("cd " + dir + " && " + Binary() + " validate --format github m0.yaml", 60);
  CHECK(github.exit_code == 2);
  INFO(github.out);
  // ::error file=F,line=L,col=C::... where F's line L holds a `uses:` value at column C.
  const std::string prefix = "::error file=";
  REQUIRE(github.out.rfind(prefix, 0) == 0);
  size_t comma = github.out.find(",line=");
  size_t col = github.out.find(",col=");
  size_t end = github.out.find("::", col);
  REQUIRE(end != std::string::npos);
  std::string file = github.out.substr(prefix.size(), comma - prefix.size());
  int line = std::stoi(github.out.substr(comma + 6, col - comma - 6));
  int column = std::stoi(github.out.substr(col + 5, end - col - 5));
  CHECK(line > 0);
  std::string held = Shell("sed -n " + std::to_string(line) + "p " +
                           (file.rfind('/', 0) == 0 ? file : dir + "/" + file))
                         .out;
  CHECK(held.substr(static_cast<size_t>(column - 1), 3) == "./m");
  CHECK(held.find("uses: ") + 7 == static_cast<size_t>(column));
  CHECK_THAT(github.out, Catch::Contains("the run would have over 5000 steps"));
  CHECK_THAT(github.out, !Catch::Contains("(at line"));
}
