// canary-compare and flag-update on large JSON (breakF F9): parsing is linear and asks the
// step's stop, so a report or flags file of megabytes neither wedges a run nor outlives its
// timeout. Bounds are generous (the old parser took minutes); no timing is asserted finely.
#include <catch2/catch.hpp>
#include <chrono>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A k6-like report with `n` checks, as breakF built it.
std::string Report(int n) {
  std::string out = "{\"errorRate\": 0, \"checks\": {";
  for (int i = 0; i < n; ++i) {
    out += (i ? ", \"c" : "\"c") + std::to_string(i) +
           "\": {\"durationMs\": " + std::to_string(i % 500) +
           ", \"p95\": " + std::to_string(i % 700) + ", \"p99\": " + std::to_string(i % 900) +
           ", \"requests\": 10, \"errors\": 0}";
  }
  return out + "}}";
}

std::string Flags(int n) {
  std::string out = "{\"flags\": {\"x\": {\"rollout\": 1}";
  for (int i = 0; i < n; ++i) out += ", \"f" + std::to_string(i) + "\": {\"rollout\": 1}";
  return out + "}}";
}

// Runs `step` (a flow mapping) in `dir`, killed at 60 s: its output must say `expect` and the
// run must end within `bound` seconds.
void ExpectWithin(const std::string& dir, const std::string& step, const std::string& expect,
                  double bound) {
  WriteFile(dir, "b.yaml", "version: 1\nname: b\nsteps:\n  - " + step + "\n");
  auto start = std::chrono::steady_clock::now();
  Command c = Shell(
      "cd " + dir + " && timeout -s KILL 60 " + Binary() + " run b.yaml --audit-db a.db 2>&1", 90);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  INFO(c.out);
  CHECK(c.out.find(expect) != std::string::npos);
  CHECK(took.count() < bound);
}

}  // namespace

TEST_CASE("canary-compare: a 1.6 MB report is compared in well under its timeout",
          "[steps][big-json]") {
  std::string dir = TempDir();
  WriteFile(dir, "cc.json", Report(20000));    // breakF: still running at 25 s
  WriteFile(dir, "base.json", Report(20000));  // not cc.json: a step never writes what it reads
  ExpectWithin(dir,
               "{id: s, uses: canary-compare, timeout: 10s, with: {current: cc.json, baseline: "
               "base.json, summary: sum.md}}",
               "no regression", 10);
}

TEST_CASE("canary-compare and flag-update: parsing a large file stops at the deadline",
          "[steps][big-json]") {
  std::string dir = TempDir();
  WriteFile(dir, "cc.json", Report(200000));  // 17 MB
  Shell("cp " + dir + "/cc.json " + dir + "/base.json");
  ExpectWithin(dir,
               "{id: s, uses: canary-compare, timeout: 300ms, with: {current: cc.json, baseline: "
               "base.json}}",
               "timed out after 300ms", 8);
  WriteFile(dir, "flags.json", Flags(250000));  // 6.6 MB; breakF: > 60 s
  ExpectWithin(dir,
               "{id: s, uses: flag-update, timeout: 20s, with: {file: flags.json, flag: x, "
               "rollout: 5}}",
               "x rollout 1 -> 5", 20);
}
