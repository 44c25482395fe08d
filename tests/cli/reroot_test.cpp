// RerootOutputs: a moved checkout's carried outputs are rewritten as paths, not as text
// (breakN N4: "OLD/../x" became "NEW//../x", which named the old place again; an output
// under OLD got a doubled slash; OLD itself got a trailing one).
#include <catch2/catch.hpp>
#include <string>

#include "cli/resume_place.h"

using namespace runbook;

namespace {

std::string Rerooted(const std::string& output, const std::string& from, const std::string& to) {
  Value::Map outputs{{"o", Value(output)}};
  RerootOutputs(outputs, {from}, to);
  return outputs["o"].as_string();
}

}  // namespace

TEST_CASE("carried outputs are re-rooted as paths", "[cli][resume][reroot]") {
  const std::string from = "/tmp/n4/proj", to = "/tmp/n4/proj2/";
  CHECK(Rerooted("/tmp/n4/proj/out/data", from, to) == "/tmp/n4/proj2/out/data");
  CHECK(Rerooted("/tmp/n4/proj", from, to) == "/tmp/n4/proj2");
  CHECK(Rerooted("/tmp/n4/proj/", from, to) == "/tmp/n4/proj2");
  CHECK(Rerooted("/tmp/n4/proj/../proj/x", from, to) == "/tmp/n4/proj2/x");
  CHECK(Rerooted("/tmp/n4/proj/./a//b", from + "/", to) == "/tmp/n4/proj2/a/b");
  // Not under the old place: left as they are.
  CHECK(Rerooted("/tmp/n4/proj/../other/x", from, to) == "/tmp/n4/proj/../other/x");
  CHECK(Rerooted("/tmp/n4/project/x", from, to) == "/tmp/n4/project/x");
  CHECK(Rerooted("relative/tmp/n4/proj/x", from, to) == "relative/tmp/n4/proj/x");
  CHECK(Rerooted("not a path", from, to) == "not a path");
  // Lists and maps are walked; the count says how many strings changed.
  Value::Map outputs{{"l", Value(Value::List{Value("/tmp/n4/proj/a"), Value("/elsewhere")})},
                     {"m", Value(Value::Map{{"k", Value("/tmp/n4/proj/b")}})}};
  CHECK(RerootOutputs(outputs, {from}, to) == 2);
  CHECK(outputs["l"].as_list()[0].as_string() == "/tmp/n4/proj2/a");
  CHECK(outputs["m"].as_map().at("k").as_string() == "/tmp/n4/proj2/b");
}
