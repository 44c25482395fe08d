#include "serve/restart.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "engine/audit/run_record.h"
#include "engine/audit/store.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "serve/kept_params.h"

namespace runbook {

std::vector<std::string> GatesLeftWaiting(const std::vector<AuditEvent>& events) {
  std::vector<std::string> gates;
  for (const AuditEvent& e : events) {
    auto at = std::find(gates.begin(), gates.end(), e.step);
    if (e.kind == "approval_waiting" && at == gates.end()) gates.push_back(e.step);
    if (e.kind == "attempt_finished" && at != gates.end()) gates.erase(at);
  }
  return gates;
}

namespace {

// The steps begun (an attempt_started) and not finished (no step_finished).
std::set<std::string> Unfinished(const std::vector<AuditEvent>& events) {
  std::set<std::string> unfinished;
  for (const AuditEvent& e : events) {
    if (e.kind == "attempt_started") unfinished.insert(e.step);
    if (e.kind == "step_finished") unfinished.erase(e.step);
  }
  return unfinished;
}

bool Passed(const Value& step_finished) {
  const Value* outcome = step_finished.Find("outcome");
  const Value* tolerated = step_finished.Find("tolerated");
  const std::string o = outcome != nullptr ? outcome->ToText() : "";
  return o == "success" || o == "warning" ||
         (tolerated != nullptr && tolerated->is_bool() && tolerated->as_bool());
}

}  // namespace

std::vector<std::string> GatesNext(const std::vector<AuditEvent>& events) {
  if (!Unfinished(events).empty()) return {};
  Value graph;
  std::set<std::string> begun, finished, passed;
  for (const AuditEvent& e : events) {
    if (e.kind == "attempt_started") begun.insert(e.step);
    if (e.kind != "run_started" && e.kind != "step_finished") continue;
    auto body = ParseJson(e.body);
    if (!body.ok()) continue;
    if (e.kind == "run_started" && body.value().Find("graph") != nullptr)
      graph = *body.value().Find("graph");
    if (e.kind == "step_finished") {
      finished.insert(e.step);
      if (Passed(body.value())) passed.insert(e.step);
    }
  }
  std::vector<std::string> gates;
  for (const Value& step : graph.is_list() ? graph.as_list() : Value::List{}) {
    const Value* id = step.Find("id");
    const Value* uses = step.Find("uses");
    const Value* is_finally = step.Find("finally");
    const Value* needs = step.Find("needs");
    if (id == nullptr ||
        (is_finally != nullptr && is_finally->is_bool() && is_finally->as_bool()) ||
        begun.count(id->ToText()) || finished.count(id->ToText()))
      continue;
    bool ready = true;
    for (const Value& need :
         needs != nullptr && needs->is_list() ? needs->as_list() : Value::List{})
      ready = ready && passed.count(need.ToText()) != 0;
    if (!ready) continue;
    if (uses == nullptr || uses->ToText() != "approval") return {};  // work to do next
    gates.push_back(id->ToText());
  }
  return gates;
}

std::vector<std::string> GatesAhead(const std::vector<AuditEvent>& events) {
  std::vector<std::string> gates = GatesLeftWaiting(events);
  return gates.empty() ? GatesNext(events) : gates;
}

bool OnlyWaitsAtGates(const std::vector<AuditEvent>& events) {
  const std::vector<std::string> gates = GatesLeftWaiting(events);
  for (const std::string& step : Unfinished(events))
    if (std::find(gates.begin(), gates.end(), step) == gates.end()) return false;
  return !gates.empty() || !GatesNext(events).empty();
}

std::vector<AuditEvent> WithUnrecorded(std::vector<AuditEvent> events, const Unrecorded& kept) {
  for (const AuditStore::NewEvent& fact : kept.facts) {
    AuditEvent e;
    e.run_id = events.empty() ? "" : events.front().run_id;
    e.kind = fact.kind;
    e.step = fact.step;
    e.attempt = fact.attempt;
    e.body = ToJson(fact.body);  // recorded_late with it
    events.push_back(std::move(e));
  }
  if (!kept.starting || kept.starting->type != "approval") return events;
  const StartingAttempt& gate = *kept.starting;
  bool recorded = std::any_of(events.begin(), events.end(), [&](const AuditEvent& e) {
    return e.kind == "attempt_started" && e.step == gate.step && e.attempt == gate.attempt;
  });
  if (recorded) return events;
  for (const char* kind : {"attempt_started", "approval_waiting"}) {
    AuditEvent e;
    e.kind = kind;
    e.step = gate.step;
    e.attempt = gate.attempt;
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::vector<AuditEvent>> JudgedEvents(AuditStore& store, const std::string& id,
                                             const Launcher& launcher) {
  auto events = store.RunEvents(id);
  if (!events.ok()) return events.status();
  return WithUnrecorded(std::move(events).value(), ReadUnrecorded(launcher.UnrecordedOf(id), id));
}

namespace {

// The copy serve kept of the runbook as run `id` started (Launcher::CopyOf), when `file` was
// edited since and the copy is the text the run recorded (its sha256); "" otherwise. A deploy
// then a restart is the usual time serve restarts: the gate waits again as it was started,
// as Argo keeps a suspended workflow's spec (breakWW WW8). A copy that is missing or not that
// text (damaged) is said through `say`: the resume then reads the file as it is now, and
// refuses it as changed (breakYY YY6: it was dropped silently).
std::string CopyIfEdited(AuditStore& store, const std::string& id, const std::string& file,
                         const Launcher& launcher,
                         const std::function<void(const std::string&)>& say) {
  auto record = LoadRunRecord(store, id);
  if (!record.ok()) return "";
  const std::string recorded = record.value().Text("runbook_sha256");
  auto now = Sha256File(file);
  if (recorded.empty() || (now.ok() && now.value() == recorded)) return "";
  auto copy = Sha256File(launcher.CopyOf(id));
  if (copy.ok() && copy.value() == recorded) return launcher.CopyOf(id);
  say("run " + id + ": its runbook " + file + " was edited since it started, and serve's copy " +
      launcher.CopyOf(id) +
      (copy.ok() ? " is not the text it started with (damaged?)" : " is missing") +
      ": resumed from the file as it is now");
  return "";
}

}  // namespace

std::set<std::string> ResumeWaitingRuns(
    const std::vector<std::string>& gone, const std::string& audit_db, const Catalog& catalog,
    Launcher& launcher, const std::function<void(const std::string&)>& say,
    const std::function<void(const std::string&, const std::string&)>& on_started) {
  std::set<std::string> not_resumed;
  if (gone.empty()) return not_resumed;
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok()) {
    say("error: cannot look for runs to resume: " + store.status().message());
    return not_resumed;
  }
  for (const std::string& id : gone) {
    auto events = JudgedEvents(*store.value(), id, launcher);
    if (!events.ok()) continue;
    std::vector<std::string> gates = GatesAhead(events.value());
    if (gates.empty()) continue;
    auto row = store.value()->FindRun(id);
    const CatalogEntry* entry = row.ok() ? catalog.Find(row.value().runbook) : nullptr;
    if (entry == nullptr) {
      say("run " + id + " waited for approval '" + gates.front() +
          "' but its runbook is not here: not resumed; its failure is sent");
      not_resumed.insert(id);
      continue;
    }
    LaunchRequest request;
    request.runbook = row.value().runbook;
    request.file = entry->file;
    request.resume_id = id;
    request.text_copy = CopyIfEdited(*store.value(), id, entry->file, launcher, say);
    request.trigger = Value(Value::Map{{"kind", Value("restart")}, {"resumes", Value(id)}});
    auto run = launcher.Start(request);
    if (!run.ok()) {
      say("error: cannot resume run " + id + ": " + run.status().message());
      not_resumed.insert(id);
      continue;
    }
    say("run " + id + " waited for approval '" + gates.front() +
        "' when serve stopped: resumed as run " + run.value().run_id + ", to wait there again" +
        (request.text_copy.empty()
             ? ""
             : " (its runbook " + entry->file + " was edited since: resumed as the run started)"));
    if (on_started) on_started(id, run.value().run_id);
  }
  return not_resumed;
}

std::vector<std::pair<std::string, std::string>> ResumesNeverStarted(
    const std::vector<std::string>& left, const std::string& audit_db, Launcher& launcher) {
  std::vector<std::pair<std::string, std::string>> resumed;
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok()) return resumed;
  for (const std::string& id : left) {
    if (store.value()->FindRun(id).ok()) continue;
    auto marked = launcher.MarkedRun(id);
    if (!marked || marked->resumes.empty()) continue;
    launcher.HandCopyBack(id, marked->resumes);
    launcher.Forget(id);
    resumed.emplace_back(id, marked->resumes);
  }
  return resumed;
}

namespace {

// Removes the copies of runbooks (Launcher::CopyOf) and the helpers' journals (SentOf) of runs
// that neither run nor are owed: a serve killed between a run's end and its owing leaves one.
// So is a private file's unfinished write (RUN_ID.KIND.tmp.HEX: its writer died before the
// rename; breakXX XX8, a .owed.tmp was left for good).
void RemoveStaleCopies(const std::string& log_dir, const Launcher& launcher,
                       const OwedFailures& owed) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string kind = entry.path().extension().string();
    const bool unfinished = name.find(".tmp.") != std::string::npos;
    if (!unfinished && kind != ".runbook" && kind != ".sent" && kind != ".outbox" &&
        kind != ".cancelled" && kind != ".params")
      continue;
    std::string id = name.substr(0, name.find('.'));
    if (owed.Owes(id) || std::filesystem::exists(launcher.MarkerOf(id), ec) || launcher.Owns(id))
      continue;
    ::unlink(entry.path().c_str());
  }
}

