// What a run kept while its store was locked (engine/audit/unrecorded.h): the file's lines, cut
// back once recorded, read whole lines only, and recorded late into a real store once, never
// into a run that ended or was resumed since.
#include "engine/audit/unrecorded.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/audit/verify.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

AuditStore::NewEvent Ended(const std::string& step) {
  return {"step_finished", step, 0, Value(Value::Map{{"outcome", Value("success")}})};
}

AuditStore::NewEvent Starts(const std::string& step, const std::string& type) {
  return {"attempt_started", step, 1, Value(Value::Map{{"type", Value(type)}})};
}

std::unique_ptr<AuditStore> StoreWithRun(const std::string& db, const std::string& id) {
  auto store = AuditStore::Open(db);
  REQUIRE(store.ok());
  REQUIRE(store.value()
              ->Append(id, "run_started", "", 0,
                       Value(Value::Map{{"runbook", Value("rb")}, {"kind", Value("backup")}}))
              .ok());
  return std::move(store).value();
}

size_t Count(AuditStore& store, const std::string& id, const std::string& kind) {
  auto events = store.RunEvents(id);
  REQUIRE(events.ok());
  return static_cast<size_t>(std::count_if(events.value().begin(), events.value().end(),
                                           [&](const AuditEvent& e) { return e.kind == kind; }));
}

}  // namespace

TEST_CASE("unrecorded: a batch is kept before the store takes it, and cut once it has",
          "[audit][unrecorded]") {
  std::string dir = TempDir();
  std::string path = dir + "/run.unrecorded";
  auto size =
      KeepUnrecorded(path, {Ended("a"), Starts("gate", "approval")}, "2026-12-06T09:00:00Z");
  REQUIRE(size.ok());
  CHECK(size.value() == 0);
  Unrecorded kept = ReadUnrecorded(path);
  REQUIRE(kept.facts.size() == 1);  // the write-ahead start is no fact
  CHECK(kept.facts[0].kind == "step_finished");
  CHECK(kept.facts[0].body.Find("recorded_late")->Find("happened_at")->as_string() ==
        "2026-12-06T09:00:00Z");
  REQUIRE(kept.starting.has_value());
  CHECK(kept.starting->step == "gate");
  CHECK(kept.starting->type == "approval");
  CHECK(kept.waiting);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  SECTION("recorded: cut back to where it was, earlier batches kept") {
    auto second = KeepUnrecorded(path, {Ended("b")}, "2026-12-06T09:00:01Z");
    REQUIRE(second.ok());
    CHECK(second.value() > 0);
    REQUIRE(Unkeep(path, second.value()).ok());
    Unrecorded after = ReadUnrecorded(path);
    REQUIRE(after.facts.size() == 1);
    CHECK(after.facts[0].step == "a");
    REQUIRE(Unkeep(path, 0).ok());
    CHECK_FALSE(ReadUnrecorded(path).waiting);
  }
  SECTION("a last line cut short by a kill is not read") {
    WriteFile(dir, "run.unrecorded",
              ReadFile(path) + "{\"facts\":[{\"kind\":\"step_finished\",\"step\":\"c\"");
    Unrecorded after = ReadUnrecorded(path);
    CHECK(after.facts.size() == 1);
  }
  SECTION("a symbolic link is neither written through nor read") {
    std::string other = WriteFile(dir, "other", "");
    std::string link = dir + "/link.unrecorded";
    REQUIRE(::symlink(other.c_str(), link.c_str()) == 0);
    CHECK_FALSE(KeepUnrecorded(link, {Ended("a")}, "t").ok());
    CHECK(ReadFile(other).empty());
    REQUIRE(::symlink(path.c_str(), (link + "2").c_str()) == 0);
    CHECK_FALSE(ReadUnrecorded(link + "2").waiting);
  }
}

TEST_CASE("unrecorded: facts are recorded late once, into a run still open to them",
          "[audit][unrecorded]") {
  std::string dir = TempDir();
  auto store = StoreWithRun(dir + "/audit.db", "run-1");
  std::string path = dir + "/run-1.unrecorded";
  REQUIRE(KeepUnrecorded(path, {Ended("a"), Starts("b", "exec")}, "2026-12-06T09:00:00Z").ok());
  REQUIRE(KeepUnrecorded(path, {{"notification", "", 0, Value(Value::Map{{"index", Value(0)}})}},
                         "2026-12-06T09:00:02Z")
              .ok());

  SECTION("into a run marked interrupted meanwhile, then nothing more") {
    REQUIRE(store->Append("run-1", "run_interrupted", "", 0, Value(Value::Map{})).ok());
    auto late = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 2);
    CHECK(Count(*store, "run-1", "step_finished") == 1);
    CHECK(Count(*store, "run-1", "notification") == 1);
    CHECK(Count(*store, "run-1", "attempt_started") == 0);  // b never began
    auto again = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(again.ok());
    CHECK(again.value().recorded == 0);
    auto verified = VerifyChain(*store, "");
    REQUIRE(verified.ok());
    CHECK(verified.value().ok);
  }
  SECTION("what the run recorded itself is not recorded twice") {
    REQUIRE(store->AppendAll("run-1", {Ended("a")}).ok());
    auto late = RecordUnrecorded(*store, "run-1", path);
    REQUIRE(late.ok());
    CHECK(late.value().recorded == 1);  // the notification only
    CHECK(Count(*store, "run-1", "step_finished") == 1);
  }
  SECTION("never into a run that ended or was resumed since") {
    const std::string sections[] = {"ended", "resumed"};
    for (const std::string& how : sections) {
      std::string id = "run-" + how;
      auto other = StoreWithRun(dir + "/" + how + ".db", id);
      std::string kept = dir + "/" + id + ".unrecorded";
      REQUIRE(KeepUnrecorded(kept, {Ended("a")}, "t").ok());
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
