// serve's scheduler (serve/scheduler.h) on an injected FakeClock, ticking minute by minute of
// its time, with real runs started through the real launcher: DST days in Europe/Madrid,
// overlap rules, and a restart after downtime that follows `catchup`.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "serve/scheduler.h"
#include "support/fake_clock.h"
#include "support/serve_process.h"
#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;
using namespace std::chrono_literals;

namespace {

// A folder with rb/ (the runbooks), logs/ and a store; the scheduler's say lines.
struct Bench {
  std::string dir = TempDir();
  std::string audit_db = dir + "/audit.db";
  std::string state = dir + "/scheduler.json";
  std::vector<std::string> said;
  std::unique_ptr<Launcher> launcher;

  Bench() {
    Shell("mkdir -p " + dir + "/rb " + dir + "/logs");
    launcher = std::make_unique<Launcher>(Binary(), audit_db, dir + "/logs");
  }
  void Runbook(const std::string& file, const std::string& text) {
    WriteFile(dir + "/rb", file, text);
  }
  std::shared_ptr<const Catalog> Catalog_() {
    std::string error;
    auto catalog = Catalog::Load(Builtins(), dir + "/rb", error);
    INFO(error);
    REQUIRE(error.empty());
    for (const CatalogEntry& e : catalog->entries()) {
      INFO(e.file << ": " << e.problems);
      REQUIRE(e.runbook != nullptr);
    }
    return catalog;
  }
  Scheduler Make(const Clock& clock) {
    return Scheduler(clock, *launcher, audit_db, state,
                     [this](const std::string& line) { said.push_back(line); });
  }
  // Ticks every minute of `clock` for `minutes`, moving it on.
  void TickEveryMinute(Scheduler& s, FakeClock& clock, int minutes) {
    auto catalog = Catalog_();
    for (int i = 0; i < minutes; ++i) {
      s.Tick(*catalog);
      clock.Advance(1min);
    }
    s.Tick(*catalog);
  }
  // Waits (30 s at most) until no run of `runbook` started here still runs.
  void WaitIdle(const std::string& runbook) {
    for (int i = 0; i < 300 && !launcher->Running(runbook).empty(); ++i)
      std::this_thread::sleep_for(100ms);
    REQUIRE(launcher->Running(runbook).empty());
  }
  std::vector<std::string> Said(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const std::string& line : said)
      if (line.rfind(prefix, 0) == 0) out.push_back(line);
    return out;
  }
  std::string All() const {
    std::string text;
    for (const std::string& line : said) text += line + "\n";
    return text;
  }
};

FakeClock ClockAt(const std::string& utc) { return FakeClock(ParseUtc(utc).value()); }

std::string Nightly(const std::string& cron) {
  return "version: 1\nname: nightly\non:\n  schedule:\n    - cron: '" + cron +
         "'\n      timezone: Europe/Madrid\nsteps:\n  - {id: a, uses: exec, with: {run: "
         "['true']}}\n";
}

// A runbook firing every minute whose step waits until `gate` exists.
std::string Gated(const std::string& overlap, const std::string& gate,
                  const std::string& catchup = "0s") {
  return "version: 1\nname: gated\non:\n  schedule:\n    - cron: '* * * * *'\n  catchup: " +
         catchup + "\n  overlap: " + overlap +
         "\nsteps:\n  - {id: w, uses: exec, with: {run: [sh, -c, 'while [ ! -e " + gate +
         " ]; do sleep 0.1; done']}}\n";
}

}  // namespace

TEST_CASE("scheduler on a fake clock: 02:30 Madrid on the spring-forward day fires once, at 03:00",
          "[serve][schedule][clock][dst]") {
  Bench b;
  b.Runbook("nightly.yaml", Nightly("30 2 * * *"));
  FakeClock clock = ClockAt("2026-03-28T23:00:00Z");  // 00:00 CET; the gap is 02:00-03:00 local
  Scheduler s = b.Make(clock);
  b.TickEveryMinute(s, clock, 4 * 60);
  INFO(b.All());
  REQUIRE(b.Said("fired ").size() == 1);
  CHECK(b.Said("fired ")[0].find("2026-03-29T01:00:00") != std::string::npos);  // 03:00 CEST
  b.WaitIdle("nightly");
}

