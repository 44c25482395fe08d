// Test helpers: load runbooks from inline text, run them through the real executor and
// process runner, run the real binary. Shared by the tests only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/events.h"
#include "engine/executor.h"
#include "engine/journal.h"
#include "engine/loader.h"
#include "engine/plugin/registry.h"
#include "support/paths.h"

namespace runbook::test {

const StepRegistry& Builtins();

// Loads `text` as "test.yaml"; returns the rendered diagnostics (no color) in `rendered`.
std::unique_ptr<Runbook> Load(const std::string& text, std::string* rendered = nullptr);
// The rendered diagnostics of `text`, which must be invalid.
std::string Diagnose(const std::string& text);

// Runs a runbook in-process with the real process runner; records events.
struct Recorded final : RunObserver {
  std::vector<std::string> events;  // "start a 1", "finish a success", "retry a 2"
  void StepStarted(const StepDecl& s, int a) override;
  void RetryScheduled(const StepDecl& s, int n, Millis d) override;
  void StepFinished(const StepDecl& s, const StepRun& r) override;
  // Called with each finished step's id after it is recorded above (on the executor's turn).
  std::function<void(const std::string& id)> after_finished;
  std::vector<std::string> failing;  // the steps StepFailing named, in order
  void StepFailing(const StepDecl& s, std::string_view reason) override;
  // Every progress report, with its step id (from the steps' threads).
  std::unique_ptr<std::mutex> progress_mu = std::make_unique<std::mutex>();  // Ran moves
  std::vector<std::pair<std::string, StepProgress>> progress;
  void ProgressReported(const StepDecl& s, const StepProgress& p) override;
};
// A journal at the executor's seam that keeps what each attempt's start recorded: the
// resolved parameters, masked (RunJournal::AttemptStarted), by step id, the last attempt's.
struct ParamsJournal final : RunJournal {
  std::map<std::string, Value> params;
  Status RunStarted(const Runbook&, const std::string&, const Value::Map&,
                    const Redactor&) override {
    return Status::Ok();
  }
  Status AttemptStarted(const StepDecl& step, int, const Value& p, const Value::Map&,
                        const std::string&) override;
  Status AttemptFinished(const StepDecl&, const AttemptRecord&, const StepRun&) override {
    return Status::Ok();
  }
  Status StepFinished(const StepDecl&, const StepRun&) override { return Status::Ok(); }
  Status ResourceStopped(const StepDecl&, const std::string&, const std::string&) override {
    return Status::Ok();
  }
  Status RunFinished(const RunResult&) override { return Status::Ok(); }
};
struct Ran {
  RunResult result;
  Recorded recorded;
  std::unique_ptr<ParamsJournal> journal = std::make_unique<ParamsJournal>();
  const StepRun& Step(const Runbook& rb, const std::string& id) const;
  // The parameters step `id`'s last attempt was started with, as recorded (masked).
  const Value& Params(const std::string& id) const;
};
Ran RunText(const std::string& text, std::unique_ptr<Runbook>& rb, bool dry_run = false,
            CancelToken* cancel = nullptr);
// The same, with `cancel` cancelled (SIGINT) from the observer once step `step_id` has
// finished: a cancel that comes after a step's end and before the executor's next look at
// its token (the seam of a Ctrl-C that races the run's end).
Ran RunTextCancelledAfter(const std::string& text, std::unique_ptr<Runbook>& rb,
                          const std::string& step_id, CancelToken& cancel);
// The same on `clock` (a test's FakeClock, support/fake_clock.h).
Ran RunTextAt(const Clock& clock, const std::string& text, std::unique_ptr<Runbook>& rb);
// The same with step types of `registry` (a test's own steps).
Ran RunTextWith(const StepRegistry& registry, const std::string& text, std::unique_ptr<Runbook>& rb,
                bool dry_run = false);

struct Command {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs a shell command line (through /bin/sh) and captures its output.
Command Shell(const std::string& command_line, int timeout_seconds = 60);
// strace for a shell command line, with LeakSanitizer off in what it traces (in the
// ASan build: LSan cannot run under ptrace).
inline const char* kStrace =
    "env ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" strace";
std::string Binary();
// "BINARY ARGS": the binary's command line with `args`, for Shell.
inline std::string BinaryWith(const std::string& args) { return Binary() + " " + args; }
// `text` with `br` between each `width` characters, as `base64` (76), PEM (64) or `xxd -p`
// (60) wrap it.
inline std::string WrapAt(const std::string& text, size_t width, const std::string& br) {
  std::string out;
  for (size_t at = 0; at < text.size(); at += width)
    out += (at == 0 ? "" : br) + text.substr(at, width);
  return out;
}
// Whether `c`'s standard error holds `text`.
inline bool StderrHas(const Command& c, const std::string& text) {
  return c.err.find(text) != std::string::npos;
}
// How many times `what` occurs in `text`, overlaps counted.
size_t Occurrences(const std::string& text, const std::string& what);
// The pixels of `png` in colour `colour` ("#rrggbb"), counted by tests/e2e/png_colour.py.
int PngPixels(const std::string& png, const std::string& colour);
// An SQLite database `name` in `dir` (made by the sqlite3 shell) with one table t(v) holding
// the row `v`.
void MakeValueDb(const std::string& dir, const std::string& name, const std::string& v);
std::string TempDir();  // a fresh directory, removed at exit
std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text);
std::string ReadFile(const std::string& path);  // "" when missing
bool ProcessAlive(const std::string& pattern);  // pgrep -f
// Sends SIGKILL to the processes whose command line matches `pattern` (pkill -f, bracketed
// so the shell running it is not one of them) and waits until none is left (10 s at most).
// Returns true when they are gone. A plain `pkill -f 'P'; sleep` kills its own shell first,
// and the sleep never runs: the next command raced the dying processes (CI, stop 49).
bool EndProcesses(const std::string& pattern);
// A sleep command line unique to this test process and to `n` ("sleep 8N.PID"): a pgrep
// for it never matches another test file's processes.
std::string SleepMarker(int n);
// Runs the real binary on `file` in `dir` (store dir/a.db) in the background until its
// step appends "started" to dir/marks, then kills it with SIGKILL. Returns the killed
// run's id, "" when the step never started (10 s) or the store names no run. `flags` go on
// its command line.
std::string RunUntilStartedThenKill(const std::string& dir, const std::string& file,
                                    const std::string& flags = "");
// The same, stopping it with SIGINT (Ctrl-C) instead, and waiting (10 s at most) until the
// store no longer shows the run as running: it ended under runbook's control.
std::string RunUntilStartedThenInterrupt(const std::string& dir, const std::string& file,
                                         const std::string& flags = "");
// `command` under a virtual-memory limit of `kib` KiB (ulimit -v); none in sanitizer builds,
// which reserve terabytes of address space for their shadow memory.
inline std::string Limited(int kib, const std::string& command) {
#if defined(__SANITIZE_ADDRESS__)
  (void)kib;
  return command;
#else
  return "ulimit -v " + std::to_string(kib) + " && " + command;
#endif
}
// "sqlite3 -cmd '.timeout 5000' ": the sqlite3 shell waiting up to 5 s for a lock a running
// runbook holds, instead of failing at once with "database is locked".
inline constexpr const char* kSqliteWaiting = "sqlite3 -cmd '.timeout 5000' ";
// The id of the newest run in the store at `audit_db` (`history --format json`), "" when the
// store holds none or cannot be read.
std::string LatestRunId(const std::string& audit_db);
// "python3 .../pty_run.py": runs a command on a pseudo-terminal (see that file's usage).
std::string PtyRun();

}  // namespace runbook::test
