// A run on another host, container or pid namespace (breakL L32): its liveness cannot be
// checked by pid from here, so it writes heartbeats and is taken as gone once it falls
// silent for kGoneAfterSilence; until then its lock holds and the messages say when. The
// other place is made real with Linux namespaces (unshare, root only); the passing of five
// minutes is the one seam: the test ages the recorded heartbeat.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

namespace {

// `long.yaml` holds lock prod-db while its step sleeps (marks "started"); `quick.yaml`
// wants the same lock.
std::string Fixture() {
  std::string dir = TempDir();
  WriteFile(dir, "long.yaml",
            "version: 1\nname: long\nlock: prod-db\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [sh, -c, 'echo started >> marks; exec " +
                SleepMarker(1) + "']}}\n");
  WriteFile(dir, "quick.yaml",
            "version: 1\nname: quick\nlock: prod-db\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [echo, done]}}\n");
  return dir;
}

// Starts long.yaml through `wrap` (a command prefix) in the background, its pid in dir/pid
// (runbook's own when `wrap` execs it), and waits until its step started.
bool StartLong(const std::string& dir, const std::string& wrap, const std::string& env = "") {
  // setsid: Shell ends its process group when it returns (RunUntilStartedThenKill).
  return Shell("cd " + dir + "; " + env + " setsid " + wrap + " " + Binary() + " run " + dir +
               "/long.yaml --audit-db a.db > long.out 2>&1 & echo $! > " + dir +
               "/pid; for i in $(seq 200); do grep -q started " + dir +
               "/marks 2>/dev/null && exit 0; sleep 0.05; done; exit 1")
             .exit_code == 0;
}

std::string OnlyRun(const std::string& dir) {
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  return id.empty() ? "" : id.substr(0, id.size() - 1);
}

// The status the store's runs index gives run `id` ("running\n", "failure\n", ...).
std::string RunStatus(const std::string& dir, const std::string& id) {
  return Shell(kSqliteWaiting + dir + "/a.db \"select status from runs where run_id='" + id + "'\"")
      .out;
}

Command Rb(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " " + args + " --audit-db a.db </dev/null");
}

// Whether `unshare FLAGS` works here (root only); when not, says the test is skipped.
bool CanUnshare(const std::string& flags, const char* what) {
  if (Shell("unshare " + flags + " true").exit_code == 0) return true;
  WARN(std::string("cannot make ") + what + " here (needs root): not tested");
  return false;
}

}  // namespace

