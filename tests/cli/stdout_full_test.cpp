// breakFF F2: a command whose output could not be written exited 0: `audit export >
// events.jsonl` on a full disk left an empty file and a green status, as did report, history
// and show. Such a command fails with exit 3 and a word on stderr; `report --output` leaves no
// empty file behind.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("a command whose standard output cannot be written fails with exit 3", "[cli][exit]") {
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db").exit_code == 0);
  std::string id = LatestRunId(dir + "/a.db");
  for (const std::string& command : std::vector<std::string>{
           "audit export", "history", "history --format json", "show " + id, "report " + id,
           "report " + id + " --format html", "audit verify", "steps", "schema"}) {
    INFO(command);
    Command c = Shell("cd " + dir + " && " + Binary() + " " + command + " --audit-db a.db " +
                      "> /dev/full");
    if (command == "steps" || command == "schema")  // no store: run without --audit-db
      c = Shell("cd " + dir + " && " + Binary() + " " + command + " > /dev/full");
    CHECK(c.exit_code == 3);
    CHECK_THAT(c.err, Catch::Contains("runbook: error: cannot write standard output"));
  }
  // breakGG G4: what `run` says goes to stderr; a log on a full disk is no success either.
  Command logged =
      Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db " + "2>/dev/full");
  CHECK(logged.exit_code == 3);
  // A reader that stops reading is no failure (as for coreutils: SIGPIPE, no message).
  Command head = Shell("cd " + dir + " && " + Binary() + " schema | head -c 1 >/dev/null");
  CHECK(head.err.find("cannot write") == std::string::npos);
}

TEST_CASE("report --output on a full disk fails and leaves no empty file", "[cli][exit]") {
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - {id: a, uses: log, with: {message: hi}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db").exit_code == 0);
  std::string id = LatestRunId(dir + "/a.db");
  Shell("mkdir -p " + dir + "/full");
  // A 4 KiB tmpfs, filled, in a mount namespace of its own.
  Command c = Shell("cd " + dir + " && unshare -m sh -c 'mount -t tmpfs -o size=4k tmpfs full && " +
                    "head -c 4096 /dev/zero > full/pad 2>/dev/null; " + Binary() + " report " + id +
                    " --audit-db a.db --output full/r.html; echo rc=$?; ls full'");
  INFO(c.out << c.err);
  CHECK_THAT(c.out, Catch::Contains("rc=3"));
  CHECK_THAT(c.err, Catch::Contains("cannot write full/r.html"));
  CHECK(c.out.find("r.html") == std::string::npos);  // `ls full`: only the pad
  // Newcomer N6: into a folder that does not exist, the message names the folder.
  Command missing = Shell("cd " + dir + " && " + Binary() + " report " + id +
                          " --audit-db a.db --output reports/r.html");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err,
             Catch::Contains("--output reports/r.html: folder reports does not exist"));
}

// breakFF F6: a report read from a store whose events were edited showed the edited ticket
// and the stored (not recomputed) hashes as its chain position, exit 0. It says ALTERED,
// names the event, and exits 1.
TEST_CASE("a report of a run whose events were changed says so and exits 1", "[cli][report]") {
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - id: gate\n    uses: approval\n    with: {prompt: "
            "'go?', inputs: {ticket: {type: string}}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() +
                " run rb.yaml --audit-db a.db --approve gate --input gate.ticket=INC-1 </dev/null")
              .exit_code == 0);
  std::string id = LatestRunId(dir + "/a.db");
  Command clean = Shell("cd " + dir + " && " + Binary() + " report " + id + " --audit-db a.db");
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.out, !Catch::Contains("ALTERED"));
  Shell(kSqliteWaiting + dir + "/a.db \"update events set body=replace(body,'INC-1','INC-FAKE') " +
        "where body like '%INC-1%'\"");
  for (const char* format : {"md", "html", "json"}) {
    INFO(format);
    Command r = Shell("cd " + dir + " && " + Binary() + " report " + id + " --audit-db a.db " +
                      "--format " + format);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("was changed after it was written"));
    CHECK_THAT(r.out, std::string(format) == "json" ? Catch::Contains("\"altered_seq\": ")
                                                    : Catch::Contains("ALTERED: event #"));
  }
}

namespace {

// In `dir`: a run whose gate was approved with ticket INC-1 and whose next step failed, then
// its resume that passed. Returns their ids {first, resumed}.
std::pair<std::string, std::string> ApprovedThenResumed(const std::string& dir) {
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - id: gate\n    uses: approval\n    with: {prompt: "
            "'go?', inputs: {ticket: {type: string}}}\n"
            "  - {id: swap, uses: exec, needs: [gate], with: {run: [test, -e, " +
                dir + "/go]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() +
                " run rb.yaml --audit-db a.db --approve gate --input gate.ticket=INC-1 </dev/null")
              .exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  REQUIRE(
      Shell("cd " + dir + " && " + Binary() + " resume " + first + " --audit-db a.db").exit_code ==
      0);
  return {first, LatestRunId(dir + "/a.db")};
}

}  // namespace

// breakGG G5, G6, G8: an edit elsewhere in the chain — an earlier run's approval, a deleted
// event — left report and show silent (exit 0). Both walk the whole chain as `audit verify`
// does, say CHAIN BROKEN, and exit 1.
TEST_CASE("report and show of a run say when the store's chain is broken anywhere",
          "[cli][report]") {
  std::string dir = TempDir();
  auto [first, resumed] = ApprovedThenResumed(dir);
  Shell("cp " + dir + "/a.db " + dir + "/b.db");
  SECTION("an earlier run's approval edited") {
    Shell(kSqliteWaiting + dir +
          "/a.db \"update events set body=replace(body,'INC-1','INC-FAKE') " + "where run_id='" +
          first + "' and kind='approval'\"");
  }
  SECTION("an event deleted") {
    Shell(kSqliteWaiting + dir + "/a.db \"delete from events where run_id='" + first +
          "' and kind='approval'\"");
  }
  Command report = Shell("cd " + dir + " && " + Binary() + " report " + resumed +
                         " --audit-db a.db --format md");
  INFO(report.out << report.err);
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.out, Catch::Contains("CHAIN BROKEN: "));
  CHECK_THAT(report.err, Catch::Contains("the audit chain is broken"));
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + resumed + " --audit-db a.db");
  CHECK(show.exit_code == 1);
  CHECK_THAT(show.out, Catch::Contains("AUDIT CHAIN BROKEN"));
  // The untouched copy: both as before.
  Command clean = Shell("cd " + dir + " && " + Binary() + " report " + resumed +
                        " --audit-db b.db --format md");
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.out, !Catch::Contains("CHAIN BROKEN"));
}

// breakGG G8: the chain of runs came from the runs index, outside the hash chain: clearing
// runs.resumed_from hid the earlier run and its approval from the report. It comes from each
// run's own run_started event.
TEST_CASE("a report finds the runs its run resumes through their events, not the runs index",
          "[cli][report]") {
  std::string dir = TempDir();
  auto [first, resumed] = ApprovedThenResumed(dir);
  Shell(kSqliteWaiting + dir + "/a.db \"update runs set resumed_from='' where run_id='" + resumed +
        "'\"");
  Command md = Shell("cd " + dir + " && " + Binary() + " report " + resumed +
                     " --audit-db a.db --format md");
  INFO(md.out << md.err);
  CHECK_THAT(md.out, Catch::Contains("Runs of this incident") && Catch::Contains(first) &&
                         Catch::Contains("ticket=INC-1"));
}