TEST_CASE("scheduler on a fake clock: 02:30 Madrid on the fall-back day fires once, the first",
          "[serve][schedule][clock][dst]") {
  Bench b;
  b.Runbook("nightly.yaml", Nightly("30 2 * * *"));
  FakeClock clock = ClockAt("2026-10-24T23:00:00Z");  // 01:00 CEST; 02:00-03:00 local comes twice
  Scheduler s = b.Make(clock);
  b.TickEveryMinute(s, clock, 4 * 60);
  INFO(b.All());
  REQUIRE(b.Said("fired ").size() == 1);
  CHECK(b.Said("fired ")[0].find("2026-10-25T00:30:00") != std::string::npos);  // 02:30 CEST
  b.WaitIdle("nightly");
}

TEST_CASE("scheduler on a fake clock: overlap skip and queue while a run still runs",
          "[serve][schedule][clock][overlap]") {
  Bench b;
  std::string gate = b.dir + "/gate";
  SECTION("skip: the fire during the run is skipped and said") {
    b.Runbook("gated.yaml", Gated("skip", gate));
    FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
    Scheduler s = b.Make(clock);
    b.TickEveryMinute(s, clock, 2);  // fires at 10:01, the 10:02 fire finds it running
    INFO(b.All());
    CHECK(b.Said("fired ").size() == 1);
    REQUIRE(b.Said("skipped ").size() == 1);
    CHECK(b.Said("skipped ")[0].find("(overlap: skip)") != std::string::npos);
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
  }
  SECTION("queue: the fire during the run starts once it ended, the later replacing the earlier") {
    b.Runbook("gated.yaml", Gated("queue", gate));
    FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
    Scheduler s = b.Make(clock);
    b.TickEveryMinute(s, clock, 3);  // 10:01 fires; 10:02 queued; 10:03 replaces it
    INFO(b.All());
    CHECK(b.Said("fired ").size() == 1);
    CHECK(b.Said("queued ").size() == 2);
    CHECK(b.Said("skipped ").size() == 1);  // the 10:02 fire, replaced in the queue
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
    auto catalog = b.Catalog_();
    s.Tick(*catalog);  // no time passed: only the queue is looked at
    REQUIRE(b.Said("fired ").size() == 2);
    CHECK(b.Said("fired ")[1].find("10:03:00") != std::string::npos);
    CHECK(b.Said("fired ")[1].find("queued, now free") != std::string::npos);
    b.WaitIdle("gated");
  }
}

TEST_CASE("scheduler on a fake clock: a queued fire outlives a restart, within catchup",
          "[serve][schedule][clock][overlap][catchup]") {
  // breakTT TT10: the queue lived only in serve's memory and the fire was behind the last
  // tick: a serve restarted (killed or stopped) while a fire waited never ran it, unsaid.
  Bench b;
  std::string gate = b.dir + "/gate";
  b.Runbook("gated.yaml", Gated("queue", gate, "10m"));
  FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
  {
    Scheduler before = b.Make(clock);
    b.TickEveryMinute(before, clock, 1);  // 10:01 fires; the 10:02 tick queues its fire
    clock.Advance(1min);
    before.Tick(*b.Catalog_());
    REQUIRE(b.Said("queued gated").size() == 1);
  }  // serve stops here: the queue is in scheduler.json
  CHECK_THAT(ReadFile(b.state), Catch::Contains("\"fire_at\":\"2026-06-01T10:02:00.000Z\""));
  SECTION("started again within catchup: queued again, and run once the runbook is free") {
    clock.Advance(15s);  // 10:02:45: no new fire is due
    Scheduler after = b.Make(clock);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    REQUIRE(b.Said("queued again gated").size() == 1);
    CHECK(b.Said("fired ").size() == 1);  // the 10:01 run still runs
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
    after.Tick(*b.Catalog_());
    REQUIRE(b.Said("fired ").size() == 2);
    CHECK(b.Said("fired ")[1].find("10:02:00") != std::string::npos);
    CHECK(b.Said("fired ")[1].find("queued, now free") != std::string::npos);
    b.WaitIdle("gated");
    // Started again from a state file that still holds it (killed before it was written):
    // the run of the store that carries the fire keeps it from running twice.
    WriteFile(b.dir, "scheduler.json",
              "{\"last_tick\": \"2026-06-01T10:02:45.000Z\", \"queued\": [" +
                  ToJson(ScheduleTrigger(*b.Catalog_()->Find("gated")->runbook, 0,
                                         std::chrono::floor<std::chrono::seconds>(
                                             ParseUtc("2026-06-01T10:02:00Z").value()))) +
                  "]}\n");
    Scheduler third = b.Make(clock);
    third.Tick(*b.Catalog_());
    CHECK(b.Said("fired ").size() == 2);
    CHECK(b.Said("skipped gated").size() == 1);
  }
  SECTION("started again beyond catchup: skipped, and said") {
    clock.Advance(20min);
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
    Scheduler after = b.Make(clock);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("queued again").empty());
    REQUIRE(b.Said("skipped gated (* * * * * UTC, fire 2026-06-01T10:02:00.000Z) (it waited in "
                   "the queue when serve stopped): ")
                .size() == 1);
    for (const std::string& fired : b.Said("fired "))  // 10:01, and 10:22 on time
      CHECK(fired.find("10:02:00") == std::string::npos);
    b.WaitIdle("gated");
  }
  SECTION("entries that are no past fire of the schedule, or a second one, are not run") {
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
    auto catalog = b.Catalog_();  // holds the runbook `rb` refers to
    const Runbook& rb = *catalog->Find("gated")->runbook;
    auto at = [](const char* utc) {
      return std::chrono::floor<std::chrono::seconds>(ParseUtc(utc).value());
    };
    // breakUU UU3: a fire in the future, a time no fire of `* * * * *`, and the queued 10:02
    // fire twice (the second would replace the first).
    WriteFile(b.dir, "scheduler.json",
              "{\"last_tick\": \"2026-06-01T10:02:30.000Z\", \"queued\": [" +
                  ToJson(ScheduleTrigger(rb, 0, at("2026-06-01T11:00:00Z"))) + ", " +
                  ToJson(ScheduleTrigger(rb, 0, at("2026-06-01T10:01:30Z"))) + ", " +
                  ToJson(ScheduleTrigger(rb, 0, at("2026-06-01T10:02:00Z"))) + ", " +
                  ToJson(ScheduleTrigger(rb, 0, at("2026-06-01T10:02:00Z"))) + "]}\n");
    Scheduler after = b.Make(clock);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("not run: the fire ").size() == 3);
    REQUIRE(b.Said("queued again gated").size() == 1);
    CHECK(b.Said("queued again gated")[0].find("10:02:00") != std::string::npos);
    b.WaitIdle("gated");
  }
  SECTION("its schedule changed meanwhile: not run, said") {
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("gated");
    b.Runbook("gated.yaml", Gated("queue", gate, "10m") + "# edited\n");
    std::string text = ReadFile(b.dir + "/rb/gated.yaml");
    b.Runbook("gated.yaml", text.replace(text.find("* * * * *"), 9, "*/5 * * * *"));
    Scheduler after = b.Make(clock);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("not run: the fire ").size() == 1);
    CHECK(b.Said("fired ").size() == 1);
  }
}

