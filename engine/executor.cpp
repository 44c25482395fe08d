// Phases: bind (secrets, runbook env) -> loop (decide ready steps, start attempts, apply
// completions, schedule retries) -> finish (RTO, run status). Attempts run on threads
// (attempt.cpp); everything else happens on the calling thread.
#include "engine/executor.h"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "engine/attempt.h"
#include "engine/attempt_stop.h"
#include "engine/calls.h"
#include "engine/objectives.h"
#include "engine/path_roles.h"
#include "engine/process_runner.h"
#include "engine/process_tree.h"
#include "engine/redact.h"
#include "engine/retry.h"
#include "engine/run_resources.h"
#include "engine/run_scope.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "engine/worker_pool.h"

namespace runbook {

namespace {

// How often what running attempts printed is kept in the journal (breakM M17): a run killed
// under a step loses at most this much of its output.
constexpr Millis kOutputSoFarEvery{2000};

class Loop {
 public:
  // An attempt recorded started, to run once the journal's group is durable: step, input.
  using Launch = std::pair<int, std::shared_ptr<AttemptInput>>;

  Loop(const Runbook& rb, const Graph& g, const RunOptions& o, RunServices& s)
      : rb_(rb),
        g_(g),
        opt_(o),
        svc_(s),
        steps_(g.nodes.size()),
        scope_(rb, values_, &steps_, s.clock, &g) {}

  Result<RunResult> Run() {
    Status bound = Bind();
    if (!bound.ok()) return bound;
    if (svc_.journal != nullptr) {
      Status recorded = svc_.journal->RunStarted(rb_, opt_.run_id, opt_.params, redactor_);
      if (!recorded.ok()) return recorded;  // nothing has run
      // The run starts once its start is recorded: a store it waited out (run --wait) is no
      // part of its duration or RTO (breakWW WW1: a 1 s drill was paged objective_missed).
      values_.started = svc_.clock.Now();
      started_wall_ = svc_.clock.WallNow();
    }
    svc_.observer.RunStarted(rb_, opt_.run_id, opt_.dry_run);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      steps_[i].unsatisfied = static_cast<int>(g_.nodes[i].needs.size());
    }
    main_left_ = g_.finally_begin;
    if (svc_.journal != nullptr) svc_.journal->BeginGroup();
    {
      std::lock_guard<std::mutex> turn(turn_mu_);
      for (size_t i = 0; i < g_.nodes.size(); ++i) MaybeReady(static_cast<int>(i));
    }
    while (Turn()) {
    }
    std::lock_guard<std::mutex> turn(turn_mu_);  // a worker may still be leaving its turn
    busy_before_end_ = Busy();
    CommitAndLaunch();  // the last attempts' ends
    StopResources();
    return Finish();
  }

 private:
  Status Bind() {
    values_.run_id = opt_.run_id;
    values_.params = opt_.params;
    values_.dry_run = opt_.dry_run;
    std::error_code no_cwd;  // the run's relative paths resolve against the current folder
    if (auto here = std::filesystem::current_path(no_cwd); !no_cwd) values_.base = here.string();
    values_.started = svc_.clock.Now();
    started_wall_ = svc_.clock.WallNow();
    auto secrets =
        opt_.secrets ? Result<Value::Map>(*opt_.secrets)
                     : ResolveSecrets(rb_, svc_.base_env, opt_.dry_run, values_.base.value_or(""));
    if (!secrets.ok()) return secrets.status();
    values_.secrets = secrets.value();
    // A dry run's secrets are placeholders: it masks those it can read (breakL L28).
    redactor_ =
        RunRedactor(opt_.dry_run ? SecretsToMask(rb_, svc_.base_env, values_.base.value_or(""))
                                 : values_.secrets,
                    svc_.base_env);
    if (Status env = BindRunbookEnv(rb_, scope_, values_); !env.ok()) return env;
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    parallel_ = opt_.max_parallel > 0  ? opt_.max_parallel
                : rb_.max_parallel > 0 ? rb_.max_parallel
                                       : cores;
    return Status::Ok();
  }

  bool IsFinally(int i) const { return static_cast<size_t>(i) >= g_.finally_begin; }

  // Why a step did not run once the store failed (journal_status_), `prefix` first: the
  // store's error, and the cancel whose wait for a locked store was given up, when that is
  // what failed it (breakBB BB3: a run serve stopped said only "the audit store failed").
  std::string StoreFailed(const std::string& prefix) const {
    return prefix + (svc_.cancel.cancelled() ? "the run was cancelled and " : "") +
           journal_status_.message();
  }

  // A step whose needs are all done (and, for finally steps, every main step): decide
  // whether it runs, is skipped or is cancelled.
  void MaybeReady(int i) {
    StepRun& run = steps_[i];
    // Once per readiness: a step completed during the first pass (restored, skipped) makes
    // its dependents ready before the pass reaches them.
    if (run.state != StepState::kPending || run.unsatisfied > 0 || queued_[i]) return;
    if (IsFinally(i) && main_left_ > 0) return;
    if (!journal_status_.ok()) return Complete(i, Outcome::kCancelled, StoreFailed(""));
    if (Restore(i)) return;
    if (!IsFinally(i) && svc_.cancel.cancelled()) {
      return Complete(i, Outcome::kCancelled, "run cancelled before the step started");
    }
    std::string reason;
    condition_error_ = false;
    if (!ShouldRun(i, reason)) {
      if (condition_error_) {
        steps_[i].rerun_needed = scope_.MaskedReads();
        return Fail(i, reason);
      }
      // A call's outputs step ends as its call did (engine/calls.h): one outcome in the
      // summary, show, history and steps.X.outcome (break20 #9: "skipped" beside "failure").
      if (call_outcome_ == Outcome::kFailure) return Fail(i, reason);
      if (call_outcome_ == Outcome::kCancelled) return Complete(i, Outcome::kCancelled, reason);
      return Complete(i, Outcome::kSkipped, reason);
    }
    Queue(i);
  }

  // Ready steps wait in a heap: highest critical-path priority first, then in the order they
  // became ready. Pushing and popping are logarithmic, so scheduling n independent steps is
  // O(n log n) (re-sorting a vector at every turn was quadratic).
  void Queue(int i) {
    ready_.push({g_.nodes[i].priority, -static_cast<int64_t>(queue_seq_++), i});
    queued_[i] = true;
    main_ran_ = main_ran_ || !IsFinally(i);
  }

  // Resume: a step that passed in an earlier run is not run again; its outputs return. A
  // `finally` step too, unless a main step ran in this run: then its cleanup is owed again
  // (breakX X7: a run killed after its finally steps passed ran them twice on resume).
  bool Restore(int i) {
    auto it = opt_.prior.find(rb_.steps[i].id);
    if (it == opt_.prior.end() || (IsFinally(i) && main_ran_)) return false;
    if (rb_.steps[i].type != nullptr && rb_.steps[i].type->spec().run_scoped) return false;
    if (!DecisionStands(i, it->second)) return false;
    steps_[i].outputs = it->second.outputs;
    steps_[i].outputs_unmasked = it->second.outputs;  // what was recorded is all there is
    steps_[i].masked_outputs = it->second.masked_outputs;
    steps_[i].carried_attempts = it->second.attempts;
    steps_[i].carried_duration = it->second.duration;
    steps_[i].restored_from = it->second.run_id;
    steps_[i].restored_finished_at = it->second.finished_at;
    if (it->second.finished_at) NoteRpo(rpo_, rb_.steps[i], steps_[i], *it->second.finished_at);
    if (rb_.steps[i].type != nullptr) role_paths_[i] = CarriedRolePaths(i, it->second);
    Complete(i, it->second.outcome, "passed in run " + it->second.run_id);
    return true;
  }

