// The audit store against a real SQLite file: the chain, verification after tampering with
// the sqlite3 tool, signed heads and truncation, locks held by gone processes.
#include "engine/audit/store.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "engine/audit/verify.h"
#include "engine/util/crypto.h"
#include "engine/util/proc_identity.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::unique_ptr<AuditStore> StoreWithEvents(const std::string& path, int count) {
  auto store = AuditStore::Open(path);
  REQUIRE(store.ok());
  for (int i = 0; i < count; ++i) {
    Value body(Value::Map{{"status", Value("success")}, {"n", Value(int64_t{i})}});
    REQUIRE(
        store.value()->Append("run-1", "attempt_finished", "s" + std::to_string(i), 1, body).ok());
  }
  return std::move(store).value();
}

std::string Verify(const std::string& path, const std::string& public_key = "") {
  auto store = AuditStore::Open(path);
  REQUIRE(store.ok());
  auto r = VerifyChain(*store.value(), public_key);
  REQUIRE(r.ok());
  if (r.value().ok) return "ok " + std::to_string(r.value().events);
  return r.value().problem;
}

void Sql(const std::string& path, const std::string& sql) {
  Command c = Shell("sqlite3 '" + path + "' \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
}

// What `sql` prints, waiting out a writer (5 s at most).
std::string Query(const std::string& path, const std::string& sql) {
  Command c = Shell("sqlite3 -cmd '.timeout 5000' '" + path + "' \"" + sql + "\"");
  REQUIRE(c.exit_code == 0);
  return c.out;
}

}  // namespace

TEST_CASE("an intact chain verifies, each kind of tampering names the first bad event", "[audit]") {
  std::string dir = TempDir();
  std::string db = dir + "/audit.db";
  StoreWithEvents(db, 6);
  CHECK(Verify(db) == "ok 6");

  SECTION("a changed field") {
    Sql(db, "UPDATE events SET body=replace(body,'success','failure') WHERE seq=4");
    CHECK(Verify(db) == "event 4: its content does not match its hash (the row was modified)");
  }
  SECTION("a deleted row") {
    Sql(db, "DELETE FROM events WHERE seq=3");
    CHECK(Verify(db) == "event 3: expected event 3 here, found 4 (events deleted or inserted)");
  }
  SECTION("two rows swapped") {
    Sql(db,
        "UPDATE events SET seq=-1 WHERE seq=2; UPDATE events SET seq=2 WHERE seq=3; "
        "UPDATE events SET seq=3 WHERE seq=-1;");
    CHECK(Verify(db) ==
          "event 2: its prev_hash does not match the event before it (an event before it was "
          "deleted, inserted or changed, or rows were reordered)");
  }
  SECTION("a forged row inserted with a correct-looking hash") {
    Sql(db,
        "INSERT INTO events SELECT 7, run_id, kind, at, step, attempt, body, hash, hash "
        "FROM events WHERE seq=6");
    CHECK(Verify(db) == "event 7: its content does not match its hash (the row was modified)");
  }
}

TEST_CASE("a signed head detects a truncated tail, with its key or without", "[audit]") {
  std::string dir = TempDir();
  std::string db = dir + "/audit.db";
  REQUIRE(Shell("cd " + dir +
                " && openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null"
                " && openssl pkey -in key.pem -pubout -out pub.pem")
              .exit_code == 0);
  {
    auto store = StoreWithEvents(db, 5);
    auto tip = store->Tip();
    REQUIRE(tip.ok());
    auto sig = Ed25519Sign(dir + "/key.pem", HeadMessage(tip.value().first, tip.value().second));
    REQUIRE(sig.ok());
    REQUIRE(store->AddHead({tip.value().first, tip.value().second, "k", sig.value(), "t"}).ok());
  }
  CHECK(Verify(db, dir + "/pub.pem") == "ok 5");
  // Another key does not vouch for the head.
  REQUIRE(Shell("cd " + dir +
                " && openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null"
                " && openssl pkey -in other.pem -pubout -out other.pub")
              .exit_code == 0);
  // Another key does not vouch for the head, and is named as another key (breakO O22).
  CHECK_THAT(Verify(db, dir + "/other.pub"),
             Catch::StartsWith("the head at event 5 is signed with key k, not with the key given"));
  Sql(db, "DELETE FROM events WHERE seq>=4");
  // Without a key too (breakQ Q3): a stored head past the chain's end is a truncation.
  CHECK(Verify(db) ==
        "the chain ends at event 3 but a signed head covers 5 (the tail was truncated)");
  CHECK(Verify(db, dir + "/pub.pem") ==
        "the chain ends at event 3 but a signed head covers 5 (the tail was truncated)");
}