TEST_CASE(
    "liveness: a run killed on another host holds its lock until it falls silent, then is "
    "taken as gone",
    "[cli][liveness]") {
  if (!CanUnshare("-u", "a UTS namespace")) return;
  std::string dir = Fixture();
  REQUIRE(StartLong(dir, "unshare -u sh -c 'hostname pod-abc123; exec \"$0\" \"$@\"'"));
  // Its step's process would be on that host, out of sight of this one.
  Shell("kill -9 $(cat " + dir + "/pid); pkill -f '" + SleepMarker(1) + "'; sleep 0.3");
  std::string id = OnlyRun(dir);
  REQUIRE(!id.empty());

  Command held = Rb(dir, "run quick.yaml");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("on pod-abc123") &&
                           Catch::Contains("runs elsewhere (another host, container or pid "
                                           "namespace), last heard from") &&
                           Catch::Contains("(5 minutes without a heartbeat)"));
  Command refused = Rb(dir, "resume " + id + " --rerun a");
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("is running") && Catch::Contains("can be resumed then"));

  // A heartbeat from the future (that host's clock ahead, breakM M23) is named as such, and
  // taken as heard now: the wait is 5 minutes from here, not the skew (breakN N14). Both a
  // run that wants the lock and a resume bound it.
  std::string future = kSqliteWaiting + dir + "/a.db \"update liveness set heard_at=" +
                       "'2099-01-01T00:00:00Z' where run_id='" + id + "'\"";
  std::string heard =
      kSqliteWaiting + dir + "/a.db \"select heard_at from liveness where run_id='" + id + "'\"";
  for (const char* command : {"run quick.yaml", "resume RUN --rerun a"}) {
    Shell(future);
    std::string line = command;
    if (line.find("RUN") != std::string::npos) line.replace(line.find("RUN"), 3, id);
    Command skewed = Rb(dir, line);
    INFO(line << "\n" << skewed.err);
    CHECK(skewed.exit_code == (line.rfind("run", 0) == 0 ? 3 : 2));
    CHECK_THAT(skewed.err,
               Catch::Contains("warning: run " + id + " on pod-abc123 sent a heartbeat dated ") &&
                   Catch::Contains("ahead of this host's clock: it is taken as "
                                   "heard now") &&
                   Catch::Contains("check that host's clock (NTP)"));
    CHECK_THAT(skewed.err, !Catch::Contains("2099"));  // no wait until then
    std::string kept = Shell(heard).out;
    CHECK(kept < "2099");
    CHECK(kept > "2026");
  }
  // Five minutes of silence, then: marked interrupted, the lock free, the run resumable.
  Shell(kSqliteWaiting + dir +
        "/a.db \"update liveness set heard_at='2026-01-01T00:00:00Z', every_ms=1000 " +
        "where run_id='" + id + "'\"");
  Command quick = Rb(dir, "run quick.yaml");
  INFO(quick.err);
  CHECK(quick.exit_code == 0);
  CHECK_THAT(quick.err, Catch::Contains("run " + id + " was last heard from ") &&
                            Catch::Contains("watching it up to 3.00s for a heartbeat before "
                                            "taking it as gone (Ctrl-C stops)"));
  // Its processes there are out of sight: the warning says so (breakM M24).
  CHECK_THAT(quick.err, Catch::Contains("warning: run " + id +
                                        " on pod-abc123 sent no heartbeat "
                                        "for 5 minutes and is taken as gone, and its lock is "
                                        "free; processes its steps started on pod-abc123 may "
                                        "still run"));
  Command show = Rb(dir, "show " + id);
  CHECK_THAT(show.out, Catch::Contains("interrupted: the process (pid") &&
                           Catch::Contains("on pod-abc123) sent no heartbeat for 5 minutes") &&
                           Catch::Contains("processes its steps started there may still run"));
  Shell("pkill -f '" + SleepMarker(1) + "'");
}

TEST_CASE("liveness: resume --wait of a run elsewhere waits until it is taken as gone",
          "[cli][liveness]") {
  // breakM M10: --wait was refused at once, although the message said it waits.
  if (!CanUnshare("-u", "a UTS namespace")) return;
  std::string dir = Fixture();
  REQUIRE(StartLong(dir, "unshare -u sh -c 'hostname pod-w; exec \"$0\" \"$@\"'"));
  Shell("kill -9 $(cat " + dir + "/pid); pkill -f '" + SleepMarker(1) + "'; sleep 0.3");
  std::string id = OnlyRun(dir);
  Command c = Shell("cd " + dir + "; (" + Binary() + " resume " + id +
                        " --rerun a --wait --audit-db a.db > resume.out 2>&1 &); sleep 3; "
                        "grep -c resuming resume.out; sqlite3 a.db \"update liveness set "
                        "heard_at='2026-01-01T00:00:00Z', every_ms=1000 where run_id='" +
                        id +
                        "'\"; for i in $(seq 50); do grep -q resuming resume.out && break; sleep "
                        "0.2; done",
                    60);
  Shell("pkill -f '" + SleepMarker(1) + "'; sleep 0.5");  // its own line: pkill -f matches sh
  c.out += ReadFile(dir + "/resume.out");
  INFO(c.out);
  CHECK_THAT(c.out, Catch::StartsWith("0\n"));  // it waited
  CHECK_THAT(c.out, Catch::Contains("waiting for run " + id + " to end or to be taken as gone") &&
                        Catch::Contains("resuming run " + id));
}

