// canary-compare on both sides of every threshold (strict `>`), both report shapes, and
// promote only when not regressed.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Report(double p95, double p99, double error_rate) {
  return "{\"errorRate\": " + std::to_string(error_rate) +
         ", \"checks\": {\"catalog\": {\"durationMs\": 90, \"p95\": " + std::to_string(p95) +
         ", \"p99\": " + std::to_string(p99) + "}}}";
}

Command Compare(const std::string& dir, const std::string& base, const std::string& cur,
                const std::string& extra = "") {
  WriteFile(dir, "base.json", base);
  WriteFile(dir, "cur.json", cur);
  WriteFile(dir, "c.yaml",
            "version: 1\nname: c\nsteps:\n  - {id: c, uses: canary-compare, with: {current: "
            "cur.json, baseline: base.json" +
                extra +
                "}}\n  - {id: out, uses: exec, needs: [c], "
                "with: {run: [echo, 'REGRESSED=${{ steps.c.outputs.regressed }}']}}\n");
  return Shell("cd " + dir + " && " + Binary() + " run c.yaml --audit-db a.db");
}

bool Regressed(const Command& c) { return c.err.find("REGRESSED=true") != std::string::npos; }

}  // namespace

TEST_CASE("canary-compare: every threshold is a strict >", "[steps][canary]") {
  std::string dir = TempDir();
  // p95 +25 % exactly passes; +25.1 % regresses (p99 and absolute latency kept small).
  CHECK_FALSE(Regressed(Compare(dir, Report(100, 100, 0), Report(125, 100, 0))));
  CHECK(Regressed(Compare(dir, Report(100, 100, 0), Report(125.1, 100, 0))));
  CHECK_FALSE(Regressed(Compare(dir, Report(100, 100, 0), Report(100, 125, 0))));
  Command p99 = Compare(dir, Report(100, 100, 0), Report(100, 126, 0));
  CHECK(Regressed(p99));
  CHECK(p99.err.find("catalog: p99 100.0 -> 126.0 ms (+26.0 % > 25.0 %)") != std::string::npos);
  // Absolute +300 ms passes, +301 ms regresses (percentages switched off).
  std::string off = ", p95_increase_pct: 1000, p99_increase_pct: 1000";
  CHECK_FALSE(Regressed(Compare(dir, Report(1000, 1000, 0), Report(1300, 1000, 0), off)));
  CHECK(Regressed(Compare(dir, Report(1000, 1000, 0), Report(1301, 1000, 0), off)));
  // Error rate 1 % passes, 1.01 % regresses.
  CHECK_FALSE(Regressed(Compare(dir, Report(100, 100, 0), Report(100, 100, 1.0))));
  CHECK(Regressed(Compare(dir, Report(100, 100, 0), Report(100, 100, 1.01))));
}

TEST_CASE("canary-compare: list-shaped reports, durationMs only, promote, summary",
          "[steps][canary]") {
  std::string dir = TempDir();
  std::string base = "{\"checks\": [{\"name\": \"checkout\", \"durationMs\": 200, \"ok\": true}]}";
  std::string good = "{\"checks\": [{\"name\": \"checkout\", \"durationMs\": 210, \"ok\": true}]}";
  std::string bad = "{\"checks\": [{\"name\": \"checkout\", \"durationMs\": 600, \"ok\": true}]}";
  Command regressed = Compare(dir, base, bad, ", promote: true, summary: dash.md");
  CHECK(Regressed(regressed));
  CHECK(Shell("cat " + dir + "/base.json").out == base);  // not promoted
  CHECK(Shell("cat " + dir + "/dash.md").out.find("| checkout | 200.0 | 600.0 | +200.0 % |") !=
        std::string::npos);
  Command passed = Compare(dir, base, good, ", promote: true");
  CHECK_FALSE(Regressed(passed));
  CHECK(Shell("cat " + dir + "/base.json").out == good);  // promoted
}

