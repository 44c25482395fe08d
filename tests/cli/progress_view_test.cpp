// How progress reads (issue 14 #5): done of total, percent, rate over a window, time left,
// sizes in IEC units; the plain-output interval from RUNBOOK_PROGRESS_INTERVAL.
#include "cli/progress_view.h"

#include <catch2/catch.hpp>

#include "engine/util/strings.h"

using namespace runbook;

namespace {

StepProgress Bytes(std::string phase, uint64_t done, std::optional<uint64_t> total) {
  StepProgress p;
  p.phase = std::move(phase);
  p.done = done;
  p.total = total;
  return p;
}

Clock::Mono At(int64_t ms) { return Clock::Mono(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("sizes read as ls -h and rsync give them", "[cli][progress]") {
  CHECK(HumanBytes(0) == "0 B");
  CHECK(HumanBytes(1023) == "1023 B");
  CHECK(HumanBytes(1024) == "1.00 KiB");
  CHECK(HumanBytes(3481) == "3.40 KiB");
  CHECK(HumanBytes(432013312) == "412 MiB");
  CHECK(HumanBytes(52u << 20) == "52.0 MiB");
  CHECK(HumanBytes(1300000000ull) == "1.21 GiB");
  CHECK(HumanBytes(UINT64_MAX) == "16.0 EiB");
}

TEST_CASE("progress shows done of total, percent, rate and time left", "[cli][progress]") {
  StepProgress p = Bytes("compressing", 412ull << 20, 800ull << 20);
  CHECK(ProgressText(p, std::nullopt) == "compressing 412 MiB of 800 MiB (51%)");
  CHECK(ProgressText(p, 52.0 * (1 << 20)) ==
        "compressing 412 MiB of 800 MiB (51%), 52.0 MiB/s, about 7s left");
  CHECK(ProgressText(p, 1.0 * (1 << 20)) ==
        "compressing 412 MiB of 800 MiB (51%), 1.00 MiB/s, about 6m28s left");
  // Items beside bytes.
  p.phase = "uploading";
  p.items_noun = "objects";
  p.items_done = 3;
  p.items_total = 12;
  CHECK(ProgressText(p, std::nullopt) == "uploading 3 of 12 objects, 412 MiB of 800 MiB (51%)");
  // No total: what was done and the rate, never a percent or a time left.
  CHECK(ProgressText(Bytes("dumping", 5u << 20, std::nullopt), 1.0 * (1 << 20)) ==
        "dumping 5.00 MiB, 1.00 MiB/s");
  // Nothing known yet: the phase alone.
  CHECK(ProgressText(Bytes("integrity check", 0, std::nullopt), std::nullopt) == "integrity check");
  // A total of zero is done; more than the total (a growing file) stays at 100 %.
  CHECK(ProgressText(Bytes("hashing", 0, 0), std::nullopt) == "hashing 0 B of 0 B (100%)");
  CHECK(ProgressText(Bytes("hashing", 2048, 1024), std::nullopt) ==
        "hashing 2.00 KiB of 1.00 KiB (100%)");
  // A rate of zero (stalled) gives no time left rather than infinity.
  CHECK(ProgressText(Bytes("hashing", 10, 20), 0.0) == "hashing 10 B of 20 B (50%)");
}

TEST_CASE("the rate is measured over the last window, after a second", "[cli][progress]") {
  RateWindow w(std::chrono::milliseconds(10000));
  CHECK_FALSE(w.PerSecond());
  w.Add(At(0), 0);
  w.Add(At(500), 100);
  CHECK_FALSE(w.PerSecond());  // half a second says nothing of the pace
  w.Add(At(2000), 400);
  REQUIRE(w.PerSecond());
  CHECK(*w.PerSecond() == Approx(200.0));
  // A fast start then a slow pace: after the window only the slow pace counts.
  for (int64_t t = 3000; t <= 30000; t += 1000) w.Add(At(t), 400 + static_cast<uint64_t>(t / 100));
  REQUIRE(w.PerSecond());
  CHECK(*w.PerSecond() == Approx(10.0).epsilon(0.05));
  // A count that goes back (a new phase) starts afresh.
  w.Add(At(31000), 5);
  CHECK_FALSE(w.PerSecond());
}

TEST_CASE("RUNBOOK_PROGRESS_INTERVAL sets how often plain output shows progress",
          "[cli][progress]") {
  std::string error;
  CHECK(PlainProgressInterval(nullptr, error) == Millis(10000));
  CHECK(PlainProgressInterval("", error) == Millis(10000));
  CHECK(PlainProgressInterval("30s", error) == Millis(30000));
  CHECK(PlainProgressInterval("250ms", error) == Millis(250));
  CHECK(PlainProgressInterval("0", error) == Millis(0));
  CHECK(error.empty());
  CHECK(PlainProgressInterval("often\x1b[2J", error) == Millis(10000));
  CHECK_THAT(error, Catch::Contains("RUNBOOK_PROGRESS_INTERVAL='often\\x1b[2J'"));
}
