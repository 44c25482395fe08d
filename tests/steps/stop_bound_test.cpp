// Steps whose work or wait grows with their input stop at the deadline and on ^C (breakF F4,
// F6, F11): probe tcp polls the attempt's stop token beside the connect, probe log reads its
// file in chunks asking the stop, hash asks it between files and its glob expansion is linear.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// Runs the one-step runbook `step` in `dir` through `wrap` (e.g. "timeout -s INT 1"), killed
// at 60 s; the output must say `expect` and the run must end within `bound` seconds.
void ExpectWithin(const std::string& dir, const std::string& step, const std::string& wrap,
                  const std::string& expect, double bound) {
  WriteFile(dir, "s.yaml", "version: 1\nname: s\nsteps:\n  - " + step + "\n");
  auto start = std::chrono::steady_clock::now();
  Command c = Shell("cd " + dir + " && timeout -s KILL 60 " + wrap + " " + Binary() +
                        " run s.yaml --audit-db a.db 2>&1",
                    90);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  INFO(c.out);
  CHECK(c.out.find(expect) != std::string::npos);
  CHECK(took.count() < bound);
}

// A loopback port whose accept backlog is full: further SYNs are dropped, a connect hangs.
struct FullPort {
  int listener = -1;
  std::vector<int> pending;
  int port = 0;
  FullPort() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(listener, 0) == 0);
    socklen_t len = sizeof a;
    getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    for (int i = 0; i < 4; ++i) {
      pending.push_back(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
      connect(pending.back(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    usleep(200000);
  }
  ~FullPort() {
    for (int fd : pending) close(fd);
    close(listener);
  }
};

}  // namespace

TEST_CASE("probe tcp: a connect that hangs ends at the step timeout and on ^C",
          "[steps][stop-bound]") {
  FullPort full;
  std::string dir = TempDir();
  std::string step = "{id: s, uses: probe, timeout: 1s, with: {kind: tcp, address: '127.0.0.1:" +
                     std::to_string(full.port) + "', connect_timeout: 30s}}";
  ExpectWithin(dir, step, "", "timed out after 1s", 6);  // breakF F4: 30 s
  std::string no_timeout =
      "{id: s, uses: probe, with: {kind: tcp, address: '127.0.0.1:" + std::to_string(full.port) +
      "', connect_timeout: 30s}}";
  ExpectWithin(dir, no_timeout, "timeout -s INT 1", "cancelled", 6);
}

TEST_CASE("probe log: a 2 GiB log without a newline ends at the step timeout",
          "[steps][stop-bound]") {
  std::string dir = TempDir();
  REQUIRE(Shell("truncate -s 2G " + dir + "/h.log").exit_code == 0);
  std::string step =
      "{id: s, uses: probe, timeout: 1s, with: {kind: log, path: h.log, "
      "contains: finished}}";
  ExpectWithin(dir, step, "", "timed out after 1s", 6);  // breakF F6: 8.4 s per GiB
  // A normal log still gives its last matching line.
  WriteFile(dir, "n.log", "start\nfinished 1\nmiddle\nfinished 2\ntail");
  ExpectWithin(dir,
               "{id: s, uses: probe, with: {kind: log, path: n.log, contains: fini}}\n  - {id: o, "
               "uses: exec, needs: [s], with: {run: [echo, 'LINE=${{ steps.s.outputs.line }}']}}",
               "", "LINE=finished 2", 10);
}

TEST_CASE("hash: 50,000 small files end at the step timeout and on ^C", "[steps][stop-bound]") {
  std::string dir = TempDir();
  REQUIRE(Shell("mkdir " + dir + "/many && cd " + dir +
                "/many && python3 -c \"[open(f'f{i}.sqlite.gz','w').write('x') for i in "
                "range(50000)]\"")
              .exit_code == 0);
  ExpectWithin(dir,
               "{id: s, uses: hash, timeout: 500ms, with: {files: ['many/*'], verify: none, "
               "inventory: ''}}",
               "", "timed out after 500ms", 5);  // breakF F11: 11.5 s
  ExpectWithin(dir, "{id: s, uses: hash, with: {files: ['many/*'], inventory: ''}}",
               "timeout -s INT 1", "cancelled", 5);
}