TEST_CASE("scheduler on a fake clock: overlap cancel_running ends the run, then the fire runs",
          "[serve][schedule][clock][overlap]") {
  // (audit of issue 16, M2: only the loader read cancel_running.) The 10:02 fire cancels the
  // 10:01 run (its step never ends by itself), and starts once that run has ended.
  Bench b;
  b.Runbook("gated.yaml", Gated("cancel_running", b.dir + "/never"));
  FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
  Scheduler s = b.Make(clock);
  b.TickEveryMinute(s, clock, 1);  // 10:01 fires
  REQUIRE(b.Said("fired ").size() == 1);
  // The run has begun (its step waits): a cancel before it had begun would leave no record.
  for (int i = 0; i < 100; ++i) {
    Command r = Shell(kSqliteWaiting + b.audit_db + " \"select count(*) from runs\" 2>/dev/null");
    if (r.out == "1\n") break;
    std::this_thread::sleep_for(100ms);
  }
  b.TickEveryMinute(s, clock, 1);  // 10:02 finds it running
  INFO(b.All());
  REQUIRE(b.Said("fired ").size() == 1);
  REQUIRE(b.Said("cancelling run ").size() == 1);
  CHECK(b.Said("cancelling run ")[0].find("(overlap: cancel_running)") != std::string::npos);
  b.WaitIdle("gated");  // the cancelled run ends
  auto catalog = b.Catalog_();
  s.Tick(*catalog);  // no time passed: the fire waiting for the cancel starts now
  REQUIRE(b.Said("fired ").size() == 2);
  CHECK(b.Said("fired ")[1].find("10:02:00") != std::string::npos);
  std::string first = b.Said("cancelling run ")[0].substr(15, 23);
  Command status = Shell(kSqliteWaiting + b.audit_db + " \"select status from runs where run_id='" +
                         first + "'\"");
  CHECK(status.out == "cancelled\n");
  WriteFile(b.dir, "never", "");  // the second run may end now
  b.WaitIdle("gated");
}