TEST_CASE(
    "liveness: a run in another pid namespace on the same host name is not taken as gone "
    "by its pid",
    "[cli][liveness]") {
  // A container sharing the host's name (docker --uts=host) or a pod's sidecar: its pid
  // means nothing here; judged by it, the live run was marked interrupted and its lock freed.
  if (!CanUnshare("-p -f -m --mount-proc", "a pid namespace")) return;
  std::string dir = Fixture();
  REQUIRE(StartLong(dir, "unshare -p -f -m --mount-proc"));
  Command history = Rb(dir, "history");
  INFO(history.out << history.err);
  CHECK_THAT(history.out, Catch::Contains("running"));
  CHECK_THAT(history.err, !Catch::Contains("marked"));
  Command held = Rb(dir, "run quick.yaml");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("is held by run " + OnlyRun(dir)));
  Shell("pkill -9 -f '" + dir + "/long.yaml'; pkill -f '" + SleepMarker(1) + "'");
}

TEST_CASE("liveness: a run taken as gone while it was suspended stops when it wakes",
          "[cli][liveness]") {
  // Another host took it as gone and may run the same restore: it must not go on.
  if (!CanUnshare("-u", "a UTS namespace")) return;
  std::string dir = Fixture();
  // The default heartbeat interval (30 s): the woken run stops before its next heartbeat,
  // at its next look at the store (breakM M1: it went on for up to one interval).
  REQUIRE(StartLong(dir, "unshare -u sh -c 'hostname pod-sleepy; exec \"$0\" \"$@\"'"));
  std::string id = OnlyRun(dir);
  Shell("kill -STOP $(cat " + dir + "/pid)");
  Shell(kSqliteWaiting + dir +
        "/a.db \"update liveness set heard_at='2026-01-01T00:00:00Z', every_ms=1000 " +
        "where run_id='" + id + "'\"");
  // A command that writes watches it for one heartbeat interval (recorded: 1 s here) before
  // it takes it as gone (breakO O13); a reader leaves it as it is.
  Command read = Rb(dir, "history");
  CHECK_THAT(read.err, !Catch::Contains("marked"));
  Command marked = Rb(dir, "run quick.yaml");
  CHECK_THAT(marked.err, Catch::Contains("watching it up to 3.00s for a heartbeat") &&
                             Catch::Contains("is taken as gone, and its lock is free"));
  Command woke = Shell("kill -CONT $(cat " + dir + "/pid); for i in $(seq 50); do kill -0 $(cat " +
                       dir + "/pid) 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
  CHECK(woke.exit_code == 0);
  std::string out = ReadFile(dir + "/long.out");
  INFO(out);
  CHECK_THAT(out, Catch::Contains("is no longer recorded as running (it is interrupted): another "
                                  "runbook recorded it as interrupted"));
  CHECK_FALSE(ProcessAlive(SleepMarker(1)));  // its step was stopped, not left running
  // Nothing more was recorded for it: it stays interrupted, its step never finished.
  CHECK(RunStatus(dir, id) == "interrupted\n");
  CHECK(Shell(kSqliteWaiting + dir + "/a.db \"select count(*) from events where run_id='" + id +
              "' and kind in ('attempt_finished','step_finished','run_finished')\"")
            .out == "0\n");
  Shell("pkill -f '" + SleepMarker(1) + "'");
}

TEST_CASE("liveness: a heartbeat interval the other hosts could take for silence is refused",
          "[cli][liveness]") {
  std::string dir = Fixture();
  Command c = Rb(dir, "run quick.yaml");
  CHECK(c.exit_code == 0);
  Command slow = Shell("cd " + dir + " && RUNBOOK_HEARTBEAT_INTERVAL=5m " + Binary() +
                       " run quick.yaml --audit-db a.db");
  CHECK(slow.exit_code == 0);
  CHECK_THAT(slow.err, Catch::Contains("RUNBOOK_HEARTBEAT_INTERVAL='5m' is not a duration from 1ms "
                                       "to 1m: a heartbeat every 30s"));
  // Every run of this place is recorded with its heartbeat.
  CHECK(Shell(kSqliteWaiting + dir + "/a.db 'select count(*) from liveness'").out == "2\n");
}

TEST_CASE("liveness: a resume refused on a held lock announces no run id it never records",
          "[cli][liveness][lock]") {
  // breakM M25 (breakL L7's kind): "resuming run X as Y", then "lock ... is held"; Y was
  // never recorded.
  std::string dir = Fixture();
  WriteFile(dir, "fail.yaml",
            "version: 1\nname: fail\nlock: prod-db\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [test, -f, go]}}\n");
  REQUIRE(Rb(dir, "run fail.yaml").exit_code == 1);
  std::string failed = OnlyRun(dir);
  REQUIRE(StartLong(dir, ""));
  Command resumed = Rb(dir, "resume " + failed);
  INFO(resumed.err);
  CHECK(resumed.exit_code == 3);
  CHECK_THAT(resumed.err, Catch::Contains("is held by run") && !Catch::Contains("resuming run"));
  Shell("kill $(cat " + dir + "/pid); sleep 0.5; pkill -f '" + SleepMarker(1) + "'");
}

TEST_CASE("liveness: a stopped run's lock refusal says it is stopped and how to go on",
          "[cli][liveness][lock]") {
  // breakM M30: a run Ctrl-Z'd in a forgotten pane held its lock for ever, without a hint.
  std::string dir = Fixture();
  REQUIRE(StartLong(dir, ""));
  std::string pid = ReadFile(dir + "/pid");
  pid.pop_back();
  Shell("kill -STOP " + pid);
  Command held = Rb(dir, "run quick.yaml");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("its process (pid " + pid +
                                       ") is stopped (SIGSTOP, Ctrl-Z): continue it with `kill "
                                       "-CONT " +
                                       pid + "`, or end it with `kill " + pid + "`"));
  Shell("kill -CONT " + pid + "; kill " + pid + "; sleep 0.5; pkill -f '" + SleepMarker(1) + "'");
}

