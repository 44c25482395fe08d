// What a run kept while its store was locked (engine/audit/unrecorded.h): the file's lines, cut
// back once recorded, read whole lines of its own run only, and recorded late into a real
// store once, only what the run could have done, never into a run that ended or was resumed.
#include "engine/audit/unrecorded.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/audit/verify.h"
#include "engine/util/json.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

AuditStore::NewEvent Event(const std::string& kind, const std::string& step, int64_t attempt,
                           Value::Map body = {}) {
  return {kind, step, attempt, Value(std::move(body))};
}

// Attempt 1 of `step` ended, and the step with it.
std::vector<AuditStore::NewEvent> Ended(const std::string& step) {
  return {Event("attempt_finished", step, 1, {{"status", Value("success")}}),
          Event("step_finished", step, 0,
                {{"outcome", Value("success")}, {"attempts", Value(int64_t{1})}})};
}

// A store whose run `id` started and began attempt 1 of step `a`.
std::unique_ptr<AuditStore> StoreWithRun(const std::string& db, const std::string& id) {
  auto store = AuditStore::Open(db);
  REQUIRE(store.ok());
  REQUIRE(store.value()
              ->Append(id, "run_started", "", 0,
                       Value(Value::Map{{"runbook", Value("rb")}, {"kind", Value("backup")}}))
              .ok());
  REQUIRE(store.value()->AppendAll(id, {Event("attempt_started", "a", 1)}).ok());
  return std::move(store).value();
}

size_t Count(AuditStore& store, const std::string& id, const std::string& kind) {
  auto events = store.RunEvents(id);
  REQUIRE(events.ok());
  return static_cast<size_t>(std::count_if(events.value().begin(), events.value().end(),
                                           [&](const AuditEvent& e) { return e.kind == kind; }));
}

void Keep(const std::string& path, const std::string& id,
          const std::vector<AuditStore::NewEvent>& events) {
  REQUIRE(KeepUnrecorded(path, id, events, "2026-12-06T09:00:00Z").ok());
}

}  // namespace

TEST_CASE("unrecorded: a batch is kept before the store takes it, and cut once it has",
          "[audit][unrecorded]") {
  std::string dir = TempDir();
  std::string path = dir + "/run.unrecorded";
  std::vector<AuditStore::NewEvent> batch = Ended("a");
  batch.push_back(Event("attempt_started", "gate", 1, {{"type", Value("approval")}}));
  auto size = KeepUnrecorded(path, "run-1", batch, "2026-12-06T09:00:00Z");
  REQUIRE(size.ok());
  CHECK(size.value() == 0);
  Unrecorded kept = ReadUnrecorded(path, "run-1");
  REQUIRE(kept.facts.size() == 2);  // the write-ahead start is no fact
  CHECK(kept.facts[1].kind == "step_finished");
  CHECK(kept.facts[0].body.Find("recorded_late")->Find("happened_at")->as_string() ==
        "2026-12-06T09:00:00Z");
  REQUIRE(kept.starting.has_value());
  CHECK(kept.starting->step == "gate");
  CHECK(kept.starting->type == "approval");
  CHECK(kept.waiting);
  CHECK(ReadUnrecorded(path, "run-2").facts.empty());  // each line names its run
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  SECTION("recorded: cut back to where it was, earlier batches kept") {
    auto second = KeepUnrecorded(path, "run-1", Ended("b"), "2026-12-06T09:00:01Z");
    REQUIRE(second.ok());
    CHECK(second.value() > 0);
    REQUIRE(Unkeep(path, second.value()).ok());
    Unrecorded after = ReadUnrecorded(path, "run-1");
    REQUIRE(after.facts.size() == 2);
    CHECK(after.facts[0].step == "a");
    REQUIRE(Unkeep(path, 0).ok());
    CHECK_FALSE(ReadUnrecorded(path, "run-1").waiting);
  }
  SECTION("a last line cut short by a kill is not read") {
    WriteFile(dir, "run.unrecorded",
              ReadFile(path) + "{\"run\":\"run-1\",\"facts\":[{\"kind\":\"step_finished\"");
    CHECK(ReadUnrecorded(path, "run-1").facts.size() == 2);
  }
  SECTION("a symbolic link is neither written through nor read; a FIFO is never opened") {
    std::string other = WriteFile(dir, "other", "");
    std::string link = dir + "/link.unrecorded";
    REQUIRE(::symlink(other.c_str(), link.c_str()) == 0);
    CHECK_FALSE(KeepUnrecorded(link, "run-1", Ended("a"), "t").ok());
    CHECK(ReadFile(other).empty());
    REQUIRE(::symlink(path.c_str(), (link + "2").c_str()) == 0);
    CHECK_FALSE(ReadUnrecorded(link + "2", "run-1").waiting);
    std::string fifo = dir + "/fifo.unrecorded";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(KeepUnrecorded(fifo, "run-1", Ended("a"), "t").ok());  // breakZZ ZZ6: no hang
  }
  SECTION("a file larger than a run keeps is not read") {
    WriteFile(dir, "big.unrecorded", std::string(kMaxUnrecordedBytes + 1, '\n'));
    Unrecorded big = ReadUnrecorded(dir + "/big.unrecorded", "run-1");
    CHECK(big.facts.empty());
    CHECK_THAT(big.unreadable, Catch::Contains("more than a run keeps"));
  }
}