  // Whether a decision step `i` made in an earlier run (StepSpec::decided_on_params) holds
  // here: its parameters resolve now, masked as the record is, to those it recorded. When not,
  // the step runs again, which it says.
  bool DecisionStands(int i, const PriorStep& prior) {
    if (JudgeDecision(i, prior) == Decision::kStands) return true;
    svc_.observer.StepNote(rb_.steps[i], "its parameters are not those of run " + prior.run_id +
                                             ", where it passed, or cannot be shown to be: it "
                                             "runs again rather than carry that decision over");
    return false;
  }

 public:
  // Before the run (ConditionsKnownBeforeRun): whether each step runs, where a peek knows.
  std::map<std::string, bool> ConditionsKnown() {
    std::map<std::string, bool> known;
    if (!Bind().ok()) return known;
    for (int i : g_.topo) {
      const StepDecl& step = rb_.steps[i];
      std::optional<bool> own = PeekCondition(scope_, i, step);  // its `if:`, when known
      // A main step that needs a step known skipped is skipped too, unless its `if:` reads
      // the status (breakII II2-1: a gate behind a skipped step was refused up front).
      bool need_skipped = false;
      if (!IsFinally(i) && !step.condition_has_status)
        for (int d : g_.nodes[i].needs) {
          auto it = known.find(rb_.steps[d].id);
          need_skipped = need_skipped || (it != known.end() && !it->second);
        }
      if (need_skipped || (own && !*own))
        known[step.id] = false;
      else if (own)
        known[step.id] = true;
    }
    return known;
  }

  // Before the run (DecisionsToTakeAgain): the carried decision steps whose parameters
  // resolve now, and not to those recorded. The scope holds no step's outputs yet, so one
  // that needs them is left to the run (kUnknown).
  std::set<std::string> DecisionsChanged(const std::string& fingerprint_key) {
    std::set<std::string> changed;
    if (!Bind().ok()) return changed;
    fingerprint_key_ = fingerprint_key;
    for (size_t i = 0; i < rb_.steps.size(); ++i) {
      auto it = opt_.prior.find(rb_.steps[i].id);
      if (it != opt_.prior.end() &&
          JudgeDecision(static_cast<int>(i), it->second) == Decision::kChanged)
        changed.insert(it->first);
    }
    return changed;
  }

 private:
  enum class Decision { kStands, kChanged, kUnknown };
  // DecisionStands' judgement: kUnknown when the parameters do not resolve now.
  Decision JudgeDecision(int i, const PriorStep& prior) {
    const StepDecl& step = rb_.steps[i];
    if (step.type == nullptr || !step.type->spec().decided_on_params) return Decision::kStands;
    EnvMap env = PeekEnv(i);
    scope_.SetStep(i, &env);
    std::string error;
    Value now = ResolveParams(step, scope_, error, &redactor_, nullptr);
    scope_.SetStep(i, nullptr);
    if (!error.empty() || !now.is_map()) return Decision::kUnknown;
    bool same = redactor_.Apply(now).as_map() == prior.params;
    // Masked alike is not the same: a secret in the prompt may have changed (breakGG G9:
    // "Swap *** traffic?" was stagingdb, then productiondb). Its fingerprint says.
    std::string fingerprint = same ? Fingerprint(ToJson(now)) : "";
    if (same && !prior.params_fingerprint.empty() && !fingerprint.empty())
      same = fingerprint == prior.params_fingerprint;
    else if (same && ToJson(Value(prior.params)).find(kMask) != std::string::npos)
      same = false;  // masked, and nothing to prove it by
    return same ? Decision::kStands : Decision::kChanged;
  }

  // The store's keyed fingerprint of `text` (RunJournal::Fingerprint); before the run, the
  // run's redactor under the store's key; "" with neither.
  std::string Fingerprint(const std::string& text) {
    if (svc_.journal != nullptr) return svc_.journal->Fingerprint(text);
    if (!fingerprint_key_) return "";
    Redactor keyed = redactor_;
    keyed.SetFingerprintKey(*fingerprint_key_);
    return keyed.Fingerprint(text);
  }
  std::optional<std::string> fingerprint_key_;  // DecisionsChanged's

  // The paths carried step `i` acted on, as `prior` recorded them (breakW W5). One recorded
  // masked (it held a secret's text) is resolved again in this resume and taken when its
  // fingerprint is the one recorded (breakBB2 F7: the masked text, compared as a path, clashed
  // with nothing); else it is not known (unknown_carried_: UnknownCarriedClash).
  std::vector<RolePath> CarriedRolePaths(int i, const PriorStep& prior) {
    std::vector<RolePath> out, now;
    bool peeked = false;
    for (RolePath& p : RolePathsOf(i, rb_.steps[i].type->spec(), prior.params)) {
      auto fp = prior.path_fingerprints.find(p.param);
      bool has_fp = fp != prior.path_fingerprints.end() && fp->second.is_string() &&
                    !fp->second.as_string().empty();
      if (!has_fp && !IdentityMasked(p)) {
        out.push_back(std::move(p));
        continue;
      }
      if (!peeked) {  // as it resolved in the run it ran in (run.id: breakCC C6)
        scope_.SetRunIdAs(prior.run_id);
        now = PeekRolePathsOf(i), peeked = true;
        scope_.SetRunIdAs(std::nullopt);
      }
      auto same = std::find_if(now.begin(), now.end(), [&](const RolePath& n) {
        return has_fp && n.param == p.param && svc_.journal != nullptr &&
               svc_.journal->Fingerprint(PathIdentity(n)) == fp->second.as_string();
      });
      if (same != now.end())
        out.push_back(*same);
      else
        unknown_carried_.push_back(std::move(p));
    }
    return out;
  }

  // Step `i`'s role paths as far as they can be known now, its own `env` included.
  std::vector<RolePath> PeekRolePathsOf(int i) {
    scope_.SetPeek(true);
    EnvMap env = PeekEnv(i);
    scope_.SetStep(i, &env);
    std::vector<RolePath> now = PeekRolePaths(rb_.steps[i], i, scope_);
    scope_.SetPeek(false);
    scope_.SetStep(i, nullptr);
    return now;
  }

  // The keyed fingerprints of the paths `params` (resolved) names that its record masks: the
  // path, or a remote one's service (breakEE E5: an endpoint from a secret).
  Value::Map PathFingerprints(int i, const Value& params) {
    Value::Map out;
    if (svc_.journal == nullptr || !params.is_map() || rb_.steps[i].type == nullptr) return out;
    for (const RolePath& p : RolePathsOf(i, rb_.steps[i].type->spec(), params.as_map()))
      if (redactor_.Apply(p.path) != p.path ||
          (p.remote && redactor_.Apply(p.scope_text) != p.scope_text))
        out[p.param] = Value(svc_.journal->Fingerprint(PathIdentity(p)));
    return out;
  }

  // A decision's parameters that held a secret's text, whole: a resume proves them by it
  // (DecisionStands; breakGG G9). "" for any other step, or without a journal.
  std::string ParamsFingerprint(int i, const Value& params) {
    if (svc_.journal == nullptr || rb_.steps[i].type == nullptr ||
        !rb_.steps[i].type->spec().decided_on_params)
      return "";
    std::string all = ToJson(params);
    return redactor_.Apply(all) != all ? svc_.journal->Fingerprint(all) : "";
  }

