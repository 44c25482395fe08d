// breakCC C12: a secret whose text is a folder's name on the runbook's path ("data" in
// /srv/data/...) made the recorded path "***": the printed command that continues failed as if
// the runbook had moved. The resume finds the path the mask stands for from its environment
// (where secrets come from), showing it nowhere.
#include <catch2/catch.hpp>
#include <string>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("a resume finds a runbook whose recorded path was masked", "[cli][resume][secrets]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/vault9/proj");
  WriteFile(dir + "/vault9/proj", "s.yaml",
            "version: 1\nname: s\nsecrets:\n  pw: {env: DBPW}\nsteps:\n"
            "  - {id: a, uses: exec, env: {X: '${{ secrets.pw }}'}, with: {run: ['true']}}\n"
            "  - {id: f, uses: exec, needs: [a], idempotent: true, with: {run: [test, -e, " +
                dir + "/ok]}}\n");
  Command run = Shell("cd " + dir + "/vault9/proj && DBPW=vault9 " + Binary() +
                      " run s.yaml --audit-db " + dir + "/a.db");
  REQUIRE(run.exit_code == 1);
  CHECK(Shell(kSqliteWaiting + dir + "/a.db \"select count(*) from events where body like " +
              "'%vault9%'\"")
            .out == "0\n");
  std::string id = LatestRunId(dir + "/a.db");
  Shell("touch " + dir + "/ok");
  Command resumed =
      Shell("cd / && DBPW=vault9 " + Binary() + " resume " + id + " --audit-db " + dir + "/a.db");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.out + resumed.err, !Catch::Contains("vault9"));
}
