// `on:` in a runbook file (engine/loader_triggers.cpp): schedules read and every mistake
// located, all at once.
#include <catch2/catch.hpp>

#include "support/support.h"

using runbook::test::Diagnose;
using runbook::test::Load;

namespace {

std::string WithOn(const std::string& on) {
  return "version: 1\nname: t\nparams:\n  remote: {default: s3://b/daily}\n"
         "  keep: {type: integer, default: 7}\n"
         "on:\n" +
         on + "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n";
}

}  // namespace

TEST_CASE("on.schedule: cron, time zone and params are read", "[schedule][loader]") {
  std::string rendered;
  auto rb = Load(WithOn("  schedule:\n"
                        "    - cron: '0 3 * * *'\n"
                        "      timezone: Europe/Madrid\n"
                        "      params: {remote: s3://prod/daily, keep: 14}\n"
                        "    - cron: '@weekly'\n"
                        "  catchup: 6h\n"
                        "  overlap: cancel_running\n"),
                 &rendered);
  INFO(rendered);
  REQUIRE(rb != nullptr);
  REQUIRE(rb->on.schedules.size() == 2);
  CHECK(rb->on.schedules[0].cron_text == "0 3 * * *");
  CHECK(rb->on.schedules[0].timezone == "Europe/Madrid");
  REQUIRE(rb->on.schedules[0].params.size() == 2);
  CHECK(rb->on.schedules[0].params[1].first == "keep");
  CHECK(rb->on.schedules[0].params[1].second.as_int() == 14);  // typed as --set's value
  CHECK(rb->on.schedules[1].timezone == "UTC");                // GitHub's default
  CHECK(rb->on.catchup == runbook::Millis(6 * 3600 * 1000));
  CHECK(rb->on.overlap == runbook::Overlap::kCancelRunning);
}

TEST_CASE("on.schedule: a wrong cron field is located at its characters", "[schedule][loader]") {
  CHECK(Diagnose(WithOn("  schedule:\n    - cron: '0 3 * jnu *'\n")) ==
        "test.yaml:8:20: error: invalid cron '0 3 * jnu *': unknown month 'jnu'; expected "
        "jan..dec or 1-12; did you mean 'jun'?\n"
        "    8 |     - cron: '0 3 * jnu *'\n"
        "      |                    ^~~\n");
  CHECK(Diagnose(WithOn("  schedule:\n    - cron: 0 25 * * *\n")) ==
        "test.yaml:8:15: error: invalid cron '0 25 * * *': hour 25 is out of range 0-23\n"
        "    8 |     - cron: 0 25 * * *\n"
        "      |               ^~\n");
}

TEST_CASE("on: every mistake at once, each where it is", "[schedule][loader]") {
  std::string out = Diagnose(
      "version: 1\nname: t\nparams:\n  remote: {required: true}\n  keep: {type: integer}\n"
      "on:\n"
      "  schedule:\n"
      "    - cron: '0 0 30 2 *'\n"
      "      timezone: Europe/Madird\n"
      "      params: {remot: x, keep: many}\n"
      "    - {cron: '@daily', tz: UTC}\n"
      "  overlap: wait\n"
      "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  CHECK_THAT(out, Catch::Contains("test.yaml:8:18: error: invalid cron '0 0 30 2 *': this "
                                  "schedule never fires: none of its months has any of its days"));
  CHECK_THAT(out, Catch::Contains("test.yaml:9:17: error: unknown time zone 'Europe/Madird'; "
                                  "expected an IANA name such as 'Europe/Madrid' or 'UTC'; did "
                                  "you mean 'Europe/Madrid'?"));
  CHECK_THAT(out, Catch::Contains("test.yaml:10:16: error: unknown param 'remot' in a schedule; "
                                  "did you mean 'remote'?"));
  CHECK_THAT(out, Catch::Contains("test.yaml:10:32: error: param 'keep' of a schedule:"));
  CHECK_THAT(out, Catch::Contains("test.yaml:8:7: error: this schedule fires without param "
                                  "'remote', which is required and has no default; give it in "
                                  "params"));
  CHECK_THAT(out, Catch::Contains("test.yaml:11:24: error: unknown key 'tz' in a schedule"));
  CHECK_THAT(out, Catch::Contains("test.yaml:12:12: error: invalid on.overlap 'wait'"));
}

TEST_CASE("on.catchup and on.overlap need a schedule", "[schedule][loader]") {
  std::string out = Diagnose(WithOn("  catchup: 6h\n  overlap: skip\n"));
  CHECK_THAT(out, Catch::Contains("test.yaml:7:12: error: on.catchup without a schedule: "
                                  "nothing fires to apply it to"));
  CHECK_THAT(out, Catch::Contains("test.yaml:8:12: error: on.overlap without a schedule"));
  CHECK_THAT(Diagnose(WithOn("  schedule: []\n  catchup: 1h\n")),
             Catch::Contains("on.catchup without a schedule"));
}
