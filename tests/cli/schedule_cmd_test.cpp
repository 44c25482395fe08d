// runbook schedule: each runbook's next fires, as text and JSON, from a given instant; a
// folder lists its runbooks; a wrong one is located and the others still listed.
#include <catch2/catch.hpp>

#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kNightly =
    "version: 1\nname: nightly\nparams:\n  remote: {default: s3://b/x}\n"
    "on:\n  schedule:\n    - cron: '30 2 * * *'\n      timezone: Europe/Madrid\n"
    "      params: {remote: s3://prod/daily}\n  catchup: 6h\n"
    "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n";

}  // namespace

TEST_CASE("schedule: next fires in the zone and in UTC, across a spring-forward",
          "[schedule][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "nightly.yaml", kNightly);
  WriteFile(dir, "manual.yml", "version: 1\nname: manual\nsteps: []\n");
  WriteFile(dir, "notes.txt", "not a runbook");
  Command c = Shell(Binary() + " schedule " + dir + " --from 2026-03-28T12:00:00Z --count 2");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(c.out == dir + "/manual.yml (manual): no schedule\n" + dir +
                     "/nightly.yaml (nightly)\n"
                     "  30 2 * * *  Europe/Madrid  params: remote=s3://prod/daily\n"
                     "    2026-03-29T03:00:00+02:00  (2026-03-29T01:00:00Z)\n"
                     "    2026-03-30T02:30:00+02:00  (2026-03-30T00:30:00Z)\n");
}

TEST_CASE("schedule with no path lists the current folder's runbooks", "[schedule][cli]") {
  // `runbook schedule [DIR]` (audit of issue 16, L1: the path was required).
  std::string dir = TempDir();
  WriteFile(dir, "nightly.yaml", kNightly);
  Command c =
      Shell("cd " + dir + " && " + Binary() + " schedule --from 2026-03-28T12:00:00Z --count 1");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("nightly.yaml (nightly)\n  30 2 * * *  Europe/Madrid"));
  CHECK_THAT(c.out, Catch::Contains("2026-03-29T03:00:00+02:00"));
}

TEST_CASE("schedule --format json gives the fires, catch-up and overlap", "[schedule][cli]") {
  std::string dir = TempDir();
  std::string file = WriteFile(dir, "nightly.yaml", kNightly);
  Command c = Shell(Binary() + " schedule " + file +
                    " --format json --from 2026-10-24T12:00:00Z --count 2");
  CHECK(c.exit_code == 0);
  auto json = ParseJson(c.out);
  REQUIRE(json.ok());
  const Value& rb = json.value().as_list().at(0);
  CHECK(rb.Find("catchup_ms")->as_int() == 6 * 3600 * 1000);
  CHECK(rb.Find("overlap")->as_string() == "skip");
  const Value& next = rb.Find("schedules")->as_list().at(0).Find("next")->as_list().at(1);
  CHECK(next.Find("utc")->as_string() == "2026-10-26T01:30:00Z");  // the repeated 02:30 once
  CHECK(next.Find("local")->as_string() == "2026-10-26T02:30:00+01:00");
}

TEST_CASE("schedule: a runbook with a mistake is located, exit 2, the others listed",
          "[schedule][cli]") {
  std::string dir = TempDir();
  WriteFile(dir, "a.yaml",
            "version: 1\nname: a\non:\n  schedule:\n    - cron: '0 3 * * sunday'\n"
            "steps: []\n");
  WriteFile(dir, "b.yaml", kNightly);
  Command c = Shell(Binary() + " schedule " + dir);
  CHECK(c.exit_code == 2);
  CHECK_THAT(c.err, Catch::Contains("a.yaml:5:22: error: invalid cron '0 3 * * sunday': unknown "
                                    "day of week 'sunday'"));
  CHECK_THAT(c.out, Catch::Contains("(nightly)"));
  CHECK(Shell(Binary() + " schedule " + dir + "/b.yaml --from yesterday").exit_code == 2);
}
