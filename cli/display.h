// The terminal view of a run. On a TTY: finished steps and the steps' notes (`log`
// messages, what a step did) scroll above a live block of the running ones with elapsed
// times, progress (done of total, rate, time left: cli/progress_view.h) and their processes'
// last line, redrawn in place; a failed step's last output stays on screen. Otherwise: plain
// timestamped lines, step output prefixed with the step id, a running step's progress at
// most once per `plain_progress_every` (0: never).
// NO_COLOR is respected. Thread-safe. The steps' output, notes and errors come masked; the
// runbook's own words it adds (its name, step ids, names and `uses`) and every line of its
// own pass `redactor` (when given): a secret in the runbook's name or a step's id is masked
// there as in the store (break22b #11). A step's output lines are not masked twice (the
// console of 300,000 lines took half as long again when they were).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/progress_view.h"
#include "engine/events.h"
#include "engine/redact.h"

namespace runbook {

class Display final : public RunObserver {
 public:
  Display(bool live, bool color, Millis plain_progress_every = Millis(10000),
          const Redactor* redactor = nullptr);
  ~Display() override;

  void RunStarted(const Runbook& rb, const std::string& run_id, bool dry_run) override;
  void StepStarted(const StepDecl& s, int attempt) override;
  void StepLine(const StepDecl& s, bool is_stderr, std::string_view line) override;
  void StepNote(const StepDecl& s, std::string_view line) override;
  void ProgressReported(const StepDecl& s, const StepProgress& p) override;
  void AttemptFinished(const StepDecl& s, const AttemptRecord& a, const StepRun& r) override;
  void RetryScheduled(const StepDecl& s, int next_attempt, Millis delay) override;
  void StepFinished(const StepDecl& s, const StepRun& r) override;
  void ResourceStopped(const StepDecl& s, const std::string& name, const std::string& how) override;
  void RunFinished(const Runbook& rb, const RunResult& r) override;

  // Stops redrawing while a prompt owns the terminal.
  void Pause();
  void Resume();
  // A line above the live block (or a plain line).
  void Print(const std::string& line);

 private:
  struct Running {
    std::string label;
    Clock::Mono since;
    std::string last_line;
    std::optional<StepProgress> progress;
    RateWindow rate;
    Clock::Mono progress_printed;  // off a terminal: when progress was last printed
  };
  void PrintLocked(const std::string& line);  // as given: its callers mask with Own
  // `text` (the runbook's own words, or a whole line of the display's) masked.
  std::string Own(const std::string& text) const {
    return redactor_ != nullptr ? redactor_->Apply(text) : text;
  }
  void ClearLocked();
  void DrawLocked();
  void FlushNotStartedLocked();
  void Refresh();
  std::string Paint(const char* code, const std::string& text) const;
  // The run's RTO and RPO lines: measured or why not, met or missed against the objectives.
  std::string ObjectiveLines(const RunResult& r) const;

  bool live_;
  bool color_;
  bool dry_run_ = false;  // RunStarted's: the summary says nothing was run
  Millis plain_progress_every_;
  const Redactor* redactor_;  // may be null: nothing to mask
  std::mutex mu_;
  std::map<std::string, Running> running_;
  // Lines of steps a cancel stopped before they started, said once the steps that were
  // running have said how they ended (newcomer N9: "stop offsite (run cancelled)" came before
  // the running step's own cancellation).
  std::vector<std::string> not_started_;
  int drawn_lines_ = 0;
  bool paused_ = false;
  std::atomic<bool> stop_{false};
  std::thread refresher_;
};

}  // namespace runbook
