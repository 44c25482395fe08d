// The real binary killed with SIGKILL while a step's command runs: the command (and what it
// started, setsid included) keeps running, orphaned. `resume` then names those processes and
// stops instead of starting the step a second time beside them; `resume --end-leftovers` ends
// them first, says so, records them in the new run, and runs the step again (breakG #11).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

std::string Marker(int n) { return SleepMarker(n); }
bool Alive(const std::string& marker) { return ProcessAlive(marker); }

std::string RunAndKill(const std::string& dir, const std::string& file) {
  std::string id = RunUntilStartedThenKill(dir, file);
  REQUIRE_FALSE(id.empty());
  return id;
}

}  // namespace

TEST_CASE("resume after kill -9 names the step's leftover processes and does not run it twice",
          "[cli][escape][leftovers]") {
  std::string dir = TempDir();
  // Variant in the same step: a helper that left the group with setsid.
  std::string file =
      WriteFile(dir, "long.yaml",
                "version: 1\nname: t\nsteps:\n"
                "  - {id: a, uses: exec, with: {shell: true, run: 'echo started >> " +
                    dir + "/marks; test -f " + dir + "/fast && exit 0; setsid " + Marker(2) +
                    " & " + Marker(1) + "'}}\n");
  std::string id = RunAndKill(dir, file);
  CHECK(Alive(Marker(1)));  // runbook is gone; its step's command is not
  Command refused =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --rerun a --audit-db a.db");
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains("run " + id + " left ") &&
                              Catch::Contains("(" + Marker(1) + ")") &&
                              Catch::Contains("(" + Marker(2) + ")") &&
                              Catch::Contains("resume with --end-leftovers"));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "1\n");  // not run a second time
  CHECK(Alive(Marker(1)));

  REQUIRE(Shell("touch " + dir + "/fast").exit_code == 0);
  Command ended = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                        " --rerun a --end-leftovers --audit-db a.db");
  CHECK(ended.exit_code == 0);
  CHECK_THAT(ended.err, Catch::Contains("runbook: ended leftover process ") &&
                            Catch::Contains("(" + Marker(1) + "): SIGTERM"));
  CHECK_FALSE(Alive(Marker(1)));
  CHECK_FALSE(Alive(Marker(2)));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "2\n");
  Command recorded = Shell(kSqliteWaiting + dir +
                           "/a.db \"select body from events where kind='run_started' and "
                           "body like '%resumed_from%" +
                           id + "%'\"");
  CHECK_THAT(recorded.out,
             Catch::Contains("\"ended_leftovers\":[\"process ") && Catch::Contains(Marker(1)));
  // And read back: show and every report format name what the resume ended (breakN N23).
  std::string resumed = LatestRunId(dir + "/a.db");
  std::string rb = "cd " + dir + " && " + Binary() + " ";
  Command show = Shell(rb + "show " + resumed + " --audit-db a.db");
  CHECK_THAT(show.out,
             Catch::Contains("ended before it started, left running by " + id + ": process ") &&
                 Catch::Contains("(" + Marker(1) + "): SIGTERM"));
  for (const char* format : {"md", "html", "json"}) {
    Command report = Shell(rb + "report " + resumed + " --format " + format + " --audit-db a.db");
    INFO(format);
    CHECK_THAT(report.out, Catch::Contains("(" + Marker(1) + "): SIGTERM"));
    CHECK_THAT(report.out,
               Catch::Contains(std::string(format) == "json" ? "\"ended_leftovers\""
                                                             : "Processes ended before this run"));
  }
}

TEST_CASE("resume of a killed run whose step had finished its command finds nothing left",
          "[cli][escape][leftovers]") {
  // Variant: the step's processes ended by themselves before the resume: nothing to name.
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "short.yaml",
                "version: 1\nname: t\nsteps:\n"
                "  - {id: a, uses: exec, with: {shell: true, run: 'echo started >> " +
                    dir + "/marks; test -f " + dir + "/fast || sleep 1.2'}}\n");
  std::string id = RunAndKill(dir, file);
  REQUIRE(Shell("touch " + dir + "/fast; sleep 1.5").exit_code == 0);
  Command c =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --rerun a --audit-db a.db");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.err, !Catch::Contains("leftover"));
}

