// The audit store reached through a file bind mount (one inode, two paths: `docker run -v
// /srv/audit.db:/data/audit.db`) is refused for writing, as a second hard link is (breakJ
// J2: every run through the second path was lost, exit 0, `audit verify` ok): SQLite keys
// the write-ahead log by name, so each path had a log of its own.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace runbook::test;

TEST_CASE("store bind mount: a store path that is a file bind mount is refused for writing",
          "[cli][audit-identity]") {
  std::string dir = TempDir();
  WriteFile(dir, "t.yaml",
            "version: 1\nname: t\nsteps:\n  - {id: a, uses: exec, with: {run: [/bin/true]}}\n");
  std::string rb = Binary();
  REQUIRE(Shell("cd " + dir + " && mkdir d1 d2 && " + rb + " run t.yaml --audit-db d1/a.db")
              .exit_code == 0);
  if (Shell("unshare -m --propagation private true").exit_code != 0) {
    WARN("cannot make a mount namespace here (needs root): not tested");
    return;
  }
  WriteFile(dir, "bind.sh",
            "touch d2/b.db && mount --bind d1/a.db d2/b.db || exit 9\n"
            "stat -c '%d %i' d1/a.db d2/b.db\n" +
                rb + " run t.yaml --audit-db d2/b.db; echo rc=$?\n" + rb +
                " history --audit-db d2/b.db; echo hrc=$?\n");
  Command c = Shell("cd " + dir + " && unshare -m --propagation private sh bind.sh");
  INFO(c.out << c.err);
  CHECK_THAT(c.out, Catch::Contains("rc=3") && Catch::Contains("hrc=0"));  // reading still works
  CHECK_THAT(c.err, Catch::Contains("d2/b.db is a mount point (a file bind mount)"));
  CHECK(Shell(kSqliteWaiting + dir + "/d1/a.db 'select count(*) from runs'").out == "1\n");
  // Through its own path the store is written as before.
  CHECK(Shell("cd " + dir + " && " + rb + " run t.yaml --audit-db d1/a.db").exit_code == 0);
}
