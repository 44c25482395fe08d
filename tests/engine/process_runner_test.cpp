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
#include <thread>

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

// The ended-process notes of a run as one text.
std::string Ended(const ProcessResult& r) {
  std::string text;
  for (const std::string& line : r.ended) text += line + "\n";
  return text;
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
  CHECK_THAT(Ended(r),
             Catch::StartsWith("process ") && Catch::Contains("(" + Marker(1) + "): SIGTERM\n"));
  CHECK(r.err.text.empty());  // runbook's notes are not the tool's stderr
}

TEST_CASE("a double-forked daemon (setsid, nohup) ends with the step", "[process][escape]") {
  std::string script = "( setsid " + Marker(2) + " > /dev/null 2>&1 & ) & ( nohup setsid " +
                       Marker(3) + " > /dev/null 2>&1 & ) ; sleep 0.3; exit 0";
  ProcessResult r = RunShell(script, Millis(5000));
  CHECK(r.exited_ok());
  CHECK(Seconds(r.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(2)));
  CHECK_FALSE(ProcessAlive(Marker(3)));
  CHECK_THAT(Ended(r), Catch::Contains("(" + Marker(2) + "): SIGTERM") &&
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
  CHECK_THAT(Ended(r), Catch::Contains("SIGKILL after 400ms (SIGTERM ignored)"));
}

TEST_CASE("a descendant that escapes during a step that fails or times out ends with it",
          "[process][escape]") {
  ProcessResult failed = RunShell("setsid " + Marker(5) + " & sleep 0.2; exit 3", Millis(5000));
  CHECK(failed.exit_code == 3);
  CHECK(Seconds(failed.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(5)));
  CHECK_THAT(Ended(failed), Catch::Contains("(" + Marker(5) + "): SIGTERM"));

  ProcessResult timed_out =
      RunShell("setsid " + Marker(6) + " & sleep 30", Millis(300), Millis(400));
  CHECK(timed_out.timed_out);
  CHECK(Seconds(timed_out.duration) < 3.0);
  CHECK_FALSE(ProcessAlive(Marker(6)));
  CHECK_THAT(Ended(timed_out), Catch::Contains("(" + Marker(6) + "): SIGTERM"));
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

TEST_CASE("a failing tool's stderr stays its own: runbook's notes about ended processes apart",
          "[process][escape]") {
  // breakE 5: 60 escapees pushed the tool's error out of its stderr tail.
  std::string script = "echo 'FATAL: REAL ERROR' >&2; for i in $(seq 60); do setsid " + Marker(7) +
                       " & done; sleep 0.3; exit 1";
  ProcessResult r = RunShell(script, Millis(2000));
  CHECK(r.exit_code == 1);
  CHECK(r.err.text == "FATAL: REAL ERROR\n");
  CHECK(r.ended.size() == 60);
  CHECK_FALSE(ProcessAlive(Marker(7)));
}

TEST_CASE("an escapee whose environment is larger than 1 MiB is still found by its id",
          "[process][escape]") {
  // breakE 10: the id after 1 MiB of other variables (each < 128 KiB, the kernel's limit).
  std::string vars;
  for (int i = 0; i < 10; ++i) vars += "A" + std::to_string(i) + "=$big ";
  std::string script = "big=$(head -c 120000 /dev/zero | tr '\\0' x); env -i " + vars +
                       "RUNBOOK_TRACKING_ID=$RUNBOOK_TRACKING_ID setsid " + Marker(8) +
                       " > /dev/null 2>&1 & sleep 0.5";
  ProcessResult r = RunShell(script, Millis(2000));
  CHECK(r.exited_ok());
  CHECK_FALSE(ProcessAlive(Marker(8)));
  CHECK_THAT(Ended(r), Catch::Contains("(" + Marker(8) + "): SIGTERM"));
}

TEST_CASE("a stopped escapee gets SIGCONT after SIGTERM and does not hold the step",
          "[process][escape]") {
  // breakE 9: SIGSTOP held the step for the whole grace, reported as "SIGTERM ignored".
  ProcessResult r = RunShell(
      "setsid " + Marker(9) + " > /dev/null & sleep 0.1; kill -STOP $!; sleep 0.2", Millis(4000));
  CHECK(r.exited_ok());
  CHECK(Seconds(r.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(9)));
  CHECK_THAT(Ended(r), Catch::Contains("(" + Marker(9) + "): SIGTERM (it was stopped"));
  // Variant: a stopped process still in the step's group.
  ProcessResult in_group =
      RunShell(Marker(11) + " > /dev/null & kill -STOP $!; sleep 0.2", Millis(4000));
  CHECK(in_group.exited_ok());
  CHECK(Seconds(in_group.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(11)));
}

TEST_CASE("a child starts with no signal ignored, glibc's internal ones included", "[process]") {
  // breakE 15: posix_spawn left signals 32 and 33 ignored (SigIgn 0000000180000000).
  ProcessResult r = RunShell("grep SigIgn /proc/self/status", Millis(1000));
  CHECK(r.out.text == "SigIgn:\t0000000000000000\n");
}

TEST_CASE("a timeout sends the step's group one SIGTERM, not a second when the leader exits",
          "[process]") {
  // breakE 8: a nested runbook took the second SIGTERM for a second ^C.
  std::string dir = TempDir();
  std::string script = "sh -c 'trap \"echo TERM >> " + dir +
                       "/terms\" TERM; for i in 1 2 3 4 5 6 7 8; do sleep 0.1; done' & wait";
  ProcessResult r = RunShell(script, Millis(3000), Millis(300));
  CHECK(r.timed_out);
  std::ifstream in(dir + "/terms");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all == "TERM\n");
}

TEST_CASE("a second cancel ends escapees at once instead of after the grace",
          "[process][escape][signals]") {
  // breakE 7: the second ^C did not shorten the grace for escapees (5.6 s).
  PosixProcessRunner runner;
  CancelToken cancel;
  ProcessRequest req;
  req.argv = {"/bin/sh", "-c",
              "setsid sh -c \"trap '' TERM; " + Marker(10) + "\" > /dev/null 2>&1 & sleep 30"};
  req.env = CurrentEnvironment();
  req.grace = Millis(5000);
  std::thread signaller([&] {
    usleep(300 * 1000);
    cancel.Cancel(SIGINT);
    usleep(700 * 1000);
    cancel.Cancel(SIGINT);
  });
  ProcessResult r = runner.Run(req, cancel);
  signaller.join();
  CHECK(r.cancelled);
  CHECK(Seconds(r.duration) < 2.5);
  CHECK_FALSE(ProcessAlive(Marker(10)));
  CHECK_THAT(Ended(r), Catch::Contains("(" + Marker(10) + "): SIGKILL (a second signal"));
}

// breakX X9: a script whose #! interpreter does not exist was reported as if the script
// itself were missing ("No such file or directory"). The interpreter is named.
TEST_CASE("a script whose interpreter is missing names the interpreter", "[process]") {
  std::string dir = TempDir();
  WriteFile(dir, "job.sh", "#!/no/such/interpreter -e\necho hi\n");
  REQUIRE(Shell("chmod +x " + dir + "/job.sh").exit_code == 0);
  PosixProcessRunner runner;
  CancelToken cancel;
  ProcessRequest req;
  req.env = CurrentEnvironment();
  req.argv = {dir + "/job.sh"};
  ProcessResult r = runner.Run(req, cancel);
  CHECK_FALSE(r.spawned);
  CHECK(r.spawn_error == "cannot start '" + dir +
                             "/job.sh': its interpreter '/no/such/interpreter' (its #! line) "
                             "does not exist");
  // Relative to the step's folder, as the kernel resolves it.
  req.argv = {"./job.sh"};
  req.cwd = dir;
  r = runner.Run(req, cancel);
  CHECK_THAT(r.spawn_error, Catch::Contains("its interpreter '/no/such/interpreter'"));
  // A script that is really missing is still said so, naming the folder.
  req.argv = {"./gone.sh"};
  r = runner.Run(req, cancel);
  CHECK_THAT(r.spawn_error, Catch::Contains("No such file or directory") &&
                                Catch::Contains("(or no directory '" + dir + "')"));
}
