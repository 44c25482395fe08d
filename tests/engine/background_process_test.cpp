// Background processes (engine/background_process.cpp) with real children: the whole group
// is stopped, a leader that exits early is reported, the handle's destructor stops it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "engine/process_runner.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::unique_ptr<BackgroundProcess> StartShell(const std::string& script, const std::string& log,
                                              std::string& error) {
  PosixProcessRunner runner;
  BackgroundRequest req;
  req.argv = {"/bin/sh", "-c", script};
  req.env = CurrentEnvironment();
  req.log_path = log;
  return runner.Start(req, error);
}

std::string Marker(int n) { return "sleep 7" + std::to_string(n) + "." + std::to_string(getpid()); }

}  // namespace

TEST_CASE("a background process and its children are stopped as a group", "[process]") {
  std::string dir = TempDir(), error;
  auto p = StartShell(Marker(1) + " & echo started; " + Marker(2), dir + "/logs/out.log", error);
  REQUIRE(p != nullptr);
  for (int i = 0; i < 50 && !ProcessAlive(Marker(2)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(p->Exited().has_value());
  CHECK(ProcessAlive(Marker(1)));
  CHECK(p->Stop(Millis(2000)) == "stopped with SIGTERM (killed by SIGTERM)");
  CHECK_FALSE(ProcessAlive(Marker(1)));
  CHECK_FALSE(ProcessAlive(Marker(2)));
  CHECK(ReadFile(dir + "/logs/out.log") == "started\n");
  CHECK(p->Stop(Millis(2000)) == "stopped with SIGTERM (killed by SIGTERM)");  // idempotent
}

TEST_CASE("a background leader that exits early is reported, its group goes too", "[process]") {
  std::string dir = TempDir(), error;
  auto p = StartShell(Marker(3) + " & exit 5", dir + "/out.log", error);
  REQUIRE(p != nullptr);
  for (int i = 0; i < 100 && !p->Exited(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(p->Exited() == std::optional<std::string>("exit code 5"));
  CHECK_FALSE(ProcessAlive(Marker(3)));
  CHECK(p->Stop(Millis(100)) == "had already exited (exit code 5)");
}

TEST_CASE("a background process that ignores SIGTERM is killed, so is an abandoned one",
          "[process]") {
  std::string dir = TempDir(), error;
  auto p = StartShell("trap '' TERM; " + Marker(4), dir + "/out.log", error);
  REQUIRE(p != nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(p->Stop(Millis(300)) == "killed with SIGKILL after 300ms (killed by SIGKILL)");
  CHECK_FALSE(ProcessAlive(Marker(4)));
  auto q = StartShell(Marker(5), dir + "/out.log", error);
  REQUIRE(q != nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  q.reset();
  CHECK_FALSE(ProcessAlive(Marker(5)));
}

TEST_CASE("a background process that cannot start says why", "[process]") {
  PosixProcessRunner runner;
  std::string error;
  BackgroundRequest req;
  req.argv = {"no-such-daemon-xyz"};
  req.env = CurrentEnvironment();
  req.log_path = TempDir() + "/out.log";
  CHECK(runner.Start(req, error) == nullptr);
  CHECK(error == "command not found: 'no-such-daemon-xyz' (not in PATH)");
  req.argv = {"true"};
  req.log_path = "/proc/no/such/dir/out.log";
  CHECK(runner.Start(req, error) == nullptr);
  CHECK(error ==
        "cannot use log '/proc/no/such/dir/out.log': cannot open /proc/no/such/dir/out.log: No "
        "such file or directory");
}

TEST_CASE("a service's descendant that left its group ends when the service stops, not before",
          "[process][escape]") {
  std::string dir = TempDir(), error;
  auto p = StartShell("setsid " + Marker(6) + " > /dev/null 2>&1 & " + Marker(7), dir + "/out.log",
                      error);
  REQUIRE(p != nullptr);
  for (int i = 0; i < 50 && !ProcessAlive(Marker(6)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Another step's runner ends what carries its own tracking id only: the service's helper stays.
  PosixProcessRunner runner;
  CancelToken cancel;
  ProcessRequest step;
  step.argv = {"true"};
  step.env = CurrentEnvironment();
  CHECK(runner.Run(step, cancel).exited_ok());
  CHECK(ProcessAlive(Marker(6)));
  std::string how = p->Stop(Millis(2000));
  CHECK_THAT(how, Catch::StartsWith("stopped with SIGTERM (killed by SIGTERM); ended process ") &&
                      Catch::Contains("(" + Marker(6) + "): SIGTERM, which had left the service"));
  CHECK_FALSE(ProcessAlive(Marker(6)));
  CHECK_FALSE(ProcessAlive(Marker(7)));
}
