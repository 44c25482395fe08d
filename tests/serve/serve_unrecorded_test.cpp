// What a run under serve did while its store was locked is recorded, whatever ends the run's
// wait for the store: serve's stop (its second cancel), a kill of serve (the run dies with
// it). engine/audit/unrecorded.h; breakYY YY3 (steps that ended recorded "never finished"),
// YY4 (a notification sent never listed), YY5 (a restore about to wait at its gate cancelled
// and forgotten). Against a real serve, a real store held by a real writer, real webhooks.
#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <thread>

#include "support/serve_process.h"
#include "support/serve_witnesses.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A step that says it is about to end (touches `gate`.ending), then ends once `gate`.go exists.
std::string EndsOnGo(const std::string& id, const std::string& gate, const std::string& more) {
  return "  - {id: " + id + ", uses: exec" + more + ", with: {run: [sh, -c, 'echo " + id + " >> " +
         gate + ".ran; touch " + gate + ".ending; while [ ! -e " + gate +
         ".go ]; do sleep 0.05; done']}}\n";
}

// Waits (20 s at most) until the step of EndsOnGo (its gate `dir`/gate) is about to end.
void WaitAboutToEnd(const std::string& dir) {
  const std::string gate = dir + "/gate";
  REQUIRE(Shell("for i in $(seq 200); do [ -e " + gate + ".ending ] && exit 0; sleep 0.1; done; " +
                "exit 1")
              .exit_code == 0);
}

// Locks serve's store (LockStore, `seconds`) the moment the step of EndsOnGo (its gate
// `dir`/gate) is about to end, then lets it end: its end meets the locked store. The locker's
// pid.
int LockAsItEnds(const std::string& dir, int seconds) {
  WaitAboutToEnd(dir);
  int locker = LockStore(dir, seconds);
  WriteFile(dir, "gate.go", "");
  return locker;
}

// A drill `name` whose RTO objective is 1s, of one step `s` running `run` (a YAML list), its
// webhook (127.0.0.1:`port`/hook) listening for `on`; its params `tag` and `code` ('0').
std::string OneSecondDrill(const std::string& name, int port, const std::string& on,
                           const std::string& run) {
  return "version: 1\nname: " + name +
         "\nkind: drill\nobjectives: {rto: 1s}\nparams:\n  tag: {default: none}\n  code: "
         "{default: '0'}\nnotify:\n  - on: [" +
         on + "]\n    webhook: {url: 'http://127.0.0.1:" + std::to_string(port) +
         "/hook'}\nsteps:\n  - {id: s, uses: exec, with: {run: " + run + "}}\n";
}

// A restore `name` up to its steps: param `tag`, a webhook (127.0.0.1:`port`/hook) listening
// for failure and approval_waiting.
std::string RestoreHead(const std::string& name, int port) {
  return "version: 1\nname: " + name +
         "\nkind: restore\nparams:\n  tag: {default: none}\nnotify:\n"
         "  - on: [failure, approval_waiting]\n    webhook: {url: 'http://127.0.0.1:" +
         std::to_string(port) + "/hook'}\nsteps:\n";
}

// Waits (5 s at most) until the store `db` holds one event of `kind`; whether it did.
bool HoldsOne(const std::string& db, const std::string& kind) {
  return Shell("for i in $(seq 100); do [ \"$(sqlite3 -cmd '.timeout 5000' " + db +
               " \"SELECT count(*) FROM events WHERE kind = '" + kind +
               "'\")\" = 1 ] && exit 0; sleep 0.05; done; exit 1")
             .exit_code == 0;
}

// A restore: step `a` (EndsOnGo, its gate `dir`/gate), then approval `gate`, then `after`
// (which appends "after" to `dir`/gate.ran); its webhook (127.0.0.1:`port`/hook) listens for
// failure and approval_waiting.
std::string GateAfterStep(const std::string& dir, int port) {
  const std::string gate = dir + "/gate";
  return RestoreHead("gt", port) + EndsOnGo("a", gate, "") +
         "  - {id: gate, uses: approval, needs: [a], with: {prompt: 'go?'}}\n"
         "  - {id: after, uses: exec, needs: [gate], with: {run: [sh, -c, 'echo after >> " +
         gate + ".ran']}}\n";
}

