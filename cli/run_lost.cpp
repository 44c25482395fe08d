#include "cli/run_lost.h"

#include <signal.h>

#include <cstring>
#include <iostream>

#include "cli/launch.h"
#include "cli/run_notify.h"
#include "engine/audit/store.h"
#include "engine/process_runner.h"
#include "engine/util/json.h"
#include "serve/launcher.h"

namespace runbook {

std::string LostDetail(int exit_code, bool started, const std::string& run_id) {
  std::string how;
  if (exit_code == kDiedWithServe)
    return "the run's process died with runbook serve (killed, OOM-killed or stopped while the "
           "run ran); it is interrupted: runbook resume " +
           run_id;
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

// The params the run recorded, for those the command line did not give: a resume serve
// started passes none (breakLL LL3: a dead resume was notified with the defaults). A masked
// param (recorded as its mask) is left as bound.
void RecordedParams(AuditStore& store, RunOptions& options) {
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
      if (!is_masked) options.params[name] = value;
    }
    return;
  }
}

}  // namespace

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
  if (started) RecordedParams(*store.value(), options);
  EnvMap env = CurrentEnvironment();
  // Each secret that can be read is (breakLL LL2: one missing secret, the reason the run was
  // refused, left every entry without any); one that cannot leaves the entries that need it
  // failing, recorded, and the others send.
  options.secrets = ReadableSecrets(rb, env, context.base);
  Redactor redactor = RunRedactor(*options.secrets, env);
  std::cerr << "runbook: run " << options.run_id << ": "
            << LostDetail(o.lost_exit, started, options.run_id) << "\n";
  if (o.notifier != nullptr)
    NotifyRunLost(rb, options, status, LostDetail(o.lost_exit, started, options.run_id),
                  started ? store.value().get() : nullptr, *o.notifier, redactor);
  return kExitOk;
}

}  // namespace runbook
