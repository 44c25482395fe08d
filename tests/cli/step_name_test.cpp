// breakFF F3: a step's `name:` (format.md: "display name") was shown only by `plan --format
// json`: the live view, `show`, the text plan and the reports an auditor reads said `out
// (exec)` alone. Each shows it beside the id, as plain text (escaped in HTML, control
// characters as \xNN on a terminal); a step without a name of its own shows only its id.
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("a step's display name is shown by the run and show and plan and every report",
          "[cli][report]") {
  std::string dir = TempDir();
  WriteFile(dir, "nm.yaml",
            "version: 1\nname: nm\nsteps:\n"
            "  - {id: out, name: \"Swap <b>production</b> traffic\\x1b[2J\", uses: exec, with: "
            "{run: ['true']}}\n"
            "  - {id: plain, uses: log, needs: [out], with: {message: hi}}\n");
  std::string rb = "cd " + dir + " && " + Binary();
  Command run = Shell(rb + " run nm.yaml --audit-db a.db");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const std::string shown = "\"Swap <b>production</b> traffic\\x1b[2J\"";
  CHECK_THAT(run.out + run.err, Catch::Contains("start out (exec) " + shown) &&
                                    Catch::Contains("start plain (log)\n"));
  CHECK((run.out + run.err).find('\x1b') == std::string::npos);
  std::string id = LatestRunId(dir + "/a.db");
  Command show = Shell(rb + " show " + id + " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Contains("  out (exec) " + shown + "  success") &&
                           Catch::Contains("  plain (log)  success"));
  Command plan = Shell(rb + " plan nm.yaml");
  CHECK_THAT(plan.out,
             Catch::Contains("  out (exec) " + shown) && Catch::Contains("  plain (log)\n"));
  Command md = Shell(rb + " report " + id + " --audit-db a.db --format md");
  CHECK_THAT(md.out, Catch::Contains("| out — Swap"));
  Command html = Shell(rb + " report " + id + " --audit-db a.db --format html");
  CHECK_THAT(html.out, Catch::Contains("<small>Swap &lt;b&gt;production&lt;/b&gt; traffic") &&
                           !Catch::Contains("<b>production</b>"));
  Command json = Shell(rb + " report " + id + " --audit-db a.db --format json");
  auto v = ParseJson(json.out);
  REQUIRE(v.ok());
  const Value::List& steps = v.value().Find("steps")->as_list();
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].Find("name")->as_string() == "Swap <b>production</b> traffic\x1b[2J");
  CHECK(steps[1].Find("name")->as_string().empty());
}