TEST_CASE("scheduler on a fake clock: restarted after downtime, missed fires follow catchup",
          "[serve][schedule][clock][catchup]") {
  Bench b;
  auto hourly = [](const std::string& name, const std::string& catchup) {
    return "version: 1\nname: " + name +
           "\non:\n  schedule:\n    - cron: '0 * * * *'\n  catchup: " + catchup +
           "\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n";
  };
  b.Runbook("a.yaml", hourly("within", "1h"));
  b.Runbook("b.yaml", hourly("beyond", "10m"));
  FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
  {
    Scheduler before = b.Make(clock);
    before.Tick(*b.Catalog_());  // the last tick, in the state file; then serve is down
  }
  clock.Advance(3h + 20min);  // 13:20:30: the 11:00, 12:00 and 13:00 fires were missed
  Scheduler after = b.Make(clock);
  after.Tick(*b.Catalog_());
  INFO(b.All());
  REQUIRE(b.Said("fired ").size() == 1);
  CHECK(b.Said("fired within").size() == 1);
  CHECK(b.Said("fired within")[0].find("2026-06-01T13:00:00") != std::string::npos);
  CHECK(b.Said("not run: 2 earlier missed fire(s) of within").size() == 1);
  REQUIRE(b.Said("skipped beyond").size() == 1);
  b.WaitIdle("within");
  // Started again from the same state file (killed before it was written): nothing runs twice.
  WriteFile(b.dir, "scheduler.json", "{\"last_tick\": \"2026-06-01T10:00:30.000Z\"}\n");
  Scheduler again = b.Make(clock);
  again.Tick(*b.Catalog_());
  CHECK(b.Said("fired ").size() == 1);
  CHECK(b.Said("skipped within").size() == 1);
}