// breakM M7: a helper that cleared its environment (env -i) left with no tracking id; only the
// step's cgroup still holds it, and that is what a later command reads after kill -9.
TEST_CASE("resume after kill -9 finds leftovers that cleared their environment, by cgroup",
          "[cli][escape][leftovers]") {
  if (Shell("grep -q cgroup2 /proc/self/mounts && test -w /sys/fs/cgroup").exit_code != 0) {
    WARN("no writable cgroup2 here: step cgroups are not made, not tested");
    return;
  }
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "long.yaml",
                "version: 1\nname: t\nsteps:\n"
                "  - {id: a, uses: exec, with: {shell: true, run: 'test -f " +
                    dir + "/fast && exit 0; env -i /usr/bin/setsid /bin/" + Marker(3) +
                    " & echo started >> " + dir + "/marks; " + Marker(4) + "'}}\n");
  std::string id = RunAndKill(dir, file);
  REQUIRE(Alive(Marker(3)));
  std::string escaped = Shell("pgrep -f '^/bin/" + Marker(3) + "'").out;
  REQUIRE_FALSE(escaped.empty());
  CHECK(Shell("grep -c RUNBOOK_TRACKING_ID /proc/" + escaped.substr(0, escaped.find('\n')) +
              "/environ")
            .out == "0\n");  // truly without the id
  Command refused =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --rerun a --audit-db a.db");
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains("(/bin/" + Marker(3) + ")"));
  REQUIRE(Shell("touch " + dir + "/fast").exit_code == 0);
  Command ended = Shell("cd " + dir + " && " + Binary() + " resume " + id +
                        " --rerun a --end-leftovers --audit-db a.db </dev/null");
  CHECK(ended.exit_code == 0);
  CHECK_THAT(ended.err, Catch::Contains("(/bin/" + Marker(3) + "): SIGTERM"));
  CHECK_FALSE(Alive(Marker(3)));
  Shell("pkill -f '" + Marker(4) + "'");
}

TEST_CASE("a process of another account holding a killed run's tracking id is no leftover",
          "[cli][escape][leftovers]") {
  // breakN N20: anyone who read the id (the store's liveness table) could copy it into a
  // process of their own, hold the run's lock with it, and have root signal it. The control:
  // the same copy made by this account is taken as a leftover, as a step's would be.
  std::string dir = TempDir();
  std::string file =
      WriteFile(dir, "rb.yaml",
                "version: 1\nname: t\nlock: L20\nsteps:\n"
                "  - {id: a, uses: exec, with: {shell: true, run: 'echo started >> " +
                    dir +
                    "/marks; echo "
                    "$RUNBOOK_TRACKING_ID > " +
                    dir + "/tid; test -f " + dir + "/fast || sleep 1.2'}}\n");
  std::string id = RunAndKill(dir, file);
  REQUIRE(Shell("touch " + dir + "/fast; sleep 1.5").exit_code == 0);  // its own ones ended
  std::string tid = Shell("tr -d '\\n' < " + dir + "/tid").out;
  REQUIRE(tid.find('-') != std::string::npos);
  auto copy_as = [&](const std::string& who, int n) {
    Shell("setsid -f " + who + " env RUNBOOK_TRACKING_ID=" + tid + " " + Marker(n) +
          " </dev/null >/dev/null 2>&1; for i in $(seq 50); do pgrep -f '" + Marker(n) +
          "' >/dev/null && exit 0; sleep 0.1; done; exit 1");
  };
  std::string rb = "cd " + dir + " && " + Binary();
  copy_as("", 4);  // the control: this account's copy holds the lock
  REQUIRE(Alive(Marker(4)));
  Command held = Shell(rb + " run rb.yaml --audit-db a.db </dev/null");
  Shell("pkill -f '" + Marker(4) + "'; sleep 0.3");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("(" + Marker(4) + ")"));

  copy_as("setpriv --reuid=65534 --regid=65534 --clear-groups", 3);
  REQUIRE(Alive(Marker(3)));
  Command run = Shell(rb + " run rb.yaml --audit-db a.db </dev/null");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, !Catch::Contains("is held") && !Catch::Contains("left"));
  Command resumed = Shell(rb + " resume " + id + " --end-leftovers --rerun a --audit-db a.db");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, !Catch::Contains("ended leftover"));
  CHECK(Alive(Marker(3)));  // not signalled
  Shell("pkill -f '" + Marker(3) + "'");
}

static void LeftoversOfAnotherAccount(bool root_made_the_store);

TEST_CASE("leftovers of a killed run of another account hold its lock for root too",
          "[cli][escape][leftovers]") {
  for (bool root_made_the_store : {false, true}) {
    DYNAMIC_SECTION("store made by " << (root_made_the_store ? "root, shared" : "that account")) {
      LeftoversOfAnotherAccount(root_made_the_store);
    }
  }
}

