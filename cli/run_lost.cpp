#include "cli/run_lost.h"

#include <signal.h>

#include <cstring>
#include <iostream>

#include "cli/launch.h"
#include "cli/run_notify.h"
#include "engine/audit/store.h"
#include "engine/process_runner.h"

namespace runbook {

std::string LostDetail(int exit_code, bool started, const std::string& run_id) {
  std::string how;
  if (exit_code > 128 && exit_code < 128 + NSIG) {
    const char* abbrev = sigabbrev_np(exit_code - 128);
    how = "was killed by signal " + std::to_string(exit_code - 128) +
          (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : "");
  } else {
    how = "ended with exit " + std::to_string(exit_code);
  }
  if (!started)
    return "the run's process " + how + " before the run started (serve's log: logs/" + run_id +
           ".log)";
  return "the run's process " + how +
         " before it recorded its end; it is interrupted: runbook resume " + run_id;
}

int NotifyLostRun(const RunCliOptions& o, const Runbook& rb, RunOptions options,
                  const RunContext& context) {
  auto store = AuditStore::Open(o.audit_db);
  if (!store.ok()) {
    std::cerr << "runbook: error: " << store.status().message() << "\n";
    return kExitEnvironment;
  }
  (void)store.value()->MarkInterrupted();  // its process is gone: the run is interrupted
  auto row = store.value()->FindRun(options.run_id);
  const bool started = row.ok();
  const std::string status = started ? row.value().status : "failure";
  if (status == "success" || status == "failure" || status == "cancelled") {
    if (started) return kExitOk;  // it recorded its end, and sent what it raised
  }
  EnvMap env = CurrentEnvironment();
  // A secret that cannot be read (said) leaves the entries that need it failing, recorded;
  // the others still send.
  if (!ResolveRunSecrets(rb, env, context.base, options)) options.secrets = Value::Map{};
  Redactor redactor = RunRedactor(*options.secrets, env);
  std::cerr << "runbook: run " << options.run_id << ": "
            << LostDetail(o.lost_exit, started, options.run_id) << "\n";
  if (o.notifier != nullptr)
    NotifyRunLost(rb, options, status, LostDetail(o.lost_exit, started, options.run_id),
                  started ? store.value().get() : nullptr, *o.notifier, redactor);
  return kExitOk;
}

}  // namespace runbook
