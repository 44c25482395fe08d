// A run is resumed once (breakI I17): each resume of one failed run ran its remaining steps
// again, two at once too (a restore ran three times, twice concurrently). Once a resume took
// a run over, resuming it again is refused naming that resume; two resumes at once cannot
// both start (a unique index on the store's runs.resumed_from). A store that already holds a
// run resumed twice (written before that fix) got no index, silently (breakJ J15): now the
// index leaves out the duplicates already recorded and covers every other run.
#include <catch2/catch.hpp>
#include <vector>

#include "support/support.h"

using namespace runbook::test;

namespace {

// A runbook whose step `restore` fails until `dir`/ok exists, and appends to `dir`/log.
std::string FailingRestore(const std::string& dir) {
  return WriteFile(dir, "rr.yaml",
                   "version: 1\nname: rr\nsteps:\n"
                   "  - {id: prep, uses: exec, with: {run: [sh, -c, 'echo prep >> " +
                       dir + "/log']}}\n" + "  - {id: restore, needs: [prep], uses: exec, with: " +
                       "{run: [sh, -c, 'test -f " + dir + "/ok || exit 1; echo restore >> " + dir +
                       "/log; sleep 1']}}\n");
}

std::string LogCount(const std::string& dir, const std::string& what) {
  return Shell("grep -c " + what + " " + dir + "/log").out;
}

std::string StoreAnswer(const std::string& dir, const std::string& sql) {
  return Shell(kSqliteWaiting + dir + "/a.db \"" + sql + "\"").out;
}

// A store as I17 left them: no index, and run `old` resumed by `dupN` for each of `dups`.
void OldStore(const std::string& dir, const std::vector<std::string>& dups) {
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rr.yaml --audit-db a.db").exit_code == 1);
  StoreAnswer(dir, "drop index runs_resumed_once");
  for (const std::string& d : dups)
    StoreAnswer(
        dir, "insert into runs select '" + d +
                 "', runbook, path, kind, 'failure', started_at || '" + d +
                 "', finished_at, duration_ms, rto_ms, rto_objective_ms, rpo_ms, " +
                 "rpo_objective_ms, objectives_met, 'old', host, pid, pid_start from runs limit 1");
  REQUIRE(StoreAnswer(dir, "select count(*) from runs where resumed_from = 'old'") ==
          std::to_string(dups.size()) + "\n");
}

}  // namespace

TEST_CASE("a run is resumed once: again is refused naming the resume, two at once run once",
          "[cli][resume-once]") {
  std::string dir = TempDir();
  std::string file = FailingRestore(dir);
  std::string rb = Binary();
  REQUIRE(Shell("cd " + dir + " && " + rb + " run " + file + " --audit-db a.db").exit_code == 1);
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  id.pop_back();
  REQUIRE(Shell("touch " + dir + "/ok").exit_code == 0);
  // Two resumes at once: exactly one runs the restore.
  std::string resume = rb + " resume " + id + " --audit-db a.db";
  Command both = Shell("cd " + dir + " || exit 2; (" + resume + " > r1.out 2>&1; echo rc1=$?) & (" +
                       resume + " > r2.out 2>&1; echo rc2=$?) & wait");
  std::string outs = Shell("cat " + dir + "/r1.out " + dir + "/r2.out").out;
  INFO(both.out << outs);
  CHECK(LogCount(dir, "restore") == "1\n");
  // The later one is refused when it checks (2), or when it records its start (3).
  CHECK_THAT(both.out, Catch::Contains("=0") && (Catch::Contains("=3") || Catch::Contains("=2")));
  // Refused at its check, the later one names the resume that is running; refused when it
  // records its start, it says another runbook is resuming (the race of the two).
  CHECK_THAT(outs, Catch::Contains("run " + id + " is already being resumed by another runbook") ||
                       Catch::Contains("run " + id + " was already resumed as "));
  // Later: refused, naming the resume that took it over and its outcome.
  Command again = Shell("cd " + dir + " && " + resume);
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("run " + id + " was already resumed as ") &&
                            Catch::Contains("(success); nothing is left to resume"));
  CHECK(LogCount(dir, "restore") == "1\n");
  CHECK(Shell(kSqliteWaiting + dir + "/a.db \"select count(*) from runs where resumed_from = '" +
              id + "'\"")
            .out == "1\n");
}

