// npm-run with real npm on a fixture package.json.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

namespace {

const char* kPackage = R"({
  "name": "fixture", "version": "1.0.0", "private": true,
  "scripts": {
    "hello": "node -e \"console.log('hi ' + process.argv.slice(1).join(' '))\"",
    "env": "node -e \"console.log('env=' + process.env.BACKEND_ENV_PATH)\"",
    "fail": "node -e \"process.exit(3)\"",
    "hang": "node -e \"require('child_process').spawn('sleep', ['61'], {stdio: 'ignore'}); setInterval(() => {}, 1000)\""
  }
})";

// `timeout` is the step's: npm alone takes seconds to start on a loaded machine, so only the
// test of the timeout itself uses a short one.
Command Npm(const std::string& dir, const std::string& with, const std::string& timeout = "60s") {
  WriteFile(dir, "n.yaml",
            "version: 1\nname: n\nsteps:\n  - id: n\n    uses: npm-run\n    timeout: " + timeout +
                "\n    with: {cwd: app" + with + "}\n");
  return Shell("cd " + dir + " && " + Binary() + " run n.yaml --audit-db a.db", 120);
}

}  // namespace

TEST_CASE("npm-run: args, env, exit codes, missing scripts, and timeouts that kill the tree",
          "[steps][npm]") {
  REQUIRE(Shell("command -v npm").exit_code == 0);
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/app");
  WriteFile(dir, "app/package.json", kPackage);
  Command hello = Npm(dir, ", script: hello, args: [a, 'b c']");
  CHECK(hello.exit_code == 0);
  CHECK(hello.err.find("hi a b c") != std::string::npos);
  Command env = Npm(dir, ", script: env, env: {BACKEND_ENV_PATH: ./backend/.env.local}");
  CHECK(env.err.find("env=./backend/.env.local") != std::string::npos);
  Command fail = Npm(dir, ", script: fail");
  CHECK(fail.exit_code == 1);
  CHECK(fail.err.find("npm: exit code") != std::string::npos);
  Command missing = Npm(dir, ", script: test:ci");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no script 'test:ci' in app/package.json; it has: env, fail, hang, "
                         "hello") != std::string::npos);
  Command hang = Npm(dir, ", script: hang", "3s");
  CHECK(hang.exit_code == 1);
  CHECK(hang.err.find("timed out") != std::string::npos);
  CHECK_FALSE(ProcessAlive("sleep 61"));  // npm, node and node's child are all gone
}
