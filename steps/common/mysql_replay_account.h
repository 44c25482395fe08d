// The account a MariaDB/MySQL dump is replayed as on the live server (restore, engine: mysql;
// breakQQ QQ1-QQ7). A dump is SQL the server runs: a lexical check (mysql_dump_reach.h)
// cannot see every way a statement reaches beyond the new database (a trigger fired by the
// dump's own rows, a function called in a VALUES list, a name split by comments, SET
// STATEMENT ... FOR). The server's own privilege check can: the dump is replayed by a
// temporary account granted only on `<db>_restore_<stamp>`, made just before the replay and
// dropped right after (pg_restore's peer practice: restore as a role that owns only the
// target). An account a killed restore left is dropped by the next restore once over an hour
// old (its name carries the time it was made).
#pragma once

#include <optional>
#include <string>

#include "engine/util/clock.h"
#include "engine/util/status.h"

namespace runbook {

struct ReplayAccount {
  std::string user;      // "rb_restore_<unix seconds>_<8 hex>": 30 bytes at most
  std::string host;      // the host part the server sees this client as (USER()'s)
  std::string password;  // 32 hex from getrandom(2) and "-Rb9"; only in a 0600 option file
};

// A new account for `host`, made at `now`. Errors: getrandom fails.
Result<ReplayAccount> NewReplayAccount(const std::string& host, Clock::Wall now);

// The privileges it gets on the new database: what mariadb-dump's output needs (tables,
// their rows, indexes, LOCK TABLES), and with `tables_only` false (switch: env) views,
// triggers and routines too. Never EVENT, FILE, SUPER or any global privilege.
std::string ReplayPrivileges(bool tables_only);

// `password` as the server stores it for mysql_native_password: "*" and the upper-case hex of
// SHA1(SHA1(password)), what PASSWORD() returns. The account is made `IDENTIFIED BY PASSWORD`
// this, so the password itself never reaches the binary log, the general log or a replica
// (breakSS SS8).
std::string NativePasswordHash(const std::string& password);

// Whether `user` is an account NewReplayAccount made more than an hour before `now`.
bool IsStaleReplayAccount(const std::string& user, Clock::Wall now);

}  // namespace runbook