TEST_CASE("liveness: a run elsewhere whose heartbeats are dated behind this clock keeps its lock",
          "[cli][liveness]") {
  // breakO O13: a live run on a host whose clock is 5+ minutes slow was taken as gone at
  // once, its lock given to a second run of the same restore, and it was stopped mid-step.
  // Its heartbeats still come: a writer watches one interval for them before it decides.
  if (!CanUnshare("-p -f -m --mount-proc", "a pid namespace")) return;
  std::string dir = Fixture();
  // Its own heartbeats are a minute apart; the loop below writes them as that host would,
  // each dated 6 minutes back, with a 1 s interval recorded.
  REQUIRE(StartLong(dir, "unshare -p -f -m --mount-proc", "RUNBOOK_HEARTBEAT_INTERVAL=1m"));
  std::string id = OnlyRun(dir);
  // setsid: Shell ends its process group when it returns.
  WriteFile(dir, "behind.sh",
            "for i in $(seq 80); do sqlite3 " + dir +
                "/a.db \"update liveness set every_ms=1000, heard_at=strftime("
                "'%Y-%m-%dT%H:%M:%fZ','now','-6 minutes')\" 2>/dev/null; sleep 0.1; done\n");
  Shell("setsid sh " + dir + "/behind.sh > /dev/null 2>&1 < /dev/null & sleep 0.3");
  Command held = Rb(dir, "run quick.yaml");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("warning: run " + id) &&
                           Catch::Contains("behind this host's clock, but they still come"));
  CHECK_THAT(held.err, Catch::Contains("lock 'prod-db' is held by run " + id) &&
                           Catch::Contains("behind this host's clock: they still come"));
  CHECK_THAT(held.err, !Catch::Contains("marked"));
  CHECK(RunStatus(dir, id) == "running\n");
  Shell("sleep 8; pkill -9 -f '" + dir + "/long.yaml'; pkill -f '" + SleepMarker(1) + "'");
}