// `show` of run `id` in serve's store.
}  // namespace

TEST_CASE("serve: steps that ended while the store was locked are recorded though the run died",
          "[serve][owed][unrecorded]") {
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  std::string gate = dir + "/gate";
  WriteFile(dir, "rb/fc.yaml",
            "version: 1\nname: fc\nkind: backup\nparams:\n  tag: {default: none}\nnotify:\n" +
                Webhook(port, "/hook") +
                "steps:\n  - {id: dump, uses: exec, with: {run: [true]}}\n" +
                EndsOnGo("upload", gate, ", needs: [dump]") +
                "finally:\n  - {id: cleanup, uses: exec, with: {run: [sh, -c, 'echo cleanup >> " +
                gate + ".ran']}}\n");
  const std::string logs = dir + "/store/serve/logs/";

  SECTION("serve's stop gives the wait up: the helper records the step's end (YY3)") {
    ServeProcess serve(dir, {"--stop-grace", "1s"});
    std::string id = StartRun(serve, "fc", "x");
    int locker = LockAsItEnds(dir, 30);
    REQUIRE(FileSays(logs + id + ".log", "waiting to record the run (--wait)", 20));
    auto stopped = std::async(std::launch::async, [&serve] { serve.Term(); });
    CHECK(serve.LogSays("run " + id + " did not end in 1s: its finally steps are stopped", 20));
    CHECK(serve.LogSays(
        "run " + id + " ended, exit 130 (its end, kept while the store could not take it", 20));
    CHECK(FileSays(logs + id + ".unrecorded", "\"upload\"", 5));  // kept as it waited
    StopServer(locker);
    stopped.get();
    serve.Start();
    CHECK(FileSays(logs + id + ".log",
                   "event(s) the store could not take when they happened "
                   "are recorded now",
                   30));
    CHECK(serve.Finished(id) == "cancelled");  // its end kept too, as serve.md says (AA6)
    std::string shown = ShowServed(dir, id);
    CHECK_THAT(shown, Catch::Matches("[\\s\\S]*upload \\(exec\\)  success[\\s\\S]*"));
    CHECK_THAT(shown, !Catch::Contains("never finished"));
    CHECK_THAT(shown, !Catch::Contains("--rerun upload"));  // it ran once, and is not offered again
    CHECK(ReadFile(gate + ".ran") == "upload\n");           // cleanup never ran: not claimed
    const std::string run_log = ReadFile(logs + id + ".log");  // nor said to have (YY6)
    // Said as what kept it from starting: the stop's cancel and the locked store (BB3).
    CHECK_THAT(run_log, Catch::Contains("stop cleanup  (not started: the run was cancelled and "
                                        "the audit store cannot be written: "));
    CHECK_THAT(run_log, !Catch::Contains("start cleanup"));
    CHECK(hook.Bodies().empty());  // a cancel is no failure
    CHECK(Shell(Binary() + " audit verify --audit-db " + dir + "/store/audit.db").exit_code == 0);
  }

  SECTION("the run's process killed as it waits: its helper records the step's end") {
    ServeProcess serve(dir);
    std::string id = StartRun(serve, "fc", "x");
    int locker = LockAsItEnds(dir, 30);
    REQUIRE(FileSays(logs + id + ".log", "waiting to record the run (--wait)", 20));
    REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);  // an OOM kill
    CHECK(serve.LogSays("run " + id + " ended, exit 137", 10));
    StopServer(locker);
    CHECK(FileSays(logs + id + ".log",
                   "2 event(s) the store could not take when they happened are "
                   "recorded now",
                   30));
    CHECK(serve.Finished(id) == "interrupted");
    CHECK_THAT(ShowServed(dir, id), Catch::Matches("[\\s\\S]*upload \\(exec\\)  success[\\s\\S]*"));
    std::vector<Value> got = hook.AtLeast(1);  // killed: its failure is told, once
    REQUIRE(got.size() == 1);
    CHECK_THAT(Text(got[0], "detail"), Catch::Contains("killed by signal 9"));
  }

  SECTION("serve killed as the run waits: the next serve records the step's end first") {
    ServeProcess serve(dir);
    std::string id = StartRun(serve, "fc", "x");
    int locker = LockAsItEnds(dir, 30);
    REQUIRE(FileSays(logs + id + ".log", "waiting to record the run (--wait)", 20));
    serve.Kill9();  // the run dies with it (its parent-death signal)
    StopServer(locker);
    serve.Start();
    CHECK(serve.LogSays("run " + id +
                        ": 2 event(s) the store could not take when they happened are "
                        "recorded now"));
    CHECK(serve.Finished(id) == "interrupted");
    std::string shown = ShowServed(dir, id);
    CHECK_THAT(shown, Catch::Matches("[\\s\\S]*upload \\(exec\\)  success[\\s\\S]*"));
    CHECK_THAT(shown, !Catch::Contains("never finished"));
    // It died with serve: its failure is told, once, with upload's end known.
    std::vector<Value> got = hook.AtLeast(1);
    REQUIRE(got.size() == 1);
    CHECK(Text(got[0], "run_id") == id);
  }
}