  // The first journal failure stops the run (fail closed); later ones add nothing. What the
  // run does after it is still offered: the journal decides whether it is kept for a late
  // record or dropped, never stored (engine/journal.h).
  void Journal(const Status& status) {
    if (status.ok() || !journal_status_.ok()) return;
    journal_status_ = Status::Error("the audit store cannot be written: " + status.message());
    if (!svc_.cancel.cancelled()) svc_.cancel.Cancel(SIGTERM);
    finally_cancel_.Cancel(SIGTERM);
  }

  // A step of a call whose loop has fail_fast: the call is that loop's item, and failed.
  void FailEnclosingLoops(const StepDecl& step) {
    for (std::string frame = step.call_of; !frame.empty();) {
      auto call = rb_.calls.find(frame);
      if (call == rb_.calls.end()) return;
      if (const StepDecl* start = rb_.FindStep(call->second.start_id);
          start && !start->loop_of.empty())
        failed_loops_.insert(start->loop_of);
      frame = call->second.parent;
    }
  }

  // The loop (fail_fast, an item failed) whose item is a call `step` is inside, for a step of
  // that call not started yet: it is skipped as an item not started would be (break20 #2:
  // every call's start step runs at once, so no call counted as "not started"). "" if none.
  std::string FailedFastCallLoop(const StepDecl& step) const {
    if (step.call_role != CallRole::kMember && step.call_role != CallRole::kOutputs) return "";
    for (std::string frame = step.call_of; !frame.empty();) {
      auto call = rb_.calls.find(frame);
      if (call == rb_.calls.end()) return "";
      const StepDecl* start = rb_.FindStep(call->second.start_id);
      if (start != nullptr && !start->loop_of.empty() && start->loop && start->loop->fail_fast &&
          failed_loops_.count(start->loop_of) != 0)
        return start->loop_of;
      frame = call->second.parent;
    }
    return "";
  }

  // A step of a call (engine/calls.h) runs only once its call started: "" when it did (or
  // the step is no call's), else why not. A call whose if: was false leaves its outputs
  // step skipped by condition, as a loop's item its own if: skipped (NeedPassed).
  std::string CallNotStarted(int i) {
    const StepDecl& step = *g_.nodes[i].step;
    if (step.call_role != CallRole::kMember && step.call_role != CallRole::kOutputs) return "";
    for (std::string frame = step.call_of; !frame.empty();) {
      auto call = rb_.calls.find(frame);
      if (call == rb_.calls.end()) return "";
      const StepDecl* start = rb_.FindStep(call->second.start_id);
      if (start == nullptr) return "";
      const StepRun& began = steps_[static_cast<size_t>(start - rb_.steps.data())];
      if (!began.passed()) {
        if (began.skipped_by_condition && step.call_role == CallRole::kOutputs &&
            step.call_of == frame)
          steps_[i].skipped_by_condition = true;
        return "'" + start->id + "' did not run (" + OutcomeName(began.outcome) + ")";
      }
      frame = call->second.parent;
    }
    return "";
  }

  // Why call `step` (its outputs step) publishes nothing: the first of its steps that failed
  // (or was cancelled), as the call's outcome says.
  std::string CallEndReason(const StepDecl& step) const {
    std::string inside = step.call_of + ".";
    for (size_t k = 0; k < rb_.steps.size(); ++k) {
      const StepRun& run = steps_[k];
      if (rb_.steps[k].id.compare(0, inside.size(), inside) != 0) continue;
      if ((run.outcome == Outcome::kFailure && !run.tolerated) ||
          run.outcome == Outcome::kCancelled)
        return "step '" + rb_.steps[k].id + "' of " + step.uses + " " +
               (run.outcome == Outcome::kFailure ? "failed" : "was cancelled");
    }
    return "the run was cancelled";
  }

  bool ShouldRun(int i, std::string& reason) {
    const StepDecl& step = *g_.nodes[i].step;
    call_outcome_ = Outcome::kNone;
    if (std::string why = CallNotStarted(i); !why.empty()) {
      reason = why;
      if (step.call_role == CallRole::kOutputs)  // its call failed at its start: so does it
        call_outcome_ = CallOutcomeOf(rb_, steps_, step.call_of);
      return false;
    }
    scope_.SetStep(i, nullptr);
    bool implicit_success = !IsFinally(i) && !step.condition_has_status;
    if (implicit_success && !scope_.StatusFunction("success")) {
      for (int d : g_.nodes[i].needs) {
        if (scope_.NeedPassed(static_cast<size_t>(d))) continue;
        reason = "needs '" + rb_.steps[d].id + "', which " +
                 (steps_[d].outcome == Outcome::kFailure
                      ? "failed"
                      : "was " + std::string(OutcomeName(steps_[d].outcome)));
        return false;
      }
      reason = "the run was cancelled";
      return false;
    }
    if (!step.condition) return true;
    auto v = RenderTemplate(step.condition->tmpl, scope_);
    if (!v.ok()) {
      reason = "cannot evaluate if: " + LocateError(v.status(), step.condition->loc).message();
      condition_error_ = true;
      return false;
    }
    if (v.value().is_unknown() || v.value().Truthy()) return true;
    if (step.call_role == CallRole::kOutputs) {  // its condition is the engine's, not an if:
      call_outcome_ = CallOutcomeOf(rb_, steps_, step.call_of);
      reason = CallEndReason(step);
      return false;
    }
    reason = "condition is false: " + step.condition->text;
    steps_[i].skipped_by_condition = true;
    return false;
  }

  // About once a second: the store is still there (a step may work for hours between
  // events), and zombies of escaped descendants are reaped even while no exec step runs.
  void Housekeeping() {
    auto now = svc_.clock.Now();
    if (now < next_housekeeping_) return;
    next_housekeeping_ = now + Millis(1000);
    if (svc_.journal != nullptr) Journal(svc_.journal->Check());
    if (now >= next_so_far_) KeepOutputSoFar(now);
    ReapAdopted();
  }

  // Every kOutputSoFarEvery, what running attempts printed since (breakM M17).
  void KeepOutputSoFar(Clock::Mono now) {
    next_so_far_ = now + kOutputSoFarEvery;
    for (auto& [i, so_far] : so_far_) {
      if (!journal_status_.ok()) return;
      if (auto text = so_far->TakeIfChanged())
        Journal(svc_.journal->OutputSoFar(*g_.nodes[i].step,
                                          static_cast<int>(steps_[i].attempts.size()), *text));
    }
  }

  // The loop thread's turn: what the turn does (TakeTurn), then a wait for completions on the
  // real clock for at most 50 ms (also the cadence for noticing ^C and timeouts), less when a
  // retry is due sooner on the run's Clock, which a test may move on at any time. False once
  // every step is done.
  bool Turn() {
    Millis wait{50};
    {
      std::lock_guard<std::mutex> turn(turn_mu_);
      if (done_ >= steps_.size()) return false;
      TakeTurn(nullptr);
      if (done_ >= steps_.size()) return false;
      Clock::Mono now = svc_.clock.Now();
      for (int i : retrying_)
        wait = std::min(wait, std::max(Millis(0), std::chrono::duration_cast<Millis>(
                                                      steps_[i].next_attempt_at - now)));
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !completions_.empty() || ended_; });
    return true;
  }