TEST_CASE(
    "scheduler on a fake clock: a last tick ahead of the clock, or none readable, is said "
    "and fires go on",
    "[serve][schedule][clock]") {
  for (std::string state : {"{\"last_tick\": \"2100-01-01T00:00:00.000Z\"}\n",
                            "{\"last_tick\": \"3000-01-01T00:00:00.000Z\"}\n", "{\"last_ti"}) {
    INFO(state);
    Bench b;
    b.Runbook("every.yaml",
              "version: 1\nname: every\non:\n  schedule:\n    - cron: '* * * * *'\n"
              "steps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
    WriteFile(b.dir, "scheduler.json", state);
    FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
    Scheduler s = b.Make(clock);
    b.TickEveryMinute(s, clock, 1);
    INFO(b.All());
    CHECK(b.Said("warning: ").size() == 1);
    CHECK(b.Said("fired every").size() == 1);  // 10:01, as if serve had just started
    b.WaitIdle("every");
  }
}

TEST_CASE("scheduler on a fake clock: a fire whose run waited for its lock is judged again",
          "[serve][schedule][clock][catchup][lock]") {
  // breakUU UU9: a run waits for its lock before it records anything; a fire whose run died
  // waiting (serve killed, or stopped) had never run, yet was lost. The state file keeps a
  // fire started until its run records its start (or ends), and the next serve judges it.
  Bench b;
  std::string gate = b.dir + "/gate";
  WriteFile(b.dir, "holder.yaml",
            "version: 1\nname: holder\nlock: L\nsteps:\n  - {id: w, uses: exec, with: {run: [sh, "
            "-c, 'touch " +
                gate + ".held; while [ ! -e " + gate + " ]; do sleep 0.1; done']}}\n");
  b.Runbook("locked.yaml",
            "version: 1\nname: locked\nlock: L\non:\n  schedule:\n    - cron: '* * * * *'\n"
            "  catchup: 10m\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  int holder = StartBackground({Binary(), "run", b.dir + "/holder.yaml", "--audit-db", b.audit_db},
                               b.dir + "/holder.log");
  REQUIRE(Shell("for i in $(seq 100); do [ -e " + gate +
                ".held ] && exit 0; sleep 0.1; done; "
                "exit 1")
              .exit_code == 0);
  FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
  std::string id;
  {
    Scheduler before = b.Make(clock);
    b.TickEveryMinute(before, clock, 1);  // 10:01 fires; its run waits for L
    REQUIRE(b.launcher->Running("locked").size() == 1);
    id = b.launcher->Running("locked")[0].run_id;
    CHECK_THAT(ReadFile(b.state), Catch::Contains("\"run_id\":\"" + id + "\""));
    ::kill(b.launcher->Running("locked")[0].pid, SIGKILL);  // dies with serve, unrecorded
    b.WaitIdle("locked");
  }
  auto none_owed = [](const std::string&) { return false; };
  SECTION("within catchup: queued again, and run once its lock is free") {
    clock.Advance(20s);
    Scheduler after = b.Make(clock);
    auto ids = after.TakeUpLaunched(none_owed);
    REQUIRE(ids.ok());
    CHECK(ids.value() == std::vector<std::string>{id});
    after.Tick(*b.Catalog_());
    INFO(b.All());
    REQUIRE(b.Said("queued again locked").size() == 1);
    CHECK_THAT(b.Said("queued again locked")[0],
               Catch::Contains("fire 2026-06-01T10:01:00.000Z): its run had not started when "
                               "serve stopped (it had recorded nothing)"));
    REQUIRE(b.Said("fired ").size() == 2);  // 10:01 first, then again from the queue
    CHECK_THAT(b.Said("fired ")[1], Catch::Contains("10:01:00.000Z): queued, now free"));
    WriteFile(b.dir, "gate", "");
    b.WaitIdle("locked");
    std::string again = b.Said("fired ")[1].substr(b.Said("fired ")[1].rfind(' ') + 1);
    auto ran = b.launcher->Launched(again);
    REQUIRE(ran.has_value());
    CHECK(ran->exit_code == 0);
    after.Tick(*b.Catalog_());
    CHECK_THAT(ReadFile(b.state), !Catch::Contains("\"run_id\""));  // recorded: let go
  }
  SECTION("beyond catchup: skipped, and said") {
    clock.Advance(15min);
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched(none_owed).value().size() == 1);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("queued again").empty());
    CHECK(b.Said("skipped locked (* * * * * UTC, fire 2026-06-01T10:01:00.000Z) (its run had not "
                 "started")
              .size() == 1);
  }
  SECTION("a run whose end serve was telling (refused) is not run again") {
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched([](const std::string&) { return true; }).value().empty());
    after.Tick(*b.Catalog_());
    CHECK(b.Said("queued again").empty());
  }
  SECTION("a later fire in the queue replaces it") {
    auto catalog = b.Catalog_();
    Value later = ScheduleTrigger(
        *catalog->Find("locked")->runbook, 0,
        std::chrono::floor<std::chrono::seconds>(ParseUtc("2026-06-01T10:02:00Z").value()));
    // As the state is when serve stops at 10:02:10, the 10:02 fire queued behind the run.
    std::string state = ReadFile(b.state);
    state.replace(state.find("\"queued\":[]"), 11, "\"queued\":[" + ToJson(later) + "]");
    state.replace(state.find("2026-06-01T10:01:30.000Z"), 24, "2026-06-01T10:02:10.000Z");
    WriteFile(b.dir, "scheduler.json", state);
    clock.Advance(60s);  // 10:02:30
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched(none_owed).value().size() == 1);
    after.Tick(*catalog);
    INFO(b.All());
    CHECK(b.Said("not run: the fire ").size() == 1);
    CHECK_THAT(b.Said("not run: the fire ")[0],
               Catch::Contains("another fire of its runbook waits in the queue"));
    REQUIRE(b.Said("queued again locked").size() == 1);
    CHECK_THAT(b.Said("queued again locked")[0], Catch::Contains("10:02:00"));
  }
  SECTION("a later fire of its schedule ran since: skipped, only the latest runs") {
    // breakDD DD3: an older fire taken up after a restart ran behind a newer one that had run.
    auto catalog = b.Catalog_();
    Value later = ScheduleTrigger(
        *catalog->Find("locked")->runbook, 0,
        std::chrono::floor<std::chrono::seconds>(ParseUtc("2026-06-01T10:02:00Z").value()));
    Shell("mkdir -p " + b.dir + "/other");
    WriteFile(b.dir + "/other", "locked.yaml",
              "version: 1\nname: locked\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
    Command ran = Shell(Binary() + " run " + b.dir + "/other/locked.yaml --audit-db " + b.audit_db +
                        " --trigger '" + ToJson(later) + "'");
    INFO(ran.err);
    REQUIRE(ran.exit_code == 0);
    clock.Advance(20s);
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched(none_owed).value().size() == 1);
    after.Tick(*catalog);
    INFO(b.All());
    CHECK(b.Said("queued again").empty());
    CHECK(b.Said("skipped locked (* * * * * UTC, fire 2026-06-01T10:01:00.000Z): a later fire of "
                 "its schedule (2026-06-01T10:02:00.000Z) ran already")
              .size() == 1);
  }
  // The 10:01 fire's trigger, as its run records it.
  const std::string fire = ToJson(ScheduleTrigger(
      *b.Catalog_()->Find("locked")->runbook, 0,
      std::chrono::floor<std::chrono::seconds>(ParseUtc("2026-06-01T10:01:00Z").value())));
  SECTION("an entry naming a run another fire (or none) started: judged again") {
    // breakVV VV6: the holder's run is in the store, but not this fire's: the fire was dropped.
    std::string holder_id = LatestRunId(b.audit_db);
    std::string state = ReadFile(b.state);
    state.replace(state.find(id), id.size(), holder_id);
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler after = b.Make(clock);
    auto ids = after.TakeUpLaunched(none_owed);
    REQUIRE(ids.ok());
    CHECK(ids.value() == std::vector<std::string>{holder_id});
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("queued again locked").size() == 1);
  }
  SECTION("damaged entries are said, not dropped unsaid") {
    std::string state = ReadFile(b.state);
    state.replace(state.find("\"launched\":["), 12, "\"launched\":[1,{\"run_id\":5},");
    state.replace(state.find("\"queued\":[]"), 11, "\"queued\":\"x\"");  // breakWW WW6
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched(none_owed).value().size() == 1);  // the good one
    after.Tick(*b.Catalog_());
    INFO(b.All());
    REQUIRE(b.Said("warning: ").size() == 1);
    CHECK_THAT(b.Said("warning: ")[0],
               Catch::Contains(b.state + " holds a \"queued\" that is not a list (damaged?)") &&
                   Catch::Contains(" holds 2 launched fire(s) without a run id and trigger "
                                   "(damaged?): not judged again"));
  }
  SECTION("no last tick: the launched fire is judged all the same; a queued non-fire is said") {
    // breakWW WW6: without a last tick the launched fires were dropped (not named), and a
    // queued entry that is no fire was said as "its runbook or schedule is no longer here".
    std::string state = ReadFile(b.state);
    size_t tick = state.find("\"last_tick\":\"");
    REQUIRE(tick != std::string::npos);
    state.erase(tick, state.find(',', tick) + 1 - tick);
    state.replace(state.find("\"queued\":[]"), 11, "\"queued\":[7,{\"kind\":\"api\"}]");
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler after = b.Make(clock);
    REQUIRE(after.TakeUpLaunched(none_owed).value().size() == 1);
    after.Tick(*b.Catalog_());
    INFO(b.All());
    REQUIRE(b.Said("warning: ").size() == 1);
    CHECK_THAT(b.Said("warning: ")[0], Catch::Contains("holds no last tick (damaged?)"));
    CHECK(b.Said("not run: the entry 7 of " + b.state + " is not a fire (damaged?)").size() == 1);
    CHECK(b.Said("not run: the entry {\"kind\":\"api\"} of ").size() == 1);
    CHECK(b.Said("queued again locked").size() == 1);
  }
  SECTION("a fire whose run recorded its start, and a store that cannot be read") {
    // A run that recorded this fire's trigger (no lock: the holder keeps L).
    WriteFile(b.dir, "free.yaml",
              "version: 1\nname: free\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
    REQUIRE(Shell(Binary() + " run " + b.dir + "/free.yaml --audit-db " + b.audit_db +
                  " --trigger '" + fire + "'")
                .exit_code == 0);
    std::string started_id = LatestRunId(b.audit_db);
    std::string state = ReadFile(b.state);
    state.replace(state.find(id), id.size(), started_id);
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler unreadable(clock, *b.launcher, b.dir + "/missing.db", b.state,
                         [&b](const std::string& line) { b.said.push_back(line); });
    CHECK_FALSE(unreadable.TakeUpLaunched(none_owed).ok());
    unreadable.Tick(*b.Catalog_());  // the fire is kept for when the store can be read
    CHECK_THAT(ReadFile(b.state), Catch::Contains(started_id));
    Scheduler after = b.Make(clock);
    auto ids = after.TakeUpLaunched(none_owed);
    REQUIRE(ids.ok());
    CHECK(ids.value().empty());  // it started: resumed or told as any run
    after.Tick(*b.Catalog_());
    CHECK(b.Said("queued again").empty());
    CHECK_THAT(ReadFile(b.state), !Catch::Contains("\"run_id\""));
  }
  SECTION("a fire's run the state file does not name: judged again from the file as it is") {
    // CI 2026-12-06: a serve killed between a fire's launch and the tick's write of the state
    // file left a run its marker names (trigger and all) and the file does not: its fire ran
    // again, and its run was paged as one that died with serve. The fire is judged once, from
    // what the file says: past its last tick a due fire, in its queue a queued one, else (its
    // run ended unreaped) a launched one.
    const std::vector<std::pair<std::string, Value>> marked = {{id, ParseJson(fire).value()}};
    std::string state = ReadFile(b.state);
    size_t launched = state.find("\"launched\":[");
    state.replace(launched, state.find(']', launched) + 1 - launched, "\"launched\":[]");
    std::string tick = "2026-06-01T10:01:30.000Z";
    REQUIRE(state.find(tick) != std::string::npos);
    std::string said_as = "queued again locked";
    int fired = 2;  // the first run's, then this one
    size_t said_times = 1;
    SECTION("written before the launch: a due fire") {
      state.replace(state.find(tick), tick.size(), "2026-06-01T10:00:30.000Z");
      said_as = "fired locked (* * * * * UTC, fire 2026-06-01T10:01:00.000Z): on time";
      said_times = 2;  // the first run's, then this one
    }
    SECTION("its fire kept queued") {
      state.replace(state.find("\"queued\":[]"), 11, "\"queued\":[" + fire + "]");
      said_as += " (* * * * * UTC, fire 2026-06-01T10:01:00.000Z): it waited in the queue";
    }
    SECTION("its run ended before serve reaped it") {
      said_as += " (* * * * * UTC, fire 2026-06-01T10:01:00.000Z): its run had not started";
    }
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler after = b.Make(clock);
    auto ids = after.TakeUpLaunched(none_owed, marked);
    REQUIRE(ids.ok());
    CHECK(ids.value() == std::vector<std::string>{id});
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said(said_as).size() == said_times);
    CHECK(b.Said("fired ").size() == static_cast<size_t>(fired));
    CHECK(b.Said("not run: ").empty());
    after.Tick(*b.Catalog_());
    CHECK(b.Said("fired ").size() == static_cast<size_t>(fired));  // once
  }
  SECTION("a marked run that is no fire, or that started, is not the scheduler's") {
    Value api = ParseJson("{\"kind\":\"api\",\"user\":\"op\"}").value();
    const std::string holder_id = LatestRunId(b.audit_db);  // in the store, as this fire's
    std::string state = ReadFile(b.state);
    size_t launched = state.find("\"launched\":[");
    state.replace(launched, state.find(']', launched) + 1 - launched, "\"launched\":[]");
    WriteFile(b.dir, "scheduler.json", state);
    Scheduler after = b.Make(clock);
    auto ids = after.TakeUpLaunched(none_owed, {{id, api}, {holder_id, ParseJson(fire).value()}});
    REQUIRE(ids.ok());
    CHECK(ids.value().empty());
    after.Tick(*b.Catalog_());
    INFO(b.All());
    CHECK(b.Said("queued again").empty());
  }
  WriteFile(b.dir, "gate", "");
  StopServer(holder);
}

