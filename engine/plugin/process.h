// The process runner interface steps use to start commands. The implementation
// (engine/process_runner.cpp) puts each child in its own process group, captures stdout and
// stderr separately with a cap, and enforces the deadline and cancellation on the whole
// group: SIGTERM, a grace period, SIGKILL. Run() blocks the calling thread; it is safe to
// call from several threads at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/plugin/cancel.h"
#include "engine/util/clock.h"
#include "engine/util/duration.h"

namespace runbook {

using EnvMap = std::map<std::string, std::string>;

struct ProcessRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::string cwd;                // empty: the current directory
  EnvMap env;                     // the complete environment of the child
  std::string stdin_path;         // the child's stdin (read-only); empty: /dev/null
  std::optional<Clock::Mono> deadline;
  Millis grace{5000};               // between SIGTERM and SIGKILL
  size_t capture_head = 32 * 1024;  // bytes kept from the start of each stream
  size_t capture_tail = 32 * 1024;  // bytes kept from the end of each stream
  // Called for each complete line as it arrives (the live view); may be empty. A line
  // longer than 4 KiB arrives in pieces.
  std::function<void(bool is_stderr, std::string_view line)> on_line;
  // When set, the child's stdout goes here, raw and whole, in the order read, instead of
  // being captured or given to on_line (ProcessResult::out stays empty): for a step that
  // consumes a stream itself (a database dump). Called on the supervising thread; while it
  // runs, the child's writes wait on the pipe (back-pressure), and the deadline and Ctrl-C are
  // looked at again after it returns.
  std::function<void(std::string_view bytes)> on_stdout_data;
  // Set by the engine, not by steps: masks secrets in what is captured, applied before each
  // cut (a long line's pieces, the head and tail windows) with the edges that were cut
  // (engine/redact.h CutEdge), so no piece of a secret survives beside a cut.
  std::function<std::string(std::string text, unsigned cut_edges)> redact;
  // Set by the engine with `redact`, for the live view (engine/live_lines.h): the length of
  // the longest end of a text that may begin a secret's form (Redactor::FormBegunAtEnd), and
  // a part of a text masked knowing the whole (Redactor::ApplyPart), so each line is masked
  // knowing the lines around it.
  std::function<size_t(std::string_view text)> form_begun_at_end;
  std::function<std::string(std::string_view text, size_t begin, size_t end, unsigned cut_edges)>
      redact_part;
  // The child and every process it starts go into a cgroup of their own where one can be
  // made (engine/step_cgroup.h), and are ended with it. False only for callers that mean
  // what it starts to outlive it, as a terminal does (the tests' shell).
  bool contain = true;
  // The child gets SIGTERM when runbook dies (PR_SET_PDEATHSIG), even by kill -9: for one
  // that must not go on without the step, such as a database client replaying a dump into the
  // live server (breakSS SS9: it replayed on, reparented to init).
  bool die_with_runbook = false;
};

struct CapturedStream {
  std::string text;  // head, then "\n[... N bytes truncated ...]\n", then tail
  size_t total_bytes = 0;
  bool truncated = false;
};

struct ProcessResult {
  bool spawned = false;
  std::string spawn_error;  // "no such file or directory: 'x'" when !spawned
  int exit_code = -1;       // valid when exited normally
  int term_signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;
  bool cancelled = false;
  CapturedStream out;
  CapturedStream err;
  Millis duration{0};
  // Descendants that had left the process group and were ended with it, one line each:
  // "process 123 (sleep 100): SIGTERM". runbook's notes, never mixed into `err`.
  std::vector<std::string> ended;
  // Processes still in the step's own process group when its leader exited (a `cmd &` never
  // waited for), ended with the group's SIGTERM: "process 124 (sleep 100)". runbook's notes.
  std::vector<std::string> left_in_group;

  bool exited_ok() const { return spawned && term_signal == 0 && exit_code == 0; }
  // "exit code 3", "killed by SIGKILL", "timed out", ...
  std::string Describe() const;
};

// A process that outlives the call that started it (a service): its own process group,
// stdin from /dev/null, stdout and stderr appended to `log_path`.
struct BackgroundRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::string cwd;
  EnvMap env;
  std::string log_path;  // created (with its folder) when missing, appended to
  // Set by the engine, not by steps: as ProcessRequest::redact, for the names of processes
  // that Stop reports (their command lines may hold a secret).
  std::function<std::string(std::string text, unsigned cut_edges)> redact;
};

// The handle of a started background process. Thread-safe. Destroying it stops the process
// (as Stop with no grace) if it still runs: nothing started outlives its handle.
class BackgroundProcess {
 public:
  virtual ~BackgroundProcess() = default;
  virtual int pid() const = 0;
  // nullopt while the process runs; how it ended ("exit code 1", "killed by SIGSEGV") once
  // it has exited. Never blocks.
  virtual std::optional<std::string> Exited() = 0;
  // SIGTERM to the group, up to `grace` for it to exit, then SIGKILL to the group. Returns
  // how it ended; a process that had already exited is reported as such.
  virtual std::string Stop(Millis grace) = 0;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult Run(const ProcessRequest& request, const CancelToken& cancel) = 0;
  // Starts a background process; nullptr with `error` set when it cannot be started.
  virtual std::unique_ptr<BackgroundProcess> Start(const BackgroundRequest& request,
                                                   std::string& error) = 0;
};

}  // namespace runbook
