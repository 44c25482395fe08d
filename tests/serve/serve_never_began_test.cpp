// A run serve started that died (with serve, or killed) after its request was taken and
// before it recorded its start, while it waited for its lock or for the store, never began:
// the next serve's helper records it as started and interrupted, with its caller, params and
// objectives, tells it as interrupted, and POST .../resume runs it (issue 16, part 5; breakZZ
// ZZ5: it was recorded and paged as a failure "left no record in the store", with no user and
// "rto: no objective"). Against a real serve, a real store held by a real writer, a real
// webhook.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/util/json.h"
#include "support/serve_process.h"
#include "support/serve_witnesses.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A drill `name` with an RTO objective of 2h and one step appending `name` to `dir`/ran; its
// params `tag` and `token`, its secret `key` (RUNBOOK_TEST_ZZ5_KEY), its failure posted to
// 127.0.0.1:`port`/hook; `lock` its lock line ("" for none).
std::string Drill(const std::string& dir, const std::string& name, int port,
                  const std::string& lock) {
  return "version: 1\nname: " + name + "\nkind: drill\nobjectives: {rto: 2h}\n" + lock +
         "params:\n  tag: {default: none}\n  token: {default: none}\n"
         "secrets:\n  key: {env: RUNBOOK_TEST_ZZ5_KEY}\nnotify:\n" +
         Webhook(port, "/hook") + "steps:\n  - {id: s, uses: exec, with: {run: [sh, -c, 'echo " +
         name + " >> " + dir + "/ran']}}\n";
}

// Starts runbook `dr` through the API with `params` (a JSON object) and returns its id once
// it waits to record its start (the caller holds the store locked: LockStore).
std::string StartWaitingForStore(ServeProcess& serve, const std::string& dir,
                                 const std::string& params) {
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/dr/runs", 201, "{\"params\": " + params + "}")
          .Find("run_id")
          ->as_string();
  REQUIRE(
      FileSays(dir + "/store/serve/logs/" + id + ".log", "waiting to record the run (--wait)", 20));
  return id;
}

// Serve on a folder with runbook `dr` (Drill: its failures posted to `hook`), the secret
// `key` in its environment, and the store held locked by `locker` (LockStore, 60 s at most)
// for the test to free.
struct LockedDr {
  explicit LockedDr(const std::string& key)
      : hook(dir, "hook", port),
        written(WriteFile(dir, "rb/dr.yaml", Drill(dir, "dr", port, ""))),
        serve(dir, {}, "http", {"RUNBOOK_TEST_ZZ5_KEY=" + key}),
        locker(LockStore(dir, 60)) {}
  std::string dir = ServeDir();
  int port = FreePort();
  std::string logs = dir + "/store/serve/logs/";
  Receiver hook;
  std::string written;
  ServeProcess serve;
  int locker;
};

// The body of run `id`'s run_started event, as the store holds it.
std::string StartedBody(const std::string& dir, const std::string& id) {
  return Shell("sqlite3 -cmd '.timeout 5000' " + dir +
               "/store/audit.db \"select body from events where kind='run_started' and run_id='" +
               id + "'\"")
      .out;
}

// Checks that run `id` was told once, as interrupted, and is recorded so.
void CheckToldInterruptedOnce(ServeProcess& serve, Receiver& hook, const std::string& id) {
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == id);
  CHECK(Text(got[0], "status") == "interrupted");
  CHECK(serve.Finished(id) == "interrupted");
}

// Checks what the next serve made of run `id`, which never began: recorded interrupted with
// its caller and objectives, told once as interrupted, nothing of it run.
void CheckNeverBegan(ServeProcess& serve, Receiver& hook, const std::string& dir,
                     const std::string& id) {
  CHECK(serve.LogSays("run " + id +
                      " left no record in the store: it never began (it waited "
                      "for its lock or the store to record its start); its helper records it "
                      "interrupted and tells it"));
  std::vector<Value> got = hook.AtLeast(1);  // its helper records it, then tells it
  REQUIRE(got.size() == 1);
  CHECK(serve.Finished(id) == "interrupted");
  const std::string shown = ShowServed(dir, id);
  CHECK_THAT(shown, Catch::Contains(" by " + Shell("id -un").out.substr(0, 4)));  // not empty
  CHECK_THAT(shown, !Catch::Contains("no objective"));
  CHECK_THAT(shown, Catch::Contains("POST /api/v1/runs/" + id + "/resume"));
  CHECK(Text(got[0], "run_id") == id);
  CHECK(Text(got[0], "status") == "interrupted");
  CHECK_THAT(Text(got[0], "summary"), Catch::Contains("' was interrupted on "));  // CC5
  CHECK_THAT(Text(got[0], "detail"),
             Catch::Contains("before it recorded its start (it waited for its lock or for the "
                             "audit store): none of its steps ran"));
  CHECK_THAT(Text(got[0], "detail"), !Catch::Contains("left no record"));
  CHECK(!std::filesystem::exists(dir + "/ran"));
}

// Rewrites run `id`'s marker in `logs` as serve leaves it before answering the run's caller
// ("answered": false), as a serve killed in that moment leaves it.
void MarkUnanswered(const std::string& logs, const std::string& id) {
  std::string marker = ReadFile(logs + id + ".running");
  const size_t at = marker.find("\"answered\":true");
  REQUIRE(at != std::string::npos);
  marker.replace(at, 15, "\"answered\":false");
  WriteFile(logs, id + ".running", marker);
}

}  // namespace

