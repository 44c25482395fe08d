// The executor's ready queue (a heap): many independent steps all run, once each, longest
// critical path first and otherwise in the order they became ready. Speed is measured in
// bench/ (100,000 steps), not here.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::vector<std::string> Starts(const Recorded& recorded) {
  std::vector<std::string> ids;
  for (const std::string& e : recorded.events) {
    if (e.rfind("start ", 0) == 0) ids.push_back(e.substr(6, e.rfind(' ') - 6));
  }
  return ids;
}

}  // namespace

TEST_CASE("5,000 independent steps each start once, in file order after the longest chain",
          "[limits][executor]") {
  int n = 5'000;
  std::string text = "version: 1\nname: t\nmax_parallel: 1\nsteps:\n";
  for (int i = 0; i < n; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", uses: log, with: {message: hi}}\n";
  }
  // A chain declared last: its head has the highest priority, and each link, once ready,
  // outranks the single steps still waiting; its tail (priority 1) waits its turn.
  text +=
      "  - {id: c1, uses: log, with: {message: hi}}\n"
      "  - {id: c2, uses: log, needs: [c1], with: {message: hi}}\n"
      "  - {id: c3, uses: log, needs: [c2], with: {message: hi}}\n";
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(text, rb);
  CHECK(ran.result.status == "success");
  std::vector<std::string> starts = Starts(ran.recorded);
  REQUIRE(starts.size() == static_cast<size_t>(n + 3));
  CHECK(starts[0] == "c1");
  CHECK(starts[1] == "c2");
  for (int i = 0; i < n; ++i) {
    if (starts[i + 2] != "s" + std::to_string(i))
      FAIL("position " << i + 2 << ": " << starts[i + 2]);
  }
  CHECK(starts.back() == "c3");
}

TEST_CASE("a retried step is queued again and runs among the waiting ones", "[limits][executor]") {
  std::string dir = TempDir();
  std::string text =
      "version: 1\nname: t\nmax_parallel: 1\nsteps:\n"
      "  - id: flaky\n    uses: exec\n    retry: {max_attempts: 2, delay: 1ms}\n"
      "    with: {run: [sh, -c, 'test -e " +
      dir + "/once || { touch " + dir + "/once; exit 1; }']}\n";
  for (int i = 0; i < 50; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", uses: log, with: {message: hi}}\n";
  }
  std::unique_ptr<Runbook> rb;
  Ran ran = RunText(text, rb);
  CHECK(ran.result.status == "success");
  CHECK(ran.Step(*rb, "flaky").attempts.size() == 2);
  CHECK(Starts(ran.recorded).size() == 52);
}
