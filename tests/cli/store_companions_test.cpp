// The read commands open the audit store under the same companion rule as `run` (breakJ
// J29): `audit verify`, `history` and `audit export` wrote the wal-index through a hard link
// planted at the store's -shm (the linked file overwritten). Refused in words, nothing written.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("store companions: read commands refuse a link at the store's -shm or -wal",
          "[cli][sqlite-companions]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  REQUIRE(Shell("cd " + dir + " && " + Binary() + " run t.yaml --audit-db a.db").exit_code == 0);
  REQUIRE(Shell("test -e " + dir + "/a.db-shm").exit_code != 0);  // closed: none left
  for (const char* plant : {"ln vs a.db-shm", "ln -s vs a.db-shm", "ln vs a.db-wal"}) {
    for (const char* command : {"audit verify", "history", "audit export"}) {
      CAPTURE(plant, command);
      REQUIRE(Shell("cd " + dir + " && rm -f a.db-shm a.db-wal && yes VS | head -c 40000 > vs && " +
                    plant)
                  .exit_code == 0);
      Command c = Shell("cd " + dir + " && " + Binary() + " " + command + " --audit-db a.db");
      INFO(c.out << c.err);
      CHECK(c.exit_code == 3);
      CHECK_THAT(c.err, Catch::Contains("audit store " + dir + "/a.db: refusing to use " + dir +
                                        "/a.db-"));
      CHECK(Shell("stat -c %s " + dir + "/vs").out == "40000\n");
      CHECK_THAT(ReadFile(dir + "/vs"), Catch::StartsWith("VS\nVS\n"));
    }
  }
}
