#include "engine/audit/store.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "engine/audit/run_index.h"
#include "engine/audit/run_record.h"
#include "engine/audit/unrecorded.h"
#include "engine/audit/verify.h"
#include "engine/util/clock.h"
#include "engine/util/json.h"
#include "engine/util/sqlite.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

const char* kRunColumns =
    "run_id, runbook, path, kind, status, started_at, finished_at, duration_ms, rto_ms, "
    "rto_objective_ms, rpo_ms, rpo_objective_ms, objectives_met, resumed_from, host, pid, "
    "pid_start";

std::optional<int64_t> OptInt(const Stmt& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return st.Int(col);
}

RunRow ReadRunRow(const Stmt& st) {
  RunRow r;
  r.run_id = st.Text(0);
  r.runbook = st.Text(1);
  r.path = st.Text(2);
  r.kind = st.Text(3);
  r.status = st.Text(4);
  r.started_at = st.Text(5);
  r.finished_at = st.Text(6);
  r.duration_ms = OptInt(st, 7);
  r.rto_ms = OptInt(st, 8);
  r.rto_objective_ms = OptInt(st, 9);
  r.rpo_ms = OptInt(st, 10);
  r.rpo_objective_ms = OptInt(st, 11);
  if (!st.IsNull(12)) r.objectives_met = st.Int(12) != 0;
  r.resumed_from = st.Text(13);
  r.owner = {st.Text(14), static_cast<int>(st.Int(15)), st.Text(16)};
  return r;
}

AuditEvent ReadEvent(const Stmt& st) {
  AuditEvent e;
  e.seq = st.Int(0);
  e.run_id = st.Text(1);
  e.kind = st.Text(2);
  e.at = st.Text(3);
  e.step = st.Text(4);
  e.attempt = st.Int(5);
  e.body = st.Text(6);
  e.prev_hash = st.Text(7);
  e.hash = st.Text(8);
  return e;
}

const char* kEventColumns = "seq, run_id, kind, at, step, attempt, body, prev_hash, hash";

// Test seam: RUNBOOK_FAULT_KILL_AFTER_EVENTS=N makes this process SIGKILL itself right
// after its Nth committed event, to prove the store survives kill -9 at exact points.
int KillAfter() {
  const char* v = std::getenv("RUNBOOK_FAULT_KILL_AFTER_EVENTS");
  return v != nullptr ? std::atoi(v) : 0;
}

// RUNBOOK_FAULT_KILL_BEFORE_KIND (docs/format.md): the kind of event whose commit this process
// dies at, before anything of it is written; "" when unset.
const std::string& KillBeforeKind() {
  static const std::string kind = [] {
    const char* v = std::getenv("RUNBOOK_FAULT_KILL_BEFORE_KIND");
    return std::string(v != nullptr ? v : "");
  }();
  return kind;
}

// RUNBOOK_FAULT_PAUSE_BEFORE_KIND (docs/format.md): the kind of event whose first commit this
// process waits 3 s before (a test takes the store's lock meanwhile); "" when unset.
void PauseBefore(const std::string& kind) {
  static const char* wanted = std::getenv("RUNBOOK_FAULT_PAUSE_BEFORE_KIND");
  static bool paused = false;
  if (wanted == nullptr || paused || kind != wanted) return;
  paused = true;
  std::this_thread::sleep_for(std::chrono::seconds(3));
}

}  // namespace

AuditStore::AuditStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
AuditStore::~AuditStore() {
  insert_event_.reset();  // statements before the connection
  select_tip_.reset();
  (void)Verify();  // a store moved since the last append still gets its events
  if (!private_copy_.empty()) {
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(private_copy_, ec);
  }
}
const std::string& AuditStore::path() const {
  return private_copy_.empty() ? db_->path() : copied_from_;  // the store's, not the copy's
}

bool AuditStore::LastFailedBusy() const { return db_->LastFailedBusy(); }
void AuditStore::StopLockWaitsWhen(std::function<bool()> stop) {
  db_->StopLockWaitsWhen(std::move(stop));
}