TEST_CASE("unrecorded: facts are recorded late once, into a run still open to them",
          "[audit][unrecorded]") {
  std::string dir = TempDir();
  auto store = StoreWithRun(dir + "/audit.db", "run-1");
  std::string path = dir + "/run-1.unrecorded";
  std::vector<AuditStore::NewEvent> batch = Ended("a");
  batch.push_back(Event("attempt_started", "b", 1, {{"type", Value("exec")}}));
  Keep(path, "run-1", batch);
  Keep(path, "run-1", {Event("run_finished", "", 0, {{"status", Value("failure")}})});
  Keep(path, "run-1", {Event("notification", "", 0, {{"index", Value(int64_t{0})}})});

  SECTION("into a run marked interrupted meanwhile, then nothing more") {
    REQUIRE(store->Append("run-1", "run_interrupted", "", 0, Value(Value::Map{})).ok());
    auto late = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 4);
    CHECK(Count(*store, "run-1", "attempt_finished") == 1);
    CHECK(Count(*store, "run-1", "step_finished") == 1);
    CHECK(Count(*store, "run-1", "notification") == 1);
    CHECK(Count(*store, "run-1", "attempt_started") == 1);  // b never began
    auto again = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(again.ok());
    CHECK(again.value().recorded == 0);
    auto verified = VerifyChain(*store, "");
    REQUIRE(verified.ok());
    CHECK(verified.value().ok);
  }
  SECTION("what the run recorded itself is not recorded twice") {
    REQUIRE(store->AppendAll("run-1", Ended("a")).ok());
    auto late = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 2);  // the end and the notification only
    CHECK(late.value().skipped == 0);
    CHECK(Count(*store, "run-1", "step_finished") == 1);
  }
  SECTION("never what the run could not have left unrecorded (breakZZ ZZ2, ZZ4)") {
    std::string forged = dir + "/forged.unrecorded";
    Keep(forged, "run-1",
         {Event("approval_answer", "a", 0, {{"by", Value("mallory")}}),   // not a run's to record
          Event("evil_kind", "a", 0), Event("attempt_finished", "a", 7),  // no such attempt
          Event("attempt_finished", "t", 1), Event("step_finished", "t", 0)});  // t never began
    Keep(forged, "run-2", {Event("run_finished", "", 0, {{"status", Value("success")}})});
    // breakAA AA2: an end of the run while its attempt of `a` has none; a step that never began
    // ending in success.
    Keep(forged, "run-1",
         {Event("run_finished", "", 0, {{"status", Value("success")}}),
          Event("step_finished", "u", 0,
                {{"outcome", Value("success")}, {"attempts", Value(int64_t{0})}})});
    Keep(forged, "run-1", Ended("a"));
    Keep(forged, "run-1", Ended("a"));  // the same twice: once
    auto late = RecordUnrecorded(*store, "run-1", forged);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 2);
    CHECK(late.value().skipped == 9);
    CHECK(Count(*store, "run-1", "attempt_finished") == 1);
    CHECK(Count(*store, "run-1", "step_finished") == 1);
    CHECK(Count(*store, "run-1", "approval_answer") == 0);
    CHECK(Count(*store, "run-1", "evil_kind") == 0);
    CHECK(Count(*store, "run-1", "run_finished") == 0);  // another run's line
  }
  SECTION("dated within the run: never before its start nor after now (breakAA AA6)") {
    auto events = store->RunEvents("run-1");
    REQUIRE(events.ok());
    const std::string started_at = events.value().front().at;
    std::string odd = dir + "/odd.unrecorded";
    REQUIRE(KeepUnrecorded(odd, "run-1", {Ended("a")[0]}, "2020-01-01T00:00:00.000Z").ok());
    REQUIRE(KeepUnrecorded(odd, "run-1", {Ended("a")[1]}, "2199-01-01T00:00:00.000Z").ok());
    REQUIRE(KeepUnrecorded(odd, "run-1",
                           {Event("run_finished", "", 0, {{"status", Value("success")}})},
                           "not a time")
                .ok());
    auto late = RecordUnrecorded(*store, "run-1", odd);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 2);
    CHECK(late.value().skipped == 0);  // a line with no time: none the run wrote, not read
    auto after = store->RunEvents("run-1");
    REQUIRE(after.ok());
    std::vector<std::string> dated;
    for (const AuditEvent& e : after.value()) {
      if (e.kind != "attempt_finished" && e.kind != "step_finished") continue;
      auto body = ParseJson(e.body);
      REQUIRE(body.ok());
      dated.push_back(body.value().Find("recorded_late")->Find("happened_at")->as_string());
    }
    REQUIRE(dated.size() == 2);
    CHECK(dated[0] == started_at);  // not before the run began
    CHECK(dated[1] < "2999");       // not in the future
    CHECK(dated[1] >= started_at);
    CHECK(Count(*store, "run-1", "run_finished") == 0);
  }
  SECTION("never into a run that ended or was resumed since") {
    const std::string sections[] = {"ended", "resumed"};
    for (const std::string& how : sections) {
      std::string id = "run-" + how;
      auto other = StoreWithRun(dir + "/" + how + ".db", id);
      std::string kept = dir + "/" + id + ".unrecorded";
      Keep(kept, id, Ended("a"));
      if (how == "ended") {
        REQUIRE(
            other
                ->Append(id, "run_finished", "", 0, Value(Value::Map{{"status", Value("success")}}))
                .ok());
      } else {
        REQUIRE(other->Append(id, "run_interrupted", "", 0, Value(Value::Map{})).ok());
        REQUIRE(
            other
                ->Append("run-next", "run_started", "", 0,
                         Value(Value::Map{{"runbook", Value("rb")}, {"resumed_from", Value(id)}}))
                .ok());
      }
      auto late = RecordUnrecorded(*other, id, kept);
      REQUIRE(late.ok());
      CHECK(late.value().recorded == 0);
      CHECK_THAT(late.value().refused, Catch::Contains(how == "ended" ? "recorded success already"
                                                                      : "was resumed since"));
      CHECK(Count(*other, id, "step_finished") == 0);
    }
  }
}

