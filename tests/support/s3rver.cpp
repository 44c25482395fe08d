#include "support/s3rver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

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

namespace {

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

}  // namespace

S3rver::S3rver(const std::string& bucket) : dir_(TempDir()), port_(FreePort()) {
  std::string bin = std::string(RUNBOOK_SOURCE_DIR) + "/tests/s3/node_modules/s3rver/bin/s3rver.js";
  std::string port = std::to_string(port_), log = dir_ + "/log";
  // Its own session (so the whole tree is stopped at once); Node 20 needs the legacy
  // OpenSSL provider for s3rver's paged listings (../shared/notes/dependencies.md).
  std::fflush(nullptr);  // the child must not repeat buffered output
  pid_ = fork();
  if (pid_ == 0) {
    setsid();
    setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(fileno(stdout), 2);
    execlp("node", "node", bin.c_str(), "-d", dir_.c_str(), "-a", "127.0.0.1", "-p", port.c_str(),
           "--configure-bucket", bucket.c_str(), "-s", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && !Accepts(port_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!Accepts(port_)) throw std::runtime_error("s3rver did not start (tests/s3: npm ci?)");
}

namespace {

// Starts argv in its own session with output to `log`; waits until `port` accepts.
int StartServer(std::vector<std::string> argv, const std::string& log, int port) {
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
  for (int i = 0; i < 200 && !Accepts(port); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!Accepts(port)) throw std::runtime_error("could not start " + argv[0] + " (see " + log + ")");
  return pid;
}

void Stop(int pid) {
  if (pid <= 0) return;
  kill(-pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

}  // namespace

FaultProxy::FaultProxy(int target_port, const std::string& faults) : port_(FreePort()) {
  std::string script = std::string(RUNBOOK_SOURCE_DIR) + "/tests/s3/fault_proxy.py";
  pid_ = StartServer(
      {"python3", script, std::to_string(port_), std::to_string(target_port), "--faults", faults},
      TempDir() + "/proxy.log", port_);
}

FaultProxy::~FaultProxy() { Stop(pid_); }

S3rver::~S3rver() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

}  // namespace runbook::test
