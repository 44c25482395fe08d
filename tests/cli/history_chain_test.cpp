// breakHH HH4, HH5: `history` checked each listed run's events one by one. An event edited and
// its own hash computed again (no need to recompute the chain) was believed: a missed RTO read
// "met", exit 0. A run_started whose kind was edited hid its run from the listing; a
// run_finished whose kind was edited, with the index row set back to "running", made a reader
// append a run_interrupted to a chain already broken. Listings now walk the chain from the
// oldest listed run's first event (the whole chain when they list every run), and a reader
// marks a run interrupted only when its own intact events say it runs.
#include <catch2/catch.hpp>
#include <string>

#include "engine/util/strings.h"
#include "support/support.h"

using namespace runbook::test;

namespace {

Command In(const std::string& dir, const std::string& args) {
  return Shell("cd " + dir + " && " + Binary() + " " + args + " --audit-db a.db");
}

std::string Sql(const std::string& dir, const std::string& sql) {
  Command c = Shell(kSqliteWaiting + dir + "/a.db \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
  return runbook::Trim(c.out);
}

// Edits event `seq`'s `column` (body, kind, run_id) and hashes that event again, alone.
void Forge(const std::string& dir, const std::string& seq, const std::string& column,
           const std::string& from, const std::string& to) {
  Command c = Shell("python3 " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/cli/rehash_one.py " +
                    dir + "/a.db " + seq + " " + column + " '" + from + "' '" + to + "'");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
}

// In `dir`: a run of `w` that misses its 100ms RTO (exit 4), then a run of `other` after it,
// so the missed run's events are not the chain's last. Returns the missed run's id.
std::string MissedThenAnother(const std::string& dir) {
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nobjectives: {rto: 100ms}\nsteps:\n"
            "  - {id: a, uses: exec, with: {run: [sleep, '0.3']}}\n");
  WriteFile(dir, "other.yaml",
            "version: 1\nname: other\nsteps:\n  - {id: b, uses: exec, with: {run: [true]}}\n");
  REQUIRE(In(dir, "run rb.yaml").exit_code == 4);
  std::string id = LatestRunId(dir + "/a.db");
  REQUIRE(In(dir, "run other.yaml").exit_code == 0);
  return id;
}

// The runs index row of `id` set back to "running", as if it never ended.
void SetRunning(const std::string& dir, const std::string& id) {
  Sql(dir,
      "update runs set status='running', finished_at=NULL, duration_ms=NULL, rto_ms=NULL, "
      "objectives_met=NULL where run_id='" +
          id + "'");
}

std::string SeqOf(const std::string& dir, const std::string& id, const std::string& kind) {
  return Sql(dir, "select seq from events where run_id='" + id + "' and kind='" + kind + "'");
}

}  // namespace

TEST_CASE("history walks the chain: one event edited and hashed again is found",
          "[cli][history][audit]") {
  std::string dir = TempDir();
  std::string id = MissedThenAnother(dir);
  REQUIRE(In(dir, "history").exit_code == 0);
  std::string finished = SeqOf(dir, id, "run_finished");
  std::string want = "ALTERED: the audit chain is broken: event ";
  SECTION("HH5: a missed RTO made met, the index edited to agree") {
    Forge(dir, finished, "body", "\"met\":false,\"note\"", "\"met\":true,\"note\"");
    Forge(dir, finished, "body", "\"objectives_met\":false", "\"objectives_met\":true");
    Sql(dir, "update runs set objectives_met=1 where run_id='" + id + "'");
  }
  SECTION("HH4: its run_started renamed, its index row deleted: the run was hidden") {
    Forge(dir, SeqOf(dir, id, "run_started"), "kind", "run_started", "run_startd");
    Sql(dir, "delete from runs where run_id='" + id + "'");
  }
  SECTION("its run_finished moved to a run id nothing started") {
    Forge(dir, finished, "run_id", id, "NO-SUCH-RUN");
    SetRunning(dir, id);
  }
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains(want));
  CHECK_THAT(text.err, Catch::Contains("runbook audit verify --audit-db"));
  Command json = In(dir, "history --format json");
  INFO(json.out << json.err);
  CHECK(json.exit_code == 1);
  CHECK_THAT(json.err, Catch::Contains(want));  // beside the JSON, which stays a list
  CHECK_THAT(json.out, !Catch::Contains("ALTERED"));
  Command limited = In(dir, "history --runbook w --limit 1");  // the edited run is within it
  CHECK(limited.exit_code == 1);
  CHECK_THAT(limited.out, Catch::Contains(want));
  // What the listing finds is where audit verify says the chain breaks.
  Command verify = In(dir, "audit verify");
  CHECK(verify.exit_code == 1);
  std::string at = verify.out.substr(verify.out.find("chain broken at event ") + 22);
  CHECK_THAT(text.out, Catch::Contains(want + at.substr(0, at.find(':'))));
}