TEST_CASE("unrecorded: a delivery of a run the store lacks waits for the run's record",
          "[audit][unrecorded]") {
  // breakCC CC1: serve's helper of a run that never began sent a page before the store took
  // the run's record; the page is recorded once the run is, never before its start, never
  // counted as not the run's.
  std::string dir = TempDir();
  auto store = AuditStore::Open(dir + "/audit.db");
  REQUIRE(store.ok());
  std::string path = dir + "/run-9.unrecorded";
  Keep(path, "run-9", {Event("notification", "", 0, {{"index", Value(int64_t{0})}})});
  auto early = RecordUnrecorded(*store.value(), "run-9", path);
  REQUIRE(early.ok());
  CHECK(early.value().recorded == 0);
  CHECK(early.value().skipped == 0);  // it waits: nothing to warn of
  CHECK(early.value().refused.empty());
  CHECK(Count(*store.value(), "run-9", "notification") == 0);
  // Recorded as a run that never began is: started (late, when its request was taken) and
  // interrupted, with no run_finished.
  REQUIRE(store.value()
              ->Append("run-9", "run_started", "", 0,
                       Value(Value::Map{
                           {"runbook", Value("rb")},
                           {"kind", Value("drill")},
                           {"recorded_late", Value(Value::Map{{"happened_at", Value("2026-12-06T08:"
                                                                                    "59:00Z")}})}}))
              .ok());
  REQUIRE(store.value()->Append("run-9", "run_interrupted", "", 0, Value(Value::Map{})).ok());
  auto late = RecordUnrecorded(*store.value(), "run-9", path);
  REQUIRE(late.ok());
  CHECK(late.value().recorded == 1);
  auto events = store.value()->RunEvents("run-9");
  REQUIRE(events.ok());
  REQUIRE(events.value().back().kind == "notification");
  // Dated when it was sent (Keep's time), which is after the run's start as it happened,
  // though before the start was recorded.
  CHECK_THAT(events.value().back().body, Catch::Contains("2026-12-06T09:00:00Z"));
  auto again = RecordUnrecorded(*store.value(), "run-9", path);
  REQUIRE(again.ok());
  CHECK(again.value().recorded == 0);
}