// breakP P3: with the store file owned by root (made by root, shared with the cron account)
// the O21 fix, keyed on the store's owner, saw nothing again: the run records the account
// it runs as, and that account's processes are its leftovers.
static void LeftoversOfAnotherAccount(bool root_made_the_store) {
  // breakO O21: a run of a non-root account (cron's) has no step cgroup, so its leftovers
  // are known by their tracking id alone; root looking at its store ignored them (N20's
  // check compared with root's own account) and ran the step again beside them. The store's
  // owner is an account its runs run as.
  std::string dir = TempDir();
  Shell("chmod 1777 " + dir);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: t\nlock: L21\nsteps:\n"
            "  - {id: a, uses: exec, with: {shell: true, run: 'echo started >> " +
                dir + "/marks; exec " + Marker(5) + "'}}\n");
  std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=" + dir;
  if (root_made_the_store) {
    WriteFile(dir, "h.yaml",
              "version: 1\nname: h\nsteps:\n  - {id: a, uses: exec, with: {run: [true]}}\n");
    REQUIRE(Shell("cd " + dir + " && " + Binary() + " run h.yaml --audit-db a.db && chmod 666 a.db")
                .exit_code == 0);
  }
  Command started = Shell("cd " + dir + " && setsid " + as_nobody + " " + Binary() +
                          " run rb.yaml --audit-db a.db > out 2>&1 & echo $! > " + dir +
                          "/pid; for i in $(seq 200); do grep -q started " + dir +
                          "/marks 2>/dev/null && exit 0; sleep 0.05; done; exit 1");
  REQUIRE(started.exit_code == 0);
  Shell("kill -9 $(cat " + dir + "/pid); sleep 0.3");
  REQUIRE(Alive(Marker(5)));
  std::string rb = "cd " + dir + " && " + Binary();
  Command held = Shell(rb + " run rb.yaml --audit-db a.db </dev/null");
  INFO(held.err);
  CHECK(held.exit_code == 3);
  CHECK_THAT(held.err, Catch::Contains("(" + Marker(5) + ")"));
  std::string id = LatestRunId(dir + "/a.db");
  Command resumed = Shell(rb + " resume " + id + " --adopt --rerun a --audit-db a.db </dev/null");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 3);
  CHECK_THAT(resumed.err, Catch::Contains("left 1 process(es) running") &&
                              Catch::Contains("(" + Marker(5) + ")"));
  CHECK(Shell("grep -c started " + dir + "/marks").out == "1\n");
  Shell("pkill -f '" + Marker(5) + "'");
}

// breakP P10: root's resume of a run the cron account started took that account's params
// (`--set dir=/etc`), carried outputs and approvals as its own and ran root's runbook with
// them, as root; `show` did not list the params. It is refused, naming them, until --adopt,
// which is recorded.
TEST_CASE("a resume of a run another account started needs --adopt, and show lists params",
          "[cli][resume][accounts]") {
  std::string dir = TempDir();
  Shell("chmod 755 " + dir);
  WriteFile(dir, "clean.yaml",
            "version: 1\nname: clean\nparams:\n  dir: {type: string, default: /var/tmp/cache}\n"
            "steps:\n  - {id: check, uses: exec, with: {run: [test, -e, " +
                dir +
                "/go]}}\n"
                "  - {id: wipe, needs: [check], uses: exec, with: {shell: true, run: 'echo "
                "${{ params.dir }} as $(id -u) > " +
                dir + "/wiped'}}\n");
  Shell("chmod 644 " + dir + "/clean.yaml; mkdir " + dir + "/st; chown 65534 " + dir + "/st");
  std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=" + dir;
  REQUIRE(Shell("cd /tmp && " + as_nobody + " " + Binary() + " run " + dir +
                "/clean.yaml --set dir=/etc --audit-db " + dir + "/st/audit.db")
              .exit_code == 1);
  std::string db = " --audit-db " + dir + "/st/audit.db";
  // The account's own resume needs no --adopt: its run, its choices (check fails again).
  Command own = Shell("cd /tmp && " + as_nobody + " " + Binary() + " resume " +
                      LatestRunId(dir + "/st/audit.db") + db + " </dev/null");
  CHECK(own.exit_code == 1);
  CHECK_THAT(own.err, !Catch::Contains("--adopt"));
  std::string id = LatestRunId(dir + "/st/audit.db");
  Shell("touch " + dir + "/go");
  Command show = Shell(Binary() + " show " + id + db);
  CHECK_THAT(show.out, Catch::Contains("params {\"dir\":\"/etc\"}"));
  Command refused = Shell(Binary() + " resume " + id + db + " </dev/null");
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("was started by nobody (uid 65534), not by you") &&
                              Catch::Contains("{\"dir\":\"/etc\"}") &&
                              Catch::Contains("then resume with --adopt"));
  CHECK_THAT(refused.err,
             Catch::Contains("to continue: runbook resume " + id) && Catch::Contains("--adopt"));
  CHECK(!std::filesystem::exists(dir + "/wiped"));
  Command adopted = Shell(Binary() + " resume " + id + db + " --adopt </dev/null");
  INFO(adopted.err);
  CHECK(adopted.exit_code == 0);
  CHECK(ReadFile(dir + "/wiped") == "/etc as 0\n");
  std::string second = LatestRunId(dir + "/st/audit.db");
  CHECK_THAT(Shell(Binary() + " show " + second + db).out,
             Catch::Contains("adopted (resume --adopt) from a run started by nobody (uid 65534)"));
  // And the three reports.
  CHECK_THAT(Shell(Binary() + " report " + second + db + " --format md").out,
             Catch::Contains("| adopted | from a run started by nobody (uid 65534)"));
  CHECK_THAT(Shell(Binary() + " report " + second + db + " --format html").out,
             Catch::Contains("from a run started by nobody (uid 65534)"));
  CHECK_THAT(Shell(Binary() + " report " + second + db + " --format json").out,
             Catch::Contains("\"adopted_from\": \"nobody (uid 65534)\""));
}
