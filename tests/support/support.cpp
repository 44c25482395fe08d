#include "support/support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/calls.h"
#include "engine/graph.h"
#include "engine/process_runner.h"
#include "engine/util/json.h"

namespace runbook::test {

namespace {

// The tests' tools are Debian's, which scripts/setup.sh installs (python3 with python3-yaml
// and python3-aiosmtpd, sqlite3, node), found in /usr/bin ahead of a version manager's shims
// earlier on PATH: pyenv's python3 shim is a bash script costing 0.39 s a call against
// 0.036 s for /usr/bin/python3 (measured 2026-12-05), and the tests call python3 thousands
// of times. Set before main, while the process has one thread.
const bool kDebianToolsFirst = [] {
  const char* path = std::getenv("PATH");
  std::string value = std::string("/usr/bin") + (path && *path ? ":" + std::string(path) : "");
  return ::setenv("PATH", value.c_str(), 1) == 0;
}();

}  // namespace

const StepRegistry& Builtins() {
  static const StepRegistry registry = MakeBuiltinRegistry();
  return registry;
}

std::unique_ptr<Runbook> Load(const std::string& text, std::string* rendered) {
  Diagnostics diags;
  auto rb = LoadRunbookText("test.yaml", text, Builtins(), diags);
  if (rendered) {
    SourceText source{"test.yaml", text};
    rendered->clear();
    for (const Diagnostic& d : diags.all()) *rendered += RenderText(d, &source, false);
  }
  return rb;
}

std::string Diagnose(const std::string& text) {
  std::string rendered;
  auto rb = Load(text, &rendered);
  return rb ? "(valid)" : rendered;
}

void Recorded::StepStarted(const StepDecl& s, int a) {
  events.push_back("start " + s.id + " " + std::to_string(a));
}
void Recorded::RetryScheduled(const StepDecl& s, int n, Millis) {
  events.push_back("retry " + s.id + " " + std::to_string(n));
}
void Recorded::StepFinished(const StepDecl& s, const StepRun& r) {
  events.push_back("finish " + s.id + " " + OutcomeName(r.outcome));
  if (after_finished) after_finished(s.id);
}

void Recorded::StepFailing(const StepDecl& s, std::string_view) { failing.push_back(s.id); }

void Recorded::ProgressReported(const StepDecl& s, const StepProgress& p) {
  std::lock_guard<std::mutex> lock(*progress_mu);
  progress.emplace_back(s.id, p);
}

Status ParamsJournal::AttemptStarted(const StepDecl& step, int, const Value& p, const Value::Map&,
                                     const std::string&) {
  static std::mutex mu;  // attempts start on the executor's thread; kept safe regardless
  std::lock_guard<std::mutex> lock(mu);
  params[step.id] = p;
  return Status::Ok();
}

const Value& Ran::Params(const std::string& id) const {
  static const Value kNone;
  auto it = journal->params.find(id);
  return it == journal->params.end() ? kNone : it->second;
}

const StepRun& Ran::Step(const Runbook& rb, const std::string& id) const {
  return result.steps.at(rb.FindStep(id) - rb.steps.data());
}

namespace {

Ran ExecuteLoaded(const std::string& rendered, std::unique_ptr<Runbook>& rb, bool dry_run,
                  CancelToken* cancel, const Clock& clock = RealClock(),
                  std::function<void(const std::string&)> after_finished = {}) {
  if (!rb) throw std::runtime_error("invalid runbook in test:\n" + rendered);
  Value::Map params = BindParams(*rb, {}).value();
  if (Status s = ExpandRunbook(*rb, params); !s.ok()) throw std::runtime_error(s.message());
  Graph graph = BuildGraph(*rb);
  CancelToken own;
  PosixProcessRunner processes(clock);
  Ran ran;
  ran.recorded.after_finished = std::move(after_finished);
  RunServices services{processes,           clock, ran.recorded, cancel ? *cancel : own, nullptr,
                       CurrentEnvironment()};
  // What each attempt's start records, as the audit store gets it (a dry run records nothing).
  if (!dry_run) services.journal = ran.journal.get();
  RunOptions options;
  options.run_id = "test-run";
  options.params = params;
  options.dry_run = dry_run;
  options.kill_grace = Millis(500);
  auto result = Execute(*rb, graph, options, services);
  if (!result.ok()) throw std::runtime_error(result.status().message());
  ran.result = result.value();
  return ran;
}

}  // namespace

Ran RunText(const std::string& text, std::unique_ptr<Runbook>& rb, bool dry_run,
            CancelToken* cancel) {
  std::string rendered;
  rb = Load(text, &rendered);
  return ExecuteLoaded(rendered, rb, dry_run, cancel);
}

Ran RunTextCancelledAfter(const std::string& text, std::unique_ptr<Runbook>& rb,
                          const std::string& step_id, CancelToken& cancel) {
  std::string rendered;
  rb = Load(text, &rendered);
  return ExecuteLoaded(rendered, rb, false, &cancel, RealClock(), [&](const std::string& id) {
    if (id == step_id) cancel.Cancel(SIGINT);
  });
}

Ran RunTextAt(const Clock& clock, const std::string& text, std::unique_ptr<Runbook>& rb) {
  std::string rendered;
  rb = Load(text, &rendered);
  return ExecuteLoaded(rendered, rb, false, nullptr, clock);
}

Ran RunTextWith(const StepRegistry& registry, const std::string& text, std::unique_ptr<Runbook>& rb,
                bool dry_run) {
  Diagnostics diags;
  rb = LoadRunbookText("test.yaml", text, registry, diags);
  std::string rendered;
  for (const Diagnostic& d : diags.all()) rendered += d.message + "\n";
  return ExecuteLoaded(rendered, rb, dry_run, nullptr);
}

Command Shell(const std::string& command_line, int timeout_seconds) {
  PosixProcessRunner runner;
  CancelToken cancel;
  ProcessRequest req;
  // Like a terminal, what the command starts in the background may outlive it: without the
  // runner's tracking id, it is not ended when the shell exits (engine/process_tree.h).
  req.argv = {"/bin/sh", "-c", "unset RUNBOOK_TRACKING_ID; " + command_line};
  req.contain = false;
  req.env = CurrentEnvironment();
  req.env["NO_COLOR"] = "1";
  // Runs of the binary record into a store of this test process, not the working folder.
  static const std::string audit_db = TempDir() + "/audit.db";
  if (!req.env.count("RUNBOOK_AUDIT_DB")) req.env["RUNBOOK_AUDIT_DB"] = audit_db;
  // A test that unsets it never records into the home folder of whoever runs the suite.
  static const std::string state = TempDir();
  if (!req.env.count("XDG_STATE_HOME")) req.env["XDG_STATE_HOME"] = state;
  req.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  req.capture_head = req.capture_tail = 1 << 20;
  ProcessResult r = runner.Run(req, cancel);
  return {r.term_signal ? 128 + r.term_signal : r.exit_code, r.out.text, r.err.text};
}

std::string Binary() { return RUNBOOK_BINARY; }

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

int PngPixels(const std::string& png, const std::string& colour) {
  Command c = Shell("python3 " + std::string(RUNBOOK_SOURCE_DIR) + "/tests/e2e/png_colour.py " +
                    png + " " + colour);
  REQUIRE(c.exit_code == 0);
  return std::stoi(c.out);
}

void MakeValueDb(const std::string& dir, const std::string& name, const std::string& v) {
  REQUIRE(Shell("cd " + dir + " && sqlite3 " + name + " \"create table t(v); insert into t " +
                "values('" + v + "')\"")
              .exit_code == 0);
}

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "runbook-test-XXXXXX").string();
  char* dir = mkdtemp(pattern.data());
  if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
  static std::vector<std::string> to_remove;
  static struct Cleanup {
    ~Cleanup() {
      // Never throws at exit: a test's background process may still be changing the folder.
      std::error_code ec;
      for (const auto& d : to_remove) std::filesystem::remove_all(d, ec);
    }
  } cleanup;
  to_remove.push_back(dir);
  return dir;
}

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool ProcessAlive(const std::string& pattern) {
  // "[s]leep 61" matches "sleep 61" but not the shell running this pgrep.
  std::string bracketed = "[" + pattern.substr(0, 1) + "]" + pattern.substr(1);
  return std::system(("pgrep -f '" + bracketed + "' > /dev/null").c_str()) == 0;
}

