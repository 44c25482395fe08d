// breakGG G7: `history` (text and JSON) read the runs index, a table outside the hash chain:
// `update runs set rto_ms=500, objectives_met=1` made a run that missed its RTO read "met",
// with `audit verify` content. history lists each run as its chained events record it and
// marks (exit 1) whatever the index says otherwise: an edited field, a deleted row, a row
// added by hand, an event edited in place. Newcomer N7: it also says which run resumed one.
#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "support/support.h"

using namespace runbook::test;

namespace {

// In `dir`: one run of runbook `w` that misses its 100ms RTO objective (it takes about 300ms:
// status success, exit 4).
// Returns its id.
std::string MissedRun(const std::string& dir) {
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nobjectives: {rto: 100ms}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [sleep, '0.3']}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db").exit_code == 4);
  return LatestRunId(dir + "/a.db");
}

Command History(const std::string& dir, const std::string& more = "") {
  return Shell("cd " + dir + " && " + Binary() + " history --audit-db a.db " + more);
}

void EditStore(const std::string& dir, const std::string& sql) {
  REQUIRE(Shell(kSqliteWaiting + dir + "/a.db \"" + sql + "\"").exit_code == 0);
}

// In `dir`: a run of runbook `w` that failed, then its resume that passed. Returns their ids
// {first, resumed}.
std::pair<std::string, std::string> FailedThenResumed(const std::string& dir) {
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - {id: a, uses: exec, with: {run: [test, -e, " + dir +
                "/go]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rb.yaml --audit-db a.db").exit_code == 1);
  std::string first = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/go");
  REQUIRE(
      Shell("cd " + dir + " && " + Binary() + " resume " + first + " --audit-db a.db").exit_code ==
      0);
  return {first, LatestRunId(dir + "/a.db")};
}

}  // namespace

TEST_CASE("history shows a run as its chained events record it, whatever the runs index says",
          "[cli][history][audit]") {
  std::string dir = TempDir();
  std::string id = MissedRun(dir);
  Command clean = History(dir);
  INFO(clean.out << clean.err);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.out, Catch::Contains("MISSED") && !Catch::Contains("ALTERED"));
  Command clean_json = History(dir, "--format json");
  CHECK(clean_json.exit_code == 0);
  CHECK_THAT(clean_json.out, Catch::Contains("\"altered\": []"));

  EditStore(dir, "update runs set rto_ms=50, objectives_met=1 where run_id='" + id + "'");
  Command text = History(dir);
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  // The RTO column shows the events' value, never the index's 50ms (" 50ms /": a run that
  // took 350ms under load shows "350ms", which holds "50ms").
  CHECK_THAT(text.out, Catch::Contains("MISSED") && !Catch::Contains(" 50ms /"));
  CHECK_THAT(text.out, Catch::Contains("ALTERED: the runs index says rto_ms 50 (its events: ") &&
                           Catch::Contains("the runs index says objectives_met true (its "
                                           "events: false)"));
  CHECK_THAT(text.err, Catch::Contains("runbook audit verify --audit-db"));
  Command json = History(dir, "--format json");
  CHECK(json.exit_code == 1);
  CHECK_THAT(json.out, Catch::Contains("\"objectives_met\": false") &&
                           Catch::Contains("the runs index says rto_ms 50"));
  // The chain was not touched; verify says so, and that the index disagrees with it.
  Command verify = Shell("cd " + dir + " && " + Binary() + " audit verify --audit-db a.db");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("chain intact") &&
                             Catch::Contains("the runs index disagrees with the events") &&
                             Catch::Contains("run " + id + ": the runs index says rto_ms 50"));
}

TEST_CASE("history marks every kind of edit of the runs index and of its events",
          "[cli][history][audit]") {
  std::string dir = TempDir();
  std::string id = MissedRun(dir);
  std::string want;
  SECTION("its status changed") {
    EditStore(dir, "update runs set status='failure' where run_id='" + id + "'");
    want = "the runs index says status 'failure' (its events: 'success')";
  }
  SECTION("its row deleted: the run is still listed") {
    EditStore(dir, "delete from runs where run_id='" + id + "'");
    want = "missing from the runs index";
  }
  SECTION("a run added to the index by hand") {
    EditStore(dir,
              "insert into runs select 'FAKE-RUN', runbook, path, kind, 'success', started_at, "
              "finished_at, duration_ms, 1, rto_objective_ms, rpo_ms, rpo_objective_ms, 1, '', "
              "host, pid, pid_start from runs");
    want = "the runs index lists run FAKE-RUN, which no chained event records";
  }
  SECTION("its run_finished event edited in place") {
    EditStore(dir,
              "update events set body=replace(body,'success','failure') where "
              "kind='run_finished'");
    want = "its run_finished event #";
  }
  SECTION("its runbook renamed in the index: still listed under its own name") {
    EditStore(dir, "update runs set runbook='other'");
    want = "the runs index says runbook 'other' (its events: 'w')";
  }
  Command text = History(dir, "--runbook w");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("ALTERED") && Catch::Contains(want));
  if (want.find("FAKE") == std::string::npos) CHECK_THAT(text.out, Catch::Contains(id));
  CHECK(History(dir, "--runbook w --format json").exit_code == 1);
}

