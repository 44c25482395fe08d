// The files runbook owns (engine/util/own_file.h, breakJ J22): a claimed file is matched by
// any spelling, through a link, with its SQLite companions by name, and a claim ends with
// its file. OwnFileProblem and OpenOwnFile refuse it before anything is made.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/util/own_file.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("own file claims: by name, by identity, companions, and only while the file is there",
          "[engine][own-store]") {
  std::string dir = TempDir();
  Shell("mkdir -p " + dir + "/sub " + dir + "/other");
  WriteFile(dir, "st.db", "store");
  ClaimRunbookFile(dir + "/st.db", "the test store", true);
  CHECK(RunbookFileAt(dir + "/st.db") == "the test store");
  CHECK(RunbookFileAt(dir + "/sub/../st.db") == "the test store");
  CHECK(RunbookFileAt(dir + "/st.db-wal") == "the -wal of the test store");  // missing: by name
  CHECK(RunbookFileAt(dir + "/./st.db-journal") == "the -journal of the test store");
  REQUIRE(Shell("cd " + dir + " && ln -s ../st.db sub/sym && ln st.db other/hard").exit_code == 0);
  CHECK(RunbookFileAt(dir + "/sub/sym") == "the test store");     // a symbolic link to it
  CHECK(RunbookFileAt(dir + "/other/hard") == "the test store");  // a hard link
  CHECK(RunbookFileAt(dir + "/other/hard-shm") == "the -shm of the test store");
  CHECK(RunbookFileAt(dir + "/st.db.bak").empty());
  CHECK(RunbookFileAt(dir + "/other/st.db").empty());
  // Refused before O_CREAT makes the name.
  auto fd = OpenOwnFile(dir + "/st.db-shm", O_WRONLY | O_CREAT);
  REQUIRE_FALSE(fd.ok());
  CHECK_THAT(fd.status().message(),
             Catch::Contains("refusing to write " + dir + "/st.db-shm: it is the -shm of"));
  CHECK(Shell("test -e " + dir + "/st.db-shm").exit_code != 0);
  CHECK_THAT(OwnFileProblem(dir + "/st.db"), Catch::Contains("it is the test store"));
  // Gone: the claim no longer counts (a file made at the name later is not the store).
  Shell("rm " + dir + "/st.db " + dir + "/other/hard " + dir + "/sub/sym");
  CHECK(RunbookFileAt(dir + "/st.db").empty());
  CHECK(OwnFileProblem(dir + "/st.db-wal").empty());
}

TEST_CASE("sqlite companions: a link or a non-regular file beside a database is named",
          "[engine][sqlite-companions]") {
  std::string dir = TempDir();
  WriteFile(dir, "d.db", "");
  CHECK(SqliteCompanionProblem(dir + "/d.db").empty());
  WriteFile(dir, "d.db-wal", "");
  CHECK(SqliteCompanionProblem(dir + "/d.db").empty());  // a regular file of its own
  REQUIRE(Shell("cd " + dir + " && mkfifo d.db-shm").exit_code == 0);
  CHECK_THAT(
      SqliteCompanionProblem(dir + "/d.db"),
      Catch::Contains("d.db-shm is a FIFO") && Catch::Contains("beside the SQLite database"));
  // Beside the file a symbolic link leads to: where SQLite puts them.
  REQUIRE(Shell("cd " + dir +
                " && mkdir real && echo -n > real/x.db && ln -s real/x.db l.db && "
                "echo v > v && ln v real/x.db-journal")
              .exit_code == 0);
  CHECK_THAT(SqliteCompanionProblem(dir + "/l.db"),
             Catch::Contains("real/x.db-journal: it has 2 hard links"));
}
