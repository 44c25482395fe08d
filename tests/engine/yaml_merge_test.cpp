// Issue 19 item 3: YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) work as PyYAML, Docker
// Compose and GitLab CI read them, with the merged keys' locations kept for errors, and
// top-level keys beginning with `x-` hold anchors and are ignored.
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

Command Rb(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " " + args);
}

}  // namespace

TEST_CASE("merge keys put an anchor's keys into a step, its own keys first", "[loader][yaml]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\n"
            "x-defaults: &defaults\n  uses: log\n  timeout: 5s\n  with: {message: shared}\n"
            "x-patient: &patient\n  timeout: 9s\n  continue_on_error: true\n"
            "steps:\n"
            "  - <<: [*defaults, *patient]\n    id: a\n"
            "  - {<<: *defaults, id: b, needs: [a], timeout: 1s, with: {message: own}}\n"
            "  - {'<<': *defaults, id: c}\n");
  Command quoted = Rb(dir, "validate m.yaml");
  CHECK(quoted.exit_code == 2);  // a quoted '<<' is a key like any other
  CHECK_THAT(quoted.err, Catch::Contains("m.yaml:14:6: error: unknown key '<<' in a step"));
  Shell("sed -i '$d' " + dir + "/m.yaml");
  Command plan = Rb(dir, "plan m.yaml --format json");
  INFO(plan.err);
  REQUIRE(plan.exit_code == 0);
  auto v = ParseJson(plan.out);
  REQUIRE(v.ok());
  const Value& a = v.value().Find("waves")->as_list()[0].as_list()[0];
  const Value& b = v.value().Find("waves")->as_list()[1].as_list()[0];
  CHECK(a.Find("uses")->as_string() == "log");
  CHECK(a.Find("timeout")->ToText() == "5s");  // the earlier mapping of the list wins
  CHECK(a.Find("continue_on_error")->ToText() == "true");
  CHECK(a.Find("params")->Find("message")->as_string() == "shared");
  CHECK(b.Find("timeout")->ToText() == "1s");  // its own key wins
  CHECK(b.Find("params")->Find("message")->as_string() == "own");
  CHECK(Rb(dir, "run m.yaml --audit-db a.db").exit_code == 0);
}

TEST_CASE("a mistake in a merged mapping is located at the anchor and said once",
          "[loader][yaml]") {
  std::string dir = TempDir();
  WriteFile(dir, "m.yaml",
            "version: 1\nname: m\n"
            "x-defaults: &defaults\n  uses: log\n  timout: 5s\n  with: {message: hi}\n"
            "steps:\n  - {<<: *defaults, id: a}\n  - {<<: *defaults, id: b}\n"
            "  - {<<: 5, id: c, uses: log, with: {message: x}}\n"
            "  - {<<: [*defaults, x], id: d}\n");
  Command c = Rb(dir, "validate m.yaml");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("m.yaml:5:3: error: unknown key 'timout' in a step; did you "
                                    "mean 'timeout'?"));
  size_t first = c.err.find("unknown key 'timout'");
  CHECK(c.err.find("unknown key 'timout'", first + 1) == std::string::npos);
  CHECK_THAT(c.err, Catch::Contains("m.yaml:10:10: error: a merge key '<<' takes a mapping or a "
                                    "list of mappings") &&
                        Catch::Contains("m.yaml:11:"));
}

TEST_CASE("top-level x- keys are ignored, elsewhere they are mistakes", "[loader][yaml]") {
  std::string dir = TempDir();
  WriteFile(dir, "x.yaml",
            "version: 1\nname: x\nx-notes: [anything, {at: all}]\nx-: 1\n"
            "steps:\n  - {id: a, uses: log, with: {message: hi}, x-step: 1}\n");
  Command c = Rb(dir, "validate x.yaml");
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("unknown key 'x-step' in a step") &&
                        !Catch::Contains("x-notes") && !Catch::Contains("'x-'"));
  Shell("sed -i 's/, x-step: 1//' " + dir + "/x.yaml");
  CHECK(Rb(dir, "validate x.yaml").exit_code == 0);
}