TEST_CASE("UTC times: impossible dates and years a time point cannot hold are refused",
          "[schedule][time]") {
  CHECK(ParseUtc("2026-02-28T23:59:59Z").has_value());
  CHECK(ParseUtc("2028-02-29T00:00:00.250Z").has_value());  // a leap year
  for (const char* bad : {"2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-45T99:00:00Z",
                          "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2262-04-12T00:00:00Z",
                          "9999-12-31T00:00:00Z", "1969-12-31T23:59:59Z"}) {
    INFO(bad);
    CHECK_FALSE(ParseUtc(bad).has_value());
  }
}

TEST_CASE("scheduler on a fake clock: a killed unstarted run's fire does not run after a later one",
          "[serve][schedule][clock][lock]") {
  // breakWW WW7: 10:01's run waited for its lock, 10:02's fire was queued behind it (overlap:
  // queue); 10:01's run was killed. Serve started 10:02 first, then queued 10:01 again, which
  // ran after it. Judged as the run ends, before the queue moves, the later fire runs instead.
  Bench b;
  std::string gate = b.dir + "/gate";
  WriteFile(b.dir, "holder.yaml",
            "version: 1\nname: holder\nlock: L\nsteps:\n  - {id: w, uses: exec, with: {run: [sh, "
            "-c, 'touch " +
                gate + ".held; while [ ! -e " + gate + " ]; do sleep 0.1; done']}}\n");
  b.Runbook("locked.yaml",
            "version: 1\nname: locked\nlock: L\non:\n  schedule:\n    - cron: '* * * * *'\n"
            "  overlap: queue\nsteps:\n  - {id: a, uses: exec, with: {run: ['true']}}\n");
  int holder = StartBackground({Binary(), "run", b.dir + "/holder.yaml", "--audit-db", b.audit_db},
                               b.dir + "/holder.log");
  REQUIRE(
      Shell("for i in $(seq 100); do [ -e " + gate + ".held ] && exit 0; sleep 0.1; done; exit 1")
          .exit_code == 0);
  FakeClock clock = ClockAt("2026-06-01T10:00:30Z");
  Scheduler s = b.Make(clock);
  b.TickEveryMinute(s, clock, 2);  // 10:01 fires and waits for L; 10:02 is queued behind it
  INFO(b.All());
  REQUIRE(b.Said("queued locked").size() == 1);
  REQUIRE(b.launcher->Running("locked").size() == 1);
  const LaunchedRun killed = b.launcher->Running("locked")[0];
  REQUIRE(std::filesystem::exists(b.launcher->MarkerOf(killed.run_id)));
  ::kill(killed.pid, SIGKILL);
  b.WaitIdle("locked");
  for (const EndedRun& e : b.launcher->Reap()) CHECK(s.RunEnded(e));  // nothing owed
  // Forgotten by RunEnded itself: a serve killed next does not owe it (breakXX XX2).
  CHECK_FALSE(std::filesystem::exists(b.launcher->MarkerOf(killed.run_id)));
  CHECK(b.Said("run ").size() == 1);
  CHECK_THAT(b.Said("run ")[0],
             Catch::Contains("was killed before it started (exit 137): a later fire of locked "
                             "waits in the queue and runs instead"));
  s.Tick(*b.Catalog_());
  REQUIRE(b.Said("fired ").size() == 2);  // 10:01, then 10:02 from the queue; 10:01 never again
  CHECK_THAT(b.Said("fired ")[1],
             Catch::Contains("fire 2026-06-01T10:02:00.000Z): queued, now free"));
  WriteFile(b.dir, "gate", "");
  b.WaitIdle("locked");
  s.Tick(*b.Catalog_());
  CHECK(b.Said("fired ").size() == 2);
  StopServer(holder);
}

