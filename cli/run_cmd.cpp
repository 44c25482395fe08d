// runbook run: load, bind params, install signal handling, run with the live view, print
// the summary, map the result to the exit code.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "cli/approver.h"
#include "cli/commands.h"
#include "cli/display.h"
#include "cli/load.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/process_runner.h"

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
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
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
    size_t dot = s.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
      std::cerr << "runbook: error: --input expects STEP.NAME=VALUE, found '" << s << "'\n";
      return false;
    }
    out[s.substr(0, eq)] = s.substr(eq + 1);
  }
  return true;
}

}  // namespace

int CmdRun(const StepRegistry& registry, const RunCliOptions& o) {
  auto rb = LoadForCommand(registry, o.file);
  if (!rb) return kExitInvalid;
  std::vector<std::pair<std::string, std::string>> sets;
  std::map<std::string, std::string> inputs;
  if (!SplitSets(o.sets, sets) || !ParseInputs(o.inputs, inputs)) return kExitInvalid;
  auto params = BindParams(*rb, sets);
  if (!params.ok()) {
    std::cerr << "runbook: error: " << params.status().message() << "\n";
    return kExitInvalid;
  }
  Graph graph = BuildGraph(*rb);
  SystemClock clock;
  CancelToken cancel;
  InstallSignals(cancel);
  const char* term = std::getenv("TERM");
  bool live = isatty(STDERR_FILENO) && !(term && std::string(term) == "dumb");
  Display display(live, UseColor(STDERR_FILENO));
  CliApprover approver(o.yes, {o.approvals.begin(), o.approvals.end()}, inputs, display);
  PosixProcessRunner processes;
  RunServices services{processes, clock, display, cancel, &approver, CurrentEnvironment()};
  RunOptions options;
  options.run_id = NewRunId(clock);
  options.params = params.value();
  options.dry_run = o.dry_run;
  options.max_parallel = o.max_parallel;
  auto result = Execute(*rb, graph, options, services);
  if (!result.ok()) {
    std::cerr << "runbook: error: " << result.status().message() << "\n";
    return kExitEnvironment;
  }
  return ExitCode(result.value());
}

}  // namespace runbook