Result<std::pair<int64_t, std::string>> AuditStore::Tip() {
  if (!select_tip_) {
    auto st = db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    if (!st.ok()) return st.status();
    select_tip_ = std::make_unique<Stmt>(std::move(st).value());
  }
  Stmt& st = *select_tip_;
  auto row = st.Step();
  std::pair<int64_t, std::string> tip{0, kGenesisHash};
  if (row.ok() && row.value()) tip = {st.Int(0), st.Text(1)};
  st.Reset();
  if (!row.ok()) return row.status();
  return tip;
}

Status AuditStore::InsertEvent(const AuditEvent& e) {
  if (!insert_event_) {
    auto st = db_->Prepare(std::string("INSERT INTO events(") + kEventColumns +
                           ") VALUES(?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    insert_event_ = std::make_unique<Stmt>(std::move(st).value());
  }
  Stmt& st = *insert_event_;
  st.Bind(1, e.seq).Bind(2, e.run_id).Bind(3, e.kind).Bind(4, e.at).Bind(5, e.step);
  st.Bind(6, e.attempt).Bind(7, e.body).Bind(8, e.prev_hash).Bind(9, e.hash);
  Status s = st.Run();
  st.Reset();
  return s;
}

Status AuditStore::Append(const std::string& run_id, const std::string& kind,
                          const std::string& step, int64_t attempt, const Value& body) {
  return AppendAll(run_id, {{kind, step, attempt, body}});
}

Status AuditStore::AppendAll(const std::string& run_id, const std::vector<NewEvent>& events) {
  return AppendChecked(run_id, events, false);
}

Status AuditStore::AppendLate(const std::string& run_id, const std::vector<NewEvent>& events) {
  return AppendChecked(run_id, events, true);
}

Status AuditStore::RecordKept(const std::string& run_id) {
  auto record = LoadRunRecord(*this, run_id);
  if (!record.ok()) return record.status();
  const std::string path = record.value().Path("unrecorded");
  if (path.empty()) return Status::Ok();
  auto late = RecordUnrecorded(*this, run_id, path);
  return late.ok() ? Status::Ok() : late.status();
}

Status AuditStore::TakesLate(const std::string& run_id) {
  auto st = db_->Prepare(
      "SELECT status, EXISTS(SELECT 1 FROM runs WHERE resumed_from=?1) FROM runs WHERE run_id=?1");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status::Error("run " + run_id + " is not in the store");
  const std::string status = st.value().Text(0);
  if (status != "running" && status != "interrupted")
    return Status::Error("run " + run_id + " is recorded " + status + " already");
  if (st.value().Int(1) != 0) return Status::Error("run " + run_id + " was resumed since");
  return Status::Ok();
}

Status AuditStore::AppendChecked(const std::string& run_id, const std::vector<NewEvent>& events,
                                 bool late) {
  if (events.empty()) return Status::Ok();
  PauseBefore(events.front().kind);
  if (!late && !KillBeforeKind().empty() && events.front().kind == KillBeforeKind())
    raise(SIGKILL);     // not a helper's late record: it stands for the run's own wait
  Status s = Verify();  // before: nothing goes into a file nobody will read
  if (!s.ok()) return s;
  Transaction tx(*db_);
  s = tx.Begin();
  if (!s.ok()) return s;
  // A run taken as gone by another runbook records nothing more (breakM M1: woken from a
  // suspension, it had finished a step, started the next and overwritten 'interrupted').
  // A notification delivery happens after the run ended: a fact about the run that changes
  // none of its results, recorded whatever its state (cli/run_notify.h).
  bool after_end = events.front().kind == "notification";
  if (late && !after_end)
    s = TakesLate(run_id);
  else if (events.front().kind != "run_started" && !after_end)
    s = StillRunning(run_id);
  if (!s.ok()) return s;
  auto tip = Tip();
  if (!tip.ok()) return tip.status();
  auto [seq, prev_hash] = tip.value();
  for (const NewEvent& n : events) {
    AuditEvent e;
    e.seq = ++seq;
    e.prev_hash = prev_hash;
    e.run_id = run_id;
    e.kind = n.kind;
    e.at = FormatUtc(SystemClock().WallNow());
    e.step = n.step;
    e.attempt = n.attempt;
    e.body = ToJson(n.body);
    e.hash = EventHash(e);
    prev_hash = e.hash;
    s = InsertEvent(e);
    if (s.ok()) s = UpdateIndex(e);
    if (!s.ok()) return s;
  }
  s = tx.Commit();
  if (s.ok()) s = Verify();  // after: replaced while we wrote
  if (!s.ok()) return s;
  static const int kill_after = KillAfter();
  appended_ += static_cast<int>(events.size());
  if (kill_after > 0 && appended_ >= kill_after) raise(SIGKILL);
  return Status::Ok();
}

// The row the event makes or changes, folded as readers fold it again (run_index.h): from
// the body as stored, not as given: JSON holds no bytes that are not UTF-8, so a runbook path
// with one was indexed as given and chained as stored, and `audit verify` called the honest
// record altered (breakHH HH8).
Status AuditStore::UpdateIndex(const AuditEvent& e) {
  if (!IndexesRun(e.kind)) return Status::Ok();
  auto body = ParseJson(e.body);
  if (!body.ok()) return body.status();
  RunRow row;
  row.run_id = e.run_id;
  FoldIntoRow(row, e, body.value());
  if (e.kind == "run_started") {
    auto st = db_->Prepare(std::string("INSERT INTO runs(") + kRunColumns +
                           ") VALUES(?,?,?,?,?,?,NULL,NULL,NULL,?,NULL,?,NULL,?,?,?,?)");
    if (!st.ok()) return st.status();
    st.value().Bind(1, row.run_id).Bind(2, row.runbook).Bind(3, row.path).Bind(4, row.kind);
    st.value().Bind(5, row.status).Bind(6, row.started_at).Bind(7, row.rto_objective_ms);
    st.value().Bind(8, row.rpo_objective_ms).Bind(9, row.resumed_from).Bind(10, row.owner.host);
    st.value().Bind(11, int64_t{row.owner.pid}).Bind(12, row.owner.start);
    Status s = st.value().Run();
    if (!s.ok() && s.message().find("runs.resumed_from") != std::string::npos)
      return Status::Error("run " + row.resumed_from +
                           " is already being resumed by another runbook (a run is resumed "
                           "once only); nothing was run");
    return s.ok() ? NoteAlive(e.run_id) : s;
  }
  bool finished = e.kind == "run_finished";  // else run_interrupted: its status and time
  auto st = db_->Prepare(finished ? "UPDATE runs SET status=?, finished_at=?, duration_ms=?, "
                                    "rto_ms=?, rpo_ms=?, objectives_met=? WHERE run_id=?7"
                                  : "UPDATE runs SET status=?, finished_at=? WHERE run_id=?7");
  if (!st.ok()) return st.status();
  st.value().Bind(1, row.status).Bind(2, row.finished_at).Bind(7, row.run_id);
  if (finished) {
    st.value().Bind(3, row.duration_ms).Bind(4, row.rto_ms).Bind(5, row.rpo_ms);
    st.value().Bind(6, row.objectives_met ? std::optional<int64_t>(*row.objectives_met)
                                          : std::optional<int64_t>());
  }
  return st.value().Run();
}

namespace {

// Why MarkInterrupted took `r`'s process as gone, for its run_interrupted event.
std::string GoneReason(const RunRow& r, bool elsewhere) {
  std::string who =
      "the process (pid " + std::to_string(r.owner.pid) + " on " + Printable(r.owner.host) + ")";
  if (elsewhere)
    return who + " sent no heartbeat for " + std::to_string(kGoneAfterSilence.count()) +
           " minutes: taken as gone without finishing the run; processes its steps started "
           "there may still run";
  return who + " ended without finishing the run";
}

}  // namespace

Result<std::string> AuditStore::NotRunningByEvents(const std::string& run_id) {
  auto events = RunEvents(run_id);
  if (!events.ok()) return events.status();
  if (events.value().empty() || events.value().front().kind != "run_started")
    return std::string("no run_started event records it");
  for (const AuditEvent& e : events.value()) {
    if (EventHash(e) != e.hash)
      return "its event #" + std::to_string(e.seq) + " was edited after it was recorded";
    if (e.kind == "run_finished" || e.kind == "run_interrupted")
      return "its " + e.kind + " event #" + std::to_string(e.seq) + " records its end";
  }
  // An end event moved to another run id, its hash computed again: the links show it.
  auto walked = VerifyChainFrom(*this, events.value().front().seq);
  if (!walked.ok()) return walked.status();
  if (!walked.value().ok) return "the chain is broken after its start: " + walked.value().problem;
  auto head = HeadProblem(*this);  // a cut under a signed head (breakII II1)
  if (!head.ok()) return head.status();
  if (!head.value().empty())
    return "the store is cut or changed under its signed head: " + head.value();
  return std::string();
}

Result<Sweep> AuditStore::MarkInterrupted(const WatchScope& scope) {
  auto rows =
      db_->Prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE status='running'");
  if (!rows.ok()) return rows.status();
  std::vector<RunRow> gone;
  for (;;) {
    auto row = rows.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    gone.push_back(ReadRunRow(rows.value()));
  }
  Sweep marked;
  // Runs of another place whose heartbeat looks old by this host's clock: gone only if none
  // comes while watched (breakO O13: a live run on a host whose clock is behind).
  watched_alive_.clear();
  std::vector<std::pair<std::string, Liveness>> suspects;
  std::vector<std::pair<const RunRow*, std::optional<Liveness>>> dead;
  for (const RunRow& r : gone) {
    auto heard = HeardBounded(r.run_id, r.owner.host, marked.ahead);
    if (!heard.ok()) return heard.status();
    if (Alive(r.run_id, r.owner, heard.value())) continue;
    bool elsewhere = heard.value() && !heard.value()->here;
    if (elsewhere && scope.runs.count(r.run_id) == 0) continue;  // not watched: left as it is
    if (elsewhere) suspects.emplace_back(r.run_id, *heard.value());
    dead.emplace_back(&r, heard.value());
  }
  if (!suspects.empty()) {
    auto changed = WatchHeartbeats(suspects, scope, marked.stopped);
    if (!changed.ok()) return changed.status();
    watched_alive_ = changed.value();
  }
  std::set<std::string> taken_elsewhere;  // runs of another place marked gone just now
  for (const auto& [run, heard] : dead) {
    const RunRow& r = *run;
    bool elsewhere = heard && !heard->here;
    if (elsewhere && marked.stopped) continue;  // the watch was cut short: no verdict
    if (watched_alive_.count(r.run_id)) {
      auto at = ParseUtc(heard->heard_at);
      marked.behind.push_back(
          {r.run_id, r.owner.host,
           at ? std::chrono::duration_cast<std::chrono::milliseconds>(SystemClock().WallNow() - *at)
              : std::chrono::milliseconds(0)});
      continue;
    }
    if (elsewhere) {  // it may have ended while it was watched (breakP P11)
      auto running = RecordedRunning(r.run_id);
      if (!running.ok()) return running.status();
      if (!running.value()) continue;
      taken_elsewhere.insert(r.run_id);
    }
    auto why = NotRunningByEvents(r.run_id);  // the index alone is no evidence (HH4)
    if (!why.ok()) return why.status();
    if (!why.value().empty()) {
      marked.unmarked.push_back({r.run_id, why.value()});
      continue;
    }
    // What it did and could not record, kept beside it (engine/audit/unrecorded.h), first: a
    // step that ended is then not "never finished", whoever sweeps (breakZZ ZZ3, ZZ7: `show`
    // or a resume while serve was down offered --rerun of a step that had run).
    if (!elsewhere) {
      if (auto late = RecordKept(r.run_id); !late.ok() && late.busy()) return late;
      auto running = RecordedRunning(r.run_id);  // its end was kept: recorded now (breakAA AA1)
      if (!running.ok()) return running.status();
      if (!running.value()) continue;
    }
    Value::Map body{{"reason", Value(GoneReason(r, elsewhere))}};
    Status s = Append(r.run_id, "run_interrupted", "", 0, Value(std::move(body)));
    if (!s.ok()) return s;
    marked.gone.push_back({r.run_id, r.owner.host, elsewhere});
  }
  auto locks = db_->Prepare("SELECT name, run_id, host, pid, pid_start FROM locks");
  if (!locks.ok()) return locks.status();
  std::vector<std::pair<std::string, std::string>> stale;  // lock name, the holder judged
  for (;;) {
    auto row = locks.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    const Stmt& l = locks.value();
    auto heard = HeardBounded(l.Text(1), l.Text(2), marked.ahead);
    if (!heard.ok()) return heard.status();
    if (Alive(l.Text(1), {l.Text(2), static_cast<int>(l.Int(3)), l.Text(4)}, heard.value()))
      continue;
    if (heard.value() && !heard.value()->here && taken_elsewhere.count(l.Text(1)) == 0) {
      auto running = RecordedRunning(l.Text(1));  // a run elsewhere not taken as gone here
      if (!running.ok()) return running.status();
      if (running.value()) continue;
    }
    if (LeftBehind(heard.value()).empty()) stale.emplace_back(l.Text(0), l.Text(1));
  }
  // Only the holder judged gone: a run may have taken the lock since it was read (its holder
  // gone, TryLock replaces it), and deleting by name freed a lock a live run held, which a
  // second run then took (the newcomer round of 2026-12-06: a run waiting for the lock of a
  // run whose leftovers a resume --end-leftovers ended ran beside that resume).
  for (const auto& [name, holder] : stale) {
    Status s = Unlock(name, holder);
    if (!s.ok()) return s;
  }
  return marked;
}

Result<std::optional<LockHolder>> AuditStore::TryLock(const std::string& name,
                                                      const std::string& run_id) {
  Transaction tx(*db_);
  Status s = tx.Begin();
  if (!s.ok()) return s;
  auto st =
      db_->Prepare("SELECT run_id, host, pid, pid_start, acquired_at FROM locks WHERE name=?");
  if (!st.ok()) return st.status();
  st.value().Bind(1, name);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  if (row.value()) {
    LockHolder h{name,
                 st.value().Text(0),
                 {st.value().Text(1), static_cast<int>(st.value().Int(2)), st.value().Text(3)},
                 st.value().Text(4),
                 "",
                 ""};
    auto heard = LastHeard(h.run_id);
    if (!heard.ok()) return heard.status();
    bool alive = Alive(h.run_id, h.owner, heard.value());
    if (heard.value() && !heard.value()->here && !alive) {
      // A holder of another place is taken over only once it is no longer recorded as
      // running: a command that needs its lock watches it first (MarkInterrupted with a
      // WatchScope naming it, breakP P11), and marks it gone if it stays silent.
      auto running = RecordedRunning(h.run_id);
      if (!running.ok()) return running.status();
      alive = running.value();
    }
    if (h.run_id != run_id && alive) {
      if (heard.value() && !heard.value()->here) h.heard_at = heard.value()->heard_at;
      return std::optional<LockHolder>(h);
    }
    if (h.run_id != run_id) h.left_behind = LeftBehind(heard.value());
    if (!h.left_behind.empty()) return std::optional<LockHolder>(h);
  }
  s = NoteAlive(run_id);  // the lock is held before the run is recorded
  if (!s.ok()) return s;
  ProcessIdentity me = SelfIdentity();
  auto put = db_->Prepare(
      "INSERT OR REPLACE INTO locks(name, run_id, host, pid, pid_start, acquired_at) "
      "VALUES(?,?,?,?,?,?)");
  if (!put.ok()) return put.status();
  put.value().Bind(1, name).Bind(2, run_id).Bind(3, me.host).Bind(4, int64_t{me.pid});
  put.value().Bind(5, me.start).Bind(6, FormatUtc(SystemClock().WallNow()));
  s = put.value().Run();
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return s;
  return std::optional<LockHolder>();
}

Status AuditStore::Unlock(const std::string& name, const std::string& run_id) {
  auto st = db_->Prepare("DELETE FROM locks WHERE name=? AND run_id=?");
  if (!st.ok()) return st.status();
  return st.value().Bind(1, name).Bind(2, run_id).Run();
}

Result<std::vector<RunRow>> AuditStore::Runs(const std::string& runbook, int limit) {
  auto st = db_->Prepare(std::string("SELECT ") + kRunColumns +
                         " FROM runs WHERE (?1 = '' OR runbook = ?1) ORDER BY started_at DESC, "
                         "rowid DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  st.value().Bind(1, runbook).Bind(2, int64_t{limit});
  std::vector<RunRow> out;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.push_back(ReadRunRow(st.value()));
  }
}

Result<std::optional<RunRow>> AuditStore::ResumedAs(const std::string& id) {
  auto next = FirstResumeOf(id);
  if (!next.ok()) return next.status();
  if (next.value().empty()) return std::optional<RunRow>();
  auto events = IndexedEvents(next.value());
  if (!events.ok()) return events.status();
  RunRow row;
  row.run_id = next.value();
  for (const AuditEvent& f : events.value()) {
    auto parsed = ParseJson(f.body);
    if (parsed.ok()) FoldIntoRow(row, f, parsed.value());
  }
  return std::optional<RunRow>(std::move(row));
}

Result<RunRow> AuditStore::FindRun(const std::string& id) {
  // A prefix, compared as text (breakN N18: LIKE read `_` and `%` in it as patterns, and an
  // empty id matched the store's only run).
  if (id.empty()) return Status::Error("no run '' in " + path() + ": give a run id");
  auto st = db_->Prepare(std::string("SELECT ") + kRunColumns +
                         " FROM runs WHERE substr(run_id, 1, length(?1)) = ?1 LIMIT 3");
  if (!st.ok()) return st.status();
  st.value().Bind(1, id);
  std::vector<RunRow> found;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    found.push_back(ReadRunRow(st.value()));
    if (found.back().run_id == id) return found.back();
  }
  if (found.empty()) return Status::Error("no run '" + id + "' in " + path());
  if (found.size() > 1) return Status::Error("'" + id + "' matches more than one run");
  return found.front();
}

