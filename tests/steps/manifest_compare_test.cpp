// CompareManifest (steps/common/sqlite_info.h): a dump's manifest against the tables found in
// the checked copy, each difference in words.
#include <catch2/catch.hpp>

#include "steps/common/sqlite_info.h"

using namespace runbook;

TEST_CASE("manifest: a row count that is no integer is said so, not as a mismatch",
          "[steps][manifest]") {
  // break22a #8: {"orders": "100"} gave "table 'orders' has 100 rows; the manifest says 100".
  Value::Map found{{"orders", Value(int64_t{100})}};
  CHECK(CompareManifest(Value(Value::Map{{"orders", Value("100")}}), found) ==
        std::vector<std::string>{
            "the manifest's row count for table 'orders' is not an integer (\"100\")"});
  CHECK(CompareManifest(Value(Value::Map{{"orders", Value(int64_t{101})}}), found) ==
        std::vector<std::string>{"table 'orders' has 100 rows; the manifest says 101"});
  CHECK(CompareManifest(Value(Value::Map{{"orders", Value(int64_t{100})}}), found).empty());
}
