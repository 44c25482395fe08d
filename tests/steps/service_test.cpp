// service with the real binary and tests/http/server.js as the service: healthy and
// stopped at the end, never healthy, dead early, dead while later steps need it, a port
// already taken, Ctrl-C, and resume starting it again.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/servers.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// A unique tag on the service's command line, so pgrep finds exactly this test's server.
std::string Tag(const std::string& name) {
  return "--tag=" + name + "-" + std::to_string(getpid());
}

// A runbook: the service (argv options), then `after` steps (YAML list items).
std::string ServiceRunbook(int port, const std::string& options, const std::string& extra,
                           const std::string& after) {
  return "version: 1\nname: svc\nsteps:\n"
         "  - id: backend\n    uses: service\n    with:\n      run: " +
         ShopServerArgv(port, options) +
         "\n      health: {http: 'http://127.0.0.1:" + std::to_string(port) +
         "/health'}\n      stop_grace: 2s\n" + extra + after;
}

Command RunIn(const std::string& dir, const std::string& file, const std::string& args = "") {
  return Shell("cd " + dir + " && " + Binary() + " run " + file + " --audit-db a.db " + args, 60);
}

// Runs `file` in the background, sends `signal` to runbook once the service answers on
// `port`, and prints "rc=<runbook's exit status>".
Command SignalWhenHealthy(const std::string& dir, const std::string& file, int port,
                          const std::string& signal) {
  return Shell("cd " + dir + " && (" + Binary() + " run " + file +
                   " --audit-db a.db & pid=$!; for i in $(seq 100); do curl -sf "
                   "http://127.0.0.1:" +
                   std::to_string(port) + "/health >/dev/null && break; sleep 0.1; done; " +
                   "sleep 0.3; kill " + signal + " $pid; wait $pid; echo rc=$?)",
               60);
}

}  // namespace

TEST_CASE("service: healthy, used by later steps, stopped when the run ends", "[steps][service]") {
  std::string dir = TempDir(), tag = Tag("ok");
  int port = FreePort();
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  WriteFile(dir, "s.yaml",
            ServiceRunbook(port, tag, "      log: logs/backend.log\n",
                           "  - id: use\n    uses: exec\n    needs: [backend]\n"
                           "    with: {run: [curl, -sf, '" +
                               url +
                               "/ping']}\n"
                               "  - id: pid\n    uses: log\n    needs: [backend]\n"
                               "    with: {message: 'pid=${{ steps.backend.outputs.pid }} "
                               "log=${{ steps.backend.outputs.log }}'}\n"));
  Command c = RunIn(dir, "s.yaml");
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("use | pong") != std::string::npos);
  CHECK(c.err.find("log=logs/backend.log") != std::string::npos);
  CHECK(c.err.find("backend: service 'backend' (pid ") != std::string::npos);
  CHECK(c.err.find("stopped with SIGTERM") != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));
  CHECK_FALSE(Accepts(port));
  CHECK(ReadFile(dir + "/logs/backend.log").find("listening on 127.0.0.1:") != std::string::npos);
  Command show = Shell("cd " + dir + " && " + Binary() +
                       " history --audit-db a.db --limit 1 "
                       "--format json");
  CHECK(show.out.find("\"success\"") != std::string::npos);
}

TEST_CASE("service: never healthy, or dead early, fails with its log", "[steps][service]") {
  std::string dir = TempDir(), tag = Tag("never");
  int port = FreePort();
  WriteFile(
      dir, "never.yaml",
      ServiceRunbook(port, tag + " --healthy-after-ms 600000", "      ready_timeout: 1s\n", ""));
  Command never = RunIn(dir, "never.yaml");
  CHECK(never.exit_code == 1);
  CHECK(never.err.find("not healthy within 1s (http://127.0.0.1:" + std::to_string(port) +
                       "/health: HTTP 503); last lines of ") != std::string::npos);
  CHECK(never.err.find("listening on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));

  std::string dead_tag = Tag("dead");
  WriteFile(dir, "dead.yaml",
            ServiceRunbook(port, dead_tag + " --healthy-after-ms 600000 --exit-after-ms 300",
                           "      ready_timeout: 20s\n", ""));
  Command dead = RunIn(dir, "dead.yaml");
  CHECK(dead.exit_code == 1);
  CHECK(dead.err.find("the service exited before it became healthy: exit code 7; last lines of") !=
        std::string::npos);
  CHECK(dead.err.find("exiting with 7 as asked") != std::string::npos);
  CHECK_FALSE(ProcessAlive(dead_tag));

  WriteFile(dir, "missing.yaml",
            "version: 1\nname: m\nsteps:\n  - id: s\n    uses: service\n"
            "    with: {run: [no-such-server-xyz], health: {tcp: '127.0.0.1:1'}}\n");
  Command missing = RunIn(dir, "missing.yaml");
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("command not found: 'no-such-server-xyz'") != std::string::npos);
}

TEST_CASE("service: a step that needs a service that died fails instead of starting",
          "[steps][service]") {
  std::string dir = TempDir(), tag = Tag("later");
  int port = FreePort();
  WriteFile(dir, "later.yaml",
            ServiceRunbook(port, tag + " --exit-after-ms 1500", "",
                           "  - id: wait\n    uses: exec\n    needs: [backend]\n"
                           "    with: {run: [sleep, '2']}\n"
                           "  - id: checks\n    uses: exec\n    needs: [wait]\n"
                           "    with: {run: [touch, ran]}\n"));
  Command c = RunIn(dir, "later.yaml");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("service 'backend' (pid ") != std::string::npos);
  CHECK(c.err.find("is no longer running: exit code 7; last lines of") != std::string::npos);
  CHECK(ReadFile(dir + "/ran").empty());
  CHECK(c.err.find("had already exited (exit code 7)") != std::string::npos);
}

