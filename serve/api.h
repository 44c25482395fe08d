// runbook serve's HTTP API (docs/api.md, serve/openapi.json): JSON over cpp-httplib, the
// only file that includes httplib.h. Every answer is JSON (errors {"error": "..."}, with
// 400 for a bad request, 404 for no such runbook or run, 409 for a state that forbids it);
// /metrics is Prometheus' text format. Reads of runs open the audit store read-only per
// request; runs are started and cancelled through the Launcher. Thread-safe (httplib's
// thread pool calls the handlers concurrently).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/util/clock.h"
#include "serve/catalog.h"
#include "serve/launcher.h"
#include "serve/tokens.h"

namespace runbook {

enum class LeftRun { kNo, kTakingUp, kTakenUp };

struct ApiContext {
  std::function<std::shared_ptr<const Catalog>()> catalog;  // the current one
  Launcher* launcher = nullptr;
  std::string audit_db;
  const Clock* clock = nullptr;
  std::function<void(const std::string&)> say;  // one line per action taken
  // Who may call (serve/tokens.h); null: anyone who reaches the port (loopback only).
  const TokenFile* tokens = nullptr;
  // The step types: /metrics reads the backup catalog by their outputs' roles.
  const StepRegistry* registry = nullptr;
  bool tls = false;  // served over HTTPS (serve/same_origin.h: a request's own origin)
  // Whether run `run_id` is one the serve before left (Launcher::LeftRunning) that this one
  // has not taken up yet (it waits for the store: breakXX XX6, an answer to its gate then
  // raced the take-up and was refused with a false reason), or took up; empty: neither.
  std::function<LeftRun(const std::string& run_id)> left_run = {};
};

// Serves the API on `host`:`port` until Stop() (from another thread). Returns an error when
// the address cannot be bound. `on_listening` is called once the socket listens.
class ApiServer {
 public:
  // HTTPS when `tls_cert` and `tls_key` (PEM files) are given, else plain HTTP.
  ApiServer(ApiContext context, const std::string& tls_cert, const std::string& tls_key);
  ~ApiServer();
  Status Run(const std::string& host, int port, const std::function<void()>& on_listening);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runbook
