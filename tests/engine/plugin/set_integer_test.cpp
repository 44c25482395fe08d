// `--set` integers: read exactly, never through a double; out of range is a usage error
// (exit 2) naming the value.
#include <catch2/catch.hpp>

#include "engine/plugin/check_value.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("integer params from text are exact and out of range is an error",
          "[engine][set-integer]") {
  ParamSpec spec;
  spec.name = "n";
  spec.type = ParamType::kInteger;
  std::string error;
  CHECK(ParseTextAs(spec, "9223372036854775807", error).as_int() == INT64_MAX);
  CHECK(error.empty());
  CHECK(ParseTextAs(spec, "-9223372036854775808", error).as_int() == INT64_MIN);
  CHECK(ParseTextAs(spec, "9007199254740993", error).as_int() == 9007199254740993);  // 2^53+1
  CHECK(ParseTextAs(spec, "+42", error).as_int() == 42);
  CHECK(ParseTextAs(spec, "1e3", error).as_int() == 1000);
  CHECK(error.empty());
  for (const char* text : {"99999999999999999999", "9223372036854775808", "1e30", "-1e19"}) {
    INFO(text);
    error.clear();
    ParseTextAs(spec, text, error);
    CHECK(error.find(text) != std::string::npos);
    CHECK(error.find("out of range") != std::string::npos);
  }
}

TEST_CASE(
    "a --set integer past the range (1e30) is a usage error naming the value, the maximum echoes "
    "exactly",
    "[engine][set-integer]") {
  std::string dir = TempDir();
  std::string rb = WriteFile(dir, "p.yaml",
                             "version: 1\nname: t\nparams: {n: {type: integer, default: 1}}\n"
                             "steps:\n  - {id: a, uses: exec, with: {run: [echo, "
                             "'N=${{ params.n }}']}}\n");
  std::string run = Binary() + " run " + rb + " --audit-db " + dir + "/a.db --set n=";
  Command big = Shell(run + "1e30");
  CHECK(big.exit_code == 2);
  CHECK(big.err.find("1e30") != std::string::npos);
  Command max = Shell(run + "9223372036854775807");
  INFO(max.out << max.err);
  CHECK(max.exit_code == 0);
  CHECK((max.out + max.err).find("N=9223372036854775807") != std::string::npos);
}