// Whether run `id`, which died with serve, may have left a failure untold: it was interrupted
// (not at a gate: resumed, it waits again), recorded "failure" (it may have died while it sent:
// breakRR RR3), or left an outbox (cli/notify_journal.h: whatever its status, it owed more).
// Whether the run's end was recorded late (engine/audit/unrecorded.h) and nothing of it was
// told: its process died before it could (breakAA AA1: serve killed with it, the next serve
// or a `show` recorded a success, and its `recovered` was never sent).
bool EndUntold(const std::vector<AuditEvent>& events) {
  bool late = false;
  for (const AuditEvent& e : events) {
    if (e.kind == "notification") return false;
    if (e.kind == "run_finished") {
      auto body = ParseJson(e.body);
      late = body.ok() && body.value().Find("recorded_late") != nullptr;
    }
  }
  return late;
}

bool LeftUntold(const std::string& status, const std::vector<AuditEvent>& events,
                const std::string& id, const Launcher& launcher,
                const std::set<std::string>& not_resumed) {
  if (status == "running") return true;  // not marked yet (breakTT TT12): it died all the same
  if (status == "interrupted") return GatesAhead(events).empty() || not_resumed.count(id);
  return status == "failure" || ::access(launcher.OutboxOf(id).c_str(), F_OK) == 0 ||
         EndUntold(events);
}

