// A run's notification outbox and sent journal (cli/notify_journal.h): what a kill leaves half
// written is not taken for sent, nor for owed.
#include "cli/notify_journal.h"

#include <catch2/catch.hpp>

#include "serve/kept_params.h"
#include "support/support.h"

using namespace runbook;
using namespace runbook::test;

TEST_CASE("the sent journal keeps whole lines only, appends, and refuses a symlink",
          "[notify][owed]") {
  std::string dir = TempDir();
  std::string path = dir + "/r.sent";
  CHECK(ReadSentJournal(path).empty());  // none yet
  REQUIRE(AppendSent(path, {0, "failure"}).ok());
  REQUIRE(AppendSent(path, {12, "recovered"}).ok());
  CHECK(ReadSentJournal(path) == std::set<OwedNotice>{{0, "failure"}, {12, "recovered"}});
  CHECK(Shell("stat -c %a " + path).out == "600\n");
  // A write cut short by a kill ("1 fail" of "1 failure\n"), and junk: not taken for sent. A
  // bare index is a failure an earlier version's helper sent.
  WriteFile(dir, "cut.sent", "0\n12 recovered\n1 fail");
  CHECK(ReadSentJournal(dir + "/cut.sent") ==
        std::set<OwedNotice>{{0, "failure"}, {12, "recovered"}});
  WriteFile(dir, "junk.sent", "x\n-1\n99999999999\n\n3\n4 Fail\n5 failure extra\n6 \n");
  CHECK(ReadSentJournal(dir + "/junk.sent") == std::set<OwedNotice>{{3, "failure"}});
  // Never through a symlink (the folder is serve's; a planted link writes nowhere else).
  REQUIRE(Shell("ln -s " + dir + "/elsewhere " + dir + "/link.sent").exit_code == 0);
  Status s = AppendSent(dir + "/link.sent", {1, "failure"});
  CHECK_FALSE(s.ok());
  CHECK(Shell("test -e " + dir + "/elsewhere").exit_code != 0);
  // Nor read through one (breakRR RR7: a planted link made an unsent entry look sent).
  WriteFile(dir, "elsewhere", "0\n1\n");
  CHECK(ReadSentJournal(dir + "/link.sent").empty());
}

TEST_CASE("an outbox is read whole or not at all, never through a symlink", "[notify][owed]") {
  std::string dir = TempDir();
  std::string path = dir + "/r.outbox";
  CHECK_FALSE(ReadOutbox(path).has_value());  // none
  Outbox written{Value(Value::Map{{"status", Value("failure")}, {"run_id", Value("r1")}}),
                 {{0, "failure"}, {2, "objective_missed"}}};
  REQUIRE(WriteOutbox(path, written).ok());
  CHECK(Shell("stat -c %a " + path).out == "600\n");
  auto read = ReadOutbox(path);
  REQUIRE(read.has_value());
  CHECK(read->due == written.due);
  CHECK(read->message.Find("run_id")->ToText() == "r1");
  // Cut short, or not an outbox: none (the helper then tells the failure the store holds).
  std::string text = ReadFile(path);
  WriteFile(dir, "cut.outbox", text.substr(0, text.size() / 2));
  CHECK_FALSE(ReadOutbox(dir + "/cut.outbox").has_value());
  WriteFile(dir, "odd.outbox", R"({"message": {}, "due": [{"index": -1, "event": "failure"}]})");
  CHECK_FALSE(ReadOutbox(dir + "/odd.outbox").has_value());
  WriteFile(dir, "odd2.outbox", R"({"message": {}, "due": [{"index": 1, "event": "x y"}]})");
  CHECK_FALSE(ReadOutbox(dir + "/odd2.outbox").has_value());
  // A planted link is neither read nor written through.
  REQUIRE(Shell("ln -s " + path + " " + dir + "/link.outbox").exit_code == 0);
  CHECK_FALSE(ReadOutbox(dir + "/link.outbox").has_value());
  CHECK_FALSE(WriteOutbox(dir + "/link.outbox", written).ok());
  CHECK(ReadFile(path) == text);
}

TEST_CASE("the sent journal says when every owed delivery was attempted", "[notify][owed]") {
  std::string dir = TempDir();
  std::string path = dir + "/r.sent";
  CHECK_FALSE(SentJournalDone(path));
  REQUIRE(AppendSent(path, {0, "failure"}).ok());
  CHECK_FALSE(SentJournalDone(path));
  REQUIRE(AppendDone(path).ok());
  CHECK(SentJournalDone(path));
  CHECK(ReadSentJournal(path) == std::set<OwedNotice>{{0, "failure"}});  // "done" is no index
  WriteFile(dir, "cut.sent", "0 failure\ndon");                          // cut by a kill: not done
  CHECK_FALSE(SentJournalDone(dir + "/cut.sent"));
}

TEST_CASE("a FIFO planted where the journal, outbox or params are is read as none, at once",
          "[notify][owed]") {
  // A helper (and serve's start, for a marker) must never wait on a writer that never comes.
  std::string dir = TempDir();
  for (const char* name : {"r.sent", "r.outbox", "r.params"})
    REQUIRE(Shell("mkfifo " + dir + "/" + name).exit_code == 0);
  CHECK(ReadSentJournal(dir + "/r.sent").empty());
  CHECK_FALSE(SentJournalDone(dir + "/r.sent"));
  CHECK_FALSE(ReadOutbox(dir + "/r.outbox").has_value());
  CHECK_FALSE(ReadKeptParams(dir + "/r.params").has_value());
  // Nor is one written to (breakDD DD5: a helper hung for good appending to a FIFO .sent,
  // after it had sent, and the page went out again at each restart): refused, at once.
  CHECK_FALSE(AppendSent(dir + "/r.sent", {0, "failure"}).ok());
  CHECK_FALSE(AppendDone(dir + "/r.sent").ok());
  CHECK_FALSE(AppendFailedStep(dir + "/r.sent", "one").ok());
}