Result<std::optional<RunRow>> AuditStore::IndexRow(const std::string& run_id) {
  auto st = db_->Prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE run_id = ?1");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  return row.value() ? std::optional<RunRow>(ReadRunRow(st.value())) : std::nullopt;
}

Result<std::vector<AuditEvent>> AuditStore::RunEvents(const std::string& run_id) {
  auto st = db_->Prepare(std::string("SELECT ") + kEventColumns +
                         " FROM events WHERE run_id=? ORDER BY seq");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  std::vector<AuditEvent> out;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.push_back(ReadEvent(st.value()));
  }
}

namespace {

Result<std::vector<AuditEvent>> ReadEvents(Stmt& st) {
  std::vector<AuditEvent> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.push_back(ReadEvent(st));
  }
}

}  // namespace

Result<std::vector<AuditEvent>> AuditStore::RunEventsAfter(const std::string& run_id,
                                                           int64_t after_seq,
                                                           const std::string& kind) {
  auto st = db_->Prepare(std::string("SELECT ") + kEventColumns +
                         " FROM events WHERE run_id=? AND seq>? AND kind=? ORDER BY seq");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id).Bind(2, after_seq).Bind(3, kind);
  return ReadEvents(st.value());
}

namespace {

// SQL for a field of an event's body, NULL for a body that is no JSON (CASE: evaluated in
// order, so json_extract never sees a malformed body).
std::string BodyField(const char* field) {
  return std::string("(CASE WHEN json_valid(body) THEN json_extract(body, '$.") + field + "') END)";
}

// The first column of each row of `st`.
Result<std::vector<std::string>> FirstColumn(Stmt& st) {
  std::vector<std::string> out;
  for (;;) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.push_back(st.Text(0));
  }
}

}  // namespace