TEST_CASE("serve: a notification sent while the store was locked is recorded after serve's stop",
          "[serve][owed][unrecorded]") {
  // YY4: the run's end was recorded; the record of its delivery waited for the store when
  // serve stopped, and the second cancel gave it up: it was never listed.
  std::string dir = ServeDir();
  int port = FreePort();
  std::string held = dir + "/answer";
  Receiver hook(dir, "hook", port, held);
  WriteFile(dir, "rb/dr.yaml",
            "version: 1\nname: dr\nkind: drill\nparams:\n  tag: {default: none}\nnotify:\n" +
                Webhook(port, "/hook") + "steps:\n  - {id: s, uses: exec, with: {run: [false]}}\n");
  ServeProcess serve(dir, {"--stop-grace", "1s"});
  std::string id = StartRun(serve, "dr", "x");
  REQUIRE(hook.AtLeast(1).size() == 1);  // the failure is on its way, its answer held
  int locker = LockStore(dir, 30);
  WriteFile(dir, "answer", "");
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  REQUIRE(FileSays(log, "waiting to record the notification (--wait)", 20));
  auto stopped = std::async(std::launch::async, [&serve] { serve.Term(); });
  CHECK(FileSays(log, "the notification was not recorded", 20));
  CHECK(FileSays(log, "kept for serve to record later", 1));
  CHECK(NotificationsOf(dir, id).empty());
  StopServer(locker);
  stopped.get();
  if (NotificationsOf(dir, id).empty()) {  // the stop's wait ended first: the next serve
    serve.Start();
    CHECK(serve.LogSays(
        "what the store could not take when it happened was owed when serve stopped"));
  }
  REQUIRE(FileSays(log,
                   "event(s) the store could not take when they happened are "
                   "recorded now",
                   30));
  std::vector<Value> listed = NotificationsOf(dir, id);
  REQUIRE(listed.size() == 1);
  CHECK(Text(listed[0], "status") == "sent");
  CHECK(listed[0].Find("recorded_late") != nullptr);
  CHECK(hook.Bodies().size() == 1);  // recorded, never sent again
}