TEST_CASE("serve: an API run killed with serve as it waits to record its start is resumable",
          "[serve][owed][unrecorded]") {
  const std::string secret = "s3cr3t-zz5-value";
  LockedDr b(secret);
  auto& [dir, port, logs, hook, written, serve, locker] = b;
  const std::string requested = NowUtc(0);
  std::string id =
      StartWaitingForStore(serve, dir, "{\"tag\": \"t-zz5\", \"token\": \"tok-" + secret + "\"}");
  serve.Kill9();  // the run dies with it
  StopServer(locker);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string restarted = NowUtc(0);
  serve.Start();
  CheckNeverBegan(serve, hook, dir, id);
  // Dated when its request was taken, not when the next serve's helper recorded it
  // (breakBB BB2).
  const std::string started_at =
      serve.Json("GET", "/api/v1/runs/" + id, 200).Find("started_at")->as_string();
  CHECK(started_at >= requested);
  CHECK(started_at < restarted);
  const std::string shown = ShowServed(dir, id);
  CHECK_THAT(shown, Catch::Contains("t-zz5"));  // its own params, not the defaults
  CHECK(shown.find(secret) == std::string::npos);
  CHECK(Shell("grep -rl " + secret + " " + dir + "/store").out.empty());  // nowhere kept

  // Its token was withheld (it held the secret's text): recorded masked as a run records it
  // ("tok-***"), asked for again, and told by that mask: the true value is taken, another
  // one refused (newcomer round: "***" refused the true value and took the secret alone).
  CHECK_THAT(StartedBody(dir, id), Catch::Contains("\"token\":\"tok-***\""));
  // With the keyed fingerprint of the value it had, as a run records one (breakEE EE2: the
  // mask alone took a rotated secret, or another secret of the runbook, for it).
  CHECK_THAT(StartedBody(dir, id), Catch::Contains("\"masked_param_fingerprints\":{\"token\":\""));
  Value refused = serve.Json("POST", "/api/v1/runs/" + id + "/resume", 409, "{}");
  CHECK_THAT(refused.Find("error")->as_string(), Catch::Contains("token"));
  Value wrong = serve.Json("POST", "/api/v1/runs/" + id + "/resume", 409,
                           "{\"params\": {\"token\": \"" + secret + "\"}}");
  CHECK_THAT(wrong.Find("error")->as_string(), Catch::Contains("not the value run " + id));
  std::string next = serve
                         .Json("POST", "/api/v1/runs/" + id + "/resume", 201,
                               "{\"params\": {\"token\": \"tok-" + secret + "\"}}")
                         .Find("run_id")
                         ->as_string();
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(dir + "/ran") == "dr\n");  // once, in the resume
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(hook.Bodies().size() == 1);  // nothing more told
}

namespace {

// Runbooks `holder` (lock `shared`, its step held until `dir`/gate.go exists) and `victim`
// (Drill, lock `shared`, its failure posted to `port`).
void WriteLockRunbooks(const std::string& dir, int port) {
  const std::string gate = dir + "/gate";
  WriteFile(dir, "rb/holder.yaml",
            "version: 1\nname: holder\nlock: shared\nparams:\n  tag: {default: none}\nsteps:\n"
            "  - {id: w, uses: exec, with: {run: [sh, -c, 'touch " +
                gate + ".held; while [ ! -e " + gate + ".go ]; do sleep 0.05; done']}}\n");
  WriteFile(dir, "rb/victim.yaml", Drill(dir, "victim", port, "lock: shared\n"));
}

// Starts a holder (WriteLockRunbooks), then a victim, and returns once the victim waits for
// the lock: {holder's id, victim's id}.
std::pair<std::string, std::string> VictimWaitsForLock(ServeProcess& serve,
                                                       const std::string& dir) {
  std::string holder = StartRun(serve, "holder", "h");
  REQUIRE(Shell("for i in $(seq 200); do [ -e " + dir +
                "/gate.held ] && exit 0; sleep 0.1; done; exit 1")
              .exit_code == 0);
  std::string id = StartRun(serve, "victim", "v");
  const std::string log = dir + "/store/serve/logs/" + id + ".log";
  if (!FileSays(log, "waiting for lock 'shared'", 20))
    FAIL(ReadFile(log) + "\n---\n" + serve.Log());
  return {holder, id};
}

// Serve on a folder with WriteLockRunbooks' runbooks (`extra`: its flags), a holder run
// holding the lock and a victim run waiting for it (VictimWaitsForLock).
struct VictimBehindHolder {
  explicit VictimBehindHolder(std::vector<std::string> extra = {})
      : hook(dir, "hook", port),
        written((WriteLockRunbooks(dir, port), true)),
        serve(dir, std::move(extra), "http", {"RUNBOOK_TEST_ZZ5_KEY=lock-variant-key"}) {
    std::tie(holder, id) = VictimWaitsForLock(serve, dir);
  }
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook;
  bool written;
  ServeProcess serve;
  std::string holder;
  std::string id;
};

// Frees the holder's lock, resumes victim run `id` through the API, and checks it ran once,
// with nothing told beyond the `told` pages `hook` got.
void ResumeVictimOnce(ServeProcess& serve, Receiver& hook, const std::string& dir,
                      const std::string& id, size_t told = 1) {
  WriteFile(dir, "gate.go", "");
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{}").Find("run_id")->as_string();
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(dir + "/ran") == "victim\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(hook.Bodies().size() == told);
}

}  // namespace

