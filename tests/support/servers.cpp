#include "support/servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/support.h"

namespace runbook::test {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

int StartBackground(std::vector<std::string> argv, const std::string& log) {
  std::fflush(nullptr);  // the child must not repeat buffered output
  int pid = fork();
  if (pid == 0) {
    setsid();
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(fileno(stdout), 2);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int StartServer(std::vector<std::string> argv, const std::string& log, int port) {
  int pid = StartBackground(std::move(argv), log);
  for (int i = 0; i < 200 && !Accepts(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!Accepts(port)) throw std::runtime_error("could not start a server (see " + log + ")");
  return pid;
}

void StopServer(int pid) {
  if (pid <= 0) return;
  kill(-pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

namespace {

std::string Script() { return std::string(RUNBOOK_SOURCE_DIR) + "/tests/http/server.js"; }

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

ShopServer::ShopServer(const std::string& options) : port_(FreePort()) {
  std::vector<std::string> argv{"node", Script(), "--port", std::to_string(port_)};
  for (const std::string& w : Words(options)) argv.push_back(w);
  pid_ = StartServer(argv, TempDir() + "/shop.log", port_);
}

ShopServer::~ShopServer() { StopServer(pid_); }

PrometheusServer::PrometheusServer(int target_port) : port_(FreePort()) {
  std::string dir = TempDir();
  WriteFile(dir, "prometheus.yml",
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n  - job_name: shop\n    static_configs:\n"
            "      - targets: ['127.0.0.1:" +
                std::to_string(target_port) + "']\n");
  pid_ = StartServer({"prometheus", "--config.file=" + dir + "/prometheus.yml",
                      "--storage.tsdb.path=" + dir + "/data",
                      "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                     dir + "/prometheus.log", port_);
  std::string up = "curl -sf '" + url() + "/api/v1/query?query=up' | grep -q '\"1\"\\]'";
  Shell("for i in $(seq 150); do " + up + " && exit 0; sleep 0.1; done; exit 1", 30);
}

PrometheusServer::~PrometheusServer() { StopServer(pid_); }

AlertmanagerServer::AlertmanagerServer() : port_(FreePort()) {
  std::string dir = TempDir();
  WriteFile(dir, "am.yml", "route: {receiver: 'null'}\nreceivers:\n  - name: 'null'\n");
  pid_ = StartServer(
      {"prometheus-alertmanager", "--config.file=" + dir + "/am.yml",
       "--storage.path=" + dir + "/data", "--web.listen-address=127.0.0.1:" + std::to_string(port_),
       "--cluster.listen-address="},
      dir + "/am.log", port_);
}

AlertmanagerServer::~AlertmanagerServer() { StopServer(pid_); }

std::string AlertmanagerServer::ActiveAlerts() const {
  return Shell("curl -s '" + url() + "/api/v2/alerts?active=true&silenced=false'").out;
}

std::string ShopServerArgv(int port, const std::string& options) {
  std::string argv = "[node, '" + Script() + "', --port, '" + std::to_string(port) + "'";
  for (const std::string& w : Words(options)) argv += ", '" + w + "'";
  return argv + "]";
}

}  // namespace runbook::test
