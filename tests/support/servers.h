// Servers the tests start on 127.0.0.1: helpers to start a process in its own session and
// wait for its port, and the shop API of tests/http/server.js (for service and probe).
// Each server is stopped (its whole session) when its object goes.
#pragma once

#include <string>
#include <vector>

namespace runbook::test {

int FreePort();
bool Accepts(int port);
// Starts argv in its own session with output to `log`; waits until `port` accepts. Throws
// when it does not within 10 s.
int StartServer(std::vector<std::string> argv, const std::string& log, int port);
void StopServer(int pid);  // SIGTERM to its session, then reaps it
// Starts argv in its own session with output to `log`, without waiting for anything.
int StartBackground(std::vector<std::string> argv, const std::string& log);

// tests/http/server.js with `options` ("--latency-ms 40 --error-every 3").
class ShopServer {
 public:
  explicit ShopServer(const std::string& options = "");
  ~ShopServer();
  ShopServer(const ShopServer&) = delete;
  ShopServer& operator=(const ShopServer&) = delete;
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  int pid_ = 0;
};

// Debian's prometheus scraping `target_port`'s /metrics every second, with a temporary
// config and data folder; ready once it has scraped the target.
class PrometheusServer {
 public:
  explicit PrometheusServer(int target_port);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  int pid_ = 0;
};

// Debian's prometheus-alertmanager with a receiver that drops everything, on a free port.
class AlertmanagerServer {
 public:
  AlertmanagerServer();
  ~AlertmanagerServer();
  AlertmanagerServer(const AlertmanagerServer&) = delete;
  AlertmanagerServer& operator=(const AlertmanagerServer&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /api/v2/alerts?active=true: the firing alerts, as JSON text.
  std::string ActiveAlerts() const;

 private:
  int port_ = 0;
  int pid_ = 0;
};

// The command line that starts the shop server (for `service` steps): argv as YAML flow.
std::string ShopServerArgv(int port, const std::string& options);

}  // namespace runbook::test