Result<std::vector<std::string>> AuditStore::NewestRunIds(const std::string& runbook, int limit) {
  auto st = db_->Prepare("SELECT run_id FROM events WHERE kind='run_started' AND (?1 = '' OR " +
                         BodyField("runbook") + " = ?1) ORDER BY seq DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  st.value().Bind(1, runbook).Bind(2, int64_t{limit});
  return FirstColumn(st.value());
}

Result<std::string> AuditStore::FirstResumeOf(const std::string& id) {
  auto st = db_->Prepare("SELECT run_id FROM events WHERE kind='run_started' AND " +
                         BodyField("resumed_from") + " = ?1 ORDER BY seq LIMIT 1");
  if (!st.ok()) return st.status();
  st.value().Bind(1, id);
  auto ids = FirstColumn(st.value());
  if (!ids.ok()) return ids.status();
  return ids.value().empty() ? std::string() : ids.value().front();
}

Result<std::map<std::string, std::string>> AuditStore::FirstResumes(int64_t from_seq) {
  auto st = db_->Prepare("SELECT " + BodyField("resumed_from") +
                         ", run_id FROM events WHERE seq >= ?1 AND kind='run_started' AND " +
                         BodyField("resumed_from") + " != '' ORDER BY seq");
  if (!st.ok()) return st.status();
  st.value().Bind(1, from_seq);
  std::map<std::string, std::string> out;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    out.emplace(st.value().Text(0), st.value().Text(1));  // the first recorded stays
  }
}