TEST_CASE("serve: a run killed as it waits for its lock never began, and is resumable",
          "[serve][owed]") {
  // A variant of ZZ5's kind: the wait is the runbook's lock (another run holds it), and the
  // run's process is killed while serve lives (an OOM kill).
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  CHECK(serve.LogSays("run " + id + " ended, exit 137 (killed by signal 9, Killed)", 10));
  std::vector<Value> got = hook.AtLeast(1);  // its helper records it, then tells it
  REQUIRE(got.size() == 1);
  CHECK(serve.Finished(id) == "interrupted");
  CHECK(Text(got[0], "status") == "interrupted");
  CHECK_THAT(Text(got[0], "detail"), Catch::Contains("was killed by signal 9 (SIGKILL) before it "
                                                     "recorded its start"));
  CHECK_THAT(ShowServed(dir, id), !Catch::Contains("no objective"));
  CHECK_THAT(StartedBody(dir, id), Catch::Contains("\"lock\":\"shared\""));  // breakBB BB2
  WriteFile(dir, "gate.go", "");
  CHECK(serve.Finished(holder) == "success");
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{}").Find("run_id")->as_string();
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(dir + "/ran") == "victim\n");
}

TEST_CASE("serve: a run a signal cancels as it waits for its lock is a cancel, paged nowhere",
          "[serve][owed]") {
  // breakBB BB1: SIGINT from outside serve (an operator's kill -INT) made it a failure,
  // recorded and paged; SIGTERM (a supervisor) an interrupted run, paged. runbook ends 130 or
  // 143 only by its cancel: as a cancel through the API, nothing is recorded or sent.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  std::string second = StartRun(serve, "victim", "w");
  REQUIRE(FileSays(dir + "/store/serve/logs/" + second + ".log", "waiting for lock 'shared'", 20));
  REQUIRE(Shell("pkill -INT -f -- '--run-i[d] " + id + "'").exit_code == 0);
  REQUIRE(Shell("pkill -TERM -f -- '--run-i[d] " + second + "'").exit_code == 0);
  CHECK(serve.LogSays("run " + id + " ended, exit 130 (cancelled)", 10));
  CHECK(serve.LogSays("run " + second + " ended, exit 143 (cancelled)", 10));
  CHECK(serve.Finished(id) == "cancelled");
  CHECK(serve.Finished(second) == "cancelled");
  WriteFile(dir, "gate.go", "");
  CHECK(serve.Finished(holder) == "success");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(hook.Bodies().empty());
  const std::string runs =
      Shell("sqlite3 -cmd '.timeout 5000' " + dir + "/store/audit.db \"SELECT count(*) FROM " +
            "runs WHERE runbook = 'victim'\"")
          .out;
  CHECK(runs == "0\n");  // nothing recorded: it never began
  CHECK(!std::filesystem::exists(dir + "/ran"));
}

TEST_CASE("serve: a run serve's stop catches before it began is interrupted, to be resumed",
          "[serve][owed]") {
  // breakBB BB5: a graceful stop (systemctl restart) cancelled the run waiting for its lock
  // as an operator's cancel would: nothing recorded, nothing told, and its caller's id was a
  // 404 after the restart, while a kill -9 of serve at the same moment kept it interrupted.
  VictimBehindHolder b(std::vector<std::string>{"--stop-grace", "2s"});
  auto& [dir, port, hook, written, serve, holder, id] = b;
  serve.Term();
  std::vector<Value> got = hook.AtLeast(1);  // told by its helper during the stop
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == id);
  CHECK(Text(got[0], "status") == "interrupted");
  CHECK_THAT(Text(got[0], "detail"),
             Catch::Contains("runbook serve stopped before it recorded its start"));
  // Said as what it is, not "(cancelled)" (newcomer round of issue 16); the holder had begun.
  const std::string log = serve.Log();
  CHECK_THAT(log, Catch::Contains("run " + id +
                                  " ended, exit 130 (stopped with serve before it began: "
                                  "recorded interrupted and told, to be resumed)"));
  CHECK_THAT(log, Catch::Contains("run " + holder + " ended, exit 130 (cancelled)"));
  // Nor "cancelling" as the stop begins (breakEE EE3): it is stopped, to be resumed.
  CHECK_THAT(log,
             Catch::Contains("stopping run " + id + ", which has not begun: serve is stopping") &&
                 !Catch::Contains("cancelling run " + id) &&
                 Catch::Contains("cancelling run " + holder + ": serve is stopping"));
  serve.Start();
  CHECK(serve.Finished(holder) == "cancelled");  // it had begun: a stop cancels it
  CHECK(serve.Finished(id) == "interrupted");
  ResumeVictimOnce(serve, hook, dir, id);
}