TEST_CASE("serve: a run waiting for the store to record its gate's start waits there again",
          "[serve][owed][unrecorded]") {
  // YY5: serve's stop took a run whose step had ended and whose gate was about to wait (both
  // waiting for a locked store) for a working run: cancelled, its restore forgotten, nobody
  // asked. Now it is a run at its gate: left to the next serve, which resumes it there.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  std::string gate = dir + "/gate";
  WriteFile(dir, "rb/gt.yaml", GateAfterStep(dir, port));
  ServeProcess serve(dir, {"--stop-grace", "1s"});
  std::string id = StartRun(serve, "gt", "x");
  int locker = LockAsItEnds(dir, 30);
  const std::string logs = dir + "/store/serve/logs/";
  REQUIRE(FileSays(logs + id + ".log", "waiting to record the run (--wait)", 20));
  // An answer now is early, not wrong: 503, to be sent again (YY6: it was 409).
  Command early =
      serve.Http("POST", "/api/v1/runs/" + id + "/approvals/gate", "{\"approve\": true}");
  CHECK_THAT(early.out, Catch::EndsWith("503"));
  CHECK_THAT(early.out, Catch::Contains("is recording the start of its gate 'gate'"));
  serve.Term();  // at once: the run is not cancelled
  CHECK_THAT(serve.Log(), Catch::Contains("run " + id +
                                          " waits for an approval: it stops with "
                                          "serve"));
  CHECK_THAT(serve.Log(), !Catch::Contains("cancelling run " + id));
  StopServer(locker);
  SECTION("the next serve resumes it") {}
  SECTION("a command that sweeps while serve is down records what it kept first (ZZ3)") {
    std::string shown = ShowServed(dir, id);  // marks it interrupted: a's end recorded before
    CHECK_THAT(shown, Catch::Contains("interrupted"));
    CHECK_THAT(shown, Catch::Matches("[\\s\\S]*a \\(exec\\)  success[\\s\\S]*"));
    CHECK_THAT(shown, !Catch::Contains("--rerun a"));
  }
  serve.Start();
  std::string next = ResumedAs(serve, id, "gate");
  REQUIRE(!next.empty());
  REQUIRE(serve.WaitsForApproval(next));
  serve.Json("POST", "/api/v1/runs/" + next + "/approvals/gate", 202, "{\"approve\": true}");
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(gate + ".ran") == "a\nafter\n");  // a once, after once
  CHECK_THAT(ShowServed(dir, id), !Catch::Contains("never finished"));
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);  // the approvers asked, nobody paged
  CHECK(Text(got[0], "event") == "approval_waiting");
}

TEST_CASE("serve: a run's end the store refused is recorded late as it was, and told by the run",
          "[serve][owed][unrecorded]") {
  // The run's end (success, its RTO missed) met a store that would not take it: the run tells
  // what its end owes (objective_missed) itself, once; its helper records the end late, so the
  // run reads success with its objective missed, not interrupted, and nobody is paged a failure.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/od.yaml",
            OneSecondDrill("od", port, "failure, objective_missed", "[sleep, '1.5']"));
  ServeProcess serve(dir);
  const std::string db = dir + "/store/audit.db";
  serve.Json("GET", "/api/v1/runs", 200);  // the store exists
  RefuseEvents(db, "NEW.kind = 'run_finished'");
  std::string id = StartRun(serve, "od", "x");
  CHECK(serve.LogSays("run " + id + " ended, exit 3", 20));
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "event") == "objective_missed");
  const std::string dropped = NowUtc(1);  // the end is recorded at the helper's next try, after
  AcceptEvents(db);
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  CHECK(FileSays(log,
                 "1 event(s) the store could not take when they happened are recorded "
                 "now",
                 40));
  CHECK(serve.Finished(id) == "success");
  Value run = serve.Json("GET", "/api/v1/runs/" + id, 200);
  CHECK(run.Find("objectives_met")->ToText() == "false");
  CHECK(run.Find("finished_at")->ToText() < dropped);  // when it ended, not when recorded (ZZ8)
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(hook.Bodies().size() == 1);  // told once, by the run; no failure paged
}

