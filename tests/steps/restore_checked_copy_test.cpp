// A restore installs the very copy an integrity-check of the same run checked and kept
// (issue 15): decompressed once, moved into place, refused when it changed since; where it
// cannot be moved (another filesystem) or is gone, the dump is decompressed again, said so.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "steps/backup_site.h"

using namespace runbook;
using namespace runbook::test;

namespace {

// check (keep: true, workspace `workspace`), then `between` (steps), then restore.
std::string Drill(const std::string& workspace, const std::string& between = "") {
  return "  - {id: c, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: " +
         workspace + ", keep: true}}\n" + between + "  - {id: r, uses: restore, needs: [c" +
         (between.empty() ? "" : ", m") +
         "], with: {source: dumps/app.sqlite.gz, target: live/app.sqlite}}\n";
}

}  // namespace

TEST_CASE("restore installs the copy integrity-check kept, once its sha256 is unchanged",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Shell("mkdir -p " + s.Path("live") + " && cp " + s.Path("app.sqlite") + " " +
        s.Path("live/app.sqlite"));
  s.Sql("live/app.sqlite", "INSERT INTO users(email) VALUES('since the dump')");
  Command c = s.Run(Drill("live/.check/copy.sqlite"));
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.err, Catch::Contains("r | installing the copy step 'c' checked (" +
                                    s.Path("live/.check/copy.sqlite") + "), unchanged since"));
  CHECK_THAT(c.err, !Catch::Contains("decompressing"));
  // The copy moved: nothing left in the workspace, marker included; the live database is the
  // dump's (the row added since is in the kept previous one), one WAL-mode file.
  CHECK(Shell("ls -A " + s.Path("live/.check")).out == "");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") +
              " \"SELECT count(*) FROM users WHERE email='since the dump'\"")
            .out == "0\n");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite.before-restore") +
              " \"SELECT count(*) FROM users WHERE email='since the dump'\"")
            .out == "1\n");
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") +
              " 'PRAGMA journal_mode; PRAGMA "
              "integrity_check'")
            .out == "wal\nok\n");
}

// A copy changed after its check: one whose size or mtime moved is another file (breakY
// Y10: restore recognises the kept copy by device, inode, size and mtime) and is left where
// it is while the dump is decompressed again; one changed with its size and mtime kept is
// caught by its sha256, refused, and put back where it was, never deleted.
TEST_CASE("restore never installs a kept copy that changed after it was checked",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Shell("mkdir -p " + s.Path("live") + " && cp " + s.Path("app.sqlite") + " " +
        s.Path("live/app.sqlite"));
  std::string before = Shell("sha256sum < " + s.Path("live/app.sqlite")).out;
  auto run = [&](const std::string& change) {
    return s.Run(Drill(
        "live/.check/copy.sqlite",
        "  - {id: m, uses: exec, needs: [c], with: {shell: true, run: \"" + change + "\"}}\n"));
  };
  // A row written through SQLite: the file's mtime moves.
  Command moved =
      run("sqlite3 live/.check/copy.sqlite \\\"INSERT INTO users(email) VALUES('planted')\\\"");
  INFO(moved.out << moved.err);
  CHECK(moved.exit_code == 0);
  CHECK_THAT(moved.err, Catch::Contains("(another file than the one checked): left alone, "
                                        "decompressing again"));
  CHECK(Shell("sqlite3 " + s.Path("live/.check/copy.sqlite") +
              " \"SELECT count(*) FROM users WHERE email='planted'\"")
            .out == "1\n");  // left where it was
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") +
              " \"SELECT count(*) FROM users WHERE email='planted'\"")
            .out == "0\n");
  Shell("rm -rf " + s.Path("live/.check") + " && cp " + s.Path("app.sqlite") + " " +
        s.Path("live/app.sqlite"));
  // One byte changed in place, its mtime set back: only the sha256 tells.
  Command kept =
      run("touch -r live/.check/copy.sqlite ref && printf x | dd of=live/.check/copy.sqlite bs=1 "
          "seek=5000 conv=notrunc 2>/dev/null && touch -r ref live/.check/copy.sqlite");
  INFO(kept.out << kept.err);
  CHECK(kept.exit_code == 1);
  CHECK_THAT(kept.err, Catch::Contains("changed since it was checked") &&
                           Catch::Contains("the file is back at " +
                                           s.Path("live/.check/copy.sqlite") + ", as it was"));
  CHECK(Shell("sha256sum < " + s.Path("live/app.sqlite")).out == before);
  CHECK(Shell("test -f " + s.Path("live/.check/copy.sqlite")).exit_code == 0);
  CHECK(Shell("ls -A " + s.Path("live") + " | grep -c tmp").out == "0\n");  // no scratch left
}

TEST_CASE("a kept copy on another filesystem, or gone, is decompressed again, and said so",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Shell("mkdir -p " + s.Path("live"));
  std::string shm = TempDir();  // /tmp; the target on another filesystem when /dev/shm exists
  std::string other = "/dev/shm/runbook-test-" + std::to_string(::getpid()) + "/copy.sqlite";
  if (Shell("test \"$(stat -c %d /dev/shm)\" != \"$(stat -c %d " + s.dir + ")\"").exit_code == 0) {
    Command c = s.Run(Drill(other));
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.err, Catch::Contains("is on another filesystem than " + s.Path("live/app.sqlite") +
                                      ": decompressing again"));
    Shell("rm -rf /dev/shm/runbook-test-" + std::to_string(::getpid()));
  }
  Command gone = s.Run(Drill("live/.check/copy.sqlite",
                             "  - {id: m, uses: exec, needs: [c], with: {run: [rm, "
                             "live/.check/copy.sqlite]}}\n"));
  INFO(gone.out << gone.err);
  CHECK(gone.exit_code == 0);
  CHECK_THAT(gone.err, Catch::Contains("is not there any more: decompressing again"));
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'PRAGMA integrity_check'").out == "ok\n");
}