TEST_CASE("serve: a lost run whose kept params are gone is recorded with them withheld",
          "[serve][owed][unrecorded]") {
  // breakBB BB4: the run's kept params (logs/ID.params) lost or damaged while serve was
  // down, its helper recorded the run with the params' defaults, and offered a resume that
  // would run with them (a restore of the default target). The params the run was started
  // with are withheld (recorded masked: a resume asks for them), never defaulted.
  LockedDr b("bb4-key");
  auto& [dir, port, logs, hook, written, serve, locker] = b;
  std::string id = StartWaitingForStore(serve, dir, "{\"tag\": \"t-bb4\"}");
  serve.Kill9();  // the run dies with it
  StopServer(locker);
  std::vector<std::string> withheld = {"tag"};  // token was not set: its default is right
  // Its own output says it waited for the store, past its checks (breakFF FF5).
  std::string said =
      " left no record in the store: it never began (it waited for its lock or "
      "the store to record its start)";
  SECTION("removed") { std::filesystem::remove(logs + id + ".params"); }
  SECTION("damaged") { WriteFile(logs, id + ".params", "{\"params\": {\"tag\""); }
  SECTION("never written: serve killed just after answering, before the run kept them") {
    // breakDD DD1: files as that crash leaves them: the marker, and a run that said nothing.
    std::filesystem::remove(logs + id + ".params");
    WriteFile(logs, id + ".log", "runbook: audit store " + dir + "/store/audit.db (--audit-db)\n");
    said =
        " left no record in the store, nor the params it would have kept, and said no refusal: "
        "its helper records it interrupted if it could have begun";
  }
  SECTION("removed, and the marker of an older serve names no params") {
    std::filesystem::remove(logs + id + ".params");
    std::string marker = ReadFile(logs + id + ".running");
    size_t at = marker.find(",\"set_params\":[\"tag\"]");
    REQUIRE(at != std::string::npos);
    marker.erase(at, 21);
    WriteFile(logs, id + ".running", marker);
    withheld.push_back("token");  // which were set is not known: all are withheld
  }
  serve.Start();
  CHECK(serve.LogSays("run " + id + said));
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  // Nothing says it refused, and its secrets can be read: it never began; not refused, a
  // failure (breakCC CC4, breakDD DD1), though the file that said it was accepted is gone;
  // told without claiming what it waited for (breakEE EE1).
  CHECK_THAT(Text(got[0], "detail"), Catch::Contains("before it recorded its start: none of its "
                                                     "steps ran"));
  CHECK(serve.Finished(id) == "interrupted");
  const std::string body = StartedBody(dir, id);
  INFO(body);
  CHECK_THAT(body, !Catch::Contains("\"tag\":\"none\""));  // never its default
  for (const std::string& name : withheld)
    CHECK_THAT(body, Catch::Contains("\"" + name + "\":\"***\""));
  if (withheld.size() == 1) CHECK_THAT(body, Catch::Contains("\"token\":\"none\""));
  Value refused = serve.Json("POST", "/api/v1/runs/" + id + "/resume", 409, "{}");
  // Asked for as lost, not as a secret's text (breakCC CC4), and any value is taken for it:
  // nothing was kept to check it against.
  CHECK_THAT(refused.Find("error")->as_string(),
             Catch::Contains("param 'tag' of run " + id +
                             " was recorded without its value "
                             "(lost with the params the run kept before it began)"));
  CHECK_THAT(refused.Find("error")->as_string(), !Catch::Contains("secret"));
  CHECK(!std::filesystem::exists(dir + "/ran"));
  std::string params = "{\"tag\": \"t-bb4\"";
  if (withheld.size() == 2) params += ", \"token\": \"none\"";
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{\"params\": " + params + "}}")
          .Find("run_id")
          ->as_string();
  CHECK(serve.Finished(next) == "success");
  CHECK(ReadFile(dir + "/ran") == "dr\n");
  CHECK_THAT(ShowServed(dir, next), Catch::Contains("t-bb4"));
}