// `+e.kind`: each row's own events (events_by_run), never every run's starts (events_by_kind)
// for each row, which SQLite's planner picks otherwise (quadratic).
Result<std::vector<std::string>> AuditStore::IndexOnlyRuns(const std::string& runbook) {
  auto st = db_->Prepare(
      "SELECT run_id FROM runs r WHERE (?1 = '' OR r.runbook = ?1) AND NOT EXISTS (SELECT 1 "
      "FROM events e WHERE e.run_id = r.run_id AND +e.kind = 'run_started') ORDER BY run_id");
  if (!st.ok()) return st.status();
  st.value().Bind(1, runbook);
  return FirstColumn(st.value());
}

Result<std::vector<AuditEvent>> AuditStore::IndexedEvents(const std::string& run_id) {
  std::string kinds;
  for (std::string_view k : kIndexedKinds)
    kinds += (kinds.empty() ? "'" : ",'") + std::string(k) + "'";
  auto st = db_->Prepare(std::string("SELECT ") + kEventColumns +
                         " FROM events WHERE run_id=? AND kind IN (" + kinds + ") ORDER BY seq");
  if (!st.ok()) return st.status();
  st.value().Bind(1, run_id);
  return ReadEvents(st.value());
}

Status AuditStore::ForEachEvent(const std::function<bool(const AuditEvent&)>& fn,
                                int64_t from_seq) {
  auto st = db_->Prepare(std::string("SELECT ") + kEventColumns +
                         " FROM events WHERE seq >= ? ORDER BY seq");
  if (!st.ok()) return st.status();
  st.value().Bind(1, from_seq);
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value() || !fn(ReadEvent(st.value()))) return Status::Ok();
  }
}