TEST_CASE("a listing of the newest runs walks the chain from the oldest of them",
          "[cli][history][audit]") {
  std::string dir = TempDir();
  std::string missed = MissedThenAnother(dir);
  REQUIRE(In(dir, "run other.yaml").exit_code == 0);
  std::string newest = LatestRunId(dir + "/a.db");
  // An edit in the newest run: any listing finds it.
  Forge(dir, SeqOf(dir, newest, "run_started"), "body", "\"id\":\"b\"", "\"id\":\"c\"");
  Command one = In(dir, "history --limit 1");
  INFO(one.out << one.err);
  CHECK(one.exit_code == 1);
  CHECK_THAT(one.out, Catch::Contains("ALTERED: the audit chain is broken: event ") &&
                          Catch::Contains(newest) && !Catch::Contains(missed));
  // The run listed alone by its runbook is older than the edit: the walk from it reaches it.
  Command w = In(dir, "history --runbook w --limit 1");
  CHECK(w.exit_code == 1);
  CHECK_THAT(w.out, Catch::Contains(missed) && Catch::Contains("ALTERED: the audit chain"));
}

TEST_CASE("a reader marks a run interrupted only when its own intact events say it runs",
          "[cli][history][audit]") {
  std::string dir = TempDir();
  std::string id = MissedThenAnother(dir);
  std::string events = Sql(dir, "select count(*) from events");
  std::string why;
  SECTION("HH4: its run_finished renamed in place, the index set back to running") {
    Sql(dir,
        "update events set kind='run_finishd' where kind='run_finished' and run_id='" + id + "'");
    why = "was edited after it was recorded";
  }
  SECTION("its run_finished renamed and hashed again") {
    Forge(dir, SeqOf(dir, id, "run_finished"), "kind", "run_finished", "run_finishd");
    why = "the chain is broken after its start: event ";
  }
  SECTION("the index alone set back to running: its run_finished still records its end") {
    why = "records its end";
  }
  SECTION("its run_finished moved to a run id nothing started, hashed again") {
    Forge(dir, SeqOf(dir, id, "run_finished"), "run_id", id, "NO-SUCH-RUN");
    why = "the chain is broken after its start: event ";
  }
  SetRunning(dir, id);
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.err, Catch::Contains("run " + id + " is listed as running in the runs index") &&
                           Catch::Contains(why) && Catch::Contains("not marked as interrupted") &&
                           !Catch::Contains("marked 1 run(s) as interrupted"));
  CHECK(Sql(dir, "select count(*) from events") == events);  // nothing appended
  CHECK(Sql(dir, "select count(*) from events where kind='run_interrupted'") == "0");
}

