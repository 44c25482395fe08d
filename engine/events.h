// RunObserver: what the executor tells the world (terminal display, audit store, tests).
// The executor never prints; observers do. All calls come from the executor's loop thread
// except StepLine, StepNote and ProgressReported, which come from the thread running the
// step: implementations must make them thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/model.h"
#include "engine/plan.h"

namespace runbook {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void RunStarted(const Runbook&, const std::string& /*run_id*/, bool /*dry_run*/) {}
  virtual void StepStarted(const StepDecl&, int /*attempt*/) {}
  // A line a step's process printed (shown while it runs).
  virtual void StepLine(const StepDecl&, bool /*is_stderr*/, std::string_view /*line*/) {}
  // A note the step (or runbook about the step) wrote for people: kept on screen.
  virtual void StepNote(const StepDecl&, std::string_view /*line*/) {}
  // How far the step got (a few times a second at most).
  virtual void ProgressReported(const StepDecl&, const StepProgress& /*progress*/) {}
  virtual void AttemptFinished(const StepDecl&, const AttemptRecord&, const StepRun&) {}
  virtual void RetryScheduled(const StepDecl&, int /*next_attempt*/, Millis /*delay*/) {}
  // A step (main or finally) failed for good (no retry left, not tolerated), an attempt of
  // it having failed before any cancel (breakUU UU7, breakVV VV3), told
  // before the journal records its attempt, which may wait on a locked store: a run killed
  // there has still told it (breakTT TT2). `reason` is masked. Its StepFinished follows.
  virtual void StepFailing(const StepDecl&, std::string_view /*reason*/) {}
  virtual void StepFinished(const StepDecl&, const StepRun&) {}
  // A run-scoped resource the step kept (a service) was stopped as the run ended.
  virtual void ResourceStopped(const StepDecl&, const std::string& /*name*/,
                               const std::string& /*how*/) {}
  virtual void RunFinished(const Runbook&, const RunResult&) {}
};

// Sends every event to several observers, in order.
class ObserverList final : public RunObserver {
 public:
  void Add(RunObserver* o) { list_.push_back(o); }
  void RunStarted(const Runbook& rb, const std::string& id, bool dry) override {
    for (auto* o : list_) o->RunStarted(rb, id, dry);
  }
  void StepStarted(const StepDecl& s, int a) override {
    for (auto* o : list_) o->StepStarted(s, a);
  }
  void StepLine(const StepDecl& s, bool e, std::string_view l) override {
    for (auto* o : list_) o->StepLine(s, e, l);
  }
  void StepNote(const StepDecl& s, std::string_view l) override {
    for (auto* o : list_) o->StepNote(s, l);
  }
  void ProgressReported(const StepDecl& s, const StepProgress& p) override {
    for (auto* o : list_) o->ProgressReported(s, p);
  }
  void AttemptFinished(const StepDecl& s, const AttemptRecord& a, const StepRun& r) override {
    for (auto* o : list_) o->AttemptFinished(s, a, r);
  }
  void RetryScheduled(const StepDecl& s, int n, Millis d) override {
    for (auto* o : list_) o->RetryScheduled(s, n, d);
  }
  void StepFailing(const StepDecl& s, std::string_view reason) override {
    for (auto* o : list_) o->StepFailing(s, reason);
  }
  void StepFinished(const StepDecl& s, const StepRun& r) override {
    for (auto* o : list_) o->StepFinished(s, r);
  }
  void ResourceStopped(const StepDecl& s, const std::string& n, const std::string& h) override {
    for (auto* o : list_) o->ResourceStopped(s, n, h);
  }
  void RunFinished(const Runbook& rb, const RunResult& r) override {
    for (auto* o : list_) o->RunFinished(rb, r);
  }

 private:
  std::vector<RunObserver*> list_;
};

}  // namespace runbook
