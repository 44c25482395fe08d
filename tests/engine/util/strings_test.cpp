// engine/util/strings: the last lines of an output (exec errors, service logs, show).
#include "engine/util/strings.h"

#include <catch2/catch.hpp>

using namespace runbook;

TEST_CASE("LastLines keeps the last n lines, trailing newlines are not lines", "[util]") {
  CHECK(LastLines("a\nb\nc\n", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc", 2) == "b\nc");
  CHECK(LastLines("a\nb\nc\n\n\n", 2) == "b\nc");
  CHECK(LastLines("a\n\nc", 2) == "\nc");  // blank lines inside count
  CHECK(LastLines("only", 5) == "only");
  CHECK(LastLines("a\nb\n", 5) == "a\nb");
  CHECK(LastLines("\n\n", 3).empty());
  CHECK(LastLines("", 3).empty());
  CHECK(LastLines("a\nb", 0).empty());
}