TEST_CASE("service: something already on the port is not taken for the service",
          "[steps][service]") {
  ShopServer other;
  std::string dir = TempDir(), tag = Tag("taken");
  WriteFile(dir, "taken.yaml", ServiceRunbook(other.port(), tag, "", ""));
  Command c = RunIn(dir, "taken.yaml");
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("something already answers at http://127.0.0.1:" + std::to_string(other.port()) +
                   "/health before the service started") != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));
}

TEST_CASE("service: Ctrl-C stops it, one that ignores SIGTERM is killed after the grace",
          "[steps][service][signals]") {
  std::string dir = TempDir(), tag = Tag("sigint");
  int port = FreePort();
  WriteFile(dir, "c.yaml",
            ServiceRunbook(port, tag + " --ignore-sigterm", "",
                           "  - id: long\n    uses: exec\n    needs: [backend]\n"
                           "    with: {run: [sleep, '60']}\n"));
  Command c = SignalWhenHealthy(dir, "c.yaml", port, "-INT");
  CHECK(c.out.find("rc=130") != std::string::npos);
  CHECK(c.err.find("killed with SIGKILL after 2s") != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));
  CHECK_FALSE(Accepts(port));
}

TEST_CASE("service: resume starts it again instead of carrying it over", "[steps][service]") {
  std::string dir = TempDir(), tag = Tag("resume");
  int port = FreePort();
  WriteFile(dir, "r.yaml",
            ServiceRunbook(port, tag, "",
                           "  - id: check\n    uses: exec\n    needs: [backend]\n"
                           "    with: {shell: true, run: 'test -f go && curl -sf "
                           "http://127.0.0.1:" +
                               std::to_string(port) + "/ping'}\n"));
  Command first = RunIn(dir, "r.yaml");
  CHECK(first.exit_code == 1);
  WriteFile(dir, "go", "");
  Command runs =
      Shell("cd " + dir + " && " + Binary() + " history --audit-db a.db --format json --limit 1");
  std::string id = runs.out.substr(runs.out.find("\"run_id\": \"") + 11, 23);
  Command resumed =
      Shell("cd " + dir + " && " + Binary() + " resume " + id + " --audit-db a.db", 60);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("backend | started pid") != std::string::npos);
  CHECK(resumed.err.find("check | pong") != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));
}

TEST_CASE("service: kill -9 of runbook does not leave the service running", "[steps][service]") {
  std::string dir = TempDir(), tag = Tag("kill9");
  int port = FreePort();
  std::string marker = "sleep 59." + std::to_string(getpid() % 1000);
  WriteFile(dir, "k.yaml",
            ServiceRunbook(port, tag, "",
                           "  - id: long\n    uses: exec\n    needs: [backend]\n"
                           "    with: {shell: true, run: '" +
                               marker + "'}\n"));
  Command c = SignalWhenHealthy(dir, "k.yaml", port, "-9");
  CHECK(c.out.find("rc=137") != std::string::npos);
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !ProcessAlive(tag);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(gone);
  Shell("pkill -f '" + marker + "'");  // a plain step's child is not tied (docs/audit.md)
}

TEST_CASE("a with parameter that is null counts as not given (service log: its default)",
          "[steps][service][executor]") {
  std::string dir = TempDir(), tag = Tag("null");
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nsteps:\n  - id: svc\n    uses: service\n    with:\n"
            "      run: [sh, -c, 'sleep 30 # " +
                tag +
                "']\n      log: ${{ null }}\n"
                "  - {id: show, uses: log, needs: [svc], with: {message: "
                "'log=${{ steps.svc.outputs.log }}'}}\n");
  Command c =
      Shell("cd " + dir + " && TMPDIR=" + dir + " " + Binary() + " run n.yaml --audit-db a.db");
  CHECK(c.exit_code == 0);
  CHECK(c.err.find("log=" + dir + "/runbook-") != std::string::npos);
  CHECK_FALSE(ProcessAlive(tag));
}

TEST_CASE("service: its default log is readable by its owner only", "[steps][service]") {
  // breakI I11: /tmp/runbook-<run>-<step>.log was 0644, and a service writes it unmasked.
  std::string dir = TempDir(), tmp = TempDir();
  WriteFile(dir, "s.yaml",
            "version: 1\nname: s\nsteps:\n  - {id: s, uses: service, with: {run: [sh, -c, "
            "'echo started; exec sleep 30']}}\n"
            "  - {id: b, needs: [s], uses: exec, with: {run: [sleep, '0.3']}}\n");
  Command c =
      Shell("cd " + dir + " && TMPDIR=" + tmp + " " + Binary() + " run s.yaml --audit-db a.db");
  INFO(c.err);
  CHECK(c.exit_code == 0);
  CHECK(Shell("stat -c %a " + tmp + "/runbook-*-s.log").out == "600\n");
}