// What serve says of run `id`, which died with it and left no record in the store, by what
// its helper will decide (JudgeRequest, as cli/run_lost.cpp NeverBegan; newcomer round of
// issue 16: the line named both outcomes, "interrupted, if ...; else a failure").
std::string NeverRecorded(const Launcher& launcher, const std::string& id) {
  switch (JudgeRequest(ReadKeptParams(launcher.ParamsOf(id)), launcher.LogOf(id))) {
    case RequestJudgement::kTaken:
      return " left no record in the store: it never began (it waited for its lock or the store "
             "to record its start); its helper records it interrupted and tells it";
    case RequestJudgement::kTakenIfReadable:
      return " left no record in the store, nor the params it would have kept, and said no "
             "refusal: its helper records it interrupted if it could have begun (its secrets "
             "readable), else as refused, and tells it";
    case RequestJudgement::kRefused:
      break;
  }
  return " left no record in the store: nothing says its request was taken (refused before "
         "it started): its helper records it as a failure and tells it";
}

// Whether run `id`'s marker says its caller waited and was never answered (serve died
// before its 201): a run that began so is recorded and told, and said so (breakGG GG3).
bool UnansweredCaller(const Launcher& launcher, const std::string& id) {
  auto marked = launcher.MarkedRun(id);
  return marked && marked->unanswered;
}

}  // namespace