TEST_CASE("a resume that failed is the one to resume next", "[cli][resume-once]") {
  std::string dir = TempDir();
  std::string file = FailingRestore(dir);
  std::string rb = Binary();
  REQUIRE(Shell("cd " + dir + " && " + rb + " run " + file + " --audit-db a.db").exit_code == 1);
  std::string first = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  first.pop_back();
  REQUIRE(Shell("cd " + dir + " && " + rb + " resume " + first + " --audit-db a.db").exit_code ==
          1);  // still failing: ok does not exist
  std::string second = Shell(kSqliteWaiting + dir + "/a.db \"select run_id from runs where " +
                             "resumed_from = '" + first + "'\"")
                           .out;
  second.pop_back();
  Command refused = Shell("cd " + dir + " && " + rb + " resume " + first + " --audit-db a.db");
  CHECK(refused.exit_code == 2);
  // The command itself, store included, run as printed from elsewhere (breakM M12).
  std::string marker = "(failure); to continue: ";
  CHECK_THAT(refused.err,
             Catch::Contains(marker + "runbook resume " + second + " --audit-db " + dir + "/a.db"));
  size_t at = refused.err.find(marker);
  REQUIRE(at != std::string::npos);
  std::string line = refused.err.substr(at + marker.size());
  line = line.substr(0, line.find(" (its `show`"));
  REQUIRE(Shell("touch " + dir + "/ok").exit_code == 0);
  Command next = Shell("cd / && " + rb + line.substr(std::string("runbook").size()));
  CHECK(next.exit_code == 0);
  CHECK(LogCount(dir, "restore") == "1\n");
  CHECK(LogCount(dir, "prep") == "1\n");  // carried over from the first run through the second
}

TEST_CASE("resume once: a store holding a run resumed twice gets the index, two resumes run once",
          "[cli][resume-once]") {
  std::string dir = TempDir();
  FailingRestore(dir);
  OldStore(dir, {"dup1", "dup2", "dup3"});
  std::string rb = Binary();
  Shell("cd " + dir + " && rm log");
  REQUIRE(Shell("cd " + dir + " && " + rb + " run rr.yaml --audit-db a.db").exit_code == 1);
  CHECK(StoreAnswer(dir, "select count(*) from sqlite_master where name = 'runs_resumed_once'") ==
        "1\n");
  CHECK(StoreAnswer(dir, "select count(*) from runs where resumed_from = 'old'") == "3\n");  // kept
  std::string id = StoreAnswer(dir,
                               "select run_id from runs where run_id like '2%' order by started_at "
                               "desc limit 1");
  id.pop_back();
  REQUIRE(Shell("touch " + dir + "/ok").exit_code == 0);
  std::string resume = rb + " resume " + id + " --audit-db a.db";
  Command both = Shell("cd " + dir + " || exit 2; (" + resume + " > r1.out 2>&1; echo rc1=$?) & (" +
                       resume + " > r2.out 2>&1; echo rc2=$?) & wait");
  INFO(both.out << Shell("cat " + dir + "/r1.out " + dir + "/r2.out").out);
  CHECK(Shell("grep -c restore " + dir + "/log").out == "1\n");
  CHECK(StoreAnswer(dir, "select count(*) from runs where resumed_from = '" + id + "'") == "1\n");
}

TEST_CASE("resume once: the index on an old store leaves out only the later duplicates",
          "[cli][resume-once]") {
  std::string dir = TempDir();
  FailingRestore(dir);
  OldStore(dir, {"dupA", "dupB"});
  // A reader leaves the store as it is (history marks the rows added by hand: exit 1).
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " history --audit-db a.db").exit_code == 1);
  CHECK(StoreAnswer(dir, "select count(*) from sqlite_master where name = 'runs_resumed_once'") ==
        "0\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run rr.yaml --audit-db a.db").exit_code == 1);
  std::string sql =
      StoreAnswer(dir, "select sql from sqlite_master where name = 'runs_resumed_once'");
  CHECK_THAT(sql, Catch::Contains("NOT IN ('dupB')"));  // dupA resumed it first
  // A second resume of any run, the old one included, is refused by the store itself.
  std::string copy =
      "insert into runs select 'x' || run_id, runbook, path, kind, status, "
      "started_at, finished_at, duration_ms, rto_ms, rto_objective_ms, rpo_ms, "
      "rpo_objective_ms, objectives_met, resumed_from, host, pid, pid_start from "
      "runs where run_id = ";
  CHECK_THAT(Shell(kSqliteWaiting + dir + "/a.db \"" + copy + "'dupA'\"").err,
             Catch::Contains("UNIQUE constraint failed: runs.resumed_from"));
  StoreAnswer(dir, "update runs set resumed_from = 'r1' where run_id = 'dupA'");
  CHECK_THAT(Shell(kSqliteWaiting + dir + "/a.db \"" + copy + "'dupA'\"").err,
             Catch::Contains("UNIQUE constraint failed"));
}
