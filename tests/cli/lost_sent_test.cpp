// The lost-run helper's journal of sent entries (cli/lost_sent.h): what a kill leaves half
// written is not taken for sent.
#include "cli/lost_sent.h"

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("the sent journal keeps whole lines only, appends, and refuses a symlink",
          "[notify][owed]") {
  std::string dir = TempDir();
  std::string path = dir + "/r.sent";
  CHECK(ReadSentJournal(path).empty());  // none yet
  REQUIRE(AppendSent(path, 0).ok());
  REQUIRE(AppendSent(path, 12).ok());
  CHECK(ReadSentJournal(path) == std::set<size_t>{0, 12});
  CHECK(Shell("stat -c %a " + path).out == "600\n");
  // A write cut short by a kill ("1" of "13\n"), and junk: not taken for sent.
  WriteFile(dir, "cut.sent", "0\n12\n1");
  CHECK(ReadSentJournal(dir + "/cut.sent") == std::set<size_t>{0, 12});
  WriteFile(dir, "junk.sent", "x\n-1\n99999999999\n\n3\n");
  CHECK(ReadSentJournal(dir + "/junk.sent") == std::set<size_t>{3});
  // Never through a symlink (the folder is serve's; a planted link writes nowhere else).
  REQUIRE(Shell("ln -s " + dir + "/elsewhere " + dir + "/link.sent").exit_code == 0);
  Status s = AppendSent(dir + "/link.sent", 1);
  CHECK_FALSE(s.ok());
  CHECK(Shell("test -e " + dir + "/elsewhere").exit_code != 0);
  // Nor read through one (breakRR RR7: a planted link made an unsent entry look sent).
  WriteFile(dir, "elsewhere", "0\n1\n");
  CHECK(ReadSentJournal(dir + "/link.sent").empty());
}
