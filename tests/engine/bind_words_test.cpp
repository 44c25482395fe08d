// A params error said in the words of a caller who gave "params" (engine/executor.h
// InParamsWords): serve's API and schedules never take --set.
#include <catch2/catch.hpp>

#include "engine/executor.h"

using namespace runbook;

TEST_CASE("params errors in the words of a caller who gave params", "[params]") {
  CHECK(InParamsWords("--set target: invalid value 'prod'; expected one of: a, b") ==
        "params.target: invalid value 'prod'; expected one of: a, b");
  CHECK(InParamsWords("param 'target' is required; set it with --set target=VALUE") ==
        "param 'target' is required; give it in \"params\": {\"target\": ...}");
  CHECK(InParamsWords("something else") == "something else");
}