TEST_CASE("a reader still marks a run whose intact events say it runs and whose process is gone",
          "[cli][history][audit]") {
  // The rule's other side: a run killed before its end is marked, as before.
  std::string dir = TempDir();
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: w\nsteps:\n  - {id: a, uses: exec, with: {run: [sh, -c, 'echo "
            "started >> marks; exec " +
                SleepMarker(1) + "']}}\n");
  std::string id = RunUntilStartedThenKill(dir, "rb.yaml");
  REQUIRE(!id.empty());
  Shell("pkill -f '" + SleepMarker(1) + "' || true");
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.err, Catch::Contains("marked 1 run(s) as interrupted"));
  CHECK_THAT(text.out, Catch::Contains(id) && Catch::Contains("interrupted"));
  CHECK(Sql(dir, "select count(*) from events where kind='run_interrupted'") == "1");
}

TEST_CASE("show and report of a run only the runs index lists say no event records it",
          "[cli][history][audit]") {
  // breakHH HH11: an empty run was shown and reported, exit 0.
  std::string dir = TempDir();
  MissedThenAnother(dir);
  Sql(dir,
      "insert into runs select 'FAKE-RUN', runbook, path, kind, 'success', started_at, "
      "finished_at, duration_ms, rto_ms, rto_objective_ms, rpo_ms, rpo_objective_ms, 1, '', "
      "host, pid, pid_start from runs limit 1");
  for (const char* command :
       {"show FAKE-RUN", "report FAKE-RUN", "report FAKE-RUN --format json"}) {
    Command c = In(dir, command);
    INFO(command << "\n" << c.out << c.err);
    CHECK(c.exit_code == 1);
    CHECK_THAT(c.err, Catch::Contains("the runs index lists run FAKE-RUN, but no chained event "
                                      "records it") &&
                          Catch::Contains("runbook audit verify"));
    CHECK(c.out.empty());
  }
  Command json = In(dir, "history --format json");
  CHECK(json.exit_code == 1);
  CHECK_THAT(json.err, Catch::Contains("ALTERED: the runs index lists run FAKE-RUN"));
}

TEST_CASE("a cut under a signed head is found by listings, and no reader writes into it",
          "[cli][history][audit]") {
  // breakII II1: the failed run's events deleted from a signed chain's end (or its last event
  // only, the index set back to running): history listed the rest, exit 0, and a reader
  // appended a run_interrupted into the cut.
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem").exit_code ==
          0);
  WriteFile(dir, "bk.yaml",
            "version: 1\nname: bk\nsteps:\n  - {id: a, uses: exec, with: {run: [test, -f, ok]}}\n");
  Shell("touch " + dir + "/ok");
  REQUIRE(In(dir, "run bk.yaml --sign-key key.pem").exit_code == 0);
  Shell("rm " + dir + "/ok");
  REQUIRE(In(dir, "run bk.yaml --sign-key key.pem").exit_code == 1);
  std::string failed = LatestRunId(dir + "/a.db");
  std::string want;
  SECTION("the failed run deleted, events and row") {
    Sql(dir, "delete from events where run_id='" + failed + "'; delete from runs where run_id='" +
                 failed + "'");
    want = "(the tail was truncated)";
  }
  SECTION("its run_finished deleted, its row set back to running") {
    Sql(dir, "delete from events where run_id='" + failed + "' and kind='run_finished'");
    SetRunning(dir, failed);
    want = "(the tail was truncated)";
  }
  SECTION("its run_finished edited and hashed again: the last event, no link after it") {
    Forge(dir, SeqOf(dir, failed, "run_finished"), "body", "\"status\":\"failure\"",
          "\"status\":\"success\"");
    Sql(dir, "update runs set status='success' where run_id='" + failed + "'");
    want = "differs from the head signed at event";
  }
  std::string events = Sql(dir, "select count(*) from events");
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out,
             Catch::Contains("ALTERED: the audit chain is broken: ") && Catch::Contains(want));
  Command verify = In(dir, "audit verify");
  CHECK(verify.exit_code == 1);
  CHECK(Sql(dir, "select count(*) from events") == events);  // nothing written into the cut
  CHECK_THAT(text.err + verify.err, !Catch::Contains("marked 1 run(s) as interrupted"));
  // breakII II2-7: a run does not fill the cut (the head would then blame it).
  Shell("touch " + dir + "/ok");
  Command next = In(dir, "run bk.yaml");
  if (want == "(the tail was truncated)") {
    INFO(next.err);
    CHECK(next.exit_code == 3);
    CHECK_THAT(next.err, Catch::Contains("(the tail was truncated); nothing is written into it") &&
                             Catch::Contains("nothing was run"));
    CHECK(Sql(dir, "select count(*) from events") == events);
    CHECK_THAT(In(dir, "audit verify").out, Catch::Contains("(the tail was truncated)"));
  }
}

TEST_CASE("listings check every signed head, not only the latest", "[cli][history][audit]") {
  // breakII II2-8: the failed backup rewritten to success, the chain computed again, and the
  // latest head's hash updated: history listed both as success, exit 0.
  std::string dir = TempDir();
  REQUIRE(Shell("cd " + dir + " && openssl genpkey -algorithm ed25519 -out key.pem").exit_code ==
          0);
  WriteFile(dir, "bk.yaml",
            "version: 1\nname: bk\nsteps:\n  - {id: a, uses: exec, with: {run: [test, -f, ok]}}\n");
  REQUIRE(In(dir, "run bk.yaml --sign-key key.pem").exit_code == 1);
  Shell("touch " + dir + "/ok");
  REQUIRE(In(dir, "run bk.yaml --sign-key key.pem").exit_code == 0);
  REQUIRE(Shell("python3 " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/cli/rehash.py " + dir +
                "/a.db '\"status\":\"failure\"' '\"status\":\"success\"'")
              .exit_code == 0);
  Sql(dir,
      "update runs set status='success'; update heads set hash=(select hash from events "
      "where seq=heads.seq) where seq=(select max(seq) from heads)");
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("ALTERED: the audit chain is broken: event ") &&
                           Catch::Contains("differs from the head signed at event"));
}

TEST_CASE("an event moved before its run's start is altered, not a store that cannot be read",
          "[cli][history][audit]") {
  // breakII II2: one UPDATE moving the failed run's run_finished onto the next run (which
  // starts after it) made history exit 3 and the API answer 503, with no ALTERED.
  std::string dir = TempDir();
  std::string missed = MissedThenAnother(dir);
  std::string next = LatestRunId(dir + "/a.db");
  std::string seq = SeqOf(dir, missed, "run_finished");
  SECTION("in place") { Sql(dir, "update events set run_id='" + next + "' where seq=" + seq); }
  SECTION("hashed again") { Forge(dir, seq, "run_id", missed, next); }
  Command text = In(dir, "history");
  INFO(text.out << text.err);
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("its run_finished event #" + seq +
                                       " lies before its "
                                       "run_started"));
  Command json = In(dir, "history --format json");
  CHECK(json.exit_code == 1);
  Command report = In(dir, "report " + next);
  INFO(report.out << report.err);
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.err, !Catch::Contains("no run_started event records"));
}