// breakO O18: texts another party recorded reached the terminal raw: a host name a container
// set (`show`, the lock refusal), and the store's path in `audit verify`'s result. Each is
// shown with its control characters as \xNN.
TEST_CASE("a host name or store path with control characters is shown escaped (breakO O18)",
          "[cli][liveness][terminal]") {
  if (!CanUnshare("-u", "a UTS namespace")) return;
  std::string dir = Fixture();
  REQUIRE(StartLong(dir,
                    "unshare -u sh -c 'python3 -c \"import socket; socket.sethostname("
                    "b\\\"x\\\\x1b]0;PWNED\\\\x07\\\\x1b[2J\\\\rok\\\")\" && exec \"$0\" \"$@\"'"));
  std::string id = OnlyRun(dir);
  REQUIRE(!id.empty());
  Command held = Rb(dir, "run quick.yaml");
  Shell("kill -9 $(cat " + dir + "/pid); pkill -f '" + SleepMarker(1) + "'");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("on x\\x1b]0;PWNED\\x07\\x1b[2J\\x0dok"));
  CHECK(held.err.find('\x1b') == std::string::npos);
  Command show = Rb(dir, "show " + id);
  INFO(show.out);
  CHECK_THAT(show.out, Catch::Contains("on x\\x1b]0;PWNED"));
  CHECK(show.out.find('\x1b') == std::string::npos);
  CHECK(show.out.find('\r') == std::string::npos);
  // A store in a folder whose name holds an escape.
  std::string odd = dir + "/e\x1b]0;T\x07x";
  Shell("mkdir '" + odd + "' && cd '" + odd + "' && " + Binary() +
        " run ../quick.yaml --audit-db s.db --wait");
  Command verify = Shell("cd '" + odd + "' && " + Binary() + " audit verify --audit-db s.db");
  INFO(verify.out);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("e\\x1b]0;T\\x07x/s.db: ok"));
  CHECK(verify.out.find('\x1b') == std::string::npos);
}