TEST_CASE("serve: a run killed as it records its end has the end told as it was, once",
          "[serve][owed][unrecorded]") {
  // breakZZ ZZ1: the run's process died while its end (a success past its RTO, after a failed
  // run) waited for the store; its helper recorded the end late and sent nothing: neither
  // objective_missed nor recovered. RUNBOOK_FAULT_KILL_BEFORE_KIND stands for the kill.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/sv.yaml",
            OneSecondDrill("sv", port, "failure, objective_missed, success, recovered",
                           "[sh, -c, 'sleep 1.2; exit ${{ params.code }}']"));
  // The run before failed (a run at a terminal; it tells its failure): the next success
  // recovers.
  REQUIRE(Shell(Binary() + " run " + dir + "/rb/sv.yaml --audit-db " + dir +
                "/store/audit.db --set code=1")
              .exit_code == 1);
  REQUIRE(hook.AtLeast(1).size() == 1);
  ServeProcess serve(dir, {}, "http", {"RUNBOOK_FAULT_KILL_BEFORE_KIND=run_finished"});
  std::string id = StartRun(serve, "sv", "x");
  const std::string logs = dir + "/store/serve/logs/";
  const std::string log = logs + id + ".log";
  SECTION("its helper tells it") {
    CHECK(serve.LogSays("run " + id + " ended, exit 137", 20));
    CHECK(FileSays(log,
                   "1 event(s) the store could not take when they happened are "
                   "recorded now",
                   30));
  }
  SECTION("serve killed with it: the next serve tells it (breakAA AA1)") {
    serve.Pause();  // no helper: serve and its run die together
    REQUIRE(FileSays(logs + id + ".unrecorded", "run_finished", 20));
    REQUIRE(Shell("for i in $(seq 100); do pgrep -f -- '--run-i[d] " + id +
                  "' >/dev/null || exit 0; sleep 0.1; done; exit 1")
                .exit_code == 0);
    serve.Kill9();
    SECTION("the next serve first") {}
    SECTION("show first, while serve is down") {
      Command shown = Shell(Binary() + " show " + id + " --audit-db " + dir + "/store/audit.db");
      CHECK_THAT(shown.out, Catch::Contains("sv (drill)  success"));
      CHECK_THAT(shown.err, !Catch::Contains("cannot mark"));
    }
    serve.Start();
  }
  CHECK(serve.Finished(id) == "success");
  std::vector<Value> got = hook.AtLeast(4);
  INFO(ReadFile(log) << serve.Log());
  REQUIRE(got.size() == 4);
  std::vector<std::string> events;
  for (size_t i = 1; i < got.size(); ++i) {
    CHECK(Text(got[i], "run_id") == id);
    events.push_back(Text(got[i], "event"));
  }
  CHECK(events == std::vector<std::string>{"objective_missed", "success", "recovered"});
  CHECK(Text(got[1], "objectives_met") == "false");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(hook.Bodies().size() == 4);  // once each, no failure for it
}

TEST_CASE("serve: a run is resumed once at a time through the API", "[serve][unrecorded]") {
  // breakZZ ZZ7: a second resume sent while the first was going was 201 too.
  std::string dir = ServeDir();
  WriteFile(dir, "rb/gt.yaml",
            "version: 1\nname: gt\nparams:\n  tag: {default: none}\nsteps:\n"
            "  - {id: gate, uses: approval, with: {prompt: 'go?'}}\n");
  ServeProcess serve(dir);
  std::string id = StartRun(serve, "gt", "x");
  REQUIRE(serve.WaitsForApproval(id));
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  REQUIRE(serve.Finished(id) == "interrupted");
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{}").Find("run_id")->as_string();
  REQUIRE(serve.WaitsForApproval(next));
  Value again = serve.Json("POST", "/api/v1/runs/" + id + "/resume", 409, "{}");
  CHECK_THAT(again.Find("error")->as_string(),
             Catch::Contains("is already resumed, as run " + next + " (running)"));
}