  // One turn, by whichever thread holds turn_mu_ (the executor's state is one thread's at a
  // time): the completions so far applied, their ends recorded with the starts of the
  // attempts they ready in one commit, then those attempts launched. With `keep`, the first
  // launch is handed back to run on the calling thread instead of a worker.
  void TakeTurn(Launch* keep) {
    std::deque<Completion> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(completions_);
    }
    if (svc_.journal != nullptr) svc_.journal->BeginGroup();
    for (Completion& c : batch) Apply(std::move(c));
    DueRetries();
    // The last ends are committed by Run, after it notes how long the store made the run
    // wait so far: a wait after the last step is no part of the run's duration or RTO.
    if (done_ >= steps_.size()) return;
    Housekeeping();
    if (svc_.cancel.cancelled() && !cancel_seen_) OnCancel();
    if (svc_.cancel.forced()) finally_cancel_.Cancel(svc_.cancel.signal_number());
    stops_.Tick(svc_.clock.Now());
    StartReady();
    CommitAndLaunch(keep);
  }

  // A worker's attempt, then the turn when no other thread has it: a chain's next attempt
  // runs on the thread that finished the one before, with no hand-off to the loop thread and
  // back (issue 15: two wake-ups and a trip across CPUs a step). When another thread has the
  // turn, the loop thread is woken to apply the completion.
  void RunChained(Launch launch) {
    while (launch.second) {
      AttemptResult r = RunAttempt(*launch.second);
      {
        std::lock_guard<std::mutex> lock(mu_);
        completions_.push_back({launch.first, std::move(r)});
      }
      std::unique_lock<std::mutex> turn(turn_mu_, std::try_to_lock);
      if (!turn.owns_lock()) return cv_.notify_one();
      Launch next{-1, nullptr};
      TakeTurn(&next);
      const bool ended = done_ >= steps_.size();
      turn.unlock();
      if (ended) {
        std::lock_guard<std::mutex> lock(mu_);
        ended_ = true;
        cv_.notify_one();
      }
      launch = std::move(next);
    }
  }

  void OnCancel() {
    cancel_seen_ = true;
    values_.cancelled = true;
    for (size_t i = 0; i < g_.finally_begin; ++i) {
      StepRun& run = steps_[i];
      bool queued = queued_[i];
      if (run.state == StepState::kPending || run.state == StepState::kWaitingRetry || queued) {
        queued_[i] = false;  // its heap entry is now stale: StartReady skips it
        if (run.state == StepState::kWaitingRetry) {
          retrying_.erase(std::find(retrying_.begin(), retrying_.end(), static_cast<int>(i)));
        }
        if (run.state != StepState::kDone) {
          run.state = StepState::kPending;
          Complete(static_cast<int>(i), Outcome::kCancelled, "run cancelled");
        }
      }
    }
  }

  void StartReady() {
    while (running_ < parallel_ && !ready_.empty()) {
      int i = std::get<2>(ready_.top());
      ready_.pop();
      if (!queued_[i]) continue;  // cancelled while it waited
      if (HeldByLoop(i)) continue;
      queued_[i] = false;
      StartAttempt(i);
    }
  }

  // A loop's item (engine/loops.h) that may not start now: skipped when an item of its loop
  // failed and fail_fast is on (GitHub Actions' fail-fast); held (still queued) while its
  // loop has max_parallel items running, queued again when one of them stops.
  bool HeldByLoop(int i) {
    const StepDecl& step = *g_.nodes[i].step;
    if (std::string loop = FailedFastCallLoop(step); !loop.empty()) {
      queued_[i] = false;
      Complete(i, Outcome::kSkipped, "an item of '" + loop + "' failed, and fail_fast is on");
      return true;
    }
    if (step.loop_of.empty() || !step.loop) return false;
    if (step.loop->fail_fast && failed_loops_.count(step.loop_of) != 0) {
      queued_[i] = false;
      Complete(i, Outcome::kSkipped,
               "an item of '" + step.loop_of + "' failed, and fail_fast is on");
      return true;
    }
    if (!step.loop->max_parallel || loop_running_[step.loop_of] < *step.loop->max_parallel)
      return false;
    held_[step.loop_of].push_back(i);
    return true;
  }

  // An attempt of step `i` stopped running (ended, or never began).
  void Stopped(int i) {
    --running_;
    const StepDecl& step = *g_.nodes[i].step;
    if (step.loop_of.empty() || IsCallEnd(step)) return;  // a call's item: CallEnded
    --loop_running_[step.loop_of];
    ReleaseHeld(step.loop_of);
  }

  // A call's start or outputs step (engine/calls.h): what a loop of calls counts by.
  static bool IsCallEnd(const StepDecl& step) {
    return step.call_role == CallRole::kStart || step.call_role == CallRole::kOutputs;
  }

  // The items of `loop` held by its max_parallel, queued again: one may start now.
  void ReleaseHeld(const std::string& loop) {
    std::vector<int> held;
    held.swap(held_[loop]);
    for (int k : held) ready_.push({g_.nodes[k].priority, -static_cast<int64_t>(queue_seq_++), k});
  }

  // A loop's item that is a call of a used runbook (engine/calls.h) runs from its start step's
  // start to its outputs step's end (whatever that is): it counts against the loop's
  // max_parallel that long.
  void CallStarted(int i) {
    const StepDecl& step = *g_.nodes[i].step;
    if (step.call_role != CallRole::kStart || step.loop_of.empty()) return;
    if (calls_running_.insert(step.call_of).second) ++loop_running_[step.loop_of];
  }
  void CallEnded(int i) {
    const StepDecl& step = *g_.nodes[i].step;
    if (step.call_role != CallRole::kOutputs || step.loop_of.empty()) return;
    if (calls_running_.erase(step.call_of) == 0) return;
    --loop_running_[step.loop_of];
    ReleaseHeld(step.loop_of);
  }

  void StartAttempt(int i) {
    if (std::string gone = resources_.FailureAbove(i, g_); !gone.empty()) return Fail(i, gone);
    StepRun& run = steps_[i];
    run.state = StepState::kRunning;
    ++running_;
    if (!g_.nodes[i].step->loop_of.empty() && !IsCallEnd(*g_.nodes[i].step))
      ++loop_running_[g_.nodes[i].step->loop_of];
    CallStarted(i);
    int number = static_cast<int>(run.attempts.size()) + 1;
    AttemptRecord record;
    record.number = number;
    record.started = svc_.clock.Now();
    run.attempts.push_back(std::move(record));
    if (!run.started) run.started = run.attempts.back().started;
    AttemptInput in = PrepareAttempt(i, number);
    if (svc_.journal != nullptr) {
      in.so_far = std::make_shared<OutputSoFar>();
      so_far_[i] = in.so_far;
      // The attempt's resolved parameters, masked, recorded and not kept: a value passed to
      // 1,000 calls was held 1,000 times (break24a W3: 2 MiB each, 2.1 GB).
      Journal(svc_.journal->AttemptStarted(*g_.nodes[i].step, number, redactor_.Apply(in.params),
                                           PathFingerprints(i, in.params),
                                           ParamsFingerprint(i, in.params)));
      if (!journal_status_.ok()) {  // write-ahead: no record, no side effect
        Stopped(i);
        NeverBegun(run);
        return Complete(i, Outcome::kCancelled, StoreFailed("not started: "));
      }
    }
    launches_.push_back({i, std::make_shared<AttemptInput>(std::move(in))});
  }

  // The journal's group becomes durable (the attempts' starts with the ends recorded since
  // the last commit); only then do the attempts begin. When the store failed, none does.
  void CommitAndLaunch(Launch* keep = nullptr) {
    // Offered after a failure too: the journal keeps or drops it (AuditJournal, breakAA AA6).
    if (svc_.journal != nullptr) Journal(svc_.journal->CommitGroup());
    std::vector<Launch> launches;
    launches.swap(launches_);
    const Clock::Mono now = svc_.clock.Now();
    for (auto& [i, input] : launches) {
      if (svc_.journal != nullptr && !journal_status_.ok()) {  // write-ahead: no record
        Stopped(i);
        // Never begun, as the store says (no attempt_started): no attempt, no time of its own,
        // never said started (breakYY YY6: a finally step that never ran was shown "start",
        // then "stop 4.80s", the store's wait).
        NeverBegun(steps_[i]);
        Complete(i, Outcome::kCancelled, StoreFailed("not started: "));
        continue;
      }
      BeginsNow(steps_[i], *input, now);
      // A cancel that came while the commit waited for the store: the main step is recorded
      // begun, and ends cancelled at once, never begun in fact (breakZZ ZZ9: a gate asked its
      // approvers for a run already cancelled).
      if (svc_.cancel.cancelled() && !IsFinally(i)) {
        steps_[i].attempts.back().began = false;
        AttemptResult r;
        r.status = AttemptStatus::kCancelled;
        r.error = "run cancelled before the step began";
        std::lock_guard<std::mutex> lock(mu_);
        completions_.push_back({i, std::move(r)});
        cv_.notify_one();
        continue;
      }
      svc_.observer.StepStarted(*g_.nodes[i].step, steps_[i].attempts.back().number);
      input->stop = stops_.Arm(i, input->cancel, input->deadline);
      if (keep != nullptr && !keep->second) {
        *keep = {i, input};
        continue;
      }
      workers_.Submit(
          [this, launch = Launch{i, input}]() mutable { RunChained(std::move(launch)); });
    }
  }

  // The attempt begins at `now`, once its start is durable: the time the commit took (a store
  // another process held locked, waited out under run --wait) is no part of its duration, and
  // its timeout counts from here (breakYY YY2: a step was failed "timed out" without running).
  static void BeginsNow(StepRun& run, AttemptInput& input, Clock::Mono now) {
    AttemptRecord& attempt = run.attempts.back();
    const auto waited = now - attempt.started;
    if (input.deadline) *input.deadline += waited;
    if (run.started == attempt.started) run.started = now;
    attempt.started = now;
  }

  // The last attempt of `run`, whose start the store never recorded, is taken back.
  static void NeverBegun(StepRun& run) {
    run.attempts.pop_back();
    if (run.attempts.empty()) run.started.reset();
  }

  // A step that ran before `i` in this dry run and whose real run may change what `i` looks
  // at, "" when none (the first in the runbook's order): an ancestor, or when steps run one
  // at a time (max_parallel 1) and for a finally step, any step that finished before `i`
  // started (breakT T10: the real run runs it before too). It must have been described as
  // it would run — not skipped, not failed, not a look that predicted its own failure
  // (breakT T2) — and be of a type that may write (not `changes_nothing`, not read-only).
  // Linear in the graph over a whole dry run: each step's first writer above it is kept
  // (WriterAbove) once asked, so a chain no longer walks every ancestor of every step
  // (break23a B3: 5k/10k/20k chained steps took 1.5/6.6/36 s).
  std::string DryUpstream(int i) {
    int first = WriterAbove(i);
    if (IsFinally(i) || parallel_ == 1) first = std::min(first, first_done_writer_);
    return first == kNoWriter ? "" : rb_.steps[first].id;
  }

  static constexpr int kNoWriter = std::numeric_limits<int>::max();

  // Whether step k, done, may have changed what a later step looks at in the real run.
  bool DoneWriter(int k) const {
    const StepType* type = rb_.steps[k].type;
    bool writes = type == nullptr || (!type->spec().changes_nothing &&
                                      type->spec().side_effects != SideEffects::kNone &&
                                      type->spec().side_effects != SideEffects::kRead);
    return writes && steps_[k].state == StepState::kDone && steps_[k].outcome == Outcome::kSuccess;
  }

  // The smallest index among the ancestors of `i` that are DoneWriters, kNoWriter when none.
  // Asked when `i` starts: its ancestors are all done, so the answer is final and is kept.
  int WriterAbove(int i) {
    if (writer_above_.empty()) writer_above_.assign(g_.nodes.size(), -1);
    std::vector<std::pair<int, bool>> todo{{i, false}};  // iterative: a chain may be long
    while (!todo.empty()) {
      auto [n, expanded] = todo.back();
      todo.pop_back();
      if (writer_above_[n] >= 0) continue;
      if (!expanded) {
        todo.push_back({n, true});
        for (int d : g_.nodes[n].needs)
          if (writer_above_[d] < 0) todo.push_back({d, false});
        continue;
      }
      int first = kNoWriter;
      for (int d : g_.nodes[n].needs) {
        first = std::min(first, writer_above_[d]);
        if (DoneWriter(d)) first = std::min(first, d);
      }
      writer_above_[n] = first;
    }
    return writer_above_[i];
  }

  AttemptInput PrepareAttempt(int i, int number) {
    const StepDecl& step = *g_.nodes[i].step;
    AttemptInput in(step, opt_.run_id, number, svc_);
    in.cancel = IsFinally(i) ? &finally_cancel_ : &svc_.cancel;
    in.redactor = &redactor_;
    in.dry_run = opt_.dry_run;
    in.continues = &opt_.continues;
    if (opt_.dry_run) in.dry_upstream = DryUpstream(i);
    in.kill_grace = opt_.kill_grace;
    // A step that waits for people (approval) is bounded only by its own `timeout`.
    bool bounded = step.timeout || !step.type->spec().waits_for_people;
    Millis timeout = step.timeout.value_or(opt_.default_timeout);
    if (bounded) in.deadline = svc_.clock.Now() + timeout;
    in.timeout = timeout;
    in.env = svc_.base_env;
    for (const auto& [k, v] : values_.env) in.env[k] = v;
    EnvMap step_env;
    EvalBudget budget;  // one for the step's env and `with` (kMaxStepValueBytes)
    budget.owner = "step '" + step.id + "'";
    for (const auto& [key, node] : step.env) {
      scope_.SetStep(i, &step_env);
      auto v = ResolveTree(node, scope_, &budget);
      if (!v.ok()) {
        in.resolve_error = "env " + key + ": " + v.status().message();
        steps_[i].rerun_needed = scope_.MaskedReads();
        return in;
      }
      step_env[key] = v.value().ToText();
    }
    for (const auto& [k, v] : step_env) in.env[k] = v;
    in.env["RUNBOOK_RUN_ID"] = opt_.run_id;
    in.env["RUNBOOK_STEP_ID"] = step.id;
    scope_.SetStep(i, &step_env);
    in.params = ResolveParams(step, scope_, in.resolve_error, &redactor_, &budget);
    if (!in.resolve_error.empty()) steps_[i].rerun_needed = scope_.MaskedReads();
    if (in.resolve_error.empty())
      in.resolve_error =
          redactor_.Apply(PathRoleClash(i, in.params, in.read_elsewhere, in.reads_unknown));
    in.keep = [this, i](std::unique_ptr<RunResource> r) { resources_.Keep(i, std::move(r)); };
    for (size_t k = 0; step.type->spec().reads_passed_steps && k < steps_.size(); ++k) {
      if (steps_[k].state == StepState::kDone && steps_[k].passed())
        in.passed.push_back({rb_.steps[k].id, rb_.steps[k].uses, steps_[k].outputs_unmasked});
    }
    return in;
  }

  // breakV V5: the step would write a path another step guards, or guard one another step
  // writes (engine/path_roles.h): it fails before it acts. "" when there is no clash. The
  // other steps' paths: as they started (a step carried over by a resume: as recorded
  // there, breakW W5), else as far as they can be known now, their own `env` included
  // (breakW W3). A step that writes while a guard still to run cannot be known yet fails
  // too: were that guard to refuse later, this step's file could stand at the live path.
  // `reads` gets the files the other steps read (kReads), absolute: StepContext::read_elsewhere.
  // `reads_unknown` gets the reads of steps still to run not known yet
  // (StepContext::reads_unknown).
  std::string PathRoleClash(int i, const Value& params, std::vector<std::string>& reads,
                            std::vector<std::string>& reads_unknown) {
    std::vector<RolePath> mine = RolePathsOf(i, rb_.steps[i].type->spec(), params.as_map());
    if (mine.empty()) return "";  // nothing written: nothing to keep from deleting either
    auto writer = std::find_if(mine.begin(), mine.end(), [](const RolePath& p) {
      return p.role != PathRole::kGuards && p.role != PathRole::kReads;
    });
    std::vector<RolePath> others;
    std::string unknown;
    std::map<int, bool> skips;  // WillNotRun's answers in this peek
    scope_.SetPeek(true);
    for (size_t k = 0; k < rb_.steps.size(); ++k) {
      if (static_cast<int>(k) == i) continue;
      auto known = role_paths_.find(static_cast<int>(k));
      if (known != role_paths_.end()) {
        others.insert(others.end(), known->second.begin(), known->second.end());
        continue;
      }
      // Passed without a path recorded: it wrote at none. One skipped or cancelled before it
      // started may still run in a resume, unless for reasons that stay (breakAA A7).
      if (steps_[k].state == StepState::kDone && steps_[k].passed()) continue;
      if (WillNotRun(static_cast<int>(k), skips)) continue;  // breakY Y5, breakZ Z3
      scope_.ClearPeekedUnknown();
      EnvMap env = PeekEnv(static_cast<int>(k));
      scope_.SetStep(static_cast<int>(k), &env);
      std::vector<std::string> guards, unknown_reads;
      for (RolePath& p :
           PeekRolePaths(rb_.steps[k], static_cast<int>(k), scope_, &guards, &unknown_reads))
        others.push_back(std::move(p));
      // A read waiting only for this step's own outputs names what this step makes (breakEE
      // E4); one waiting for another step, or for anything else, may name any file.
      std::set<std::string> waits = scope_.PeekedUnknown();
      waits.erase(rb_.steps[i].id);
      bool own_only = waits.empty() && !scope_.PeekedUnknown().empty();
      for (const std::string& name : unknown_reads)
        if (!own_only) reads_unknown.push_back("step '" + rb_.steps[k].id + "' as '" + name + "'");
      // A dry run writes nothing, and its steps give no outputs to know a guard by.
      if (writer != mine.end() && unknown.empty() && !guards.empty() && !opt_.dry_run)
        unknown = UnknownGuardMessage(*writer, static_cast<int>(k), guards.front());
    }
    scope_.SetPeek(false);
    scope_.SetStep(i, nullptr);
    std::string base = values_.base.value_or(std::filesystem::current_path());
    KeptForRun(i, base, reads);
    for (const RolePath& p : others)
      if (p.role == PathRole::kReads && !p.remote &&
          p.path.find_first_of("*?[{") == std::string::npos)  // a glob tolerates fewer files
        reads.push_back((std::filesystem::path(base) / p.path).lexically_normal().string());
    std::string clash = FirstClash(rb_, mine, others, base);
    int carried = -1;
    if (clash.empty()) clash = UnknownCarriedClash(rb_, mine, unknown_carried_, &carried);
    if (carried >= 0) steps_[i].rerun_needed.insert(rb_.steps[carried].id);  // to continue
    role_paths_[i] = std::move(mine);
    return clash.empty() ? unknown : clash;
  }

  // The files passed steps (not `i`) made or adopted, by their outputs marked kept_for_run,
  // absolute against `base`, added to `out` (StepContext::read_elsewhere; breakDD D4).
  void KeptForRun(int i, const std::string& base, std::vector<std::string>& out) const {
    for (size_t k = 0; k < steps_.size(); ++k) {
      if (static_cast<int>(k) == i || rb_.steps[k].type == nullptr || !steps_[k].passed()) continue;
      for (const OutputSpec& o : rb_.steps[k].type->spec().outputs) {
        auto v = steps_[k].outputs_unmasked.find(o.name);
        if (o.kept_for_run && v != steps_[k].outputs_unmasked.end() && v->second.is_string())
          out.push_back((std::filesystem::path(base) / v->second.as_string()).lexically_normal());
      }
    }
  }

  // Step `k` (not started) will be skipped, as can be told already, in this run and in any
  // resume of it: its `if:` is false on values that cannot change (params, env, passed
  // steps' outputs; `x && false` whatever x is), or, when it runs only after its needs
  // passed, one of them will not run for such a reason (breakZ Z3). A failed step is no such
  // reason: a resume runs it again (breakZ Z16). A peek; `memo` holds its answers.
  bool WillNotRun(int k, std::map<int, bool>& memo) {
    if (auto it = memo.find(k); it != memo.end()) return it->second;
    memo[k] = false;  // a cycle cannot happen in the graph; this only bounds the work
    const StepDecl& step = rb_.steps[k];
    // A need that failed may pass in a resume (breakZ Z16): only one that will not run for
    // reasons that stay counts. It skips a step run after success, implicit or said in its
    // `if:` with success() (breakAA A4).
    bool need_lost = false;
    for (int d : g_.nodes[k].needs) {
      if (IsFinally(k) || need_lost) break;
      need_lost = !steps_[d].passed() && WillNotRun(d, memo);
    }
    bool skipped = need_lost && !step.condition_has_status;
    if (!skipped && step.condition) {
      scope_.SetStep(k, nullptr);
      scope_.SetPeekNeedLost(need_lost);
      auto v = RenderTemplate(step.condition->tmpl, scope_);
      skipped = v.ok() && !v.value().has_unknown() && !v.value().Truthy();
    }
    return memo[k] = skipped;
  }

  // Step `k`'s own `env` as far as it can be known before it starts (what fails to resolve
  // is left out: a parameter reading it stays unknown).
  EnvMap PeekEnv(int k) {
    EnvMap env;
    for (const auto& [key, node] : rb_.steps[k].env) {
      scope_.SetStep(k, &env);
      auto v = ResolveTree(node, scope_);
      if (v.ok() && !v.value().has_unknown()) env[key] = v.value().ToText();
    }
    return env;
  }

  // Said at the writer's parameter (`writer`), naming the guard of step `k` not known yet.
  std::string UnknownGuardMessage(const RolePath& writer, int k, const std::string& guard) const {
    const StepDecl& g = rb_.steps[k];
    std::string message =
        "parameter '" + writer.param + "' writes a path, and step '" + g.id + "' as '" + guard +
        "' guards one that cannot be known yet (it reads what may change before that step runs: "
        "an output or the outcome of a step still to run, or of one whose outputs held a secret "
        "(a resume runs it again), run.status, run.elapsed or realpath()): a guarded path must be "
        "known before another step writes, or a refused '" +
        g.id +
        "' could leave this step's file standing at its path; give it as a param, or "
        "run the step whose output it reads before this one (needs:)";
    const TNode* node = rb_.steps[writer.step].With(writer.param);
    return LocateError(Status::Error(message), node != nullptr ? node->loc : Loc{}).message();
  }

  struct Completion {
    int index;
    AttemptResult result;
  };

  void Apply(Completion c) {
    int i = c.index;
    stops_.Disarm(i);
    so_far_.erase(i);
    Stopped(i);
    StepRun& run = steps_[i];
    const StepDecl& step = *g_.nodes[i].step;
    AttemptResult& r = c.result;
    AttemptRecord& rec = run.attempts.back();
    rec.status = r.status;
    rec.exit_code = r.exit_code;
    rec.error = redactor_.Apply(InSourceFile(r.error, step.source_file));
    // One that never began has no time of its own (a run loaded to 2 cores showed the 3 ms
    // its cancelled end took to be taken as the gate's duration).
    rec.duration =
        rec.began ? std::chrono::duration_cast<Millis>(svc_.clock.Now() - rec.started) : Millis(0);
    rec.waited = r.waited;
    rec.approved_by = r.approved_by;
    rec.log_lines = std::move(r.log_lines);  // masked as they were noted
    rec.log_lines_dropped = r.log_lines_dropped;
    for (const std::string& line : r.ended_processes)
      rec.ended_processes.push_back(redactor_.Apply(line));
    std::set<std::string> masked;
    for (const auto& [k, v] : r.outputs) {
      const std::string base = redactor_.Apply(k);
      std::string name = base;
      // Two names that mask alike (`x_SECRET1`, `x_SECRET2` are both `x_***`) are both
      // recorded: the later one as `x_***#2`, ... (break25a #9: one silently replaced the other).
      if (name != k)
        for (int n = 2; rec.outputs.count(name) != 0; ++n) name = base + "#" + std::to_string(n);
      Value shown = redactor_.Apply(v);
      if (name != k || !(shown == v)) masked.insert(name);
      rec.outputs[name] = std::move(shown);
    }
    run.waited += r.waited;
    run.stdout_text = redactor_.Apply(std::move(r.stdout_text));
    run.stderr_text = redactor_.Apply(std::move(r.stderr_text));
    run.output_tail = redactor_.Apply(std::move(r.output_tail));
    const bool failed = r.status != AttemptStatus::kSuccess;
    const bool cancelled =
        failed && (r.status == AttemptStatus::kCancelled || (!IsFinally(i) && values_.cancelled));
    // A dry run's failure is a prediction: trying it again would predict the same.
    const bool retry =
        failed && !cancelled && !opt_.dry_run && ShouldRetry(step.retry, r, rec.number);
    // An attempt that failed on its own before any cancel: its step's failure, however its
    // retries end, is no cancel's (breakVV VV3: a finally step retried after the cancel and
    // failed again was recorded cancelled).
    if (failed && !cancelled && !svc_.cancel.cancelled()) failed_before_cancel_steps_.insert(i);
    if (failed && !cancelled && !retry && step.continue_on_error == ContinueOnError::kNo &&
        failed_before_cancel_steps_.count(i) != 0)
      svc_.observer.StepFailing(step, rec.error);
    if (svc_.journal != nullptr) Journal(svc_.journal->AttemptFinished(step, rec, run));
    svc_.observer.AttemptFinished(step, rec, run);
    if (!failed) {
      run.outputs = rec.outputs;
      run.outputs_unmasked = std::move(r.outputs);
      run.masked_outputs = std::move(masked);
      NoteRpo(rpo_, rb_.steps[i], steps_[i], svc_.clock.WallNow());
      return Complete(i, Outcome::kSuccess, "");
    }
    if (retry) {
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      Millis delay = BackoffDelay(step.retry, rec.number, unit(rng_));
      run.state = StepState::kWaitingRetry;
      run.next_attempt_at = svc_.clock.Now() + delay;
      retrying_.push_back(i);
      svc_.observer.RetryScheduled(step, rec.number + 1, delay);
      return;
    }
    if (cancelled) return Complete(i, Outcome::kCancelled, rec.error);
    Fail(i, rec.error);
  }

  void Fail(int i, const std::string& error) {
    const StepDecl& step = *g_.nodes[i].step;
    StepRun& run = steps_[i];
    switch (step.continue_on_error) {
      case ContinueOnError::kWarn:
        return Complete(i, Outcome::kWarning, error);
      case ContinueOnError::kYes:
        run.tolerated = true;
        return Complete(i, Outcome::kFailure, error);
      case ContinueOnError::kNo:
        if (!step.loop_of.empty()) failed_loops_.insert(step.loop_of);  // fail_fast
        FailEnclosingLoops(step);
        if (!IsFinally(i)) values_.failed = true;
        // A finally step's own failure counts too (breakUU UU7: a failed cleanup, stopped
        // later by serve's stop, was recorded cancelled and paged nobody).
        if (!svc_.cancel.cancelled() || failed_before_cancel_steps_.count(i) != 0)
          failed_before_cancel_ = true;
        finally_failed_ = finally_failed_ || IsFinally(i);
        return Complete(i, Outcome::kFailure, error);
    }
  }

  void DueRetries() {
    auto now = svc_.clock.Now();
    for (size_t k = 0; k < retrying_.size();) {
      int i = retrying_[k];
      if (steps_[i].next_attempt_at <= now) {
        retrying_.erase(retrying_.begin() + static_cast<long>(k));
        steps_[i].state = StepState::kPending;
        Queue(i);
      } else {
        ++k;
      }
    }
  }

  void Complete(int i, Outcome outcome, std::string reason) {
    StepRun& run = steps_[i];
    run.state = StepState::kDone;
    run.outcome = outcome;
    run.reason = redactor_.Apply(InSourceFile(reason, g_.nodes[i].step->source_file));
    const bool never_began = !run.attempts.empty() && !run.attempts.back().began;
    run.finished = never_began ? run.attempts.back().started : svc_.clock.Now();
    ++done_;
    if (opt_.dry_run && DoneWriter(i)) first_done_writer_ = std::min(first_done_writer_, i);
    CallEnded(i);
    if (svc_.journal != nullptr) Journal(svc_.journal->StepFinished(*g_.nodes[i].step, run));
    svc_.observer.StepFinished(*g_.nodes[i].step, run);
    // Who may be ready now is looked at from a stack, not by recursing: a step skipped makes
    // its dependents skipped in turn, and a chain of 12,000 overflowed the stack (break24a K1:
    // SIGSEGV). Pushed so they are popped in the order the recursion took: dependents in
    // order, each one's own before the next; the finally steps after them.
    if (!IsFinally(i) && --main_left_ == 0) {
      for (size_t f = g_.nodes.size(); f-- > g_.finally_begin;)
        may_be_ready_.push_back(static_cast<int>(f));
    }
    const std::vector<int>& dependents = g_.nodes[i].dependents;
    for (auto d = dependents.rbegin(); d != dependents.rend(); ++d) {
      --steps_[*d].unsatisfied;
      may_be_ready_.push_back(*d);
    }
    if (std::exchange(looking_, true)) return;  // the outer Complete pops them
    while (!may_be_ready_.empty()) {
      int d = may_be_ready_.back();
      may_be_ready_.pop_back();
      MaybeReady(d);
    }
    looking_ = false;
  }

  // Services and other run-scoped resources end with the run, whatever its outcome.
  void StopResources() {
    resources_.StopAll([this](int owner, const std::string& name, const std::string& how) {
      const StepDecl& step = *g_.nodes[owner].step;
      std::string masked_name = redactor_.Apply(name), masked_how = redactor_.Apply(how);
      if (svc_.journal != nullptr)
        Journal(svc_.journal->ResourceStopped(step, masked_name, masked_how));
      svc_.observer.ResourceStopped(step, masked_name, masked_how);
    });
  }

  Millis Busy() const { return svc_.journal ? svc_.journal->BusyWaited() : Millis(0); }

  // The resume's incident clock (RtoInput::incident_elapsed): from the incident's start to
  // this run's, on the wall clock; none for a run that starts its own.
  std::optional<Millis> IncidentElapsed() const {
    if (!opt_.incident_started) return std::nullopt;
    return std::chrono::duration_cast<Millis>(started_wall_ - *opt_.incident_started);
  }

  // Whether a step ended cancelled: the last one can, by a cancel seen on no turn after it.
  bool AnyStepCancelled() const {
    return std::any_of(steps_.begin(), steps_.end(),
                       [](const StepRun& r) { return r.outcome == Outcome::kCancelled; });
  }

  RunResult Finish() {
    RunResult result;
    result.run_id = opt_.run_id;
    // The run ends when its work does: a wait for the store after its last step is no part of
    // it (RunJournal::BusyWaited).
    const Clock::Mono ended = svc_.clock.Now() - std::chrono::duration_cast<Clock::Mono::duration>(
                                                     Busy() - busy_before_end_);
    result.duration = std::chrono::duration_cast<Millis>(ended - values_.started);
    bool failed = values_.failed || finally_failed_;
    // A run whose step (main or finally) had failed before a cancel came (one that stopped
    // its finally steps, overlap: cancel_running, serve stopping) failed: the cancel does not
    // hide it (breakRR RR1: a failed backup was recorded cancelled, and nobody was told).
    // A cancel counts when it cancelled a step: one that came after the last step ended (a
    // Ctrl-C racing the run's end, X1), or while only `finally` steps were left, which it does
    // not stop (break27a #4), leaves a run that did all its work a success.
    result.status = failed_before_cancel_ ? "failure"
                    : AnyStepCancelled()  ? "cancelled"
                    : failed              ? "failure"
                                          : "success";
    if (result.status == "cancelled" && svc_.cancel.cancelled())
      result.signal = svc_.cancel.signal_number();
    result.rto = MeasureRto({rb_, steps_, g_.finally_begin, values_.started, ended, started_wall_,
                             opt_.dry_run, IncidentElapsed(), opt_.prior_approval_wait});
    result.rpo = rpo_;
    result.rpo.objective = rb_.rpo_objective;
    // The child runs, for history (engine/calls.h), in the order they start: a call before
    // the calls inside it (break20 #10).
    for (const StepDecl& s : rb_.steps)
      if (s.call_role == CallRole::kStart)
        result.calls.push_back(
            Value(Value::Map{{"id", Value(s.call_of)},
                             {"uses", Value(s.uses)},
                             {"outcome", Value(OutcomeName(scope_.CallOutcome(s.call_of)))}}));
    result.steps = std::move(steps_);
    if (svc_.journal != nullptr) Journal(svc_.journal->RunFinished(result));
    // Known to the observers too: a run the store stopped is no cancel (breakWW WW4).
    if (!journal_status_.ok()) result.unrecorded = journal_status_.message();
    svc_.observer.RunFinished(rb_, result);
    return result;
  }

  const Runbook& rb_;
  const Graph& g_;
  const RunOptions& opt_;
  RunServices& svc_;
  std::vector<StepRun> steps_;
  RunValues values_;
  Clock::Wall started_wall_{};  // when values_.started was taken, on the wall clock
  Millis busy_before_end_{0};   // RunJournal::BusyWaited when the last step ended
  RunScope scope_;
  std::vector<int> may_be_ready_;  // Complete's stack of steps to look at
  bool looking_ = false;           // a Complete is popping may_be_ready_
  Redactor redactor_;
  CancelToken finally_cancel_;  // set only by a second signal: finally steps finish
  // (priority, -sequence, step): std::priority_queue pops the largest first.
  std::priority_queue<std::tuple<int, int64_t, int>> ready_;
  std::vector<char> queued_ = std::vector<char>(g_.nodes.size(), 0);  // i waits in ready_
  uint64_t queue_seq_ = 0;
  std::vector<int> retrying_;
  std::mutex mu_;
  std::condition_variable cv_;
  Clock::Mono next_housekeeping_{};
  std::deque<Completion> completions_;
  std::mt19937 rng_{std::random_device{}()};
  size_t done_ = 0;
  size_t main_left_ = 0;
  int running_ = 0;
  // Loops (engine/loops.h): items running, items held by max_parallel, loops with a failed
  // item (fail_fast), each by loop id.
  std::map<std::string, int> loop_running_;
  std::map<std::string, std::vector<int>> held_;
  std::set<std::string> calls_running_;    // loop items that are calls, started, not ended
  Outcome call_outcome_ = Outcome::kNone;  // ShouldRun: the call's, for its outputs step
  std::set<std::string> failed_loops_;
  std::map<int, std::shared_ptr<OutputSoFar>> so_far_;  // running attempts' output, by step
  Clock::Mono next_so_far_{};
  int parallel_ = 1;
  bool cancel_seen_ = false;
  bool finally_failed_ = false;
  bool failed_before_cancel_ = false;         // a step failed while no cancel had come
  std::set<int> failed_before_cancel_steps_;  // steps with an attempt that did so
  bool condition_error_ = false;
  Status journal_status_;
  RpoResult rpo_;
  std::map<int, std::vector<RolePath>> role_paths_;  // steps that started: their role paths
  std::vector<RolePath> unknown_carried_;  // carried steps' paths recorded masked, not proven
  bool main_ran_ = false;  // a main (not `finally`) step was queued to run in this run
  // Attempts started and recorded, launched once the journal's group is durable.
  std::vector<Launch> launches_;
  std::vector<int> writer_above_;      // WriterAbove's answers, -1 not asked yet
  int first_done_writer_ = kNoWriter;  // the smallest DoneWriter so far (Complete)
  // Held by the thread whose turn it is (Turn, RunChained): every member above but mu_'s.
  std::mutex turn_mu_;
  bool ended_ = false;      // under mu_: a worker's turn completed the last step
  AttemptStops stops_;      // the running attempts' own tokens
  RunResources resources_;  // before workers_: attempts may still add to it
  WorkerPool workers_;      // last: destroyed (joined) before what its tasks touch
};

}  // namespace