TEST_CASE("canary-compare: a report that measured nothing regresses and is never promoted",
          "[steps][canary]") {
  // breakI I26: {"checks": {}} was "no regression" and, with promote, the new baseline.
  std::string base =
      "{\"errorRate\": 0.0, \"checks\": {\"catalog\": {\"durationMs\": 83, \"p95\": 120.5, "
      "\"p99\": 180.0, \"requests\": 50, \"errors\": 0}}}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"checks\": {}}", "the current report holds no checks"},
      {"{\"checks\": []}", "the current report holds no checks"},
      {"{}", "the current report holds no checks"},
      {"{\"checks\": {\"catalog\": {\"requests\": 0, \"errors\": 0}}}",
       "check catalog made 0 requests"},
      {"{\"checks\": [{\"name\": \"catalog\", \"p95\": 100, \"requests\": 0}]}",
       "check catalog made 0 requests"},
      {"{\"checks\": {\"catalogue\": {\"durationMs\": 80, \"p95\": 100, \"p99\": 150}}}",
       "no check of the current report is in the baseline"}};
  for (const auto& [current, why] : cases) {
    CAPTURE(current);
    std::string dir = TempDir();
    Command c = Compare(dir, base, current, ", promote: true");
    INFO(c.err);
    CHECK(c.exit_code == 0);
    CHECK(Regressed(c));
    CHECK_THAT(c.err, Catch::Contains(why));
    CHECK(ReadFile(dir + "/base.json") == base);  // never promoted
  }
}

TEST_CASE("canary-compare: figures that cannot be believed regress and are never promoted",
          "[steps][canary]") {
  // breakJ J28: -5 requests passed and was promoted; -10 errors gave "-20.0 %", no
  // regression; null errors counted as 0.
  std::string base =
      "{\"errorRate\": 0.0, \"checks\": {\"catalog\": {\"durationMs\": 83, \"p95\": 120.5, "
      "\"p99\": 180.0, \"requests\": 50, \"errors\": 0}}}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"checks\": {\"catalog\": {\"p95\": 100, \"requests\": -5, \"errors\": 0}}}",
       "check catalog gives requests -5, which cannot be a count"},
      {"{\"checks\": {\"catalog\": {\"p95\": 100, \"requests\": 50, \"errors\": -10}}}",
       "check catalog gives errors -10, which cannot be a count"},
      {"{\"checks\": {\"catalog\": {\"p95\": 100, \"requests\": 50, \"errors\": null}}}",
       "check catalog gives errors null, which cannot be a count"},
      {"{\"checks\": {\"catalog\": {\"p95\": 100, \"requests\": 50, \"errors\": 2.5}}}",
       "check catalog gives errors 2.5, which cannot be a count"},
      {"{\"checks\": {\"catalog\": {\"p95\": -1, \"requests\": 50, \"errors\": 0}}}",
       "check catalog gives p95 -1, which cannot be a latency"},
      {"{\"checks\": {\"catalog\": {\"p95\": 100, \"requests\": 5, \"errors\": 9}}}",
       "check catalog gives more errors than requests"},
      {"{\"errorRate\": -2.0, \"checks\": {\"catalog\": {\"p95\": 100, \"requests\": 5}}}",
       "the report's errorRate -2.0 is not a percentage"}};
  for (const auto& [current, why] : cases) {
    CAPTURE(current);
    std::string dir = TempDir();
    Command c = Compare(dir, base, current, ", promote: true");
    INFO(c.err);
    CHECK(Regressed(c));
    CHECK_THAT(c.err, Catch::Contains(why));
    CHECK(ReadFile(dir + "/base.json") == base);  // never promoted
  }
}

// breakM M11: the summary's folder was not made (the step failed after its verdict).
TEST_CASE("canary-compare: the summary's folder is made with mode 0700 and said",
          "[steps][canary][folders]") {
  std::string dir = TempDir();
  std::string base = Report(100, 200, 0.0);
  Command c = Compare(dir, base, Report(101, 201, 0.0), ", promote: true, summary: out/dash/s.md");
  INFO(c.err);
  CHECK(c.exit_code == 0);
  // Absolute, as the operator must find it (newcomer round: relative here, absolute there).
  CHECK_THAT(c.err, Catch::Contains("created folder " + dir + "/out (mode 0700)") &&
                        Catch::Contains("created folder " + dir + "/out/dash (mode 0700)"));
  CHECK(Shell("stat -c %a " + dir + "/out/dash").out == "700\n");
  CHECK_THAT(ReadFile(dir + "/out/dash/s.md"), Catch::Contains("# Canary comparison"));
}
