// The process runner (engine/process_runner.cpp) with real children: descendants that leave
// the step's process group (setsid, double fork) end with the step and are named in its
// stderr, pipes they hold do not hold the step, reparented zombies are reaped, and a child
// gets SIGXFSZ's default disposition back although runbook ignores it.
#include "engine/process_runner.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A command line no other test uses: "sleep 8N.PID" (GNU sleep takes a fraction).
std::string Marker(int n) { return "sleep 8" + std::to_string(n) + "." + std::to_string(getpid()); }

ProcessResult RunShell(const std::string& script, Millis grace,
                       std::optional<Millis> timeout = std::nullopt) {
  PosixProcessRunner runner;
  CancelToken cancel;
  ProcessRequest req;
  req.argv = {"/bin/sh", "-c", script};
  req.env = CurrentEnvironment();
  req.grace = grace;
  if (timeout) req.deadline = Clock::Mono::clock::now() + *timeout;
  return runner.Run(req, cancel);
}

double Seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }

// Zombies whose parent is this process.
int OwnZombies() {
  int n = 0;
  DIR* dir = opendir("/proc");
  while (dirent* e = readdir(dir)) {
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(in, line) || line.rfind(')') == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (sscanf(line.c_str() + line.rfind(')') + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' &&
        ppid == getpid())
      ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

TEST_CASE("a helper started with setsid ends with the step, which does not wait for its pipe",
          "[process][escape]") {
  // The example: the helper holds stdout; the step used to take 6 s and the helper
  // outlived the run.
  ProcessResult r = RunShell("setsid " + Marker(1) + " & sleep 0.5; echo done", Millis(5000));
  CHECK(r.exited_ok());
  CHECK(r.out.text == "done\n");
  CHECK(Seconds(r.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(1)));
  CHECK_THAT(r.err.text, Catch::Contains("runbook: ended process ") &&
                             Catch::Contains("(" + Marker(1) + "): SIGTERM, which had left"));
}

TEST_CASE("a double-forked daemon (setsid, nohup) ends with the step", "[process][escape]") {
  std::string script = "( setsid " + Marker(2) + " > /dev/null 2>&1 & ) & ( nohup setsid " +
                       Marker(3) + " > /dev/null 2>&1 & ) ; sleep 0.3; exit 0";
  ProcessResult r = RunShell(script, Millis(5000));
  CHECK(r.exited_ok());
  CHECK(Seconds(r.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(2)));
  CHECK_FALSE(ProcessAlive(Marker(3)));
  CHECK_THAT(r.err.text, Catch::Contains("(" + Marker(2) + "): SIGTERM") &&
                             Catch::Contains("(" + Marker(3) + "): SIGTERM"));
}

TEST_CASE("an escaped descendant that ignores SIGTERM gets SIGKILL after the grace",
          "[process][escape]") {
  // `trap '' TERM` makes the shell ignore TERM; sleep inherits the ignored disposition.
  std::string script = "setsid sh -c \"trap '' TERM; " + Marker(4) + "\" & sleep 0.3";
  ProcessResult r = RunShell(script, Millis(400));
  CHECK(r.exited_ok());
  CHECK(Seconds(r.duration) >= 0.6);  // 0.3 s of the step, then the 0.4 s grace
  CHECK(Seconds(r.duration) < 3.0);
  CHECK_FALSE(ProcessAlive(Marker(4)));
  CHECK_THAT(r.err.text, Catch::Contains("SIGKILL after 400ms (SIGTERM ignored)"));
}

TEST_CASE("a descendant that escapes during a step that fails or times out ends with it",
          "[process][escape]") {
  ProcessResult failed = RunShell("setsid " + Marker(5) + " & sleep 0.2; exit 3", Millis(5000));
  CHECK(failed.exit_code == 3);
  CHECK(Seconds(failed.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(5)));
  CHECK_THAT(failed.err.text, Catch::Contains("(" + Marker(5) + "): SIGTERM"));

  ProcessResult timed_out =
      RunShell("setsid " + Marker(6) + " & sleep 30", Millis(300), Millis(400));
  CHECK(timed_out.timed_out);
  CHECK(Seconds(timed_out.duration) < 3.0);
  CHECK_FALSE(ProcessAlive(Marker(6)));
  CHECK_THAT(timed_out.err.text, Catch::Contains("(" + Marker(6) + "): SIGTERM"));
}

TEST_CASE("orphans that reparent to runbook and exit are reaped, no zombie stays",
          "[process][escape]") {
  // Each short sleep is orphaned (its shell exits at once) and exits while the step runs.
  std::string script =
      "for i in 1 2 3 4 5; do ( setsid sh -c 'sleep 0.1' & ) ; done; sleep 1.5; echo ok";
  ProcessResult r = RunShell(script, Millis(5000));
  CHECK(r.exited_ok());
  CHECK(OwnZombies() == 0);
}

TEST_CASE("a child gets SIGXFSZ's default back although runbook ignores it", "[process]") {
  std::string dir = TempDir();
  auto before = signal(SIGXFSZ, SIG_IGN);
  // Killed by SIGXFSZ, the shell reports 153 (128 + 25); with SIGXFSZ ignored, head would
  // fail with EFBIG and exit 1.
  ProcessResult r =
      RunShell("ulimit -f 1; head -c 8192 /dev/zero > " + dir + "/big; echo $?", Millis(1000));
  signal(SIGXFSZ, before);
  CHECK(r.out.text == std::to_string(128 + SIGXFSZ) + "\n");
}
