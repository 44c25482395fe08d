// The shipped runbooks/drill-local.yaml (the README's main job until the demo backend's
// drill exists) runs end to end and leaves a restored, intact copy; twice in a row too.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("runbooks/drill-local.yaml runs end to end", "[e2e][drill]") {
  std::string dir = TempDir();
  std::string run = Binary() + " run " + std::string(RUNBOOK_SOURCE_DIR) +
                    "/runbooks/drill-local.yaml --set work=" + dir + "/w --audit-db " + dir +
                    "/a.db";
  Command first = Shell(run);
  CHECK(first.exit_code == 0);
  CHECK(first.err.find("RPO ") != std::string::npos);
  Shell("sleep 1");
  CHECK(Shell(run).exit_code == 0);  // a second drill: a new dump, the old one kept
  CHECK(Shell("ls " + dir + "/w/backups/*.sqlite.gz | wc -l").out == "2\n");
  CHECK(Shell(kSqliteWaiting + dir +
              "/w/restored/app.sqlite 'PRAGMA integrity_check; SELECT email "
              "FROM users'")
            .out == "ok\nsmoke@puranatura.test\n");
  CHECK(Shell("ls " + dir + "/w/mirror/*.sqlite.gz | wc -l").out == "2\n");
}