Result<RunResult> Execute(const Runbook& rb, const Graph& graph, const RunOptions& options,
                          RunServices& services) {
  return Loop(rb, graph, options, services).Run();
}

namespace {

// `look` on a Loop that runs nothing: no process, no journal, no observer, the secrets given
// or those readable without consuming anything (SecretsToMask: no pipe is read).
template <typename Look>
auto BeforeRun(const Runbook& rb, const Graph& graph, RunOptions options, const EnvMap& base_env,
               Look look) {
  if (!options.secrets) {
    std::error_code no_cwd;
    options.secrets = SecretsToMask(rb, base_env, std::filesystem::current_path(no_cwd).string());
  }
  SystemClock clock;
  PosixProcessRunner unused(clock);
  RunObserver quiet;
  CancelToken cancel;
  RunServices services{unused, clock, quiet, cancel, nullptr, base_env};
  Loop loop(rb, graph, options, services);
  return look(loop);
}

}  // namespace

std::set<std::string> DecisionsToTakeAgain(const Runbook& rb, const Graph& graph,
                                           const RunOptions& options, const EnvMap& base_env,
                                           const std::string& fingerprint_key) {
  return BeforeRun(rb, graph, options, base_env,
                   [&](Loop& loop) { return loop.DecisionsChanged(fingerprint_key); });
}

std::map<std::string, bool> ConditionsKnownBeforeRun(const Runbook& rb, const Graph& graph,
                                                     const RunOptions& options,
                                                     const EnvMap& base_env) {
  return BeforeRun(rb, graph, options, base_env, [](Loop& loop) { return loop.ConditionsKnown(); });
}

}  // namespace runbook