TEST_CASE("serve: a run cancelled while its gate's start waits for the store asks nobody",
          "[serve][unrecorded][approvals]") {
  // breakZZ ZZ9: once the store freed, the cancelled run still recorded approval_waiting and
  // paged the approvers for a restore already cancelled.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/gt.yaml", GateAfterStep(dir, port));
  ServeProcess serve(dir);
  std::string id = StartRun(serve, "gt", "x");
  int locker = LockAsItEnds(dir, 30);
  REQUIRE(
      FileSays(dir + "/store/serve/logs/" + id + ".log", "waiting to record the run (--wait)", 20));
  serve.Json("POST", "/api/v1/runs/" + id + "/cancel", 202, "{}");
  StopServer(locker);
  CHECK(serve.Finished(id) == "cancelled");
  CHECK_THAT(ReadFile(dir + "/store/serve/logs/" + id + ".log"),
             Catch::Contains("gate  0ms  (run cancelled before the step began)"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(hook.Bodies().empty());
  CHECK(ReadFile(dir + "/gate.ran") == "a\n");  // after never ran
}

TEST_CASE("serve: a step a cancel kept from beginning is resumed without a confirmation",
          "[serve][unrecorded]") {
  // breakAA AA3: the step recorded begun and ended cancelled before it ran was taken for one
  // stopped mid-way: the resume asked for --rerun of a step that never ran.
  std::string dir = ServeDir();
  std::string gate = dir + "/gate";
  WriteFile(dir, "rb/cb.yaml",
            "version: 1\nname: cb\nkind: restore\nparams:\n  tag: {default: none}\nsteps:\n" +
                EndsOnGo("a", gate, "") +
                "  - {id: b, uses: exec, needs: [a], with: {run: [sh, -c, 'echo b >> " + gate +
                ".ran']}}\n");
  ServeProcess serve(dir);
  std::string id = StartRun(serve, "cb", "x");
  int locker = LockAsItEnds(dir, 30);
  REQUIRE(
      FileSays(dir + "/store/serve/logs/" + id + ".log", "waiting to record the run (--wait)", 20));
  serve.Json("POST", "/api/v1/runs/" + id + "/cancel", 202, "{}");
  StopServer(locker);
  REQUIRE(serve.Finished(id) == "cancelled");
  CHECK(ReadFile(gate + ".ran") == "a\n");
  CHECK_THAT(ShowServed(dir, id), !Catch::Contains("--rerun b"));
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{}").Find("run_id")->as_string();
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(gate + ".ran") == "a\nb\n");  // b once, in the resume
}

TEST_CASE("serve: a gate opening on a locked store waits for it, then asks its approvers",
          "[serve][unrecorded][approvals]") {
  // breakAA AA5: approval_waiting was one write on the busy timeout: a lock as the gate opened
  // failed the restore and paged it, and nobody was asked. RUNBOOK_FAULT_PAUSE_BEFORE_KIND
  // holds the run before that write while the test locks the store.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/gs.yaml",
            RestoreHead("gs", port) + "  - {id: gate, uses: approval, with: {prompt: 'go?'}}\n");
  ServeProcess serve(dir, {}, "http", {"RUNBOOK_FAULT_PAUSE_BEFORE_KIND=approval_waiting"});
  std::string id = StartRun(serve, "gs", "x");
  const std::string db = dir + "/store/audit.db";
  REQUIRE(HoldsOne(db, "attempt_started"));
  int locker = LockStore(dir, 15);  // held past the pause and the 5 s busy timeout
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  bool waited = FileSays(log, "waiting to record that approval 'gate' waits", 15);
  INFO(ReadFile(log) << serve.Log());
  CHECK(waited);
  StopServer(locker);
  REQUIRE(serve.WaitsForApproval(id));
  serve.Json("POST", "/api/v1/runs/" + id + "/approvals/gate", 202, "{\"approve\": true}");
  CHECK(serve.Finished(id) == "success");
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);  // asked, never paged
  CHECK(Text(got[0], "event") == "approval_waiting");
}