// breakV V1: restore renamed whatever sat at the workspace path and checked only its bytes:
// a link, another account's file with the same bytes, or a second hard link became the live
// database. V2: a later check of another source replaced the workspace, and the first
// restore failed as if tampered with. Only the file the check recorded (device and inode,
// regular, one link, yours) is adopted; anything else is left alone and the dump is
// decompressed again.
TEST_CASE("restore adopts only the file the check kept, never what was put at its path",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  const std::string swaps[] = {
      // the same bytes, another file (as another account would mv its own in)
      "cp --preserve=all live/.check/copy.sqlite other.sqlite && mv other.sqlite "
      "live/.check/copy.sqlite",
      // a link to a file elsewhere
      "cp live/.check/copy.sqlite other.sqlite && ln -sf \"$PWD/other.sqlite\" "
      "live/.check/copy.sqlite",
      // the kept file with a second name
      "ln live/.check/copy.sqlite second.sqlite",
      // owned by another account
      "chown 65534 live/.check/copy.sqlite",
  };
  for (const std::string& swap : swaps) {
    CAPTURE(swap);
    Shell("rm -rf " + s.Path("live") + " " + s.Path("other.sqlite") + " " +
          s.Path("second.sqlite") + " && mkdir -p " + s.Path("live"));
    Command c = s.Run(
        Drill("live/.check/copy.sqlite",
              "  - {id: m, uses: exec, needs: [c], with: {shell: true, run: '" + swap + "'}}\n"));
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.err, Catch::Contains("is not the copy step 'c' kept (") &&
                          Catch::Contains("left alone, decompressing again"));
    CHECK(Shell("stat -c '%F %U' " + s.Path("live/app.sqlite")).out == "regular file root\n");
    CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'PRAGMA integrity_check'").out ==
          "ok\n");
  }
  // Two checks of two sources into one workspace (a loop over databases): each restore of the
  // first source decompresses again; nothing fails.
  Shell("rm -rf " + s.Path("live") + " && mkdir -p " + s.Path("live") + " && cp " +
        s.Path("dumps/app.sqlite.gz") + " " + s.Path("dumps/b.sqlite.gz"));
  Command two = s.Run(
      "  - {id: ca, uses: integrity-check, with: {source: dumps/app.sqlite.gz, workspace: "
      "ws/x.sqlite, keep: true}}\n"
      "  - {id: cb, uses: integrity-check, needs: [ca], with: {source: dumps/b.sqlite.gz, "
      "workspace: ws/x.sqlite, keep: true}}\n"
      "  - {id: ra, uses: restore, needs: [cb], with: {source: dumps/app.sqlite.gz, target: "
      "live/a.sqlite, force: true}}\n"
      "  - {id: rb, uses: restore, needs: [ra], with: {source: dumps/b.sqlite.gz, target: "
      "live/b.sqlite, force: true}}\n");
  INFO(two.out << two.err);
  CHECK(two.exit_code == 0);
  CHECK_THAT(two.err, Catch::Contains("rb | installing the copy step 'cb' checked"));
}

// breakX X2: the kept copy on the same filesystem but under another mount (a bind mount:
// the same st_dev) could not be renamed beside the target (EXDEV), and the restore failed.
// It is decompressed again, said so, and the restore passes.
TEST_CASE("a kept copy under a bind mount of the same filesystem is decompressed again",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  WriteFile(s.dir, "rb.yaml", "version: 1\nname: t\nsteps:\n" + Drill("alias/copy.sqlite"));
  Command c = Shell("cd " + s.dir +
                    " && mkdir -p live wsreal alias && unshare -m sh -c 'mount --bind wsreal "
                    "alias && " +
                    Rb("run rb.yaml --audit-db " + s.db) + "'");
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.err, Catch::Contains("cannot be moved beside " + s.Path("live/app.sqlite") +
                                    " (another mount): decompressing again"));
  CHECK(Shell("sqlite3 " + s.Path("live/app.sqlite") + " 'PRAGMA integrity_check'").out == "ok\n");
}

// breakZ Z9: restore installed the copy a check kept although the dump had been swapped since,
// and said the source was verified. The source's sha256 is compared again first.
TEST_CASE("a dump swapped after its check is refused when its kept copy would be installed",
          "[steps][restore][checked-copy]") {
  Site s;
  s.MakeDb();
  s.Dump();
  Shell("mkdir -p " + s.Path("live") + " " + s.Path("other") + " && cp " + s.Path("app.sqlite") +
        " " + s.Path("live/app.sqlite"));
  s.Sql("other.sqlite", "CREATE TABLE x(a); INSERT INTO x VALUES(1)");
  std::string before = Shell("sha256sum < " + s.Path("live/app.sqlite")).out;
  Command c = s.Run(Drill("ws/copy.sqlite",
                          "  - {id: m, uses: exec, needs: [c], with: {shell: true, run: 'gzip -c "
                          "other.sqlite > dumps/app.sqlite.gz'}}\n"));
  INFO(c.out << c.err);
  CHECK(c.exit_code == 1);
  CHECK_THAT(c.err, Catch::Contains("dumps/app.sqlite.gz changed since step 'c' checked it") &&
                        Catch::Contains("the file is back at"));
  CHECK(Shell("sha256sum < " + s.Path("live/app.sqlite")).out == before);
  CHECK(Shell("test -f " + s.Path("ws/copy.sqlite")).exit_code == 0);
}
