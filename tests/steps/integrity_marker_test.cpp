// breakW W2: integrity-check wrote its marker `<workspace>.integrity-check` over whatever
// was there (a live database by that name was destroyed). A name a step writes beside its
// destination is its own only when it holds what the step wrote (a marker line); anything
// else is refused and left byte for byte, whether the copy is kept or not, and restore's
// adoption of a kept copy removes only a marker.
#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

std::string Check(const std::string& workspace, bool keep) {
  return "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: " +
         workspace + ", keep: " + (keep ? "true" : "false") + "}}\n";
}

std::string Sum(const Site& s, const std::string& file) {
  return Shell("sha256sum < " + s.Path(file)).out;
}

}  // namespace

TEST_CASE("integrity-check never writes its marker over a file it did not write",
          "[steps][integrity][marker]") {
  Site s;
  s.UnsignedDump();
  Shell("mkdir -p " + s.Path("live"));
  // Things an operator can have at the marker's name: a database, a short text, a file that
  // starts like a marker but goes on, a link to a database elsewhere.
  const std::string planted[] = {
      "cp app.sqlite live/ws.sqlite.integrity-check",
      "printf 'notes\\n' > live/ws.sqlite.integrity-check",
      "printf '1 2 3 4.5\\nand more\\n' > live/ws.sqlite.integrity-check",
      "cp app.sqlite elsewhere.sqlite && ln -s \"$PWD/elsewhere.sqlite\" "
      "live/ws.sqlite.integrity-check",
  };
  for (const std::string& plant : planted) {
    for (bool keep : {true, false}) {
      CAPTURE(plant, keep);
      Shell("cd " + s.dir + " && rm -rf live/* elsewhere.sqlite && " + plant);
      std::string before = Sum(s, "live/ws.sqlite.integrity-check");
      Command c = s.Run(Check("live/ws.sqlite", keep));
      INFO(c.out << c.err);
      CHECK(c.exit_code == 1);
      CHECK_THAT(c.err, Catch::Contains("live/ws.sqlite.integrity-check exists and is not "
                                        "integrity-check's marker (a line naming the kept copy)"));
      CHECK(Sum(s, "live/ws.sqlite.integrity-check") == before);
      CHECK(Shell("test -e " + s.Path("live/ws.sqlite")).exit_code != 0);  // no copy left
    }
  }
  // A real marker of an earlier run is the step's own: replaced, then removed when not kept.
  Shell("rm -rf " + s.Path("live/*") + " " + s.Path("elsewhere.sqlite"));
  REQUIRE(s.Run(Check("live/ws.sqlite", true)).exit_code == 0);
  CHECK(Shell("test -f " + s.Path("live/ws.sqlite.integrity-check")).exit_code == 0);
  REQUIRE(s.Run(Check("live/ws.sqlite", true)).exit_code == 0);
  Command again = s.Run(Check("live/ws.sqlite", false));
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(Shell("ls -A " + s.Path("live")).out == "");  // the earlier copy and its marker went
}

TEST_CASE("restore taking a kept copy leaves a file swapped in at the marker's name",
          "[steps][integrity][marker][restore]") {
  Site s;
  s.UnsignedDump();
  Shell("mkdir -p " + s.Path("live"));
  // Between the check and the restore, someone puts their own file at the marker's name.
  Command c =
      s.Run(Check("work/copy.sqlite", true) +
            "  - {id: m, uses: exec, needs: [c], with: {shell: true, run: 'cp app.sqlite "
            "work/copy.sqlite.integrity-check'}}\n"
            "  - {id: r, uses: restore, needs: [m], with: {source: dumps/app.sqlite.gz, target: "
            "live/app.sqlite}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(Sum(s, "work/copy.sqlite.integrity-check") == Sum(s, "app.sqlite"));
}

// breakY Y8: restore deleted `<target>.before-restore-wal/-journal/-shm` it never linked (an
// old kept copy moved away for inspection, its -wal left) and replaced a dangling link at
// `.before-restore`; integrity-check, after a kill, deleted a -wal made beside the workspace
// later. Files at those names are someone's unless the step can prove it made them.
TEST_CASE("restore and integrity-check leave files at their side names that they did not make",
          "[steps][integrity][marker][restore]") {
  Site s;
  s.UnsignedDump();
  Shell("mkdir -p " + s.Path("live") + " && cp " + s.Path("app.sqlite") + " " +
        s.Path("live/app.sqlite") + " && cd " + s.Path("live") +
        " && echo notes > app.sqlite.before-restore-wal && echo other > "
        "app.sqlite.before-restore-journal && ln -s /nonexistent app.sqlite.before-restore");
  Command c = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(ReadFile(s.Path("live/app.sqlite.before-restore-wal")) == "notes\n");
  CHECK(ReadFile(s.Path("live/app.sqlite.before-restore-journal")) == "other\n");
  CHECK(Shell("readlink " + s.Path("live/app.sqlite.before-restore")).out == "/nonexistent\n");
  CHECK(Shell("ls " + s.Path("live") + " | grep -c 'before-restore-2'").out == "1\n");
  // breakZ Z1: with no kept copy in the way, the kept name's own -wal is someone's: the
  // restore refuses before it links anything, the live database untouched.
  Shell("cd " + s.Path("live") +
        " && rm -f app.sqlite.before-restore app.sqlite.before-restore-2*");
  std::string live = Shell("sha256sum < " + s.Path("live/app.sqlite")).out;
  Command refused = s.Run(
      "  - {id: r, uses: restore, with: {source: dumps/app.sqlite.gz, target: live/app.sqlite, "
      "force: true}}\n");
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("app.sqlite.before-restore-wal is already there") &&
                              Catch::Contains("untouched"));
  CHECK(ReadFile(s.Path("live/app.sqlite.before-restore-wal")) == "notes\n");
  CHECK(Shell("sha256sum < " + s.Path("live/app.sqlite")).out == live);
  // A marker left by a killed run, its copy gone, and a -wal someone made since.
  Shell("mkdir -p " + s.Path("ws") + " && printf '1 2 3 4.5\\n' > " +
        s.Path("ws/copy.sqlite.integrity-check") + " && echo theirs > " +
        s.Path("ws/copy.sqlite-wal"));
  Command check = s.Run(
      "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "ws/copy.sqlite, keep: true}}\n");
  INFO(check.out << check.err);
  CHECK(check.exit_code == 1);
  CHECK(ReadFile(s.Path("ws/copy.sqlite-wal")) == "theirs\n");
}
