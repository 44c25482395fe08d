// The scheduler's rule (serve/due_fires.h) with injected times: on time, caught up within
// `on.catchup`, skipped beyond it, earlier missed fires counted and never run.
#include "serve/due_fires.h"

#include <catch2/catch.hpp>
#include <ctime>

#include "support/support.h"

using namespace runbook;
using runbook::test::Load;

namespace {

SysSeconds At(const std::string& text) {  // "2026-12-03T03:00:30Z"
  std::tm tm{};
  REQUIRE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
  return SysSeconds{std::chrono::seconds(timegm(&tm))};
}

std::unique_ptr<Runbook> Daily(const std::string& catchup) {
  std::string rendered;
  auto rb = Load("version: 1\nname: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\n" +
                     (catchup.empty() ? "" : "  catchup: " + catchup + "\n") + "steps: []\n",
                 &rendered);
  INFO(rendered);
  REQUIRE(rb != nullptr);
  return rb;
}

std::vector<DueFire> Due(const Runbook& rb, const std::string& last, const std::string& now) {
  return DueFires({&rb}, At(last), At(now), std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("due fires: a tick just after the time runs it, on time", "[serve][schedule]") {
  auto rb = Daily("");
  auto due = Due(*rb, "2026-12-03T02:59:59Z", "2026-12-03T03:00:01Z");
  REQUIRE(due.size() == 1);
  CHECK(due[0].run);
  CHECK(due[0].why == "on time");
  CHECK(due[0].late_seconds == 1);
  CHECK(Due(*rb, "2026-12-03T03:00:00Z", "2026-12-03T03:00:05Z").empty());  // (last, now]
  CHECK(Due(*rb, "2026-12-03T03:00:05Z", "2026-12-03T03:00:05Z").empty());
}

TEST_CASE("due fires: after downtime, the latest fire runs within catchup, once",
          "[serve][schedule]") {
  auto rb = Daily("6h");
  // Down from 2026-12-01 12:00 to 2026-12-03 05:00: fires of the 2nd and the 3rd missed.
  auto due = Due(*rb, "2026-12-01T12:00:00Z", "2026-12-03T05:00:00Z");
  REQUIRE(due.size() == 1);
  CHECK(due[0].run);
  CHECK(due[0].fire_at == At("2026-12-03T03:00:00Z"));
  CHECK(due[0].earlier_skipped == 1);
  CHECK(due[0].why == "2h00m late, within catchup 6h00m");
}

TEST_CASE("due fires: a fire later than catchup is skipped and said", "[serve][schedule]") {
  auto late = Due(*Daily("6h"), "2026-12-03T02:00:00Z", "2026-12-03T10:00:00Z");
  REQUIRE(late.size() == 1);
  CHECK_FALSE(late[0].run);
  CHECK(late[0].why == "7h00m late, beyond catchup 6h00m: skipped");
  // Without catchup, anything past the on-time slack is skipped.
  auto none = Due(*Daily(""), "2026-12-03T02:00:00Z", "2026-12-03T03:02:00Z");
  REQUIRE(none.size() == 1);
  CHECK_FALSE(none[0].run);
  CHECK(none[0].why == "2m00s late, and the runbook sets no catchup: skipped");  // not "0ms"
}
