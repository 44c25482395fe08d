#include "cli/run_lost.h"

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>

#include "cli/launch.h"
#include "cli/load.h"
#include "cli/notify_journal.h"
#include "cli/run_notify.h"
#include "engine/audit/run_record.h"
#include "engine/audit/store.h"
#include "engine/audit/unrecorded.h"
#include "engine/loader.h"
#include "engine/process_runner.h"
#include "engine/runbook_place.h"
#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/proc_identity.h"
#include "engine/util/time_format.h"
#include "serve/kept_params.h"
#include "serve/launcher.h"

namespace runbook {

namespace {

// "was killed by signal 9 (SIGKILL)", "ended with exit 3", "died with runbook serve".
std::string HowItEnded(int exit_code) {
  if (exit_code == kDiedWithServe) return "died with runbook serve";
  // runbook's own exit on a cancel (Ctrl-C, serve's SIGINT) and a death by SIGINT read alike:
  // both are a cancel (breakWW WW10: one that ended itself was said "killed by signal 2").
  if (exit_code == 128 + SIGINT) return "was stopped by SIGINT (exit 130: a cancel)";
  if (exit_code > 128 && exit_code < 128 + NSIG) {
    const char* abbrev = sigabbrev_np(exit_code - 128);
    return "was killed by signal " + std::to_string(exit_code - 128) +
           (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : "");
  }
  return "ended with exit " + std::to_string(exit_code);
}

// The detail told for a run that never began (NeverBegan, below), which ended `exit_code`.
// `by_stop`: serve's own stop cancelled it.
// `kept`: the run kept its params as accepted, so it was waiting; without them it is only
// known to have said no refusal (breakEE EE1: "it waited for its lock" was said of a run
// killed before it could check its request).
std::string NeverBeganDetail(int exit_code, bool by_stop, bool kept, const std::string& run_id) {
  return (by_stop ? std::string("runbook serve stopped")
                  : "the run's process " + HowItEnded(exit_code)) +
         " before it recorded its start" +
         (kept ? " (it waited for its lock or for the audit store)" : "") +
         ": none of its steps ran; it is interrupted: POST /api/v1/runs/" + run_id +
         "/resume runs it";
}

}  // namespace

std::string LostDetail(int exit_code, bool started, const std::string& run_id) {
  if (exit_code == kDiedWithServe && !started)  // breakRR RR6: serve could not keep its exit
    return "the run left no record in the store: it was refused before it started, or died "
           "with runbook serve before it recorded its start (serve's log: logs/" +
           run_id + ".log)";
  // Serve's runs are resumed through its API (breakWW WW10: the command line was named).
  const std::string resume = "it is interrupted: POST /api/v1/runs/" + run_id + "/resume";
  if (exit_code == kDiedWithServe)
    return "the run's process died with runbook serve (killed, OOM-killed or stopped while the "
           "run ran); " +
           resume;
  std::string how = HowItEnded(exit_code);
  if (!started)
    return "the run's process " + how + " before the run started (serve's log: logs/" + run_id +
           ".log)";
  return "the run's process " + how + " before it recorded its end; " + resume;
}

namespace {

Value::Map ReadableSecrets(const Runbook& rb, const EnvMap& env, const std::string& base) {
  Value::Map out;
  for (const SecretDecl& secret : rb.secrets) {
    Runbook one = rb;
    one.secrets = {secret};
    auto read = ResolveSecrets(one, env, false, base);
    if (read.ok())
      for (auto& [name, value] : read.value()) out[name] = std::move(value);
  }
  return out;
}

// Whether every secret of `rb` can be read now (as the run reads them before it begins).
bool SecretsReadable(const Runbook& rb, const EnvMap& env, const std::string& base) {
  return ResolveSecrets(rb, env, false, base).ok();
}

// The params the run recorded, for those the command line did not give: a resume serve
// started passes none (breakLL LL3: a dead resume was notified with the defaults). A masked
// param (recorded as its mask) is left as bound when the command line gave params
// (`given`), else unset: never its default (breakRR RR5: an entry addressed by it went to
// the default's receiver).
void RecordedParams(AuditStore& store, RunOptions& options, bool given) {
  auto events = store.RunEvents(options.run_id);
  if (!events.ok()) return;
  for (const AuditEvent& e : events.value()) {
    if (e.kind != "run_started") continue;
    auto body = ParseJson(e.body);
    const Value* params = body.ok() ? body.value().Find("params") : nullptr;
    const Value* masked = body.ok() ? body.value().Find("masked_params") : nullptr;
    if (params == nullptr || !params->is_map()) return;
    for (const auto& [name, value] : params->as_map()) {
      bool is_masked = false;
      if (masked != nullptr && masked->is_list())
        for (const Value& m : masked->as_list()) is_masked = is_masked || m.ToText() == name;
      if (!is_masked)
        options.params[name] = value;
      else if (!given)
        options.params.erase(name);
    }
    return;
  }
}

// The deliveries the store records as sent for `run_id`: a helper asked again after a serve
// stopped while it sent (breakNN NN1), or after the run itself sent some (breakRR RR3), sends
// the others only.
std::set<OwedNotice> SentNotices(AuditStore& store, const std::string& run_id) {
  std::set<OwedNotice> out;
  auto record = LoadRunRecord(store, run_id);
  if (!record.ok()) return out;
  for (const Value& n : record.value().notifications) {
    const Value* index = n.Find("index");
    const Value* event = n.Find("event");
    const Value* status = n.Find("status");
    if (index != nullptr && index->is_int() && index->as_int() >= 0 && event != nullptr &&
        status != nullptr && status->ToText() == "sent")
      out.insert({static_cast<size_t>(index->as_int()), event->ToText()});
  }
  return out;
}

// A run the store does not have: its params are kept by the first helper (serve gave it the
// run's --set values), taken by the next (given none after a restart: breakRR RR5). A param
// holding a secret's text is withheld: unset for the next helper, never its default (an
// entry addressed by it fails, said, rather than paging the default's receiver); its name is
// put in `context.withheld_params` (recorded masked). Neither kept (the file lost or damaged)
// nor given (a restart): the params serve says the run was started with (--lost-set-names),
// or every param of `rb` when it cannot say, are withheld too, and lost
// (`context.lost_params`): never recorded as their defaults, which a resume would run with
// (breakBB BB4), nor as a secret's text (breakCC CC4). What a helper keeps says whether the
// run was taken as accepted (`acceptance`, a run that never began): the next helper, if the
// store makes this one give up, judges it the same (its own errors in the run's log are no
// refusal of the run's).
void KeepOrTakeParams(const RunCliOptions& o, const Runbook& rb, const Redactor& redactor,
                      Value::Map& params, RunContext& context,
                      const std::optional<Acceptance>& acceptance) {
  if (o.lost_params.empty()) return;
  if (auto kept = ReadKeptParams(o.lost_params)) {
    params = kept->params;
    for (const std::string& name : kept->withheld) params.erase(name);
    context.withheld_params = kept->withheld;
    context.lost_params = kept->lost;
    context.withheld_masks = kept->masks;
    context.withheld_fingerprints = kept->fingerprints;
    // A run recorded late is dated when its request was taken (accepted by the run, its
    // start refused by the store), or when its first helper kept them, right after it ended
    // (refused by its own checks): not when a later helper could record it (breakFF FF4,
    // breakGG GG1). Never a time ahead of now.
    const std::string& when = kept->accepted ? kept->accepted_at : kept->kept_at;
    auto at = ParseUtc(when);
    if (at && *at <= SystemClock().WallNow() && context.requested_at.empty())
      context.requested_at = when;
    return;
  }
  if (!o.sets.empty()) return KeepParams(o.lost_params, params, redactor, acceptance);
  auto said = ParseJson(o.lost_set_names);
  std::optional<std::vector<std::string>> set = said.ok() ? StringsOf(&said.value()) : std::nullopt;
  if (!set) {
    set.emplace();
    for (const ParamSpec& p : rb.params) set->push_back(p.name);
  }
  KeptParams kept;
  for (const std::string& name : *set) {
    params.erase(name);
    kept.withheld.push_back(name);
  }
  if (!kept.withheld.empty())  // else started with none set: the defaults, as bound
    std::cerr << "runbook: warning: the params run " << o.run_id << " was started with are not "
              << "kept (" << o.lost_params << " is missing or damaged): recorded withheld\n";
  kept.params = params;
  kept.kept_at = FormatUtc(SystemClock().WallNow());
  if (acceptance) {
    kept.accepted = true;
    kept.runbook = acceptance->runbook;
    kept.trigger = acceptance->trigger;
  }
  kept.lost = kept.withheld;
  context.withheld_params = kept.withheld;
  context.lost_params = kept.lost;
  if (Status s = WriteKeptParams(o.lost_params, kept); !s.ok())
    std::cerr << "runbook: warning: " << s.message() << "\n";
}

// A run refused before it started, recorded as failed with no step (its params as bound, its
// failure's detail said in serve's log and the run's): history and /metrics show it, and the
// runbook's next success raises `recovered`, which resolves the alert its failure raised
// (breakLL LL7: the next success sent nothing, and the alert stayed firing). Errors: the
// store cannot be written (the run is told all the same, recorded nowhere).
Status RecordRefused(AuditStore& store, const Runbook& rb, const RunOptions& options,
                     const RunContext& context, const Redactor& redactor) {
  AuditJournal journal(store, context);
  if (Status s = journal.RunStarted(rb, options.run_id, options.params, redactor); !s.ok())
    return s;
  RunResult refused;
  refused.run_id = options.run_id;
  refused.status = "failure";
  refused.rto.objective = rb.rto_objective;  // not met: nothing was measured (breakZZ ZZ5)
  refused.rpo.objective = rb.rpo_objective;
  return journal.RunFinished(refused);
}

// Whether the lost run never began (breakZZ ZZ5): the store does not have it, its request
// was not refused (`judged`, JudgeRequest: its params kept by the run itself as accepted, or,
// those lost, its output says no refusal), and its process died
// after that without a refusal of its own: with serve, or by a signal other than a cancel's.
// Not a resume's run (that is the resumed run's), nor a cancelled one (an operator's cancel:
// the API, or its own end on a SIGINT or SIGTERM, Launcher::ReapLocked; a cancel is no
// failure, and nothing to resume), unless the cancel was serve's own stop (`lost_stopped`,
// breakBB BB5) and the run no schedule's fire (the next serve judges the fire again).
bool NeverBegan(const RunCliOptions& o, bool started, RequestJudgement judged,
                const Value& trigger) {
  if (started || !o.lost_resumes.empty() || judged == RequestJudgement::kRefused) return false;
  if (o.lost_cancelled) {
    const Value* kind = trigger.Find("kind");
    return o.lost_stopped && (kind == nullptr || kind->ToText() != "schedule");
  }
  return o.lost_exit == kDiedWithServe ||
         (o.lost_exit > 128 && o.lost_exit != 128 + SIGINT && o.lost_exit < 128 + NSIG);
}

// Of a run that never began: the lock it resolved and when its request was taken, as the run
// kept them (breakBB BB2), into `context`. A time ahead of now (a clock set back since) is not
// taken: the start is then dated when it is recorded.
void TakeAcceptance(const KeptParams& kept, RunContext& context) {
  context.lock = kept.lock;
  auto at = ParseUtc(kept.accepted_at);
  if (at && *at <= SystemClock().WallNow()) context.requested_at = kept.accepted_at;
}

// A run that never began (NeverBegan), recorded as started and interrupted, as any run serve's
// death interrupts (issue 16, part 5): `history` and the web UI show it with its caller and
// objectives, and POST .../resume runs it with its params (withheld ones asked for again, as
// masked ones are). Errors: the store's; its start recorded and its interruption not, the next
// sweep marks it (its owner, this process, is gone by then).
Status RecordNeverBegan(AuditStore& store, const Runbook& rb, const RunOptions& options,
                        const RunContext& context, const Redactor& redactor,
                        const std::string& reason) {
  AuditJournal journal(store, context);
  if (Status s = journal.RunStarted(rb, options.run_id, options.params, redactor); !s.ok())
    return s;
  return store.Append(options.run_id, "run_interrupted", "", 0,
                      Value(Value::Map{{"reason", Value(reason)}}));
}

// A run of `runbook` that started after `run_id` and ended (success or failure): its id and
// status, "" when none. Alertmanager holds one state per runbook, the newest run's: a lost
// run's late fire or resolve would undo it (breakTT TT6, TT14: a recovery's late resolve
// cleared a newer failure's alert).
std::string NewerEnded(AuditStore& store, const std::string& runbook, const std::string& run_id) {
  auto rows = store.Runs(runbook, 200);
  if (!rows.ok()) return "";
  for (const RunRow& r : rows.value()) {  // newest first
    if (r.run_id == run_id) return "";
    if (r.status == "success" || r.status == "failure") return r.run_id + " (" + r.status + ")";
  }
  return "";
}

// The run a refused resume leaves to tell: "" when `o` is no resume or the resume started.
std::string RefusedResumeOf(const RunCliOptions& o, bool resume_started) {
  return o.lost_resumes.empty() || resume_started ? "" : o.lost_resumes;
}

// `why`: the first error of the resume's log (Launcher::FirstError), quoted rather than
// guessed at (breakWW WW10: a missing secret was told as "give rerun or params").
std::string RefusedDetail(int exit_code, const std::string& resume_id, const std::string& run_id,
                          const std::string& why) {
  // Killed (or dead with serve) before it began, saying nothing: no refusal (breakCC CC5: a
  // resume killed as it waited for its lock was told as refused).
  if (why.empty() && (exit_code == kDiedWithServe || exit_code > 128))
    return "resuming it as run " + resume_id + " did not begin (its process " +
           HowItEnded(exit_code) +
           " before it recorded its start); it is still interrupted: resume it again with POST "
           "/api/v1/runs/" +
           run_id + "/resume";
  // The API, never a command line that takes a secret (breakVV VV4).
  return "resuming it as run " + resume_id + " was refused before it started (its process " +
         HowItEnded(exit_code) + "; " +
         (why.empty() ? "serve's log logs/" + resume_id + ".log says why"
                      : "it said: \"" + why + "\"") +
         "); it is still interrupted: once that is mended, resume it with POST /api/v1/runs/" +
         run_id + "/resume (what the error asks for goes in its body: \"rerun\", \"force\", or " +
         "in \"params\" a param the run recorded masked)";
}

// The steps of `run_id` (main or finally: breakUU UU7) whose failure fails the run (not
// tolerated: the runbook's continue-on-error), "step 'a', step 'b'"; "" when none: those
// `store` (may be null)
// recorded failed, and those the run journaled failing in `sent_journal` before its store
// could record them (breakTT TT2). A run whose main step failed before a cancel came failed
// (engine/executor.cpp, breakRR RR1), recorded or not.
std::string FailedFirst(const Runbook& rb, AuditStore* store, const std::string& run_id,
                        const std::string& sent_journal) {
  std::vector<std::string> failed = FailedStepsIn(sent_journal);
  if (store != nullptr) {
    auto record = LoadRunRecord(*store, run_id);
    if (record.ok())
      for (const StepView& view : record.value().steps)
        if (view.outcome == "failure") failed.push_back(view.id);
  }
  std::string out;
  std::set<std::string> said;
  for (const std::string& id : failed) {
    for (size_t i = 0; i < rb.steps.size(); ++i) {
      if (rb.steps[i].id == id && rb.steps[i].continue_on_error == ContinueOnError::kNo &&
          said.insert(id).second)
        out += (out.empty() ? "step '" : ", step '") + id + "'";
    }
  }
  return out;
}

// What the helper tells, and says on stderr: the rest of what the run's end owed (its outbox:
// it was killed while it sent), or a failure (it recorded one but died before it owed it, or
// it never recorded its end). `detail` is the failure's.
struct LostTelling {
  std::optional<Outbox> outbox;
  std::string status;
  std::string detail;
  bool recorded_end = false;  // the run's end, recorded late: told as it was (RecordedEndOutbox)
};

// nullopt: nothing to tell (said why, when it is not plain).
// `failed_first`: FailedFirst's.
// `end_late`: its end was recorded late (EndRecordedLate).
std::optional<LostTelling> WhatToTell(const RunCliOptions& o, bool started,
                                      const std::string& status, std::string detail,
                                      const std::string& failed_first, const std::string& run_id,
                                      bool end_late) {
  // Only a run that started wrote one (a refused resume's run never did).
  auto outbox =
      started && RefusedResumeOf(o, started).empty() ? ReadOutbox(o.notify_outbox) : std::nullopt;
  if (outbox && !outbox->by_helper && SentJournalDone(o.notify_sent)) {  // breakTT TT7
    std::cerr << "runbook: run " << run_id << ": its process " << HowItEnded(o.lost_exit)
              << " after it had told all its end owed: nothing left to send\n";
    return std::nullopt;
  }
  if (outbox) return LostTelling{std::move(outbox), status, ""};
  if (started && status == "failure")  // recorded, but killed before it owed anything
    return LostTelling{std::nullopt, status,
                       "the run failed, and its process " + HowItEnded(o.lost_exit) +
                           " before it sent its notifications"};
  if (started && status == "success" && end_late)  // breakZZ ZZ1: its end told nothing
    return LostTelling{std::nullopt, status,
                       "its process " + HowItEnded(o.lost_exit) +
                           " before it told its end, recorded now as it was",
                       true};
  if (started && (status == "success" || status == "cancelled")) return std::nullopt;
  if (o.lost_cancelled && !failed_first.empty())  // breakRR RR2: the failure came first
    return LostTelling{std::nullopt, status,
                       failed_first + " failed before serve cancelled the run, and its process " +
                           HowItEnded(o.lost_exit) + " before it recorded its end"};
  if (o.lost_cancelled) {  // breakPP PP3: its cancel was not recorded (a store locked)
    // Said as its end was, never serve's internal "exit 1000" (breakTT TT7).
    std::cerr << "runbook: run " << run_id << " was cancelled and its process "
              << HowItEnded(o.lost_exit) << " before it recorded its end; "
              << (started ? "it is " + status : std::string("it never started"))
              << "; a cancel is no failure: nothing sent\n";
    return std::nullopt;
  }
  // A step that had failed for good is said first (breakDD DD2: killed as it waited to
  // record that failure, it was told only as interrupted).
  if (started && !failed_first.empty()) detail = failed_first + " failed; then " + detail;
  return LostTelling{std::nullopt, status, std::move(detail)};
}

// The deliveries run `run_id` kept in `path` (its .unrecorded) as sent: kept before they are
// journaled in .sent, so one a kill caught between the two was sent (breakDD DD4).
std::set<OwedNotice> SentKeptUnrecorded(const std::string& path, const std::string& run_id) {
  std::set<OwedNotice> out;
  if (path.empty()) return out;
  for (const AuditStore::NewEvent& fact : ReadUnrecorded(path, run_id).facts) {
    const Value* status = fact.body.Find("status");
    const Value* index = fact.body.Find("index");
    const Value* event = fact.body.Find("event");
    if (fact.kind == "notification" && status != nullptr && status->ToText() == "sent" &&
        index != nullptr && index->is_int() && index->as_int() >= 0 && event != nullptr &&
        event->is_string())
      out.insert({static_cast<size_t>(index->as_int()), event->as_string()});
  }
  return out;
}

// Records what run `run_id` did and kept in `path` while its store was locked (engine/audit/
// unrecorded.h), before anything marks it interrupted: a step that ended is then not "never
// finished", a delivery sent is listed (breakYY YY3, YY4). Said on stderr. Returns false when
// the store cannot take them yet (busy, an I/O error: nothing is sent, serve asks again); a
// run ended or resumed since keeps what decided without them (said, and true).
bool RecordLeftUnrecorded(AuditStore& store, const std::string& run_id, const std::string& path) {
  if (path.empty()) return true;
  auto late = RecordUnrecorded(store, run_id, path);
  if (!late.ok()) {
    // The store may have refused (an I/O error, a trigger) rather than been locked (breakEE
    // EE3): said as what it is, its reason after.
    std::cerr << "runbook: error: cannot record yet what run " << run_id
              << " kept while the store could not take it: " << late.status().message() << "\n";
    return false;
  }
  for (const LateRecordLine& line : SayLateRecord(late.value(), run_id, path))
    std::cerr << "runbook: " << (line.warning ? "warning: " : "") << line.text << "\n";
  return true;
}

int NotifyLostRun(const RunCliOptions& o, const Runbook& rb, RunOptions options,
                  RunContext context) {
  auto store = AuditStore::Open(o.audit_db);
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return kExitEnvironment;
  }
  // Its process is gone: the run is interrupted. Until the store says so nothing is sent (a
  // locked store: serve asks again).
  if (auto swept = store.value()->MarkInterrupted(); !swept.ok()) {
    std::cerr << "runbook: error: cannot mark run " << options.run_id
              << " interrupted yet: " << swept.status().message() << "\n";
    return kExitEnvironment;
  }
  auto row = store.value()->FindRun(options.run_id);
  std::string detail = LostDetail(o.lost_exit, row.ok(), options.run_id);
  if (std::string resumed = RefusedResumeOf(o, row.ok()); !resumed.empty()) {
    // A resume killed said nothing: a later helper's error in its log is not its reason.
    detail = RefusedDetail(o.lost_exit, options.run_id, resumed,
                           o.lost_exit < 128 ? Launcher::FirstError(o.lost_log) : "");
    options.run_id = resumed;
    options.params.clear();  // the resumed run's own, below
    row = store.value()->FindRun(resumed);
  }
  const bool started = row.ok();
  const std::optional<KeptParams> kept = started ? std::nullopt : ReadKeptParams(o.lost_params);
  // Nothing kept nor said, a run whose secrets cannot be read now would have been refused,
  // not begun (breakEE EE1: killed before it said so, it was recorded resumable); one whose
  // output says it waited is past its checks, whatever this serve can read (breakFF FF5).
  const RequestJudgement judged =
      started ? RequestJudgement::kTaken : JudgeRequest(kept, o.lost_log);  // its log read once
  const bool never_began = NeverBegan(o, started, judged, context.trigger) &&
                           (judged == RequestJudgement::kTaken ||
                            SecretsReadable(rb, CurrentEnvironment(), context.base));
  if (never_began) {
    detail = NeverBeganDetail(o.lost_exit, o.lost_cancelled && o.lost_stopped, kept.has_value(),
                              options.run_id);
    if (kept) TakeAcceptance(*kept, context);  // lost: its start dated when recorded
  }
  const std::string status = started ? row.value().status : never_began ? "interrupted" : "failure";
  if (status == "running") {  // not taken as gone yet (its heartbeat is fresh): later
    std::cerr << "runbook: error: run " << options.run_id << " is not marked interrupted yet\n";
    return kExitEnvironment;
  }
  std::string failed_first =
      FailedFirst(rb, started ? store.value().get() : nullptr, options.run_id, o.notify_sent);
  auto end_late = started ? EndRecordedLate(*store.value(), options.run_id) : Result<bool>(false);
  // A run serve's stop caught before it began is told as the interrupted run it is, not as a
  // cancel (NeverBegan, breakBB BB5).
  RunCliOptions as_told = o;
  as_told.lost_cancelled = o.lost_cancelled && !never_began;
  auto telling = WhatToTell(as_told, started, status, detail, failed_first, options.run_id,
                            end_late.ok() && end_late.value());
  if (!telling) return kExitOk;
  if (started) RecordedParams(*store.value(), options, !o.sets.empty());
  EnvMap env = CurrentEnvironment();
  // Each secret that can be read is (breakLL LL2: one missing secret, the reason the run was
  // refused, left every entry without any); one that cannot leaves the entries that need it
  // failing, recorded, and the others send.
  options.secrets = ReadableSecrets(rb, env, context.base);
  Redactor redactor = RunRedactor(*options.secrets, env);
  if (!started)
    KeepOrTakeParams(o, rb, redactor, options.params, context,
                     never_began
                         ? std::optional<Acceptance>(Acceptance{context.requested_at, context.lock,
                                                                rb.name, context.trigger})
                         : std::nullopt);
  std::set<OwedNotice> sent = ReadSentJournal(o.notify_sent);
  sent.merge(SentKeptUnrecorded(o.unrecorded, options.run_id));
  if (started) sent.merge(SentNotices(*store.value(), options.run_id));
  bool recorded_now = false;
  if (!started && RefusedResumeOf(o, false).empty()) {
    Status s = never_began
                   ? RecordNeverBegan(*store.value(), rb, options, context, redactor, detail)
                   : RecordRefused(*store.value(), rb, options, context, redactor);
    if (!s.ok())
      std::cerr << "runbook: warning: the "
                << (never_began ? "run that never began" : "refused run")
                << " is not recorded: " << s.message() << "\n";
    recorded_now = s.ok();
    // What an earlier helper sent while the store would not take the run waited for its
    // record (breakCC CC1): recorded now, after it.
    if (recorded_now && !RecordLeftUnrecorded(*store.value(), options.run_id, o.unrecorded))
      return kExitEnvironment;
  }
  if (!telling->outbox) {  // kept, so a helper started again sends the same (breakLL LL7)
    // The store is read for the other runs waiting at a gate even when this run is not in it
    // (breakTT TT15: a refused run's end resolved RunbookApprovalWaiting while another run
    // of the runbook still waited).
    telling->outbox = telling->recorded_end
                          ? RecordedEndOutbox(rb, options, row.value(), *store.value())
                          : LostRunOutbox(rb, options, telling->status, telling->detail,
                                          store.value().get(), redactor);
    std::cerr << "runbook: run " << options.run_id << ": " << telling->detail << "\n";
    if (!o.notify_outbox.empty() && !telling->outbox->due.empty())
      if (Status s = WriteOutbox(o.notify_outbox, *telling->outbox); !s.ok())
        std::cerr << "runbook: warning: " << s.message() << "\n";
  } else {
    const Outbox& box = *telling->outbox;
    size_t left = std::count_if(box.due.begin(), box.due.end(),
                                [&](const OwedNotice& n) { return sent.count(n) == 0; });
    const Value* said = box.message.Find("detail");
    std::cerr << "runbook: run " << options.run_id << ": "
              << (box.by_helper && said != nullptr
                      ? said->ToText() + " (told by serve's helper before)"
                      : "its process " + HowItEnded(o.lost_exit) +
                            " while it sent its notifications")
              << "; "
              << (left == 0 ? std::string("none was left to send")
                            : std::to_string(left) + " left to send now")
              << "\n";
  }
  if (o.notifier == nullptr) return kExitOk;
  auto journal = [&o](const OwedNotice& notice) {
    if (o.notify_sent.empty()) return;
    if (Status s = AppendSent(o.notify_sent, notice); !s.ok())
      std::cerr << "runbook: warning: " << s.message() << " (it may be sent again)\n";
  };
  AuditStore* recorded = started || recorded_now ? store.value().get() : nullptr;
  // Asked just before each Alertmanager delivery: a run may end while earlier ones retry.
  auto stale_alert = [&](const OwedNotice& n) -> std::string {
    if (rb.notify[n.index].channel != "alertmanager") return "";
    std::string newer = NewerEnded(*store.value(), rb.name, options.run_id);
    return newer.empty() ? "" : "the newer run " + newer + " decides the alert";
  };
  Status told =
      DeliverOwed(rb, options, telling->outbox->due, telling->outbox->message,
                  {recorded, {}, o.unrecorded}, *o.notifier, redactor, sent, journal, stale_alert);
  if (!told.ok()) {  // a delivery not recorded: asked again, the recorded ones not resent
    std::cerr << "runbook: error: " << told.message() << "\n";
    return kExitEnvironment;
  }
  // A refused run the store could not take (locked meanwhile): asked again, so that history,
  // /metrics and the UI show it; what was sent is not sent again (breakUU UU4).
  if (!started && RefusedResumeOf(o, false).empty() && !recorded_now) {
    std::cerr << "runbook: error: the " << (never_began ? "run that never began " : "refused run ")
              << options.run_id << " is not recorded yet: serve asks again\n";
    return kExitEnvironment;
  }
  return kExitOk;
}

}  // namespace

