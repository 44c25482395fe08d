// The liveness half of the audit store (store.h, Liveness): heartbeats, and the one rule
// that says whether a recorded process is gone, used by MarkInterrupted and TryLock alike.
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <thread>

#include "engine/audit/store.h"
#include "engine/process_tree.h"
#include "engine/util/clock.h"
#include "engine/util/sqlite.h"
#include "engine/util/time_format.h"

namespace runbook {

// Index only, not in the chain: a heartbeat is no event an auditor reads. Added to stores
// of schema 1 when they are opened for writing, as runs_resumed_once is. So is
// output_so_far, what running attempts printed (breakM M17).
// `tracking`: the run's process's TrackingPrefix (engine/process_tree.h), so the processes
// its steps left when it was killed can be found by any later command (breakM M6).
Status AuditStore::EnsureLiveness() {
  Status s = db_->Exec(
      "CREATE TABLE IF NOT EXISTS liveness(run_id TEXT PRIMARY KEY, place TEXT NOT NULL, "
      "heard_at TEXT NOT NULL, tracking TEXT NOT NULL DEFAULT '')");
  if (s.ok())
    s = db_->Exec(
        "CREATE TABLE IF NOT EXISTS output_so_far(run_id TEXT NOT NULL, step TEXT NOT NULL, "
        "attempt INTEGER NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL, "
        "PRIMARY KEY(run_id, step, attempt))");
  if (!s.ok()) return s;
  // Columns added since: `tracking` (breakM M6), `every_ms`, the run's heartbeat interval
  // (breakO O13: how long another place watches for a heartbeat before it takes a run as gone),
  // `uid`, the account it runs as (breakP P3: whose processes may be its leftovers).
  for (const char* column :
       {"tracking TEXT NOT NULL DEFAULT ''", "every_ms INTEGER NOT NULL DEFAULT 0",
        "uid INTEGER NOT NULL DEFAULT -1"}) {
    std::string name(column, std::string_view(column).find(' '));
    auto has = db_->Prepare("SELECT 1 FROM pragma_table_info('liveness') WHERE name=?");
    if (!has.ok()) return has.status();
    has.value().Bind(1, name);
    auto row = has.value().Step();
    if (!row.ok()) return row.status();
    if (row.value()) continue;
    if (Status add = db_->Exec(std::string("ALTER TABLE liveness ADD COLUMN ") + column); !add.ok())
      return add;
  }
  return Status::Ok();
}

Status AuditStore::NoteAlive(const std::string& run_id) {
  auto st = db_->Prepare(
      "INSERT OR REPLACE INTO liveness(run_id, place, heard_at, tracking, every_ms, uid) "
      "VALUES(?,?,?,?,?,?)");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id).Bind(2, WhereToken()).Bind(3, FormatUtc(SystemClock().WallNow()));
  st.value().Bind(4, TrackingPrefix()).Bind(5, int64_t{heartbeat_every_.count()});
  st.value().Bind(6, int64_t{::getuid()});
  return st.value().Run();
}

Result<bool> AuditStore::HasLiveness() {
  auto table = db_->Prepare("SELECT 1 FROM sqlite_schema WHERE type='table' AND name='liveness'");
  if (!table.ok()) return table.status();
  return table.value().Step();
}

std::set<uid_t> AuditStore::RunAccounts(std::optional<uid_t> run_uid) const {
  return {::getuid(), run_uid.value_or(owner_)};
}

std::string AuditStore::LeftBehind(const std::optional<Liveness>& heard) const {
  if (!heard || !heard->here || heard->tracking.empty()) return "";
  return AnyLeftovers(heard->tracking, RunAccounts(heard->uid)) ? heard->tracking : "";
}

Status AuditStore::StillRunning(const std::string& run_id) {
  auto st = db_->Prepare("SELECT status FROM runs WHERE run_id=?");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  const std::string status = row.value() ? st.value().Text(0) : "";
  if (!row.value() || status == "running") return Status::Ok();
  const std::string said = "run " + run_id + " is no longer recorded as running (it is " + status;
  // Not interrupted: its end, kept while the store was locked, was recorded late by another
  // runbook (engine/audit/unrecorded.h; breakAA AA6: said to be a sweep's).
  if (status != "interrupted")
    return Status::Error(said +
                         "): another runbook recorded its end, which it had kept while "
                         "the store was locked");
  return Status::Error(said +
                       "): another runbook recorded it as interrupted, having taken its process "
                       "for gone (it ended, or sent no heartbeat for " +
                       std::to_string(kGoneAfterSilence.count()) +
                       " minutes: was it suspended, or cut off from the store?)");
}

Status AuditStore::Heartbeat(const std::string& run_id) {
  auto st = db_->Prepare(
      "UPDATE liveness SET heard_at=?1 WHERE run_id=?2 AND place=?3 AND EXISTS "
      "(SELECT 1 FROM runs WHERE run_id=?2 AND status='running')");
  if (!st.ok()) return st.status();
  st.value().Bind(1, FormatUtc(SystemClock().WallNow())).Bind(2, run_id).Bind(3, WhereToken());
  Status s = st.value().Run();
  if (!s.ok() || db_->Changes() == 1) return s;
  return StillRunning(run_id);
}

