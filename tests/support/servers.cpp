#include "support/servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/support.h"

namespace runbook::test {

namespace {

// Whether nothing listens on, or is bound to, 127.0.0.1:`port` now.
bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  // Ports below the kernel's ephemeral range (32768-60999 here), handed out in turn to the
  // test processes CTest runs at once, through a counter file under flock. bind(0) could give
  // two tests the same port, or a client's ephemeral port take it: at -j 4 one test talked
  // to another test's s3rver, then to nothing once that test stopped it.
  constexpr int kFirst = 20000, kCount = 10000;
  int fd = open("/tmp/runbook-test-ports", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX) == 0);
  char text[32] = {};
  ssize_t got = pread(fd, text, sizeof text - 1, 0);
  long next = got > 0 ? std::strtol(text, nullptr, 10) : 0;
  int port = 0;
  for (int i = 0; i < kCount && port == 0; ++i) {
    int candidate = kFirst + static_cast<int>((next++ % kCount + kCount) % kCount);
    if (Bindable(candidate)) port = candidate;
  }
  std::string written = std::to_string(next % kCount) + "\n";
  REQUIRE(ftruncate(fd, 0) == 0);
  REQUIRE(pwrite(fd, written.data(), written.size(), 0) == static_cast<ssize_t>(written.size()));
  close(fd);  // the lock goes with it
  REQUIRE(port != 0);
  return port;
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