TEST_CASE(
    "serve: a run whose first step is a gate, stopped before the gate's start is recorded, "
    "waits there again",
    "[serve][unrecorded][approvals]") {
  // breakZZ ZZ10: held by a locked store right after run_started, it was cancelled by serve's
  // stop, and nobody was ever asked. Its graph says it is at its gate (restart.h GatesNext).
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/gm.yaml",
            RestoreHead("gm", port) +
                "  - {id: gate, uses: approval, with: {prompt: 'go?'}}\n"
                "  - {id: after, uses: exec, needs: [gate], with: {run: [sh, -c, 'echo after >> " +
                dir + "/after.ran']}}\n");
  ServeProcess serve(dir, {"--stop-grace", "1s"}, "http",
                     {"RUNBOOK_FAULT_PAUSE_BEFORE_KIND=attempt_started"});
  std::string id = StartRun(serve, "gm", "x");
  const std::string db = dir + "/store/audit.db";
  REQUIRE(HoldsOne(db, "run_started"));
  int locker = LockStore(dir, 10);  // the gate's start meets it after the pause
  // Judged by its graph alone: ZZ10's run met the lock before it had kept the gate's start.
  Shell("rm -f " + dir + "/store/serve/logs/" + id + ".unrecorded");
  serve.Term();
  CHECK_THAT(serve.Log(), Catch::Contains("run " + id +
                                          " waits for an approval: it stops with "
                                          "serve"));
  StopServer(locker);
  serve.Start();
  std::string next = ResumedAs(serve, id, "gate");
  REQUIRE(!next.empty());
  REQUIRE(serve.WaitsForApproval(next));
  serve.Json("POST", "/api/v1/runs/" + next + "/approvals/gate", 202, "{\"approve\": true}");
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(dir + "/after.ran") == "after\n");
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);  // the approvers asked, nobody paged
  CHECK(Text(got[0], "event") == "approval_waiting");
}

TEST_CASE("serve: a lost run's page the store refused to list is listed at its helper's next try",
          "[serve][owed][unrecorded]") {
  // breakCC CC1, the variant of a run that began: its process was killed mid-step, its
  // helper paged the failure, and the store refused the page's record (any error but busy);
  // the helper kept nothing, so the next one found the page journaled as sent ("none was left
  // to send") and the store never listed it. A trigger stands for the refusal.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  const std::string gate = dir + "/gate";
  WriteFile(dir, "rb/lost.yaml", RestoreHead("lost", port) + EndsOnGo("a", gate, ""));
  ServeProcess serve(dir);
  const std::string db = dir + "/store/audit.db";
  std::string id = StartRun(serve, "lost", "x");
  WaitAboutToEnd(dir);
  RefuseEvents(db, "NEW.kind = 'notification'");
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  CHECK(FileSays(log, "the notification was not recorded: held by the test", 20));
  CHECK(NotificationsOf(dir, id).empty());
  AcceptEvents(db);
  for (int i = 0; i < 100 && NotificationsOf(dir, id).empty(); ++i)  // serve asks again
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  INFO(ReadFile(log));
  std::vector<Value> listed = NotificationsOf(dir, id);
  REQUIRE(listed.size() == 1);
  CHECK(Text(listed[0], "status") == "sent");
  CHECK(Text(listed[0], "event") == "failure");
  CHECK(serve.Finished(id) == "interrupted");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(hook.Bodies().size() == 1);  // not sent again
}

TEST_CASE("serve: a step that failed as the store was locked is told failed after serve's kill",
          "[serve][owed][unrecorded]") {
  // breakDD DD2: the run's only step failed for good while the store was locked; serve was
  // killed as the run waited to record it. Its failure was recorded late, but the page said
  // only that the run died with serve, not that its step had failed.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  const std::string gate = dir + "/gate";
  WriteFile(dir, "rb/fails.yaml",
            RestoreHead("fails", port) + "  - {id: a, uses: exec, with: {run: [sh, -c, 'touch " +
                gate + ".ending; while [ ! -e " + gate +
                ".go ]; do sleep 0.05; done; exit 1']}}\n");
  ServeProcess serve(dir);
  std::string id = StartRun(serve, "fails", "x");
  int locker = LockAsItEnds(dir, 60);
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  REQUIRE(FileSays(log, "waiting to record", 20));
  serve.Kill9();  // the run dies with it, its failure kept, not recorded
  StopServer(locker);
  serve.Start();
  std::vector<Value> got = hook.AtLeast(1);
  INFO(ReadFile(log));
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == id);
  CHECK_THAT(Text(got[0], "detail"), Catch::StartsWith("step 'a' failed; then the run's process "
                                                       "died with runbook serve"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(hook.Bodies().size() == 1);
}