// breakP P11: every writer watched every run elsewhere whose heartbeats looked old, so while
// one container with a slow clock ran, an unrelated run (another runbook, no lock) stalled
// for its heartbeat interval, and failed with exit 3 when that run ended meanwhile. Only a
// command that needs the run (its lock, its resume) watches it now. P2: Ctrl-C during that
// watch ends the command at once, recording nothing.
TEST_CASE("liveness: only a command that needs a run elsewhere watches it, and Ctrl-C stops it",
          "[cli][liveness]") {
  if (!CanUnshare("-p -f -m --mount-proc", "a pid namespace")) return;
  std::string dir = Fixture();
  WriteFile(dir, "other.yaml",
            "version: 1\nname: other\nsteps:\n  - {id: a, uses: exec, with: {run: [echo, hi]}}\n");
  REQUIRE(StartLong(dir, "unshare -p -f -m --mount-proc", "RUNBOOK_HEARTBEAT_INTERVAL=1m"));
  std::string id = OnlyRun(dir);
  // Its heartbeats look 6 minutes old, with a minute's interval: a watch would last 62 s.
  Shell(kSqliteWaiting + dir +
        "/a.db \"update liveness set every_ms=60000, heard_at=strftime("
        "'%Y-%m-%dT%H:%M:%fZ','now','-6 minutes')\"");
  Command other = Shell("cd " + dir + " && timeout 20 " + Binary() +
                        " run other.yaml --audit-db a.db 2>&1; echo rc=$?");
  CHECK_THAT(other.out, Catch::Contains("rc=0") && !Catch::Contains("watching"));
  // quick.yaml wants its lock: it watches, and Ctrl-C ends the watch and the command.
  Command stopped =
      Shell("cd " + dir + " && (" + Binary() +
            " run quick.yaml --audit-db a.db > quick.out 2>&1 & P=$!; for i in $(seq 100); do "
            "grep -q watching quick.out && break; sleep 0.1; done; kill -INT $P; S=$(date +%s); "
            "wait $P; echo rc=$? took=$(( $(date +%s) - S )))");
  INFO(stopped.out << ReadFile(dir + "/quick.out"));
  CHECK_THAT(stopped.out, Catch::Contains("rc=130"));
  CHECK(std::stoi(stopped.out.substr(stopped.out.find("took=") + 5)) <= 2);
  CHECK(Shell(kSqliteWaiting + dir + "/a.db \"select count(*) from runs where runbook='quick'\"")
            .out == "0\n");
  CHECK(RunStatus(dir, id) == "running\n");
  // The run elsewhere ends while quick.yaml watches it: quick takes the lock and runs, it
  // does not fail as if it had been the one marked.
  Shell(kSqliteWaiting + dir + "/a.db \"update liveness set every_ms=3000\"");
  WriteFile(dir, "marker", SleepMarker(1));  // named by file: pkill -f would match its shell
  Command ended = Shell("cd " + dir + " && (" + Binary() +
                        " run quick.yaml --audit-db a.db > quick2.out 2>&1 & P=$!; for i in "
                        "$(seq 100); do grep -q watching quick2.out && break; sleep 0.1; done; "
                        "pkill -f \"$(cat marker)\"; wait $P; echo rc=$?)");
  INFO(ReadFile(dir + "/quick2.out"));
  CHECK_THAT(ended.out, Catch::Contains("rc=0"));
  CHECK(RunStatus(dir, id) == "failure\n");
  Shell("pkill -9 -f '" + dir + "/long.yaml'; pkill -f '" + SleepMarker(1) + "'");
}

// breakO O5: a killed runbook whose parent never reaps it stays a zombie (state Z) with its
// pid and start time: it was taken as alive, its lock held and its run "running", for as long
// as that parent lived. A zombie has ended.
TEST_CASE("liveness: a killed run left a zombie by its parent is taken as gone",
          "[cli][liveness]") {
  std::string dir = Fixture();
  // A parent that starts runbook and never waits for it.
  WriteFile(dir, "parent.py",
            "import subprocess, sys, time\n"
            "p = subprocess.Popen(sys.argv[1:], stdout=open('long.out', 'w'), "
            "stderr=subprocess.STDOUT)\n"
            "open('pid', 'w').write(str(p.pid))\n"
            "time.sleep(60)\n");
  Shell("cd " + dir + " && setsid python3 parent.py " + Binary() +
        " run long.yaml --audit-db a.db > /dev/null 2>&1 < /dev/null & echo $! > " + dir +
        "/parent; for i in $(seq 200); do grep -q started " + dir +
        "/marks 2>/dev/null && exit 0; sleep 0.05; done; exit 1");
  Shell("kill -9 $(cat " + dir + "/pid); pkill -f '" + SleepMarker(1) +
        "'; for i in $(seq 50); do grep -q '^State:.Z' /proc/$(cat " + dir +
        "/pid)/status && exit 0; sleep 0.1; done");
  REQUIRE(Shell("grep -q '^State:.Z' /proc/$(cat " + dir + "/pid)/status").exit_code == 0);
  Command quick = Rb(dir, "run quick.yaml");
  INFO(quick.err);
  CHECK(quick.exit_code == 0);
  CHECK_THAT(quick.err, Catch::Contains("marked 1 run(s) as interrupted"));
  Shell("kill $(cat " + dir + "/parent)");
}