int CmdLostRun(const StepRegistry& registry, const RunCliOptions& cli) {
  RunCliOptions o = cli;
  o.registry = &registry;
  // First, and without its runbook: what it kept is recorded though no runbook can be read.
  if (!o.unrecorded.empty()) {
    auto store = AuditStore::Open(o.audit_db);
    if (!store.ok() || !RecordLeftUnrecorded(*store.value(), o.run_id, o.unrecorded)) {
      if (!store.ok()) std::cerr << "runbook: error: " << store.status().message() << "\n";
      return kExitEnvironment;
    }
  }
  auto rb = LoadCopyAs(registry, o.file, o.lost_copy);  // what the run read
  if (!rb) return kExitInvalid;
  RunOptions options;
  RunContext context;
  std::vector<std::pair<std::string, std::string>> sets;
  if (SplitSets(o.sets, sets)) {
    auto params = BindParams(*rb, sets);  // a resume's may not bind: its record's, later
    if (params.ok()) options.params = params.value();
  }
  if (!RunIdAndTrigger(o, options.run_id, context.trigger)) return kExitInvalid;
  // As the run would have recorded them, for a record the helper writes (breakZZ ZZ5: its
  // user was empty): serve's account, and the runbook as the run read it.
  context.runbook_sha256 = Sha256Hex(rb->source.text);
  context.user = CurrentUser();
  context.git_commit = GitCommitOf(o.file);
  if (int code = EnterRun(o, *rb, RunbookBase(*rb), context); code != kExitOk) return code;
  return NotifyLostRun(o, *rb, std::move(options), context);
}

}  // namespace runbook
