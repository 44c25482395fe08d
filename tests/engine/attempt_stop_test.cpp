// `timeout` and ^C bound every step, not only the ones that run processes: each attempt
// has a token of its own that the executor cancels at its deadline or when the run is
// cancelled, and long in-process work (hashing, gunzip) checks it between chunks. An
// approval is bounded only by a timeout set on it, never by defaults.timeout.
#include "engine/attempt_stop.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

using Steady = std::chrono::steady_clock;

double SecondsSince(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

// A folder with a runbook `rb.yaml` of `steps` and a sparse file `big` of 40 GiB (it takes
// no disk; reading it takes far longer than the tests' limits).
struct Bench {
  std::string dir = TempDir();
  explicit Bench(const std::string& steps) {
    WriteFile(dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + steps);
    REQUIRE(Shell("truncate -s 40G " + dir + "/big").exit_code == 0);
  }
  std::string Run(const std::string& tail = "") const {
    return "cd " + dir + " && " + Binary() + " run rb.yaml --audit-db audit.db" + tail;
  }
};

}  // namespace

TEST_CASE("AttemptStops forwards each run cancellation and cancels at the deadline",
          "[engine][timeout]") {
  CancelToken run;
  AttemptStops stops;
  Clock::Mono t0{};
  auto a = stops.Arm(1, &run, t0 + Millis(100));
  auto b = stops.Arm(2, &run, std::nullopt);
  stops.Tick(t0 + Millis(99));
  CHECK_FALSE(a->cancelled());
  stops.Tick(t0 + Millis(100));
  CHECK(a->cancelled());
  CHECK(StoppedByDeadline(*a));
  CHECK_FALSE(b->cancelled());  // no deadline: only the run stops it
  run.Cancel(SIGINT);
  stops.Tick(t0 + Millis(200));
  CHECK(b->cancelled());
  CHECK_FALSE(StoppedByDeadline(*b));
  CHECK_FALSE(b->forced());
  run.Cancel(SIGINT);  // a second ^C: forced, as the run's token says
  stops.Tick(t0 + Millis(250));
  CHECK(b->forced());
  stops.Disarm(2);
  auto c = stops.Arm(3, &run, std::nullopt);
  stops.Tick(t0 + Millis(300));
  CHECK(c->forced());  // an attempt started after the requests still hears them all
}

TEST_CASE("a hash step past its timeout stops within a second and records nothing",
          "[engine][timeout][hash]") {
  Bench b(
      "  - {id: h, uses: hash, timeout: 1s, with: {files: [big], verify: none, "
      "inventory: inv.json}}\n");
  auto start = Steady::now();
  Command c = Shell(b.Run());
  CHECK(SecondsSince(start) < 6);
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("timed out after 1s") != std::string::npos);
  CHECK(Shell("test -e " + b.dir + "/inv.json").exit_code != 0);  // no half inventory
}

TEST_CASE("^C during a long hash ends the run at once with 130", "[engine][timeout][hash]") {
  Bench b("  - {id: h, uses: hash, with: {files: [big], verify: none, inventory: ''}}\n");
  auto start = Steady::now();
  Command c = Shell(b.Run(" & pid=$!; sleep 1; kill -INT $pid; wait $pid; echo rc=$?"));
  CHECK(SecondsSince(start) < 6);
  CHECK(c.out.find("rc=130") != std::string::npos);
}

TEST_CASE("integrity-check of a dump that inflates to 100 GiB stops at its timeout, no debris",
          "[engine][timeout][integrity]") {
  Bench b(
      "  - {id: c, uses: integrity-check, timeout: 1s, with: {source: bomb.sqlite.gz, "
      "workspace: ws/check.sqlite}}\n");
  // One member of 256 MiB of zeros (~250 KiB of gzip), 400 times: any gzip reader reads all.
  REQUIRE(Shell("cd " + b.dir + " && head -c 256M /dev/zero | gzip -1 > one.gz && for i in " +
                "$(seq 400); do cat one.gz; done > bomb.sqlite.gz && rm one.gz")
              .exit_code == 0);
  auto start = Steady::now();
  Command c = Shell(b.Run());
  CHECK(SecondsSince(start) < 8);
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("timed out after 1s") != std::string::npos);
  CHECK(Shell("ls -A " + b.dir + "/ws").out.empty());  // the partial copy is gone
}

TEST_CASE("an approval waits past defaults.timeout, and its own timeout bounds it",
          "[engine][timeout][approval]") {
  std::string dir = TempDir();
  auto run = [&](const std::string& gate) {
    WriteFile(dir, "rb.yaml",
              "version: 1\nname: t\ndefaults: {timeout: 1s}\nsteps:\n" + gate +
                  "  - {id: after, uses: log, needs: [gate], with: {message: passed the gate}}\n");
    return Shell(PtyRun() + " --send-after 2.5 'y\\n' -- " + Binary() + " run " + dir +
                 "/rb.yaml --audit-db " + dir + "/audit.db; echo rc=$?");
  };
  Command waits = run("  - {id: gate, uses: approval, with: {prompt: 'go on'}}\n");
  CHECK(waits.out.find("rc=0") != std::string::npos);
  CHECK(waits.out.find(": success in") != std::string::npos);  // the gate, then the step after it
  Command bounded = run("  - {id: gate, uses: approval, timeout: 1s, with: {prompt: 'go on'}}\n");
  CHECK(bounded.out.find("rc=1") != std::string::npos);
  CHECK(bounded.out.find("timed out after 1s") != std::string::npos);
}
