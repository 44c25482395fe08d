// A run serve started that is not recorded yet, as the API lists it (serve/starting_runs.h).
#include "serve/starting_runs.h"

#include <catch2/catch.hpp>

using namespace runbook;

TEST_CASE("starting runs: the last waiting line of the log is what it waits for", "[serve]") {
  CHECK(WaitingLine("").empty());
  CHECK(WaitingLine("runbook: audit store x (--audit-db)\n").empty());
  CHECK(WaitingLine("runbook: audit store x\nrunbook: waiting for lock 'a', held by run r1\n") ==
        "waiting for lock 'a', held by run r1");
  // The last one: the lock freed, then the store locked.
  CHECK(WaitingLine("runbook: waiting for lock 'a', held by run r1\nrunbook: the audit store is "
                    "busy: waiting to record the run (--wait)") ==
        "the audit store is busy: waiting to record the run (--wait)");
  CHECK(WaitingLine("runbook: the audit store is busy (database is locked): still waiting for "
                    "lock 'a'\n") ==
        "the audit store is busy (database is locked): still waiting for lock 'a'");
  CHECK(WaitingLine("runbook: the audit store is busy\n").empty());
  // The lock held by what an interrupted run left (newcomer round: "waiting" was "").
  CHECK(WaitingLine("runbook: waiting: lock 'a' is held by what run r1 left: it was "
                    "interrupted, and processes its steps started still run:\n  8303 sleep "
                    "600\n") ==
        "waiting: lock 'a' is held by what run r1 left: it was interrupted, and processes its "
        "steps started still run:");
  CHECK(WaitingLine("step output: runbook: waiting for nothing\n").empty());  // not at a start
}

TEST_CASE("starting runs: listed with a recorded run's fields, status starting", "[serve]") {
  LaunchedRun run;
  run.run_id = "20261206T100000Z-abcdef";
  run.runbook = "dr";
  run.trigger = Value(Value::Map{{"kind", Value("api")}, {"by", Value("ops")}});
  Value v = StartingRunValue(run, "drill", "runbook: waiting for lock 'l', held by run x\n");
  CHECK(v.Find("status")->as_string() == "starting");
  CHECK(v.Find("kind")->as_string() == "drill");
  CHECK(v.Find("waiting")->as_string() == "waiting for lock 'l', held by run x");
  CHECK(v.Find("started_at")->as_string().empty());
  CHECK(v.Find("duration_ms")->is_null());
  CHECK(v.Find("altered")->as_list().empty());
  CHECK(v.Find("trigger")->Find("by")->as_string() == "ops");
}

TEST_CASE("starting runs: their params as kept, a withheld one by its mask only", "[serve]") {
  CHECK(StartingParams(std::nullopt).is_null());  // none kept yet
  KeptParams kept;
  kept.params = {{"tag", Value("v")}, {"count", Value(int64_t{3})}};
  kept.withheld = {"token", "lost"};
  kept.masks = {{"token", Value("tok-***")}};
  const Value shown = StartingParams(kept);
  CHECK(shown.Find("tag")->ToText() == "v");
  CHECK(shown.Find("count")->as_int() == 3);
  CHECK(shown.Find("token")->ToText() == "tok-***");
  CHECK(shown.Find("lost")->ToText() == "***");  // no mask kept: never anything else
}