TEST_CASE("a lock held by a live process refuses, one held by a gone process is taken",
          "[audit][lock]") {
  std::string db = TempDir() + "/audit.db";
  auto store = AuditStore::Open(db);
  REQUIRE(store.ok());
  auto first = store.value()->TryLock("restore-prod", "run-1");
  REQUIRE(first.ok());
  CHECK_FALSE(first.value().has_value());
  // Pretend another live process (pid 1 on this host) holds it.
  Sql(db, "UPDATE locks SET run_id='run-0', pid=1, pid_start=''");
  auto second = store.value()->TryLock("restore-prod", "run-2");
  REQUIRE(second.ok());
  REQUIRE(second.value().has_value());
  CHECK(second.value()->run_id == "run-0");
  // A pid that does not exist: the holder is gone, the lock is free.
  Sql(db, "UPDATE locks SET pid=999999999");
  auto third = store.value()->TryLock("restore-prod", "run-2");
  REQUIRE(third.ok());
  CHECK_FALSE(third.value().has_value());
}

TEST_CASE("a store written by a newer schema is refused with its version", "[audit]") {
  std::string db = TempDir() + "/audit.db";
  REQUIRE(AuditStore::Open(db).ok());
  Sql(db, "PRAGMA user_version=99");
  auto again = AuditStore::Open(db);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().message() ==
        "audit store " + db + ": written by a newer runbook (schema 99, this one knows 1)");
}

TEST_CASE("a sweep frees a stale lock only from the holder it judged gone, never a new holder's",
          "[audit][lock]") {
  // The newcomer round of 2026-12-06: MarkInterrupted read the locks, judged one's holder gone,
  // and deleted the lock by its name; a run that took it in between (TryLock replaces a gone
  // holder) lost it, and a run waiting for it took it too: two runs under one lock. Here a
  // sweeper and a taker race on two connections, a gone holder put back before each round.
  std::string db = TempDir() + "/audit.db";
  auto sweeper = AuditStore::Open(db);
  auto taker = AuditStore::Open(db);
  REQUIRE(sweeper.ok());
  REQUIRE(taker.ok());
  std::atomic<bool> done{false};
  std::thread sweeps([&] {
    while (!done) (void)sweeper.value()->MarkInterrupted();
  });
  // Many stale locks at once: a sweep reads them all before it frees any, a window a taker
  // falls into.
  std::string values;
  for (int n = 0; n < 300; ++n)
    values += std::string(n ? "," : "") + "('l" + std::to_string(n) + "', 'gone', '" +
              SelfIdentity().host + "', 999999999, '', '')";
  int lost = 0, taken = 0;
  for (int round = 0; round < 10; ++round) {
    Query(db,
          "INSERT OR REPLACE INTO locks(name, run_id, host, pid, pid_start, acquired_at) "
          "VALUES" +
              values);
    const std::string me = "run-" + std::to_string(round);
    std::set<std::string> mine;
    for (int n = 0; n < 300; ++n) {
      auto took = taker.value()->TryLock("l" + std::to_string(n), me);
      if (took.ok() && !took.value()) mine.insert("l" + std::to_string(n));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the sweeps in flight end
    const std::string held = Query(db, "SELECT name FROM locks WHERE run_id='" + me + "'");
    for (const std::string& name : mine) {
      ++taken;
      if (("\n" + held).find("\n" + name + "\n") == std::string::npos) ++lost;
    }
  }
  INFO(taken << " locks taken");
  CHECK(taken > 0);
  done = true;
  sweeps.join();
  CHECK(lost == 0);
}