TEST_CASE("a run that ends on a SIGTERM once serve stops was stopped with serve, not cancelled",
          "[serve][stop]") {
  // breakCC CC3: `systemctl kill` signals every process of serve's unit at once; a run's own
  // SIGTERM made it an operator's cancel (recorded nowhere when it had not begun), though
  // serve was stopping. The launcher asks serve (StoppingWhen) as it reaps.
  bool stopping = GENERATE(false, true);
  Bench b;
  b.Runbook("slow.yaml",
            "version: 1\nname: slow\nsteps:\n  - {id: a, uses: exec, with: {run: "
            "[sh, -c, 'sleep 30']}}\n");
  b.launcher->StoppingWhen([stopping] { return stopping; });
  LaunchRequest request;
  request.runbook = "slow";
  request.file = b.dir + "/rb/slow.yaml";
  auto run = b.launcher->Start(request);
  REQUIRE(run.ok());
  REQUIRE(FileSays(run.value().log, "start a", 20));
  REQUIRE(::kill(run.value().pid, SIGTERM) == 0);  // from outside serve
  std::optional<EndedRun> ended;
  for (int i = 0; i < 200 && !ended; ++i) {
    for (EndedRun& e : b.launcher->Reap())
      if (e.run.run_id == run.value().run_id) ended = e;
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(ended.has_value());
  CHECK(ended->exit_code == 143);
  CHECK(ended->run.cancelled);
  CHECK(ended->run.stopped == stopping);
}

TEST_CASE(
    "forgetting a run removes its files, unfinished writes, and an empty directory in their place",
    "[serve][owed]") {
  Bench b;
  const std::string id = "20261206T100000Z-abcdef";
  WriteFile(b.dir + "/logs", id + ".running", "{}\n");
  WriteFile(b.dir + "/logs", id + ".params", "{}\n");
  std::filesystem::create_directory(b.launcher->UnrecordedOf(id));        // planted: empty
  std::filesystem::create_directories(b.launcher->SentOf(id) + "/kept");  // planted: not empty
  WriteFile(b.dir + "/logs", id + ".running.tmp.0a1b2c", "{");  // a write killed (breakDD DD7)
  WriteFile(b.dir + "/logs", "20261206T100000Z-ffffff.running.tmp.0a1b2c", "{");  // another's
  b.launcher->Forget(id);
  b.launcher->RemoveUnfinishedWrites(id);  // as a settled owed run is (OwedFailures::Settle)
  CHECK_FALSE(std::filesystem::exists(b.dir + "/logs/" + id + ".running.tmp.0a1b2c"));
  CHECK(std::filesystem::exists(b.dir + "/logs/20261206T100000Z-ffffff.running.tmp.0a1b2c"));
  CHECK_FALSE(std::filesystem::exists(b.launcher->MarkerOf(id)));
  CHECK_FALSE(std::filesystem::exists(b.launcher->ParamsOf(id)));
  CHECK_FALSE(std::filesystem::exists(b.launcher->UnrecordedOf(id)));
  CHECK(std::filesystem::exists(b.launcher->SentOf(id) + "/kept"));  // not serve's to empty
}