TEST_CASE("history and show name the run that resumed a failed run, from its events",
          "[cli][history]") {
  std::string dir = TempDir();
  auto [first, resumed] = FailedThenResumed(dir);
  Command text = History(dir);
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Matches("(.|\n)*" + first + " .*failure .*resumed as " + resumed +
                                      "\n(.|\n)*"));
  CHECK_THAT(History(dir, "--format json").out,
             Catch::Contains("\"resumed_as\": \"" + resumed + "\""));
  // The index's link cleared: history and show still find the resume through its run_started.
  EditStore(dir, "update runs set resumed_from='' where run_id='" + resumed + "'");
  Command after = History(dir);
  CHECK(after.exit_code == 1);
  CHECK_THAT(after.out, Catch::Contains("resumed as " + resumed) &&
                            Catch::Contains("the runs index says resumed_from ''"));
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + first + " --audit-db a.db");
  CHECK_THAT(show.out, Catch::Contains("resumed as " + resumed + " (success)"));
}

// breakGG G6: deleting the end of an unsigned chain breaks no link: a failed run whose last
// events were deleted read "running" in its report, and `audit verify` said ok. The runs
// index still says how the run ended: report, show and verify compare and say so.
TEST_CASE("events deleted from the end of the chain are found through the runs index",
          "[cli][report][audit]") {
  std::string dir = TempDir();
  WriteFile(dir, "f.yaml",
            "version: 1\nname: f\nsteps:\n  - {id: a, uses: exec, with: {run: ['false']}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run f.yaml --audit-db a.db").exit_code == 1);
  std::string id = LatestRunId(dir + "/a.db");
  SECTION("its run_finished") { EditStore(dir, "delete from events where kind='run_finished'"); }
  SECTION("everything after its first attempt started") {
    EditStore(dir,
              "delete from events where seq > (select min(seq) from events where "
              "kind='attempt_started')");
  }
  Command report = Shell("cd " + dir + " && " + Binary() + " report " + id + " --audit-db a.db");
  INFO(report.out << report.err);
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.out, Catch::Contains("CHAIN BROKEN: the store's runs index disagrees with the "
                                         "events of run " +
                                         id +
                                         " (the runs index says status 'failure' (its events: "
                                         "'running')"));
  Command show = Shell("cd " + dir + " && " + Binary() + " show " + id + " --audit-db a.db");
  CHECK(show.exit_code == 1);
  CHECK_THAT(show.out, Catch::Contains("AUDIT CHAIN BROKEN"));
  Command verify = Shell("cd " + dir + " && " + Binary() + " audit verify --audit-db a.db");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("events may have been deleted from the end of the chain"));
}

// breakHH HH2: the report of a resume listed the earlier runs of its incident with the status
// and duration the runs index gave: an edited row read "cancelled, 1m39s", exit 0. Each run
// of the chain is folded from its events, and an index that says otherwise is named.
TEST_CASE("a report's runs of the incident come from their events, edits of them named",
          "[cli][report][audit]") {
  std::string dir = TempDir();
  auto [first, resumed] = FailedThenResumed(dir);
  EditStore(dir,
            "update runs set status='cancelled', duration_ms=99999 where run_id='" + first + "'");
  for (const std::string& id : {resumed, first}) {
    CAPTURE(id);
    Command md = Shell("cd " + dir + " && " + Binary() + " report " + id + " --audit-db a.db");
    INFO(md.out << md.err);
    CHECK(md.exit_code == 1);
    CHECK_THAT(md.out, Catch::Contains(first + "` original, failure") &&
                           !Catch::Contains("1m39s") &&
                           Catch::Contains("runs index disagrees with the events of run " + first +
                                           " (the runs index says status 'cancelled'"));
  }
}
