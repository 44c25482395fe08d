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

#include "support/servers.h"
#include "support/support.h"

namespace runbook::test {

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

FaultProxy::FaultProxy(int target_port, const std::string& faults, const std::string& view)
    : port_(FreePort()) {
  std::string script = std::string(RUNBOOK_SOURCE_DIR) + "/tests/s3/fault_proxy.py";
  pid_ = StartServer({"python3", script, std::to_string(port_), std::to_string(target_port),
                      "--faults", faults, "--view", view},
                     log_ = TempDir() + "/proxy.log", port_);
}

std::string FaultProxy::Log() const { return ReadFile(log_); }

FaultProxy::~FaultProxy() { StopServer(pid_); }

S3rver::~S3rver() { StopServer(pid_); }

Command RunSync(const std::string& dir, const std::string& with, const std::string& secret,
                const std::string& beside) {
  WriteFile(dir, "sync.yaml",
            "version: 1\nname: sync\nsteps:\n  - id: s\n    uses: s3-sync\n    with: "
            "{inventory: '', " +
                with + "}\n");
  return Shell("cd " + dir + " || exit 2; " + beside +
               "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=" + secret + " timeout 60 " +
               Binary() + " run sync.yaml --audit-db a.db");
}

}  // namespace runbook::test