Status AuditStore::AddHead(const SignedHead& head) {
  auto st = db_->Prepare(
      "INSERT OR REPLACE INTO heads(seq, hash, key_id, signature, signed_at) VALUES(?,?,?,?,?)");
  if (!st.ok()) return st.status();
  st.value().Bind(1, head.seq).Bind(2, head.hash).Bind(3, head.key_id).Bind(4, head.signature);
  return st.value().Bind(5, head.signed_at).Run();
}

Result<std::vector<SignedHead>> AuditStore::Heads() {
  auto st = db_->Prepare("SELECT seq, hash, key_id, signature, signed_at FROM heads ORDER BY seq");
  if (!st.ok()) return st.status();
  std::vector<SignedHead> out;
  for (;;) {
    auto row = st.value().Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return out;
    const Stmt& s = st.value();
    out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)});
  }
}

// The one head `sql` selects (columns seq, hash, key_id, signature, signed_at), if any.
Result<std::optional<SignedHead>> AuditStore::OneHead(const char* sql) {
  auto st = db_->Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st.value().Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return std::optional<SignedHead>();
  const Stmt& s = st.value();
  return std::optional<SignedHead>(
      SignedHead{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)});
}

Result<std::optional<SignedHead>> AuditStore::FirstHeadNotMatching() {
  return OneHead(
      "SELECT h.seq, h.hash, h.key_id, h.signature, h.signed_at FROM heads h LEFT JOIN events e "
      "ON e.seq = h.seq WHERE e.hash IS NULL OR e.hash != h.hash ORDER BY h.seq LIMIT 1");
}

Result<std::optional<SignedHead>> AuditStore::LatestHead() {
  return OneHead(
      "SELECT seq, hash, key_id, signature, signed_at FROM heads ORDER BY seq DESC LIMIT 1");
}

}  // namespace runbook
