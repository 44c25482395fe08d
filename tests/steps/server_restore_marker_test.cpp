// When a live database is taken to hold a dump already (steps/common/server_restore.h
// RestoredByThisRun): only for the run that restored it, a retry or a resume of it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "steps/common/server_restore.h"

using namespace runbook;

TEST_CASE("a live database holds a dump only for the run that restored it, or its resumes",
          "[restore][postgres][mysql]") {
  // breakQQ QQ8: any run took a database commented with the dump's sha256 for the dump,
  // though every row had been changed since.
  std::string sha(64, 'a');
  std::string comment = RestoredMarker(sha, "20261205T010000Z-aaaaaa");
  CHECK(comment == "runbook restored: sha256=" + sha + " run=20261205T010000Z-aaaaaa");
  CHECK(RestoredByThisRun(comment, sha, "20261205T010000Z-aaaaaa", nullptr));  // a retry
  CHECK_FALSE(RestoredByThisRun(comment, sha, "20261205T020000Z-bbbbbb", nullptr));
  std::vector<std::string> continues = {"20261205T015000Z-cccccc", "20261205T010000Z-aaaaaa"};
  CHECK(RestoredByThisRun(comment, sha, "20261205T020000Z-bbbbbb", &continues));  // a resume
  CHECK_FALSE(
      RestoredByThisRun(comment, std::string(64, 'b'), "20261205T010000Z-aaaaaa", &continues));
  CHECK_FALSE(RestoredByThisRun("runbook restored: sha256=" + sha, sha, "", nullptr));  // older
  std::vector<std::string> none;
  CHECK_FALSE(RestoredByThisRun(comment, sha, "x", &none));
}
