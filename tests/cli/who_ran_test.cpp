// Who ran a run and who approved its gates come from the process's account, not from
// variables any shell can set (breakN N27: `SUDO_USER=cfo-alice runbook run ...` by user
// nobody was recorded and reported as run by cfo-alice, while its gate named nobody).
// Through sudo — root, with SUDO_USER naming the account SUDO_UID has — it is the sudo user.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

namespace {

struct WhoWasRecorded {
  std::string user;      // run_started's user
  std::string approver;  // the gate's approval `by`
};

// Runs a one-gate runbook with --yes in a fresh folder, as `prefix` (a command that changes
// account, or ""), with the environment `env`.
WhoWasRecorded RunAs(const std::string& prefix, const std::string& env) {
  std::string dir = TempDir();
  Shell("chmod 777 " + dir);
  WriteFile(dir, "rb.yaml",
            "version: 1\nname: who\nsteps:\n  - id: gate\n    uses: approval\n"
            "    with: {prompt: go}\n");
  Command run = Shell("cd " + dir + " && " + prefix + " env " + env + " " + Binary() +
                      " run rb.yaml --yes --audit-db a.db </dev/null");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto sql = [&](const std::string& q) {
    return Shell(kSqliteWaiting + dir + "/a.db \"" + q + "\" | tr -d '\\n'").out;
  };
  return {sql("select json_extract(body, '$.user') from events where kind='run_started'"),
          sql("select json_extract(body, '$.by') from events where kind='approval'")};
}

}  // namespace

TEST_CASE("who ran it is the account, not a claim in the environment", "[cli][audit][who]") {
  std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  SECTION("another account that sets SUDO_USER and USER is recorded as itself") {
    WhoWasRecorded r = RunAs(as_nobody, "SUDO_USER=cfo-alice SUDO_UID=0 USER=mallory");
    CHECK(r.user == "nobody");
    CHECK(r.approver == "--yes (nobody)");
  }
  SECTION("root through sudo is the sudo user, as sudo logs it") {
    WhoWasRecorded r = RunAs("", "SUDO_USER=nobody SUDO_UID=65534 USER=root");
    CHECK(r.user == "nobody");
    CHECK(r.approver == "--yes (nobody)");
  }
  SECTION("root whose SUDO_USER does not name SUDO_UID's account is root") {
    WhoWasRecorded r = RunAs("", "SUDO_USER=cfo-alice SUDO_UID=65534 USER=cfo-alice");
    CHECK(r.user == "root");
    CHECK(r.approver == "--yes (root)");
  }
}
