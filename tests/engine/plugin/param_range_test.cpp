// Every integer parameter of every built-in step declares a range, and the range keeps the
// value inside what the step's arithmetic takes (an int).
#include <catch2/catch.hpp>
#include <climits>

#include "engine/plugin/check_value.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("every integer parameter of every step has a range that fits an int",
          "[engine][plugin][ranges]") {
  int integers = 0;
  for (const StepType* type : Builtins().All()) {
    for (const ParamSpec& p : type->spec().params) {
      if (p.type != ParamType::kInteger) continue;
      ++integers;
      INFO(type->spec().type << "." << p.name);
      REQUIRE(p.minimum.has_value());
      REQUIRE(p.maximum.has_value());
      CHECK(*p.minimum >= static_cast<double>(INT_MIN));
      CHECK(*p.maximum <= static_cast<double>(INT_MAX));
      CHECK(*p.minimum <= *p.maximum);
    }
  }
  CHECK(integers >= 9);  // backup (3), integrity-check, hash, s3-sync, probe (2), flag-update
}

TEST_CASE("an integer beyond 2^53 is refused even without a range", "[engine][plugin][ranges]") {
  ParamSpec spec;
  spec.type = ParamType::kInteger;
  CHECK(CheckValue(spec, Value(1e300)) == "expected an integer, found number 1e+300");
  CHECK(CheckValue(spec, Value(4294967295.0)).empty());
}
