// The temporary account a MariaDB dump is replayed as (steps/common/mysql_replay_account.h):
// its name carries its time, a killed restore's is taken for stale only past an hour, and
// it is granted nothing beyond the new database.
#include "steps/common/mysql_replay_account.h"

#include <catch2/catch.hpp>
#include <chrono>

using namespace runbook;

TEST_CASE("a replay account's name, password, privileges and staleness", "[mysql][restore]") {
  Clock::Wall now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto a = NewReplayAccount("localhost", now);
  REQUIRE(a.ok());
  CHECK(a.value().user.rfind("rb_restore_1800000000_", 0) == 0);
  CHECK(a.value().user.size() == 30);
  CHECK(a.value().host == "localhost");
  CHECK(a.value().password.size() == 36);
  auto b = NewReplayAccount("localhost", now);
  REQUIRE(b.ok());
  CHECK(a.value().user != b.value().user);
  CHECK(a.value().password != b.value().password);
  // Stale: made over an hour before; never another account's name.
  CHECK_FALSE(IsStaleReplayAccount(a.value().user, now + std::chrono::minutes(59)));
  CHECK(IsStaleReplayAccount(a.value().user, now + std::chrono::minutes(61)));
  for (const char* other :
       {"root", "rb_restore_", "rb_restore_12", "rb_restore_x_abcdef12", "rb_restore_1000_abcdef1",
        "rb_restore_1000_abcdef123", "xrb_restore_1000_abcdef12", "rb_restore_-1000_abcdef1"})
    CHECK_FALSE(IsStaleReplayAccount(other, now));
  CHECK(IsStaleReplayAccount("rb_restore_1000_abcdef12", now));
  // Nothing global, no EVENT (the live scheduler would run one), no FILE.
  for (bool tables_only : {true, false}) {
    std::string p = ReplayPrivileges(tables_only);
    for (const char* never : {"ALL", "EVENT", "FILE", "SUPER", "GRANT", "PROCESS", "RELOAD"})
      CHECK(p.find(never) == std::string::npos);
  }
  CHECK(ReplayPrivileges(true).find("TRIGGER") == std::string::npos);
  CHECK(ReplayPrivileges(false).find("TRIGGER") != std::string::npos);
}

TEST_CASE("a replay account's password is sent as the server's own hash of it",
          "[mysql][restore]") {
  // What MariaDB's PASSWORD() returns (its documentation's example, and 'mypass').
  CHECK(NativePasswordHash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
  CHECK(NativePasswordHash("mypass") == "*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4");
  CHECK(NativePasswordHash("") == "*BE1BDEC0AA74B4DCB079943E70528096CCA985F8");
}
