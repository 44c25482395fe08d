#include "cli/run_notify.h"

#include <unistd.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include "engine/audit/run_record.h"
#include "engine/audit/unrecorded.h"
#include "engine/run_scope.h"
#include "engine/template.h"
#include "engine/util/clock.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"

namespace runbook {
namespace {

// The status of the runbook's run before this one, "" when none.
std::string PreviousStatus(AuditStore& store, const std::string& runbook,
                           const std::string& run_id) {
  auto rows = store.Runs(runbook, 10);
  if (!rows.ok()) return "";
  for (const RunRow& r : rows.value()) {
    if (r.run_id != run_id && r.status != "running") return r.status;
  }
  return "";
}

std::string Host() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "";
}

// The steps that did not pass, by index, in the runbook's step order (RunResult::steps are
// in that order): neither passed, skipped nor never reached.
std::vector<size_t> NotPassed(const Runbook& rb, const RunResult& r) {
  std::vector<size_t> out;
  for (size_t i = 0; i < r.steps.size() && i < rb.steps.size(); ++i) {
    const StepRun& s = r.steps[i];
    if (!s.passed() && s.outcome != Outcome::kSkipped && s.outcome != Outcome::kNone)
      out.push_back(i);
  }
  return out;
}

// What went wrong, for the one-line summary: the failed steps and their outcomes.
std::string Detail(const Runbook& rb, const RunResult& r) {
  std::string out;
  for (size_t i : NotPassed(rb, r))
    out += (out.empty() ? "step '" : ", step '") + rb.steps[i].id + "' " +
           OutcomeName(r.steps[i].outcome);
  if (r.status == "success" && !r.objectives_met()) out = "an objective (RTO or RPO) was missed";
  return out;
}

// At most this many bytes of a failed step's error reach a notification (a chat line, a mail
// subject's neighbour): cut after masking (docs/secrets.md, "Cuts").
constexpr size_t kNotifiedErrorBytes = 500;

// The error of the first step Detail names ("step 'b': exit code 3: pg_dump: ..."), masked,
// then cut; null when none has one (a run cancelled, an objective missed).
Value FirstError(const Runbook& rb, const RunResult& r, const Redactor& redactor) {
  for (size_t i : NotPassed(rb, r)) {
    if (r.steps[i].reason.empty()) continue;
    std::string error = redactor.Apply("step '" + rb.steps[i].id + "': " + r.steps[i].reason);
    size_t cut = Utf8CutAt(error, kNotifiedErrorBytes);
    return Value(cut < error.size() ? error.substr(0, cut) + "..." : error);
  }
  return Value();
}

// The message every channel is built from; masked whole, every field (a secret that is a
// word of the runbook's name, the host's, a step's id or error is not sent).
Value Message(const Runbook& rb, const RunResult& r, const Redactor& redactor,
              Value other_runs_waiting) {
  auto ms = [](bool measured, Millis v) { return measured ? Value(int64_t{v.count()}) : Value(); };
  return redactor.Apply(
      Value(Value::Map{{"runbook", Value(rb.name)},
                       {"kind", Value(rb.kind)},
                       {"run_id", Value(r.run_id)},
                       {"status", Value(r.status)},
                       {"duration_ms", Value(int64_t{r.duration.count()})},
                       {"rto_ms", ms(r.rto.measured, r.rto.elapsed)},
                       {"rpo_ms", ms(r.rpo.measured, r.rpo.age)},
                       // null when the runbook sets none: nothing was met or missed
                       {"objectives_met",
                        rb.rto_objective || rb.rpo_objective ? Value(r.objectives_met()) : Value()},
                       {"host", Value(Host())},
                       {"detail", Value(Detail(rb, r))},
                       {"error", FirstError(rb, r, redactor)},
                       {"other_runs_waiting", std::move(other_runs_waiting)}}));
}

// The work all of a run's notifications may spend rendering their settings, together (a
// scope per entry gave each a fresh run total: 20 entries of 45 Mi units each spent 900 Mi,
// 20 s of CPU; break24a W4).
std::atomic<int64_t>& NotifyWorkLeft() {
  static std::atomic<int64_t> left{kMaxRunEvalWork};
  return left;
}

// The entry's settings rendered with the run's params and secrets; nullopt with `error`.
std::optional<NotifyTarget> Render(const Runbook& rb, const RunOptions& o, size_t index,
                                   std::string& error) {
  RunValues values;
  values.run_id = o.run_id;
  values.params = o.params;
  values.secrets = o.secrets.value_or(Value::Map{});
  SystemClock clock;
  RunScope scope(rb, values, nullptr, clock);
  EvalBudget budget;
  budget.owner = "notify entry " + std::to_string(index + 1);
  budget.run_left = &NotifyWorkLeft();
  auto config = ResolveTree(rb.notify[index].config, scope, &budget);
  if (!config.ok() || !config.value().is_map()) {
    error = config.ok() ? "its settings are not a mapping" : config.status().message();
    return std::nullopt;
  }
  return NotifyTarget{index, rb.notify[index].channel, config.value().as_map(),
                      rb.notify[index].on};
}

// The setting that says where it goes: webhook's and alertmanager's url, slack's
// webhook_url, email's smtp.
std::string Address(const NotifyTarget& t) {
  const char* key = t.channel == "slack" ? "webhook_url" : t.channel == "email" ? "smtp" : "url";
  auto it = t.config.find(key);
  return it == t.config.end() ? "" : it->second.ToText();
}

Status Record(const DeliveryRecord& record, const std::string& run_id, const Delivery& d,
              const Redactor& redactor) {
  Value::Map body{{"index", Value(static_cast<int64_t>(d.index))},
                  {"channel", Value(d.channel)},
                  {"event", Value(d.event)},
                  {"target", Value(redactor.Apply(d.target))},
                  {"status", Value(d.sent ? "sent" : "failed")},
                  {"http_status", Value(int64_t{d.http_status})},
                  {"attempts", Value(int64_t{d.attempts})},
                  {"error", Value(redactor.Apply(d.error))}};
  Status s = Status::Ok();
  // In record.unrecorded until the store has it (breakYY YY4): the size to cut back to.
  Result<int64_t> kept = Status::Error("not kept");
  if (!record.unrecorded.empty()) {
    kept = KeepUnrecorded(record.unrecorded, run_id, {{"notification", "", 0, Value(body)}},
                          FormatUtc(SystemClock().WallNow()));
    if (!kept.ok()) std::cerr << "runbook: warning: " << kept.status().message() << "\n";
  }
  if (record.store == nullptr)  // the run is not in the store yet: recorded after it (CC1)
    return kept.ok() ? Status::Ok() : kept.status();
  for (bool said = false;; said = true) {
    s = record.store->Append(run_id, "notification", "", 0, Value(body));
    if (s.busy() && kept.ok() && !said) (void)SyncUnrecorded(record.unrecorded);
    if (s.ok() && kept.ok()) (void)Unkeep(record.unrecorded, kept.value());
    if (s.ok() || !s.busy() || !record.keep_waiting || !record.keep_waiting()) break;
    if (!said)
      std::cerr << "runbook: the audit store is busy: waiting to record the notification "
                   "(--wait)\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!s.ok())
    std::cerr << "runbook: warning: the notification was not recorded: " << s.message()
              << (kept.ok() ? " (kept for serve to record later)" : "") << "\n";
  return s;
}

// The other runs of `runbook` whose approval gate waits for an answer (their ids): while one
// does, RunbookApprovalWaiting is not resolved by this run's end (breakNN NN2).
Value OtherRunsWaiting(AuditStore& store, const std::string& runbook, const std::string& run_id) {
  Value::List out;
  auto rows = store.Runs(runbook, 200);
  if (!rows.ok()) return Value(std::move(out));
  for (const RunRow& r : rows.value()) {
    if (r.run_id == run_id || r.status != "running") continue;
    auto record = LoadRunRecord(store, r.run_id);
    if (record.ok() && !record.value().approvals_waiting.empty()) out.push_back(Value(r.run_id));
  }
  return Value(std::move(out));
}

// What `raised` owes: each entry's events (EventsToSend), in the entries' order.
std::vector<OwedNotice> Owed(const Runbook& rb, const std::vector<std::string>& raised,
                             const Value& message) {
  const Value* status = message.Find("status");
  const Value* met = message.Find("objectives_met");
  const bool another_waits = AnotherRunWaits(message);
  std::vector<OwedNotice> out;
  for (size_t i = 0; i < rb.notify.size(); ++i) {
    for (std::string& event :
         EventsToSend(rb.notify[i].channel, rb.notify[i].on, raised,
                      status != nullptr ? status->ToText() : "",
                      met == nullptr || !met->is_bool() || met->as_bool(), another_waits))
      out.push_back({i, std::move(event)});
  }
  return out;
}

// Appends each delivery sent to the journal at `path` ("": kept nowhere).
std::function<void(const OwedNotice&)> Journaling(const std::string& path) {
  if (path.empty()) return {};
  return [path](const OwedNotice& notice) {
    if (Status s = AppendSent(path, notice); !s.ok())
      std::cerr << "runbook: warning: " << s.message() << " (it may be sent again)\n";
  };
}

}  // namespace

Status DeliverOwed(const Runbook& rb, const RunOptions& options, const std::vector<OwedNotice>& due,
                   const Value& message, const DeliveryRecord& record, NotifySender& sender,
                   const Redactor& redactor, const std::set<OwedNotice>& already_sent,
                   const std::function<void(const OwedNotice&)>& on_sent,
                   const std::function<std::string(const OwedNotice&)>& hold) {
  Status recorded = Status::Ok();
  // Every field of what is sent passes the redactor here, whoever built the message (an
  // outbox written by a run that died, a lost run's helper, a late-recorded end).
  const Value sent = redactor.Apply(message);
  for (const OwedNotice& notice : due) {
    if (notice.index >= rb.notify.size() || already_sent.count(notice) != 0) continue;
    if (std::string why = hold ? hold(notice) : ""; !why.empty()) {
      std::cerr << "runbook: notify " << rb.notify[notice.index].channel << " (" << notice.event
                << "): not sent: " << why << "\n";
      continue;
    }
    std::string error;
    auto target = Render(rb, options, notice.index, error);
    if (target && Address(*target).empty()) {  // off: a param left empty (docs/notify.md)
      std::cerr << "runbook: notify " << target->channel << " (" << notice.event
                << "): off, its address is empty\n";
      continue;
    }
    Delivery d =
        target
            ? sender.Send(*target, notice.event, sent)
            : Delivery{notice.index, rb.notify[notice.index].channel, notice.event, "", false, 0, 0,
                       error};
    // Kept (and recorded) before it is journaled sent: a kill between the two leaves it in
    // the run's .unrecorded, which a helper reads as sent and records (breakDD DD4: journaled
    // first, a kill left it sent and listed nowhere).
    if (record.store != nullptr || !record.unrecorded.empty()) {
      Status s = Record(record, options.run_id, d, redactor);
      if (recorded.ok() && !s.ok()) recorded = s;
    }
    if (d.sent && on_sent) on_sent(notice);
    // No target (one the notice could not be rendered for): no stray space before the colon,
    // and no "after 0 attempt(s)" for one never tried (break23a D3).
    const std::string shown_target = redactor.Apply(d.target);
    std::cerr << "runbook: notify " << d.channel << " (" << notice.event << ")"
              << (shown_target.empty() ? "" : " " + shown_target) << ": "
              << (d.sent           ? "sent"
                  : d.attempts > 0 ? "FAILED after " + std::to_string(d.attempts) +
                                         " attempt(s): " + redactor.Apply(d.error)
                                   : "FAILED, not sent: " + redactor.Apply(d.error))
              << "\n";
  }
  return recorded;
}

void NotifyRunEnd(const Runbook& rb, const RunOptions& options, const RunResult& result,
                  AuditStore& store, NotifySender& sender, const Redactor& redactor,
                  const NotifyJournalPaths& journal, const std::function<bool()>& keep_waiting) {
  if (rb.notify.empty() || options.dry_run) return;
  std::vector<std::string> events =
      RaisedEvents(result, PreviousStatus(store, rb.name, result.run_id));
  Value message = Message(rb, result, redactor, OtherRunsWaiting(store, rb.name, result.run_id));
  std::vector<OwedNotice> due = Owed(rb, events, message);
  if (!journal.outbox.empty() && !due.empty()) {  // durable before the first is sent
    if (Status s = WriteOutbox(journal.outbox, {message, due}); !s.ok())
      std::cerr << "runbook: warning: " << s.message()
                << " (were this process killed while it sends, the rest would not be sent)\n";
  }
  (void)DeliverOwed(rb, options, due, message, {&store, keep_waiting, journal.unrecorded}, sender,
                    redactor, {}, Journaling(journal.sent));
  if (!journal.sent.empty() && !due.empty())  // all attempted: nothing is owed any more
    if (Status s = AppendDone(journal.sent); !s.ok())
      std::cerr << "runbook: warning: " << s.message() << "\n";
}

void NotifyApprovalWaiting(const Runbook& rb, const RunOptions& options, const std::string& step,
                           const std::string& audit_db, NotifySender& sender,
                           const Redactor& redactor) {
  if (rb.notify.empty() || options.dry_run) return;
  auto store = AuditStore::OpenExisting(audit_db);  // its own connection: a step's thread
  if (!store.ok()) return;
  Value message =
      redactor.Apply(Value(Value::Map{{"runbook", Value(rb.name)},
                                      {"kind", Value(rb.kind)},
                                      {"run_id", Value(options.run_id)},
                                      {"status", Value("running")},
                                      {"step", Value(step)},
                                      {"host", Value(Host())},
                                      {"detail", Value("approval '" + step + "' waits")},
                                      {"error", Value()}}));
  (void)DeliverOwed(rb, options, Owed(rb, {"approval_waiting"}, message), message,
                    {store.value().get(), {}, ""}, sender, redactor);
}

Outbox LostRunOutbox(const Runbook& rb, const RunOptions& options, const std::string& status,
                     const std::string& detail, AuditStore* store, const Redactor& redactor) {
  // Every field a run's end has (docs/notify.md), null where nothing was measured (breakLL
  // LL8: receivers reading rto_ms found no key).
  Value message = redactor.Apply(Value(Value::Map{
      {"runbook", Value(rb.name)},
      {"kind", Value(rb.kind)},
      {"run_id", Value(options.run_id)},
      {"status", Value(status)},
      {"duration_ms", Value()},
      {"rto_ms", Value()},
      {"rpo_ms", Value()},
      {"objectives_met", Value()},
      {"host", Value(Host())},
      {"detail", Value(detail)},
      {"error", Value()},
      {"other_runs_waiting", store != nullptr ? OtherRunsWaiting(*store, rb.name, options.run_id)
                                              : Value(Value::List{})}}));
  std::vector<OwedNotice> due = Owed(rb, {"failure"}, message);
  return Outbox{std::move(message), std::move(due), true};
}

Outbox RecordedEndOutbox(const Runbook& rb, const RunOptions& options, const RunRow& row,
                         AuditStore& store) {
  auto number = [](const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); };
  const bool met = row.objectives_met.value_or(true);
  Value message(Value::Map{
      {"runbook", Value(rb.name)},
      {"kind", Value(rb.kind)},
      {"run_id", Value(options.run_id)},
      {"status", Value(row.status)},
      {"duration_ms", number(row.duration_ms)},
      {"rto_ms", number(row.rto_ms)},
      {"rpo_ms", number(row.rpo_ms)},
      {"objectives_met", row.objectives_met ? Value(*row.objectives_met) : Value()},
      {"host", Value(Host())},
      {"detail",
       Value(row.status == "success" && !met ? "an objective (RTO or RPO) was missed" : "")},
      {"error", Value()},
      {"other_runs_waiting", OtherRunsWaiting(store, rb.name, options.run_id)}});
  std::vector<OwedNotice> due = Owed(
      rb, RaisedEvents(row.status, met, PreviousStatus(store, rb.name, options.run_id)), message);
  return Outbox{std::move(message), std::move(due), true};
}

}  // namespace runbook