Result<std::optional<Liveness>> AuditStore::LastHeard(const std::string& run_id) {
  auto has = HasLiveness();
  if (!has.ok()) return has.status();
  if (!has.value()) return std::optional<Liveness>();
  // A store opened read-only may predate every_ms and uid: then they are unknown.
  if (!liveness_columns_)
    liveness_columns_ = db_->Prepare("SELECT every_ms, uid FROM liveness LIMIT 0").ok();
  bool every = *liveness_columns_;
  auto st = db_->Prepare(every ? "SELECT place, heard_at, tracking, every_ms, uid FROM liveness "
                                 "WHERE run_id=?"
                               : "SELECT place, heard_at, tracking FROM liveness WHERE run_id=?");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return std::optional<Liveness>();
  const Stmt& l = st.value();
  Liveness heard{l.Text(0) == WhereToken(), l.Text(1), l.Text(2), Millis(every ? l.Int(3) : 0),
                 std::nullopt};
  if (every && l.Int(4) >= 0) heard.uid = static_cast<uid_t>(l.Int(4));
  return std::optional<Liveness>(heard);
}

Result<std::optional<Liveness>> AuditStore::HeardBounded(const std::string& run_id,
                                                         const std::string& host,
                                                         std::vector<ClockAhead>& ahead) {
  auto heard = LastHeard(run_id);
  if (!heard.ok() || !heard.value() || heard.value()->here) return heard;
  auto at = ParseUtc(heard.value()->heard_at);
  Clock::Wall now = SystemClock().WallNow();
  if (!at || *at - now <= kClockTolerance) return heard;
  std::string now_text = FormatUtc(now);
  auto st = db_->Prepare("UPDATE liveness SET heard_at=?1 WHERE run_id=?2 AND heard_at=?3");
  if (!st.ok()) return st.status();
  st.value().Bind(1, now_text).Bind(2, run_id).Bind(3, heard.value()->heard_at);
  if (Status s = st.value().Run(); !s.ok()) return s;
  ahead.push_back({run_id, host, std::chrono::duration_cast<Millis>(*at - now)});
  heard.value()->heard_at = now_text;
  return heard;
}

Status AuditStore::KeepOutputSoFar(const std::string& run_id, const std::string& step, int attempt,
                                   const std::string& text) {
  auto st = db_->Prepare(
      "INSERT OR REPLACE INTO output_so_far(run_id, step, attempt, at, text) "
      "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS "
      "(SELECT 1 FROM runs WHERE run_id=?1 AND status='running')");  // nothing after (M1)
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id).Bind(2, step).Bind(3, int64_t{attempt});
  st.value().Bind(4, FormatUtc(SystemClock().WallNow())).Bind(5, text);
  return st.value().Run();
}

Result<std::map<std::pair<std::string, int>, OutputKept>> AuditStore::OutputsSoFar(
    const std::string& run_id) {
  std::map<std::pair<std::string, int>, OutputKept> kept;
  auto table =
      db_->Prepare("SELECT 1 FROM sqlite_schema WHERE type='table' AND name='output_so_far'");
  if (!table.ok()) return table.status();
  auto has = table.value().Step();
  if (!has.ok()) return has.status();
  if (!has.value()) return kept;
  auto st = db_->Prepare("SELECT step, attempt, at, text FROM output_so_far WHERE run_id=?");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return kept;
    const Stmt& r = st.value();
    kept[{r.Text(0), static_cast<int>(r.Int(1))}] = {r.Text(2), r.Text(3)};
  }
}

bool AuditStore::Alive(const std::string& run_id, const ProcessIdentity& owner,
                       const std::optional<Liveness>& heard) const {
  if (!heard) return IsAlive(owner);  // recorded before heartbeats: host and pid
  if (heard->here) return IsAlive({HostName(), owner.pid, owner.start});
  auto at = ParseUtc(heard->heard_at);
  if (!at) return true;  // unreadable: never take a run as gone on a guess
  return SystemClock().WallNow() - *at < kGoneAfterSilence || watched_alive_.count(run_id) > 0;
}

Result<std::set<std::string>> AuditStore::WatchHeartbeats(
    const std::vector<std::pair<std::string, Liveness>>& suspects, const WatchScope& scope,
    bool& stopped) {
  std::set<std::string> changed;
  Millis longest{0};
  for (const auto& [id, heard] : suspects)
    longest = std::max(longest, heard.every.count() > 0
                                    ? std::min<Millis>(heard.every, kHeartbeatEveryMax)
                                    : Millis(kHeartbeatEveryMax));
  if (scope.on_watch) {
    std::vector<std::pair<std::string, std::string>> told;
    for (const auto& [id, heard] : suspects) told.emplace_back(id, heard.heard_at);
    scope.on_watch(told, longest + kWatchMargin);
  }
  Clock::Mono until = SystemClock().Now() + longest + kWatchMargin;
  while (changed.size() < suspects.size() && SystemClock().Now() < until) {
    std::this_thread::sleep_for(Millis(250));
    if (scope.stop && scope.stop()) {
      stopped = true;
      return changed;
    }
    for (const auto& [id, heard] : suspects) {
      if (changed.count(id)) continue;
      auto now = LastHeard(id);
      if (!now.ok()) return now.status();
      if (now.value() && now.value()->heard_at != heard.heard_at) changed.insert(id);
    }
  }
  return changed;
}

Result<bool> AuditStore::RecordedRunning(const std::string& run_id) {
  auto st = db_->Prepare("SELECT status FROM runs WHERE run_id=?");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  return row.value() && st.value().Text(0) == "running";
}

}  // namespace runbook