bool EndProcesses(const std::string& pattern) {
  std::string bracketed = "[" + pattern.substr(0, 1) + "]" + pattern.substr(1);
  for (int i = 0; i < 200; ++i) {
    if (!ProcessAlive(pattern)) return true;
    std::system(("pkill -KILL -f '" + bracketed + "'").c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !ProcessAlive(pattern);
}

std::string SleepMarker(int n) {
  return "sleep 8" + std::to_string(n) + "." + std::to_string(getpid());
}

namespace {

std::string RunUntilStartedThenSignal(const std::string& dir, const std::string& file,
                                      const std::string& flags, const std::string& stop) {
  // setsid: the shell's group is ended when it exits, so runbook gets its own session, and
  // the shell waits (the same call) until the step runs, by which time setsid() is done.
  Command started =
      Shell("cd " + dir + " && setsid " + Binary() + " run " + file + " --audit-db a.db " + flags +
            " > out 2>&1 & echo $! > " + dir + "/pid; for i in $(seq 400); do grep -q started " +
            dir + "/marks 2>/dev/null && exit 0; sleep 0.05; done; exit 1");
  if (started.exit_code != 0) return "";
  Shell(stop);
  // A busy timeout: the run may still be writing its last events (SQLITE_BUSY would read as
  // "no run" and fail the caller on a loaded machine).
  std::string id = Shell(kSqliteWaiting + dir + "/a.db 'select run_id from runs'").out;
  return id.empty() ? "" : id.substr(0, id.size() - 1);
}

}  // namespace

std::string RunUntilStartedThenKill(const std::string& dir, const std::string& file,
                                    const std::string& flags) {
  return RunUntilStartedThenSignal(dir, file, flags, "kill -9 $(cat " + dir + "/pid); sleep 0.3");
}

std::string RunUntilStartedThenInterrupt(const std::string& dir, const std::string& file,
                                         const std::string& flags) {
  return RunUntilStartedThenSignal(
      dir, file, flags,
      "kill -INT $(cat " + dir + "/pid); for i in $(seq 100); do [ \"$(" + kSqliteWaiting + dir +
          "/a.db 'select status from runs')\" != running ] && exit 0; sleep 0.1; done; exit 1");
}

std::string PtyRun() {
  return std::string("python3 ") + RUNBOOK_SOURCE_DIR + "/tests/support/pty_run.py";
}

std::string LatestRunId(const std::string& audit_db) {
  Command history = Shell(Binary() + " history --format json --limit 1 --audit-db '" + audit_db +
                          "' 2>/dev/null");
  auto runs = ParseJson(history.out);
  if (!runs.ok() || !runs.value().is_list() || runs.value().as_list().empty()) return "";
  const Value* id = runs.value().as_list()[0].Find("run_id");
  return id != nullptr ? id->ToText() : "";
}

}  // namespace runbook::test
