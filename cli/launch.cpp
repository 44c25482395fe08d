#include "cli/launch.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "cli/api_approver.h"
#include "cli/approver.h"
#include "cli/audit_open.h"
#include "cli/continue_line.h"
#include "cli/display.h"
#include "cli/load.h"
#include "cli/run_liveness.h"
#include "cli/run_lost.h"
#include "cli/run_notify.h"
#include "cli/verified_lookup.h"
#include "engine/audit/metrics.h"
#include "engine/audit/run_record.h"
#include "engine/audit/store.h"
#include "engine/audit/unrecorded.h"
#include "engine/audit/verify.h"
#include "engine/calls.h"
#include "engine/cancel_signals.h"
#include "engine/graph.h"
#include "engine/process_runner.h"
#include "engine/process_tree.h"
#include "engine/redact.h"
#include "engine/runbook_place.h"
#include "engine/util/crypto.h"
#include "engine/util/file_access.h"
#include "engine/util/json.h"
#include "engine/util/strings.h"
#include "engine/util/time_format.h"
#include "serve/kept_params.h"

namespace runbook {
namespace {

CancelToken* g_cancel = nullptr;  // read by the signal handler only

void OnSignal(int sig) {
  if (g_cancel != nullptr) g_cancel->Cancel(sig);
}

void InstallSignals(CancelToken& token) {
  g_cancel = &token;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  // Every signal whose default would end runbook at once is a cancel: the steps' processes
  // are ended, finally steps run and the run is recorded (exit 128+N). Besides the three an
  // operator sends, the soft CPU-time limit (SIGXCPU: ulimit -S -t, systemd's LimitCPU=) and
  // the user and timer signals (break22a #4: they killed runbook, leaving the steps' processes
  // running, no finally, no message).
  for (int sig : kCancelSignals) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int ExitCode(const RunResult& r) {
  if (r.status == "cancelled") return 128 + (r.signal > 0 ? r.signal : SIGINT);
  if (r.status == "failure") return kExitStepFailed;
  if (!r.objectives_met()) return kExitObjectiveMissed;
  return kExitOk;
}

bool ParseInputs(const std::vector<std::string>& raw, std::map<std::string, std::string>& out) {
  for (const std::string& s : raw) {
    size_t eq = s.find('=');
    size_t dot = eq == std::string::npos ? std::string::npos : s.rfind('.', eq);
    if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
      std::cerr << "runbook: error: --input expects STEP.NAME=VALUE, found "
                << (eq == std::string::npos ? "an argument without '=' (not shown: it may hold a "
                                              "secret)"
                                            : "'" + Printable(s.substr(0, eq)) + "=...'")
                << "\n";
      return false;
    }
    if (std::string copied =
            CopiedMaskProblem("--input " + Printable(s.substr(0, eq)), s.substr(eq + 1));
        !copied.empty()) {
      std::cerr << "runbook: error: " << copied << "\n";
      return false;
    }
    auto [at, fresh] = out.emplace(s.substr(0, eq), s.substr(eq + 1));
    if (!fresh && at->second != s.substr(eq + 1)) {  // breakM M9: the last one won, unsaid
      std::cerr << "runbook: error: --input " << Printable(at->first)
                << " is given twice with different values; give it once\n";
      return false;
    }
  }
  return true;
}

// A lock whose holder was killed while processes its steps started still run (breakL L30,
// breakM M6): named, with what the operator can do (breakM M8: the advice must work).
void SayLeftBehind(AuditStore& store, const std::string& shown_lock, const LockHolder& h,
                   const Redactor& redactor, bool waiting) {
  auto heard = store.LastHeard(h.run_id);  // the account it ran as (breakP P3)
  std::optional<uid_t> uid = heard.ok() && heard.value() ? heard.value()->uid : std::nullopt;
  std::vector<TrackedProcess> found = FindLeftovers(h.left_behind, store.RunAccounts(uid));
  std::string pids;
  for (TrackedProcess& p : found) {
    close(p.pidfd);
    pids += " " + std::to_string(p.pid);
  }
  std::cerr << "runbook: " << (waiting ? "waiting: " : "error: ") << "lock '" << shown_lock
            << "' is held by what run " << h.run_id
            << " left: it was interrupted, and processes its steps started still run:\n";
  for (const TrackedProcess& p : found)
    std::cerr << "  " << ProcessName(p, MaskerOf(redactor)) << "\n";
  if (waiting) return;
  std::cerr << "wait for them to end (--wait waits), end them (kill" << pids
            << "), or continue run " << h.run_id << " instead, which ends them first (the "
            << "command: runbook show " << h.run_id << " --audit-db "
            << ShellQuote(AbsoluteFromHere(store.path())) << ")\n";
}

// A new `run` of a runbook whose last run stopped mid-way in a step that is not idempotent
// and was not resumed: said, with the command that continues it instead (breakN N31: the
// --rerun question guarded only `resume`; running the same command again after a crash
// redid the step without a word). A warning, not a refusal: a new run (a new backup) is
// often what is meant.
void SayUnfinishedBefore(AuditStore& store, const Runbook& rb) {
  auto rows = store.Runs(rb.name, 1);
  if (!rows.ok() || rows.value().empty()) return;
  const RunRow& last = rows.value()[0];
  if (last.status != "interrupted" && last.status != "cancelled" && last.status != "failure")
    return;
  auto resumed = store.ResumedAs(last.run_id);
  if (!resumed.ok() || resumed.value()) return;
  auto record = LoadRunRecord(store, last.run_id);
  if (!record.ok()) return;
  std::vector<std::string> steps = RerunsNeeded(record.value(), rb);
  if (steps.empty()) return;
  // The whole command, as the run's end line and `show` give it (breakP P12: the --set of
  // its masked params was missing, so it was refused as printed).
  const RunRecord& r = record.value();
  ContinueLine next{r.run_id,        AbsoluteFromHere(store.path()),
                    steps,           LeftoversRunning(r, store.RunAccounts(RecordedUid(r))),
                    MaskedParams(r), RecordedContinueOptions(r)};
  std::cerr << "runbook: warning: the last run of " << rb.name << ", " << last.run_id << " ("
            << last.status << "), stopped mid-way in " << Join(steps, ", ")
            << ", not idempotent, which may have done part of its work"
            << (next.end_leftovers  // breakO O16: its step may still be at work
                    ? ", and processes its steps started still run here"
                    : "")
            << "; this run starts from the beginning. To continue that run instead: "
            << next.Command() << "\n";
}

// Takes the runbook's lock, or says who holds it. With --wait, polls until it is free or
// the run is cancelled, and says who holds it each time that changes (breakM M19: a second
// holder that took the lock meanwhile went unnamed).
bool TakeLock(AuditStore& store, const std::string& lock, const std::string& run_id, bool wait,
              const CancelToken& cancel, const Redactor& redactor) {
  const std::string shown = Printable(lock);  // a param's control characters (breakO O18)
  std::string said;               // the holder last named: its run id, and how it holds the lock
  std::string said_run;           // the run of the holder last named
  std::set<std::string> watched;  // holders of another place watched once (breakP P11)
  bool said_busy = false;         // "the store is busy" said once per wait
  auto stop = [&cancel] { return cancel.cancelled(); };
  for (bool told = false;; told = true) {
    if (told) {  // a holder may have gone while we waited
      auto marked = store.MarkInterrupted(WatchFor(said_run, stop));
      if (marked.ok()) SayTakenAsGone(marked.value());
      if (cancel.cancelled()) return false;
    }
    auto held = store.TryLock(lock, run_id);
    // Waiting, a store another process holds past its busy timeout (a long writer, a copy
    // being taken) is waited out too: the run had not started, and a scheduled backup behind
    // a long drill died there, paged, its fire lost (breakVV VV2).
    if (!held.ok() && wait && store.LastFailedBusy()) {
      if (!std::exchange(said_busy, true))
        std::cerr << "runbook: the audit store is busy (" << held.status().message()
                  << "): still waiting for lock '" << shown << "'\n";
      if (cancel.cancelled()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (!held.ok()) {
      std::cerr << "runbook: error: lock '" << shown << "': " << held.status().message() << "\n";
      return false;
    }
    if (!held.value()) return true;
    const LockHolder& h = *held.value();
    if (!h.heard_at.empty() && watched.insert(h.run_id).second) {
      // Its holder runs elsewhere: the one run this command may watch and take as gone.
      auto marked = store.MarkInterrupted(WatchFor(h.run_id, stop));
      if (marked.ok()) SayTakenAsGone(marked.value());
      if (cancel.cancelled()) return false;
      if (marked.ok()) continue;  // gone, or ended while watched: try again
    }
    std::string holder = h.run_id + (h.left_behind.empty() ? "" : " (left behind)");
    bool new_holder = holder != said;
    said = holder;
    said_run = h.run_id;
    if (!h.left_behind.empty()) {
      if (new_holder || !wait) SayLeftBehind(store, shown, h, redactor, wait);
      if (!wait) return false;
      if (cancel.cancelled()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    std::string who = "run " + h.run_id + " (pid " + std::to_string(h.owner.pid) + " on " +
                      Printable(h.owner.host) + ", since " + h.acquired_at + ")" +
                      ElsewhereNote(h.heard_at) + StoppedNote(h.owner);
    if (!wait) {
      std::cerr << "runbook: error: lock '" << shown << "' is held by " << who
                << "; wait with --wait\n";
      return false;
    }
    if (new_holder)
      std::cerr << "runbook: waiting for lock '" << shown << "', " << (told ? "now " : "")
                << "held by " << who << "\n";
    if (cancel.cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Opens the run's store (TryOpenAuditForCommand). With --wait, a store another process holds
// locked past its busy timeout (an `audit export`, a copy being taken, a long writer) is
// waited out, said once, until it opens or the run is cancelled: the run has recorded nothing
// yet, and a scheduled fire started while the store was locked died there, paged, its fire
// lost (breakVV VV2). Errors: the store's, or the last busy one once cancelled.
Result<std::unique_ptr<AuditStore>> OpenWaiting(const StoreChoice& choice, bool wait,
                                                const CancelToken& cancel) {
  return OpenWaitingOutBusy([&choice] { return TryOpenAuditForCommand(choice); },
                            wait ? std::function<bool()>([&cancel] { return !cancel.cancelled(); })
                                 : std::function<bool()>());
}

// --sign-key is read and tried before the first step (breakI I19: an unreadable or damaged
// key was found only after the run, which then exited 0 with its store unsigned).
Status UsableSignKey(const std::string& key) {
  if (key.empty()) return Status::Ok();
  auto id = KeyId(key);
  if (!id.ok()) return id.status();
  return Ed25519Sign(key, "runbook: a trial of --sign-key").status();
}

// Resolves the runbook's lock into context.lock, by its masked name: on the console and in
// the store's locks table as in the run's record (breakL L31), two names differing only in a
// secret are one lock, which over-locks, never under-locks. A dry run resolves it too: one the
// run cannot resolve refuses it before its first step, so the dry run ends so (breakJJ JJ2).
// Returns kExitOk, or kExitInvalid (said).
int ResolveRunLock(const Runbook& rb, const RunOptions& options, RunContext& context,
                   const Redactor& redactor) {
  auto lock = ResolveLock(rb, options.params, options.secrets.value_or(Value::Map()), context.base,
                          options.dry_run);
  if (!lock.ok()) {
    std::cerr << "runbook: error: " << redactor.Apply(lock.status().message())
              << "; nothing was run\n";
    return kExitInvalid;
  }
  context.lock = redactor.Apply(lock.value());
  return kExitOk;
}

// Opens the audit store into `store` and takes the runbook's lock (context.lock:
// ResolveRunLock). A dry run changes nothing and is not evidence: not recorded, `store` stays
// null. Returns kExitOk or the exit code to stop with.
int OpenLocked(const RunCliOptions& o, const RunOptions& options, RunContext& context,
               const CancelToken& cancel, const Redactor& redactor,
               std::unique_ptr<AuditStore>& store) {
  if (options.dry_run) return kExitOk;
  auto opened = OpenWaiting(o.store, o.wait_lock, cancel);
  if (!opened.ok()) {
    if (cancel.cancelled()) return 128 + cancel.signal_number();
    std::cerr << "runbook: error: " << opened.status().message() << "\n";
    return kExitEnvironment;
  }
  store = std::move(opened).value();
  // Until the run's start is recorded, a cancel ends a wait for the locked store at once,
  // and nothing is recorded (breakWW WW11: the start and a cancelled end were, when the store
  // freed within the busy timeout after Ctrl-C; a fire stopped so never ran, unsaid).
  store->StopLockWaitsWhen([&cancel] { return cancel.cancelled(); });
  if (!context.lock.empty() &&
      !TakeLock(*store, context.lock, options.run_id, o.wait_lock, cancel, redactor)) {
    // Interrupted while waiting is 128+N like any interruption; a held lock is exit 3.
    if (!cancel.cancelled()) return kExitEnvironment;
    std::cerr << "runbook: interrupted while waiting; nothing was run\n";
    return 128 + cancel.signal_number();
  }
  if (cancel.cancelled()) {  // while the store was opened: nothing recorded, nothing run
    if (!context.lock.empty()) (void)store->Unlock(context.lock, options.run_id);
    std::cerr << "runbook: interrupted before the run started; nothing was run\n";
    return 128 + cancel.signal_number();
  }
  return kExitOk;
}

// The folder --metrics-file writes into exists and can be written: checked before the run,
// so a typo is not found only at its end (issue 14 #10). Ok for an empty path.
Status UsableMetricsFile(const std::string& path) {
  if (path.empty()) return Status::Ok();
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    return Status::Error("folder " + Printable(folder.string()) + " does not exist");
  if (::access(folder.c_str(), W_OK) != 0)
    return Status::FromErrno("cannot write into " + Printable(folder.string()), errno);
  // Its owner and group can be kept, and it can be replaced (breakDD D3): found at the end,
  // the run's metrics would be lost.
  if (std::string why = ReplaceProblem(path); !why.empty()) return Status::Error(why);
  return Status::Ok();
}

// False when the head could not be signed or the metrics not written: the run's evidence
// is then not what was asked.
bool AfterRun(const RunCliOptions& o, AuditStore& store, const Runbook& rb, const RunResult& result,
              const Redactor& redactor) {
  bool signed_ok = true;
  if (!o.sign_key.empty()) {
    bool broken = false;
    Status s = SignHead(store, o.sign_key, broken);
    if (!s.ok()) std::cerr << "runbook: error: signing the audit head: " << s.message() << "\n";
    signed_ok = s.ok();
  }
  if (!o.metrics_file.empty()) {
    // Names and numbers only; a name holding a secret's text is masked (break22b #11).
    std::string text = redactor.Apply(MetricsText(rb, result, UnixMillis(SystemClock().WallNow())));
    Status s = WriteMetricsFile(o.metrics_file, text);
    if (!s.ok()) std::cerr << "runbook: error: --metrics-file: " << s.message() << "\n";
    signed_ok = signed_ok && s.ok();
  }
  return signed_ok;
}

// After a run: descendants of its steps that escaped every tracking (reparented to runbook,
// no tracking id left in their environment) are ended, so the run leaves no process behind.
// Their command lines are masked with the run's secrets.
void EndLeftBehind(const Redactor& redactor) {
  for (const std::string& line : EndAdopted(Millis(2000), MaskerOf(redactor)))
    std::cerr << "runbook: ended " << line << ", left behind by the run\n";
}

// The params a resume must be given again (`--set`): recorded masked (their value held a
// secret's text) and not the runbook's default, which a resume takes from the file itself.
std::vector<std::string> ParamsToGiveAgain(const Runbook& rb, const Value::Map& params,
                                           const Redactor& redactor) {
  std::vector<std::string> names;
  for (const auto& [name, value] : params) {
    const ParamSpec* spec = rb.FindParam(name);
    if (!(redactor.Apply(value) == value) && !(spec && spec->default_value == value))
      names.push_back(name);
  }
  return names;
}

// After a failed or interrupted run: the exact command that continues it (issue 14 #6), with
// every run option resume takes that the run was given (breakK K8, breakL L19), by absolute
// paths quoted for any folder and shell (K5), the params to give again (breakL L2), and the
// steps Ctrl-C stopped mid-way that need --rerun, read from the record as resume reads it
// (breakM M14).
void PrintContinue(const RunResult& r, const std::string& run_id, AuditStore& store,
                   const Runbook& rb, const RunCliOptions& o,
                   const std::vector<std::string>& give_again) {
  if (r.status != "failure" && r.status != "cancelled") return;
  ContinueLine next{run_id, AbsoluteFromHere(store.path()), {}, false, {}, KeptRunOptions(o)};
  if (auto record = LoadRunRecord(store, run_id); record.ok())
    next.reruns = RerunsNeeded(record.value(), rb);
  if (o.approvals_via_api) {  // under serve: its API resumes it, with what the body gives
    // (breakVV VV7: the command line named a masked param as `--set token=VALUE`).
    // Each line in one write: std::cerr writes each << at once, and a terminal's live view
    // clearing its line between two of them erased "to continue this run:" (seen under load).
    std::cerr << ("runbook: to continue this run: POST /api/v1/runs/" + run_id + "/resume" +
                  (next.reruns.empty()
                       ? ""
                       : " with \"rerun\": [\"" + Join(next.reruns, "\", \"") + "\"]") +
                  (give_again.empty() ? "" : " and the masked params in \"params\"") + "\n");
    return;
  }
  std::cerr << ("runbook: to continue this run: " + next.Command() + "\n");
  bool gate_ahead = false;  // a gate that did not pass here (breakHH HH7: said when none was)
  for (size_t i = 0; i < rb.steps.size() && i < r.steps.size(); ++i)
    gate_ahead =
        gate_ahead || (rb.steps[i].type != nullptr && rb.steps[i].type->spec().waits_for_people &&
                       r.steps[i].outcome != Outcome::kSuccess);
  if (gate_ahead && (o.yes || !o.approvals.empty() || !o.inputs.empty()))  // M29: said
    std::cerr << "runbook: the approvals given (--yes, --approve, --input) are not carried into "
                 "it: a gate still ahead is asked again, on a terminal, or approved by adding "
                 "them\n";
  for (const std::string& name : give_again)
    std::cerr << "runbook: add --set " << Printable(name) << "=VALUE: param '" << Printable(name)
              << "' was recorded masked (its value held a secret's text), so the resume needs "
              << "it again\n";
}

}  // namespace

bool ResolveRunSecrets(const Runbook& rb, const EnvMap& env, const std::string& base,
                       RunOptions& options) {
  if (options.secrets) return true;
  auto secrets = ResolveSecrets(rb, env, options.dry_run, base);
  if (!secrets.ok()) {
    std::cerr << "runbook: error: " << secrets.status().message() << "\n";
    return false;
  }
  options.secrets = std::move(secrets).value();
  return true;
}

Status SignHead(AuditStore& store, const std::string& key_path, bool& chain_broken) {
  chain_broken = false;
  auto checked = VerifyBeforeSigning(store, key_path);
  if (!checked.ok()) return checked.status();
  if (!checked.value().ok) {
    chain_broken = true;
    return Status::Error("the chain does not verify (" + checked.value().problem +
                         "): the head is not signed; find what changed with `runbook audit "
                         "verify` before signing anything");
  }
  auto tip = store.Tip();
  if (!tip.ok()) return tip.status();
  auto [seq, hash] = tip.value();
  auto signature = Ed25519Sign(key_path, HeadMessage(seq, hash));
  if (!signature.ok()) return signature.status();
  auto key_id = KeyId(key_path);
  if (!key_id.ok()) return key_id.status();
  return store.AddHead(
      {seq, hash, key_id.value(), signature.value(), FormatUtc(SystemClock().WallNow())});
}

namespace {

// Whether a step of `rb` has an `if:` (one may skip a gate behind it).
bool AnyCondition(const Runbook& rb) {
  return std::any_of(rb.steps.begin(), rb.steps.end(),
                     [](const StepDecl& s) { return s.condition.has_value(); });
}

// The `if:` of the runbook's steps known before the run (ConditionsKnownBeforeRun), looked at
// only when a step has one and --yes does not answer every gate anyway. An `if:` that reads a
// param of `not_given` is judged on its recorded mask ("***"), which says nothing: it is
// counted true (a gate it decides may be needed).
std::map<std::string, bool> KnownConditions(const Runbook& rb, const RunOptions& options, bool yes,
                                            const std::vector<std::string>& not_given) {
  if (!AnyCondition(rb) || yes) return {};
  RunOptions judged = options;  // a dry run's secrets are placeholders: the readable ones
  if (judged.dry_run) judged.secrets.reset();
  const Graph graph = BuildGraph(rb);
  const EnvMap env = CurrentEnvironment();
  std::map<std::string, bool> known = ConditionsKnownBeforeRun(rb, graph, judged, env);
  if (not_given.empty()) return known;
  for (const std::string& name : not_given)
    judged.params[name] = Value::Unknown("${{ params." + name + " }}");
  // With those params unknown, an `if:` not known false may be true once they are given
  // (breakJJ JJ4: read through env, toJSON(params), or compared as a number, "***" judged
  // the gate false or failed the judgement): counted, so the continue line names --approve
  // for it. Nothing runs until the params are given; then the real values decide.
  const std::map<std::string, bool> blind = ConditionsKnownBeforeRun(rb, graph, judged, env);
  std::map<std::string, bool> counted;
  for (const StepDecl& s : rb.steps) {
    auto it = blind.find(s.id);
    if (it != blind.end())
      counted[s.id] = it->second;
    else if (s.condition && !s.condition_has_status)
      counted[s.id] = true;
  }
  return counted;
}

}  // namespace

bool ApprovalFlagsOk(const RunCliOptions& o, const Runbook& rb, const RunOptions& options,
                     std::map<std::string, std::string>& inputs,
                     std::vector<std::string>* unanswerable,
                     const std::vector<std::string>& not_given) {
  if (!ParseInputs(o.inputs, inputs)) return false;
  std::vector<std::string> wrong = UnknownApprovalFlags(rb, o.approvals, inputs);
  std::set<std::string> carried;
  for (const auto& [id, step] : options.prior) carried.insert(id);
  // The `if:`s known before the run, where no one can be asked at the gate (off a terminal,
  // not through serve's API).
  const bool unattended = !HasOwnTerminal() && !o.approvals_via_api;
  const std::map<std::string, bool> conditions =
      unattended ? KnownConditions(rb, options, o.yes, not_given) : std::map<std::string, bool>();
  for (std::string& e :
       BadApprovalInputs(rb, o.yes, o.approvals, inputs, CanAskOnTerminal(), carried, conditions))
    wrong.push_back(std::move(e));
  // No one can ever answer a gate: no terminal, no API (serve), and it asks for real.
  if (unattended && !options.dry_run)
    for (std::string& id : UnanswerableGates(rb, o.yes, o.approvals, carried, conditions)) {
      wrong.push_back(UnanswerableGateError(id));
      if (unanswerable != nullptr) unanswerable->push_back(std::move(id));
    }
  for (const std::string& e : wrong)
    std::cerr << "runbook: error: " << MaskForRunbook(rb, e) << "\n";
  return wrong.empty();
}

namespace {

// A store cut under a signed head (its events after some point deleted) is written no more:
// the next run's events would fill the cut and the head would then blame them, the deleted
// run named nowhere (breakII II2-7). Returns kExitEnvironment, its lock released, or kExitOk.
int NoWriteIntoCut(AuditStore* store, const RunContext& context, const std::string& run_id) {
  if (store == nullptr) return kExitOk;
  auto tip = store->Tip();
  auto latest = store->LatestHead();
  if (!tip.ok() || !latest.ok() || !latest.value() || latest.value()->seq <= tip.value().first)
    return kExitOk;  // a read that fails is the first append's to report
  std::cerr << "runbook: error: audit store " << Printable(store->path())
            << ": the chain ends at event " << tip.value().first << " but a signed head covers "
            << latest.value()->seq
            << " (the tail was truncated); nothing is written into it, so the evidence stays: "
               "check it with runbook audit verify, and keep the store aside; nothing was run\n";
  if (!context.lock.empty()) (void)store->Unlock(context.lock, run_id);
  return kExitEnvironment;
}

// A dry run with no terminal of its own: the gates for which the run would be refused before
// its first step (ApprovalFlagsOk), each said before the steps are described (breakHH HH10:
// "would ask for approval" and exit 0 where the run is refused).
std::vector<std::string> DryRunRefusals(const RunCliOptions& o, const Runbook& rb,
                                        const RunOptions& options) {
  if (!options.dry_run || HasOwnTerminal() || o.approvals_via_api) return {};
  std::set<std::string> carried;
  for (const auto& [id, step] : options.prior) carried.insert(id);
  std::vector<std::string> gates =
      UnanswerableGates(rb, o.yes, o.approvals, carried, KnownConditions(rb, options, o.yes, {}));
  for (const std::string& id : gates)
    std::cerr << "runbook: dry run: the run would be refused before its first step: "
              << UnanswerableGateError(id) << "\n";
  return gates;
}

}  // namespace

int Launch(const RunCliOptions& o, const Runbook& rb, RunOptions options, RunContext context) {
  std::map<std::string, std::string> inputs;
  EnvMap env = CurrentEnvironment();
  // When the up-front check judges `if:`s (off a terminal), the secrets are read once before
  // it, so that the check and the run see the same values (breakII II2-3: a secret rotated
  // between two reads); a flag mistake is still said, and is the exit code (2). Otherwise
  // after the flags. A secret is a file or an environment variable, never a pipe (a FIFO is
  // refused), so reading early consumes nothing.
  bool early = !HasOwnTerminal() && !o.approvals_via_api && !o.yes && !options.dry_run;
  bool secrets_read = !early || ResolveRunSecrets(rb, env, context.base, options);
  if (!ApprovalFlagsOk(o, rb, options, inputs)) {
    std::cerr << "runbook: nothing was run\n";
    return kExitInvalid;
  }
  if (!secrets_read || !ResolveRunSecrets(rb, env, context.base, options)) return kExitEnvironment;
  const std::vector<std::string> refused = DryRunRefusals(o, rb, options);
  Redactor redactor =  // a dry run's secrets are placeholders: mask what can be read (L28)
      RunRedactor(options.dry_run ? SecretsToMask(rb, env, context.base) : *options.secrets, env);
  Graph graph = BuildGraph(rb);
  SystemClock clock;
  CancelToken cancel;
  InstallSignals(cancel);
  std::unique_ptr<AuditStore> store;
  // A dry run checks them too (neither writes): it ends as the run would (breakJJ JJ5).
  if (Status key = UsableSignKey(o.sign_key); !key.ok()) {
    std::cerr << "runbook: error: --sign-key: " << key.message() << "; nothing was run\n";
    return kExitInvalid;
  }
  if (Status m = UsableMetricsFile(o.metrics_file); !m.ok()) {
    std::cerr << "runbook: error: --metrics-file: " << m.message() << "; nothing was run\n";
    return kExitEnvironment;
  }
  // Under serve, its params are kept once its request is taken, before it may wait for its
  // lock or the store: a run that dies with serve before it records its start is recorded with
  // them, not with the defaults (breakTT TT4), as one that never began (breakZZ ZZ5).
  if (int code = ResolveRunLock(rb, options, context, redactor); code != kExitOk) return code;
  if (!o.lost_params.empty() && !options.dry_run) {
    // Keyed as the store keys them, so that a resume proves a withheld value (breakEE EE2).
    std::error_code ec;
    auto key =
        o.audit_db.empty()
            ? Result<std::string>(std::string())
            : FingerprintKeyBeside(
                  std::filesystem::absolute(o.audit_db, ec).lexically_normal().string(), true);
    KeepParams(o.lost_params, options.params, redactor,
               Acceptance{FormatUtc(clock.WallNow()), context.lock, rb.name, context.trigger},
               key.ok() ? key.value() : "");
  }
  if (int code = OpenLocked(o, options, context, cancel, redactor, store); code != kExitOk)
    return code;
  if (int code = NoWriteIntoCut(store.get(), context, options.run_id); code != kExitOk) return code;
  // --run-id (serve's) naming a run the store has: said in words, nothing run.
  if (store && !o.run_id.empty() && store->FindRun(o.run_id).ok()) {
    std::cerr << "runbook: error: --run-id " << o.run_id
              << " names a run the store already has; nothing was run\n";
    if (!context.lock.empty()) (void)store->Unlock(context.lock, options.run_id);
    return kExitInvalid;
  }
  if (store && context.resumed_from.empty()) SayUnfinishedBefore(*store, rb);
  if (auto key = store ? store->FingerprintKey(false) : Result<std::string>(std::string());
      !key.ok())  // breakP P8: a key others know is not used, and not silently
    std::cerr << "runbook: warning: masked params get no fingerprint: "
              << Printable(key.status().message()) << "; a resume compares their masks instead\n";
  // Never over the store it records into (breakJ J22). Exit 3, as `report --output` (the
  // same check) and format.md say (breakFF F7: it was 2).
  if (std::string why = CommandOutputProblem("--metrics-file", o.metrics_file);
      store && !why.empty()) {
    std::cerr << "runbook: error: " << why << "; nothing was run\n";
    if (!context.lock.empty()) (void)store->Unlock(context.lock, options.run_id);
    return kExitEnvironment;
  }
  // Only now: a run id announced before a usage error, a held lock or an unusable
  // --sign-key or --metrics-file would never be recorded (breakL L7, breakM M25).
  if (!o.announce.empty()) std::cerr << o.announce << "\n";
  const char* term = std::getenv("TERM");
  bool live = isatty(STDERR_FILENO) && !(term && std::string(term) == "dumb");
  std::string interval_error;
  Millis progress_every =
      PlainProgressInterval(std::getenv("RUNBOOK_PROGRESS_INTERVAL"), interval_error);
  if (!interval_error.empty()) std::cerr << "runbook: warning: " << interval_error << "\n";
  Display display(live, UseColor(STDERR_FILENO), progress_every, &redactor);
  CliApprover cli_approver(o.yes, {o.approvals.begin(), o.approvals.end()}, inputs, display);
  ApiApprover api_approver(
      o.audit_db, options.run_id, context.continues, display, clock, [&](const std::string& step) {
        if (o.notifier != nullptr)
          NotifyApprovalWaiting(rb, options, step, o.audit_db, *o.notifier, redactor);
      });
  Approver* approver = o.approvals_via_api ? static_cast<Approver*>(&api_approver) : &cli_approver;
  PosixProcessRunner processes(clock);
  // Under serve, a main step's failure is journaled before the store records it (TT2).
  FailedStepJournal failed_steps(o.notify_sent);
  ObserverList observers;
  observers.Add(&display);
  if (!o.notify_sent.empty()) observers.Add(&failed_steps);
  RunServices services{processes, clock, observers, cancel, approver, env};
  // Which dumps a drill verified (retention keeps the newest): the store the run records
  // into, or for a dry run the one it would (read only). Chosen by EnterRun, absolute.
  auto verified =
      o.registry != nullptr ? std::make_shared<VerifiedLookup>(o.store.path, *o.registry) : nullptr;
  if (verified) {
    services.verified_by = [verified](const std::string& sha) { return verified->VerifiedBy(sha); };
    services.verified_state = [verified] { return verified->State(); };
  }
  std::unique_ptr<AuditJournal> journal;
  context.continue_options = KeptRunOptions(o);
  std::string beat_warning;
  context.heartbeat_every =
      HeartbeatInterval(std::getenv("RUNBOOK_HEARTBEAT_INTERVAL"), beat_warning);
  if (!beat_warning.empty()) std::cerr << "runbook: warning: " << beat_warning << "\n";
  // Once the run has begun, a first Ctrl-C (or serve's cancel) still lets what ran be recorded:
  // a second one stops the wait (breakXX XX7).
  context.stop_waits_once_begun = [&cancel] { return cancel.forced(); };
  if (o.wait_lock)  // said once, when the store is first found busy there, and at a cancel
    context.wait_out_busy = [&cancel, said = false, said_cancel = false](bool begun) mutable {
      if (!std::exchange(said, true))
        std::cerr << "runbook: the audit store is busy: waiting to record the run (--wait)\n";
      if (!begun) return !cancel.cancelled();
      if (cancel.cancelled() && !cancel.forced() && !std::exchange(said_cancel, true))
        std::cerr << "runbook: cancelled: still waiting for the audit store to record what ran "
                     "(Ctrl-C again to stop without recording it)\n";
      return !cancel.forced();
    };
  context.unrecorded = o.unrecorded;
  if (store) {
    journal = std::make_unique<AuditJournal>(*store, context);
    services.journal = journal.get();
  }
  options.max_parallel = o.max_parallel;
  auto result = Execute(rb, graph, options, services);
  EndLeftBehind(redactor);
  if (store && !context.lock.empty()) (void)store->Unlock(context.lock, options.run_id);
  if (!result.ok()) {
    // Ctrl-C while waiting out a busy store to record the start: nothing was run.
    if (result.status().busy() && cancel.cancelled()) {
      std::cerr << "runbook: interrupted while the audit store was busy; nothing was run\n";
      return 128 + cancel.signal_number();
    }
    std::cerr << "runbook: error: " << result.status().message() << "\n";
    // A placed error is the runbook's (its env with these params: BindRunbookEnv), exit 2 as
    // plan says it; any other is the environment's (a secret that cannot be read, the store).
    return result.status().site() != nullptr ? kExitInvalid : kExitEnvironment;
  }
  const bool unrecorded = !result.value().unrecorded.empty();
  if (unrecorded) std::cerr << "runbook: error: " << result.value().unrecorded << "\n";
  // A failure the store could not record is told all the same, by the run that knows it
  // (breakRR RR4: a cancel after it had serve's helper take it for no failure); so is any end
  // kept to be recorded late (engine/audit/unrecorded.h): its objective missed, its recovery.
  const bool end_kept =
      unrecorded && !o.unrecorded.empty() && KeptEnd(o.unrecorded, options.run_id);
  if (store && o.notifier != nullptr &&
      (!unrecorded || end_kept || result.value().status == "failure"))
    NotifyRunEnd(rb, options, result.value(), *store, *o.notifier, redactor,
                 {o.notify_outbox, o.notify_sent, o.lost_params, o.unrecorded},
                 o.wait_lock ? std::function<bool()>([&cancel] { return !cancel.forced(); })
                             : std::function<bool()>());
  // Stopped by a second Ctrl-C while the store was busy: a cancel, as the operator asked.
  if (unrecorded) return cancel.forced() ? 128 + cancel.signal_number() : kExitEnvironment;
  bool signed_ok = store ? AfterRun(o, *store, rb, result.value(), redactor) : true;
  if (store)
    PrintContinue(result.value(), options.run_id, *store, rb, o,
                  ParamsToGiveAgain(rb, options.params, redactor));
  if (!refused.empty()) {  // ends as the run would (exit 2), after describing it
    std::cerr << "runbook: dry run: the run would be refused (exit 2): pass --approve "
              << Join(refused, " --approve ") << " (or --yes), or run on a terminal\n";
    return kExitInvalid;
  }
  int code = ExitCode(result.value());
  return code == kExitOk && !signed_ok ? kExitEnvironment : code;
}

int EnterRun(RunCliOptions& o, Runbook& rb, const Result<std::string>& base, RunContext& context) {
  rb.source.path = AbsoluteFromHere(rb.source.path);  // the record names it; it is ours now
  if (!o.dry_run) {
    auto choice = ChooseAndSay(o.audit_db, RunbookFolder(rb.path()));
    if (!choice) return kExitEnvironment;
    o.store = *choice;
    o.audit_db = choice->path;
  } else if (auto quiet = ChooseAuditStore(o.audit_db, RunbookFolder(rb.path())); quiet.ok()) {
    o.store = quiet.value();  // a dry run only reads it: which dumps were verified
  }
  o.metrics_file = AbsoluteFromHere(o.metrics_file);
  o.sign_key = AbsoluteFromHere(o.sign_key);
  Status entered = base.ok() ? EnterBase(base.value()) : base.status();
  if (!entered.ok()) {
    std::cerr << "runbook: error: " << entered.message() << "; nothing was run\n";
    return kExitEnvironment;
  }
  context.base = base.value();
  char* real = ::realpath(".", nullptr);  // entered just now: the base, its links resolved
  context.base_real = real != nullptr ? real : "";
  std::free(real);
  return kExitOk;
}

bool RunIdAndTrigger(const RunCliOptions& o, std::string& run_id, Value& trigger) {
  run_id = o.run_id.empty() ? NewRunId(SystemClock()) : o.run_id;
  bool form = run_id.size() == 23 && run_id[8] == 'T' && run_id[15] == 'Z' && run_id[16] == '-';
  for (size_t i = 0; form && i < run_id.size(); ++i) {
    if (i == 8 || i == 15 || i == 16) continue;
    char c = run_id[i];
    form = i < 15 ? (c >= '0' && c <= '9') : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!form) {
    std::cerr << "runbook: error: --run-id '" << Printable(run_id)
              << "' is not a run id such as 20261203T231654Z-283b1c\n";
    return false;
  }
  if (o.trigger.empty()) return true;
  auto parsed = ParseJson(o.trigger);
  if (!parsed.ok() || !parsed.value().is_map()) {
    std::cerr << "runbook: error: --trigger is not a JSON object\n";
    return false;
  }
  trigger = std::move(parsed).value();
  return true;
}

int CmdRun(const StepRegistry& registry, const RunCliOptions& cli) {
  if (cli.lost_exit >= 0) return CmdLostRun(registry, cli);
  RunCliOptions o = cli;
  o.registry = &registry;
  auto rb = LoadForCommand(registry, o.file);
  if (!rb) return kExitInvalid;
  std::vector<std::pair<std::string, std::string>> sets;
  if (!SplitSets(o.sets, sets)) return kExitInvalid;
  auto params = BindParams(*rb, sets);
  if (!params.ok()) {
    std::cerr << "runbook: error: "
              << MaskForRunbook(*rb, o.sets_stdin ? InParamsWords(params.status().message())
                                                  : params.status().message())
              << "\n";
    return kExitInvalid;
  }
  if (Status s = ExpandRunbook(*rb, params.value()); !s.ok()) {
    std::cerr << "runbook: error: " << MaskForRunbook(*rb, s.message()) << "\n";
    return kExitInvalid;
  }
  ApprovalsForItems(*rb, o.approvals);
  RunOptions options;
  RunContext context;
  if (!RunIdAndTrigger(o, options.run_id, context.trigger)) return kExitInvalid;
  options.params = params.value();
  options.dry_run = o.dry_run;
  context.runbook_sha256 = Sha256Hex(rb->source.text);
  context.user = CurrentUser();
  context.git_commit = GitCommitOf(o.file);
  if (int code = EnterRun(o, *rb, RunbookBase(*rb), context); code != kExitOk) return code;
  return Launch(o, *rb, std::move(options), std::move(context));
}

}  // namespace runbook
