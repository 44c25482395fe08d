// The engine's time comes from its Clock (engine/util/clock.h): with a FakeClock that the
// test moves on, a step's deadline, a retry's delay and the measured RTO follow it, in the
// process runner and in the executor, while the real processes run for real.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/process_runner.h"
#include "support/fake_clock.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;
using namespace std::chrono_literals;

namespace {

FakeClock StartedClock() { return FakeClock(Clock::Wall(std::chrono::hours(24 * 20000))); }

double RealSecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Moves `clock` on by `by` after `after` of real time, on a thread of its own.
std::thread MoveLater(FakeClock& clock, std::chrono::milliseconds after,
                      std::chrono::nanoseconds by) {
  return std::thread([&clock, after, by] {
    std::this_thread::sleep_for(after);
    clock.Advance(by);
  });
}

// Runs `text` on `clock`, moving the clock on by `by` after `after` of real time.
Ran RunMoving(FakeClock& clock, std::chrono::milliseconds after, std::chrono::nanoseconds by,
              const std::string& text, std::unique_ptr<Runbook>& rb) {
  std::thread mover = MoveLater(clock, after, by);
  Ran ran = RunTextAt(clock, text, rb);
  mover.join();
  return ran;
}

ProcessResult RunSleep(const Clock& clock, const std::string& seconds, Clock::Mono deadline) {
  PosixProcessRunner runner(clock);
  CancelToken cancel;
  ProcessRequest req;
  req.argv = {"sleep", seconds};
  req.env = CurrentEnvironment();
  req.grace = Millis(500);
  req.deadline = deadline;
  return runner.Run(req, cancel);
}

}  // namespace

TEST_CASE("process runner: a deadline is read on its Clock, the real time spent does not count",
          "[clock][process]") {
  FakeClock clock = StartedClock();
  auto real_start = std::chrono::steady_clock::now();
  // A deadline 10 ms away on a clock that never moves: half a real second of sleep is in time.
  ProcessResult in_time = RunSleep(clock, "0.5", clock.Now() + 10ms);
  CHECK(in_time.exited_ok());
  CHECK_FALSE(in_time.timed_out);
  CHECK(in_time.duration == Millis(0));  // no time passed on its clock
  CHECK(RealSecondsSince(real_start) >= 0.5);
}

TEST_CASE("process runner: moving its Clock past the deadline ends the step within a second",
          "[clock][process]") {
  FakeClock clock = StartedClock();
  auto real_start = std::chrono::steady_clock::now();
  std::thread mover = MoveLater(clock, 300ms, 2h);
  ProcessResult r = RunSleep(clock, "30", clock.Now() + 1h);
  mover.join();
  CHECK(r.timed_out);
  CHECK(r.duration >= Millis(2h));
  CHECK(RealSecondsSince(real_start) < 5.0);
}

TEST_CASE("executor: a step's timeout, a retry's delay and the RTO follow the run's Clock",
          "[clock][executor]") {
  std::unique_ptr<Runbook> rb;
  SECTION("a one-hour timeout ends a 30 s step when the clock passes it") {
    FakeClock clock = StartedClock();
    auto real_start = std::chrono::steady_clock::now();
    Ran ran = RunMoving(clock, 500ms, 90min,
                        "version: 1\nname: t\nsteps:\n"
                        "  - {id: slow, uses: exec, timeout: 1h, with: {run: [sleep, '30']}}\n",
                        rb);
    CHECK(ran.result.status == "failure");
    REQUIRE(ran.Step(*rb, "slow").attempts.size() == 1);
    CHECK(ran.Step(*rb, "slow").attempts[0].status == AttemptStatus::kTimeout);
    CHECK(RealSecondsSince(real_start) < 8.0);
  }
  SECTION("a retry one hour later runs when the clock moves an hour, not before") {
    FakeClock clock = StartedClock();
    std::string dir = TempDir();
    std::string flaky = "n=$(cat " + dir + "/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                        dir + "/n; [ $n -ge 2 ]";
    auto real_start = std::chrono::steady_clock::now();
    std::thread mover([&] {
      // The second attempt waits for the clock: still one attempt after a real second.
      std::this_thread::sleep_for(1500ms);
      std::string runs = ReadFile(dir + "/n");
      clock.Advance(61min);
      WriteFile(dir, "seen", runs);
    });
    Ran ran = RunTextAt(clock,
                        "version: 1\nname: t\nsteps:\n"
                        "  - id: flaky\n    uses: exec\n    with: {shell: true, run: '" +
                            flaky + "'}\n    retry: {max_attempts: 2, delay: 1h}\n",
                        rb);
    mover.join();
    CHECK(ReadFile(dir + "/seen") == "1\n");
    CHECK(ran.result.status == "success");
    CHECK(ran.Step(*rb, "flaky").attempts.size() == 2);
    CHECK(ran.result.duration >= Millis(61min));
    CHECK(RealSecondsSince(real_start) < 8.0);
  }
  SECTION("an RTO of 2h is missed when three hours pass on the clock") {
    FakeClock clock = StartedClock();
    Ran ran = RunMoving(clock, 300ms, 3h,
                        "version: 1\nname: t\nobjectives: {rto: 2h}\nsteps:\n"
                        "  - {id: restore, uses: exec, with: {run: [sleep, '1']}}\n",
                        rb);
    CHECK(ran.result.status == "success");
    CHECK(ran.result.rto.measured);
    CHECK(ran.result.rto.elapsed >= Millis(3h));
    CHECK_FALSE(ran.result.rto.met());
  }
}