void NotifyDiedWithServe(const std::vector<std::string>& left, const std::string& audit_db,
                         const Catalog& catalog, Launcher& launcher, OwedFailures& owed,
                         const std::function<void(const std::string&)>& say,
                         const std::set<std::string>& not_resumed) {
  auto store = AuditStore::OpenExisting(audit_db);
  if (!store.ok() && !left.empty())
    return say("error: cannot look at the runs serve left: " + store.status().message());
  for (const std::string& id : left) {
    auto row = store.value()->FindRun(id);
    std::optional<LaunchedRun> run;
    if (row.ok()) {
      auto events = JudgedEvents(*store.value(), id, launcher);
      if (events.ok() &&
          LeftUntold(row.value().status, events.value(), id, launcher, not_resumed)) {
        run.emplace();
        run->run_id = id;
        run->runbook = row.value().runbook;
        run->log = launcher.LogOf(id);
        run->file = row.value().path;
      }
    } else {  // never recorded: refused before it started (breakRR RR6: its .owed unwritten)
      run = launcher.MarkedRun(id);
      if (run && run->unanswered) {  // breakDD DD1
        say("run " + id +
            " died with serve before its caller was answered, and left no record in the store: "
            "dropped (none of its steps ran; its caller saw the request fail and may send it "
            "again)");
        launcher.Forget(id);
        continue;
      }
    }
    if (!run) {
      launcher.Forget(id);  // told all, resumed at its gate, or an unnamed marker
      continue;
    }
    // The runbook as the run read it (serve's copy) is what is told from; without a copy, the
    // file the folder has now.
    const CatalogEntry* entry = catalog.Find(run->runbook);
    const bool copied = ::access(launcher.CopyOf(id).c_str(), R_OK) == 0;
    if (entry == nullptr && !copied) {
      say("run " + id + " died with serve, but its runbook is not here: its failure is not sent");
      launcher.Forget(id);
      continue;
    }
    if (entry != nullptr && (run->file.empty() || !copied)) run->file = entry->file;
    // The serve before cancelled it as it stopped, and it had not ended (breakRR RR2).
    run->cancelled = ::access(launcher.CancelledMarkOf(id).c_str(), F_OK) == 0;
    const bool unanswered = row.ok() && UnansweredCaller(launcher, id);  // before Owe moves it
    if (Status s = owed.Owe(*run, kDiedWithServe, std::chrono::steady_clock::now()); !s.ok())
      say("run " + id + ": its failure is being sent, not kept if serve stops: " + s.message());
    else
      say("run " + id +
          (!row.ok() && run->cancelled
               ? " was cancelled by serve before it recorded anything: a cancel is no failure, "
                 "nothing is sent for it"
           : !row.ok()      ? NeverRecorded(launcher, id)
           : run->cancelled ? " was cancelled by serve and did not end: it is interrupted; a "
                              "failure before the cancel, if any, is being sent"
           : row.value().status != "interrupted"
               ? " died with serve: what it left untold is being sent"
               : " died with serve: its failure is being sent") +
          (unanswered ? " (its caller was never answered, and may have sent the request again as "
                        "another run: resume this one only if none did)"
                      : ""));
  }
  RemoveStaleCopies(launcher.log_dir(), launcher, owed);
}

}  // namespace runbook