TEST_CASE("serve: a run that never began, owed across a restart, is recorded with its caller",
          "[serve][owed][unrecorded]") {
  // The run killed as it waits for the store, its helper unable to record it (the store still
  // locked) when serve is killed: the next serve's helper, started from the run's .owed, had
  // no trigger (the API's call, its token's name).
  LockedDr b("owed-key");
  auto& [dir, port, logs, hook, written, serve, locker] = b;
  std::string id = StartWaitingForStore(serve, dir, "{\"tag\": \"t-owed\"}");
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  REQUIRE(serve.LogSays("run " + id + " ended, exit 137", 10));
  if (!FileSays(logs + id + ".log", "is not recorded yet: serve asks again", 20))  // locked
    FAIL(ReadFile(logs + id + ".log") + "\n---\n" + serve.Log());
  serve.Kill9();
  CHECK_THAT(ReadFile(logs + id + ".owed"), Catch::Contains("\"kind\":\"api\""));
  StopServer(locker);
  serve.Start();
  for (int i = 0; i < 200 && StartedBody(dir, id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(serve.Finished(id) == "interrupted");
  CHECK(hook.AtLeast(1).size() == 1);  // told by the first helper, not again
  const std::string body = StartedBody(dir, id);
  INFO(body);
  CHECK_THAT(body, Catch::Contains("\"trigger\":{") && Catch::Contains("\"kind\":\"api\""));
  CHECK_THAT(body, Catch::Contains("\"tag\":\"t-owed\""));
}

TEST_CASE("serve: a run whose marker was lost is known by its kept params, recorded and told",
          "[serve][owed]") {
  // breakCC CC2: the run's logs/ID.running removed or emptied while serve was down (or never
  // written: serve killed between the run's start and its marker's write): the accepted run
  // vanished, no record and no page, and serve deleted its params as stale.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  serve.Kill9();  // the victim dies with it
  const std::string logs = dir + "/store/serve/logs";
  SECTION("removed") { std::filesystem::remove(logs + "/" + id + ".running"); }
  SECTION("emptied") { WriteFile(logs, id + ".running", ""); }
  SECTION("removed with serve's copy of its runbook (breakDD DD6)") {
    std::filesystem::remove(logs + "/" + id + ".running");
    std::filesystem::remove(logs + "/" + id + ".runbook");
  }
  serve.Start();
  CheckToldInterruptedOnce(serve, hook, id);
  CHECK_THAT(StartedBody(dir, id), Catch::Contains("\"kind\":\"api\""));  // its trigger
  ResumeVictimOnce(serve, hook, dir, id);
}

TEST_CASE("serve: a page sent before the store took the run that never began is recorded after",
          "[serve][owed][unrecorded]") {
  // breakCC CC1: the helper of a run that never began sent its page while the store would not
  // take the run's record; the page was journaled as sent, so the next helper, which recorded
  // the run, sent nothing and recorded nothing: the store never listed the page. A trigger
  // stands for the store refusing the record (any error but busy; busy is the lock variant).
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  const std::string db = dir + "/store/audit.db";
  RefuseEvents(db, "NEW.kind = 'run_started' AND NEW.run_id = '" + id + "'");
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  std::vector<Value> got = hook.AtLeast(1);  // sent though the run is not recorded
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == id);
  CHECK(FileSays(dir + "/store/serve/logs/" + id + ".log",
                 "the run that never began " + id + " is not recorded yet", 20));
  CHECK(NotificationsOf(dir, id).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // NowUtc: whole seconds
  const std::string dropped = NowUtc(0);
  AcceptEvents(db);
  for (int i = 0; i < 200 && StartedBody(dir, id).empty(); ++i)  // serve asks again
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(serve.Finished(id) == "interrupted");
  for (int i = 0; i < 100 && NotificationsOf(dir, id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<Value> listed = NotificationsOf(dir, id);  // the page sent, listed once
  INFO(ReadFile(dir + "/store/serve/logs/" + id + ".log"));
  REQUIRE(listed.size() == 1);
  CHECK(Text(listed[0], "status") == "sent");
  REQUIRE(listed[0].Find("recorded_late") != nullptr);  // dated when it was sent
  CHECK(Text(*listed[0].Find("recorded_late"), "happened_at") < dropped);
  CHECK(Text(listed[0], "event") == "failure");
  ResumeVictimOnce(serve, hook, dir, id);  // nothing sent again
}

TEST_CASE("serve: a run that began and lost its marker is still told as interrupted",
          "[serve][owed]") {
  // breakCC CC2, the variant of a run that had begun: its marker removed while serve was down;
  // the params it kept name it, and its record says it ran: marked interrupted and told once.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  const std::string gate = dir + "/gate";
  WriteFile(dir, "rb/slow.yaml",
            "version: 1\nname: slow\nkind: drill\nparams:\n  tag: {default: none}\nnotify:\n" +
                Webhook(port, "/hook") +
                "steps:\n  - {id: w, uses: exec, with: {run: [sh, -c, 'touch " + gate +
                ".held; while [ ! -e " + gate + ".go ]; do sleep 0.05; done']}}\n");
  ServeProcess serve(dir);
  std::string id = StartRun(serve, "slow", "s");
  REQUIRE(
      Shell("for i in $(seq 200); do [ -e " + gate + ".held ] && exit 0; sleep 0.1; done; exit 1")
          .exit_code == 0);
  serve.Kill9();  // the run dies with it
  const std::string logs = dir + "/store/serve/logs/";
  REQUIRE(std::filesystem::exists(logs + id + ".params"));
  std::filesystem::remove(logs + id + ".running");
  serve.Start();
  CheckToldInterruptedOnce(serve, hook, id);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(hook.Bodies().size() == 1);
}

TEST_CASE(
    "serve: a resume killed as it waits for its lock did not begin, and the run stays resumable",
    "[serve][owed]") {
  // breakCC CC5: the resume's death was told as "refused before it started", which names an
  // error to mend where there is none: its process was killed before it recorded its start.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + id + "'").exit_code == 0);
  REQUIRE(hook.AtLeast(1).size() == 1);  // its own death, told
  REQUIRE(serve.Finished(id) == "interrupted");
  std::string next =
      serve.Json("POST", "/api/v1/runs/" + id + "/resume", 201, "{}").Find("run_id")->as_string();
  REQUIRE(FileSays(dir + "/store/serve/logs/" + next + ".log", "waiting for lock 'shared'", 20));
  REQUIRE(Shell("pkill -KILL -f -- '--run-i[d] " + next + "'").exit_code == 0);
  // Its helper tells the run it resumed; the failure it pages was paged already (once).
  const std::string log = dir + "/store/serve/logs/" + next + ".log";
  CHECK(FileSays(log,
                 "resuming it as run " + next +
                     " did not begin (its process was killed by signal 9 (SIGKILL) before it "
                     "recorded its start); it is still interrupted: resume it again with POST",
                 20));
  CHECK_THAT(ReadFile(log), !Catch::Contains("refused"));
  CHECK(serve.Finished(id) == "interrupted");
  ResumeVictimOnce(serve, hook, dir, id);
}

TEST_CASE("serve: a run waiting for its lock is listed as starting, with what it waits for",
          "[serve]") {
  // Newcomer round of issue 16: GET /api/v1/runs and ?status=running left out a run waiting
  // for its lock (not recorded yet) that /metrics counted, and GET /runs/ID never said why
  // it was starting.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  const std::string waits = "waiting for lock 'shared', held by run " + holder;
  auto listed = [&](const std::string& query) {
    Value runs = serve.Json("GET", "/api/v1/runs" + query, 200);
    for (const Value& r : runs.as_list())
      if (Text(r, "run_id") == id) return r;
    return Value();
  };
  for (const char* query : {"", "?status=running", "?status=starting", "?runbook=victim"}) {
    INFO(query);
    Value row = listed(query);
    REQUIRE(row.is_map());
    CHECK(Text(row, "status") == "starting");
    CHECK(Text(row, "kind") == "drill");
    CHECK_THAT(Text(row, "waiting"), Catch::StartsWith(waits));
  }
  CHECK(listed("?runbook=holder").is_null());
  CHECK(listed("?status=success").is_null());
  Value only = serve.Json("GET", "/api/v1/runs?status=starting", 200);
  CHECK(only.as_list().size() == 1);  // the holder is recorded: running, not starting
  // Beside `limit` recorded runs, never a page alone (newcomer round: ?limit=1 hid the rest).
  Value one_page = serve.Json("GET", "/api/v1/runs?limit=1", 200);
  REQUIRE(one_page.as_list().size() == 2);
  CHECK(Text(one_page.as_list()[1], "run_id") == holder);
  Value one = serve.Json("GET", "/api/v1/runs/" + id, 200);
  CHECK(Text(one, "status") == "starting");
  CHECK_THAT(Text(one, "waiting"), Catch::StartsWith(waits));
  // What it will run with, and who started it (newcomer round of issue 16, #10).
  REQUIRE(one.Find("params") != nullptr);
  CHECK(ToJson(*one.Find("params")) == "{\"tag\":\"v\",\"token\":\"none\"}");
  CHECK(Text(*one.Find("trigger"), "kind") == "api");
  WriteFile(dir, "gate.go", "");
  CHECK(serve.Finished(id) == "success");
  Value row = listed("");  // recorded now: listed once, as recorded
  REQUIRE(row.is_map());
  CHECK(Text(row, "status") == "success");
  CHECK(row.Find("waiting") == nullptr);
}

TEST_CASE(
    "serve: a run whose params were never kept and whose secret cannot be read was refused unless "
    "it said it waited",
    "[serve][owed]") {
  // breakEE EE1: killed before it could print its refusal (a secret missing), with no kept
  // params, it was recorded interrupted "(it waited for its lock ...)" and offered for resume.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  const std::string logs = dir + "/store/serve/logs/";
  const std::string copy = ReadFile(logs + id + ".runbook");
  serve.Kill9();
  std::filesystem::remove(logs + id + ".params");
  // breakFF FF5: its own output said it waited for its lock, past its checks: it never began,
  // whatever the next serve can read, and is not taken for refused.
  std::string status = "interrupted";
  SECTION("its output said nothing of its checks") {
    WriteFile(logs, id + ".log", "runbook: audit store " + dir + "/store/audit.db (--audit-db)\n");
    status = "failure";
  }
  SECTION("its output said it waited for its lock") {
    REQUIRE(FileSays(logs + id + ".log", "runbook: waiting for lock 'shared'", 1));
  }
  // Serve's copy of the run's runbook reads its secret from a file that is not there.
  const std::string env_secret = "secrets:\n  key: {env: RUNBOOK_TEST_ZZ5_KEY}\n";
  REQUIRE(copy.find(env_secret) != std::string::npos);
  std::string missing = copy;
  missing.replace(missing.find(env_secret), env_secret.size(),
                  "secrets:\n  key: {file: " + dir + "/no-such-key}\n");
  WriteFile(logs, id + ".runbook", missing);
  serve.Start();
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == id);
  CHECK(Text(got[0], "status") == status);
  CHECK(serve.Finished(id) == status);
  WriteFile(dir, "gate.go", "");
}

TEST_CASE("serve: a run taken as never begun stays so when its helper must try again",
          "[serve][owed][unrecorded]") {
  // Its params never kept (breakDD DD1), the first helper could not record it (the store
  // refused): the next one read the params that helper kept, unaccepted, and the helper's own
  // errors in the run's log, and recorded a refused failure.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  const std::string logs = dir + "/store/serve/logs/";
  const std::string db = dir + "/store/audit.db";
  serve.Kill9();
  std::filesystem::remove(logs + id + ".params");
  WriteFile(logs, id + ".log", "runbook: audit store " + db + " (--audit-db)\n");
  RefuseEvents(db, "NEW.kind = 'run_started' AND NEW.run_id = '" + id + "'");
  serve.Start();
  REQUIRE(FileSays(logs + id + ".log", "is not recorded yet: serve asks again", 20));
  AcceptEvents(db);
  for (int i = 0; i < 200 && StartedBody(dir, id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  INFO(ReadFile(logs + id + ".log"));
  CHECK(serve.Finished(id) == "interrupted");  // as its first helper told it
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "status") == "interrupted");
  WriteFile(dir, "gate.go", "");
}

TEST_CASE("serve: a page kept as sent but not journaled yet is not sent again, and is listed",
          "[serve][owed][unrecorded]") {
  // breakDD DD4: a helper killed between a delivery's answer and its record: the delivery is
  // kept in the run's .unrecorded before it is journaled in .sent, and a kept one is sent. The
  // files as that kill leaves them: the run that never began, its page kept, .sent without it.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  serve.Kill9();  // the victim dies with it, before its helper could tell it
  const std::string logs = dir + "/store/serve/logs/";
  WriteFile(logs, id + ".unrecorded",
            "{\"run\":\"" + id +
                "\",\"facts\":[{\"kind\":\"notification\",\"step\":\"\",\"attempt\":0,"
                "\"happened_at\":\"" +
                NowUtc(0) +
                "\",\"body\":{\"index\":0,\"channel\":\"webhook\",\"event\":\"failure\","
                "\"target\":\"http://127.0.0.1/hook\",\"status\":\"sent\",\"http_status\":200,"
                "\"attempts\":1,\"error\":\"\"}}]}\n");
  serve.Start();
  for (int i = 0; i < 200 && StartedBody(dir, id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(serve.Finished(id) == "interrupted");
  for (int i = 0; i < 50 && NotificationsOf(dir, id).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  INFO(ReadFile(logs + id + ".log"));
  CHECK(hook.Bodies().empty());  // sent before the kill: not again
  std::vector<Value> listed = NotificationsOf(dir, id);
  REQUIRE(listed.size() == 1);  // and listed, once
  CHECK(Text(listed[0], "event") == "failure");
  WriteFile(dir, "gate.go", "");
}

TEST_CASE("serve answers an API run's 201 once the run kept its params, and marks it answered",
          "[serve][owed]") {
  // breakDD DD1: serve answered 201 as soon as the run's process was started; killed in the
  // ~70 ms before the run kept its params, the next serve recorded the run with them withheld,
  // and a page addressed by one (`url: .../${{ params.tag }}`) could not be sent.
  LockedDr b("answered-key");
  auto& [dir, port, logs, hook, written, serve, locker] = b;
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/dr/runs", 201, "{\"params\": {\"tag\": \"t-ans\"}}")
          .Find("run_id")
          ->as_string();
  // At the 201, not later: the run kept its params as accepted, and its marker says so.
  const std::string kept = ReadFile(logs + id + ".params");
  CHECK_THAT(kept, Catch::Contains("\"accepted\":true") && Catch::Contains("t-ans"));
  CHECK_THAT(ReadFile(logs + id + ".running"), Catch::Contains("\"answered\":true"));
  StopServer(locker);
  CHECK(serve.Finished(id) == "success");
}

TEST_CASE("serve drops a run that left no record when it died before answering its caller",
          "[serve][owed]") {
  // breakDD DD1: serve killed after starting an API run and before its 201 (the caller saw
  // the request fail, and may send it again): the run, which recorded nothing, is neither
  // recorded nor paged; it is said in serve's log. Files as the crash leaves them: the
  // marker before Release, with or without the params the run kept meanwhile.
  LockedDr b("dropped-key");
  auto& [dir, port, logs, hook, written, serve, locker] = b;
  std::string id = StartWaitingForStore(serve, dir, "{\"tag\": \"t-drop\"}");
  serve.Kill9();  // the run dies with it
  StopServer(locker);
  MarkUnanswered(logs, id);
  SECTION("its params kept") {}
  SECTION("its params never kept") {
    std::filesystem::remove(logs + id + ".params");
    WriteFile(logs, id + ".log", "runbook: audit store " + dir + "/store/audit.db (--audit-db)\n");
  }
  // A failing runbook beside it, whose page is then the first and only one the hook gets.
  WriteFile(dir, "rb/fail.yaml",
            Drill(dir, "fail", port, "") +
                "  - {id: f, needs: [s], uses: exec, with: {run: [sh, -c, 'exit 1']}}\n");
  serve.Start();
  CHECK(serve.LogSays("run " + id +
                      " died with serve before its caller was answered, and left no record in "
                      "the store: dropped"));
  std::string next =
      serve.Json("POST", "/api/v1/runbooks/fail/runs", 201, "{}").Find("run_id")->as_string();
  CHECK(serve.Finished(next) == "failure");
  std::vector<Value> got = hook.AtLeast(1);
  REQUIRE(got.size() == 1);
  CHECK(Text(got[0], "run_id") == next);
  serve.Json("GET", "/api/v1/runs/" + id, 404);
  for (const char* kind : {".running", ".params", ".runbook"})
    CHECK(!std::filesystem::exists(logs + id + kind));
  CHECK(ReadFile(dir + "/ran") == "fail\n");  // the dropped run ran nothing
}

TEST_CASE("serve does not answer 201 for a run it could not mark, and starts none unmarked",
          "[serve][owed]") {
  // breakFF FF1: the state folder's disk full, serve answered 201 for a run whose marker
  // still said "answered": false (or that had no marker at all), and a serve killed then
  // dropped it, or never knew it: no record, no page. A full disk is made by the seam
  // tests/seams/fail_rename.cpp (ENOSPC on the Nth write-then-rename of a marker).
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/dr.yaml", Drill(dir, "dr", port, ""));
  std::string file = ".running.tmp.", nth, said;
  int status = 0;
  SECTION("its first marker") {
    nth = "1";
    status = 500;
    said = "serve's state folder cannot keep the run: ";
  }
  SECTION("its marker saying its caller is answered") {
    nth = "2";
    status = 503;
    said = "No space left on device): it was cancelled before it began; send the request again";
  }
  SECTION("its params, which the run itself keeps (breakGG GG2)") {
    file = ".params.tmp.";  // the run warns and goes on to wait for the store
    nth = "1";
    status = 503;
    said = "it did not keep its params within 10 s): it was cancelled before it began";
  }
  ServeProcess serve(dir, {}, "http",
                     {"LD_PRELOAD=" + std::string(RUNBOOK_FAIL_RENAME),
                      "RUNBOOK_TEST_FAIL_RENAME=" + file, "RUNBOOK_TEST_FAIL_RENAME_NTH=" + nth,
                      "RUNBOOK_TEST_FAIL_RENAME_ONCE=" + (nth == "1" ? dir + "/failed-once" : ""),
                      "ASAN_OPTIONS=verify_asan_link_order=0", "RUNBOOK_TEST_ZZ5_KEY=marked-key"});
  // The store held: the run cannot record its start before serve answers (one the store has
  // is answered 201 whatever its marker says: a restart finds it there).
  int locker = LockStore(dir, 60);
  Value refused = serve.Json("POST", "/api/v1/runbooks/dr/runs", status, "{}");
  CHECK_THAT(refused.Find("error")->as_string(), Catch::Contains(said));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // Nothing ran, nothing is recorded or told, no marker is left behind.
  CHECK(!std::filesystem::exists(dir + "/ran"));
  CHECK(serve.Json("GET", "/api/v1/runs", 200).as_list().empty());
  CHECK(hook.Bodies().empty());
  CHECK(Shell("ls " + dir + "/store/serve/logs/ | grep -c '[.]running$'").out == "0\n");
  StopServer(locker);
  // The next one is kept, answered and run (the seam fails one call only).
  std::string id =
      serve.Json("POST", "/api/v1/runbooks/dr/runs", 201, "{}").Find("run_id")->as_string();
  INFO(ReadFile(dir + "/store/serve/logs/" + id + ".log"));
  CHECK(serve.Finished(id) == "success");
}

TEST_CASE(
    "serve says of a run that began whose caller was never answered that it may be sent again",
    "[serve][owed]") {
  // breakGG GG3: serve killed between the run's start and its 201 (a run with no lock records
  // its start at once): the caller saw the request fail and may send it again, while the run
  // that began is recorded interrupted and told as resumable. It is not dropped (it began:
  // steps may have run), and serve's log says its caller was never answered.
  VictimBehindHolder b;
  auto& [dir, port, hook, written, serve, holder, id] = b;
  serve.Kill9();
  const std::string logs = dir + "/store/serve/logs/";
  MarkUnanswered(logs, holder);
  serve.Start();
  CHECK(serve.LogSays("run " + holder +
                      " died with serve: its failure is being sent (its caller "
                      "was never answered, and may have sent the request again as another run: "
                      "resume this one only if none did)"));
  CHECK(serve.Finished(holder) == "interrupted");
  INFO(serve.Log());
  CHECK_THAT(serve.Log(), !Catch::Contains("run " + id +
                                           " died with serve: its failure is being "
                                           "sent (its caller"));  // answered: said as before
  WriteFile(dir, "gate.go", "");
}

TEST_CASE("serve's sweep of what the serve before left spares the files of a run it is starting",
          "[serve][owed]") {
  // Found by two tests failing once under load: a trigger answered while serve took up what
  // the serve before left had the unfinished write of its marker removed by the sweep of
  // stale files (it belonged to no run serve knew yet), and was answered 500. The store is
  // held at the start, so the sweep comes later, while the trigger's marker write is slow.
  std::string dir = ServeDir();
  int port = FreePort();
  Receiver hook(dir, "hook", port);
  WriteFile(dir, "rb/dr.yaml", Drill(dir, "dr", port, ""));
  WriteLockRunbooks(dir, port);
  ServeProcess serve(
      dir, {}, "http",
      {"LD_PRELOAD=" + std::string(RUNBOOK_FAIL_RENAME), "RUNBOOK_TEST_FAIL_RENAME=.running.tmp.",
       "RUNBOOK_TEST_DELAY_RENAME_MS=4000", "RUNBOOK_TEST_DELAY_RENAME_IF=" + dir + "/slow",
       "RUNBOOK_TEST_FAIL_RENAME_NONE=1", "ASAN_OPTIONS=verify_asan_link_order=0",
       "RUNBOOK_TEST_ZZ5_KEY=swept-key"});
  // A run left behind, to be marked interrupted: with the store held, the next serve takes
  // it up (and sweeps the folder) only once the store is free.
  StartRun(serve, "holder", "h");
  REQUIRE(Shell("for i in $(seq 200); do [ -e " + dir +
                "/gate.held ] && exit 0; sleep 0.1; done; exit 1")
              .exit_code == 0);
  serve.Kill9();
  int locker = LockStore(dir, 60);
  serve.Start();
  WriteFile(dir, "slow", "");  // the trigger's marker writes now take 4 s each
  std::thread free_store([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the marker's write waits
    StopServer(locker);
  });
  Command posted = serve.Http("POST", "/api/v1/runbooks/dr/runs", "{}");
  free_store.join();
  INFO(posted.out);
  REQUIRE_THAT(posted.out, Catch::EndsWith("201"));
  CHECK(serve.LogSays("the store can be written: the runs the serve before left are looked at"));
  const std::string id =
      ParseJson(posted.out.substr(0, posted.out.rfind('\n'))).value().Find("run_id")->as_string();
  CHECK(serve.Finished(id) == "success");
}
