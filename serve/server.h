// runbook serve: one long-running process that fires the schedules of the runbooks in a
// folder, runs runbooks on request, and serves the HTTP API (api.h) — docs/serve.md.
// Ends on SIGINT or SIGTERM: the runs it started are cancelled as Ctrl-C cancels a run (their
// finally steps run) and waited for, up to 30 s each; then it exits 0.
#pragma once

#include <string>

#include "engine/plugin/registry.h"
#include "engine/util/clock.h"
#include "engine/util/duration.h"

namespace runbook {

struct ServeOptions {
  std::string runbooks_dir;
  std::string host = "127.0.0.1";
  int port = 8765;
  bool insecure_listen = false;  // listening beyond loopback without TLS
  std::string tls_cert;          // PEM; with tls_key, the API is HTTPS
  std::string tls_key;
  std::string tokens;     // the token file (serve/tokens.h); "" for none
  std::string audit_db;   // absolute; made when missing
  std::string state_dir;  // the scheduler's state and the runs' logs; made when missing
  std::string self;       // runbook's own binary
  // How long a stop (SIGINT, SIGTERM) waits for the runs it cancels to end; as long again (10 s
  // at most) after it asks a second time, which stops their finally steps. systemd's
  // TimeoutStopSec must exceed twice it.
  Millis stop_grace{30000};
};

// Runs until a signal ends it. Exit codes: 0 after a signal; 2 for bad options (a
// non-loopback address without --insecure-listen); 3 when the store, the folder or the
// address cannot be used.
int Serve(const StepRegistry& registry, const ServeOptions& options, const Clock& clock);

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost), as written: never
// resolved (serve binds `localhost` as 127.0.0.1).
bool IsLoopback(const std::string& host);

}  // namespace runbook
